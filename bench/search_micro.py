"""Micro-benchmark of the Whoosh search backend on synthetic posts (prints medians, no asserts).

Usage: .venv/bin/python -m bench.search_micro [--docs 10000] [--queries 300]
       .venv/bin/python -m bench.search_micro --threads /tmp/askbot-peer/data/threads-10000.jsonl

--threads indexes the Askbot comparison's generated threads instead (question + answers,
committed 200 posts at a time as a live load leaves them: many segments), asks adjacent title
word pairs as that comparison does, and times search and similar twice in the same run: with
the numpy scorer (whoosh_scoring, the default) and with Whoosh's own matchers (reference).
"""

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from app.search.documents import SearchDocument
from app.search.query import parse_query
from app.search.whoosh_backend import WhooshBackend

TOPICS = (
    "python",
    "rust",
    "career",
    "design",
    "sql",
    "testing",
    "writing",
    "music",
    "fitness",
    "javascript",
    "golang",
    "statistics",
    "cooking",
    "startup",
    "devops",
)
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "vo",
    "pe",
    "si",
    "da",
    "gu",
    "ha",
    "ri",
    "mo",
    "be",
    "zu",
    "fa",
    "xe",
    "ly",
    "on",
    "ar",
    "en",
    "ing",
    "ed",
    "er",
)
STOP = ("how", "do", "i", "the", "a", "to", "my", "with", "in", "for", "and", "of", "is")


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = set(TOPICS)
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Corpus:
    """Zipf-ish English-like text: a few words are common, most are rare."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocab = _vocabulary(self.rng)
        self.weights = [1 / (rank + 1) for rank in range(len(self.vocab))]

    def words(self, count: int) -> str:
        picked = self.rng.choices(self.vocab, self.weights, k=count)
        stops = self.rng.choices(STOP, k=count // 3)
        mixed = picked + stops
        self.rng.shuffle(mixed)
        return " ".join(mixed)

    def docs(self, count: int):
        start = datetime(2024, 1, 1, tzinfo=UTC)
        question_ids: list[int] = []
        for n in range(1, count + 1):
            created = start + timedelta(minutes=n)
            tags = self.rng.sample(TOPICS, self.rng.randint(1, 3))
            if question_ids and n % 3 == 0:
                qid = self.rng.choice(question_ids)
                yield SearchDocument.make(
                    "answer",
                    n,
                    title=f"question {qid}",
                    body=self.words(60),
                    tags=[],
                    author=f"user{n % 500}",
                    created_at=created,
                    score=self.rng.randint(-2, 20),
                    question_id=qid,
                )
                continue
            kind = "goal" if n % 10 == 1 else "question"
            if kind == "question":
                question_ids.append(n)
            yield SearchDocument.make(
                kind,
                n,
                title=f"{tags[0]} {self.words(9)}",
                body=self.words(80),
                tags=tags,
                author=f"user{n % 500}",
                created_at=created,
                score=self.rng.randint(-2, 50),
                answer_count=self.rng.randint(0, 5),
            )


def _pcts(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms"


def _timed(func, args_list) -> list[float]:
    samples = []
    for args in args_list:
        start = time.perf_counter()
        func(*args)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def thread_docs(path: str):
    """Question and answer documents of the Askbot generator's JSONL threads."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    answer_id = 0
    with open(path) as lines:
        for n, line in enumerate(lines, start=1):
            thread = json.loads(line)
            created = start + timedelta(minutes=n)
            title = thread["title"][:150]
            yield SearchDocument.make(
                "question",
                n,
                title=title,
                body=thread["body"],
                tags=thread["tags"],
                author=f"user{n % 50}",
                created_at=created,
                score=0,
                answer_count=len(thread["answers"]),
            )
            for body in thread["answers"]:
                answer_id += 1
                yield SearchDocument.make(
                    "answer",
                    answer_id,
                    title=title,
                    body=body,
                    tags=[],
                    author=f"user{answer_id % 50}",
                    created_at=created,
                    score=0,
                    question_id=n,
                )


def title_pairs(titles: list[str], rng: random.Random, count: int) -> list[str]:
    """Adjacent lowercase word pairs of random titles (the Askbot comparison's queries)."""
    pairs: list[str] = []
    while len(pairs) < count:
        words = [w for w in rng.choice(titles).lower().rstrip("?").split() if w.isalpha()]
        if len(words) >= 2:
            at = rng.randrange(len(words) - 1)
            pairs.append(" ".join(words[at : at + 2]))
    return pairs


