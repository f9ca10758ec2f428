"""Similar threads by meaning: the bundled model, post vectors through the indexer, reindex,
check, removals, the hybrid lookup and its off switch, on every search backend."""

import numpy as np
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Goal, PostVector
from app.search import embeddings, hybrid
from app.search.indexer import drain
from app.search.service import check_vectors, get_backend
from app.search.similar import similar_to_question, similar_to_text
from app.search.vector_matrix import current_matrix
from app.services import questions
from tests.builders import build_goal, build_question
from tests.search.backends import search_kind  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("search_kind")

RENEW = "How do I renew my residence permit?"
RP = "RP renewal procedure and documents needed"
LAPTOP = "My laptop will not turn on"  # shares no word with NOTEBOOK
NOTEBOOK = "Notebook computer fails to boot"


def stored() -> dict[str, bytes]:
    rows = db.session.execute(select(PostVector.doc_id, PostVector.vector)).all()
    db.session.rollback()
    return {doc_id: bytes(vector) for doc_id, vector in rows}


def ids(items):
    return [(item["type"], item["id"]) for item in items]


@pytest.fixture
def threads(app, make_user):
    asker = make_user("asker")
    made = {
        "rp": build_question(
            asker, title=RP, body="Which papers does the office want?", tags=("visa",)
        ),
        "notebook": build_question(
            asker, title=NOTEBOOK, body="The screen stays black.", tags=("hardware",)
        ),
        "bread": build_question(
            asker,
            title="Why does my sourdough bread not rise?",
            body="The starter bubbles but the loaf stays flat.",
            tags=("baking",),
        ),
    }
    drain(get_backend())
    return made


def test_the_indexer_writes_vectors_of_public_questions_and_goals_only(app, make_user):
    asker = make_user("asker")
    goal = build_goal(asker, title="Move to Doha for work")
    question = build_question(asker, title=RP, body="Papers?")
    questions.post_answer(make_user("mentor"), question, "Bring your passport and contract.")
    assert stored() == {}
    drain(get_backend())
    vectors = stored()
    assert set(vectors) == {f"goal:{goal.id}", f"question:{question.id}"}
    row = np.frombuffer(vectors[f"question:{question.id}"], np.float16).astype(np.float32)
    assert row.shape == (256,) and abs(np.linalg.norm(row) - 1) < 0.01
    questions.edit_question(asker, question, {"title": NOTEBOOK})
    drain(get_backend())
    edited = np.frombuffer(stored()[f"question:{question.id}"], np.float16).astype(np.float32)
    assert edited @ embeddings.embed_one(NOTEBOOK + "\nPapers?") > 0.99


def test_closing_a_goal_removes_its_vectors_everywhere(app, make_user, threads):
    owner = make_user("owner")
    goal = build_goal(owner, title="Residence permit paperwork plan")
    private = build_question(
        owner, title="Renewing my residence permit papers", goal=goal, tags=("visa",)
    )
    drain(get_backend())
    assert {f"goal:{goal.id}", f"question:{private.id}"} <= set(stored())
    assert ("question", private.id) in current_matrix().nearest(
        embeddings.embed_one("renewing residence permit"), 5, ("question",), set()
    )
    row = db.session.get(Goal, goal.id)
    row.visibility, row.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    drain(get_backend())
    assert not {f"goal:{goal.id}", f"question:{private.id}"} & set(stored())
    assert ("question", private.id) not in current_matrix().nearest(
        embeddings.embed_one("renewing residence permit"), 5, ("question",), set()
    )
    assert ("question", private.id) not in ids(similar_to_text(RENEW, limit=20))


def test_deleting_a_question_removes_its_vector(app, make_user, threads):
    doomed = threads["bread"]
    db.session.delete(db.session.merge(doomed))
    db.session.commit()
    questions_enqueue = __import__("app.search.outbox", fromlist=["enqueue"]).enqueue
    questions_enqueue(db.session, "question", [doomed.id])
    db.session.commit()
    drain(get_backend())
    assert f"question:{doomed.id}" not in stored()


def test_paraphrases_find_each_other_through_the_api_and_the_question_page(
    client, make_user, threads
):
    renew = build_question(
        make_user("newcomer"), title=RENEW, body="My permit expires next month.", tags=("visa",)
    )
    drain(get_backend())
    api = client.get("/api/v1/similar", query_string={"text": RENEW, "exclude": renew.id})
    assert ids(api.get_json()["items"])[0] == ("question", threads["rp"].id)
    api = client.get("/api/v1/similar", query_string={"text": RP, "exclude": threads["rp"].id})
    assert ids(api.get_json()["items"])[0] == ("question", renew.id)
    page = client.get(f"/questions/{threads['rp'].id}").text
    assert f'href="/questions/{renew.id}"' in page
    assert f'href="/questions/{threads["bread"].id}"' not in page
    # No word in common: only meaning can connect these two.
    api = client.get("/api/v1/similar", query_string={"text": LAPTOP}).get_json()
    assert ids(api["items"])[0] == ("question", threads["notebook"].id)


def test_hybrid_off_uses_the_word_index_only(app, client, threads, monkeypatch):
    app.config["SIMILAR_HYBRID"] = False

    def no_model(*_args):
        raise AssertionError("the model must not be used with SIMILAR_HYBRID=0")

    monkeypatch.setattr(hybrid, "embed_one", no_model)
    api = client.get("/api/v1/similar", query_string={"text": LAPTOP}).get_json()
    assert api["items"] == []  # the words of LAPTOP are in no title
    words = ids(similar_to_text("sourdough bread rise"))
    assert words == [("question", threads["bread"].id)]
    assert ("question", threads["notebook"].id) not in ids(similar_to_question(threads["rp"]))


def test_unrelated_text_lists_nothing_by_meaning(threads):
    assert similar_to_text("zxqv wplk") == []


def test_check_reports_and_repairs_missing_broken_and_extra_vectors(app, threads):
    assert check_vectors(repair=False) == (set(), set())
    rp, bread = f"question:{threads['rp'].id}", f"question:{threads['bread'].id}"
    db.session.execute(PostVector.__table__.delete().where(PostVector.doc_id == rp))
    db.session.execute(
        PostVector.__table__.update().where(PostVector.doc_id == bread).values(vector=b"\x00" * 7)
    )
    db.session.execute(
        PostVector.__table__.insert().values(
            doc_id="question:999999", doc_type="question", object_id=999999, vector=b"\x00" * 512
        )
    )
    db.session.commit()
    missing, extra = check_vectors(repair=False)
    assert missing == {rp, bread} and extra == {bread, "question:999999"}
    check_vectors(repair=True)
    drain(get_backend())
    assert check_vectors(repair=False) == (set(), set())
    assert len(stored()[bread]) == 512


def test_cli_reindex_rebuilds_vectors_and_check_reports_them(app, threads):
    db.session.execute(PostVector.__table__.delete())
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check", "--no-repair"])
    assert result.exit_code == 0 and "Vectors: 3 missing or broken, 0 extra" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0
    assert set(stored()) == {f"question:{q.id}" for q in threads.values()}
    result = runner.invoke(args=["search", "check", "--no-repair"])
    assert "Vectors: 0 missing or broken, 0 extra" in result.output
