"""The numpy-readable postings codec (whoosh_codec) holds exactly what whoosh3's would.

The same documents go into a whoosh3 index (Whoosh's own codec and Positions format) and
into one written with JxCodec and JxPositions; every term's postings must read back the
same through Whoosh's matcher API, and through the numpy accessors the scorer uses.
"""

import random

import numpy as np
import pytest
from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.formats import Positions
from whoosh.lang import porter2
from whoosh.query import Phrase, SpanNear2

from app.search import whoosh_schema as ws
from app.search.query import parse_query
from app.search.whoosh_backend import WhooshBackend
from app.search.whoosh_codec import JxCodec, JxLeafMatcher, JxPositions
from tests.search.test_whoosh_scoring import _docs as scoring_docs

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
]


def _schema(positions) -> Schema:
    text = TEXT(phrase=True)
    text.format = positions(field_boost=1.0)
    boosted = TEXT(phrase=True, field_boost=2.0)
    boosted.format = positions(field_boost=2.0)
    return Schema(
        key=ID(unique=True, stored=True),
        title=boosted,
        body=text,
        tags=KEYWORD(scorable=True),
        n=NUMERIC(int),
    )


def _docs(count: int) -> list[dict]:
    rng = random.Random(5)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    return [
        {
            "key": f"d{i}",
            "title": " ".join(rng.choices(WORDS, weights, k=rng.randint(1, 6))),
            "body": " ".join(rng.choices(WORDS, weights, k=rng.randint(0, 300))),
            "tags": " ".join(rng.sample(WORDS[:4], rng.randint(0, 2))),
            "n": i,
        }
        for i in range(count)
    ]


def _build(path, codec, positions, docs) -> index.Index:
    path.mkdir()
    ix = index.create_in(str(path), _schema(positions))
    for start in range(0, len(docs), 150):  # several segments
        with ix.writer(codec=codec, merge=False) as writer:
            for doc in docs[start : start + 150]:
                writer.add_document(**doc)
    return ix


def _read_all(reader) -> dict:
    """Every (field, term) -> [(docnum, weight, decoded positions)] through Whoosh's API."""
    return {(field, term): _read_all_one(reader, field, term) for field, term in reader.all_terms()}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    docs = _docs(700)
    base = tmp_path_factory.mktemp("codec")
    whoosh3 = _build(base / "w3", W3Codec(), Positions, docs)
    ours = _build(base / "jx", JxCodec(), JxPositions, docs)
    return whoosh3, ours


def test_postings_read_back_as_whoosh3s(pair):
    whoosh3, ours = pair
    with whoosh3.reader() as expected_reader, ours.reader() as reader:
        expected, found = _read_all(expected_reader), _read_all(reader)
    assert found == expected
    # Long postings (several blocks), boosted weights and positions were all compared.
    assert max(len(rows) for rows in found.values()) > 3 * 128
    assert any(weight == 2.0 for rows in found.values() for _, weight, _ in rows)


def test_numpy_accessors_match_whooshs_api(pair):
    _, ours = pair
    with ours.searcher() as searcher:
        for segment_searcher, _offset in searcher.subsearchers:
            reader = segment_searcher.reader()
            for field in ("title", "body", "tags"):
                for term in WORDS[:5]:
                    if (field, term) not in reader:
                        continue
                    matcher = reader.postings(field, term)
                    assert isinstance(matcher, JxLeafMatcher)
                    ids, weights, positions = [], [], []
                    while matcher.is_active():
                        block_ids, block_weights = matcher.arrays()
                        counts, flat = matcher.positions()
                        ids += block_ids.tolist()
                        weights += (
                            [1.0] * len(block_ids)
                            if block_weights is None
                            else block_weights.tolist()
                        )
                        positions += np.split(flat, np.cumsum(counts)[:-1])
                        matcher._next_block()
                    expected = _read_all_one(reader, field, term)
                    assert ids == [docnum for docnum, _, _ in expected]
                    assert weights == [weight for _, weight, _ in expected]
                    if field != "tags":  # KEYWORD has no positions
                        assert [p.tolist() for p in positions] == [p for _, _, p in expected]


def _read_all_one(reader, field: str, term: str) -> list:
    fmt = reader.schema[field].format
    matcher = reader.postings(field, term)
    rows = []
    while matcher.is_active():
        value = matcher.value()
        decoded = fmt.decode_positions(value) if fmt.supports("positions") else None
        rows.append((matcher.id(), matcher.weight(), decoded))
        matcher.next()
    return rows


def test_index_size_stays_close_to_whoosh3s(pair):
    whoosh3, ours = pair

    def size(ix) -> int:
        return sum(ix.storage.file_length(name) for name in ix.storage.list())

    assert size(ours) < 1.5 * size(whoosh3)


def test_positions_format_round_trip():
    fmt = JxPositions(field_boost=2.0)
    value = fmt.encode([0, 3, 17, 4_000_000])
    assert fmt.decode_positions(value) == [0, 3, 17, 4_000_000]
    assert fmt.decode_frequency(value) == 4
    assert fmt.decode_weight(value) == 8.0


# -- the backend: phrases checked with numpy, old segments still served -------------------
def _backend_with_docs(path) -> WhooshBackend:
    backend = WhooshBackend(path)
    rng = random.Random(9)
    for start in range(1, 401, 50):
        backend.index_documents(scoring_docs(rng, start, 50))
    backend.remove_documents([f"question:{n}" for n in range(30, 60)])
    return backend


