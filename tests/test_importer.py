"""The Stack Exchange importer, `flask import stackexchange` and `flask demo load`."""

import gzip
import lzma
import re
import tracemalloc
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import quoteattr

import click._termui_impl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Answer,
    Goal,
    HelpfulMark,
    JournalEntry,
    Milestone,
    Outcome,
    Question,
    User,
)
from app.services.accounts import authenticate
from app.services.demo import demo_goals, demo_questions, demo_users
from app.services.importer import (
    DumpError,
    ImportSummary,
    dump_folders,
    find_dump,
    import_stackexchange,
    iter_rows,
)
from app.services.questions import list_questions
from app.services.stackexchange_dump import clean_title, normalise_tags, site_slug
from tests.helpers import count

SHARED_DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange"
USERNAME_RE = re.compile(r"[a-z0-9_-]{3,30}")
LONG_TAG = "a-really-long-tag-name-that-goes-on-and-on-forever"

# -- building dump folders ------------------------------------------------------------------


def _row(attrs: dict) -> str:
    return "  <row " + " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items()) + " />\n"


def write_xml(path: Path, root: str, rows: list[dict], *, tail: str | None = None) -> Path:
    """Write a dump file: a BOM, the declaration, one <row/> per dict (tail replaces the end)."""
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n' + f"<{root}>\n"
    text += "".join(_row(r) for r in rows)
    text += f"</{root}>\n" if tail is None else tail
    path.write_text(text, encoding="utf-8")
    return path


def post(id_, type_, **attrs) -> dict:
    created = datetime(2020, 1, 1, 10) + timedelta(days=id_ - 1)
    row = {
        "Id": id_,
        "PostTypeId": type_,
        "CreationDate": f"{created:%Y-%m-%dT%H:%M:%S}.250",
        "Score": 0,
        "Body": f"<p>Body of post {id_}, long enough to be an answer.</p>",
    }
    row.update(attrs)
    return row


MINI_POSTS = [
    # An answer before its question, accepted, with hostile HTML.
    post(
        5,
        2,
        ParentId=1,
        Score=3,
        OwnerUserId=20,
        Body="<p>Use <code>x</code>.</p><script>alert(1)</script>"
        '<a href="javascript:alert(2)">click</a><img src="x" onerror="alert(3)">',
    ),
    post(
        1,
        1,
        AcceptedAnswerId=5,
        Score=4,
        OwnerUserId=10,
        OwnerDisplayName="Ada L.",
        CreationDate="2020-01-01T09:30:00.500",
        LastActivityDate="2020-01-03T00:00:00",
        Title="How do I <b>parse</b> XML & stream it?",
        Tags="<Python><c++><Machine Learning><C#><.net><sixth-tag>",
        Body="<p>Hello <strong>world</strong></p>\n<script>alert('x')</script>",
    ),
    # No OwnerUserId: a deleted account; goes to the community user.
    post(
        2,
        1,
        OwnerDisplayName="Deleted Person",
        Score=-1,
        Title="A question from a deleted account",
        Tags=f"|weird tag|ÜBER_cool|{LONG_TAG}|",
    ),
    post(3, 1, OwnerUserId=20, Title="x" * 200, Tags="<!!!><???>"),
    post(
        4,
        1,
        OwnerUserId=30,
        Score=-5,
        AcceptedAnswerId=12,
        Title="Downvoted question",
        Tags="<meta>",
    ),
    post(6, 2, ParentId=2, OwnerUserId=10, Score=-2),
    post(7, 2, ParentId=999, OwnerUserId=40, Score=50),  # its question is not in the dump
    post(8, 4, OwnerUserId=10, Body="A tag wiki excerpt."),  # other post types: skipped
    post(9, 7, OwnerUserId=10),
    post(10, 2, ParentId=3, OwnerUserId=10, Score=1),
    post(11, 2, ParentId=1, OwnerUserId=10),  # answering one's own question
    post(12, 2, ParentId=4, OwnerUserId=-1, Score=2),  # Stack Exchange's Community user
]

