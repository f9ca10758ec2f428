"""Shared by the benchmarks: database URLs and an app built for measuring."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app import create_app
from app.config import Config, normalise_database_url
from app.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def absolute_database_url(url: str) -> str:
    """Normalise the URL; relative SQLite paths are taken from the working directory.

    Flask-SQLAlchemy would otherwise resolve them under instance/, so that
    ``sqlite:///instance/bench.db`` would land in instance/instance/.
    """
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    return parsed.render_as_string(hide_password=False)


def bench_app(url: str, read_only: bool = False) -> Flask:
    """A production-configured app on ``url`` with rate limiting off (one client hammers it)."""
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = absolute_database_url(url)
    if read_only and config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        config.SQLALCHEMY_ENGINE_OPTIONS = {
            **Config.SQLALCHEMY_ENGINE_OPTIONS,
            "connect_args": {"options": "-c default_transaction_read_only=on"},
        }
    config.RATELIMIT_ENABLED = False
    config.DEMO_DATA = False
    app = create_app(config)
    if read_only and config.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
        with app.app_context():
            # After the app's own connect hook (WAL, foreign keys): refuse every write.
            event.listen(
                db.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA query_only=ON")
            )
    return app
