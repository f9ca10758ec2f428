"""SEARCH_NODES=multi: two Whoosh indexes in two directories fed by one database's change log."""

import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.models import Goal, Question, SearchOutbox
from app.models.base import utcnow
from app.search import nodes
from app.search.nodes import NodeIndex, prune, run_node_worker
from app.search.query import parse_query
from app.search.service import apply_pending, get_backend, search_posts
from app.search.similar import similar_to_text
from app.search.whoosh_backend import WhooshBackend
from app.services import questions
from tests.builders import build_goal, build_question


def found(backend, word: str) -> set[str]:
    backend.refresh()
    return {hit.doc_id for hit in backend.search(parse_query(word), per_page=100).hits}


def fresh(obj):
    """The row again: a rebuild streams every post and expunges the session as it goes."""
    return db.session.get(type(obj), obj.id)


def head() -> int:
    value = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    db.session.rollback()
    return value


@pytest.fixture
def two_nodes(app, tmp_path):
    """Node directories a and b on the app's database; the app serves as node b."""
    dirs = [tmp_path / "node-a", tmp_path / "node-b"]
    app.config.update(SEARCH_NODES="multi", SEARCH_INDEX_DIR=str(dirs[1]))
    made = [(NodeIndex(d), WhooshBackend(d)) for d in dirs[:1]]
    made.append((NodeIndex(dirs[1]), get_backend()))
    yield made
    made[0][1].close()


def test_both_nodes_receive_every_change_and_rows_are_kept(app, make_user, two_nodes):
    (node_a, ix_a), (node_b, ix_b) = two_nodes
    assert not node_a.ready() and not node_b.ready()
    asker = make_user("asker")
    question = build_question(asker, title="Zeppelin envelope maintenance schedule")
    for node, ix in two_nodes:
        assert node.catch_up(ix) >= 1  # no cursor yet: built from the database
        assert node.ready()
        assert found(ix, "zeppelin") == {f"question:{question.id}"}
    questions.edit_question(
        fresh(asker), fresh(question), {"title": "Airship envelope maintenance schedule"}
    )
    rows = db.session.scalar(select(func.count(SearchOutbox.id)))
    assert node_a.catch_up(ix_a) >= 1
    assert found(ix_a, "airship") == {f"question:{question.id}"}
    assert found(ix_b, "airship") == set()  # b has not applied it yet ...
    # ... and can, because a's worker deleted nothing from the shared log.
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == rows
    assert node_b.catch_up(ix_b) >= 1
    assert found(ix_b, "airship") == {f"question:{question.id}"}
    assert found(ix_b, "zeppelin") == set()
    assert node_a.catch_up(ix_a) == node_b.catch_up(ix_b) == 0
    assert node_a.cursor().log_id == node_b.cursor().log_id == head()


def test_a_row_committed_late_with_a_lower_id_is_not_skipped(app, make_user, two_nodes):
    (node, ix), _ = two_nodes
    asker = make_user("asker")
    node.catch_up(ix)
    asker = fresh(asker)
    start = head()
    late = build_question(asker, title="Quokka photography lighting advice")
    early = build_question(asker, title="Wombat burrow photography advice")
    # Ids are handed out at flush, so a transaction that flushed first can commit last:
    # replay that by hand with explicit ids, the later one visible first.
    db.session.execute(SearchOutbox.__table__.delete().where(SearchOutbox.id > start))
    db.session.execute(
        insert(SearchOutbox).values(
            id=start + 10, doc_type="question", doc_id=early.id, created_at=utcnow()
        )
    )
    db.session.commit()
    assert node.catch_up(ix) == 1
    assert found(ix, "wombat") == {f"question:{early.id}"}
    assert found(ix, "quokka") == set()
    assert node.cursor().log_id == start + 10
    assert set(node.cursor().gaps) == set(range(start + 1, start + 10))
    db.session.execute(
        insert(SearchOutbox).values(
            id=start + 3, doc_type="question", doc_id=late.id, created_at=utcnow()
        )
    )
    db.session.commit()
    assert node.catch_up(ix) == 1
    assert found(ix, "quokka") == {f"question:{late.id}"}
    assert start + 3 not in node.cursor().gaps


