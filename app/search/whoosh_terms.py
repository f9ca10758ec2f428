"""Term statistics on a Whoosh searcher: key terms for similar threads, did-you-mean."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

from whoosh.lang import porter2

from app.search.query import SearchQuery
from app.search.whoosh_schema import analyse

# How many of a text's rarest terms similar() ORs together. Measured on 50k synthetic
# posts (bench/search_micro.py): 10 terms cost p95 ~60-100 ms, 6 about 20-40 ms, 4 about
# 11 ms; a perturbed copy of a post stayed in the top 5 with 6 (100%) and 4 (94-99%).
# On real Stack Exchange links (bench/search_relevance.py) 3 title terms lost duplicates, 5-6
# gained nothing clear, and 8-10 whole-post terms were no better than 6.
KEY_TERMS = 6  # whole posts: thread pages, computed when a post changes and cached
TITLE_KEY_TERMS = 4  # titles being typed: latency first
# Terms in more than this share of posts count as common. Whole posts: 0.2 beat 0.1 on real
# links (linked Recall@5 .168 -> .177, duplicates .692 -> .731; 25 queries better, 12
# worse) for ~15% more CPU at p95 in this cached path; titles being typed keep 0.1, the
# share that bounds their latency (it changed nothing there in relevance).
COMMON_SHARE = 0.2
TITLE_COMMON_SHARE = 0.1
COMMON_MIN_DOCS = 200  # below this index size every term looks common: no such cut
MIN_KEY_TERMS = 2  # fall back to common terms to reach this many
RARE_DF = 1  # a word found in more posts than this is probably spelled as meant
# Function and question words never make a thread similar ("how do I ...", "what is my ..."):
# in a small index they look rare and would crowd out the words that matter. Stemmed like
# the index (Porter2), since key_terms() sees analysed tokens.
_SIMILAR_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
get got had has have having he her here hers him his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours out over own same
she should so some such than that the their theirs them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your yours anyone someone something anything way ways best good better need
want wants know tips help thing things really much many also use using used question
"""
_SIMILAR_STOP_WORDS = tuple(_SIMILAR_STOP_TEXT.split())
SIMILAR_STOP = frozenset(_SIMILAR_STOP_WORDS) | frozenset(
    porter2.stem(w) for w in _SIMILAR_STOP_WORDS
)
_WORD_RE = re.compile(r"[^\W\d_]{3,30}")  # only plain words get corrected


def key_terms(
    searcher,
    tokens: list[str],
    fieldnames=("title", "body"),
    limit: int = KEY_TERMS,
    min_frequency: int = 1,
    frequency: Callable[[str, str], int] | None = None,
) -> list[str]:
    """The most telling terms of a text: frequent in it, rare in the given fields.

    ``min_frequency`` 2 is for a text that is itself indexed: a term found in it alone
    cannot lead to any other post. ``frequency(field, term)`` may answer the searcher's
    doc_frequency from a cache (it reads every segment's term table).
    """
    frequency = frequency or searcher.doc_frequency
    total = searcher.doc_count_all()
    # Terms in many posts decide little and cost the most postings to read; they are
    # used only when the text has almost nothing else (and not in tiny indexes, where
    # every term is "common"). A title-only lookup is the latency-critical one.
    share = COMMON_SHARE if "body" in fieldnames else TITLE_COMMON_SHARE
    common_above = total * share if total >= COMMON_MIN_DOCS else total
    weights: dict[str, float] = {}
    common: dict[str, float] = {}
    for term, count in Counter(tokens).items():
        if term in SIMILAR_STOP:
            continue
        found, name = max((frequency(f, term), f) for f in fieldnames)
        if found >= min_frequency:  # unknown terms cost time for nothing
            weight = (1 + math.log(count)) * searcher.idf(name, term)
            (common if found > common_above else weights)[term] = weight
    chosen = sorted(weights, key=lambda term: (-weights[term], term))[:limit]
    if len(chosen) < MIN_KEY_TERMS:
        chosen += sorted(common, key=lambda term: (-common[term], term))[
            : MIN_KEY_TERMS - len(chosen)
        ]
    return chosen


def did_you_mean(reader, query: SearchQuery, analyzer) -> str | None:
    """The query text with rare words replaced by common title words near them, or None."""
    spell_field = reader.schema["title"].spelling_fieldname("title")
    rewritten = query.text
    for word in dict.fromkeys(w.lower() for w in query.words):
        stems = analyse(analyzer, word)
        if not _WORD_RE.fullmatch(word) or len(stems) != 1:
            continue  # numbers, code, stop words
        seen = reader.doc_frequency("title", stems[0]) + reader.doc_frequency("body", stems[0])
        if seen > RARE_DF:
            continue
        # A word found once may be a rare word spelled right: want a far commoner one.
        best = _best_correction(
            reader, spell_field, word, analyzer, minimum=4 * seen if seen else 2
        )
        if best:  # replace the free word only, not an operator's value such as user:word
            rewritten = re.sub(
                rf"(?<![\w:\[]){re.escape(word)}(?![\w\]])", best, rewritten, flags=re.IGNORECASE
            )
    return rewritten if rewritten != query.text else None


def _best_correction(reader, spell_field: str, word: str, analyzer, minimum: int) -> str | None:
    for distance in (1, 2):  # the nearest spelling wins, then the most frequent one
        found = []
        # prefix=1: few typos hit the first letter, and it prunes most of the vocabulary.
        for candidate in reader.terms_within(spell_field, word, distance, prefix=1):
            stems = analyse(analyzer, candidate)
            count = reader.doc_frequency("title", stems[0]) if len(stems) == 1 else 0
            if candidate != word and count >= minimum:
                found.append((count, candidate))
        if found:
            return max(found)[1]
    return None
