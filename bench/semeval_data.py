"""SemEval-2016 Task 3 subtask B as its README describes it: groups, subjects, labels, MAP."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import PROJECT_ROOT

DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "semeval-2016-b"
RELEVANT = frozenset({"PerfectMatch", "Relevant"})


@dataclass
class Candidate:
    """One related question: subject, body, and whether people judged it relevant."""

    subject: str
    body: str
    relevant: bool

    @property
    def key(self) -> str:
        """A label-blind, order-blind tie-breaker (the file is sorted by label)."""
        return hashlib.sha256(f"{self.subject}\n{self.body}".encode()).hexdigest()


@dataclass
class Original:
    """An original question and its own labelled candidates."""

    subject: str
    body: str
    candidates: list[Candidate] = field(default_factory=list)


def _common_prefix(rows: Sequence[list[str]]) -> int:
    """How many leading words every row shares (the original subject's length)."""
    shortest = min(len(r) for r in rows)
    n = 0
    while n < shortest and all(r[n] == rows[0][n] for r in rows):
        n += 1
    return n


def load(path: str | Path) -> list[Original]:
    """The file's original questions, grouped by `question`, subjects split per the README."""
    groups: dict[str, list[dict]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            groups.setdefault(row["question"], []).append(row)
    originals = []
    for body, rows in groups.items():
        words = [r["feature"].split() for r in rows]
        if len(rows) == 1:
            n = len(words[0]) // 2
        else:
            n = _common_prefix(words)
            # A related subject must keep at least one word (an identical subject pair).
            n = min(n, min(len(w) for w in words) - 1) if n else n
        original = Original(" ".join(words[0][:n]), body)
        for row, w in zip(rows, words, strict=True):
            original.candidates.append(
                Candidate(" ".join(w[n:]), row["rel_question"], row["labels"] in RELEVANT)
            )
        originals.append(original)
    return originals


def average_precision(ranked: Sequence[Candidate]) -> float:
    """AP over a ranking of one question's candidates; 0 without any relevant one."""
    hits, total = 0, 0.0
    for rank, candidate in enumerate(ranked, 1):
        if candidate.relevant:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def mean_ap(rankings: Sequence[Sequence[Candidate]]) -> float:
    """MAP in percent, as published."""
    return 100 * sum(average_precision(r) for r in rankings) / max(1, len(rankings))


def rank_by(candidates: Sequence[Candidate], score) -> list[Candidate]:
    """Candidates best first by score(candidate); ties by the hash, never file order."""
    return sorted(candidates, key=lambda c: (-score(c), c.key))
