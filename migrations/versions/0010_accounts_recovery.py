"""accounts_recovery: verified email and password reset state

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00

Reserved in the migration chain so parallel work lands in a fixed order; the revision that
fills it in replaces this docstring.
"""

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
