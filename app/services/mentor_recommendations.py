"""Recommended mentors for a goal-like text and tags: the evidence, read from the database
and the search index, handed to the scorer (``mentor_ranking.rank_mentors``).

Similar threads come from ``backend.similar`` over the text (questions only); every hit and
every answer is re-checked through the visibility gate as an anonymous reader, so private
content never makes anyone a candidate. Only users with ``mentor_available`` are
recommended; callers exclude the owner and anyone blocked either way. No Goal row is needed,
so ``bench/recommend_relevance.py`` can run it for a Stack Exchange question.

Cost: one similar() lookup in the index plus about ten small queries, each bounded by the
similar threads read or by the candidate pool (see bench/README.md, "Mentor recommendations").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, literal, select, union_all

from app.core.lru import VersionedLRU
from app.core.timezones import utc_offset_hours
from app.core.visible_queries import visible_answers, visible_questions
from app.extensions import db
from app.models import Answer, HelpfulMark, Question, User
from app.models.questions import question_tags
from app.models.tags import Tag, user_mentor_topics, user_skills
from app.services.mentor_ranking import (
    MAX_CANDIDATES,
    PostedAnswer,
    Profile,
    Recommendation,
    TagRecord,
    Thread,
    rank_mentors,
)

log = logging.getLogger(__name__)

SIMILAR_THREADS = 30  # similar questions read from the index (its cap is 50)
TOPIC_POOL = 50  # available mentors sharing topics, taken into the pool (most shared first)
RECORD_POOL = 20  # the track record is read for this many front-runners only (it costs most)
CACHE_SIZE = 2048
_cache = VersionedLRU(CACHE_SIZE)  # key -> similar hits of an index version; ids only


def _similar_threads(
    text: str, exclude_doc_ids: list[str], backend, cache_key: tuple | None = None
) -> list[tuple[int, float]]:
    """(question id, similarity 0..1) of the index's best matches; [] if it cannot answer.

    With a cache key (the goal page), the hits are kept per process until the index
    changes; they are only ids, re-checked through the gate on every call.
    """
    try:
        if backend is None:
            from app.search.service import get_backend  # the search package imports services

            backend = get_backend()
        version = backend.version() if cache_key is not None else None
        key = (*cache_key, text, tuple(exclude_doc_ids)) if cache_key is not None else None
        cached = _cache.get(key, version) if key is not None else None
        if cached is not None:
            return cached
        hits = backend.similar(
            text, limit=SIMILAR_THREADS, exclude_doc_ids=exclude_doc_ids, types=("question",)
        )
    except Exception:  # a broken index must not break the goal page
        log.exception("similar-threads lookup for mentor recommendations failed")
        return []
    top = max((h.score for h in hits), default=0.0) or 1.0
    found = [(h.id, max(h.score, 0.0) / top) for h in hits if h.type == "question"]
    if key is not None:
        _cache.put(key, version, found)
    return found


def _public_threads(similar: list[tuple[int, float]]) -> list[Thread]:
    """The similar questions an anonymous reader may see now (the gate decides), with tags."""
    if not similar:
        return []
    ids = [qid for qid, _ in similar]
    tags: dict[int, list[str]] = {}
    for qid, name in db.session.execute(
        visible_questions(None)
        .with_only_columns(Question.id, Tag.name)
        .outerjoin(question_tags, question_tags.c.question_id == Question.id)
        .outerjoin(Tag, Tag.id == question_tags.c.tag_id)
        .where(Question.id.in_(ids))
        .order_by(Tag.name)
    ):
        tags.setdefault(qid, [])
        if name is not None:
            tags[qid].append(name)
    return [Thread(qid, weight, tuple(tags[qid])) for qid, weight in similar if qid in tags]


def _public_answers(
    question_ids: list[int], excluded: set[int], exclude_answer_ids: set[int]
) -> list[PostedAnswer]:
    """Public answers (through the gate) on these questions, by users not excluded."""
    if not question_ids:
        return []
    rows = db.session.execute(
        visible_answers(None)
        .with_only_columns(
            Answer.id, Answer.owner_id, Answer.question_id, Answer.score, HelpfulMark.answer_id
        )
        .outerjoin(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .where(Answer.question_id.in_(question_ids), Answer.owner_id.notin_(excluded or {-1}))
    )
    return [
        PostedAnswer(owner, qid, score or 0, mark is not None, aid)
        for aid, owner, qid, score, mark in rows
        if aid not in exclude_answer_ids
    ]


def _topic_mentor_ids(tag_names: list[str], excluded: set[int]) -> list[int]:
    """Available mentors whose topics or skills include the tags (most shared first)."""
    if not tag_names:
        return []
    tag_ids = select(Tag.id).where(Tag.name.in_(tag_names))
    overlap = (
        select(
            user_mentor_topics.c.user_id.label("user_id"),
            user_mentor_topics.c.tag_id.label("tag_id"),
        )
        .where(user_mentor_topics.c.tag_id.in_(tag_ids))
        .union(
            select(user_skills.c.user_id, user_skills.c.tag_id).where(
                user_skills.c.tag_id.in_(tag_ids)
            )
        )
    ).subquery()
    return list(
        db.session.scalars(
            select(User.id)
            .join(overlap, overlap.c.user_id == User.id)
            .where(User.mentor_available.is_(True), User.id.notin_(excluded or {-1}))
            .group_by(User.id)
            .order_by(func.count(overlap.c.tag_id).desc(), User.reputation.desc(), User.id)
            .limit(TOPIC_POOL)
        )
    )


def _profiles(user_ids: set[int], tag_names: list[str], when: datetime) -> dict[int, Profile]:
    """Profiles of the available users among these ids (topics limited to the tags)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.timezone, User.reputation).where(
            User.id.in_(user_ids), User.mentor_available.is_(True)
        )
    ).all()
    available = [r.id for r in rows]
    shared: dict[tuple[str, int], set[str]] = defaultdict(set)
    if available and tag_names:
        kinds = [
            select(literal(kind).label("kind"), table.c.user_id, Tag.name)
            .join(Tag, Tag.id == table.c.tag_id)
            .where(table.c.user_id.in_(available), Tag.name.in_(tag_names))
            for kind, table in (("topic", user_mentor_topics), ("skill", user_skills))
        ]
        for kind, user_id, name in db.session.execute(union_all(*kinds)):
            shared[(kind, user_id)].add(name)
    return {
        r.id: Profile(
            r.id,
            True,
            frozenset(shared[("topic", r.id)]),
            frozenset(shared[("skill", r.id)]),
            utc_offset_hours(r.timezone, when),
            r.reputation or 0,
        )
        for r in rows
    }


