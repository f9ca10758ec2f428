"""Goals: posting and editing, milestones, the progress journal, goal lists."""

from sqlalchemy import func, select

from app.core import validation as v
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.pagination import Page, paginate
from app.core.transaction import write_transaction
from app.core.visible_queries import visible_goal_items, visible_goals
from app.extensions import db
from app.models import Goal, JournalEntry, Milestone, User
from app.models.base import utcnow
from app.models.goals import STATUSES, VISIBILITY_OPEN, goal_tags
from app.rendering import render_markdown
from app.services.phases import FROZEN, lock_goal, private_mark_for, require_editable
from app.services.revisions import record_revision
from app.services.tags import get_or_create_tags, tag_filter

GOAL_FIELDS = ("title", "description", "tags", "target_date")


def _check_goal_fields(data: dict, *, partial: bool) -> dict:
    unknown = set(data) - set(GOAL_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown field.", {n: ["Unknown field."] for n in unknown})
    errors = v.FieldErrors()
    clean = {}
    checks = {
        "title": (v.check_title, {}),
        "description": (v.check_body, {"min_length": 0, "label": "Description"}),
        "tags": (v.check_post_tags, {}),
        "target_date": (v.check_optional_date, {}),
    }
    for name, (func_, kwargs) in checks.items():
        if name in data:
            clean[name] = errors.check(name, func_, data[name], **kwargs)
        elif not partial and name in ("title", "tags"):
            errors.add(name, "This field is required.")
    errors.raise_if_any()
    return clean


def create_goal(owner: User, data: dict) -> Goal:
    """Post a public goal: title 10–150, description ≤ 20,000, 1–5 tags, optional date."""
    clean = _check_goal_fields(data, partial=False)
    with write_transaction() as session:
        goal = Goal(
            owner_id=owner.id,
            title=clean["title"],
            description=clean.get("description", ""),
            description_html=render_markdown(clean.get("description", "")),
            target_date=clean.get("target_date"),
            tags=get_or_create_tags(clean["tags"]),
        )
        session.add(goal)
    return goal


def require_goal_owner(user: User, goal: Goal) -> None:
    """Only the owner may edit a goal, add milestones or write in its journal (else 403)."""
    if user is None or user.id != goal.owner_id:
        raise Forbidden("Only the goal's owner can do that.")


def edit_goal(user: User, goal: Goal, data: dict) -> Goal:
    """Change title/description/tags/date/status; the previous text becomes a revision."""
    require_goal_owner(user, goal)
    status = data.get("status")
    fields = {k: val for k, val in data.items() if k != "status"}
    clean = _check_goal_fields(fields, partial=True)
    if "status" in data and status not in STATUSES:
        raise ValidationFailed("Unknown status.", {"status": [f"One of: {', '.join(STATUSES)}."]})
    old_tags = [t.name for t in goal.tags]
    text_changed = (
        clean.get("title", goal.title) != goal.title
        or clean.get("description", goal.description) != goal.description
        or clean.get("tags", old_tags) != old_tags
    )
    with write_transaction() as session:
        if text_changed and lock_goal(session, goal.id).visibility != VISIBILITY_OPEN:
            raise Conflict(FROZEN)  # the public description must not take in private words
        if text_changed:
            record_revision(
                "goal", goal, user, title=goal.title, body=goal.description, tags=old_tags
            )
        if "title" in clean:
            goal.title = clean["title"]
        if "description" in clean:
            goal.description = clean["description"]
            goal.description_html = render_markdown(clean["description"])
        if "tags" in clean:
            goal.tags = get_or_create_tags(clean["tags"])
        if "target_date" in clean:
            goal.target_date = clean["target_date"]
        if status is not None:
            goal.status = status
        goal.updated_at = utcnow()
    return goal


def add_milestone(user: User, goal: Goal, data: dict) -> Milestone:
    """Append a milestone {title, due_date?, done?} to the owner's goal."""
    require_goal_owner(user, goal)
    errors = v.FieldErrors()
    unknown = set(data) - {"title", "due_date", "done"}
    for name in unknown:
        errors.add(name, "Unknown field.")
    title = errors.check(
        "title", v.clean_text, data.get("title"), max_length=v.MILESTONE_TITLE_MAX, label="Title"
    )
    if title == "":
        errors.add("title", "Title must not be empty.")
    due = errors.check("due_date", v.check_optional_date, data.get("due_date"))
    done = data.get("done", False)
    if not isinstance(done, bool):
        errors.add("done", "Must be true or false.")
    errors.raise_if_any()
    with write_transaction() as session:
        mark = private_mark_for(session, goal.id)
        # A public milestone counts positions among public ones only, so private milestones
        # leave no gap in the numbers the public sees after a reopen (rule 7).
        siblings = Milestone.goal_id == goal.id
        if mark is None:
            siblings = siblings & Milestone.mentorship_id.is_(None)
        position = (
            session.scalar(select(func.coalesce(func.max(Milestone.position), 0)).where(siblings))
            or 0
        ) + 1
        milestone = Milestone(
            goal_id=goal.id,
            position=position,
            title=title,
            due_date=due,
            done=done,
            done_at=utcnow() if done else None,
            mentorship_id=mark,
        )
        session.add(milestone)
    return milestone


def update_milestone(user: User, milestone: Milestone, data: dict) -> Milestone:
    """Mark a milestone done/undone, retitle it or move its due date."""
    require_goal_owner(user, milestone.goal)
    errors = v.FieldErrors()
    for name in set(data) - {"title", "due_date", "done"}:
        errors.add(name, "Unknown field.")
    clean = {}
    if "title" in data:
        clean["title"] = errors.check(
            "title", v.clean_text, data["title"], max_length=v.MILESTONE_TITLE_MAX, label="Title"
        )
        if clean["title"] == "":
            errors.add("title", "Title must not be empty.")
    if "due_date" in data:
        clean["due_date"] = errors.check("due_date", v.check_optional_date, data["due_date"])
    if "done" in data:
        if not isinstance(data["done"], bool):
            errors.add("done", "Must be true or false.")
        clean["done"] = data["done"]
    errors.raise_if_any()
    with write_transaction() as session:
        # A public-phase milestone is frozen while the goal is closed (title, date and done
        # state alike): a change would reappear when the goal reopens.
        if any(clean[name] != getattr(milestone, name) for name in clean):
            require_editable(session, milestone.goal_id, milestone)
        if "done" in clean and clean["done"] != milestone.done:
            milestone.done = clean["done"]
            milestone.done_at = utcnow() if clean["done"] else None
        if "title" in clean:
            milestone.title = clean["title"]
        if "due_date" in clean:
            milestone.due_date = clean["due_date"]
    return milestone


def add_journal_entry(user: User, goal: Goal, body) -> JournalEntry:
    """Write a progress update (Markdown) on the owner's goal."""
    require_goal_owner(user, goal)
    errors = v.FieldErrors()
    body = errors.check("body", v.check_body, body, label="Entry")
    errors.raise_if_any()
    with write_transaction() as session:
        mark = private_mark_for(session, goal.id)
        entry = JournalEntry(
            goal_id=goal.id,
            author_id=user.id,
            body=body,
            body_html=render_markdown(body, private=mark is not None),
            mentorship_id=mark,
        )
        session.add(entry)
    return entry


def list_goals(viewer, *, tag=None, status=None, owner=None, page=1, per_page=20) -> Page:
    """Goals the viewer may see, newest first, optionally by tag, status or owner."""
    query = visible_goals(viewer)
    if tag:
        query = query.where(tag_filter(goal_tags.c.goal_id, Goal.id, tag))
    if status:
        if status not in STATUSES:
            raise ValidationFailed(
                "Unknown status.", {"status": [f"One of: {', '.join(STATUSES)}."]}
            )
        query = query.where(Goal.status == status)
    if owner:
        query = query.join(User, User.id == Goal.owner_id).where(
            User.username == str(owner).lower()
        )
    return paginate(query.order_by(Goal.created_at.desc(), Goal.id.desc()), page, per_page)


def goal_contents(viewer, goal: Goal) -> dict:
    """The milestones and journal of a goal that the viewer may see, and their progress."""
    milestones = list(
        db.session.scalars(
            visible_goal_items(viewer, Milestone, goal).order_by(Milestone.position, Milestone.id)
        )
    )
    journal = list(
        db.session.scalars(
            visible_goal_items(viewer, JournalEntry, goal).order_by(
                JournalEntry.created_at, JournalEntry.id
            )
        )
    )
    done = sum(m.done for m in milestones)
    return {
        "milestones": milestones,
        "journal": journal,
        "progress": round(100 * done / len(milestones)) if milestones else 0,
    }
