"""What the API shows around a post (its author, its "answered in" link), decided beforehand.

Serializers only format: the gate and the anonymous-asker rule run here, once per response,
with the rows they need loaded in one query per type for the whole list
(``app.core.posts.preload``), never one per row.
"""

from dataclasses import dataclass

from app.core.asker import reveals_asker
from app.core.posts import QUESTION, load, post_type_of, preload, type_of
from app.core.visibility import can_view_question
from app.models import Question, Revision


@dataclass(frozen=True)
class Shown:
    """What a serializer may show around one post or revision."""

    author: bool = True  # False: it is the thread's anonymous asker, hidden from this viewer
    answered_in: Question | None = None  # a question's linked thread, if the viewer may see it


def _subject(item):
    """The post an item is about: itself, or the post a revision is of."""
    return load(item.post_type, item.post_id) if isinstance(item, Revision) else item


def _author_id(item) -> int:
    return item.editor_id if isinstance(item, Revision) else type_of(item).author_id(item)


def shown_for(viewer, items: list) -> list[Shown]:
    """What to show around each question, answer, comment or revision (in the same order)."""
    revisions = [item for item in items if isinstance(item, Revision)]
    posts = [item for item in items if not isinstance(item, Revision)]
    # Every thread these items sit in, and every linked thread, in one query per type.
    preload(
        [
            *((r.post_type, r.post_id) for r in revisions),
            *(type_of(p).parent_key(p) for p in posts),
            *((QUESTION, p.answered_in_id) for p in posts if getattr(p, "answered_in_id", None)),
        ]
    )
    result = []
    for item in items:
        subject = _subject(item)
        post_type = post_type_of(subject)
        thread = post_type.thread_of(subject) if post_type is not None else None
        author = not reveals_asker(viewer, thread, _author_id(item))
        linked = None
        if isinstance(item, Question) and item.answered_in_id is not None:
            target = item.answered_in
            # The linked thread may sit under a goal the viewer cannot see: then it is not there.
            linked = target if can_view_question(viewer, target) else None
        result.append(Shown(author=author, answered_in=linked))
    return result
