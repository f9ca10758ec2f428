"""Imported duplicate links (PostLinks.xml, LinkTypeId 3) as "answered in" links between
imported questions: the first link wins, and a link set by a person is never replaced."""

from collections.abc import Callable
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from app.core.transaction import write_transaction
from app.models import Question
from app.services.stackexchange_dump import DUPLICATE_LINK, parse_int

# The Core table (a model's __table__ is typed as any FromClause): an executemany UPDATE.
_questions = cast(Table, Question.__table__)
_SET_ANSWERED_IN = (
    update(_questions)
    .where(_questions.c.id == bindparam("b_id"), _questions.c.answered_in_id.is_(None))
    .values(answered_in_id=bindparam("b_target"))
)


def duplicate_pair(row: dict[str, str], summary) -> tuple[int, int] | None:
    """(source, target) Stack Exchange post ids of a duplicate link row; None for others."""
    if row.get("LinkTypeId") != DUPLICATE_LINK:
        return None
    source, target = parse_int(row.get("PostId")), parse_int(row.get("RelatedPostId"))
    if source is None or target is None or source == target:
        summary.skipped_links += 1
        return None
    return source, target


def write_links(pairs: list[tuple[int, int]], post_key: Callable[[int], str], summary) -> None:
    """Set answered_in_id for the pairs whose ends were both imported (one transaction)."""
    with write_transaction() as session:
        keys = {post_key(se_id) for pair in pairs for se_id in pair}
        found = {
            row.external_id: row
            for row in session.execute(
                select(Question.id, Question.external_id, Question.answered_in_id).where(
                    Question.external_id.in_(keys)
                )
            )
        }
        links, linked = [], set()
        for source_id, target_id in pairs:
            source = found.get(post_key(source_id))
            target = found.get(post_key(target_id))
            if source is None or target is None:
                summary.skipped_links += 1
            elif source.answered_in_id is None and source.id not in linked:
                # The first duplicate link wins; links set by people are never replaced.
                links.append({"b_id": source.id, "b_target": target.id})
                linked.add(source.id)
        if links:
            session.execute(_SET_ANSWERED_IN, links)
        summary.links += len(links)
