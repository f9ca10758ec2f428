"""`flask users ...`, `flask demo users`, `flask mentorship expire-invites`."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import MentorshipRequest, User
from app.models.base import utcnow
from app.services import mentorship
from app.services.accounts import authenticate
from app.services.demo import DEMO_PASSWORD, demo_users
from tests.builders import build_goal


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_users_create_and_promote(app):
    result = run(
        app, "users", "create", "Carol", "carol@example.org", "--password", "long password"
    )
    assert result.exit_code == 0, result.output
    assert authenticate("carol", "long password") is not None
    result = run(app, "users", "promote", "carol")
    assert result.exit_code == 0 and "admin" in result.output
    db.session.commit()
    assert db.session.scalar(select(User).where(User.username == "carol")).is_admin


def test_users_create_prompts_for_password(app):
    result = run(
        app, "users", "create", "dave", "dave@example.org", input="long password\nlong password\n"
    )
    assert result.exit_code == 0, result.output
    assert authenticate("dave", "long password") is not None


def test_users_create_admin_flag_and_errors(app):
    assert (
        run(
            app,
            "users",
            "create",
            "erin",
            "erin@example.org",
            "--password",
            "long password",
            "--admin",
        ).exit_code
        == 0
    )
    duplicate = run(app, "users", "create", "erin", "x@example.org", "--password", "long pw 123")
    assert duplicate.exit_code != 0 and "cannot be used" in duplicate.output
    bad = run(app, "users", "create", "x", "nope", "--password", "short")
    assert bad.exit_code != 0 and "username" in bad.output
    missing = run(app, "users", "promote", "nobody")
    assert missing.exit_code != 0 and "No such user" in missing.output


def test_demo_users_are_idempotent(app):
    assert run(app, "demo", "users").exit_code == 0
    second = run(app, "demo", "users")
    assert second.exit_code == 0 and "0 created" in second.output
    db.session.commit()
    names = set(db.session.scalars(select(User.username)))
    assert names == {u["username"] for u in demo_users()}
    assert all(authenticate(name, DEMO_PASSWORD) is not None for name in names)
    ada = db.session.scalar(select(User).where(User.username == "ada"))
    assert ada.mentor_available and ada.bio_html and [t.name for t in ada.skills]


def test_mentorship_expire_invites_command(app, make_user):
    owner = make_user("owner")
    make_user("mentor")
    request = mentorship.invite(owner, build_goal(owner), "mentor", "Would you mentor me?")
    request.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = run(app, "mentorship", "expire-invites")
    assert result.exit_code == 0 and "Expired 1 invites." in result.output
    db.session.commit()
    assert db.session.get(MentorshipRequest, request.id).status == "expired"
    assert "Expired 0 invites." in run(app, "mentorship", "expire-invites").output


def test_search_worker_runs_below_the_web_workers(app, monkeypatch):
    """The indexer process lowers its own priority before it starts its loop."""
    import app.cli_search as cli

    order = []
    monkeypatch.setattr(cli.os, "nice", lambda n: order.append(("nice", n)))
    monkeypatch.setattr(cli, "run_worker", lambda backend: order.append(("run", None)))
    result = run(app, "search", "worker")
    assert result.exit_code == 0, result.output
    assert order == [("nice", 10), ("run", None)]
    order.clear()
    app.config["SEARCH_WORKER_NICE"] = 0
    assert run(app, "search", "worker").exit_code == 0
    assert order == [("run", None)]
