"""The search tests' shared corpus: one document builder and the documents both suites index."""

from datetime import UTC, datetime, timedelta

from app.search.documents import SearchDocument

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def doc(
    kind,
    n,
    title,
    body="",
    tags=(),
    author="alice",
    age_days=0,
    score=0,
    answers=0,
    question_id=None,
    goal_id=None,
):
    """A document created age_days before T0 + 100 days."""
    return SearchDocument.make(
        kind,
        n,
        title=title,
        body=body,
        tags=list(tags),
        author=author,
        created_at=T0 + timedelta(days=100 - age_days),
        score=score,
        answer_count=answers,
        question_id=question_id,
        goal_id=goal_id,
    )


CORPUS = [
    doc(
        "question",
        1,
        "How do I run python tests in parallel",
        "pytest is slow for me",
        tags=["python", "testing"],
        author="alice",
        age_days=5,
        score=7,
        answers=2,
    ),
    doc(
        "question",
        2,
        "Deploying a flask app behind nginx",
        "gunicorn and python setup",
        tags=["python", "flask"],
        author="bob",
        age_days=3,
        score=2,
        answers=0,
    ),
    doc(
        "answer",
        3,
        "How do I run python tests in parallel",
        "use pytest-xdist for speed",
        author="carol",
        age_days=4,
        score=12,
        question_id=1,
    ),
    doc(
        "goal",
        4,
        "Become a confident python developer",
        "python every day, tests too",
        tags=["python", "career"],
        author="alice",
        age_days=1,
        score=0,
        goal_id=4,
    ),
    doc(
        "question",
        5,
        "Learning rust ownership rules",
        "borrow checker confuses me",
        tags=["rust"],
        author="",
        age_days=2,
        score=1,
        answers=0,
    ),  # anonymous
    doc(
        "question",
        6,
        "Secret sauce for sourdough",
        "python is not a snake here",
        tags=["cooking"],
        author="dave",
        age_days=0,
        score=-1,
        answers=1,
    ),
]
