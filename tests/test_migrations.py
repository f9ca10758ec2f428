"""Migrations build the whole schema, go down to nothing and up again, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from tests.conftest import drop_pg_database, make_app, new_database_url


def test_upgrade_downgrade_upgrade_and_models_match(backend, tmp_path):
    url = new_database_url(backend, tmp_path, prefix="journster_migrations")
    app = make_app(url, tmp_path)
    try:
        with app.app_context():
            upgrade(directory="migrations")
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "api_tokens", "tags", "user_skills", "alembic_version"} <= tables
            downgrade(directory="migrations", revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade(directory="migrations")
            # The models and the migrated schema agree: no change is waiting to be generated.
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
            db.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def test_database_runs_with_the_settings_the_app_relies_on(app):
    """SQLite: WAL and foreign keys on; PostgreSQL: connections pinged; both refuse orphans."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    else:
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.pool._pre_ping  # a server restart costs one retry, not a 500
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO user_skills (user_id, tag_id) VALUES (987654, 1)"))
        db.session.flush()
    db.session.rollback()
