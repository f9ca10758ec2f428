"""The backend conformance fixtures (Whoosh always, PostgreSQL when TEST_DATABASE_URL is set)."""

from tests.search.backends import make, pg_search_engine  # noqa: F401  (fixtures)
