"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.tags import Tag
from app.models.users import ApiToken, User

__all__ = ["ApiToken", "Tag", "User"]