MINI_LINKS = [
    {"Id": 1, "PostId": 3, "RelatedPostId": 1, "LinkTypeId": 3},  # duplicate: 3 answered in 1
    {"Id": 2, "PostId": 2, "RelatedPostId": 1, "LinkTypeId": 1},  # plain link: ignored
    {"Id": 3, "PostId": 4, "RelatedPostId": 404, "LinkTypeId": 3},  # target missing: skipped
    {"Id": 4, "PostId": 3, "RelatedPostId": 2, "LinkTypeId": 3},  # second duplicate: first wins
]


def make_dump(base: Path, name: str = "mini.site", posts=MINI_POSTS, links=MINI_LINKS) -> Path:
    folder = base / name
    folder.mkdir(parents=True)
    write_xml(folder / "Posts.xml", "posts", posts)
    if links is not None:
        write_xml(folder / "PostLinks.xml", "postlinks", links)
    return folder


def by_external_id(model, external_id: str):
    return db.session.scalar(select(model).where(model.external_id == external_id))


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


# -- pure helpers ---------------------------------------------------------------------------


def test_tag_normalisation():
    assert normalise_tags("<Python><c++><Machine Learning><C#><.net><sixth-tag>") == [
        "python",
        "c++",
        "machine-learning",
        "c#",
        ".net",
    ]
    assert normalise_tags(f"|weird tag|ÜBER_cool|{LONG_TAG}|") == [
        "weird-tag",
        "uber-cool",
        LONG_TAG[:35].rstrip("-"),
    ]
    assert normalise_tags("<a><a><b>") == ["a", "b"]
    assert normalise_tags("<!!!><???>") == ["imported"]
    assert normalise_tags("") == normalise_tags(None) == ["imported"]
    assert all(len(t) <= 35 for t in normalise_tags("<" + "x" * 80 + ">"))


def test_titles_and_site_slugs():
    assert clean_title("  a\ttitle\nwith\x00 breaks ", 1) == "a title with breaks"
    long = clean_title("y" * 300, 1)
    assert len(long) == 150 and long.endswith("…")
    assert clean_title("", 7) == "Untitled question 7"
    assert site_slug("cstheory.meta") == "cstheory-meta"
    long_slug = site_slug("softwareengineering.meta.stackexchange.com")
    assert len(long_slug) <= 16 and re.fullmatch(r"[a-z0-9-]+", long_slug)
    assert long_slug != site_slug("softwareengineering.meta")


# -- importing a hand-written dump ----------------------------------------------------------


