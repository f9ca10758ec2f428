"""Reading a Stack Exchange data dump: find its files, stream its rows, clean their fields.

A file may be compressed (``Posts.xml.xz`` or ``.gz``, as the demo data in the repository
is); progress then counts compressed bytes. The files are streamed with
``xml.etree.ElementTree.iterparse`` and every parsed row is cleared at once, so memory stays
flat however large the dump is. The XML parser is expat
(>= 2.4.1 limits entity expansion; ElementTree never fetches external entities), which is
why the S314 warnings below are silenced. Writing the rows is app.services.importer's job.
"""

import gzip
import hashlib
import lzma
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.validation import TAG_MAX, TITLE_MAX

POSTS_FILE, LINKS_FILE = "Posts.xml", "PostLinks.xml"
# Plain first: a folder holding both reads the plain file.
OPENERS = {"": None, ".xz": lzma.open, ".gz": gzip.open}
QUESTION_TYPE, ANSWER_TYPE = "1", "2"
DUPLICATE_LINK = "3"
FALLBACK_TAG = "imported"
MAX_TAGS = 5
SITE_MAX = 60  # keeps "<site>:user:<id>" well inside external_id's 100 characters
DOWNVOTE_POINTS = 2  # SPEC: -2 per downvote received

Progress = Callable[[int, int], None]

_TAG_DROP = re.compile(r"[^a-z0-9+#.-]")
_TAG_SPACE = re.compile(r"[\s_]+")
_ANGLE_TAGS = re.compile(r"<([^<>]*)>")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class DumpError(Exception):
    """The dump folder or one of its files cannot be imported; the message says why."""


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
    posts = dump_file(path, POSTS_FILE)
    if posts is None:
        raise DumpError(f"{path} has no {POSTS_FILE}: not a Stack Exchange dump folder.")
    site = path.resolve().name.lower()[:SITE_MAX]
    if not site:
        raise DumpError(f"Cannot name the site of {path}: use a folder named after it.")
    return DumpFiles(site=site, posts=posts, links=dump_file(path, LINKS_FILE))


def dump_file(folder: Path, name: str) -> Path | None:
    """``folder/name``, or its compressed copy (``.xz``, ``.gz``), if there is one."""
    for suffix in OPENERS:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def dump_folders(data_dir) -> list[Path]:
    """Dump folders in ``data_dir`` (itself, or its sub-folders holding a Posts.xml)."""
    data_dir = Path(data_dir)
    if dump_file(data_dir, POSTS_FILE):
        return [data_dir]
    return sorted(p for p in data_dir.iterdir() if p.is_dir() and dump_file(p, POSTS_FILE))


# -- reading ----------------------------------------------------------------------------------


class Tracker:
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


def iter_rows(
    path: Path, on_read: Callable[[int], None] = lambda _n: None
) -> Iterator[dict[str, str]]:
    """Yield the attributes of every ``<row>``, clearing parsed elements as it goes."""
    opener = OPENERS.get(path.suffix)
    try:
        with path.open("rb") as raw:
            source = _CountingReader(raw, on_read)
            if opener is not None:
                # lzma reads any object with read() (typeshed asks for a full IO[bytes]).
                source = opener(source, "rb")  # type: ignore[call-overload]
            parser = ET.iterparse(  # noqa: S314  (see the module docstring)
                source, events=("start", "end")
            )
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
        raise DumpError(
            f"{path.name} is not valid XML (line {line}, column {column}): "
            f"{_parse_reason(error)}. Nothing of the failing batch was written."
        ) from None
    except (lzma.LZMAError, EOFError, gzip.BadGzipFile) as error:
        raise DumpError(f"{path.name} is not a valid compressed file ({error}).") from None
    except OSError as error:
        raise DumpError(f"Cannot read {path}: {error.strerror or error}.") from None


def _parse_reason(error: ET.ParseError) -> str:
    return str(error).split(":", 1)[0]


# -- cleaning -------------------------------------------------------------------------------


def site_slug(site: str) -> str:
    """A short [a-z0-9-] name for the site: the site itself, or a prefix plus a hash."""
    slug = _SLUG_DROP.sub("-", site.lower()).strip("-") or "site"
    if len(slug) > 16:
        slug = slug[:9].rstrip("-") + digest(site, 6)
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
    title = " ".join(CONTROL_CHARS.sub(" ", raw or "").split()) or f"Untitled question {post_id}"
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
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


def parse_int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def score_reputation(score: int, points_per_upvote: int) -> int:
    return score * points_per_upvote if score > 0 else score * DOWNVOTE_POINTS


COMMUNITY = None  # owner key of posts without a (real) OwnerUserId


@dataclass
class Post:
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


def parse_post(row: dict[str, str], *, question: bool) -> Post | None:
    """The fields we keep, or None for a row too broken to import."""
    se_id, created = parse_int(row.get("Id")), parse_date(row.get("CreationDate"))
    if se_id is None or created is None:
        return None
    owner = parse_int(row.get("OwnerUserId"))
    if owner is not None and owner <= 0:  # -1 is Stack Exchange's "Community" bot
        owner = COMMUNITY
    post = Post(
        se_id=se_id,
        owner=owner,
        owner_name=" ".join(CONTROL_CHARS.sub(" ", row.get("OwnerDisplayName") or "").split()),
        score=parse_int(row.get("Score")) or 0,
        created_at=created,
        updated_at=parse_date(row.get("LastActivityDate" if question else "LastEditDate"))
        or created,
        body=row.get("Body") or "",
    )
    if question:
        post.title = clean_title(row.get("Title"), se_id)
        post.tags = tuple(normalise_tags(row.get("Tags")))
    else:
        post.parent = parse_int(row.get("ParentId"))
        if post.parent is None:
            return None
    return post


def digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
