"""Text-embedding vectors of public questions and goals, shared by every worker and node."""

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class PostVector(Model):
    """One public post's vector as float16 bytes; a changed post gets a new row (new id)."""

    __tablename__ = "post_vectors"

    # Ids only grow (an update deletes the row and inserts a new one), so (count, max id)
    # tells a reader's in-memory copy whether anything changed.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    doc_id: Mapped[str] = mapped_column(String(32), unique=True)
    doc_type: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
