"""Email copies of notifications, digests, nudges and unsubscribing (SPEC §1 Notifications).

Mail goes to a real SMTP server (aiosmtpd) listening on 127.0.0.1, started by the test.
"""

import email
import socket
import threading
import time
from datetime import timedelta
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.core.transaction import write_transaction
from app.extensions import db
from app.models import Answer, Notification, User
from app.models.base import utcnow
from app.services import invitations, mentorship, mentorship_lifecycle, private_space
from app.services import questions as qa
from app.services.email_delivery import MAX_PERMANENT_FAILURES, send_digests, send_immediate
from app.services.mail import Mail, MailError, build_message, parse_smtp_url, unsubscribe_token
from app.services.notifications import notify
from app.services.nudges import run_nudges
from tests.builders import build_answer, build_goal, build_question
from tests.conftest import PASSWORD, api_token, bearer, login, post_form


class Collector:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    refuse: set[str]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in getattr(self, "refuse", ()):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that the test can stop and start again."""

    def __init__(self) -> None:
        self.handler = Collector()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def start(self) -> None:
        for _ in range(50):  # the port may linger for a moment after a stop
            try:
                self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
                self.controller.start()
                return
            except (OSError, RuntimeError):
                self.controller = None
                time.sleep(0.1)
        raise RuntimeError("could not restart the SMTP server")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config["SMTP_URL"] = server.url
    yield server
    server.stop()


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def reload_user(user_id: int) -> User:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


def notifications_of(user) -> list[Notification]:
    db.session.commit()
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def answered(asker, answerer, question, body=None):
    """Post an answer (the real service); the asker's "answer" notification must exist."""
    answer = build_answer(answerer, question, **({"body": body} if body else {}))
    db.session.commit()
    if not db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == asker.id,
            Notification.subject_type == "answer",
            Notification.subject_id == answer.id,
        )
    ):
        # The answer event does not notify in this build: queue what it would have.
        with write_transaction() as session:
            notify(session, asker.id, "answer", "answer", answer.id, actor_id=answerer.id)
    return answer


def parts(message):
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


# -- immediate mail -----------------------------------------------------------------------------


