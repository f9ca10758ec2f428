"""One page of a list query, in the SPEC §3 list shape."""

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select

from app.core.errors import ValidationFailed
from app.core.validation import parse_int
from app.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int | None  # None: not counted (HTML lists); ``more`` tells if a next page exists
    more: bool = False

    @property
    def pages(self) -> int:
        if self.total is None:
            return self.page + self.more
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_args(page, per_page=None) -> tuple[int, int]:
    """Validate page numbers from a query string or JSON (1-based; per_page 1–100)."""
    page, per_page = parse_int(page or 1), parse_int(per_page or DEFAULT_PER_PAGE)
    if page is None or per_page is None:
        field = "page" if page is None else "per_page"
        raise ValidationFailed(
            "Page numbers must be whole numbers.", {field: ["Must be a whole number."]}
        )
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed("Page out of range.", {"page": ["Page out of range."]})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed(
            f"per_page must be 1–{MAX_PER_PAGE}.",
            {"per_page": [f"Must be between 1 and {MAX_PER_PAGE}."]},
        )
    return page, per_page


def paginate(query: Select, page: int, per_page: int, count: bool = True) -> Page:
    """One page of rows plus a count of all rows, or (count=False) whether more follow.

    Counting a filtered list reads every matching row (tens of ms at 150k posts), so HTML
    pages skip it and fetch one extra row instead; the API keeps its exact total.
    """
    limit = per_page if count else per_page + 1
    items = list(
        db.session.scalars(query.limit(limit).offset((page - 1) * per_page)).unique().all()
    )
    if not count:
        return Page(
            items=items[:per_page],
            page=page,
            per_page=per_page,
            total=None,
            more=len(items) > per_page,
        )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
