"""Who a goal's owner might invite as mentor, ranked as SPEC §1 says, with a reason each.

First the people who answered this goal's questions (by "helped me" marks, then votes).
Then recommended mentors (SPEC §1 Discovery), scored by ``rank_mentors`` from:

- their public answers in threads similar to the goal (``backend.similar`` over the goal's
  title and description, questions only; every hit and every answer re-checked through the
  visibility gate as an anonymous reader, so private content never makes anyone a candidate),
  weighted by how similar the thread is, with "helped me" marks and votes counting extra;
- their public answers on other questions carrying the goal's tags (their track record);
- the goal's tags among the topics they mentor on (and, weaker, among their skills);
- time-zone fit with the owner (difference of the UTC offsets now);
- a small reputation prior that breaks near-ties.

Only users with ``mentor_available`` are recommended; never the owner, never anyone blocked
either way. The scorer works on plain data so that ``bench/recommend_relevance.py`` can run
the very same ranking for a Stack Exchange question without a Goal row (``recommend``).

Cost: one similar() lookup in the index plus about ten small queries, each bounded by the
similar threads read or by the candidate pool (see bench/README.md, "Mentor recommendations").
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import selectinload

from app.core.visible_queries import visible_answers, visible_questions
from app.extensions import db
from app.models import Answer, Goal, HelpfulMark, Question, User
from app.models.questions import question_tags
from app.models.tags import Tag, user_mentor_topics, user_skills
from app.search.documents import doc_id_for, html_to_text
from app.services.blocks import blocked_ids_of
from app.services.goals import require_goal_owner

log = logging.getLogger(__name__)

MAX_CANDIDATES = 10
ANSWERS_SHOWN = 3
SIMILAR_THREADS = 30  # similar questions read from the index (its cap is 50)
TOPIC_POOL = 50  # available mentors sharing topics, taken into the pool (most shared first)
TAGS_SHOWN = 2  # tags named in a reason
RECORD_POOL = 20  # the track record is read for this many front-runners only (it costs most)

# Weights of rank_mentors (chosen on bench/recommend_relevance.py; see bench/README.md).
ANSWER_WEIGHT = 1.0  # an answer in a similar thread, times the thread's similarity (0..1]
HELPFUL_WEIGHT = 3.0  # extra when that answer helped the asker
VOTE_WEIGHT = 0.5  # extra per log(1 + upvotes) of that answer
DOWNVOTED_PENALTY = 0.5  # less when the answer's net score is negative
TAG_RECORD_WEIGHT = 0.3  # per answer on another question with the goal's tags (+ helpful)
TAG_RECORD_CAP = 3.0  # the track record adds at most this much
MENTOR_TOPIC_WEIGHT = 2.0  # per goal tag the user mentors on
SKILL_WEIGHT = 1.0  # per goal tag among the user's skills (and not a mentor topic)
TZ_WEIGHT = 1.0  # times the fit: 1 same offset .. 0 twelve hours apart (0.5 unknown)
TZ_MENTION_HOURS = 3  # the reason names the time-zone fit up to this difference
REPUTATION_WEIGHT = 0.1  # times log(1 + reputation)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _tag_list(tags: Iterable[str]) -> str:
    return f"[{', '.join(tags)}]"


# -- the scorer (plain data in, ranked recommendations out) ----------------------------------


@dataclass(frozen=True)
class Thread:
    """A public question similar to the goal, with its similarity in (0, 1]."""

    question_id: int
    weight: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostedAnswer:
    """A public answer: who wrote it, on which question, its net score, whether it helped."""

    user_id: int
    question_id: int
    score: int = 0
    helpful: bool = False
    answer_id: int | None = None


@dataclass(frozen=True)
class TagRecord:
    """A user's public answers on other questions carrying the goal's tags."""

    answers: int = 0
    helpful: int = 0
    votes: int = 0
    tags: tuple[str, ...] = ()  # the goal's tags (named when no similar thread is)


@dataclass(frozen=True)
class Profile:
    """What the scorer knows about a user."""

    user_id: int
    available: bool = True
    mentor_topics: frozenset[str] = frozenset()  # only the goal's tags matter
    skills: frozenset[str] = frozenset()
    utc_offset: float | None = None  # hours, now
    reputation: int = 0


@dataclass
class Recommendation:
    """One recommended mentor: score (higher first), one-line reason and the evidence."""

    user_id: int
    score: float
    reason: str
    helpful: int = 0  # helpful answers counted (similar threads and tag record)
    votes: int = 0
    answers: int = 0
    answer_ids: list[int] = field(default_factory=list)  # best evidence first


def tz_difference(a: float | None, b: float | None) -> float | None:
    """Hours between two UTC offsets around the clock (0..12), None if either is unknown."""
    if a is None or b is None:
        return None
    diff = abs(a - b) % 24
    return min(diff, 24 - diff)


def utc_offset_hours(name: str | None, when: datetime | None = None) -> float | None:
    """The IANA zone's UTC offset in hours at ``when`` (now); None when malformed."""
    try:
        offset = (when or datetime.now(UTC)).astimezone(ZoneInfo(name or "")).utcoffset()
    except (ValueError, KeyError, OSError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def _answer_value(answer: PostedAnswer) -> float:
    value = ANSWER_WEIGHT + (HELPFUL_WEIGHT if answer.helpful else 0.0)
    if answer.score > 0:
        value += VOTE_WEIGHT * math.log1p(answer.score)
    elif answer.score < 0:
        value -= DOWNVOTED_PENALTY
    return max(value, 0.0)


def _reason(
    helpful: int,
    answers: int,
    votes: int,
    tags: list[str],
    topics: list[str],
    skills: list[str],
    tz: float | None,
) -> str:
    parts = []
    where = _tag_list(tags) if tags else "similar threads"
    if helpful:
        parts.append(f"{_plural(helpful, 'helpful answer')} on {where}")
    elif answers:
        parts.append(
            f"{_plural(answers, 'answer')}"
            + (f", {_plural(votes, 'vote')}" if votes > 0 else "")
            + f" on {where}"
        )
    if topics:
        parts.append(
            f"mentors on your {'topic' if len(topics) == 1 else 'topics'} {_tag_list(topics)}"
        )
    if skills:
        parts.append(
            f"skilled in your {'topic' if len(skills) == 1 else 'topics'} {_tag_list(skills)}"
        )
    if tz is not None and tz <= TZ_MENTION_HOURS:
        hours = f"{tz:g}".rstrip("0").rstrip(".") if tz % 1 else f"{int(tz)}"
        parts.append("same time zone as you" if tz == 0 else f"{hours} h from your time zone")
    return "; ".join(parts) or "available as a mentor"


def rank_mentors(
    *,
    goal_tags: Iterable[str],
    threads: Iterable[Thread],
    answers: Iterable[PostedAnswer],
    profiles: dict[int, Profile],
    tag_records: dict[int, TagRecord] | None = None,
    owner_offset: float | None = None,
    exclude: Iterable[int] = (),
    limit: int = MAX_CANDIDATES,
) -> list[Recommendation]:
    """Rank the users in ``profiles`` that are available and not excluded.

    Pure: no database, no index. ``answers`` are public answers on the ``threads`` (others
    are ignored); a user with no evidence at all (no answer, tag record or shared topic)
    is not recommended.
    """
    goal_tags = set(goal_tags)
    excluded = set(exclude)
    thread_by_id = {t.question_id: t for t in threads}
    tag_records = tag_records or {}
    evidence: dict[int, list[tuple[float, PostedAnswer]]] = defaultdict(list)
    for answer in answers:
        thread = thread_by_id.get(answer.question_id)
        if thread is not None:
            evidence[answer.user_id].append((thread.weight * _answer_value(answer), answer))
    ranked = []
    for user_id, profile in profiles.items():
        if user_id in excluded or not profile.available:
            continue
        mine = sorted(evidence.get(user_id, []), key=lambda e: (-e[0], e[1].answer_id or 0))
        record = tag_records.get(user_id, TagRecord())
        topics = sorted(profile.mentor_topics & goal_tags)
        skills = sorted((profile.skills & goal_tags) - set(topics))
        if not mine and not record.answers and not topics and not skills:
            continue
        tz = tz_difference(owner_offset, profile.utc_offset)
        score = (
            sum(value for value, _ in mine)
            + min(TAG_RECORD_CAP, TAG_RECORD_WEIGHT * (record.answers + record.helpful))
            + MENTOR_TOPIC_WEIGHT * len(topics)
            + SKILL_WEIGHT * len(skills)
            + TZ_WEIGHT * (0.5 if tz is None else 1 - tz / 12)
            + REPUTATION_WEIGHT * math.log1p(max(profile.reputation, 0))
        )
        helpful = sum(1 for _, a in mine if a.helpful) + record.helpful
        answered = len(mine) + record.answers
        votes = sum(a.score for _, a in mine) + record.votes
        tag_weights: Counter[str] = Counter()
        for value, answer in mine:
            for tag in thread_by_id[answer.question_id].tags:
                tag_weights[tag] += value + (1.0 if tag in goal_tags else 0.0)
        for position, tag in enumerate(record.tags):
            tag_weights[tag] += 1.0 / (position + 1)
        tags = [t for t, _ in sorted(tag_weights.items(), key=lambda kv: (-kv[1], kv[0]))]
        ranked.append(
            Recommendation(
                user_id=user_id,
                score=score,
                helpful=helpful,
                votes=votes,
                answers=answered,
                reason=_reason(helpful, answered, votes, tags[:TAGS_SHOWN], topics, skills, tz),
                answer_ids=[a.answer_id for _, a in mine if a.answer_id is not None],
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.user_id))
    return ranked[: max(0, limit)]


# -- gathering the evidence from the database and the index ---------------------------------

_cache: OrderedDict = OrderedDict()  # key -> (index version, similar hits); ids only
_cache_lock = threading.Lock()
CACHE_SIZE = 2048


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
        with _cache_lock:
            entry = _cache.get(key) if key is not None else None
        if entry is not None and entry[0] == version:
            return entry[1]
        hits = backend.similar(
            text, limit=SIMILAR_THREADS, exclude_doc_ids=exclude_doc_ids, types=("question",)
        )
    except Exception:  # a broken index must not break the goal page
        log.exception("similar-threads lookup for mentor recommendations failed")
        return []
    top = max((h.score for h in hits), default=0.0) or 1.0
    found = [(h.id, max(h.score, 0.0) / top) for h in hits if h.type == "question"]
    if key is not None:
        with _cache_lock:
            _cache[key] = (version, found)
            _cache.move_to_end(key)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
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


# -- the goal page and the API ----------------------------------------------------------------


def _answerers(goal: Goal, refused: set[int]) -> list[dict]:
    rows = db.session.execute(
        select(
            Answer.owner_id,
            func.count(HelpfulMark.answer_id).label("helpful"),
            func.coalesce(func.sum(Answer.score), 0).label("votes"),
            func.count(Answer.id).label("answers"),
        )
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .where(
            Question.goal_id == goal.id,
            Answer.owner_id != goal.owner_id,
            Answer.owner_id.notin_(refused or {-1}),
            # Hidden by moderators (rule 3 of the gate): no evidence for anyone.
            Answer.hidden_at.is_(None),
            Question.hidden_at.is_(None),
        )
        .group_by(Answer.owner_id)
        .order_by(
            func.count(HelpfulMark.answer_id).desc(),
            func.coalesce(func.sum(Answer.score), 0).desc(),
            Answer.owner_id,
        )
        .limit(MAX_CANDIDATES)
    ).all()
    if not rows:
        return []
    owners = [r.owner_id for r in rows]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(owners)))}
    shown: dict[int, list[Answer]] = defaultdict(list)
    for answer in db.session.scalars(
        select(Answer)
        .join(Question, Answer.question_id == Question.id)
        .where(
            Question.goal_id == goal.id,
            Answer.owner_id.in_(owners),
            Answer.hidden_at.is_(None),
            Question.hidden_at.is_(None),
        )
        .options(
            selectinload(Answer.question).lazyload(Question.tags), selectinload(Answer.helpful_mark)
        )
        .order_by(Answer.score.desc(), Answer.id)
    ):
        if len(shown[answer.owner_id]) < ANSWERS_SHOWN:
            shown[answer.owner_id].append(answer)
    found = []
    for row in rows:
        votes = int(row.votes)
        found.append(
            {
                "user": users[row.owner_id],
                "helpful": row.helpful,
                "votes": votes,
                "answers": shown[row.owner_id],
                "reason": f"{_plural(row.helpful, 'helpful answer')} and {_plural(votes, 'vote')} "
                f"on this goal ({_plural(row.answers, 'answer')} in all)",
            }
        )
    return found


