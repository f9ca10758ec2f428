"""Concurrent read-then-write transactions never lose a write (SQLite BEGIN IMMEDIATE)."""

import threading

from sqlalchemy import select

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import User

THREADS, ROUNDS = 8, 25


def test_concurrent_read_then_write_loses_nothing(app, make_user):
    user_id = make_user("counter").id
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker():
        with app.app_context():
            start.wait()
            for _ in range(ROUNDS):
                try:
                    # Each round reads outside, then reads and writes inside the transaction,
                    # like a request that loads data before calling a service.
                    db.session.scalar(select(User.reputation).where(User.id == user_id))
                    with write_transaction() as session:
                        current = session.scalar(select(User.reputation).where(User.id == user_id))
                        session.get(User, user_id).reputation = current + 1
                except BaseException as exc:
                    errors.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.commit()  # end the test's read snapshot (SQLite WAL isolation)
    if db.engine.dialect.name == "sqlite":
        # SQLite serialises writers: every increment lands.
        assert db.session.get(User, user_id).reputation == THREADS * ROUNDS
    else:
        # PostgreSQL's READ COMMITTED allows lost updates for read-modify-write; services
        # that need exactness there use atomic UPDATEs or row locks. Nothing may fail, though.
        assert 0 < db.session.get(User, user_id).reputation <= THREADS * ROUNDS


def test_write_transaction_rolls_back_on_error(app, make_user):
    user = make_user("alice")
    try:
        with write_transaction():
            user.display_name = "Changed"
            raise RuntimeError("rule broken")
    except RuntimeError:
        pass
    db.session.commit()  # end the test's read snapshot (SQLite WAL isolation)
    assert db.session.get(User, user.id).display_name == ""


def test_nested_write_transactions_commit_once(app, make_user):
    user = make_user("alice")
    try:
        with write_transaction():
            user.display_name = "Outer"
            with write_transaction():
                user.location = "Inner"
            raise RuntimeError("outer fails after inner finished")
    except RuntimeError:
        pass
    db.session.commit()  # end the test's read snapshot (SQLite WAL isolation)
    fresh = db.session.get(User, user.id)
    assert (fresh.display_name, fresh.location) == ("", "")
