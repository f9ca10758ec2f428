"""Who sees which reputation (SPEC §1 "Votes and reputation", closed-mentorship rule 7).

The rule: reputation, counts, orders and times anyone else can see come from public, named
activity only; what is earned on anonymous questions or inside closed goals is kept and shown
to its owner alone. The model: two counters on the user row, kept by the services that award
points (ledger by column, not derived on read).

- ``users.reputation`` is the **public** reputation: what everyone else sees (profiles, the
  API's ``reputation``, numbers next to names, the ``/mentors`` order, candidate ranking).
  It counts public, named activity only: votes and "helped me" on posts an anonymous reader
  can see, whose author the public can see. The Stack Exchange importer adds to it in bulk
  (imported threads are public and named).
- ``users.private_reputation`` holds what is earned where the public must not look: votes on
  an anonymous question (its asker), on the asker's own answers under it, and votes and marks
  on content written inside a closed goal (``mentorship_id`` set; private forever). It is kept
  and shown to its owner alone (``shown_reputation``), on top of the public part.

Where a vote counts is decided by the post when it is cast (``counts_publicly``) and never
moves afterwards: anonymity and private marks are permanent. Public-phase content under a
goal that is closed right now is frozen for votes and marks (``require_not_sealed``, 409 for
the pair, 404 for everyone else): they would otherwise move its public score, its author's
public reputation or its "helped me" badge, which reappear when the goal reopens.

Both counters are columns, so lists (``/mentors``, names with numbers) read one column and
sort on it, with no aggregation per row. The reputation chart is
derived on read from the same rule (``public_only``): others see the weekly points from
public, named activity; the owner sees everything.
"""

from sqlalchemy import update

from app.core.errors import Conflict
from app.models import Answer, Question, User
from app.models.goals import VISIBILITY_OPEN
from app.services.phases import lock_goal

SEALED = (
    'This was posted while the goal was public; votes and "helped me" marks on it '
    "wait until the goal is public again."
)


def _thread(post) -> Question:
    return post.question if isinstance(post, Answer) else post


def is_private_content(post) -> bool:
    """Written inside a closed goal (the post or its question carries a private mark)."""
    return post.mentorship_id is not None or _thread(post).mentorship_id is not None


def hides_author(post) -> bool:
    """Whether the public must not learn who wrote this post: the asker of an anonymous
    question, on the question itself and on their own answers under it."""
    question = _thread(post)
    return bool(question.anonymous) and post.owner_id == question.owner_id


def counts_publicly(post) -> bool:
    """Whether reputation earned on this post counts in its author's public reputation."""
    return not is_private_content(post) and not hides_author(post)


def require_not_sealed(session, post) -> None:
    """Refuse votes and marks on public-phase content while its goal is closed (409)."""
    question = _thread(post)
    if question.goal_id is None or is_private_content(post):
        return
    if lock_goal(session, question.goal_id).visibility != VISIBILITY_OPEN:
        raise Conflict(SEALED)


def sealed_posts(question: Question, answers: list[Answer]) -> set[tuple[str, int]]:
    """The thread's posts whose votes and marks are frozen now, for the page's buttons."""
    goal = question.goal
    if goal is None or goal.visibility == VISIBILITY_OPEN:
        return set()
    posts: list[tuple[str, Question | Answer]] = [
        ("question", question),
        *(("answer", a) for a in answers),
    ]
    return {(kind, post.id) for kind, post in posts if not is_private_content(post)}


def credit(session, post, user_id: int, points: int) -> None:
    """Add points to a user's public or private reputation, by where the post counts."""
    if not points:
        return
    column = User.reputation if counts_publicly(post) else User.private_reputation
    session.execute(update(User).where(User.id == user_id).values({column.key: column + points}))


def is_self(viewer, user: User) -> bool:
    """Whether the viewer is this user (signed in)."""
    return (
        viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.id == user.id
    )


def shown_reputation(viewer, user: User) -> int:
    """The reputation this viewer may see: the total for the user themself, else public."""
    return user.total_reputation if is_self(viewer, user) else (user.reputation or 0)


def public_only(viewer, user: User) -> bool:
    """Whether derived views (the chart) must count public, named activity only."""
    return not is_self(viewer, user)
