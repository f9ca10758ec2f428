"""Parse what a user typed into a SearchQuery; backends build their own query objects from it.

Nothing the user types is ever handed to a query-language parser: operators are recognised
here, everything else becomes plain words that backends analyse and match in text fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.validation import parse_int
from app.search.documents import DOC_TYPES

MAX_QUERY_CHARS = 500  # longer input is cut: nobody types more, and it bounds the work
MAX_TERMS = 32  # words plus phrase words that reach the index
MAX_FILTER_VALUES = 5  # per operator kind (tags, users)
SORTS = ("relevance", "newest", "votes")

TAG_RE = re.compile(r"[a-z0-9+#.-]{1,35}")
USER_RE = re.compile(r"[a-z0-9_-]{1,30}")
# One scan over the cleaned text. An unclosed quote runs to the end of the input.
_TOKEN_RE = re.compile(
    r"""
      "(?P<phrase>[^"]*)"?
    | \[(?P<btag>[^\]\s"]+)\]
    | (?P<key>[A-Za-z]+):(?P<val>[^\s"]+)
    | (?P<word>[^\s"]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: free text plus filters that never touch text matching."""

    text: str = ""  # the cleaned input, used to spell a did-you-mean suggestion
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # every tag is required
    users: tuple[str, ...] = ()  # any of these authors
    types: tuple[str, ...] = ()  # any of these types; empty means all
    min_answers: int | None = None  # answer filters imply type "question"
    max_answers: int | None = None
    sort: str = "relevance"

    @property
    def has_text(self) -> bool:
        """True when there is something to match in titles and bodies."""
        return bool(self.words or self.phrases)

    @property
    def has_filters(self) -> bool:
        """True when type, tag, user or answer-count filters apply."""
        return bool(
            self.tags
            or self.users
            or self.types
            or self.min_answers is not None
            or self.max_answers is not None
        )

    @property
    def is_empty(self) -> bool:
        """True when the query asks for nothing at all (no results, not everything)."""
        return not self.has_text and not self.has_filters


def clean_text(text: str | None, limit: int = MAX_QUERY_CHARS) -> str:
    """Normalise user input: NFKC, control and format characters become spaces, capped."""
    if not text:
        return ""
    # Cut before normalising too, so 10 MB of input never gets normalised in full.
    text = unicodedata.normalize("NFKC", text[: limit * 2])
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(text[:limit].split())


def _add(values: list[str], value: str) -> None:
    if value not in values and len(values) < MAX_FILTER_VALUES:
        values.append(value)


def parse_query(
    text: str | None, sort: str = "relevance", types: Iterable[str] = (), tags: Iterable[str] = ()
) -> SearchQuery:
    """Parse free words, "phrases", [tag], tag:x, user:x, is:type, answers:n.

    ``types`` and ``tags`` add filters given outside the text (API parameters); invalid
    values there are ignored, as is an unknown ``sort``. An operator with an invalid value
    is read as plain words.
    """
    cleaned = clean_text(text)
    words: list[str] = []
    phrases: list[str] = []
    tag_list: list[str] = []
    users: list[str] = []
    type_list: list[str] = []
    min_answers = max_answers = None
    budget = MAX_TERMS

    for match in _TOKEN_RE.finditer(cleaned):
        phrase, btag, key, val = match.group("phrase", "btag", "key", "val")
        if phrase is not None:
            phrase_words = phrase.split()[:budget]
            if phrase_words:
                phrases.append(" ".join(phrase_words))
                budget -= len(phrase_words)
            continue
        if btag is not None and TAG_RE.fullmatch(btag.lower()):
            _add(tag_list, btag.lower())
            continue
        if key is not None:
            key, low = key.lower(), val.lower()
            if key == "tag" and TAG_RE.fullmatch(low):
                _add(tag_list, low)
                continue
            if key == "user" and USER_RE.fullmatch(low):
                _add(users, low)
                continue
            if key == "is" and low in DOC_TYPES:
                _add(type_list, low)
                continue
            count = parse_int(val, minimum=0) if key == "answers" and len(val) <= 4 else None
            if count is not None:
                min_answers, max_answers = (None, 0) if count == 0 else (count, None)
                continue
        if budget > 0:
            words.append(match.group(0))
            budget -= 1

    for value in types:
        if value in DOC_TYPES:
            _add(type_list, value)
    for value in tags:
        low = str(value).lower()
        if TAG_RE.fullmatch(low):
            _add(tag_list, low)
    return SearchQuery(
        text=cleaned,
        words=tuple(words),
        phrases=tuple(phrases),
        tags=tuple(tag_list),
        users=tuple(users),
        types=tuple(type_list),
        min_answers=min_answers,
        max_answers=max_answers,
        sort=sort if sort in SORTS else "relevance",
    )
