"""public_activity: reputation and activity that outsiders may see

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:30:00

users.private_reputation holds reputation earned on anonymous questions and inside closed
goals (shown to its owner only); users.reputation keeps the public part. Existing votes and
helped-me marks on such posts move from the public to the private column. goals.public_status
and goals.public_target_date keep what the public saw when the goal closed.
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

UPVOTE_ANSWER, UPVOTE_QUESTION, DOWNVOTE, HELPED_ME = 10, 2, -2, 15

# Posts whose author is hidden from the public: the asker of an anonymous question (and
# their answers on it), and anything written inside a closed goal.
_PRIVATE_QUESTION_VOTES = """
SELECT q.owner_id, v.value FROM votes v JOIN questions q ON q.id = v.question_id
WHERE q.anonymous = :yes OR q.mentorship_id IS NOT NULL
"""
_PRIVATE_ANSWER_VOTES = """
SELECT a.owner_id, v.value FROM votes v JOIN answers a ON a.id = v.answer_id
JOIN questions q ON q.id = a.question_id
WHERE (q.anonymous = :yes AND a.owner_id = q.owner_id)
   OR a.mentorship_id IS NOT NULL OR q.mentorship_id IS NOT NULL
"""
_PRIVATE_HELPFUL = """
SELECT a.owner_id FROM helpful_marks h JOIN answers a ON a.id = h.answer_id
JOIN questions q ON q.id = a.question_id
WHERE a.owner_id <> q.owner_id AND (a.mentorship_id IS NOT NULL OR q.mentorship_id IS NOT NULL)
"""


def _private_points(bind) -> Counter:
    points: Counter = Counter()
    for owner_id, value in bind.execute(sa.text(_PRIVATE_QUESTION_VOTES), {"yes": True}):
        points[owner_id] += UPVOTE_QUESTION if value == 1 else DOWNVOTE
    for owner_id, value in bind.execute(sa.text(_PRIVATE_ANSWER_VOTES), {"yes": True}):
        points[owner_id] += UPVOTE_ANSWER if value == 1 else DOWNVOTE
    for (owner_id,) in bind.execute(sa.text(_PRIVATE_HELPFUL)):
        points[owner_id] += HELPED_ME
    return points


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_reputation', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_status', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('public_target_date', sa.Date(), nullable=True))
    bind = op.get_bind()
    move = sa.text("UPDATE users SET reputation = reputation - :p, "
                   "private_reputation = private_reputation + :p WHERE id = :id")
    for user_id, points in sorted(_private_points(bind).items()):
        if points:
            bind.execute(move, {"p": points, "id": user_id})


def downgrade():
    op.execute("UPDATE users SET reputation = reputation + private_reputation")
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_column('public_target_date')
        batch_op.drop_column('public_status')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('private_reputation')
