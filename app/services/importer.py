"""Import a Stack Exchange data dump (Posts.xml, PostLinks.xml) as public questions and answers.

The files are streamed with ``xml.etree.ElementTree.iterparse`` and every parsed row is
cleared at once, so memory stays flat however large the dump is. Posts.xml is read twice:
questions first, then answers (an answer may come before its question in the file), then
PostLinks.xml for duplicate links. Rows are written in batches, one write transaction each;
everything carries an ``external_id``, so a second run creates nothing.

The XML parser is expat (>= 2.4.1 limits entity expansion; ElementTree never fetches external
entities), which is why the S314 warnings below are silenced.
"""

import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import bindparam, case, select, update

from app.models import Answer, HelpfulMark, Question, User
from app.rendering import render_markdown
from app.services.tags import get_or_create_tags
from app.services.transaction import write_transaction
from app.services.validation import TAG_MAX, TITLE_MAX, USERNAME_MAX
from app.services.votes import HELPED_ME, UPVOTE_ANSWER, UPVOTE_QUESTION

POSTS_FILE, LINKS_FILE = "Posts.xml", "PostLinks.xml"
BATCH_SIZE = 500
QUESTION_TYPE, ANSWER_TYPE = "1", "2"
DUPLICATE_LINK = "3"
# Not a valid hash of any scheme: verify_password() is always False, so nobody can sign in.
UNUSABLE_PASSWORD = "!"  # noqa: S105  (a marker, not a password)
FALLBACK_TAG = "imported"
MAX_TAGS = 5
SITE_MAX = 60  # keeps "<site>:user:<id>" well inside external_id's 100 characters
DISPLAY_NAME_MAX = 60
DOWNVOTE_POINTS = 2  # SPEC: -2 per downvote received

Progress = Callable[[int, int], None]

_TAG_DROP = re.compile(r"[^a-z0-9+#.-]")
_TAG_SPACE = re.compile(r"[\s_]+")
_ANGLE_TAGS = re.compile(r"<([^<>]*)>")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DumpError(Exception):
    """The dump folder or one of its files cannot be imported; the message says why."""


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


@dataclass(frozen=True)
class DumpFiles:
    """The files of one dump folder and the site they come from."""

    site: str
    posts: Path
    links: Path | None

    @property
    def total_bytes(self) -> int:
        """Bytes an import reads: Posts.xml twice, PostLinks.xml once."""
        size = 2 * self.posts.stat().st_size
        return size + (self.links.stat().st_size if self.links else 0)


def find_dump(directory) -> DumpFiles:
    """Check a dump folder; the site name is the folder's name (e.g. ``cstheory.meta``)."""
    path = Path(directory)
    if not path.is_dir():
        raise DumpError(f"{path} is not a folder.")
    posts = path / POSTS_FILE
    if not posts.is_file():
        raise DumpError(f"{path} has no {POSTS_FILE}: not a Stack Exchange dump folder.")
    links = path / LINKS_FILE
    site = path.resolve().name.lower()[:SITE_MAX]
    if not site:
        raise DumpError(f"Cannot name the site of {path}: use a folder named after it.")
    return DumpFiles(site=site, posts=posts, links=links if links.is_file() else None)


def dump_folders(data_dir) -> list[Path]:
    """Dump folders in ``data_dir`` (itself, or its sub-folders holding a Posts.xml)."""
    data_dir = Path(data_dir)
    if (data_dir / POSTS_FILE).is_file():
        return [data_dir]
    return sorted(p for p in data_dir.iterdir() if (p / POSTS_FILE).is_file())