def test_immediate_mail_is_plain_and_escaped_html_with_working_unsubscribe(
    app, smtp, client, make_user
):
    asker = make_user("asker", email_mode="immediate", display_name='Ann <i>"A"</i>')
    answerer = make_user("answerer", display_name="<script>alert('x')</script>Bo")
    question = build_question(asker, title="How <b>do</b> I & you write an abstract?")
    answered(
        asker,
        answerer,
        question,
        body='Try this: <img src=x onerror="alert(1)"> and **bold** & more text here.',
    )

    report = send_immediate()
    assert report.mails == 1 and not report.failed, str(report)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "asker@example.org"
    assert smtp.handler.envelopes[0][1] == ["asker@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    plain, html = parts(message)
    # Plain text carries the words as typed; HTML escapes every user-provided string.
    assert "How <b>do</b> I & you write an abstract?" in plain
    assert "<script>alert('x')</script>Bo" in plain
    assert "<script" not in html and "<img" not in html
    assert "How &lt;b&gt;do&lt;/b&gt; I &amp; you write an abstract?" in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert "<i>" not in html and "Ann &lt;i&gt;" in html
    assert "answered your question" in message["Subject"]
    assert "\n" not in message["Subject"]

    # The unsubscribe link: in both parts and in List-Unsubscribe, and it works.
    header = message["List-Unsubscribe"]
    assert header.startswith("<http") and header.endswith(">")
    link = header[1:-1]
    assert link in plain and link.replace("&", "&amp;") in html
    path = urlsplit(link).path
    assert path.startswith("/unsubscribe/")
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe from emails" in page.text
    assert reload_user(asker.id).email_mode == "immediate"  # GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "no more notification emails" in done.text
    assert reload_user(asker.id).email_mode == "off"

    # Mail is off now: the next notification is not mailed.
    answered(asker, make_user("third"), question)
    assert send_immediate().mails == 0
    assert len(smtp.messages) == 1


def test_immediate_runs_never_send_twice_and_ignore_other_modes(app, smtp, make_user):
    asker = make_user("asker", email_mode="immediate")
    digest_user = make_user("digester", email_mode="daily")
    silent = make_user("silent")  # off by default
    for owner in (asker, digest_user, silent):
        question = build_question(owner, title=f"A question asked by {owner.username}")
        answered(owner, make_user(f"helper-{owner.username}"), question)
    assert [n.email_state for n in notifications_of(silent)] == ["skipped"]

    assert send_immediate().mails == 1
    assert send_immediate().mails == 0
    result = run_cli(app, "notify", "send")
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "asker@example.org"
    [row] = notifications_of(asker)
    assert row.email_state == "sent" and row.emailed_at is not None
    assert [n.email_state for n in notifications_of(digest_user)] == ["pending"]


# -- digests --------------------------------------------------------------------------------------


def test_digests_are_idempotent_and_respect_the_period(app, smtp, make_user):
    daily = make_user("daily", email_mode="daily")
    weekly = make_user("weekly", email_mode="weekly")
    question = build_question(daily, title="Which running shoes for a beginner?")
    answered(daily, make_user("helper1"), question)
    answered(daily, make_user("helper2"), question)
    weekly_question = build_question(weekly, title="How to plan a weekly long run?")
    answered(weekly, make_user("helper3"), weekly_question)

    result = run_cli(app, "notify", "send-digests", "--period", "daily")
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "daily@example.org" and "daily digest: 2" in message["Subject"]
    plain, _html = parts(message)
    assert plain.count("Which running shoes for a beginner?") == 2
    assert "List-Unsubscribe" in message

    # Running again sends nothing: the same items are never sent twice.
    assert run_cli(app, "notify", "send-digests", "--period", "daily").exit_code == 0
    assert send_digests("daily").mails == 0
    assert len(smtp.messages) == 1
    assert {n.email_state for n in notifications_of(daily)} == {"sent"}
    sent_at = reload_user(daily.id).last_digest_at
    assert sent_at is not None

    # A new notification waits for the next period, then goes alone.
    answered(daily, make_user("helper4"), question)
    assert send_digests("daily").mails == 0
    later = utcnow() + timedelta(days=1)
    assert send_digests("daily", now=later).mails == 1
    assert send_digests("daily", now=later).mails == 0
    assert len(smtp.messages) == 2 and "daily digest: 1 notification" in smtp.messages[1]["Subject"]

    # Weekly users got nothing from the daily runs; their own run sends theirs once.
    assert [n.email_state for n in notifications_of(weekly)] == ["pending"]
    assert send_digests("weekly").mails == 1
    assert send_digests().mails == 0
    assert smtp.messages[-1]["To"] == "weekly@example.org"
    assert len(smtp.messages) == 3


# -- SMTP down -------------------------------------------------------------------------------


def test_smtp_down_loses_nothing_and_sends_once_when_back(app, smtp, client, make_user):
    asker = make_user("asker", email_mode="immediate")
    digester = make_user("digester", email_mode="weekly")
    question = build_question(asker, title="How do I keep a training log?")
    digest_question = build_question(digester, title="How do I pace an interval session?")
    smtp.stop()

    # The action that creates the notification succeeds while the server is down.
    helper = make_user("helper")
    login(client, "helper")
    response = post_form(
        client,
        f"/questions/{question.id}/answers",
        {"body": "Write one line a day, right after the run."},
        page=f"/questions/{question.id}",
    )
    assert response.status_code in (302, 303), response.status_code
    answer = db.session.scalar(select(Answer).where(Answer.question_id == question.id))
    assert answer is not None and answer.owner_id == helper.id
    if not notifications_of(asker):  # the answer event does not notify in this build
        with write_transaction() as session:
            notify(session, asker.id, "answer", "answer", answer.id, actor_id=helper.id)
    answered(digester, helper, digest_question)
    rows = notifications_of(asker)
    assert rows and all(n.email_state == "pending" for n in rows)

    result = run_cli(app, "notify", "send")
    assert result.exit_code != 0
    assert "could not be sent" in result.output and "left pending" in result.output
    result = run_cli(app, "notify", "send-digests")
    assert result.exit_code != 0 and "could not be sent" in result.output
    for user in (asker, digester):
        for notification in notifications_of(user):
            assert notification.email_state == "pending" and notification.email_attempts == 1
    assert reload_user(digester.id).last_digest_at is None

    smtp.start()
    assert run_cli(app, "notify", "send").exit_code == 0
    assert run_cli(app, "notify", "send-digests").exit_code == 0
    assert run_cli(app, "notify", "send").exit_code == 0
    assert run_cli(app, "notify", "send-digests").exit_code == 0
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == sorted(["asker@example.org"] * len(rows) + ["digester@example.org"])
    for user in (asker, digester):
        assert {n.email_state for n in notifications_of(user)} == {"sent"}


def test_two_runs_at_once_send_each_notification_once(app, smtp, make_user, other_app):
    askers = [make_user(f"asker{i}", email_mode="immediate") for i in range(3)]
    helpers = [make_user(f"helper{i}") for i in range(4)]
    for asker in askers:
        question = build_question(asker, title=f"A question from {asker.username} here")
        for helper in helpers:
            answered(asker, helper, question)
    total = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.email_state == "pending")
    )
    assert total == 12
    workers = [other_app(SMTP_URL=smtp.url) for _ in range(2)]
    reports = []

    def run(worker):
        with worker.app_context():
            reports.append(send_immediate())

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.mails for r in reports) == total, [str(r) for r in reports]
    assert len(smtp.messages) == total
    assert len({m["Subject"] + m.get_body(("plain",)).get_content() for m in smtp.messages}) == (
        total
    )
    assert {n.email_state for a in askers for n in notifications_of(a)} == {"sent"}


