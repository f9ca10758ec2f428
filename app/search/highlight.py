"""Highlighting matched terms in titles and snippets, fast enough for every search page.

The same tokens and terms as the index's analyzer (Whoosh's default word pattern,
lowercase, its stop words, Porter2 stems), but each distinct word is stemmed once per
process (an LRU cache) instead of running the analyzer chain over every word of every hit:
Whoosh's highlighter took ~1 ms per hit, most of a search page's time after the query.
Output is escaped HTML with only ``<mark class="match termN">`` added (N: the order in
which the distinct terms first appear), as Whoosh's HtmlFormatter writes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from html import escape

from whoosh.analysis import STOP_WORDS
from whoosh.lang import porter2

TOKEN_RE = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # whoosh RegexTokenizer's default
MIN_CHARS, MAX_CHARS = 2, 60  # StemmingAnalyzer minsize, MAX_TOKEN_CHARS of the schema
MAX_TEXT = 20_000  # longer text is cut: a post cannot hold more
ELLIPSIS = " … "


@lru_cache(maxsize=65_536)
def term_of(word: str) -> str | None:
    """The index term of one word (lowercased, stemmed), or None for a stop word."""
    word = word.lower()
    if word in STOP_WORDS or not MIN_CHARS <= len(word) <= MAX_CHARS:
        return None
    return porter2.stem(word)


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word of text whose term is in terms."""
    return [
        (m.start(), m.end(), term)
        for m in TOKEN_RE.finditer(text)
        if (term := term_of(m.group())) in terms
    ]


def _marked(text: str, start: int, end: int, matches, classes: dict[str, int]) -> str:
    """text[start:end], escaped, with the given matches (inside it) in <mark>."""
    out, at = [], start
    for m_start, m_end, term in matches:
        if m_start < start or m_end > end:
            continue
        number = classes.setdefault(term, len(classes))
        out.append(escape(text[at:m_start], quote=False))
        out.append(
            f'<mark class="match term{number}">{escape(text[m_start:m_end], quote=False)}</mark>'
        )
        at = m_end
    out.append(escape(text[at:end], quote=False))
    return "".join(out)


def highlight_title(title: str, terms: Iterable[str]) -> str:
    """The whole title, escaped, with matches in <mark>."""
    matches = _matches(title, frozenset(terms)) if terms else []
    return _marked(title, 0, len(title), matches, {})


def _fragment(text: str, first: int, last: int, surround: int) -> tuple[int, int]:
    """Bounds around the matched span [first, last) with whole words of context."""
    begin = max(0, first - surround)
    if begin > 0 and not text[begin - 1].isspace():  # do not start mid-word
        space = text.find(" ", begin, first)
        begin = space + 1 if space != -1 else first
    finish = min(len(text), last + surround)
    if finish < len(text) and not text[finish].isspace():  # nor end mid-word
        space = text.rfind(" ", last, finish)
        finish = space if space != -1 else last
    return begin, finish


def highlight_text(
    text: str, terms: Iterable[str], top: int = 2, maxchars: int = 200, surround: int = 50
) -> str:
    """Escaped excerpt with matches in <mark>: the ``top`` fragments (up to ``maxchars``
    each, ``surround`` characters of context around the matches) with the most distinct
    terms, in text order; the text's start when nothing matches."""
    text = (text or "")[:MAX_TEXT]
    matches = _matches(text, frozenset(terms)) if terms else []
    if not matches:
        if len(text) <= maxchars:
            return escape(text, quote=False)
        return escape(text[:maxchars].rsplit(" ", 1)[0], quote=False) + " …"
    fragments: list[tuple[int, int, list]] = []  # (start, end, matches) of each fragment
    for match in matches:
        last = fragments[-1] if fragments else None
        if last is not None and match[1] + surround - last[0] <= maxchars:
            last[2].append(match)  # still fits in the current fragment
            continue
        fragments.append((match[0], match[1], [match]))
    scored = []
    for start, _end, inside in fragments:
        begin, finish = _fragment(text, start, inside[-1][1], surround)
        scored.append((len({term for _, _, term in inside}), -begin, begin, finish, inside))
    best = sorted(sorted(scored, reverse=True)[:top], key=lambda item: item[2])
    classes: dict[str, int] = {}
    return ELLIPSIS.join(
        _marked(text, begin, finish, inside, classes) for _, _, begin, finish, inside in best
    )
