"""Configuration comes from the environment variables of SPEC §4."""

from pathlib import Path

import pytest

from app import create_app
from app.config import Config, normalise_database_url


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/journster")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("ADMIN_EMAILS", "A@Example.org, b@example.org ,")
    monkeypatch.setenv("INVITE_TTL_SECONDS", "60")
    monkeypatch.setenv("SEARCH_INDEX_DIR", "/tmp/idx")
    monkeypatch.setenv("DEMO_DATA", "1")
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:2525")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/journster"
    assert config.SECRET_KEY == "s3cret" and config.RATELIMIT_ENABLED is False
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
    assert {"a@example.org", "b@example.org"} == config.ADMIN_EMAILS
    assert config.INVITE_TTL_SECONDS == 60 and config.SEARCH_INDEX_DIR == "/tmp/idx"
    assert config.DEMO_DATA is True and config.SMTP_URL == "smtp://127.0.0.1:2525"


def test_defaults(monkeypatch):
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "RATELIMIT_ENABLED",
        "RATELIMIT_STORAGE_URI",
        "INVITE_TTL_SECONDS",
        "DEMO_DATA",
        "ADMIN_EMAILS",
    ):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI is None  # resolved under instance/ by the factory
    # None: the factory puts the shared counters in instance/ratelimits.db (SQLite).
    assert config.RATELIMIT_ENABLED is True and config.RATELIMIT_STORAGE_URI is None
    assert config.INVITE_TTL_SECONDS == 604_800 and config.DEMO_DATA is False
    assert normalise_database_url("postgres://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_secret_key_is_generated_once_into_instance(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)

    class LocalConfig(Config):
        pass

    def build():
        app = create_app(LocalConfig())
        return app

    monkeypatch.setattr("app.PROJECT_ROOT", tmp_path)
    first, second = build(), build()
    key_file = Path(first.instance_path) / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/journster.db"
    assert first.config["SEARCH_INDEX_DIR"] == str(tmp_path / "instance" / "search-index")


def test_retired_search_nodes_multi_refuses_to_start(monkeypatch):
    # Several machines run PostgreSQL search; a machine left on the retired per-node Whoosh
    # mode would drain the shared outbox alone, so it must not start at all.
    monkeypatch.setenv("SEARCH_NODES", "multi")
    with pytest.raises(ValueError, match="SEARCH_BACKEND=postgres"):
        Config()
    monkeypatch.setenv("SEARCH_NODES", "single")
    assert Config().SEARCH_BACKEND in ("whoosh", "postgres")
