"""Command-line tools for the search index: `flask search reindex|check|lists|worker`."""

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli_progress import on_terminal, progress_bar
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