def _tag_records(
    user_ids: set[int], tag_names: list[str], skip_questions: set[int], exclude_answer_ids: set[int]
) -> dict[int, TagRecord]:
    """Public answers by these users on other questions carrying any of the tags."""
    if not user_ids or not tag_names:
        return {}
    # EXISTS, not a join: the database starts from these users' answers (owner index)
    # rather than from every question of a popular tag (60 ms -> 1 ms at 150k posts).
    tagged = (
        select(question_tags.c.question_id)
        .where(
            question_tags.c.question_id == Question.id,
            question_tags.c.tag_id.in_(select(Tag.id).where(Tag.name.in_(tag_names))),
        )
        .exists()
    )
    rows = db.session.execute(
        visible_answers(None)
        .with_only_columns(Answer.id, Answer.owner_id, Answer.score, HelpfulMark.answer_id)
        .outerjoin(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        # Answer ids from the owner index, then their threads (SQLite started from the
        # questions otherwise, even with the EXISTS).
        .where(
            Answer.id.in_(select(Answer.id).where(Answer.owner_id.in_(user_ids))),
            tagged,
            Question.id.notin_(skip_questions or {-1}),
        )
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for aid, owner, score, mark in rows:
        if aid in exclude_answer_ids:
            continue
        counts[owner][0] += 1
        counts[owner][1] += mark is not None
        counts[owner][2] += score or 0
    return {
        owner: TagRecord(n, helpful, votes, tuple(tag_names))
        for owner, (n, helpful, votes) in counts.items()
    }


def recommend(
    text: str,
    tag_names: Iterable[str],
    *,
    exclude_users: Iterable[int] = (),
    exclude_doc_ids: Iterable[str] = (),
    exclude_question_ids: Iterable[int] = (),
    exclude_answer_ids: Iterable[int] = (),
    owner_timezone: str | None = None,
    limit: int = MAX_CANDIDATES,
    backend=None,
    cache_key: tuple | None = None,
    when: datetime | None = None,
) -> list[Recommendation]:
    """Recommended mentors for a goal-like text and tags (no Goal row needed).

    ``exclude_doc_ids`` are left out of the similar lookup (the goal and its questions);
    ``exclude_question_ids`` and ``exclude_answer_ids`` are never used as evidence.
    """
    tag_names = sorted(set(tag_names))
    excluded = set(exclude_users)
    skip_questions = set(exclude_question_ids)
    skip_answers = set(exclude_answer_ids)
    when = when or datetime.now(UTC)
    similar = [
        (q, w)
        for q, w in _similar_threads(text, list(exclude_doc_ids), backend, cache_key)
        if q not in skip_questions
    ]
    threads = _public_threads(similar)
    answers = _public_answers([t.question_id for t in threads], excluded, skip_answers)
    pool = {a.user_id for a in answers} | set(_topic_mentor_ids(tag_names, excluded))
    profiles = _profiles(pool - excluded, tag_names, when)
    owner_offset = utc_offset_hours(owner_timezone, when)
    front = rank_mentors(
        goal_tags=tag_names,
        threads=threads,
        answers=answers,
        profiles=profiles,
        exclude=excluded,
        owner_offset=owner_offset,
        limit=max(RECORD_POOL, limit),
    )
    # The track record (all of a user's answers on the tags) is the one costly read: only
    # the front-runners get it (it adds at most TAG_RECORD_CAP), and mentors who share a
    # topic but have no answer in the similar threads.
    readers = {r.user_id for r in front}
    records = _tag_records(
        readers, tag_names, skip_questions | {t.question_id for t in threads}, skip_answers
    )
    return rank_mentors(
        goal_tags=tag_names,
        threads=threads,
        answers=answers,
        profiles=profiles,
        tag_records=records,
        exclude=excluded,
        limit=limit,
        owner_offset=owner_offset,
    )
