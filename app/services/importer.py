"""Import a Stack Exchange data dump (Posts.xml, PostLinks.xml) as public questions and answers.

Rows come from app.services.stackexchange_dump (streamed, flat memory). Posts.xml is read
twice: questions first, then answers (an answer may come before its question in the file),
then PostLinks.xml for duplicate links. Rows are written in batches, one write transaction
each; everything carries an ``external_id``, so a second run creates nothing.
"""

from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, case, select, update

from app.core.transaction import write_transaction
from app.models import Answer, HelpfulMark, Question, User
from app.rendering import render_markdown
from app.services.importer_links import duplicate_pair, write_links
from app.services.importer_users import ensure_users
from app.services.stackexchange_dump import (
    ANSWER_TYPE,
    COMMUNITY,
    QUESTION_TYPE,
    DumpError,
    DumpFiles,
    Post,
    Progress,
    Tracker,
    dump_folders,
    find_dump,
    iter_rows,
    parse_int,
    parse_post,
    score_reputation,
    site_slug,
)
from app.services.tags import get_or_create_tags
from app.services.votes import HELPED_ME, UPVOTE_ANSWER, UPVOTE_QUESTION

# Re-exported: the CLI and tests reach the reader through this module.
__all__ = [
    "DumpError",
    "DumpFiles",
    "ImportSummary",
    "dump_folders",
    "find_dump",
    "import_stackexchange",
    "iter_rows",
]

BATCH_SIZE = 500


@dataclass
class ImportSummary:
    """What one import created (and what it left alone)."""

    site: str
    users: int = 0
    questions: int = 0
    answers: int = 0
    helpful: int = 0
    links: int = 0
    existing: int = 0  # questions and answers already imported by an earlier run
    skipped: int = 0  # other post types, malformed rows, answers whose question is missing
    skipped_links: int = 0  # duplicate links with an end that was not imported

    @property
    def created(self) -> int:
        """Rows of any kind this run created."""
        return self.users + self.questions + self.answers + self.helpful + self.links

    def __str__(self) -> str:
        return (
            f"{self.site}: {self.users} users, {self.questions} questions, {self.answers} "
            f"answers, {self.helpful} helped-me marks, {self.links} answered-in links created; "
            f"{self.existing} posts were already imported; {self.skipped} posts and "
            f"{self.skipped_links} duplicate links skipped."
        )


def import_stackexchange(
    directory, progress: Progress | None = None, *, batch_size: int = BATCH_SIZE
) -> ImportSummary:
    """Import one dump folder; idempotent. ``progress(bytes_read, total_bytes)`` is optional.

    Creates one user per OwnerUserId (posts without one, or by Stack Exchange's own
    "Community" user -1, go to a single ``se-<site>-community`` user), questions (PostTypeId 1)
    and answers (PostTypeId 2) with their score and dates, "helped me" marks for accepted
    answers, and "answered in" links for duplicates (PostLinks LinkTypeId 3). Other post
    types are skipped, as are answers whose question is not imported.

    Reputation is an approximation of SPEC §1: a dump only has each post's net score, not its
    votes, so each newly imported post gives its owner +10 per answer score point, +2 per
    question score point and -2 per point below zero (as if the net were all downvotes), plus
    +15 for an accepted answer (not for accepting one's own answer, as in the helpful
    service). The community user earns nothing. After every batch a user's reputation is
    floored at 0, so it never goes negative. Existing rows are never updated. Imported
    threads are public and named, so all of it is public reputation (``users.reputation``;
    see app/services/reputation.py): nothing goes to ``private_reputation``.

    A corrupt file raises DumpError; batches written before the error stay (a re-run after
    fixing the file completes the import), the failing batch writes nothing.
    """
    dump = find_dump(directory)
    run = _Import(dump.site, batch_size, Tracker(progress, dump.total_bytes))
    run.import_questions(dump.posts)
    run.import_answers(dump.posts)
    if dump.links:
        run.import_links(dump.links)
    run.tracker.finish()
    return run.summary


# -- writing --------------------------------------------------------------------------------

# Core tables (a model's __table__ is typed as any FromClause): executemany UPDATEs below.
_users = cast(Table, User.__table__)
_questions = cast(Table, Question.__table__)

_ADD_REPUTATION = (
    update(_users)
    .where(_users.c.id == bindparam("b_id"))
    .values(
        reputation=case(
            (_users.c.reputation + bindparam("b_delta") < 0, 0),
            else_=_users.c.reputation + bindparam("b_delta"),
        )
    )
)
_ADD_ANSWERS = (
    update(_questions)
    .where(_questions.c.id == bindparam("b_id"))
    .values(answer_count=_questions.c.answer_count + bindparam("b_n"))
)


