"""Small helpers shared by several web blueprints' views."""

from app.core.errors import NotFound
from app.core.validation import TAG_MAX, TAG_RE


def check_tag_name(tag: str) -> str:
    """A tag from a URL: lowercase and in the tag grammar, else 404."""
    tag = tag.lower()
    if len(tag) > TAG_MAX or not TAG_RE.fullmatch(tag):
        raise NotFound("No such tag.")
    return tag
