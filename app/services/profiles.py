"""Profile extras and the mentors directory (issue 6: people and discovery).

The reputation chart counts votes and helped-me marks per week, totals only, never titles:
the user sees everything they earned; anyone else sees public, named activity only (the
posts an anonymous reader can see, minus anonymous askers), the same rule as the number
(app/services/reputation.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from app.core.asker import can_see_asker_clause
from app.core.pagination import paginate
from app.core.timezones import as_utc, local_time, parse_offset, zones_near
from app.core.validation import TAG_MAX, TAG_RE, parse_int
from app.core.visible_queries import visible_answers, visible_questions
from app.extensions import db
from app.models import Answer, HelpfulMark, Question, Tag, User, Vote
from app.models.tags import user_mentor_topics, user_skills
from app.services.blocks import blocked_ids_of
from app.services.reputation import public_only, shown_reputation
from app.services.votes import DOWNVOTE, HELPED_ME, UPVOTE_ANSWER, UPVOTE_QUESTION

CHART_WEEKS = 26


@dataclass
class Week:
    start: datetime
    points: int


def _own_answers(viewer, user: User):
    """Ids of the user's answers the viewer can see, leaving out (like the profile's answer
    list) the asker's answers on their own anonymous questions, which would name them."""
    return (
        visible_answers(viewer)
        .with_only_columns(Answer.id)
        .where(
            Answer.owner_id == user.id,
            or_(can_see_asker_clause(viewer), Question.owner_id != Answer.owner_id),
        )
    )


def reputation_history(
    viewer, user: User, weeks: int = CHART_WEEKS, now: datetime | None = None
) -> list[Week]:
    """Reputation earned per week (oldest first) from events on posts the viewer can see.

    Anonymous questions count only for their asker and admins, as on the rest of the profile.
    """
    now = as_utc(now or datetime.now(UTC))
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    first = monday - timedelta(weeks=weeks - 1)
    questions = (
        visible_questions(viewer)
        .with_only_columns(Question.id)
        .where(Question.owner_id == user.id, can_see_asker_clause(viewer))
    )
    answers = _own_answers(viewer, user)
    events: list[tuple[datetime, int]] = []
    for value, created in db.session.execute(
        select(Vote.value, Vote.created_at).where(
            Vote.question_id.in_(questions), Vote.created_at >= first
        )
    ):
        events.append((created, UPVOTE_QUESTION if value == 1 else DOWNVOTE))
    for value, created in db.session.execute(
        select(Vote.value, Vote.created_at).where(
            Vote.answer_id.in_(answers), Vote.created_at >= first
        )
    ):
        events.append((created, UPVOTE_ANSWER if value == 1 else DOWNVOTE))
    for (created,) in db.session.execute(
        select(HelpfulMark.created_at).where(
            HelpfulMark.answer_id.in_(answers), HelpfulMark.created_at >= first
        )
    ):
        events.append((created, HELPED_ME))
    buckets = [Week(first + timedelta(weeks=i), 0) for i in range(weeks)]
    for created, points in events:
        index = (as_utc(created) - first).days // 7
        if 0 <= index < weeks:
            buckets[index].points += points
    return buckets


@dataclass
class Chart:
    """Geometry of the inline SVG bar chart (the template draws it)."""

    width: int
    height: int
    baseline: float
    bars: list[dict]
    total: int
    best: Week | None
    weeks: int


def reputation_chart(history: list[Week], width: int = 312, height: int = 80) -> Chart:
    """Bars per week, scaled to the largest week; negative weeks hang below the baseline."""
    top = max([w.points for w in history] + [0])
    bottom = min([w.points for w in history] + [0])
    span = (top - bottom) or 1
    baseline = round(height * top / span, 1) if top or bottom else height - 1
    step = width / max(len(history), 1)
    bars = []
    for i, week in enumerate(history):
        size = abs(week.points) * height / span
        y = baseline - size if week.points >= 0 else baseline
        bars.append(
            {
                "x": round(i * step + 1, 1),
                "y": round(y, 1),
                "width": round(max(step - 2, 1), 1),
                "height": round(size, 1),
                "week": week,
                "negative": week.points < 0,
            }
        )
    active = [w for w in history if w.points]
    best = max(active, key=lambda w: w.points) if active else None
    return Chart(width, height, baseline, bars, sum(w.points for w in history), best, len(history))