def test_concurrent_transactions_committing_out_of_id_order(app, make_user, two_nodes):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: ids commit in order")
    (node, ix), _ = two_nodes
    asker = make_user("asker")
    late = build_question(asker, title="Pelican feeding habits question")
    early = build_question(asker, title="Cormorant feeding habits question")
    late_id, early_id = late.id, early.id
    node.catch_up(ix)
    with db.engine.connect() as slow:
        # The slow transaction takes its log id first and commits after a later one.
        slow.execute(
            update(Question)
            .where(Question.id == late_id)
            .values(title="Flamingo feeding habits question")
        )
        slow.execute(
            insert(SearchOutbox).values(doc_type="question", doc_id=late_id, created_at=utcnow())
        )
        questions.edit_question(
            fresh(asker),
            db.session.get(Question, early_id),
            {"title": "Gannet feeding habits question"},
        )
        node.catch_up(ix)
        assert found(ix, "gannet") == {f"question:{early_id}"}
        assert found(ix, "flamingo") == set()
        assert node.cursor().gaps  # the slow transaction's id, not yet visible
        slow.commit()
    node.catch_up(ix)
    assert found(ix, "flamingo") == {f"question:{late_id}"}
    assert found(ix, "pelican") == set()
    assert node.cursor().gaps == {}


def test_gaps_are_given_up_after_a_while(app, make_user, two_nodes, monkeypatch):
    (node, ix), _ = two_nodes
    node.catch_up(ix)
    start = head()
    question = build_question(make_user("asker"), title="Okapi sightings near rivers")
    db.session.execute(
        update(SearchOutbox).where(SearchOutbox.id > start).values(id=SearchOutbox.id + 5)
    )
    db.session.commit()
    node.catch_up(ix)
    assert node.cursor().gaps and found(ix, "okapi") == {f"question:{question.id}"}
    monkeypatch.setattr(nodes, "GAP_SECONDS", 0.0)
    node.catch_up(ix)
    assert node.cursor().gaps == {}