def _goal_text(goal: Goal) -> str:
    return f"{goal.title}\n{html_to_text(goal.description_html)}"


def _recommended(goal: Goal, owner: User, exclude: set[int], limit: int) -> list[dict]:
    if limit <= 0:
        return []
    own_questions = list(db.session.scalars(select(Question.id).where(Question.goal_id == goal.id)))
    tag_names = [tag.name for tag in goal.tags]  # loaded with the goal
    recs = recommend(
        _goal_text(goal),
        tag_names,
        exclude_users=exclude,
        exclude_doc_ids=[
            doc_id_for("goal", goal.id),
            *(doc_id_for("question", q) for q in own_questions[-99:]),
        ],
        exclude_question_ids=own_questions,
        owner_timezone=owner.timezone,
        limit=limit,
        cache_key=(current_app.config["SEARCH_INDEX_DIR"], "goal", goal.id),
    )
    if not recs:
        return []
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in recs])))
    }
    evidence_ids = [i for r in recs for i in r.answer_ids[:ANSWERS_SHOWN]]
    evidence = (
        {
            a.id: a
            for a in db.session.scalars(
                select(Answer)
                .where(Answer.id.in_(evidence_ids))
                .options(
                    selectinload(Answer.question).lazyload(Question.tags),
                    selectinload(Answer.helpful_mark),
                )
            )
        }
        if evidence_ids
        else {}
    )
    # "helpful" and "votes" stay about this goal (the API's helpful_on_goal/votes_on_goal).
    return [
        {
            "user": users[r.user_id],
            "helpful": 0,
            "votes": 0,
            "reason": r.reason,
            "answers": [evidence[i] for i in r.answer_ids[:ANSWERS_SHOWN] if i in evidence],
            "recommendation": r,
        }
        for r in recs
        if r.user_id in users and not users[r.user_id].is_suspended
    ]


def mentor_candidates(owner: User, goal: Goal) -> list[dict]:
    """Ranked candidates for the owner's invite dialog (never the owner)."""
    require_goal_owner(owner, goal)
    refused = blocked_ids_of(owner)  # never suggest someone blocked, either way
    # A deleted or suspended account keeps its answers but can no longer mentor anyone.
    first = [
        c
        for c in _answerers(goal, refused)
        if not c["user"].is_deleted and not c["user"].is_suspended
    ]
    seen = {goal.owner_id, *refused, *(c["user"].id for c in first)}
    return first + _recommended(goal, owner, seen, max(0, MAX_CANDIDATES - len(first)))
