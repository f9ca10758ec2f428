"""Migrations build the whole schema, go down to nothing and up again, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

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


def test_sqlite_runs_in_wal_mode(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