class _Import:
    """One run over one dump folder."""

    def __init__(self, site: str, batch_size: int, tracker: Tracker) -> None:
        self.site, self.slug = site, site_slug(site)
        self.batch_size = max(1, batch_size)
        self.tracker = tracker
        self.summary = ImportSummary(site=site)
        # Ids of accepted answers, sorted after pass one: 8 bytes each, searched by bisect.
        self.accepted = array("q")

    # external ids
    def post_key(self, se_id: int) -> str:
        return f"{self.site}:{se_id}"

    def parent_key(self, answer: Post) -> str:
        """The external id of an answer's question."""
        assert answer.parent is not None  # parse_post keeps only answers that name one
        return self.post_key(answer.parent)

    def _batches(self, path: Path, keep: Callable[[dict[str, str]], object]):
        """Yield lists of at most batch_size kept (non-None) results of keep(row)."""
        batch = []
        for row in iter_rows(path, self.tracker.advance):
            item = keep(row)
            if item is not None:
                batch.append(item)
                if len(batch) >= self.batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    # pass one: questions
    def import_questions(self, path: Path) -> None:
        def keep(row):
            post_type = row.get("PostTypeId")
            if post_type == ANSWER_TYPE:
                return None  # pass two
            accepted = parse_int(row.get("AcceptedAnswerId"))
            post = parse_post(row, question=True) if post_type == QUESTION_TYPE else None
            if post is None:
                self.summary.skipped += 1
            elif accepted is not None:
                self.accepted.append(accepted)
            return post

        for batch in self._batches(path, keep):
            self._write_questions(batch)
        self.accepted = array("q", sorted(set(self.accepted)))

    def _write_questions(self, posts: list[Post]) -> None:
        with write_transaction() as session:
            posts = self._new_posts(session, Question, posts)
            if not posts:
                return
            users = self._ensure_users(session, posts)
            tags = {
                t.name: t
                for t in get_or_create_tags(sorted({name for p in posts for name in p.tags}))
            }
            reputation: Counter[int] = Counter()
            for post in posts:
                owner_id = users[post.owner]
                session.add(
                    Question(
                        owner_id=owner_id,
                        title=post.title,
                        body=post.body,
                        body_html=render_markdown(post.body),
                        score=post.score,
                        answer_count=0,
                        external_id=self.post_key(post.se_id),
                        created_at=post.created_at,
                        updated_at=post.updated_at,
                        tags=[tags[name] for name in post.tags],
                    )
                )
                if post.owner is not COMMUNITY:
                    reputation[owner_id] += score_reputation(post.score, UPVOTE_QUESTION)
            session.flush()
            self._add_reputation(session, reputation)
            self.summary.questions += len(posts)

    # pass two: answers
    def import_answers(self, path: Path) -> None:
        def keep(row):
            if row.get("PostTypeId") != ANSWER_TYPE:
                return None
            post = parse_post(row, question=False)
            if post is None:
                self.summary.skipped += 1
            return post

        for batch in self._batches(path, keep):
            self._write_answers(batch)

    def _is_accepted(self, se_id: int) -> bool:
        index = bisect_left(self.accepted, se_id)
        return index < len(self.accepted) and self.accepted[index] == se_id

    def _write_answers(self, posts: list[Post]) -> None:
        with write_transaction() as session:
            posts = self._new_posts(session, Answer, posts)
            parent_keys = {self.parent_key(p) for p in posts}
            parents = {
                row.external_id: row
                for row in session.execute(
                    select(Question.id, Question.owner_id, Question.external_id).where(
                        Question.external_id.in_(parent_keys)
                    )
                )
            }
            orphans = [p for p in posts if self.parent_key(p) not in parents]
            self.summary.skipped += len(orphans)
            posts = [p for p in posts if self.parent_key(p) in parents]
            if not posts:
                return
            users = self._ensure_users(session, posts)
            reputation: Counter[int] = Counter()
            per_question: Counter[int] = Counter()
            marks = []
            for post in posts:
                parent = parents[self.parent_key(post)]
                owner_id = users[post.owner]
                answer = Answer(
                    question_id=parent.id,
                    owner_id=owner_id,
                    body=post.body,
                    body_html=render_markdown(post.body),
                    score=post.score,
                    external_id=self.post_key(post.se_id),
                    created_at=post.created_at,
                    updated_at=post.updated_at,
                )
                session.add(answer)
                per_question[parent.id] += 1
                if post.owner is not COMMUNITY:
                    reputation[owner_id] += score_reputation(post.score, UPVOTE_ANSWER)
                if self._is_accepted(post.se_id):
                    marks.append((answer, parent.owner_id, post.created_at))
                    if owner_id != parent.owner_id and post.owner is not COMMUNITY:
                        reputation[owner_id] += HELPED_ME
            session.flush()
            session.add_all(
                HelpfulMark(answer_id=answer.id, user_id=asker_id, created_at=when)
                for answer, asker_id, when in marks
            )
            session.flush()
            session.execute(
                _ADD_ANSWERS, [{"b_id": qid, "b_n": n} for qid, n in sorted(per_question.items())]
            )
            self._add_reputation(session, reputation)
            self.summary.answers += len(posts)
            self.summary.helpful += len(marks)

    # pass three: duplicate links (importer_links)
    def import_links(self, path: Path) -> None:
        for batch in self._batches(path, lambda row: duplicate_pair(row, self.summary)):
            write_links(batch, self.post_key, self.summary)

    # shared
    def _new_posts(self, session, model, posts: list[Post]) -> list[Post]:
        """Drop posts already imported (and repeats within the batch)."""
        unique: dict[str, Post] = {}
        for post in posts:
            unique.setdefault(self.post_key(post.se_id), post)  # the first one wins
        existing = set(
            session.scalars(select(model.external_id).where(model.external_id.in_(unique)))
        )
        self.summary.existing += len(existing)
        self.summary.skipped += len(posts) - len(unique)
        return [p for key, p in unique.items() if key not in existing]

    def _ensure_users(self, session, posts: list[Post]) -> dict[int | None, int]:
        """Map each post owner to a user id, creating users (see importer_users)."""
        ids, created = ensure_users(session, self.site, self.slug, posts)
        self.summary.users += created
        return ids

    @staticmethod
    def _add_reputation(session, reputation: Counter[int]) -> None:
        changes = [
            {"b_id": uid, "b_delta": delta} for uid, delta in sorted(reputation.items()) if delta
        ]
        if changes:
            session.execute(_ADD_REPUTATION, changes)