@pytest.mark.parametrize("batch_size", [500, 2])
def test_import_small_dump(app, tmp_path, batch_size):
    summary = import_stackexchange(make_dump(tmp_path), batch_size=batch_size)
    assert summary == ImportSummary(
        site="mini.site",
        users=4,
        questions=4,
        answers=5,
        helpful=2,
        links=1,
        existing=0,
        skipped=3,
        skipped_links=1,
    )
    db.session.commit()
    assert count(User) == 4 and count(Question) == 4 and count(Answer) == 5
    assert count(HelpfulMark) == 2

    q1 = by_external_id(Question, "mini.site:1")
    assert q1.title == "How do I <b>parse</b> XML & stream it?"
    assert q1.score == 4 and q1.answer_count == 2 and q1.goal_id is None
    assert q1.created_at == datetime(2020, 1, 1, 9, 30, 0, 500_000, tzinfo=UTC)
    assert q1.updated_at == datetime(2020, 1, 3, tzinfo=UTC)
    assert [t.name for t in q1.tags] == [".net", "c#", "c++", "machine-learning", "python"]
    assert q1.body.startswith("<p>Hello <strong>world</strong></p>")
    assert "<strong>world</strong>" in q1.body_html
    assert "<script" not in q1.body_html and "alert" not in q1.body_html

    q2, q3, q4 = (by_external_id(Question, f"mini.site:{i}") for i in (2, 3, 4))
    assert [t.name for t in q2.tags] == [LONG_TAG[:35].rstrip("-"), "uber-cool", "weird-tag"]
    assert q2.score == -1 and q2.answer_count == 1
    assert len(q3.title) == 150 and q3.title.endswith("…")
    assert [t.name for t in q3.tags] == ["imported"]
    assert q3.answered_in_id == q1.id  # the first duplicate link wins
    assert q1.answered_in_id is None and q2.answered_in_id is None
    assert q4.answered_in_id is None and q4.answer_count == 1

    a5 = by_external_id(Answer, "mini.site:5")
    assert a5.question_id == q1.id and a5.score == 3 and a5.helpful
    assert a5.created_at == datetime(2020, 1, 5, 10, 0, 0, 250_000, tzinfo=UTC)
    assert "<code>x</code>" in a5.body_html
    for bad in ("<script", "javascript:", "onerror", "alert"):
        assert bad not in a5.body_html
    assert a5.helpful_mark.user_id == q1.owner_id
    assert by_external_id(Answer, "mini.site:7") is None  # orphan
    assert by_external_id(Answer, "mini.site:8") is None
    assert not by_external_id(Answer, "mini.site:11").helpful

    u10 = by_external_id(User, "mini.site:user:10")
    u20 = by_external_id(User, "mini.site:user:20")
    u30 = by_external_id(User, "mini.site:user:30")
    community = by_external_id(User, "mini.site:user:community")
    assert by_external_id(User, "mini.site:user:40") is None  # only wrote an orphan answer
    assert u10.username == "se-mini-site-10" and u10.display_name == "Ada L."
    assert u10.email == "se-mini-site-10@users.invalid"
    assert u20.display_name == "Stack Exchange user 20"
    assert community.username == "se-mini-site-community"
    assert q1.owner_id == u10.id and q2.owner_id == community.id
    assert by_external_id(Answer, "mini.site:12").owner_id == community.id
    # +2/question point, +10/answer point, -2 per point below zero, +15 accepted, floor 0.
    assert u10.reputation == 2 * 4 - 2 * 2 + 10 * 1
    assert u20.reputation == 10 * 3 + 15
    assert u30.reputation == 0 and community.reputation == 0
    for user in (u10, u20, u30, community):
        assert USERNAME_RE.fullmatch(user.username)
        assert user.password_hash == "!"
        assert authenticate(user.username, "anything at all") is None
    # Imported threads are public.
    assert list_questions(None).total == 4


def test_second_import_creates_nothing(app, tmp_path):
    folder = make_dump(tmp_path)
    import_stackexchange(folder)
    before = {m: count(m) for m in (User, Question, Answer, HelpfulMark)}
    reputation = dict(db.session.execute(select(User.username, User.reputation)).all())
    again = import_stackexchange(folder, batch_size=3)
    assert again.created == 0
    assert (again.existing, again.skipped, again.skipped_links) == (9, 3, 1)
    db.session.commit()
    assert {m: count(m) for m in before} == before
    assert dict(db.session.execute(select(User.username, User.reputation)).all()) == reputation
    assert by_external_id(Question, "mini.site:1").answer_count == 2


def test_answer_in_a_later_dump_version_and_manual_links_are_kept(app, tmp_path):
    folder = make_dump(tmp_path, posts=MINI_POSTS[1:], links=None)  # without answer 5
    first = import_stackexchange(folder)
    assert first.answers == 4 and first.helpful == 1
    q3 = by_external_id(Question, "mini.site:3")
    q3.answered_in_id = by_external_id(Question, "mini.site:4").id  # set by a person
    db.session.commit()
    write_xml(folder / "Posts.xml", "posts", MINI_POSTS)
    write_xml(folder / "PostLinks.xml", "postlinks", MINI_LINKS)
    second = import_stackexchange(folder)
    assert (second.answers, second.helpful, second.links, second.users) == (1, 1, 0, 0)
    db.session.commit()
    assert by_external_id(Question, "mini.site:1").answer_count == 2
    assert by_external_id(Answer, "mini.site:5").helpful
    assert by_external_id(Question, "mini.site:3").answered_in_id == q3.answered_in_id


