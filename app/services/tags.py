"""Looking up and creating tags by name."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Tag


def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Return Tag rows for already-normalised names, creating missing ones race-safely."""
    if not names:
        return []
    session = db.session
    existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name in existing:
            continue
        # A concurrent request may create the same tag: a savepoint keeps our transaction alive.
        try:
            with session.begin_nested():
                tag = Tag(name=name)
                session.add(tag)
        except IntegrityError:
            tag = session.scalars(select(Tag).where(Tag.name == name)).one()
        existing[name] = tag
    return [existing[name] for name in names]