def test_a_refused_address_does_not_block_others_and_is_given_up_after_retries(
    app, smtp, make_user
):
    good = make_user("good", email_mode="immediate")
    bad = make_user("bad", email_mode="immediate")
    smtp.handler.refuse = {"bad@example.org"}
    for owner in (bad, good):
        question = build_question(owner, title=f"Question number one by {owner.username}")
        answered(owner, make_user(f"helper-{owner.username}"), question)
    report = send_immediate()
    assert report.mails == 1 and report.failed and report.pending == 1
    assert [m["To"] for m in smtp.messages] == ["good@example.org"]
    [row] = notifications_of(bad)
    assert row.email_state == "pending" and row.email_attempts == 1
    for _ in range(MAX_PERMANENT_FAILURES - 1):
        send_immediate()
    [row] = notifications_of(bad)
    assert row.email_state == "skipped" and row.email_attempts == MAX_PERMANENT_FAILURES
    assert send_immediate().mails == 0 and len(smtp.messages) == 1


def test_mail_building_blocks(app):
    settings = parse_smtp_url("smtps://me%40host:p%3Ass@mail.example.org")
    assert (settings.host, settings.port, settings.tls) == ("mail.example.org", 465, True)
    assert (settings.username, settings.password) == ("me@host", "p:ss")
    plain = parse_smtp_url("smtp://mail.example.org:2525?starttls=1")
    assert (plain.port, plain.tls, plain.starttls) == (2525, False, True)
    for bad in ("http://mail.example.org", "smtp://", "smtp://host:99999"):
        with pytest.raises(MailError):
            parse_smtp_url(bad)
    message = build_message(
        Mail(
            to="a@example.org",
            subject="Hi\r\nBcc: evil@example.org",
            text="x",
            html="<p onclick='x()'>x</p><script>y</script>",
            unsubscribe="http://h/unsubscribe/t",
        )
    )
    assert "Bcc" not in message and "\n" not in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "onclick" not in html and "<script" not in html


def test_without_smtp_url_mail_is_written_to_the_log(app, make_user, caplog):
    app.config["SMTP_URL"] = None
    asker = make_user("asker", email_mode="immediate")
    question = build_question(asker, title="Where do I find a running club?")
    answered(asker, make_user("helper"), question)
    with caplog.at_level("INFO", logger="journster.mail"):
        report = send_immediate()
    assert report.mails == 1
    assert "asker@example.org" in caplog.text and "Where do I find a running club?" in caplog.text
    assert {n.email_state for n in notifications_of(asker)} == {"sent"}


# -- privacy ----------------------------------------------------------------------------------


