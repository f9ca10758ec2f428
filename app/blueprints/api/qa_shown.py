"""Q&A responses with what their serializers show around each post decided beforehand.

The schemas in qa_schemas.py read ``shown`` (app/services/post_views.py) and only format;
every view that returns a question, answer, comment or revision passes it through here.
"""

from dataclasses import replace

from app.blueprints.api.common import WithVisibleChildren, current_api_user
from app.core.pagination import Page
from app.services.post_views import shown_for


def with_shown(result):
    """The post, or each item of a Page of posts/revisions, wrapped with its ``shown``."""
    viewer = current_api_user()
    if isinstance(result, Page):
        shown = shown_for(viewer, result.items)
        items = [
            WithVisibleChildren(item, shown=s) for item, s in zip(result.items, shown, strict=True)
        ]
        return replace(result, items=items)
    return WithVisibleChildren(result, shown=shown_for(viewer, [result])[0])


def thread_shown(question, answers: list, comments: dict) -> WithVisibleChildren:
    """A question page: the question, its answers and all comments, each with ``shown``.

    ``comments`` maps ("question" | "answer", id) to that post's visible comments.
    """
    viewer = current_api_user()
    own = comments.get(("question", question.id), [])
    under = [comments.get(("answer", a.id), []) for a in answers]
    items = [question, *answers, *own, *(c for group in under for c in group)]
    shown = dict(zip(map(id, items), shown_for(viewer, items), strict=True))

    def wrap(post, **extra) -> WithVisibleChildren:
        return WithVisibleChildren(post, shown=shown[id(post)], **extra)

    return wrap(
        question,
        comments=[wrap(c) for c in own],
        answers=[
            wrap(a, comments=[wrap(c) for c in group])
            for a, group in zip(answers, under, strict=True)
        ],
    )
