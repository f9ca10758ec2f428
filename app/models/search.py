"""Search bookkeeping: the outbox of pending index changes, and stored similar-thread lists."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow


class SearchOutbox(Model):
    """One "re-read this post and update the index" request; the id orders them."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    doc_type: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SimilarList(Model):
    """The similar threads beside one public question or goal, computed off the request path.

    Written only by the indexer and its background refresh (app/search/similar_store.py);
    page views read it and re-check every id through the visibility gate.
    """

    __tablename__ = "similar_lists"

    doc_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    doc_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # [[type, id, score], ...] best first; None until the first computation.
    items: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Digest of the text the list was (or is to be) computed from: votes and answers
    # re-index a post without changing it, and must not recompute its list.
    text_hash: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the post's text last changed: the newest one tells whether any list can be stale.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # When the list is to be (re)computed; the refresh takes rows in this order.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