def test_username_taken_by_a_person(app, tmp_path, make_user):
    person = make_user("se-mini-site-10")
    import_stackexchange(make_dump(tmp_path))
    db.session.commit()
    u10 = by_external_id(User, "mini.site:user:10")
    assert u10.id != person.id and USERNAME_RE.fullmatch(u10.username)
    assert u10.username.startswith("se-mini-site-10-")
    assert u10.email == f"{u10.username}@users.invalid"
    assert by_external_id(User, "mini.site:user:20").username == "se-mini-site-20"
    assert authenticate("se-mini-site-10", "correct horse battery").id == person.id


def test_malformed_rows_are_skipped(app, tmp_path):
    posts = [
        post(1, 1, OwnerUserId=1, Title="Fine question title", Tags="<ok>"),
        {"PostTypeId": 1, "Title": "No id at all"},
        post(2, 1, OwnerUserId=1, CreationDate="yesterday", Title="Bad date"),
        post(3, 2, OwnerUserId=1),  # answer without ParentId
        post(4, 1, OwnerUserId="abc", Score="n/a", Title="Odd owner and score"),
        post(1, 1, OwnerUserId=2, Title="The same Id again"),
    ]
    summary = import_stackexchange(make_dump(tmp_path, posts=posts, links=None))
    assert (summary.questions, summary.answers, summary.skipped) == (2, 0, 4)
    db.session.commit()
    assert by_external_id(Question, "mini.site:1").title == "Fine question title"
    odd = by_external_id(Question, "mini.site:4")
    assert odd.score == 0 and odd.owner.username == "se-mini-site-community"


# -- the real shared dumps ------------------------------------------------------------------


def test_import_real_cstheory_meta(app):
    folder = SHARED_DUMPS / "cstheory.meta"
    if not (folder / "Posts.xml").is_file():
        pytest.skip(f"{folder} is not available")
    summary = import_stackexchange(folder)
    assert (summary.questions, summary.answers) == (589, 1322)  # per the data README
    assert summary.links == 13 and summary.helpful > 0 and summary.users > 0
    db.session.commit()
    assert count(Question) == 589 and count(Answer) == 1322
    assert count(Question, Question.answered_in_id.is_not(None)) == 13
    assert count(Question, Question.body_html.contains("<script")) == 0
    assert count(User, User.reputation < 0) == 0
    drift = db.session.scalar(
        select(func.count())
        .select_from(Question)
        .where(
            Question.answer_count
            != select(func.count(Answer.id))
            .where(Answer.question_id == Question.id)
            .scalar_subquery()
        )
    )
    assert drift == 0
    again = import_stackexchange(folder)
    assert again.created == 0 and again.existing == 589 + 1322
    db.session.commit()
    assert count(Question) == 589 and count(Answer) == 1322


# -- streaming ------------------------------------------------------------------------------


def test_import_streams_a_large_file(app, tmp_path):
    """A ~20 MB Posts.xml is imported with a Python heap peak far below the file size."""
    folder = tmp_path / "big.site"
    folder.mkdir()
    filler = "<p>" + "Lorem ipsum dolor sit amet. " * 360 + "</p>"  # ~10 KB per row
    with (folder / "Posts.xml").open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for i in range(1, 2001):
            out.write(_row(post(i, 5, OwnerUserId=1, Body=filler)))  # tag wikis: skipped
        for i in range(3001, 3201):
            out.write(
                _row(
                    post(
                        i,
                        1,
                        OwnerUserId=i % 17 + 1,
                        Title=f"Question number {i}",
                        Tags="<load><test>",
                    )
                )
            )
            out.write(_row(post(i + 1000, 2, ParentId=i, OwnerUserId=i % 13 + 1, Score=1)))
        out.write("</posts>\n")
    size = (folder / "Posts.xml").stat().st_size
    assert size > 20_000_000
    seen = []
    tracemalloc.start()
    try:
        summary = import_stackexchange(folder, lambda done, total: seen.append((done, total)))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.questions, summary.answers, summary.skipped) == (200, 200, 2000)
    assert peak < size / 4, f"peak {peak} bytes for a {size} byte file"
    assert seen[-1] == (2 * size, 2 * size)
    assert all(a[0] <= b[0] for a, b in pairwise(seen))


