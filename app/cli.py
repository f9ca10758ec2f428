"""Command-line tools: `flask users|demo|import|search|backup|mentorship|notify ...`."""

import os
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from app.cli_progress import on_terminal, progress_bar
from app.core.errors import ServiceError
from app.search.indexer import run_worker
from app.search.service import (
    apply_pending,
    check_index,
    check_vectors,
    get_backend,
    public_doc_ids,
    rebuild_index,
)
from app.search.similar_refresh import recompute_all, refresh_lists, sync_lists
from app.services.accounts import register_user, set_role
from app.services.backup import BackupError, create_backup
from app.services.backup_restore import restore_backup
from app.services.backup_verify import read_manifest
from app.services.demo import (
    DEMO_PASSWORD,
    STACKEXCHANGE_DIR,
    demo_users,
    ensure_demo_content,
    ensure_demo_users,
)
from app.services.importer import (
    DumpError,
    ImportSummary,
    dump_folders,
    find_dump,
    import_stackexchange,
)
from app.services.mentorship import expire_due_invites

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data for a living local site.")
import_cli = AppGroup("import", help="Import threads from elsewhere.")

ATTRIBUTION = (
    "Stack Exchange content is CC BY-SA (see each dump's licence); attribution: "
    "the Stack Exchange network and the authors named in the dump."
)


def _fail(error: ServiceError) -> None:
    details = "; ".join(f"{k}: {' '.join(m)}" for k, m in error.fields.items())
    raise click.ClickException(error.message + (f" ({details})" if details else ""))


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def create_user_command(username: str, email: str, password: str, admin: bool) -> None:
    """Create an account."""
    try:
        # The operator typed the address: it counts as verified (ADMIN_EMAILS applies).
        user = register_user(username, email, password, verified=True)
        if admin:
            set_role(user.username, "admin")
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created {user.username}{' (admin)' if admin else ''}.")


@users_cli.command("promote")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "user"]), default="admin", show_default=True)
def promote_command(username: str, role: str) -> None:
    """Give an existing account a role (admin by default)."""
    try:
        user = set_role(username, role)
    except ServiceError as error:
        _fail(error)
    click.echo(f"{user.username} is now {user.role}.")


@demo_cli.command("users")
def demo_users_command() -> None:
    """Create the demo accounts (idempotent); their password is 'journster-demo'."""
    created = ensure_demo_users()
    click.echo(
        f"Demo users: {created} created, {len(demo_users()) - created} already there "
        f"(password: {DEMO_PASSWORD})."
    )


@demo_cli.command("load")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=STACKEXCHANGE_DIR,
    show_default=True,
    help="Folder of Stack Exchange dump folders (each with a Posts.xml[.xz]); "
    "default: the threads shipped in the repository.",
)
@click.pass_context
def demo_load_command(ctx: click.Context, data_dir: Path) -> None:
    """Everything a living local site needs (idempotent): demo users, real threads, goals."""
    ctx.invoke(demo_users_command)
    failed = []
    if not data_dir.is_dir():
        click.echo(f"No Stack Exchange data at {data_dir}: skipping the import.")
    else:
        folders = dump_folders(data_dir)
        if not folders:
            click.echo(f"No dump folders (with a Posts.xml) in {data_dir}: skipping the import.")
        for folder in folders:
            try:
                click.echo(f"Imported {_import_with_progress(folder)}")
            except DumpError as error:
                click.echo(f"Could not import {folder}: {error}", err=True)
                failed.append(folder.name)
        if folders:
            click.echo(ATTRIBUTION)
    try:
        click.echo(str(ensure_demo_content()))
    except ServiceError as error:
        _fail(error)
    if failed:
        raise click.ClickException(f"Some dump folders could not be imported: {', '.join(failed)}.")


@import_cli.command("stackexchange")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Posts written per transaction.",
)
def import_stackexchange_command(directory: Path, batch_size: int) -> None:
    """Import a Stack Exchange dump folder (Posts.xml, optional PostLinks.xml); idempotent.

    The folder's name is the site name (e.g. cstheory.meta); running it again creates nothing.
    """
    try:
        summary = _import_with_progress(directory, batch_size)
    except DumpError as error:
        raise click.ClickException(str(error)) from None
    except IntegrityError:
        raise click.ClickException(
            "Another import of the same posts ran at the same time; "
            "run this one again (it skips what exists)."
        ) from None
    click.echo(f"Imported {summary}")
    click.echo(ATTRIBUTION)


def _import_with_progress(directory: Path, batch_size: int = 500) -> ImportSummary:
    """Import one dump folder, with a progress bar (bytes read) on a terminal."""
    dump = find_dump(directory)
    with progress_bar(dump.total_bytes, f"Importing {dump.site}", "MB") as update:
        return import_stackexchange(
            directory, lambda done, _total: update(done), batch_size=batch_size
        )


search_cli = AppGroup("search", help="Search index maintenance.")


@search_cli.command("reindex")
def search_reindex_command() -> None:
    """Rebuild the index from the database in a new directory, then swap it in."""
    # Counting first costs one pass over the ids: only worth it when someone watches a bar.
    total = len(public_doc_ids()) if on_terminal() else 0
    with progress_bar(total, "Indexing", "posts") as update:
        count = rebuild_index(progress=update)
    click.echo(f"Indexed {count} public posts; the new index is live.")
    lists = sync_lists()
    due = recompute_all()
    click.echo(
        f"Similar lists: {lists['missing']} queued, {lists['extra']} dropped, {due} due"
        " again; the search worker computes them in the background."
    )


