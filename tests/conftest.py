"""Fixtures: a migrated database per backend (SQLite, PostgreSQL), app, clients, builders."""

import contextvars
import os
import re
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig, normalise_database_url
from app.extensions import db
from app.services.accounts import register_user, update_profile

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def pg_admin_url() -> str | None:
    """The PostgreSQL server given by TEST_DATABASE_URL, or None (then PG tests skip)."""
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


def create_pg_database(prefix: str) -> str:
    """Create a fresh, uniquely named database on the test server and return its URL."""
    admin = make_url(pg_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database (closing stray connections first)."""
    name = make_url(url).database
    engine = create_engine(make_url(pg_admin_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def new_database_url(backend: str, tmp_dir, prefix: str = "journster_test") -> str:
    """An empty database of the given backend (skips the test when PostgreSQL is absent)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / (prefix + '.db')}"
    if not pg_admin_url():
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL variant skipped")
    return create_pg_database(prefix)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context and session, as a real server would.

    Flask reuses an already pushed app context for requests; the ``app`` fixture pushes
    one for the test body, so without this, ``g`` (and Flask-Login's cached user) and the
    database session would leak between requests and clients.
    """

    def open(self, *args, **kwargs):
        # End the test body's transaction so the request sees its writes, and the test
        # sees the request's writes afterwards (SQLite WAL reads are snapshot-isolated).
        db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.commit()


def make_app(database_url: str, instance_dir, **overrides):
    config = TestConfig(database_url, instance_dir=str(instance_dir))
    for name, value in overrides.items():
        setattr(config, name, value)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    """Every test that touches the database runs once per backend."""
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    """A database migrated to head once per session and backend (migrations, not create_all)."""
    url = new_database_url(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    app = make_app(url, tmp_path_factory.mktemp("migrate-instance"))
    with app.app_context():
        upgrade(directory="migrations")
        db.engine.dispose()
    yield url
    if backend == "postgresql":
        drop_pg_database(url)


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608  (our table names)
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh app on the migrated database; tables are emptied afterwards."""
    app = make_app(database_url, tmp_path)
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other_app(app, database_url, tmp_path_factory):
    """Builder: another app on the same database (a second worker, other settings)."""
    made = []

    def build(**overrides):
        made.append(make_app(database_url, tmp_path_factory.mktemp("other"), **overrides))
        return made[-1]

    yield build
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Builder: create a user through the real accounts service."""
    counter = iter(range(1, 10_000))

    def build(
        username: str | None = None,
        *,
        password: str = PASSWORD,
        email=None,
        verified: bool = True,
        **profile,
    ):
        username = username or f"user{next(counter)}"
        user = register_user(
            username, email or f"{username}@example.org", password, verified=verified
        )
        if profile:
            update_profile(user, profile)
        return user

    return build


def csrf_token_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """GET the form page, then POST its fields with the CSRF token, like a browser."""
    token = csrf_token_from(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login(client, login_name: str, password: str = PASSWORD, **extra):
    """Sign in through the web form."""
    return post_form(client, "/login", {"login": login_name, "password": password, **extra})


def api_token(client, login_name: str, password: str = PASSWORD) -> str:
    """Get a bearer token through POST /api/v1/tokens."""
    response = client.post("/api/v1/tokens", auth=(login_name, password))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
