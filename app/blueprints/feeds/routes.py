"""Atom 1.0 feeds of new public questions (site-wide and per tag)."""

from flask import Blueprint, make_response, render_template, url_for

from app.blueprints.views import check_tag_name
from app.services.questions import list_questions

bp = Blueprint("feeds", __name__)
FEED_SIZE = 30


def _atom(title: str, self_url: str, alternate: str, tag: str | None = None):
    # Feeds are read by anonymous feed readers: always built for viewer=None.
    questions = list_questions(None, tag=tag, page=1, per_page=FEED_SIZE).items
    body = render_template(
        "feeds/atom.xml", title=title, self_url=self_url, alternate=alternate, questions=questions
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response


@bp.get("/feeds/questions.atom")
def questions():
    return _atom(
        "Journster: newest questions",
        url_for("feeds.questions", _external=True),
        url_for("questions.index", _external=True),
    )


@bp.get("/feeds/tags/<tag>.atom")
def tag(tag: str):
    tag = check_tag_name(tag)
    return _atom(
        f"Journster: newest questions tagged {tag}",
        url_for("feeds.tag", tag=tag, _external=True),
        url_for("tags.show", tag=tag, _external=True),
        tag=tag,
    )