# -- compressed dumps -----------------------------------------------------------------------


def _compress(folder: Path, suffix: str) -> None:
    """Replace every .xml of a dump folder by its .xz or .gz copy."""
    for path in list(folder.glob("*.xml")):
        opener = lzma.open if suffix == ".xz" else gzip.open
        with opener(path.with_name(path.name + suffix), "wb") as out:
            out.write(path.read_bytes())
        path.unlink()


@pytest.mark.parametrize("suffix", [".xz", ".gz"])
def test_compressed_dump_imports_like_the_plain_one(app, tmp_path, suffix):
    folder = make_dump(tmp_path)
    _compress(folder, suffix)
    assert dump_folders(tmp_path) == [folder]
    seen = []
    summary = import_stackexchange(folder, lambda done, total: seen.append((done, total)))
    assert (summary.questions, summary.answers, summary.links) == (4, 5, 1)
    total = (
        sum(f.stat().st_size for f in folder.iterdir())
        + (folder / f"Posts.xml{suffix}").stat().st_size
    )  # Posts is read twice
    assert seen[-1] == (total, total)  # progress counts compressed bytes
    db.session.commit()
    assert by_external_id(Question, "mini.site:3").answered_in_id is not None


def test_plain_file_wins_over_its_compressed_copy(app, tmp_path):
    folder = make_dump(tmp_path, links=None)
    with lzma.open(folder / "Posts.xml.xz", "wb") as out:
        out.write(b"<posts></posts>")
    assert find_dump(folder).posts.name == "Posts.xml"
    assert import_stackexchange(folder).questions == 4


def test_corrupt_compressed_file_fails_cleanly(app, tmp_path):
    folder = tmp_path / "broken.site"
    folder.mkdir()
    (folder / "Posts.xml.xz").write_bytes(b"\xfd7zXZ\x00 not really xz")
    _assert_clean_failure(
        run(app, "import", "stackexchange", folder), "Posts.xml.xz is not a valid compressed file"
    )
    with lzma.open(folder / "Posts.xml.xz", "wb") as out:  # valid xz, truncated XML inside
        out.write(('<?xml version="1.0"?>\n<posts>\n' + TRUNCATED_TAIL).encode())
    _assert_clean_failure(run(app, "import", "stackexchange", folder), "not valid XML")
    db.session.commit()
    assert count(Question) == 0


def test_the_repository_subset_is_small_and_complete():
    """The threads shipped for the demo: a few hundred kB, every question answered."""
    shipped = Path(__file__).resolve().parents[1] / "data" / "stackexchange"
    files = list(shipped.glob("*/*.xz"))
    assert {f.parent.name for f in files} == {"cstheory.meta", "datascience.meta"}
    assert sum(f.stat().st_size for f in files) < 2_000_000
    questions, parents = set(), set()
    for folder in dump_folders(shipped):
        for row in iter_rows(find_dump(folder).posts):
            if row["PostTypeId"] == "1":
                questions.add((folder.name, row["Id"]))
            else:
                parents.add((folder.name, row["ParentId"]))
    assert parents <= questions and len(questions & parents) >= 300


# -- the command line -----------------------------------------------------------------------


def test_cli_import(app, tmp_path):
    folder = make_dump(tmp_path)
    result = run(app, "import", "stackexchange", folder)
    assert result.exit_code == 0, result.output
    assert "Imported mini.site: 4 users, 4 questions, 5 answers" in result.output
    assert "CC BY-SA" in result.output
    again = run(app, "import", "stackexchange", folder, "--batch-size", "1")
    assert again.exit_code == 0, again.output
    assert "0 users, 0 questions, 0 answers, 0 helped-me marks, 0 answered-in" in again.output
    assert "9 posts were already imported" in again.output


