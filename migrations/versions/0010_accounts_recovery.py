"""accounts_recovery: verified email and the outbox of account mail

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00

Existing accounts start unverified: they are asked to verify (settings page) before they get
notification mail again, and ADMIN_EMAILS grants nothing more until then (roles already
given stay).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True),
                                      nullable=True))

    op.create_table('account_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_mail_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_mail'))
    )
    with op.batch_alter_table('account_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_mail_not_before'), ['not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_mail_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('account_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_mail_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_mail_not_before'))

    op.drop_table('account_mail')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