def compare_scorers(path: str, queries: int) -> None:
    """Search and similar on the generated threads: numpy scorer vs Whoosh's matchers."""
    docs = list(thread_docs(path))
    titles = [d.title for d in docs if d.type == "question"]
    rng = random.Random(11)
    pairs = [(parse_query(p),) for p in title_pairs(titles, rng, queries)]
    typed = [(" ".join(rng.choice(titles).split()[: rng.randint(2, 8)]), 5) for _ in pairs]
    posts = [
        (f"{d.title} {d.body}", 20, [d.doc_id])
        for d in rng.sample([d for d in docs if d.type == "question"], min(100, queries))
    ]
    with tempfile.TemporaryDirectory() as base:
        backend = WhooshBackend(base)
        start = time.perf_counter()
        for at in range(0, len(docs), 200):
            backend.apply(docs[at : at + 200], ())
        elapsed = time.perf_counter() - start
        segments = len(backend._fresh(force=True).reader().leaf_readers())
        print(f"indexed     {len(docs)} posts, 200 a commit: {elapsed:.0f} s, {segments} segments")
        backend.close()
        for label, vector in (("numpy ", True), ("whoosh", False)):
            backend = WhooshBackend(base, vector_scoring=vector)
            for kind, func, args in (
                ("search 2 words", backend.search, pairs),
                ("similar title ", backend.similar, typed),
                ("similar post  ", backend.similar, posts[: len(posts)]),
            ):
                first = _pcts(_timed(func, args))
                again = _pcts(_timed(func, args))
                print(f"{label} {kind}  first: {first}   again: {again}")
            backend.close()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max RSS     {rss_mb:.0f} MB (this process, corpus in memory included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", help="JSONL of the Askbot generator (see above)")
    args = parser.parse_args()
    if args.threads:
        compare_scorers(args.threads, args.queries)
        return
    corpus = Corpus()
    docs = list(corpus.docs(args.docs))
    with tempfile.TemporaryDirectory() as base:
        backend = WhooshBackend(base)
        start = time.perf_counter()
        backend.rebuild(iter(docs))
        elapsed = time.perf_counter() - start
        rate = len(docs) / elapsed
        print(f"rebuild     {len(docs)} posts in {elapsed:.1f} s = {rate:,.0f} posts/s")

        rng = random.Random(11)
        queries = [(parse_query(corpus.words(rng.randint(2, 4))),) for _ in range(args.queries)]
        backend.search(*queries[0])  # warm caches like a long-running worker
        print(f"search      {_pcts(_timed(backend.search, queries))}")
        sorted_q = [(parse_query(q.text, sort="newest"),) for (q,) in queries[:100]]
        print(f"search new  {_pcts(_timed(backend.search, sorted_q))}")
        titles = [(f"{rng.choice(TOPICS)} {corpus.words(8)}", 5) for _ in range(args.queries)]
        print(f"similar t   {_pcts(_timed(backend.similar, titles))}  (title, as you type)")
        posts = [(f"{t} {corpus.words(80)}", 5) for t, _ in titles[:100]]
        print(f"similar tb  {_pcts(_timed(backend.similar, posts))}  (title+body, cache it)")
        typos = [("pyhton " + corpus.words(1),) for _ in range(50)]
        print(f"suggest     {_pcts(_timed(backend.suggest, typos))}")

        updates = [([d],) for d in docs[: min(200, len(docs))]]

        def upsert(batch):
            backend.apply(batch, ())

        def search_after_commit(query):
            upsert([docs[0]])
            start = time.perf_counter()
            backend.search(query)
            return (time.perf_counter() - start) * 1000

        print(f"upsert 1    {_pcts(_timed(upsert, updates))}  (one-doc commit, no merge)")
        after = [search_after_commit(q) for (q,) in queries[:100]]
        print(f"search      {_pcts(after)}  (first search after a commit: includes reopen)")
        start = time.perf_counter()
        count = len(backend.doc_ids())
        print(f"doc_ids     {count} ids in {(time.perf_counter() - start) * 1000:.0f} ms")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max RSS     {rss_mb:.0f} MB (this process, corpus in memory included)")
        backend.close()


if __name__ == "__main__":
    main()
