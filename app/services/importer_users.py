"""Imported users: one per Stack Exchange post owner, created on first sight, never signed in.

Usernames are ``se-<site slug>-<owner id>`` (``...-community`` for posts without an owner or
by Stack Exchange's own user -1), with a digest suffix when a person already took the name;
addresses are ``<username>@users.invalid``; the password hash is no hash at all.
"""

from sqlalchemy import select

from app.core.validation import DISPLAY_NAME_MAX, USERNAME_MAX
from app.models import User
from app.services.stackexchange_dump import COMMUNITY, DumpError, Post, digest

# Not a valid hash of any scheme: verify_password() is always False, so nobody can sign in.
UNUSABLE_PASSWORD = "!"  # noqa: S105  (a marker, not a password)


def user_key(site: str, owner: int | None) -> str:
    """The external id of a post owner's user ("site:user:<id>" or "site:user:community")."""
    return f"{site}:user:{'community' if owner is COMMUNITY else owner}"


def ensure_users(
    session, site: str, slug: str, posts: list[Post]
) -> tuple[dict[int | None, int], int]:
    """Map each post owner (Stack Exchange id or COMMUNITY) to a user id, creating users.

    Also returns how many users were created.
    """
    names: dict[int | None, str] = {}
    for post in posts:
        if not names.get(post.owner):
            names[post.owner] = post.owner_name
    keys = {user_key(site, owner): owner for owner in names}
    ids = {
        keys[row.external_id]: row.id
        for row in session.execute(
            select(User.id, User.external_id).where(User.external_id.in_(keys))
        )
    }
    missing = [owner for owner in names if owner not in ids]
    if not missing:
        return ids, 0
    wanted = {owner: _username(site, slug, owner) for owner in missing}
    taken = set(session.scalars(select(User.username).where(User.username.in_(wanted.values()))))
    taken |= {
        email.split("@", 1)[0]
        for email in session.scalars(
            select(User.email).where(User.email.in_(_email(n) for n in wanted.values()))
        )
    }
    created = []
    for owner, username in wanted.items():
        if username in taken:
            username = _free_username(session, site, slug, owner)
        taken.add(username)
        user = User(
            username=username,
            email=_email(username),
            password_hash=UNUSABLE_PASSWORD,
            display_name=_display_name(site, owner, names[owner]),
            preferred_modes=[],
            external_id=user_key(site, owner),
        )
        session.add(user)
        created.append((owner, user))
    session.flush()
    ids.update((owner, user.id) for owner, user in created)
    return ids, len(created)


def _username(site: str, slug: str, owner: int | None) -> str:
    suffix = "community" if owner is COMMUNITY else str(owner)
    username = f"se-{slug}-{suffix}"
    if len(username) > USERNAME_MAX:
        username = f"se-{digest(user_key(site, owner), 12)}"
    return username


def _free_username(session, site: str, slug: str, owner: int | None) -> str:
    """Another name when a person already took ours (they could register se-... names)."""
    base = _username(site, slug, owner)[: USERNAME_MAX - 7]
    for attempt in range(100):
        username = f"{base}-{digest(f'{user_key(site, owner)}#{attempt}', 6)}"
        clash = session.scalar(
            select(User.id).where((User.username == username) | (User.email == _email(username)))
        )
        if clash is None:
            return username
    raise DumpError(f"No free username for {user_key(site, owner)}.")  # pragma: no cover


def _display_name(site: str, owner: int | None, name: str) -> str:
    if owner is COMMUNITY:
        return f"{site} community"[:DISPLAY_NAME_MAX]
    return (name or f"Stack Exchange user {owner}")[:DISPLAY_NAME_MAX]


def _email(username: str) -> str:
    return f"{username}@users.invalid"