def import_stackexchange(directory, progress: Progress | None = None, *,
                         batch_size: int = BATCH_SIZE) -> ImportSummary:
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
    floored at 0, so it never goes negative. Existing rows are never updated.

    A corrupt file raises DumpError; batches written before the error stay (a re-run after
    fixing the file completes the import), the failing batch writes nothing.
    """
    dump = find_dump(directory)
    run = _Import(dump.site, batch_size, _Tracker(progress, dump.total_bytes))
    run.import_questions(dump.posts)
    run.import_answers(dump.posts)
    if dump.links:
        run.import_links(dump.links)
    run.tracker.finish()
    return run.summary


# -- reading ----------------------------------------------------------------------------------

class _Tracker:
    """Counts bytes read across files and reports them to the progress callback."""

    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def advance(self, size: int) -> None:
        self.done += size
        if self.callback and size:
            self.callback(min(self.done, self.total), self.total)

    def finish(self) -> None:
        if self.callback:
            self.callback(self.total, self.total)


class _CountingReader:
    """A binary file wrapper that tells the tracker how many bytes iterparse pulled."""

    def __init__(self, raw, on_read: Callable[[int], None]) -> None:
        self._raw, self._on_read = raw, on_read

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._on_read(len(data))
        return data


def iter_rows(path: Path, on_read: Callable[[int], None] = lambda _n: None
              ) -> Iterator[dict[str, str]]:
    """Yield the attributes of every ``<row>``, clearing parsed elements as it goes."""
    try:
        with path.open("rb") as raw:
            parser = ET.iterparse(  # noqa: S314  (see the module docstring)
                _CountingReader(raw, on_read), events=("start", "end"))
            root = None
            for event, element in parser:
                if root is None:
                    root = element  # the first "start" is the document element
                if event != "end" or element is root:
                    continue
                if element.tag == "row":
                    yield dict(element.attrib)
                # Drop every finished element so the tree never grows.
                element.clear()
                root.clear()
    except ET.ParseError as error:
        line, column = error.position
        raise DumpError(f"{path.name} is not valid XML (line {line}, column {column}): "
                        f"{_parse_reason(error)}. Nothing of the failing batch was written."
                        ) from None
    except OSError as error:
        raise DumpError(f"Cannot read {path}: {error.strerror or error}.") from None


def _parse_reason(error: ET.ParseError) -> str:
    return str(error).split(":", 1)[0]


# -- cleaning -------------------------------------------------------------------------------

def site_slug(site: str) -> str:
    """A short [a-z0-9-] name for the site: the site itself, or a prefix plus a hash."""
    slug = _SLUG_DROP.sub("-", site.lower()).strip("-") or "site"
    if len(slug) > 16:
        slug = slug[:9].rstrip("-") + _digest(site, 6)
    return slug


def normalise_tags(raw: str | None) -> list[str]:
    """Tags from "<a><b>" or "|a|b|" to [a-z0-9+#.-] (≤ 35 chars), at most 5, else "imported"."""
    raw = raw or ""
    if "<" in raw:
        parts = _ANGLE_TAGS.findall(raw)
    elif "|" in raw:
        parts = raw.split("|")
    else:
        parts = raw.split()
    names: list[str] = []
    for part in parts:
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        name = _TAG_DROP.sub("", _TAG_SPACE.sub("-", ascii_part.strip().lower()))
        name = name.strip("-")[:TAG_MAX].rstrip("-")
        if name and name not in names:
            names.append(name)
        if len(names) == MAX_TAGS:
            break
    return names or [FALLBACK_TAG]


def clean_title(raw: str | None, post_id: int) -> str:
    """One line, at most 150 characters (cut with an ellipsis)."""
    title = " ".join(_CONTROL.sub(" ", raw or "").split()) or f"Untitled question {post_id}"
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX - 1].rstrip() + "…"
    return title


