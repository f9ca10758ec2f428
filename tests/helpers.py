"""Helpers shared by tests of every kind (content builders are in builders.py)."""

from sqlalchemy import func, select

from app.extensions import db


def count(model, *where) -> int:
    """Rows of ``model`` matching ``where``, as committed (the test body's transaction ends)."""
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))
