"""API v1: full-text search over public posts."""

from marshmallow import Schema, fields, validate

from app.blueprints.api.common import make_blueprint
from app.core.pagination import MAX_PER_PAGE
from app.core.validation import TAG_MAX
from app.ratelimits import search_limit, similar_limit
from app.search.service import SORTS, search_posts
from app.search.similar import MAX_LIMIT, similar_to_text

blp = make_blueprint("api_search", "Search public posts and find similar threads.")


class SearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=10_000))
    type = fields.String(validate=validate.OneOf(("goal", "question", "answer")))
    tag = fields.String(validate=validate.Length(max=TAG_MAX))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PER_PAGE))


class SearchItem(Schema):
    type = fields.String()
    id = fields.Integer()
    title = fields.String()
    snippet = fields.String(metadata={"description": "Escaped HTML with <mark> highlights."})
    url = fields.String()
    score = fields.Float()


class SearchPage(Schema):
    items = fields.List(fields.Nested(SearchItem))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    suggestion = fields.String(allow_none=True)


@blp.route("/search", methods=["GET"])
@search_limit
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchPage)
def search(args):
    """Search words, "phrases", [tag], user:name, is:type, answers:0; hits re-checked."""
    results, suggestion = search_posts(
        args["q"],
        doc_type=args.get("type"),
        tag=args.get("tag"),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
    )
    body = {
        "items": results.items,
        "page": results.page,
        "per_page": results.per_page,
        "total": results.total,
    }
    if suggestion:
        body["suggestion"] = suggestion
    return body


class SimilarArgs(Schema):
    text = fields.String(required=True, validate=validate.Length(max=10_000))
    limit = fields.Integer(load_default=5, validate=validate.Range(1, MAX_LIMIT))
    # A field named like Schema.exclude (the API's parameter name): marshmallow's metaclass
    # takes declared fields out of the class, so the option is not shadowed at run time.
    exclude = fields.Integer(  # type: ignore[assignment]
        validate=validate.Range(min=1), metadata={"description": "A question id to leave out."}
    )


class SimilarItem(Schema):
    type = fields.String()
    id = fields.Integer()
    title = fields.String()
    url = fields.String()
    answer_count = fields.Integer(allow_none=True)
    score = fields.Float()


class SimilarPage(Schema):
    items = fields.List(fields.Nested(SimilarItem))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


@blp.route("/similar", methods=["GET"])
@similar_limit
@blp.arguments(SimilarArgs, location="query")
@blp.response(200, SimilarPage)
def similar(args):
    """Public questions similar to a title being typed (or any text); shorter than 4 → []."""
    items = similar_to_text(
        args["text"], limit=args["limit"], exclude_question_id=args.get("exclude")
    )
    return {"items": items, "page": 1, "per_page": args["limit"], "total": len(items)}
