"""Demo data for a living local site: demo users and their goals, all through the services.

Everything here is idempotent: users are found by username, goals by owner and title. Each
demo goal (with its milestones, journal, questions, answers, marks and outcome) is written in
one transaction, so a goal either exists complete or not at all.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Goal, User
from app.services import goals as goal_service
from app.services import helpful, questions
from app.services.accounts import find_user_by_login, register_user, update_profile
from app.services.transaction import write_transaction

DEMO_PASSWORD = "journster-demo"  # noqa: S105
DEMO_USERS = [
    {
        "username": "ada", "email": "ada@example.com", "display_name": "Ada",
        "bio": "Backend engineer. Learning to **speak at conferences**.",
        "skills": ["python", "postgresql"], "timezone": "Europe/London",
        "mentor_available": True, "mentor_topics": ["python", "databases"],
        "preferred_modes": ["message", "video"], "availability": "Weekday evenings",
        "response_time_hours": 24,
    },
    {
        "username": "grace", "email": "grace@example.com", "display_name": "Grace",
        "bio": "Engineering manager; happy to help with *career* questions.",
        "skills": ["leadership", "career"], "timezone": "America/New_York",
        "mentor_available": True, "mentor_topics": ["career", "interviews"],
        "preferred_modes": ["message", "phone"], "availability": "Saturday mornings",
        "response_time_hours": 48,
    },
    {
        "username": "linus", "email": "linus@example.com", "display_name": "Linus",
        "bio": "Student, aiming for a first open-source contribution.",
        "skills": ["c", "git"], "timezone": "Europe/Helsinki",
        "mentor_available": False, "mentor_topics": [], "preferred_modes": ["message"],
        "availability": "", "response_time_hours": None,
    },
]

# Each goal: owner, fields, milestones as (title, done), journal entries, and questions with
# answers as (author, body, helped_me) and an optional outcome.
DEMO_GOALS = [
    {
        "owner": "ada",
        "goal": {
            "title": "Give my first conference talk on PostgreSQL",
            "description": (
                "I have run PostgreSQL in production for six years and want to share what "
                "I learned about **query planning** at a regional conference this year.\n\n"
                "Success: a 30-minute talk delivered, slides online, and one person telling "
                "me it helped them."
            ),
            "tags": ["public-speaking", "postgresql"],
        },
        "milestones": [
            ("Pick a topic and write the abstract", True),
            ("Submit to two calls for papers", True),
            ("Rehearse at the local meetup", False),
            ("Give the talk", False),
        ],
        "journal": [
            "Wrote three abstracts and asked two colleagues which one they would attend. "
            "*Reading query plans* won by a mile.",
            "Submitted to two conferences. One rejection already; the feedback said the "
            "abstract promised too much for 30 minutes, so I cut it down.",
        ],
        "questions": [
            {
                "title": "How do I structure a 30-minute technical talk?",
                "body": (
                    "My talk is about reading PostgreSQL query plans. I have far more "
                    "material than fits in 30 minutes. How do experienced speakers decide "
                    "what to cut, and how much time should go to live examples?"
                ),
                "tags": ["public-speaking", "postgresql"],
                "answers": [
                    ("grace", "Pick **one** idea people should leave with and cut everything "
                     "that does not serve it. Budget 3 minutes for the opening, 20 for three "
                     "worked examples, 5 for the recap and questions.", True),
                    ("linus", "As someone in the audience: show the plan for a slow query, "
                     "then fix it live. That is the part I would remember.", True),
                ],
                "outcome": (
                    "I cut the talk to three examples, as Grace suggested, and opened with "
                    "Linus's slow-query fix. The meetup rehearsal ran 28 minutes."
                ),
            },
            {
                "title": "What do I do when a live demo fails on stage?",
                "body": (
                    "I plan to run queries live. What is the usual fallback when the demo "
                    "breaks in front of a few hundred people?"
                ),
                "tags": ["public-speaking"],
                "answers": [
                    ("grace", "Record the demo beforehand and keep the video one click "
                     "away. Say calmly that you will switch to the recording; nobody minds.",
                     False),
                ],
            },
        ],
    },
    {
        "owner": "grace",
        "goal": {
            "title": "Grow from engineering manager to director within a year",
            "description": (
                "I manage two teams and want to take on a director role. I need to learn "
                "to plan across teams and to write a convincing promotion case."
            ),
            "tags": ["career", "leadership"],
        },
        "milestones": [
            ("Agree on expectations with my manager", True),
            ("Lead one cross-team project", False),
            ("Write the promotion case", False),
        ],
        "journal": [
            "Had the expectations talk. The gap is strategy: I fix problems well but rarely "
            "say which problems we should not solve.",
        ],
        "questions": [
            {
                "title": "What should a director-level promotion case contain?",
                "body": (
                    "My company has no template for director promotions. What evidence do "
                    "committees look for beyond delivery of projects?"
                ),
                "tags": ["career", "leadership"],
                "answers": [
                    ("ada", "Show decisions with trade-offs across teams: what you chose not "
                     "to do and why. Committees look for judgement, not throughput.", True),
                    ("linus", "From the other side of the table: quotes from the engineers "
                     "you grew are very convincing.", False),
                ],
            },
        ],
    },
    {
        "owner": "linus",
        "goal": {
            "title": "Land my first merged open-source pull request",
            "description": (
                "I know C and git from university. I want one pull request merged into a "
                "real project before the summer."
            ),
            "tags": ["open-source", "git", "c"],
        },
        "milestones": [
            ("Choose a project and build it locally", True),
            ("Find a beginner-friendly issue", False),
            ("Open the pull request", False),
        ],
        "journal": [
            "Built the project from source; it took an evening to get the test suite "
            "running, but it passes now.",
        ],
        "questions": [
            {
                "title": "How do I find a beginner-friendly issue in a large C project?",
                "body": (
                    "The issue tracker has thousands of open issues. How do I find one that "
                    "a newcomer can finish in a week or two?"
                ),
                "tags": ["open-source", "c"],
                "answers": [
                    ("ada", "Look for labels such as `good first issue`, then read the "
                     "last ten merged pull requests to see what reviewers expect.", False),
                    ("grace", "Ask in the project's chat which areas need help: maintainers "
                     "often know small tasks that never made it into the tracker.", False),
                ],
            },
        ],
    },
]


@dataclass
class DemoSummary:
    """What a demo run created."""

    goals: int = 0
    goals_existing: int = 0


def ensure_demo_users() -> int:
    """Create the demo accounts that do not exist yet; returns how many were created."""
    created = 0
    for spec in DEMO_USERS:
        if find_user_by_login(spec["username"]) is not None:
            continue
        profile = {k: val for k, val in spec.items() if k not in ("username", "email")}
        user = register_user(spec["username"], spec["email"], DEMO_PASSWORD,
                             display_name=profile.pop("display_name"), verified=True)
        update_profile(user, profile)
        created += 1
    return created


def ensure_demo_goals() -> DemoSummary:
    """Create the demo goals whose owner exists and who has no goal with that title yet."""
    summary = DemoSummary()
    for spec in DEMO_GOALS:
        users = {name: find_user_by_login(name) for name in _names_in(spec)}
        if any(user is None for user in users.values()):
            continue  # the demo users come first; without them there is nothing to show
        owner = users[spec["owner"]]
        exists = db.session.scalar(select(Goal.id).where(
            Goal.owner_id == owner.id, Goal.title == spec["goal"]["title"]))
        if exists is not None:
            summary.goals_existing += 1
            continue
        _create_goal(spec, users)
        summary.goals += 1
    return summary


def _names_in(spec: dict) -> set[str]:
    names = {spec["owner"]}
    for question in spec["questions"]:
        names.update(author for author, _body, _helped in question["answers"])
    return names


def _create_goal(spec: dict, users: dict[str, User]) -> None:
    owner = users[spec["owner"]]
    # One transaction for the whole goal; the services' own transactions join it.
    with write_transaction() as session:
        goal = goal_service.create_goal(owner, spec["goal"])
        session.flush()
        for title, done in spec["milestones"]:
            milestone = goal_service.add_milestone(owner, goal, {"title": title})
            session.flush()
            if done:
                goal_service.update_milestone(owner, milestone, {"done": True})
        for body in spec["journal"]:
            goal_service.add_journal_entry(owner, goal, body)
        for q in spec["questions"]:
            question = questions.ask_question(owner, {
                "title": q["title"], "body": q["body"], "tags": q["tags"], "goal_id": goal.id})
            session.flush()
            for author, body, helped_me in q["answers"]:
                answer = questions.post_answer(users[author], question, body)
                session.flush()
                if helped_me:
                    helpful.mark_helpful(owner, answer)
            if q.get("outcome"):
                helpful.set_outcome(owner, question, q["outcome"])
