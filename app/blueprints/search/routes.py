"""The search page: readers search public goals, questions and answers without an account."""

from flask import Blueprint, render_template, request

from app.core.pagination import page_args
from app.ratelimits import search_limit
from app.search.service import search_posts

bp = Blueprint("search", __name__)


@bp.get("/search")
@search_limit
def index():
    """Results with highlighted snippets, sort, type filter and did-you-mean."""
    q = request.args.get("q", "")
    page, _ = page_args(request.args.get("page"))
    sort = request.args.get("sort") or "relevance"
    doc_type = request.args.get("type") or None
    results, suggestion = search_posts(q, doc_type=doc_type, sort=sort, page=page)
    return render_template(
        "search/index.html",
        q=q,
        results=results,
        suggestion=suggestion,
        sort=sort,
        doc_type=doc_type,
    )
