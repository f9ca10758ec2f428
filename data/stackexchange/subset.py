"""Build the compressed demo subset of Stack Exchange dumps that ships in this folder.

    python data/stackexchange/subset.py ../shared/data/stackexchange data/stackexchange

For every dump folder (one per site) in SOURCE it writes DEST/<site>/Posts.xml.xz and, when
the dump has one, PostLinks.xml.xz: the questions that have at least one answer, their
answers, the duplicates pointing at them, and the links whose two ends were both kept. Rows
keep the standard dump schema (only the attributes the importer and the attribution need),
so `flask import stackexchange` reads the subset like any dump. The content stays CC BY-SA:
see README.md beside this file.
"""

import lzma
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import quoteattr

KEEP = (
    "Id",
    "PostTypeId",
    "ParentId",
    "AcceptedAnswerId",
    "CreationDate",
    "Score",
    "Body",
    "OwnerUserId",
    "OwnerDisplayName",
    "LastEditDate",
    "LastActivityDate",
    "Title",
    "Tags",
    "AnswerCount",
    "CommentCount",
    "ContentLicense",
)
LINK_KEEP = ("Id", "CreationDate", "PostId", "RelatedPostId", "LinkTypeId")


def _rows(path: Path):
    for _event, element in ET.iterparse(path):  # noqa: S314  (our own, trusted input)
        if element.tag == "row":
            yield dict(element.attrib)
            element.clear()


def _write(path: Path, root: str, rows, keep) -> int:
    count = 0
    # preset 9 | extreme: the files are built once and read often; decompression stays fast.
    with lzma.open(path, "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n')
        for row in rows:
            attrs = " ".join(f"{k}={quoteattr(row[k])}" for k in keep if k in row)
            out.write(f"  <row {attrs} />\n")
            count += 1
        out.write(f"</{root}>\n")
    return count


def build_site(source: Path, dest: Path) -> tuple[int, int, int]:
    """Write the subset of one dump folder; returns (questions, answers, links) kept."""
    posts = list(_rows(source / "Posts.xml"))
    questions = {row["Id"] for row in posts if row.get("PostTypeId") == "1"}
    answered = {
        row["ParentId"]
        for row in posts
        if row.get("PostTypeId") == "2" and row.get("ParentId") in questions
    }
    links = list(_rows(source / "PostLinks.xml")) if (source / "PostLinks.xml").is_file() else []
    # A duplicate of a kept question stays too: its "answered in" link is the point of it.
    duplicates = {
        row["PostId"]
        for row in links
        if row.get("LinkTypeId") == "3"
        and row.get("RelatedPostId") in answered
        and row.get("PostId") in questions
    }
    kept = [
        row
        for row in posts
        if (row.get("PostTypeId") == "1" and row["Id"] in answered | duplicates)
        or (row.get("PostTypeId") == "2" and row.get("ParentId") in answered)
    ]
    ids = {row["Id"] for row in kept}
    dest.mkdir(parents=True, exist_ok=True)
    _write(dest / "Posts.xml.xz", "posts", kept, KEEP)
    if links:
        links = [
            row for row in links if row.get("PostId") in ids and row.get("RelatedPostId") in ids
        ]
        _write(dest / "PostLinks.xml.xz", "postlinks", links, LINK_KEEP)
    questions_kept = len(answered | duplicates)
    return questions_kept, len(kept) - questions_kept, len(links)


def main(source: str, dest: str) -> None:
    for folder in sorted(p for p in Path(source).iterdir() if (p / "Posts.xml").is_file()):
        counts = build_site(folder, Path(dest) / folder.name)
        print(f"{folder.name}: {counts[0]} questions, {counts[1]} answers, {counts[2]} links")


if __name__ == "__main__":
    main(*sys.argv[1:3])
