"""Command-line housekeeping, mostly run from cron: `flask backup|mentorship|notify ...`."""

from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.backup import BackupError, create_backup
from app.services.backup_restore import restore_backup
from app.services.backup_verify import read_manifest
from app.services.mentorship import expire_due_invites

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
