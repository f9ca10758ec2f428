"""Stored similar lists: computed by the indexer, refreshed in the background, read by pages.

Every test runs on each search backend (PostgreSQL search on the PostgreSQL run).
"""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Goal, SimilarList
from app.models.base import utcnow
from app.search import similar_store
from app.search.indexer import drain
from app.search.service import get_backend
from app.search.similar_refresh import refresh_lists, sync_lists
from app.search.similar_store import next_due
from tests.builders import build_answer, build_goal, build_question
from tests.search.backends import search_kind  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("search_kind")


@pytest.fixture
def posts(app, make_user):
    asker = make_user("asker")
    made = {
        "kiln": build_question(
            asker,
            title="Glass kiln annealing schedule for thick pieces",
            body="My thick glass cracks after annealing in the kiln.",
            tags=("glass",),
        ),
        "kiln2": build_question(
            asker,
            title="Annealing thick glass in a small kiln",
            body="How long should the annealing soak be?",
            tags=("glass",),
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


def row(kind, object_id):
    db.session.rollback()
    return db.session.get(SimilarList, (kind, object_id))


def listed(kind, object_id):
    found = row(kind, object_id)
    return None if found is None or found.items is None else [(t, i) for t, i, _ in found.items]


@pytest.fixture
def lookups(monkeypatch):
    """Counts calls of the backend's similar(); ``lookups.fail`` makes them raise."""
    backend = get_backend()
    original = backend.similar
    calls = []

    def counted(*args, **kwargs):
        calls.append(args)
        if counted.fail:
            raise AssertionError("similar() called")
        return original(*args, **kwargs)

    counted.fail = False
    counted.calls = calls
    monkeypatch.setattr(backend, "similar", counted)
    return counted


def test_indexing_stores_each_posts_list(posts):
    assert listed("question", posts["kiln"].id) == [("question", posts["kiln2"].id)]
    assert ("question", posts["kiln"].id) in listed("question", posts["kiln2"].id)
    stored = row("question", posts["bread"].id)
    assert stored.items is not None and stored.computed_at is not None
    assert stored.due_at > utcnow()  # the next routine refresh is in the future


def test_a_page_view_reads_the_stored_list_and_never_computes(client, make_user, posts, lookups):
    lookups.fail = True
    page = client.get(f"/questions/{posts['kiln'].id}")
    assert page.status_code == 200
    assert f'href="/questions/{posts["kiln2"].id}"' in page.text
    assert f'href="/questions/{posts["bread"].id}"' not in page.text
    assert lookups.calls == []


def test_a_post_without_a_list_yet_shows_none_and_computes_nothing(
    client, make_user, posts, lookups
):
    lookups.fail = True
    fresh = build_question(make_user("late"), title="Annealing glass kiln schedule question")
    db.session.commit()
    page = client.get(f"/questions/{fresh.id}")
    assert page.status_code == 200 and "No similar threads yet" in page.text
    goal = build_goal(make_user("goalie"), title="Learn kiln annealing of thick glass")
    db.session.commit()
    goal_page = client.get(f"/goals/{goal.id}")
    assert goal_page.status_code == 200 and "No similar threads yet" in goal_page.text
    assert lookups.calls == []
    lookups.fail = False
    drain(get_backend())  # the indexer computes it, after its index commit
    assert listed("question", fresh.id)
    assert f'href="/questions/{posts["kiln"].id}"' in client.get(f"/questions/{fresh.id}").text


def test_a_new_post_joins_its_neighbours_lists(make_user, posts):
    newer = build_question(
        make_user("other"),
        title="Kiln annealing schedule for glass beads",
        body="Thick glass beads crack after the kiln.",
        tags=("glass",),
    )
    drain(get_backend())
    assert ("question", newer.id) in listed("question", posts["kiln"].id)
    assert ("question", newer.id) not in (listed("question", posts["bread"].id) or [])


def test_votes_and_answers_do_not_recompute_a_list(make_user, posts, lookups):
    before = row("question", posts["kiln"].id).computed_at
    build_answer(make_user("helper"), posts["kiln"], body="Soak longer at the annealing point.")
    drain(get_backend())  # the question is re-indexed (its answer count changed)
    assert row("question", posts["kiln"].id).computed_at == before
    assert lookups.calls == []


def test_an_edit_recomputes_the_list(make_user, posts):
    question = posts["bread"]
    question.title, question.body_html = "Sourdough loaf in a glass kiln?", "<p>Odd idea.</p>"
    db.session.commit()
    drain(get_backend())
    assert ("question", posts["kiln"].id) in listed("question", question.id)


def test_the_routine_refresh_recomputes_stale_lists_only(make_user, posts, lookups):
    kiln = posts["kiln"].id
    past = utcnow() - timedelta(minutes=1)
    db.session.execute(update(SimilarList).values(due_at=past))
    db.session.commit()
    # Nothing changed since the lists were computed: moved on without a lookup.
    assert refresh_lists(None) == 3
    assert lookups.calls == [] and row("question", kiln).due_at > utcnow()
    # A post changed since: due lists are recomputed.
    newer = build_question(make_user("other"), title="Annealing kiln for thick glass panels")
    db.session.execute(
        update(SimilarList).where(SimilarList.doc_id != newer.id).values(due_at=past)
    )
    db.session.commit()
    drain(get_backend())
    refresh_lists(None)
    assert ("question", newer.id) in listed("question", kiln)
    assert row("question", kiln).due_at > utcnow()


def test_young_posts_refresh_within_minutes_old_ones_daily():
    now = utcnow()
    assert next_due(now, now) - now == similar_store.MIN_INTERVAL
    assert next_due(now, now - timedelta(hours=2)) - now == timedelta(minutes=30)
    assert next_due(now, now - timedelta(days=30)) - now == similar_store.MAX_INTERVAL


def test_a_claimed_row_is_not_claimed_twice_and_a_change_wins(posts):
    kiln = posts["kiln"].id
    db.session.execute(update(SimilarList).values(due_at=similar_store.CHANGED))
    db.session.commit()
    first = similar_store.claim(10, upto=similar_store.CHANGED)
    assert len(first) == 3
    assert similar_store.claim(10, upto=similar_store.NEIGHBOUR) == []  # another node gets nothing
    [claim] = [c for c in first if c.id == kiln]
    db.session.execute(
        update(SimilarList).where(SimilarList.doc_id == kiln).values(due_at=similar_store.CHANGED)
    )  # edited meanwhile
    db.session.commit()
    assert not similar_store.store(claim, [], digest="x", started=utcnow(), due=utcnow())
    assert row("question", kiln).due_at == similar_store.CHANGED  # still due


def test_a_closing_goal_leaves_every_list(client, make_user, posts):
    owner = make_user("owner")
    goal = build_goal(owner, title="Master kiln annealing of thick glass")
    private = build_question(
        owner, title="Kiln annealing schedule for my secret glass", goal=goal, tags=("glass",)
    )
    drain(get_backend())
    assert ("question", private.id) in listed("question", posts["kiln"].id)
    assert row("goal", goal.id) is not None and row("question", private.id) is not None
    closing = db.session.get(Goal, goal.id)
    closing.visibility, closing.mentor_id = "closed", make_user("mentor").id
    db.session.commit()
    # Before the indexer runs the stored list still names it: the gate drops it on display.
    page = client.get(f"/questions/{posts['kiln'].id}").text
    assert f'/questions/{private.id}"' not in page and "secret glass" not in page
    drain(get_backend())
    assert row("goal", goal.id) is None and row("question", private.id) is None
    for url in (
        f"/questions/{posts['kiln'].id}",
        f"/questions/{posts['kiln2'].id}",
        "/api/v1/similar?text=kiln+annealing+secret+glass&limit=20",
    ):
        response = client.get(url)
        assert response.status_code == 200 and "secret glass" not in response.text
    assert client.get(f"/questions/{private.id}").status_code == 404


def test_sync_reports_and_repairs_missing_and_extra_lists(posts):
    db.session.execute(
        SimilarList.__table__.delete().where(SimilarList.doc_id == posts["bread"].id)
    )
    db.session.add(
        SimilarList(
            doc_type="question", doc_id=999_999, text_hash="", changed_at=utcnow(), due_at=utcnow()
        )
    )
    db.session.commit()
    report = sync_lists()
    assert report["missing"] == 1 and report["extra"] == 1
    assert sync_lists(repair=False) == {"missing": 0, "extra": 0, "pending": 1, "overdue": 0}
    refresh_lists(None)
    assert listed("question", posts["bread"].id) is not None
    assert db.session.scalar(select(SimilarList).where(SimilarList.doc_id == 999_999)) is None


def test_a_stored_list_counts_answers_as_evidence_for_their_thread(app, make_user, posts):
    """Words found only in a thread's answer still bring the thread; own answers never do."""
    from app.search.similar import list_keys

    app.config["SIMILAR_HYBRID"] = False  # words alone: the answers' part of the lookup
    asker, helper = make_user("asker2"), make_user("helper2")
    loaf = build_question(
        asker,
        title="Dense loaf every single time",
        body="Nothing I change makes a difference to it.",
        tags=("baking",),
    )
    build_answer(
        helper, loaf, body="Your levain hydration is too low: feed the levain twice daily."
    )
    build_answer(
        helper, posts["bread"], body="Check the levain hydration before you shape the dough."
    )
    drain(get_backend())
    keys = [(kind, object_id) for kind, object_id, _ in list_keys("question", posts["bread"])]
    assert ("question", loaf.id) in keys
    assert ("question", posts["bread"].id) not in keys  # its own answer leads nowhere