def test_notification_about_a_goal_closed_since_is_not_mailed_to_outsiders(app, smtp, make_user):
    owner = make_user("owner", email_mode="immediate")
    mentor = make_user("mentor")
    outsider = make_user("outsider", email_mode="immediate")
    goal = build_goal(owner, title="Run a marathon under four hours")
    question = build_question(owner, title="Secret training plan question", goal=goal)
    answer = answered(owner, outsider, question, body="Build up mileage slowly over months.")
    # The owner comments on the outsider's answer while the goal is public.
    comment = qa.add_comment(owner, answer=answer, body="Thanks, how slowly exactly?")
    db.session.commit()
    if not db.session.scalar(select(Notification.id).where(Notification.user_id == outsider.id)):
        with write_transaction() as session:
            notify(session, outsider.id, "comment", "comment", comment.id, actor_id=owner.id)

    # Then the goal closes into a mentorship before the mail goes out.
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    mentorship.accept(mentor, request)

    report = send_immediate()
    assert report.skipped >= 1
    assert all(m["To"] != "outsider@example.org" for m in smtp.messages)
    assert all(
        "Secret training plan" not in m.as_string() or m["To"] == "owner@example.org"
        for m in smtp.messages
    )
    assert {n.email_state for n in notifications_of(outsider)} == {"skipped"}
    # The owner still sees the goal: their notification about the answer is mailed.
    assert smtp.messages and {m["To"] for m in smtp.messages} == {"owner@example.org"}
    assert any("answered your question" in m["Subject"] for m in smtp.messages)


def test_mail_never_names_an_anonymous_asker(app, smtp, make_user):
    asker = make_user("secretasker", display_name="Very Secret Person")
    invitee = make_user("invitee", email_mode="immediate")
    question = qa.ask_question(
        asker,
        {
            "title": "An awkward question about salaries",
            "body": "How do I ask for a raise?",
            "tags": ["career"],
            "anonymous": True,
        },
    )
    invitations.invite_to_answer(asker, question, ["invitee"])
    db.session.commit()
    if not notifications_of(invitee):  # the invitation event does not notify in this build
        with write_transaction() as session:
            notify(
                session, invitee.id, "answer_invitation", "question", question.id, actor_id=asker.id
            )
    assert send_immediate().mails == 1
    [message] = smtp.messages
    text = message.as_string() + parts(message)[0] + parts(message)[1]
    assert "secretasker" not in text and "Very Secret Person" not in text
    assert "anonymous protégé" in parts(message)[0]


# -- nudges and check-in reminders ------------------------------------------------------------


@pytest.fixture
def pair(make_user):
    owner, mentor = make_user("owner"), make_user("mentor")
    goal = build_goal(owner, title="Learn to swim a full kilometre")
    request = mentorship.invite(owner, goal, mentor.username, "Would you mentor me?")
    mentorship.accept(mentor, request)
    db.session.commit()
    goal = db.session.get(type(goal), goal.id)
    private_space.set_agreement(
        owner,
        goal,
        {
            "modes": ["message"],
            "cadence": "Weekly",
            "response_hours": 24,
            "success_criteria": "Swim 1 km without stopping.",
        },
    )
    return owner, mentor, goal


def nudges_for(user):
    return [n for n in notifications_of(user) if n.kind == "nudge"]


def test_nudge_goes_once_to_whoever_owes_a_reply(app, pair):
    owner, mentor, goal = pair
    message = private_space.send_message(owner, goal, "How often should I train?")
    assert run_nudges().nudges == 0  # not overdue yet
    assert run_nudges(now=utcnow() + timedelta(hours=23)).nudges == 0
    later = utcnow() + timedelta(hours=25)
    assert run_nudges(now=later).nudges == 1
    assert run_nudges(now=later).nudges == 0
    result = run_cli(app, "notify", "nudges")
    assert result.exit_code == 0, result.output
    assert run_nudges(now=later + timedelta(days=5)).nudges == 0
    [nudge] = nudges_for(mentor)
    assert nudge.subject_type == "message" and nudge.subject_id == message.id
    assert nudge.actor_id == owner.id and nudges_for(owner) == []

    # The mentor replies: now the owner owes the next reply, nudged once in turn.
    private_space.send_message(mentor, goal, "Three times a week to start.")
    assert run_nudges(now=utcnow() + timedelta(hours=1)).nudges == 0
    much_later = utcnow() + timedelta(hours=50)
    assert run_nudges(now=much_later).nudges == 1
    assert run_nudges(now=much_later).nudges == 0
    assert len(nudges_for(owner)) == 1 and len(nudges_for(mentor)) == 1