def test_cli_progress_bar_only_on_a_terminal(app, tmp_path, monkeypatch):
    folder = make_dump(tmp_path)
    quiet = run(app, "import", "stackexchange", folder)
    assert quiet.exit_code == 0 and "Importing" not in quiet.output and "[" not in quiet.output
    assert run(app, "search", "reindex").output.startswith("Indexed ")

    monkeypatch.setattr("app.cli_progress.on_terminal", lambda: True)
    monkeypatch.setattr("app.cli_search.on_terminal", lambda: True)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda _file: True)
    other = make_dump(tmp_path / "more", "other.site")
    shown = run(app, "import", "stackexchange", other)
    assert shown.exit_code == 0, shown.output
    assert re.search(
        r"Importing other\.site .*100%.* [0-9.]+/[0-9.]+ MB, [0-9.]+ MB/s", shown.output
    ), shown.output
    db.session.commit()
    public = count(Question) + count(Answer)
    reindex = run(app, "search", "reindex")
    assert re.search(
        rf"Indexing .*100%.* {public}/{public} posts, [0-9,]+ posts/s", reindex.output
    ), reindex.output


def _assert_clean_failure(result, *fragments):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_cli_folder_without_posts(app, tmp_path):
    (tmp_path / "empty.site").mkdir()
    (tmp_path / "empty.site" / "PostLinks.xml").write_text("<postlinks />")
    _assert_clean_failure(
        run(app, "import", "stackexchange", tmp_path / "empty.site"), "Error:", "has no Posts.xml"
    )
    missing = run(app, "import", "stackexchange", tmp_path / "nope")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    with pytest.raises(DumpError):
        import_stackexchange(tmp_path / "empty.site")


TRUNCATED_TAIL = '  <row Id="9" PostTypeId="1" Title="Cut off in the midd'
QUESTIONS = [post(i, 1, OwnerUserId=i, Title=f"Question number {i}", Tags="<t>") for i in (1, 2, 3)]


def test_cli_truncated_file_writes_nothing_of_the_failing_batch(app, tmp_path):
    folder = tmp_path / "cut.site"
    folder.mkdir()
    write_xml(folder / "Posts.xml", "posts", QUESTIONS, tail=TRUNCATED_TAIL)
    result = run(app, "import", "stackexchange", folder)
    _assert_clean_failure(result, "Posts.xml is not valid XML (line", "Error:")
    db.session.commit()
    assert count(Question) == 0 and count(User) == 0

    # Smaller batches: the first (complete) batch stays, the failing one writes nothing.
    result = run(app, "import", "stackexchange", folder, "--batch-size", "2")
    _assert_clean_failure(result, "not valid XML")
    db.session.commit()
    assert count(Question) == 2 and count(User) == 2
    assert by_external_id(User, "cut.site:user:3") is None

    # Fixing the file and running again completes the import.
    write_xml(folder / "Posts.xml", "posts", QUESTIONS)
    result = run(app, "import", "stackexchange", folder)
    assert result.exit_code == 0 and "1 users, 1 questions" in result.output
    assert count(Question) == 3


def test_cli_corrupt_files(app, tmp_path):
    folder = tmp_path / "junk.site"
    folder.mkdir()
    (folder / "Posts.xml").write_bytes(b"\x00\xffnot xml at all")
    _assert_clean_failure(run(app, "import", "stackexchange", folder), "not valid XML")
    write_xml(folder / "Posts.xml", "posts", QUESTIONS)
    (folder / "PostLinks.xml").write_text("<postlinks><row Id='1' PostId='1'", encoding="utf-8")
    _assert_clean_failure(
        run(app, "import", "stackexchange", folder), "PostLinks.xml is not valid XML"
    )
    db.session.commit()
    assert count(Question) == 3  # the posts themselves were fine


# -- flask demo load ------------------------------------------------------------------------


