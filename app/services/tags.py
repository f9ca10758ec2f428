"""Looking up and creating tags by name."""

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Tag

# Above this many tagged rows, a tag list walks the list's sort index instead of the tag rows.
COMMON_TAG_USES = 1_000


def tag_filter(link_column, post_id, name: str) -> ColumnElement[bool]:
    """WHERE clause "post carries tag ``name``", shaped for how common the tag is.

    ``link_column`` is the association table's post column (question_tags.c.question_id).
    The tag's id is looked up first, so PostgreSQL plans with that tag's own row count.
    A common tag gets a correlated EXISTS: the database walks the list's sort index and stops
    after one page. A rare tag gets IN (...): its few rows are fetched and sorted, which beats
    scanning the index (SQLite has no per-tag statistics to choose by itself).
    """
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == str(name).lower()))
    tag_column = link_column.table.c.tag_id
    tagged = select(link_column).where(tag_column == tag_id)
    uses = db.session.scalar(select(func.count()).select_from(tagged.subquery())) or 0
    if uses > COMMON_TAG_USES:
        return tagged.where(link_column == post_id).exists()
    return post_id.in_(tagged)


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
