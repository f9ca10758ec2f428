"""suggest() on PostgreSQL: did-you-mean from the words of titles (pg_trgm)."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.search.postgres_schema import LEXEME_RE, TABLE
from app.search.query import parse_query
from app.search.whoosh_terms import RARE_DF

SUGGEST_TITLES = 200  # titles read for did-you-mean candidates
SUGGEST_SIMILARITY = "0.2"  # pg_trgm word similarity: "pyhton" in "... python ..." is 0.29
_WORD_RE = re.compile(r"[^\W\d_]{3,30}")
_TITLE_WORD_RE = re.compile(r"[^\W\d_]+")


def _edit_distance(a: str, b: str, most: int) -> int:
    """Levenshtein distance, or most + 1 once it is known to exceed most."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def suggest(engine: Engine, text_: str) -> str | None:
    """Did-you-mean for a query text, from the words in titles; None if nothing better."""
    query = parse_query(text_)
    if not query.words:
        return None
    rewritten = query.text
    with engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('pg_trgm.word_similarity_threshold', :s, true)"),
            {"s": SUGGEST_SIMILARITY},
        )
        for word in dict.fromkeys(w.lower() for w in query.words):
            if not _WORD_RE.fullmatch(word):
                continue  # numbers, code
            lexemes = conn.execute(
                text("SELECT CAST(plainto_tsquery('english', :w) AS text)"), {"w": word}
            ).scalar()
            if not lexemes or len(LEXEME_RE.findall(lexemes)) != 1:
                continue  # a stop word
            seen = conn.execute(
                text(
                    f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} d "  # noqa: S608
                    "WHERE d.tsv @@ plainto_tsquery('english', :w) LIMIT :cap) s"
                ),
                {"w": word, "cap": RARE_DF + 1},
            ).scalar_one()
            if seen > RARE_DF:
                continue
            # A word found once may be a rare word spelled right: want a far commoner one.
            best = _best_correction(conn, word, minimum=4 * seen if seen else 2)
            if best:  # replace the free word only, not an operator's value (user:word)
                rewritten = re.sub(
                    rf"(?<![\w:\[]){re.escape(word)}(?![\w\]])",
                    best,
                    rewritten,
                    flags=re.IGNORECASE,
                )
    return rewritten if rewritten != query.text else None


def _best_correction(conn: Connection, word: str, minimum: int) -> str | None:
    titles = conn.execute(
        text(
            f"SELECT lower(title) FROM {TABLE} d WHERE lower(d.title) %> :w "  # noqa: S608
            "LIMIT :n"
        ),
        {"w": word, "n": SUGGEST_TITLES},
    ).scalars()
    by_distance: dict[int, set[str]] = {1: set(), 2: set()}
    for title in titles:
        for candidate in _TITLE_WORD_RE.findall(title):
            # Few typos hit the first letter, as Whoosh's prefix=1.
            if candidate != word and candidate[0] == word[0] and len(candidate) >= 3:
                distance = _edit_distance(word, candidate, 2)
                if distance <= 2:
                    by_distance[distance].add(candidate)
    for distance in (1, 2):  # the nearest spelling wins, then the most frequent one
        found = []
        for candidate in sorted(by_distance[distance])[:20]:
            # Letters only (the regex above), so the ":A" suffix cannot form an operator.
            count = conn.execute(
                text(
                    f"SELECT count(*) FROM {TABLE} d WHERE d.tsv @@ "  # noqa: S608
                    "to_tsquery('english', :c || :title)"
                ),
                {"c": candidate, "title": ":A"},
            ).scalar_one()
            if count >= minimum:
                found.append((count, candidate))
        if found:
            return max(found)[1]
    return None
