"""similar_lists: precomputed similar-thread lists of public questions and goals

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:30:00

The indexer computes each list when its post changes and refreshes it in the background;
page views only read it (app/search/similar_store.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('similar_lists',
    sa.Column('doc_type', sa.String(length=10), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.Column('text_hash', sa.String(length=32), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('doc_type', 'doc_id', name=op.f('pk_similar_lists'))
    )
    with op.batch_alter_table('similar_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_similar_lists_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_similar_lists_due_at'), ['due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('similar_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_similar_lists_due_at'))
        batch_op.drop_index(batch_op.f('ix_similar_lists_changed_at'))
    op.drop_table('similar_lists')
