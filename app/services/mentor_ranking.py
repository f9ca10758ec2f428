"""The mentor scorer: plain data in, ranked recommendations with a reason each out.

Scored from (SPEC §1 Discovery):

- public answers in threads similar to the goal, weighted by how similar the thread is, with
  "helped me" marks and votes counting extra;
- public answers on other questions carrying the goal's tags (the track record);
- the goal's tags among the topics a user mentors on (and, weaker, among their skills);
- time-zone fit with the owner (difference of the UTC offsets now);
- a small reputation prior that breaks near-ties.

No database, no index: ``mentor_recommendations`` gathers the evidence, and
``bench/recommend_relevance.py`` runs the very same ranking on Stack Exchange data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.timezones import tz_difference

MAX_CANDIDATES = 10
TAGS_SHOWN = 2  # tags named in a reason

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


def plural(n: int, word: str) -> str:
    """ "1 vote", "2 votes"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _tag_list(tags: Iterable[str]) -> str:
    return f"[{', '.join(tags)}]"


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
        parts.append(f"{plural(helpful, 'helpful answer')} on {where}")
    elif answers:
        parts.append(
            f"{plural(answers, 'answer')}"
            + (f", {plural(votes, 'vote')}" if votes > 0 else "")
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
        tag_weights: defaultdict[str, float] = defaultdict(float)
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
