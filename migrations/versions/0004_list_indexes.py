"""indexes for lists: goals by visibility+date, questions by activity, posts by author+date

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index('ix_goals_visibility')
        batch_op.create_index('ix_goals_visibility_created_at', ['visibility', 'created_at'])
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_updated_at', ['updated_at'])
        batch_op.create_index('ix_questions_answered_in_id', ['answered_in_id'])
        batch_op.drop_index('ix_questions_owner_id')
        batch_op.create_index('ix_questions_owner_id_created_at', ['owner_id', 'created_at'])
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_owner_id')
        batch_op.create_index('ix_answers_owner_id_created_at', ['owner_id', 'created_at'])


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_owner_id_created_at')
        batch_op.create_index('ix_answers_owner_id', ['owner_id'])
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_owner_id_created_at')
        batch_op.create_index('ix_questions_owner_id', ['owner_id'])
        batch_op.drop_index('ix_questions_answered_in_id')
        batch_op.drop_index('ix_questions_updated_at')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index('ix_goals_visibility_created_at')
        batch_op.create_index('ix_goals_visibility', ['visibility'])
