"""What the search index stores about one public post, and HTML-to-text for its body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

from app.core.validation import parse_id

DOC_TYPES = ("question", "answer", "goal")

# Tags whose content is never readable text (sanitised HTML has none, but be safe).
_SKIP_TAGS = frozenset({"script", "style", "template"})
# Block-level tags end a word: "<p>a</p><p>b</p>" must index as "a b", not "ab".
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
# A start, end or self-closing tag with double-quoted (or no) attribute values.
_PLAIN_TAG = re.compile(r'</?([A-Za-z][A-Za-z0-9]*)(?:\s+[^\s"\'<>/=]+(?:="[^"<]*")?)*\s*/?>')


def doc_id_for(doc_type: str, object_id: int) -> str:
    """The index key of a post, e.g. "question:12"."""
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown document type {doc_type!r}")
    return f"{doc_type}:{int(object_id)}"


def parse_doc_id(doc_id: str) -> tuple[str, int]:
    """Split "question:12" into ("question", 12); ValueError when malformed."""
    doc_type, _, raw_id = doc_id.partition(":")
    object_id = parse_id(raw_id)
    if doc_type not in DOC_TYPES or object_id is None:
        raise ValueError(f"malformed doc id {doc_id!r}")
    return doc_type, object_id


class _TextExtractor(HTMLParser):
    """Collects the text nodes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of rendered (sanitised) HTML, whitespace collapsed."""
    if not html:
        return ""
    fast = _plain_tags_text(html)
    if fast is not None:
        return fast
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _collapse("".join(parser.parts))


def _plain_tags_text(html: str) -> str | None:
    """html_to_text for HTML as our sanitiser writes it, by one regex; None for anything else.

    HTMLParser costs ~100 us per post, the largest part of reading documents for a reindex.
    Sanitised HTML has only plain tags with double-quoted attributes and escaped text, so the
    same text comes from the tags' positions; any other '<' (comments, odd attributes,
    script) sends the post to HTMLParser. Tests compare both on every kind of post.
    """
    parts: list[str] = []
    last = tags = 0
    for match in _PLAIN_TAG.finditer(html):
        if match.start() > last:
            parts.append(unescape(html[last : match.start()]))
        name = match.group(1).lower()
        if name in _SKIP_TAGS:
            return None
        if name in _BLOCK_TAGS:
            parts.append(" ")
        last = match.end()
        tags += 1
    if tags != html.count("<"):
        return None
    parts.append(unescape(html[last:]))
    return _collapse("".join(parts))


def _collapse(text: str) -> str:
    """Whitespace runs as one space, none at the ends (10x quicker than a regex sub)."""
    # str.split() and the regex \s agree on what whitespace is (str.isspace()).
    return " ".join(text.split())


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class SearchDocument:
    """One public goal, question or answer as the search backends index it."""

    doc_id: str
    type: str
    id: int
    title: str  # answers carry their question's title
    body: str  # plain text, see html_to_text()
    tags: list[str] = field(default_factory=list)
    author: str = ""  # username; "" for anonymous posts so user: never finds them
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    score: int = 0
    answer_count: int = 0
    question_id: int | None = None
    goal_id: int | None = None

    def __post_init__(self) -> None:
        if self.type not in DOC_TYPES:
            raise ValueError(f"unknown document type {self.type!r}")
        if self.doc_id != doc_id_for(self.type, self.id):
            raise ValueError(f"doc_id {self.doc_id!r} does not match {self.type}:{self.id}")
        self.created_at = as_utc(self.created_at)

    @classmethod
    def make(cls, doc_type: str, object_id: int, **fields) -> SearchDocument:
        """Build a document, deriving doc_id from type and id."""
        return cls(doc_id=doc_id_for(doc_type, object_id), type=doc_type, id=object_id, **fields)
