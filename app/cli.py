"""Command-line tools for accounts and content: `flask users|demo|import ...`.

The search commands are in cli_search, the cron housekeeping (backup, mentorship, notify)
in cli_housekeeping.
"""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from app.cli_progress import progress_bar
from app.core.errors import ServiceError
from app.services.accounts import register_user, set_role
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
