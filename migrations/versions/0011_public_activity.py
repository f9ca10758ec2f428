"""public_activity: reputation and activity that outsiders may see

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:30:00

Reserved in the migration chain so parallel work lands in a fixed order; the revision that
fills it in replaces this docstring.
"""

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
