"""Revision history: every edit of a goal, question or answer keeps the previous text."""

from sqlalchemy import select

from app.extensions import db
from app.models import Revision


def record_revision(post_type: str, post, editor, *, title=None, body: str, tags=()) -> None:
    """Store the state of ``post`` before an edit (call inside the edit's transaction)."""
    db.session.add(
        Revision(
            post_type=post_type,
            post_id=post.id,
            editor_id=editor.id,
            title=title,
            body=body,
            tags=list(tags),
        )
    )


def list_revisions(post_type: str, post_id: int) -> list[Revision]:
    """Earlier versions of a post, newest first (the visibility check is the caller's)."""
    return list(
        db.session.scalars(
            select(Revision)
            .where(Revision.post_type == post_type, Revision.post_id == post_id)
            .order_by(Revision.created_at.desc(), Revision.id.desc())
        )
    )
