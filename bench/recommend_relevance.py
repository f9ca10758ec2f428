"""Mentor-recommendation relevance on real Stack Exchange threads: held-out accepted answers.

Usage:
  .venv/bin/python -m bench.recommend_relevance [--data DIR]
  .venv/bin/python -m bench.recommend_relevance --latency-db sqlite:///instance/bench.db

Relevance: every dump folder under DIR (default ../shared/data/stackexchange) is imported into
a temporary SQLite database with the app's own importer (accepted answers become "helped me"
marks), and the Whoosh index is built from it with ``rebuild_index()``. Dumps have no
profiles, so every imported user is made ``mentor_available`` (topics, skills and time zones
stay empty: those signals are covered by tests/unit/test_candidates.py, not here).

Each question with an accepted answer by someone other than its asker plays a new goal: its
title + body is the goal's text, its tags the goal's tags, its asker the owner. The whole
thread is held out (the question is never a similar thread, none of its answers is
evidence) and ``app.services.mentor_recommendations.recommend`` (the code behind the goal page and
``/api/v1/goals/<id>/mentor-candidates``, with its real queries, index lookup and gate)
ranks 5 mentors. Hit: the accepted answer's author is among them. Recall@5 and MRR@5.

Baselines: the 5 users with the highest reputation, and the 5 users with the most answers on
the question's tags (both leaving out the asker and the held-out thread's answers: the
reputation an answer earned there is taken off its author, with the importer's formula).
Variants switch parts of the scorer off by patching its weights for the run.

Latency (``--latency-db``): on a ``bench.generate`` corpus (built once, reused), the index is
built in a temporary directory and ``mentor_candidates(owner, goal)`` is timed for random
open goals, with the number of SQL statements per call.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import PROJECT_ROOT
from bench.search_relevance import mean_reciprocal_rank, rank_of, recall_at

K = 5
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "stackexchange"


@dataclass(frozen=True)
class Case:
    """One held-out thread: the question as a goal, and whose answer was accepted."""

    question_id: int
    asker_id: int
    author_id: int
    text: str
    tags: tuple[str, ...]
    answer_ids: frozenset[int]


@dataclass(frozen=True)
class Variant:
    name: str
    weights: tuple[tuple[str, float], ...] = ()


VARIANTS = [
    Variant("recommend (all signals)"),
    Variant("similar threads only", (("TAG_RECORD_WEIGHT", 0.0), ("REPUTATION_WEIGHT", 0.0))),
    Variant(
        "tag record only",
        (
            ("ANSWER_WEIGHT", 0.0),
            ("HELPFUL_WEIGHT", 0.0),
            ("VOTE_WEIGHT", 0.0),
            ("REPUTATION_WEIGHT", 0.0),
        ),
    ),
    Variant("no reputation prior", (("REPUTATION_WEIGHT", 0.0),)),
    Variant("helped-me x1 (not x3)", (("HELPFUL_WEIGHT", 1.0),)),
    Variant("track record x3", (("TAG_RECORD_WEIGHT", 0.9), ("TAG_RECORD_CAP", 9.0))),
    Variant("reputation prior x5", (("REPUTATION_WEIGHT", 0.5),)),
    Variant("10 similar threads (not 30)", (("SIMILAR_THREADS", 10),)),
    Variant("50 similar threads (not 30)", (("SIMILAR_THREADS", 50),)),
]


@contextlib.contextmanager
def weights(variant: Variant) -> Iterator[None]:
    from app.services import mentor_ranking, mentor_recommendations

    # Each weight is patched in the module that reads it: the scorer's, or the lookup's.
    def owner(name: str):
        return mentor_ranking if hasattr(mentor_ranking, name) else mentor_recommendations

    saved = {name: getattr(owner(name), name) for name, _ in variant.weights}
    try:
        for name, value in variant.weights:
            setattr(owner(name), name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(owner(name), name, value)


def _p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0.0


# -- relevance ----------------------------------------------------------------------------


def load_cases() -> list[Case]:
    """Questions whose accepted (helped-me) answer is by someone other than the asker."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Answer, HelpfulMark, Question
    from app.search.documents import html_to_text

    answers: dict[int, set[int]] = defaultdict(set)
    for aid, qid in db.session.execute(select(Answer.id, Answer.question_id)):
        answers[qid].add(aid)
    cases = []
    rows = db.session.execute(
        select(Question, Answer.owner_id)
        .join(Answer, Answer.question_id == Question.id)
        .join(HelpfulMark, HelpfulMark.answer_id == Answer.id)
        .order_by(Question.id)
    ).all()
    for question, author in rows:
        if author == question.owner_id:
            continue
        cases.append(
            Case(
                question.id,
                question.owner_id,
                author,
                f"{question.title}\n{html_to_text(question.body_html)}",
                tuple(t.name for t in question.tags),
                frozenset(answers[question.id]),
            )
        )
    return cases


