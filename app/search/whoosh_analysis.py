"""The index's analyzer, with a one-pass path for indexing whole posts.

Whoosh analyses text as a chain of generators passing one Token object along, several
Python calls per word: at 150k posts that chain was the largest part of a reindex
(profiled). `FastStemmingAnalyzer` is Whoosh's StemmingAnalyzer (queries, highlighting and
spelling still use its chain) plus `index_terms`, which gives the same words at the same
positions from one regex pass and list operations. Tests compare both on real and odd text.
"""

from __future__ import annotations

from typing import Any, cast

from whoosh.analysis import (
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StemmingAnalyzer,
    StopFilter,
)
from whoosh.analysis.analyzers import CompositeAnalyzer


class FastStemmingAnalyzer(CompositeAnalyzer):
    """StemmingAnalyzer(**kwargs) with `index_terms` (words and positions, one pass)."""

    def __init__(self, *composables, **kwargs) -> None:
        super().__init__(*(composables or (StemmingAnalyzer(**kwargs),)))

    def index_terms(self, value: str) -> list[tuple[str, int]] | None:
        """(stemmed word, position) as the chain would yield them; None if it cannot say."""
        items = self.items
        if [type(item) for item in items] != [
            RegexTokenizer,
            LowercaseFilter,
            StopFilter,
            StemFilter,
        ]:
            return None  # another chain: only the generic path knows it
        tokenizer, _lower, stops, stemmer = cast(list[Any], items)
        if tokenizer.gaps or not stops.renumber or stemmer.ignore:
            return None
        found = tokenizer.expression.finditer(value)
        words = [match.group(0).lower() for match in found]
        low, high, stoplist = stops.min, stops.max, stops.stops
        kept = [
            place
            for place, word in enumerate(words)
            if len(word) >= low and (high is None or len(word) <= high) and word not in stoplist
        ]
        if not kept:
            return []
        stem = stemmer._stem
        # StopFilter(renumber=True): the first word kept keeps its place, the rest follow it.
        first = kept[0]
        return [(stem(words[place]), first + n) for n, place in enumerate(kept)]
