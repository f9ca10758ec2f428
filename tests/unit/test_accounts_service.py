"""The accounts service: every rule at the service level, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.core.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import ApiToken, Tag, User
from app.models.base import utcnow
from app.services import account_tokens, accounts, recovery
from app.services.passwords import verify_password
from app.services.tokens import issue_token, revoke_token, user_for_token
from tests.conftest import PASSWORD


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_register_normalises_and_hashes(app):
    user = accounts.register_user("Alice_1", "Alice@Example.ORG", PASSWORD)
    assert (user.username, user.email, user.role) == ("alice_1", "alice@example.org", "user")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_duplicate_username_or_email_gives_one_generic_conflict(app):
    accounts.register_user("alice", "alice@example.org", PASSWORD)
    messages = []
    for username, email in [("ALICE", "other@example.org"), ("other", "ALICE@example.org")]:
        with pytest.raises(Conflict) as info:
            accounts.register_user(username, email, PASSWORD)
        messages.append(info.value.message)
    assert messages[0] == messages[1] == accounts.SIGNUP_CONFLICT_MESSAGE
    assert user_count() == 1


def test_register_reports_every_invalid_field_and_writes_nothing(app):
    with pytest.raises(ValidationFailed) as info:
        accounts.register_user("x", "not-an-email", "short")
    assert set(info.value.fields) == {"username", "email", "password"}
    assert user_count() == 0


def test_admin_emails_grant_admin_only_to_a_verified_address(app):
    # Today's hole: whoever registered a listed address first became admin at once.
    squatter = accounts.register_user("boss", "Admin@example.org", PASSWORD)
    assert not squatter.is_admin
    assert not accounts.authenticate("boss", PASSWORD).is_admin
    recovery.verify_email(account_tokens.verify_token(squatter, squatter.email))
    assert accounts.authenticate("boss", PASSWORD).is_admin
    plain = accounts.register_user("later", "later@example.org", PASSWORD)
    assert not plain.is_admin
    app.config["ADMIN_EMAILS"] = frozenset({"later@example.org"})
    assert not accounts.authenticate("later", PASSWORD).is_admin
    recovery.verify_email(account_tokens.verify_token(plain, plain.email))
    assert accounts.authenticate("later", PASSWORD).is_admin
    # An operator-created account counts as verified.
    app.config["ADMIN_EMAILS"] = frozenset({"ops@example.org"})
    assert accounts.register_user("ops", "ops@example.org", PASSWORD, verified=True).is_admin


def test_authenticate_by_username_or_email_any_case(app, make_user):
    make_user("alice")
    assert accounts.authenticate("ALICE", PASSWORD).username == "alice"
    assert accounts.authenticate("alice@EXAMPLE.org", PASSWORD).username == "alice"
    assert accounts.authenticate("alice", "wrong password") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("alice", None) is None
    assert accounts.authenticate(["alice"], PASSWORD) is None
    assert accounts.authenticate("alice", "x" * 10_000) is None


def test_signin_upgrades_weak_hashes(app, make_user):
    user = make_user("alice")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    db.session.commit()
    accounts.authenticate("alice", PASSWORD)
    db.session.refresh(user)
    assert "m=65536" in user.password_hash


def test_update_profile_renders_bio_and_creates_tags(app, make_user):
    user = make_user("alice")
    accounts.update_profile(
        user,
        {
            "bio": "Hello <script>x()</script>**world**",
            "skills": "Python, sql",
            "mentor_topics": ["career"],
            "timezone": "Asia/Tokyo",
            "preferred_modes": ["video"],
            "response_time_hours": 12,
            "mentor_available": True,
            "display_name": "Al 🎉",
        },
    )
    db.session.expire_all()
    user = accounts.get_user("alice")
    assert user.bio_html == "<p>Hello <strong>world</strong></p>"
    assert [t.name for t in user.skills] == ["python", "sql"]
    assert [t.name for t in user.mentor_topics] == ["career"]
    assert (user.timezone, user.preferred_modes, user.response_time_hours) == (
        "Asia/Tokyo",
        ["video"],
        12,
    )
    assert user.mentor_available and user.display_name == "Al 🎉"
    # Tags are shared rows, not duplicated per user.
    other = make_user("bob", skills=["python"])
    assert other.skills[0].id == user.skills[0].id
    assert db.session.scalar(select(func.count(Tag.id))) == 3


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"display_name": "x" * 61}, "display_name"),
        ({"display_name": "a\x00b"}, "display_name"),
        ({"bio": "x" * 5001}, "bio"),
        ({"skills": "ok, <bad>"}, "skills"),
        ({"skills": [f"t{i}" for i in range(21)]}, "skills"),
        ({"preferred_modes": ["telepathy"]}, "preferred_modes"),
        ({"response_time_hours": 0}, "response_time_hours"),
        ({"mentor_available": "yes"}, "mentor_available"),
        ({"email": "new@example.org"}, "email"),
        ({"role": "admin"}, "role"),
    ],
)
def test_update_profile_rejects_bad_input_and_changes_nothing(app, make_user, changes, field):
    user = make_user("alice", display_name="Alice", timezone="Europe/Paris")
    before = (user.display_name, user.timezone, user.bio, user.role, user.email)
    with pytest.raises(ValidationFailed) as info:
        accounts.update_profile(user, {**changes, "bio": changes.get("bio", "changed")})
    assert field in info.value.fields
    db.session.expire_all()
    user = accounts.get_user("alice")
    assert (user.display_name, user.timezone, user.bio, user.role, user.email) == before


def test_change_password_checks_current_ends_sessions_and_tokens(app, make_user):
    user = make_user("alice")
    plain, _ = issue_token(user)
    version = user.session_version
    with pytest.raises(ValidationFailed) as info:
        accounts.change_password(user, "wrong password", "new password 123")
    assert "current_password" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        accounts.change_password(user, PASSWORD, "short")
    assert "new_password" in info.value.fields
    assert user_for_token(plain) is not None
    accounts.change_password(user, PASSWORD, "new password 123")
    assert user.session_version == version + 1
    assert accounts.authenticate("alice", "new password 123") is not None
    assert accounts.authenticate("alice", PASSWORD) is None
    assert user_for_token(plain) is None


def test_get_user_and_set_role(app, make_user):
    make_user("alice")
    assert accounts.get_user("ALICE").username == "alice"
    for bad in ["nobody", "x" * 100, None]:
        with pytest.raises(NotFound):
            accounts.get_user(bad)
    assert accounts.set_role("alice", "admin").is_admin
    with pytest.raises(ValidationFailed):
        accounts.set_role("alice", "superuser")


def test_tokens_are_stored_hashed_and_expire(app, make_user):
    user = make_user("alice")
    plain, record = issue_token(user)
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert plain not in stored and len(stored) == 1 and len(stored[0]) == 64
    assert user_for_token(plain)[0].id == user.id
    assert user_for_token(plain + "x") is None
    assert user_for_token("") is None
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert user_for_token(plain) is None
    plain2, record2 = issue_token(user)
    revoke_token(record2)
    assert user_for_token(plain2) is None
