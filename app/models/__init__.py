"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.goals import Goal, JournalEntry, Milestone
from app.models.mentorship import (
    Agreement,
    CheckIn,
    GoalEvent,
    Mentorship,
    MentorshipRequest,
    Message,
)
from app.models.moderation import Flag, ModerationAction
from app.models.questions import (
    Answer,
    Comment,
    HelpfulMark,
    Outcome,
    Question,
    Revision,
    Vote,
)
from app.models.search import SearchOutbox, SimilarList
from app.models.social import AnswerInvitation, Follow, Notification
from app.models.tags import Tag
from app.models.users import AccountMail, ApiToken, Block, User
from app.models.vectors import PostVector

__all__ = [
    "AccountMail",
    "Agreement",
    "Answer",
    "AnswerInvitation",
    "ApiToken",
    "Block",
    "CheckIn",
    "Comment",
    "Flag",
    "Follow",
    "Goal",
    "GoalEvent",
    "HelpfulMark",
    "JournalEntry",
    "Mentorship",
    "MentorshipRequest",
    "Message",
    "Milestone",
    "ModerationAction",
    "Notification",
    "Outcome",
    "PostVector",
    "Question",
    "Revision",
    "SearchOutbox",
    "SimilarList",
    "Tag",
    "User",
    "Vote",
]