def test_no_nudge_while_paused_or_without_agreement(app, pair, make_user):
    owner, mentor, goal = pair
    private_space.send_message(owner, goal, "Are you there?")
    mentorship_lifecycle.pause(owner, goal)
    assert run_nudges(now=utcnow() + timedelta(days=3)).nudges == 0
    # Resuming restarts the clock: the paused days do not count against the mentor.
    mentorship_lifecycle.resume(mentor, goal)
    assert run_nudges(now=utcnow() + timedelta(hours=2)).nudges == 0
    assert run_nudges(now=utcnow() + timedelta(hours=25)).nudges == 1

    other_owner, other_mentor = make_user("owner2"), make_user("mentor2")
    other_goal = build_goal(other_owner, title="Read twelve books this year")
    mentorship.accept(
        other_mentor, mentorship.invite(other_owner, other_goal, other_mentor.username, "Please?")
    )
    db.session.commit()
    other_goal = db.session.get(type(other_goal), other_goal.id)
    private_space.send_message(other_owner, other_goal, "Hello, no agreement yet.")
    assert run_nudges(now=utcnow() + timedelta(days=30)).nudges == 0


def test_checkin_reminds_both_parties_once_a_day_before(app, pair, smtp):
    owner, mentor, goal = pair
    soon = utcnow() + timedelta(hours=20)
    far = utcnow() + timedelta(days=3)
    private_space.add_checkin(
        owner, goal, {"scheduled_at": soon.isoformat(), "agenda": "Review <b>technique</b>"}
    )
    private_space.add_checkin(
        mentor, goal, {"scheduled_at": far.isoformat(), "agenda": "Plan the next month"}
    )
    assert run_nudges().reminders == 2
    assert run_nudges().reminders == 0
    assert run_cli(app, "notify", "nudges").exit_code == 0
    for user in (owner, mentor):
        assert len([n for n in notifications_of(user) if n.kind == "checkin_soon"]) == 1
    # Two days on, the later check-in is within a day: reminded once too.
    assert run_nudges(now=utcnow() + timedelta(days=2, hours=1)).reminders == 2
    assert run_nudges(now=utcnow() + timedelta(days=2, hours=2)).reminders == 0

    # Reminders are mailed like any notification, to the two parties only.
    for user in (owner, mentor):
        with write_transaction():
            db.session.get(User, user.id).email_mode = "immediate"
    table = Notification.__table__
    db.session.execute(table.update().values(email_state="skipped"))
    db.session.execute(
        table.update().where(table.c.kind == "checkin_soon").values(email_state="pending")
    )
    db.session.commit()
    assert send_immediate().mails == 4
    assert sorted({m["To"] for m in smtp.messages}) == ["mentor@example.org", "owner@example.org"]
    plain, html = parts(smtp.messages[0])
    assert "check-in" in plain.lower() and "<b>technique" not in html


# -- unsubscribe and settings ----------------------------------------------------------------


def test_tampered_or_unknown_unsubscribe_token_is_a_clear_400(app, client, make_user):
    user = make_user("reader", email_mode="daily")
    token = unsubscribe_token(user)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "not-a-token", "x" * 600):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}")
            assert response.status_code == 400
            assert "invalid or has expired" in response.text
    assert reload_user(user.id).email_mode == "daily"
    # Another app's secret key does not validate either.
    app.config["SECRET_KEY"] = "another-secret"
    assert client.post(f"/unsubscribe/{token}").status_code == 400
    assert reload_user(user.id).email_mode == "daily"


def test_settings_page_sets_the_email_mode(app, client, make_user):
    make_user("alice")
    login(client, "alice")
    page = client.get("/settings")
    assert 'name="profile-email_mode"' in page.text and "Weekly digest" in page.text
    response = post_form(
        client,
        "/settings",
        {"profile-timezone": "UTC", "profile-email_mode": "weekly", "profile-submit": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User.email_mode).where(User.username == "alice")) == "weekly"
    bad = post_form(
        client,
        "/settings",
        {"profile-timezone": "UTC", "profile-email_mode": "hourly", "profile-submit": "1"},
    )
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(User.email_mode).where(User.username == "alice")) == "weekly"


def test_api_patch_email_mode(app, client, make_user):
    make_user("alice", password=PASSWORD)
    headers = bearer(api_token(client, "alice"))
    for bad in ("hourly", 5, None, "", ["daily"], "DAILY"):
        response = client.patch("/api/v1/users/me", json={"email_mode": bad}, headers=headers)
        assert response.status_code == 422, (bad, response.get_json())
        assert "email_mode" in response.get_json()["error"]["fields"]
    response = client.patch("/api/v1/users/me", json={"email_mode": "daily"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["email_mode"] == "daily"
    assert client.get("/api/v1/users/me", headers=headers).get_json()["email_mode"] == "daily"
    assert "email_mode" not in client.get("/api/v1/users/alice").get_json()