def baselines(cases: Sequence[Case]) -> dict[str, list[int | None]]:
    """Ranks of the accepted author under the reputation and tag-answerer baselines."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Answer, HelpfulMark, Question, User
    from app.models.questions import question_tags
    from app.models.tags import Tag
    from app.services.importer import UPVOTE_ANSWER, score_reputation

    reputation = dict(db.session.execute(select(User.id, User.reputation)).all())
    earned: dict[int, list[tuple[int, int]]] = defaultdict(list)  # question -> (user, rep)
    for qid, owner, score, mark in db.session.execute(
        select(Answer.question_id, Answer.owner_id, Answer.score, HelpfulMark.answer_id).outerjoin(
            HelpfulMark, HelpfulMark.answer_id == Answer.id
        )
    ):
        earned[qid].append(
            (owner, score_reputation(score, UPVOTE_ANSWER) + (15 if mark is not None else 0))
        )
    by_tag: dict[str, Counter[int]] = defaultdict(Counter)
    thread_tags: dict[int, set[str]] = defaultdict(set)
    for qid, tag in db.session.execute(
        select(question_tags.c.question_id, Tag.name).join(Tag, Tag.id == question_tags.c.tag_id)
    ):
        thread_tags[qid].add(tag)
    answered = db.session.execute(select(Answer.question_id, Answer.owner_id)).all()
    for qid, owner in answered:
        for tag in thread_tags[qid]:
            by_tag[tag][owner] += 1
    del Question
    ranks: dict[str, list[int | None]] = {
        "baseline: top reputation": [],
        "baseline: top answerers on the tags": [],
    }
    for case in cases:
        rep = dict(reputation)
        for owner, points in earned[case.question_id]:
            rep[owner] = rep.get(owner, 0) - points
        top = sorted((u for u in rep if u != case.asker_id), key=lambda u: (-rep[u], u))[:K]
        ranks["baseline: top reputation"].append(rank_of(top, case.author_id))
        counts: Counter[int] = Counter()
        for tag in case.tags:
            counts.update(by_tag[tag])
        for qid, owner in ((case.question_id, o) for o, _ in earned[case.question_id]):
            for tag in thread_tags[qid]:
                if tag in case.tags:
                    counts[owner] -= 1  # the held-out thread's own answers
        top = [
            u
            for u, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if n > 0 and u != case.asker_id
        ][:K]
        ranks["baseline: top answerers on the tags"].append(rank_of(top, case.author_id))
    return ranks


def run_relevance(data: Path, variants: Sequence[Variant]) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import update

    from app.extensions import db
    from app.models import User
    from app.search import service
    from app.search.documents import doc_id_for
    from app.services.importer import dump_folders, import_stackexchange
    from app.services.mentor_recommendations import recommend
    from bench.common import bench_app

    with tempfile.TemporaryDirectory(prefix="recommend-") as base:
        workdir = Path(base)
        app = bench_app(f"sqlite:///{workdir / 'recommend.db'}")
        app.config["SEARCH_INDEX_DIR"] = str(workdir / "index")
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            for folder in dump_folders(data):
                print(f"imported {import_stackexchange(folder)}")
            db.session.execute(update(User).values(mentor_available=True))
            db.session.commit()
            service._backends.clear()
            print(f"indexed {service.rebuild_index()} documents")
            cases = load_cases()
            print(
                f"{len(cases)} held-out threads (accepted answer by someone else than the "
                f"asker), {len({c.author_id for c in cases})} distinct accepted authors"
            )
            table = []
            for variant in variants:
                ranks, millis = [], []
                with weights(variant):
                    for case in cases:
                        start = time.perf_counter()
                        recs = recommend(
                            case.text,
                            case.tags,
                            exclude_users={case.asker_id},
                            exclude_doc_ids=[doc_id_for("question", case.question_id)],
                            exclude_question_ids={case.question_id},
                            exclude_answer_ids=case.answer_ids,
                            limit=K,
                        )
                        millis.append((time.perf_counter() - start) * 1000)
                        ranks.append(rank_of([r.user_id for r in recs], case.author_id))
                        db.session.rollback()
                table.append((variant.name, ranks, millis))
            table += [(name, ranks, []) for name, ranks in baselines(cases).items()]
            service.get_backend().close()
            service._backends.clear()
            db.session.remove()
    print("\n| ranking | held-out threads | Recall@5 | MRR@5 | ms per call p50 / p95 |")
    print("|---|---|---|---|---|")
    for name, ranks, millis in table:
        timing = f"{statistics.median(millis):.1f} / {_p95(millis):.1f}" if millis else "-"
        print(
            f"| {name} | {len(ranks)} | {recall_at(ranks):.3f} | "
            f"{mean_reciprocal_rank(ranks):.3f} | {timing} |"
        )


# -- latency at scale ----------------------------------------------------------------------


def run_latency(url: str, samples: int, seed: int) -> None:
    from sqlalchemy import event, select

    from app.extensions import db
    from app.models import Goal, User
    from app.search import service
    from app.services import candidates
    from bench.common import bench_app

    with tempfile.TemporaryDirectory(prefix="recommend-index-") as base:
        app = bench_app(url, read_only=True)
        app.config["SEARCH_INDEX_DIR"] = base
        with app.app_context():
            service._backends.clear()
            started = time.perf_counter()
            count = service.rebuild_index()
            print(f"indexed {count} documents in {time.perf_counter() - started:.0f} s")
            available = db.session.scalar(
                select(db.func.count(User.id)).where(User.mentor_available.is_(True))
            )
            goal_ids = list(db.session.scalars(select(Goal.id).where(Goal.visibility == "open")))
            print(f"{len(goal_ids)} open goals, {available} available mentors")
            rng = random.Random(seed)
            chosen = rng.sample(goal_ids, min(samples, len(goal_ids)))
            statements: list[int] = []
            current = [0]

            def count_statement(*_args):
                current[0] += 1

            event.listen(db.engine, "before_cursor_execute", count_statement)
            millis, listed = [], []
            for i, goal_id in enumerate(chosen):
                db.session.rollback()
                goal = db.session.get(Goal, goal_id)
                owner = db.session.get(User, goal.owner_id)
                current[0] = 0
                start = time.perf_counter()
                items = candidates.mentor_candidates(owner, goal)
                elapsed = (time.perf_counter() - start) * 1000
                if i >= 5:  # the first calls warm the index's caches
                    millis.append(elapsed)
                    statements.append(current[0])
                    listed.append(len(items))
            event.remove(db.engine, "before_cursor_execute", count_statement)
            service.get_backend().close()
            service._backends.clear()
            db.session.remove()
    print(
        f"mentor_candidates on {len(millis)} goals: p50 {statistics.median(millis):.1f} ms, "
        f"p95 {_p95(millis):.1f} ms, max {max(millis):.1f} ms; SQL statements per call "
        f"median {statistics.median(statements):g}, max {max(statements)}; "
        f"candidates listed median {statistics.median(listed):g}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="a dump folder, or a folder of them (default: %(default)s)",
    )
    parser.add_argument(
        "--only-current", action="store_true", help="measure the current scorer only (no variants)"
    )
    parser.add_argument("--latency-db", help="time mentor_candidates on this corpus instead")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.latency_db:
        run_latency(args.latency_db, args.samples, args.seed)
    else:
        run_relevance(args.data, VARIANTS[:1] if args.only_current else VARIANTS)


if __name__ == "__main__":
    main()
