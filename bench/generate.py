"""Build a realistic benchmark corpus of N posts, generated from the real Stack Exchange threads.

    python -m bench.generate --db sqlite:///instance/bench.db --posts 150000 [--seed 1]

Posts are goals + questions + answers (about 3% / 35% / 65%); users, tags, milestones,
journal entries, comments, votes, helped-me marks and outcomes come with them. Rows are
bulk-inserted with SQLAlchemy Core into a freshly migrated database.
"""

import argparse
import time
from pathlib import Path
from random import Random

from flask_migrate import upgrade
from sqlalchemy import MetaData, func, inspect, select, text

from app.extensions import db
from app.services.passwords import hash_password
from bench.activity import add_activity
from bench.common import PROJECT_ROOT, bench_app
from bench.corpus import Writer, load_vocabulary
from bench.forum import Forum

DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "stackexchange"
PASSWORD = "bench-password-123"  # noqa: S105  (printed at the end; benchmark data only)
BATCH = 5_000
# Parents before children, so every foreign key points at a row that is already there.
TABLE_ORDER = (
    "tags",
    "users",
    "user_skills",
    "goals",
    "goal_tags",
    "milestones",
    "journal_entries",
    "questions",
    "question_tags",
    "answers",
    "helpful_marks",
    "outcomes",
    "comments",
    "votes",
)
POST_TABLES = ("goals", "questions", "answers")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--posts", type=int, default=150_000, help="goals+questions+answers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding <site>/Posts.xml dumps"
    )
    parser.add_argument(
        "--force-empty", action="store_true", help="drop every table of a non-empty database first"
    )
    args = parser.parse_args(argv)
    if args.posts < 100:
        parser.error("--posts must be at least 100")
    return args


def has_rows() -> bool:
    """Whether any existing table of the database holds a row."""
    tables = inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        return any(conn.scalar(text(f'SELECT 1 FROM "{t}" LIMIT 1')) for t in tables)  # noqa: S608


def prepare_database(force_empty: bool) -> None:
    """Refuse a database with data (unless told to drop it), then migrate to head."""
    if has_rows():
        if not force_empty:
            raise SystemExit("the database is not empty: pass --force-empty to drop its tables")
        existing = MetaData()
        existing.reflect(db.engine)
        with db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # With foreign keys on, SQLite checks every dropped row against unindexed
                # referencing columns (answered_in_id, author_id...): minutes at 150k posts.
                raw.execute("PRAGMA foreign_keys=OFF")
            existing.drop_all(conn)
            conn.commit()
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
        print("dropped every table (--force-empty)")
    upgrade(directory=str(PROJECT_ROOT / "migrations"))


def generate(args: argparse.Namespace) -> Forum:
    rng = Random(args.seed)
    started = time.perf_counter()
    vocab = load_vocabulary(args.data)
    print(
        f"vocabulary: {len(vocab.sentences):,} sentences, {len(vocab.title_starts):,} titles,"
        f" {len(vocab.tags):,} tags, {len(vocab.code):,} code blocks"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    # Enough distinct paragraphs that bodies rarely repeat (each body mixes 1-4 of them).
    pool = min(20_000, max(2_000, args.posts // 8))
    writer = Writer(vocab, rng, pool)
    print(
        f"rendered {pool:,} paragraphs and {len(writer.special):,} blocks"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    forum = Forum(writer, rng, args.posts)
    forum.build()
    add_activity(forum)
    password_hash = hash_password(PASSWORD)  # one argon2 hash, shared: hashing is ~50 ms each
    for user in forum.rows["users"]:
        user["password_hash"] = password_hash
    print(f"generated rows ({time.perf_counter() - started:.1f} s)")
    return forum


def insert(forum: Forum) -> int:
    """Bulk-insert every table in batches (executemany); returns the number of rows."""
    total = 0
    for name in TABLE_ORDER:
        rows, table = forum.rows[name], db.metadata.tables[name]
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for i in range(0, len(rows), BATCH):
                conn.execute(table.insert(), rows[i : i + BATCH])
        elapsed = time.perf_counter() - started
        total += len(rows)
        print(
            f"  {name:<16} {len(rows):>9,} rows {elapsed:6.1f} s"
            f" {len(rows) / max(elapsed, 1e-6):>9,.0f} rows/s"
        )
    return total


def finish_postgresql() -> None:
    """Move id sequences past the explicit ids; VACUUM ANALYZE as autovacuum soon would."""
    with db.engine.begin() as conn:
        for name in TABLE_ORDER:
            if "id" in db.metadata.tables[name].c:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"  # noqa: S608
                        f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                    )
                )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def main(argv=None) -> None:
    args = parse_args(argv)
    app = bench_app(args.db)
    started = time.perf_counter()
    with app.app_context():
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        prepare_database(args.force_empty)
        forum = generate(args)
        generated = time.perf_counter()
        print("inserting:")
        rows = insert(forum)
        if db.engine.dialect.name == "postgresql":
            finish_postgresql()
        inserted = time.perf_counter()
        with db.engine.connect() as conn:
            posts = sum(
                conn.scalar(select(func.count()).select_from(db.metadata.tables[t]))
                for t in POST_TABLES
            )
        db.engine.dispose()
    total = inserted - started
    print(
        f"posts: {posts:,} ({len(forum.rows['goals']):,} goals,"
        f" {len(forum.rows['questions']):,} questions, {len(forum.rows['answers']):,} answers)"
        f"; users: {len(forum.rows['users']):,}"
    )
    print(
        f"generation {generated - started:.1f} s, insert {inserted - generated:.1f} s,"
        f" total {total:.1f} s: {rows:,} rows, {rows / total:,.0f} rows/s,"
        f" {posts / total:,.0f} posts/s"
    )
    print(
        f"every user's password: {PASSWORD} (e.g. sign in as {forum.rows['users'][0]['username']})"
    )


if __name__ == "__main__":
    main()
