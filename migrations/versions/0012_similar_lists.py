"""similar_lists: precomputed similar-thread lists

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:30:00

Reserved in the migration chain so parallel work lands in a fixed order; the revision that
fills it in replaces this docstring.
"""

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
