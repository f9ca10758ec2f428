"""Fixtures that run search tests on every backend: Whoosh always, PostgreSQL when it answers."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app.extensions import db
from app.search.postgres_backend import PostgresBackend
from app.search.whoosh_backend import WhooshBackend
from tests.conftest import create_pg_database, drop_pg_database, make_app, pg_admin_url

KINDS = ("whoosh", "postgres")


def empty_pg_search(engine) -> None:
    """Remove every search document (the search schema is not a model: conftest skips it)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search.search_documents"))
        conn.execute(text("DELETE FROM search.search_terms"))


@pytest.fixture(scope="session")
def pg_search_engine(tmp_path_factory):
    """An engine on a fresh PostgreSQL database migrated to head, or None without one."""
    if not pg_admin_url():
        yield None
        return
    url = create_pg_database("journster_search")
    app = make_app(url, tmp_path_factory.mktemp("pg-search"))
    with app.app_context():
        upgrade(directory="migrations")
        db.engine.dispose()
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop_pg_database(url)


@pytest.fixture(params=KINDS)
def make(request, tmp_path, pg_search_engine):
    """Open backends of one kind on one shared store (closed and emptied after the test)."""
    kind = request.param
    if kind == "postgres":
        if pg_search_engine is None:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL search backend skipped")
        empty_pg_search(pg_search_engine)
    made = []

    def factory(**kwargs):
        if kind == "postgres":
            made.append(PostgresBackend(pg_search_engine))
        else:
            made.append(WhooshBackend(tmp_path / "index", **kwargs))
        return made[-1]

    factory.kind = kind
    yield factory
    for instance in made:
        instance.close()


@pytest.fixture(params=KINDS)
def search_kind(request, app):
    """App-level tests once per search backend; PostgreSQL search needs the PostgreSQL run."""
    kind = request.param
    if kind == "postgres" and db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL search backend runs on the PostgreSQL database only")
    app.config["SEARCH_BACKEND"] = kind
    yield kind
    if kind == "postgres":
        db.session.rollback()
        empty_pg_search(db.engine)