def parse_date(raw: str | None) -> datetime | None:
    """A dump timestamp ("2010-08-16T20:20:28.943", UTC) as an aware datetime."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _score_reputation(score: int, points_per_upvote: int) -> int:
    return score * points_per_upvote if score > 0 else score * DOWNVOTE_POINTS


COMMUNITY = None  # owner key of posts without a (real) OwnerUserId


@dataclass
class _Post:
    se_id: int
    owner: int | None  # Stack Exchange user id, or COMMUNITY
    owner_name: str
    score: int
    created_at: datetime
    updated_at: datetime
    body: str
    parent: int | None = None  # answers
    title: str = ""  # questions
    tags: tuple[str, ...] = ()


def _parse_post(row: dict[str, str], *, question: bool) -> _Post | None:
    """The fields we keep, or None for a row too broken to import."""
    se_id, created = _int(row.get("Id")), parse_date(row.get("CreationDate"))
    if se_id is None or created is None:
        return None
    owner = _int(row.get("OwnerUserId"))
    if owner is not None and owner <= 0:  # -1 is Stack Exchange's "Community" bot
        owner = COMMUNITY
    post = _Post(
        se_id=se_id, owner=owner,
        owner_name=" ".join(_CONTROL.sub(" ", row.get("OwnerDisplayName") or "").split()),
        score=_int(row.get("Score")) or 0, created_at=created,
        updated_at=parse_date(row.get("LastActivityDate" if question else "LastEditDate"))
        or created,
        body=row.get("Body") or "",
    )
    if question:
        post.title = clean_title(row.get("Title"), se_id)
        post.tags = tuple(normalise_tags(row.get("Tags")))
    else:
        post.parent = _int(row.get("ParentId"))
        if post.parent is None:
            return None
    return post


# -- writing --------------------------------------------------------------------------------

_users = User.__table__
_questions = Question.__table__

_ADD_REPUTATION = update(_users).where(_users.c.id == bindparam("b_id")).values(
    reputation=case(
        (_users.c.reputation + bindparam("b_delta") < 0, 0),
        else_=_users.c.reputation + bindparam("b_delta"),
    ))
_ADD_ANSWERS = update(_questions).where(_questions.c.id == bindparam("b_id")).values(
    answer_count=_questions.c.answer_count + bindparam("b_n"))
_SET_ANSWERED_IN = update(_questions).where(
    _questions.c.id == bindparam("b_id"), _questions.c.answered_in_id.is_(None)
).values(answered_in_id=bindparam("b_target"))


class _Import:
    """One run over one dump folder."""

    def __init__(self, site: str, batch_size: int, tracker: _Tracker) -> None:
        self.site, self.slug = site, site_slug(site)
        self.batch_size = max(1, batch_size)
        self.tracker = tracker
        self.summary = ImportSummary(site=site)
        # Ids of accepted answers, sorted after pass one: 8 bytes each, searched by bisect.
        self.accepted = array("q")

    # external ids
    def post_key(self, se_id: int) -> str:
        return f"{self.site}:{se_id}"

    def user_key(self, owner: int | None) -> str:
        return f"{self.site}:user:{'community' if owner is COMMUNITY else owner}"

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
            accepted = _int(row.get("AcceptedAnswerId"))
            post = _parse_post(row, question=True) if post_type == QUESTION_TYPE else None
            if post is None:
                self.summary.skipped += 1
            elif accepted is not None:
                self.accepted.append(accepted)
            return post

        for batch in self._batches(path, keep):
            self._write_questions(batch)
        self.accepted = array("q", sorted(set(self.accepted)))

    def _write_questions(self, posts: list[_Post]) -> None:
        with write_transaction() as session:
            posts = self._new_posts(session, Question, posts)
            if not posts:
                return
            users = self._ensure_users(session, posts)
            tags = {t.name: t for t in get_or_create_tags(
                sorted({name for p in posts for name in p.tags}))}
            reputation: Counter[int] = Counter()
            for post in posts:
                owner_id = users[post.owner]
                session.add(Question(
                    owner_id=owner_id, title=post.title, body=post.body,
                    body_html=render_markdown(post.body), score=post.score, answer_count=0,
                    external_id=self.post_key(post.se_id), created_at=post.created_at,
                    updated_at=post.updated_at, tags=[tags[name] for name in post.tags],
                ))
                if post.owner is not COMMUNITY:
                    reputation[owner_id] += _score_reputation(post.score, UPVOTE_QUESTION)
            session.flush()
            self._add_reputation(session, reputation)
            self.summary.questions += len(posts)

    # pass two: answers
    def import_answers(self, path: Path) -> None:
        def keep(row):
            if row.get("PostTypeId") != ANSWER_TYPE:
                return None
            post = _parse_post(row, question=False)
            if post is None:
                self.summary.skipped += 1
            return post

        for batch in self._batches(path, keep):
            self._write_answers(batch)

    def _is_accepted(self, se_id: int) -> bool:
        index = bisect_left(self.accepted, se_id)
        return index < len(self.accepted) and self.accepted[index] == se_id

    def _write_answers(self, posts: list[_Post]) -> None:
        with write_transaction() as session:
            posts = self._new_posts(session, Answer, posts)
            parent_keys = {self.post_key(p.parent) for p in posts}
            parents = {row.external_id: row for row in session.execute(
                select(Question.id, Question.owner_id, Question.external_id)
                .where(Question.external_id.in_(parent_keys)))}
            orphans = [p for p in posts if self.post_key(p.parent) not in parents]
            self.summary.skipped += len(orphans)
            posts = [p for p in posts if self.post_key(p.parent) in parents]
            if not posts:
                return
            users = self._ensure_users(session, posts)
            reputation: Counter[int] = Counter()
            per_question: Counter[int] = Counter()
            marks = []
            for post in posts:
                parent = parents[self.post_key(post.parent)]
                owner_id = users[post.owner]
                answer = Answer(
                    question_id=parent.id, owner_id=owner_id, body=post.body,
                    body_html=render_markdown(post.body), score=post.score,
                    external_id=self.post_key(post.se_id), created_at=post.created_at,
                    updated_at=post.updated_at,
                )
                session.add(answer)
                per_question[parent.id] += 1
                if post.owner is not COMMUNITY:
                    reputation[owner_id] += _score_reputation(post.score, UPVOTE_ANSWER)
                if self._is_accepted(post.se_id):
                    marks.append((answer, parent.owner_id, post.created_at))
                    if owner_id != parent.owner_id and post.owner is not COMMUNITY:
                        reputation[owner_id] += HELPED_ME
            session.flush()
            session.add_all(HelpfulMark(answer_id=answer.id, user_id=asker_id, created_at=when)
                            for answer, asker_id, when in marks)
            session.flush()
            session.execute(_ADD_ANSWERS, [{"b_id": qid, "b_n": n}
                                           for qid, n in sorted(per_question.items())])
            self._add_reputation(session, reputation)
            self.summary.answers += len(posts)
            self.summary.helpful += len(marks)

    # pass three: duplicate links
    def import_links(self, path: Path) -> None:
        def keep(row):
            if row.get("LinkTypeId") != DUPLICATE_LINK:
                return None
            source, target = _int(row.get("PostId")), _int(row.get("RelatedPostId"))
            if source is None or target is None or source == target:
                self.summary.skipped_links += 1
                return None
            return source, target

        for batch in self._batches(path, keep):
            self._write_links(batch)

    def _write_links(self, pairs: list[tuple[int, int]]) -> None:
        with write_transaction() as session:
            keys = {self.post_key(se_id) for pair in pairs for se_id in pair}
            found = {row.external_id: row for row in session.execute(
                select(Question.id, Question.external_id, Question.answered_in_id)
                .where(Question.external_id.in_(keys)))}
            links, linked = [], set()
            for source_id, target_id in pairs:
                source = found.get(self.post_key(source_id))
                target = found.get(self.post_key(target_id))
                if source is None or target is None:
                    self.summary.skipped_links += 1
                elif source.answered_in_id is None and source.id not in linked:
                    # The first duplicate link wins; links set by people are never replaced.
                    links.append({"b_id": source.id, "b_target": target.id})
                    linked.add(source.id)
            if links:
                session.execute(_SET_ANSWERED_IN, links)
            self.summary.links += len(links)

    # shared
    def _new_posts(self, session, model, posts: list[_Post]) -> list[_Post]:
        """Drop posts already imported (and repeats within the batch)."""
        unique: dict[str, _Post] = {}
        for post in posts:
            unique.setdefault(self.post_key(post.se_id), post)  # the first one wins
        existing = set(session.scalars(
            select(model.external_id).where(model.external_id.in_(unique))))
        self.summary.existing += len(existing)
        self.summary.skipped += len(posts) - len(unique)
        return [p for key, p in unique.items() if key not in existing]

    def _ensure_users(self, session, posts: list[_Post]) -> dict[int | None, int]:
        """Map each post owner (Stack Exchange id or COMMUNITY) to a user id, creating users."""
        names: dict[int | None, str] = {}
        for post in posts:
            if not names.get(post.owner):
                names[post.owner] = post.owner_name
        keys = {self.user_key(owner): owner for owner in names}
        ids = {keys[row.external_id]: row.id for row in session.execute(
            select(User.id, User.external_id).where(User.external_id.in_(keys)))}
        missing = [owner for owner in names if owner not in ids]
        if not missing:
            return ids
        wanted = {owner: self._username(owner) for owner in missing}
        taken = set(session.scalars(select(User.username).where(
            User.username.in_(wanted.values()))))
        taken |= {email.split("@", 1)[0] for email in session.scalars(
            select(User.email).where(User.email.in_(_email(n) for n in wanted.values())))}
        created = []
        for owner, username in wanted.items():
            if username in taken:
                username = self._free_username(session, owner)
            taken.add(username)
            user = User(
                username=username, email=_email(username), password_hash=UNUSABLE_PASSWORD,
                display_name=self._display_name(owner, names[owner]), preferred_modes=[],
                external_id=self.user_key(owner),
            )
            session.add(user)
            created.append((owner, user))
        session.flush()
        ids.update((owner, user.id) for owner, user in created)
        self.summary.users += len(created)
        return ids

    def _username(self, owner: int | None) -> str:
        suffix = "community" if owner is COMMUNITY else str(owner)
        username = f"se-{self.slug}-{suffix}"
        if len(username) > USERNAME_MAX:
            username = f"se-{_digest(self.user_key(owner), 12)}"
        return username

    def _free_username(self, session, owner: int | None) -> str:
        """Another name when a person already took ours (they could register se-... names)."""
        base = self._username(owner)[:USERNAME_MAX - 7]
        for attempt in range(100):
            username = f"{base}-{_digest(f'{self.user_key(owner)}#{attempt}', 6)}"
            clash = session.scalar(select(User.id).where(
                (User.username == username) | (User.email == _email(username))))
            if clash is None:
                return username
        raise DumpError(f"No free username for {self.user_key(owner)}.")  # pragma: no cover

    def _display_name(self, owner: int | None, name: str) -> str:
        if owner is COMMUNITY:
            return f"{self.site} community"[:DISPLAY_NAME_MAX]
        return (name or f"Stack Exchange user {owner}")[:DISPLAY_NAME_MAX]

    @staticmethod
    def _add_reputation(session, reputation: Counter[int]) -> None:
        changes = [{"b_id": uid, "b_delta": delta}
                   for uid, delta in sorted(reputation.items()) if delta]
        if changes:
            session.execute(_ADD_REPUTATION, changes)


def _email(username: str) -> str:
    return f"{username}@users.invalid"


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