def _demo_counts() -> dict:
    return {
        "goals": count(Goal),
        "milestones": count(Milestone),
        "done": count(Milestone, Milestone.done.is_(True)),
        "journal": count(JournalEntry),
        "goal_questions": count(Question, Question.goal_id.is_not(None)),
        "imported_questions": count(Question, Question.external_id.is_not(None)),
        "answers": count(Answer),
        "helpful": count(HelpfulMark),
        "outcomes": count(Outcome),
        "users": count(User),
    }


def test_demo_load_is_idempotent(app, tmp_path):
    data = tmp_path / "data"
    make_dump(
        data,
        "tiny.site",
        posts=[
            post(1, 1, OwnerUserId=7, Title="A tiny imported question", Tags="<demo>"),
            post(2, 2, ParentId=1, OwnerUserId=8, Score=2),
        ],
        links=None,
    )
    first = run(app, "demo", "load", "--data-dir", data)
    assert first.exit_code == 0, first.output
    assert f"Demo users: {len(demo_users())} created" in first.output
    assert "Imported tiny.site: 2 users, 1 questions, 1 answers" in first.output
    assert f"Demo goals: {len(demo_goals())} created, 0 already there" in first.output
    assert "Importing" not in first.output  # no progress bar off a terminal
    db.session.commit()
    counts = _demo_counts()
    spec_answers = sum(
        len(q.get("answers", []))
        for g in demo_goals()
        for q in g.get("questions", []) + g.get("mentorship", {}).get("questions", [])
    ) + sum(len(q["answers"]) for q in demo_questions())
    assert counts["goals"] == len(demo_goals()) and counts["imported_questions"] == 1
    assert counts["answers"] == spec_answers + 1
    assert counts["users"] == len(demo_users()) + 2
    assert counts["done"] < counts["milestones"] and counts["helpful"] > 10
    owners = set(db.session.scalars(select(User.username).join(Goal, Goal.owner_id == User.id)))
    assert owners == {spec["username"] for spec in demo_users()}
    for question in db.session.scalars(select(Question).where(Question.goal_id.is_not(None))):
        assert question.goal.owner_id == question.owner_id
        assert question.answer_count >= 1
        answers = db.session.scalars(select(Answer).where(Answer.question_id == question.id))
        assert all(a.owner_id != question.owner_id for a in answers.unique())
    grace = db.session.scalar(select(User).where(User.username == "grace"))
    assert grace.reputation >= 15  # helped-me marks went through the helpful service

    second = run(app, "demo", "load", "--data-dir", data)
    assert second.exit_code == 0, second.output
    assert "Demo users: 0 created" in second.output
    assert "0 questions, 0 answers" in second.output
    assert f"Demo goals: 0 created, {len(demo_goals())} already there" in second.output
    db.session.commit()
    assert _demo_counts() == counts


def test_demo_load_without_data(app, tmp_path):
    result = run(app, "demo", "load", "--data-dir", tmp_path / "missing")
    assert result.exit_code == 0, result.output
    assert f"No Stack Exchange data at {tmp_path / 'missing'}: skipping" in result.output
    assert f"Demo goals: {len(demo_goals())} created" in result.output
    (tmp_path / "empty").mkdir()
    result = run(app, "demo", "load", "--data-dir", tmp_path / "empty")
    assert result.exit_code == 0 and "No dump folders" in result.output
    db.session.commit()
    assert count(Goal) == len(demo_goals())
    assert count(Question, Question.external_id.is_not(None)) == 0


def test_demo_load_reports_a_broken_dump(app, tmp_path):
    data = tmp_path / "data"
    make_dump(data, "good.site", posts=QUESTIONS, links=None)
    bad = data / "bad.site"
    bad.mkdir()
    write_xml(bad / "Posts.xml", "posts", QUESTIONS, tail=TRUNCATED_TAIL)
    result = run(app, "demo", "load", "--data-dir", data)
    _assert_clean_failure(result, "Could not import", "bad.site", "Imported good.site")
    db.session.commit()
    assert count(Goal) == len(demo_goals())
    assert count(Question, Question.external_id.like("good.site:%")) == 3
    assert count(Question, Question.external_id.like("bad.site:%")) == 0
