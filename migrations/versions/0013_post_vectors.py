"""post_vectors: text-embedding vectors of public posts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:30:00

One row per public question or goal: its WordLlama vector as float16 bytes (512 bytes), written
by the search indexer. A table rather than pgvector (not packaged here) or files beside the
Whoosh index, so both search backends and every node read the same vectors.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('post_vectors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('doc_id', sa.String(length=32), nullable=False),
    sa.Column('doc_type', sa.String(length=10), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_vectors')),
    sa.UniqueConstraint('doc_id', name=op.f('uq_post_vectors_doc_id'))
    )


def downgrade():
    op.drop_table('post_vectors')