def helped_count(viewer, user: User) -> int:
    """How many of the user's answers (that the viewer can see) were marked "helped me"."""
    answers = _own_answers(viewer, user)
    return (
        db.session.scalar(
            select(func.count()).select_from(HelpfulMark).where(HelpfulMark.answer_id.in_(answers))
        )
        or 0
    )


def profile_extras(viewer, user: User) -> dict:
    """Template values for the profile: reputation, chart, local time, helped-me count."""
    # Others count public, named activity only: what a reader without an account sees.
    counted_as = None if public_only(viewer, user) else viewer
    return {
        "shown_reputation": shown_reputation(viewer, user),
        "rep_chart": reputation_chart(reputation_history(counted_as, user)),
        "local_time": local_time(user.timezone),
        "helped_count": helped_count(counted_as, user),
    }


# -- mentors directory --------------------------------------------------------------------------

MAX_TZ_RANGE = 12
TEXT_MAX = 100


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def mentor_directory(args, page: int = 1, per_page: int = 20, viewer=None):
    """Available mentors filtered by topic, availability, time zone and free text.

    ``args`` is a dict of raw strings (query string). Bad filters are ignored and explained
    in the returned messages, never an error page. Returns (Page, filters, messages).
    Suspended and deleted accounts are never listed, nor anyone the viewer blocked or was
    blocked by (they could not invite each other anyway).
    """
    messages: list[str] = []
    filters: dict[str, str] = {}
    query = select(User).where(
        User.mentor_available.is_(True), User.suspended_at.is_(None), User.deleted_at.is_(None)
    )
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        blocked_ids = blocked_ids_of(viewer)
        if blocked_ids:
            query = query.where(User.id.notin_(blocked_ids))

    topic = (args.get("topic") or "").strip().lower()
    if topic:
        if len(topic) > TAG_MAX or not TAG_RE.fullmatch(topic):
            messages.append(f"“{topic[:40]}” is not a tag name; the topic filter was ignored.")
        else:
            filters["topic"] = topic
            # No "no such tag" message: that a tag exists may tell it is used on private
            # posts only (rule 7); an unknown topic simply lists nobody.
            tag_id = db.session.scalar(select(Tag.id).where(Tag.name == topic))
            query = query.where(
                User.id.in_(
                    select(user_mentor_topics.c.user_id).where(
                        user_mentor_topics.c.tag_id == (tag_id or -1)
                    )
                )
            )

    availability = (args.get("availability") or "").strip()[:TEXT_MAX]
    if availability:
        filters["availability"] = availability
        query = query.where(User.availability.ilike(_like(availability), escape="\\"))

    text = (args.get("q") or "").strip()[:TEXT_MAX]
    if text:
        filters["q"] = text
        pattern = _like(text)
        skill_users = (
            select(user_skills.c.user_id)
            .join(Tag, Tag.id == user_skills.c.tag_id)
            .where(Tag.name.ilike(pattern, escape="\\"))
        )
        query = query.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
                User.bio.ilike(pattern, escape="\\"),
                User.id.in_(skill_users),
            )
        )

    tz = (args.get("tz") or "").strip()[:64]
    if tz:
        offset = parse_offset(tz)
        raw_range = (args.get("tz_range") or "2").strip()
        hours = parse_int(raw_range, minimum=0, maximum=MAX_TZ_RANGE)
        if hours is None:
            messages.append(
                f"The time zone range must be 0–{MAX_TZ_RANGE} hours; 2 hours was used."
            )
            hours = 2
        if offset is None:
            messages.append(
                f"“{tz[:40]}” is not a time zone (try Europe/Berlin or UTC+2); "
                "the time zone filter was ignored."
            )
        else:
            filters["tz"], filters["tz_range"] = tz, str(hours)
            query = query.where(User.timezone.in_(zones_near(offset, hours)))

    query = query.order_by(User.reputation.desc(), User.id)
    return paginate(query, page, per_page), filters, messages
