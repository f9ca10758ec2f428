"""postgres search: the PostgreSQL full-text search table (PostgreSQL only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:30:00

The table lives in its own schema, ``search``: it is derived data (``flask search reindex``
rebuilds it), no model declares it, and Alembic's autogenerate comparison looks only at the
default schema, so the models and the migrated schema still agree on both databases. SQLite
deployments use the Whoosh backend and get nothing here.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE SCHEMA IF NOT EXISTS search",
    """
    CREATE TABLE search.search_documents (
        doc_id text PRIMARY KEY,
        doc_type text NOT NULL,
        obj_id bigint NOT NULL,
        question_id bigint,
        goal_id bigint,
        title text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        -- The tags again as words for the tsvector (array_to_string is not immutable).
        tags_text text NOT NULL DEFAULT '',
        author text,
        score integer NOT NULL DEFAULT 0,
        answer_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, title), 'A')
            || setweight(to_tsvector('english'::regconfig, tags_text), 'B')
            || setweight(to_tsvector('english'::regconfig, body), 'C')
        ) STORED,
        -- Titles alone: title lookups (as-you-type similar) read exact title postings
        -- instead of rechecking the weights of every post that has the word anywhere.
        title_tsv tsvector GENERATED ALWAYS AS (
            to_tsvector('english'::regconfig, title)
        ) STORED
    )
    """,
    "CREATE INDEX ix_search_documents_tsv ON search.search_documents USING gin (tsv)",
    "CREATE INDEX ix_search_documents_title_tsv ON search.search_documents "
    "USING gin (title_tsv)",
    "CREATE INDEX ix_search_documents_title_trgm ON search.search_documents "
    "USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX ix_search_documents_tags ON search.search_documents USING gin (tags)",
    "CREATE INDEX ix_search_documents_created_at ON search.search_documents (created_at)",
    "CREATE INDEX ix_search_documents_author ON search.search_documents (author)",
    # Document frequency of every lexeme, refreshed by a rebuild and optimize() (ts_stat):
    # similar threads pick key terms by rarity, and counting a common word's matches live
    # costs a heap visit per match. Slightly stale counts only change which terms are picked.
    """
    CREATE TABLE search.search_terms (
        lexeme text PRIMARY KEY,
        ndoc integer NOT NULL,
        ndoc_title integer NOT NULL DEFAULT 0
    )
    """,
    # One row: a counter bumped by every write, so every node sees when its caches are stale.
    """
    CREATE TABLE search.search_state (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
    )
    """,
    "INSERT INTO search.search_state (id, version) VALUES (1, 0)",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm stays: other schemas may use it, and it holds no data.
    op.execute("DROP SCHEMA IF EXISTS search CASCADE")
