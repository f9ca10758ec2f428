"""Query parsing and search documents: every operator, caps, and hostile input."""

import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.search.documents import (
    SearchDocument,
    as_utc,
    doc_id_for,
    html_to_text,
    parse_doc_id,
)
from app.search.query import MAX_FILTER_VALUES, MAX_QUERY_CHARS, MAX_TERMS, parse_query

HOSTILE = [
    "NOT OR x",
    "AND",
    "OR OR OR",
    '"unbalanced',
    'a "b c',
    '""',
    '"',
    "((((",
    "))))",
    "title:x",
    "title:secret",
    "doc_id:question:1",
    "type:goal",
    "author:alice",
    "*",
    "?",
    "pyth*",
    "a?c",
    "~2",
    "^3",
    "python^100",
    "[",
    "]",
    "[]",
    "[[python]]",
    "tag:",
    "user:",
    "is:",
    "answers:",
    "answers:-1",
    "answers:99999",
    "is:question:goal",
    "\x00\x01\x02",
    "python\x00tests",
    "\u202epython\u202c",
    "🐍 python 🚀",
    "مرحبا بالعالم",
    "שלום עולם",
    "'; DROP TABLE questions; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "%s %d {0}",
    "\\",
    '\\\\"',
    "\ud800",
    "\uffff",
    " ",
    "",
    "\t\n\r",
]


def random_text(size: int, seed: int = 1) -> str:
    """Printable and unprintable noise, including quotes, brackets and colons."""
    rng = random.Random(seed)
    alphabet = 'abc xyz:"[]()*?-\\^~\x00\x1f\u200b🐍é'
    return "".join(rng.choice(alphabet) for _ in range(size))


def test_free_words_keep_their_order():
    q = parse_query("How to Run python tests")
    assert q.words == ("How", "to", "Run", "python", "tests")
    assert q.phrases == () and not q.has_filters and q.has_text


def test_quoted_phrases():
    q = parse_query('flask "unit tests" and "blue green deploys"')
    assert q.phrases == ("unit tests", "blue green deploys")
    assert q.words == ("flask", "and")


def test_unbalanced_quote_runs_to_the_end():
    q = parse_query('python "unit tests')
    assert q.words == ("python",)
    assert q.phrases == ("unit tests",)


def test_empty_quotes_are_nothing():
    assert parse_query('""').is_empty


@pytest.mark.parametrize("text", ["[python]", "tag:python", "[Python]", "TAG:PYTHON"])
def test_tag_operators(text):
    q = parse_query(text)
    assert q.tags == ("python",)
    assert q.words == ()


def test_tag_with_symbols_and_several_tags():
    q = parse_query("[c++] tag:c# [node.js] memory")
    assert q.tags == ("c++", "c#", "node.js")
    assert q.words == ("memory",)


def test_invalid_tag_is_read_as_words():
    q = parse_query("tag:<b> [" + "x" * 40 + "]")
    assert q.tags == ()
    assert q.words == ("tag:<b>", "[" + "x" * 40 + "]")


def test_user_operator_lowercases():
    assert parse_query("user:Alice_01").users == ("alice_01",)


def test_invalid_user_is_read_as_words():
    q = parse_query("user:al!ce")
    assert q.users == () and q.words == ("user:al!ce",)


@pytest.mark.parametrize("kind", ["question", "answer", "goal"])
def test_is_operator(kind):
    q = parse_query(f"is:{kind} python")
    assert q.types == (kind,) and q.words == ("python",)


def test_several_is_operators_mean_any_of_them():
    assert parse_query("is:question is:goal").types == ("question", "goal")


def test_unknown_is_value_is_read_as_words():
    q = parse_query("is:secret")
    assert q.types == () and q.words == ("is:secret",)


def test_answers_zero_means_unanswered():
    q = parse_query("answers:0")
    assert (q.min_answers, q.max_answers) == (None, 0)
    assert q.has_filters and not q.has_text


def test_answers_n_means_at_least_n():
    q = parse_query("answers:3 python")
    assert (q.min_answers, q.max_answers) == (3, None)


@pytest.mark.parametrize("text", ["answers:-1", "answers:x", "answers:99999", "answers:٣"])
def test_invalid_answer_counts_are_words(text):
    q = parse_query(text)
    assert q.min_answers is None and q.max_answers is None
    assert q.words == (text,)


def test_unknown_operators_are_plain_words():
    q = parse_query("title:secret doc_id:question:1 author:bob")
    assert q.words == ("title:secret", "doc_id:question:1", "author:bob")
    assert not q.has_filters


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("relevance", "relevance"),
        ("newest", "newest"),
        ("votes", "votes"),
        ("VOTES", "relevance"),
        ("created_at desc", "relevance"),
        ("", "relevance"),
    ],
)
def test_sort_is_validated(given, expected):
    assert parse_query("x", sort=given).sort == expected


def test_api_parameters_add_filters_and_ignore_invalid_values():
    q = parse_query("python [flask]", types=["goal", "secret"], tags=["Web", "bad tag"])
    assert q.types == ("goal",)
    assert q.tags == ("flask", "web")


def test_filter_values_are_capped_and_deduplicated():
    text = " ".join(f"[t{n}] [t{n}]" for n in range(20))
    assert parse_query(text).tags == tuple(f"t{n}" for n in range(MAX_FILTER_VALUES))


def test_terms_are_capped():
    q = parse_query(" ".join(f"w{n}" for n in range(100)) + ' "a b c"')
    assert len(q.words) == MAX_TERMS
    assert q.phrases == ()


def test_phrase_words_count_towards_the_cap():
    q = parse_query('"' + " ".join(f"p{n}" for n in range(40)) + '" after')
    assert q.phrases == (" ".join(f"p{n}" for n in range(MAX_TERMS)),)
    assert q.words == ()