PHRASES = [
    '"python flask"',
    '"career mentor goal"',
    '"python python"',
    '"flask python" career',
    '"the python"',
    '"python career" [python]',
    '"review feedback promotion habit"',
]


def test_phrases_are_checked_with_numpy(tmp_path, monkeypatch):
    """Same totals and hits as Whoosh's span matcher, which is then made to fail."""
    backend = _backend_with_docs(tmp_path / "index")
    searcher = backend._fresh(force=True)
    expected = {}
    for text in PHRASES:
        query = parse_query(text)
        text_q, _ = ws.text_query(query, backend._analyzer)
        filter_q = ws.filter_query(query)
        allowed = None if filter_q is None else backend._filter_set(searcher, filter_q)
        docs = [r["doc_id"] for r in searcher.search(text_q, limit=None, filter=allowed)]
        expected[text] = docs
    assert sum(len(docs) for docs in expected.values()) > 20
    assert any(len(docs) > 1 for text, docs in expected.items() if text.count(" ") >= 2)

    def fail(*args, **kwargs):
        raise AssertionError("Whoosh's span matcher was used")

    monkeypatch.setattr(SpanNear2, "matcher", fail)
    for text, docs in expected.items():
        results = backend.search(parse_query(text), per_page=100)
        assert results.total == len(docs), text
        assert [hit.doc_id for hit in results.hits] == docs[:100], text
    backend.close()


_MAKE_SCHEMA = ws.make_schema


def _schema_before_the_codec():
    """The schema as indexes held it before whoosh_codec: Whoosh's analyzer and Positions."""
    schema = _MAKE_SCHEMA()
    for name in ws.TEXT_FIELDS:
        field = schema[name]
        field.format = Positions(field_boost=field.format.field_boost)
        field.analyzer = StemmingAnalyzer(stemfn=porter2.stem, maxsize=ws.MAX_TOKEN_CHARS)
    return schema


@pytest.mark.parametrize("old_schema", [False, True], ids=["new-schema", "old-schema"])
def test_segments_of_the_old_codec_are_read_and_merged(tmp_path, monkeypatch, old_schema):
    """An index written by whoosh3's codec keeps working, phrases included, and converts."""
    monkeypatch.setattr(ws, "WRITER_ARGS", {"compound": False, "codec": W3Codec()})
    if old_schema:
        monkeypatch.setattr(ws, "make_schema", _schema_before_the_codec)
    backend = _backend_with_docs(tmp_path / "index")
    query = parse_query('"python flask" career')
    before = {h.doc_id for h in backend.search(query, per_page=100).hits}
    assert before
    searcher = backend._fresh(force=True)
    phrase = Phrase("body", ["python", "flask"])
    assert backend._scorer.phrase_matches(searcher, phrase) is None  # Whoosh checks these
    monkeypatch.setattr(ws, "WRITER_ARGS", {"compound": False, "codec": JxCodec()})
    ix = index.open_dir(str(backend._store.path(backend._store.current_name())))
    ix.optimize(**ws.WRITER_ARGS)  # one merged segment, written by our codec
    backend.refresh()
    searcher = backend._fresh(force=True)
    # Positions as arrays need a reindex (the schema is the index's own); blocks convert.
    numpy_checked = backend._scorer.phrase_matches(searcher, phrase) is not None
    assert numpy_checked is not old_schema
    # The same posts (scores move: the merge drops deleted documents from the statistics).
    assert {h.doc_id for h in backend.search(query, per_page=100).hits} == before
    backend.close()


# -- one-pass analysis (whoosh_analysis) -------------------------------------------------
ODD_TEXTS = [
    "",
    "the a of",
    "The quick brown fox's running jumps; foxes RUN 3.14 and v2.0.1 under_scores",
    "a" * 61 + " word " + "b" * 60 + " I I a an is",
    "İstanbul ÇAĞRI straße STRASSE naïve café 東京 タワー ß ǅ",
    "   leading spaces, then the: punctuation!!! and... dots. e.g. U.S.A. and co.",
    "running runner ran runs hopped hoping hopes relational relate related",
    "tabs\tand\nnewlines\r\n and\u00a0nbsp and\u200bzero width",
]


def test_index_terms_equal_the_analyzers_chain():
    analyzer = ws.make_analyzer()
    rng = random.Random(4)
    vocabulary = [*WORDS, "the", "a", "to", "of", "I", "x", "Running", "CAFÉ", "3.14", "_"]
    texts = ODD_TEXTS + [
        " ".join(rng.choices(vocabulary, k=rng.randint(0, 80))) for _ in range(300)
    ]
    for text in texts:
        chain = [(t.text, t.pos) for t in analyzer(text, positions=True)]
        assert analyzer.index_terms(text) == chain, text


def test_fast_word_values_equal_whooshs():
    """What the index stores per word is the same as Whoosh's Positions would store."""
    analyzer = ws.make_analyzer()
    for boost in (1.0, 2.0):
        ours, theirs = JxPositions(field_boost=boost), Positions(field_boost=boost)
        for text in ODD_TEXTS:
            expected = [
                (word, freq, weight, theirs.decode_positions(value))
                for word, freq, weight, value in theirs.word_values(text, analyzer, mode="index")
            ]
            found = [
                (word, freq, weight, ours.decode_positions(value))
                for word, freq, weight, value in ours.word_values(text, analyzer, mode="index")
            ]
            assert found == expected, text
