"""Similar threads by meaning as well as words: candidates from both, one fused score.

Candidates: the word index's best WORD_CANDIDATES (BM25 on the key terms, as before) and the
VECTOR_CANDIDATES nearest post vectors, which find what shares no word with the text ("renew
my residence permit" / "RP renewal procedure"). Score: the full 256-dim cosine plus
WORD_WEIGHT times the word score relative to the best word hit (0 for a candidate the word
index did not return). On SemEval-2016 3B the embedding's cosine alone beats BM25 by several
MAP points, and the weight was chosen on train.csv only (bench/similar_semeval.py --sweep;
bench/README.md has the numbers). A vector-only candidate must reach MIN_COSINE, so text with
nothing like it in the index still lists nothing rather than the least unlike posts. A short
text (a title typed on /ask) keeps the word index's first TITLE_WORD_KEEP hits in front.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app

from app.search.documents import parse_doc_id
from app.search.embeddings import embed_one
from app.search.service import get_backend
from app.search.vector_matrix import current_matrix

WORD_CANDIDATES = 30
VECTOR_CANDIDATES = 30
WORD_WEIGHT = 0.5
TITLE_WORDS = 12  # up to this many words the text is a title (as the backends decide)
TITLE_WORD_WEIGHT = 1.0  # short texts: the cosine of two titles is noisier than of posts
MIN_COSINE = 0.3
# Titles: the word index's first hits stay in front (0: plain fusion). Plain fusion lost 2 of
# the 26 Stack Exchange duplicates a typed title found by words alone; 2 keeps them (train.csv
# titles MAP 64.1 -> 63.6, words alone 62.2; bench/README.md "Similar threads by meaning").
TITLE_WORD_KEEP = 2
_WORDS = re.compile(r"\w+")


def enabled() -> bool:
    """Whether similar threads use meaning (SIMILAR_HYBRID, on by default)."""
    return bool(current_app.config.get("SIMILAR_HYBRID", True))


def lookup(
    text: str,
    limit: int,
    exclude: list[str],
    types: Iterable[str],
    backend=None,
    *,
    answers: bool = False,
) -> list[tuple[str, int, float]]:
    """(type, id, score) of the best matches, best first; word index only when turned off.

    ``answers``: answers' words count for their question, which ranks by its best post
    (stored lists, off the request path: on the Stack Exchange links, whole-post duplicate
    Recall@5 0.692 -> 0.731 and linked 0.214 -> 0.251 with meaning, for ~30% more time).
    """
    types = tuple(types)
    wanted = max(limit, WORD_CANDIDATES) if enabled() else limit
    if answers and "question" in types:
        hits = (backend or get_backend()).similar(
            text, limit=2 * wanted, exclude_doc_ids=exclude, types=(*types, "answer")
        )
        word_hits = _by_thread(hits, exclude)[:wanted]
    else:
        hits = (backend or get_backend()).similar(
            text, limit=wanted, exclude_doc_ids=exclude, types=types
        )
        word_hits = [((hit.type, hit.id), hit.score) for hit in hits]
    if not enabled():
        return [(kind, object_id, score) for (kind, object_id), score in word_hits[:limit]]
    return fuse(text, word_hits, limit, exclude, types)


def _by_thread(hits, exclude: list[str]) -> list[tuple[tuple[str, int], float]]:
    """Hits as their threads (an answer stands for its question), best post first."""
    excluded = {parse_doc_id(doc_id) for doc_id in exclude}
    best: dict[tuple[str, int], float] = {}
    for hit in hits:  # best first, so a thread's first hit is its best
        key = ("question", hit.question_id) if hit.type == "answer" else (hit.type, hit.id)
        if key[1] is not None and key not in excluded and key not in best:
            best[key] = hit.score
    return list(best.items())


def fuse(
    text: str,
    word_hits: list[tuple[tuple[str, int], float]],
    limit: int,
    exclude: list[str],
    types: tuple[str, ...],
) -> list[tuple[str, int, float]]:
    """Fuse word hits with the nearest vectors of text (see the module docstring)."""
    query = embed_one(text)
    matrix = current_matrix()
    excluded = {parse_doc_id(doc_id) for doc_id in exclude}
    near = matrix.nearest(query, VECTOR_CANDIDATES, types, excluded)
    words = dict(word_hits)
    title = len(_WORDS.findall(text)) <= TITLE_WORDS
    weight = TITLE_WORD_WEIGHT if title else WORD_WEIGHT
    best = max(words.values(), default=0.0) or 1.0
    cosines = matrix.cosines(query, [*words, *near])
    scored = []
    for key in dict.fromkeys([*words, *near]):
        cosine = cosines.get(key)
        if key not in words and (cosine is None or cosine < MIN_COSINE):
            continue
        # A word hit without a vector yet (the indexer is mid-round) still counts its words.
        score = (cosine or 0.0) + weight * words.get(key, 0.0) / best
        scored.append((key, score))
    scored.sort(key=lambda item: (-item[1], item[0]))
    if title and TITLE_WORD_KEEP:
        # A typed title's best word matches lead, in fused order; meaning fills the rest.
        head = {key for key, _ in word_hits[:TITLE_WORD_KEEP]}
        scored = [item for item in scored if item[0] in head] + [
            item for item in scored if item[0] not in head
        ]
    return [(kind, object_id, score) for (kind, object_id), score in scored[:limit]]