def test_pruned_log_rows_make_a_lagging_node_rebuild(app, make_user, two_nodes):
    (node_a, ix_a), (node_b, ix_b) = two_nodes
    asker = make_user("asker")
    node_a.catch_up(ix_a)
    node_b.catch_up(ix_b)
    old_index = node_b.cursor().index
    asker = fresh(asker)
    first = build_question(asker, title="Narwhal tusk sensory research")
    second = build_question(asker, title="Narwhal migration routes research")
    node_a.catch_up(ix_a)  # a keeps up; b is down for more than the retention
    db.session.execute(update(SearchOutbox).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert prune() >= 1
    # The newest row is kept (ids keep growing on SQLite), beside the marker of the cut.
    assert set(db.session.scalars(select(SearchOutbox.doc_type))) == {"question", "pruned"}
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == 2
    index_a = node_a.cursor().index
    node_a.catch_up(ix_a)  # reads the marker row only
    assert node_a.cursor().index == index_a  # a had applied everything: no rebuild
    assert node_b.catch_up(ix_b) >= 1
    assert node_b.cursor().index != old_index  # rebuilt into a new directory
    assert found(ix_b, "narwhal") == {f"question:{first.id}", f"question:{second.id}"}
    third = build_question(fresh(asker), title="Narwhal pod sizes in winter")
    node_b.catch_up(ix_b)
    assert f"question:{third.id}" in found(ix_b, "narwhal")  # ids kept growing after pruning


def test_prune_keeps_recent_rows(app, make_user, two_nodes):
    build_question(make_user("asker"), title="Pangolin scales and diet")
    count = db.session.scalar(select(func.count(SearchOutbox.id)))
    assert prune() == 0
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == count


def _corrupt(base: Path) -> None:
    name = (base / "CURRENT").read_text().strip()
    for toc in (base / name).glob("*.toc"):
        toc.write_bytes(b"not a whoosh table of contents")


def test_missing_or_corrupt_index_answers_nothing_then_is_rebuilt(app, make_user, two_nodes):
    _, (node, ix) = two_nodes
    question = build_question(make_user("asker"), title="Axolotl regeneration experiments")
    assert search_posts("axolotl")[0].items == []  # not built yet: nothing, not wrong
    node.catch_up(ix)
    assert [item["id"] for item in search_posts("axolotl")[0].items] == [question.id]

    # Missing: the live index directory is gone.
    shutil.rmtree(node.base / node.cursor().index)
    assert not node.ready() and not node.healthy()
    assert search_posts("axolotl")[0].items == []
    assert similar_to_text("Axolotl regeneration") == []
    assert node.catch_up(ix) >= 1
    assert node.ready()
    assert [item["id"] for item in search_posts("axolotl")[0].items] == [question.id]

    # Corrupt: the worker notices, stops answering from it and rebuilds.
    _corrupt(node.base)
    assert not node.healthy()
    stop = threading.Event()

    def work() -> None:
        with app.app_context():
            run_node_worker(NodeIndex(node.base), get_backend, poll_seconds=0.02, stop=stop)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while not (node.healthy() and node.ready()):
            assert time.monotonic() < deadline, "the corrupt index was not rebuilt"
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert [item["id"] for item in search_posts("axolotl")[0].items] == [question.id]


def test_a_lagging_node_never_serves_a_closed_goal(app, make_user, two_nodes):
    (node_a, ix_a), (node_b, ix_b) = two_nodes
    owner = make_user("owner")
    goal = build_goal(owner, title="Learn glassblowing this year")
    question = build_question(owner, title="Glassblowing kiln temperature question", goal=goal)
    goal_id, question_id = goal.id, question.id
    node_a.catch_up(ix_a)
    node_b.catch_up(ix_b)
    version = ix_b.version()
    assert [item["id"] for item in search_posts("glassblowing", doc_type="question")[0].items] == [
        question_id
    ]
    row = db.session.get(Goal, goal_id)
    row.visibility, row.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    node_a.catch_up(ix_a)
    assert found(ix_a, "glassblowing") == set()
    # Node b (the app) has not applied the close: its index still has the posts ...
    assert f"question:{question_id}" in found(ix_b, "glassblowing")
    # ... but the gate re-checks every hit against the database before serving it.
    assert search_posts("glassblowing")[0].items == []
    assert similar_to_text("Glassblowing kiln temperature") == []
    assert ix_b.version() == version
    node_b.catch_up(ix_b)
    assert found(ix_b, "glassblowing") == set()
    assert ix_b.version() != version  # similar-thread caches keyed by it go stale here too


def test_single_node_mode_still_deletes_applied_rows(app, make_user):
    build_question(make_user("asker"), title="Capybara social behaviour notes")
    assert apply_pending() >= 1
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == 0


def test_cli_in_multi_node_mode_keeps_the_log(app, make_user, two_nodes):
    _, (node, ix) = two_nodes
    runner = app.test_cli_runner()
    question_id = build_question(make_user("asker"), title="Ibis nesting season notes").id
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert node.ready() and found(ix, "ibis") == {f"question:{question_id}"}
    rows = db.session.scalar(select(func.count(SearchOutbox.id)))
    result = runner.invoke(args=["search", "worker", "--once"])
    assert result.exit_code == 0, result.output
    # Node a (and every other node) still needs the rows this node applied.
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == rows > 0
    ix.remove_documents([f"question:{question_id}"])  # drift on this node only
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "1 missing" in result.output
    assert found(ix, "ibis") == {f"question:{question_id}"}
    assert db.session.scalar(select(func.count(SearchOutbox.id))) > rows
