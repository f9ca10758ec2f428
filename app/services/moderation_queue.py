"""The moderators' reading: the flag queue, hidden posts, the audit log, a user's history.

The actions (flag, hide, dismiss, suspend) are in moderation.py. Every list here is for
admins only, and shows a post only while it is public (private mentorship content stays out
of moderators' sight, even when it was flagged before its goal closed).
"""

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from app.core.pagination import Page, paginate
from app.core.posts import POST_TYPES, hidden_by_moderators, is_public_post, type_of, url_of
from app.extensions import db
from app.models import User
from app.models.moderation import Flag, ModerationAction
from app.search.documents import html_to_text
from app.services.accounts import get_user
from app.services.moderation import load_target, require_admin

EXCERPT_LENGTH = 200
_FLAGGABLE_MODELS = {name: t.model for name, t in POST_TYPES.items() if t.flaggable}


@dataclass
class FlaggedPost:
    """One post in the queue with its open flags."""

    target_type: str
    target_id: int
    count: int
    flags: list
    target: object | None  # None when the post is gone or no longer public
    excerpt: str = ""
    url: str = ""
    author: User | None = None
    hidden: bool = False

    @property
    def reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.flags:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts


def excerpt(target) -> str:
    """A short plain-text excerpt for the queue: a title, or the start of a body."""
    if type_of(target).titled:
        return target.title
    text = html_to_text(target.body_html)
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _describe(target_type: str, target_id: int, count: int, flags: list) -> FlaggedPost:
    target = load_target(target_type, target_id)
    if target is None or not is_public_post(target):
        # Gone, or private since (a goal closed): dismiss-only, nothing of it shown.
        return FlaggedPost(target_type, target_id, count, flags, None)
    return FlaggedPost(
        target_type,
        target_id,
        count,
        flags,
        target,
        excerpt(target),
        url_of(target),
        db.session.get(User, type_of(target).author_id(target)),
        hidden_by_moderators(target),
    )


def open_flags(admin, page=1, per_page=20) -> Page:
    """Open flags grouped by post, most-flagged first, then most recent."""
    require_admin(admin)
    groups = (
        select(
            Flag.target_type,
            Flag.target_id,
            func.count(Flag.id).label("n"),
            func.max(Flag.created_at).label("latest"),
        )
        .where(Flag.status == "open")
        .group_by(Flag.target_type, Flag.target_id)
    )
    total = db.session.scalar(select(func.count()).select_from(groups.subquery())) or 0
    rows = db.session.execute(
        groups.order_by(func.count(Flag.id).desc(), func.max(Flag.created_at).desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = []
    for row in rows:
        flags = list(
            db.session.scalars(
                select(Flag)
                .where(
                    Flag.target_type == row.target_type,
                    Flag.target_id == row.target_id,
                    Flag.status == "open",
                )
                .order_by(Flag.created_at, Flag.id)
            )
        )
        items.append(_describe(row.target_type, row.target_id, row.n, flags))
    return Page(items=items, page=page, per_page=per_page, total=total)


def hidden_posts(admin, page=1, per_page=20) -> Page:
    """Posts hidden by moderators, most recently hidden first."""
    require_admin(admin)
    parts = [
        select(
            literal(kind).label("kind"), model.id.label("id"), model.hidden_at.label("hidden_at")
        ).where(model.hidden_at.isnot(None))
        for kind, model in _FLAGGABLE_MODELS.items()
    ]
    hidden = union_all(*parts).subquery()
    total = db.session.scalar(select(func.count()).select_from(hidden)) or 0
    rows = db.session.execute(
        select(hidden.c.kind, hidden.c.id)
        .order_by(hidden.c.hidden_at.desc(), hidden.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [_describe(kind, object_id, 0, []) for kind, object_id in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def audit_log(admin, page=1, per_page=20) -> Page:
    """Every moderator action, newest first."""
    require_admin(admin)
    return paginate(select(ModerationAction).order_by(ModerationAction.id.desc()), page, per_page)


def usernames_for(actions) -> dict[int, str]:
    """Usernames of the accounts that user actions in the log name (for links)."""
    ids = {a.target_id for a in actions if a.target_type == "user"}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def user_overview(admin, username) -> dict:
    """What the admin user page shows: the account and its moderation history."""
    require_admin(admin)
    user = get_user(username)
    actions = list(
        db.session.scalars(
            select(ModerationAction)
            .where(ModerationAction.target_type == "user", ModerationAction.target_id == user.id)
            .order_by(ModerationAction.id.desc())
            .limit(50)
        )
    )
    return {"user": user, "actions": actions}