def test_query_length_is_capped():
    q = parse_query("word " * 10_000)
    assert len(q.text) <= MAX_QUERY_CHARS
    assert len(q.words) <= MAX_TERMS


def test_control_and_format_characters_become_spaces():
    q = parse_query("py\x00thon\u200btests\x1f[fl\x7fask]")
    assert q.words == ("py", "thon", "tests", "[fl", "ask]")
    assert q.tags == () and "\x00" not in q.text


def test_compatibility_forms_are_normalised():
    q = parse_query("ｐｙｔｈｏｎ ［flask］")  # fullwidth letters and brackets
    assert q.words == ("python",) and q.tags == ("flask",)


def test_empty_and_blank_queries_are_empty():
    for text in (None, "", "   ", "\x00\x01"):
        assert parse_query(text).is_empty


@pytest.mark.parametrize("text", [*HOSTILE, random_text(10_000), random_text(300, seed=2)])
def test_hostile_input_parses(text):
    q = parse_query(text, sort="votes")
    assert len(q.text) <= MAX_QUERY_CHARS
    assert len(q.words) + sum(len(p.split()) for p in q.phrases) <= MAX_TERMS


# -- documents --------------------------------------------------------------------------


def test_doc_ids_round_trip():
    assert doc_id_for("answer", 7) == "answer:7"
    assert parse_doc_id("goal:3") == ("goal", 3)


@pytest.mark.parametrize("bad", ["goal", "goal:", "goal:x", "user:1", "question:-1", ":1"])
def test_malformed_doc_ids_are_refused(bad):
    with pytest.raises(ValueError, match="malformed"):
        parse_doc_id(bad)


def test_document_checks_its_id_and_type():
    with pytest.raises(ValueError, match="unknown document type"):
        SearchDocument.make("comment", 1, title="t", body="b")
    with pytest.raises(ValueError, match="does not match"):
        SearchDocument(doc_id="question:2", type="question", id=1, title="t", body="b")


def test_document_dates_become_utc():
    cet = timezone(timedelta(hours=1))
    doc = SearchDocument.make(
        "goal", 1, title="t", body="b", created_at=datetime(2026, 1, 1, 12, tzinfo=cet)
    )
    assert doc.created_at == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert doc.created_at.tzinfo is UTC
    assert as_utc(datetime(2026, 1, 1)).tzinfo is UTC


def test_html_to_text_separates_blocks_and_decodes_entities():
    html = "<h2>Title</h2><p>One&amp;two</p><ul><li>a</li><li>b</li></ul>x<br>y"
    assert html_to_text(html) == "Title One&two a b x y"


def test_html_to_text_keeps_inline_words_together_and_drops_scripts():
    html = (
        "<p>un<em>break</em>able <code>x&lt;y</code></p><script>evil()</script><style>p{}</style>"
    )
    assert html_to_text(html) == "unbreakable x<y"


def test_html_to_text_of_nothing():
    assert html_to_text(None) == "" and html_to_text("") == ""
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


SPACES = re.compile(r"\s+")  # the reference: what html_to_text collapsed with before
WHITESPACE = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2003\u200a\u2028\u2029\u202f\u205f\u3000"
)


def test_html_to_text_collapses_exactly_the_whitespace_the_regex_did():
    text = "".join(f"w{i}{ch}{ch}" for i, ch in enumerate(WHITESPACE)) + "\u200b\ufeffend"
    html = f"<p>{WHITESPACE}{text}{WHITESPACE}</p>"
    assert html_to_text(html) == SPACES.sub(" ", text).strip()
    assert html_to_text(html).count(" ") == len(WHITESPACE)  # \u200b, \ufeff are not spaces


MARKDOWN_SAMPLES = [
    "# Title\n\nOne & two < three > four \"quoted\" 'single' &amp; &copy; &#169; &#xA9;",
    "- a\n- b\n  1. nested *em* **strong** `code <b>`\n\n> quote\n> more",
    '[link](https://example.com/a?b=1&c=2 "title > with <angle>") ![img](/x.png "t")',
    "```python\nif a < b and c > d:\n    print('<p>')\n```\n\ntext after",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "<script>alert(1)</script> <b onclick=\"x\">bold</b> <!-- comment --> <p class='x'>p</p>",
    "line one  \nline two\n\n---\n\n<details><summary>s</summary>hidden</details>",
    "naïve café 東京 — “quotes” … tabs\tand\u00a0nbsp",
]


@pytest.mark.parametrize("markdown", MARKDOWN_SAMPLES)
def test_html_to_text_fast_path_equals_the_html_parser(markdown):
    """Rendered posts take the regex path, with exactly HTMLParser's text."""
    from app.rendering import render_markdown
    from app.search import documents

    html = render_markdown(markdown)
    parser = documents._TextExtractor()
    parser.feed(html)
    parser.close()
    expected = SPACES.sub(" ", "".join(parser.parts)).strip()
    assert documents._plain_tags_text(html) == expected
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    ("html", "regex_path"),
    [
        ("<p>a</p><!-- c --><p>b</p>", False),
        ("<p title='single'>x</p>", False),
        ("a < b", False),
        ("<script>if (a < b) {}</script>c", False),
        ("<p data-x=unquoted>y</p>", False),
        ("<p>unclosed <b>tags", True),
        ('<a href="/q?a=1&amp;b=2" title="x > y">link</a>', True),
    ],
)
def test_html_to_text_leaves_other_html_to_the_parser(html, regex_path):
    from app.search import documents

    assert (documents._plain_tags_text(html) is not None) is regex_path
    parser = documents._TextExtractor()
    parser.feed(html)
    parser.close()
    assert html_to_text(html) == SPACES.sub(" ", "".join(parser.parts)).strip()