@search_cli.command("check")
@click.option("--no-repair", is_flag=True, help="Only report the drift.")
def search_check_command(no_repair: bool) -> None:
    """Report (and repair) drift between the database and the index."""
    missing, extra = check_index(repair=not no_repair)
    click.echo(f"Drift: {len(missing)} missing from the index, {len(extra)} extra in it.")
    v_missing, v_extra = check_vectors(repair=not no_repair)
    click.echo(f"Vectors: {len(v_missing)} missing or broken, {len(v_extra)} extra.")
    if (missing or extra or v_missing or v_extra) and not no_repair:
        drained = apply_pending()
        click.echo(f"Repaired: removed {len(extra)}, re-indexed {drained} queued posts.")
    lists = sync_lists(repair=not no_repair)
    click.echo(
        f"Similar lists: {lists['missing']} missing, {lists['extra']} extra,"
        f" {lists['pending']} not computed yet, {lists['overdue']} overdue"
        f"{' (missing queued, extra dropped)' if not no_repair else ''}."
    )


@search_cli.command("lists")
@click.option("--all", "every", is_flag=True, help="Recompute every list, not only due ones.")
def search_lists_command(every: bool) -> None:
    """Compute the similar-thread lists that are due now (the worker does it in the background)."""
    lists = sync_lists()
    if every:
        recompute_all()
    started = time.monotonic()
    done = refresh_lists(None)
    seconds = time.monotonic() - started
    click.echo(
        f"{lists['missing']} queued, {lists['extra']} dropped; computed {done} lists in"
        f" {seconds:.1f} s ({done / max(seconds, 1e-9):.0f}/s)."
    )


@search_cli.command("worker")
@click.option("--once", is_flag=True, help="Apply what is queued, then exit.")
def search_worker_command(once: bool) -> None:
    """Apply queued index changes (run exactly one of these beside the web workers)."""
    if once:
        click.echo(f"Applied {apply_pending()} queued changes.")
        return
    click.echo("Search indexer running; Ctrl+C stops it.")
    if (nice := current_app.config.get("SEARCH_WORKER_NICE", 0)) > 0:
        os.nice(nice)  # below the web workers: requests first, background work after
    run_worker(get_backend())


backup_cli = AppGroup("backup", help="Back up and restore the database (run create from cron).")


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def backup_create_command(path: Path) -> None:
    """Write a consistent backup (manifest + dump) to the new directory PATH, live."""
    try:
        manifest = create_backup(path, progress=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    size = sum(f.stat().st_size for f in path.iterdir())
    click.echo(
        f"Backed up {manifest.rows} rows in {len(manifest.tables)} tables "
        f"({manifest.kind}, revision {manifest.revision}) to {path} "
        f"({size / 1e6:.1f} MB). The search index is rebuilt on restore."
    )


@backup_cli.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
def backup_verify_command(path: Path) -> None:
    """Check a backup's manifest, checksums and dump without touching the database."""
    try:
        manifest = read_manifest(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"OK: {manifest.kind} backup of {manifest.created_at}, revision "
        f"{manifest.revision}, {manifest.rows} rows."
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
def backup_restore_command(path: Path) -> None:
    """Restore PATH into the configured EMPTY database, then rebuild the search index."""
    try:
        manifest = restore_backup(path, progress=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Restored {manifest.rows} rows ({manifest.kind}, revision {manifest.revision}) "
        f"from {path}; the search index is rebuilt."
    )


mentorship_cli = AppGroup("mentorship", help="Mentorship housekeeping (run from cron).")


@mentorship_cli.command("expire-invites")
def expire_invites_command() -> None:
    """Mark invites unanswered for INVITE_TTL_SECONDS (7 days) as expired."""
    click.echo(f"Expired {expire_due_invites()} invites.")


notify_cli = AppGroup("notify", help="Email notifications, digests and nudges (run from cron).")


@notify_cli.command("send")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=500,
    show_default=True,
    help="At most this many notifications per run.",
)
def notify_send_command(limit: int) -> None:
    """Email each pending notification of users in "immediate" mode (idempotent).

    Also sends verification and reset mail that web workers could not (a retry net).
    """
    from app.services.account_mail import send_account_mail
    from app.services.email_delivery import send_immediate

    click.echo(f"Account mail: {send_account_mail()}")
    report = send_immediate(limit=limit)
    click.echo(f"Immediate: {report}")
    if report.failed:
        raise click.ClickException(
            "Some mail could not be sent; it stays pending and the next run retries it."
        )


@notify_cli.command("send-digests")
@click.option(
    "--period",
    type=click.Choice(["daily", "weekly"]),
    default=None,
    help="Only users of this digest period (default: both, each when due).",
)
def notify_send_digests_command(period: str | None) -> None:
    """Email one digest to each daily/weekly user whose period has passed (idempotent)."""
    from app.services.email_delivery import send_digests

    report = send_digests(period)
    click.echo(f"Digests ({period or 'daily and weekly'}): {report}")
    if report.failed:
        raise click.ClickException(
            "Some digests could not be sent; their notifications stay "
            "pending and the next run retries them."
        )


@notify_cli.command("nudges")
def notify_nudges_command() -> None:
    """Nudge whoever owes a reply past the agreed time; remind check-ins a day before."""
    from app.services.nudges import run_nudges

    click.echo(f"Created {run_nudges()}.")
