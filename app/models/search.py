"""The search outbox: pending index changes, written in the same transaction as the post."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    """One "re-read this post and update the index" request; the id orders them."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    doc_type: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
