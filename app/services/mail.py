"""Outgoing email: through SMTP when ``SMTP_URL`` is set, else written to the log.

``SMTP_URL`` looks like ``smtp://user:password@host:587`` (add ``?starttls=1`` to upgrade the
connection) or ``smtps://user:password@host:465`` (TLS from the start). Every message is
plain text plus sanitised HTML (multipart/alternative) and carries an unsubscribe link with
a signed token, also in a ``List-Unsubscribe`` header. Callers pass user-provided text as
plain strings: this module escapes it for HTML, and the HTML passes the allow-list
sanitiser on top.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape

from app.rendering import sanitize_html

log = logging.getLogger("journster.mail")
log.setLevel(logging.INFO)

UNSUBSCRIBE_SALT = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 365 * 86_400  # a year: old digests keep working for a while
SMTP_TIMEOUT = 15


class MailError(Exception):
    """The SMTP server could not be reached or did not accept the message.

    ``permanent``: the server refused this one message for good (a 5xx answer such as an
    unknown recipient); otherwise the failure is temporary (down, timeout, 4xx).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# -- unsubscribe tokens ---------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user) -> str:
    """A signed token naming this user, for the unsubscribe link."""
    return _serializer().dumps({"u": user.id})


def read_unsubscribe_token(token) -> int | None:
    """The user id in a valid, unexpired token; None when tampered, expired or malformed."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return None
    return user_id


def absolute_url(path: str) -> str:
    """A link for an email (BASE_URL + path): there is no request to take the host from."""
    return current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/") + path


def unsubscribe_url(user) -> str:
    return absolute_url(f"/unsubscribe/{unsubscribe_token(user)}")


# -- messages -------------------------------------------------------------------------------


@dataclass
class Mail:
    """One email: ``text`` is plain text, ``html`` an HTML fragment built with ``escape``."""

    to: str
    subject: str
    text: str
    html: Markup | str
    # None for transactional mail (verify address, reset password): nothing to unsubscribe from.
    unsubscribe: str | None
    headers: dict = field(default_factory=dict)


def _one_line(value: str, limit: int = 200) -> str:
    """Header-safe: no line breaks (header injection), bounded length."""
    return " ".join(str(value).split())[:limit]


def build_message(mail: Mail) -> EmailMessage:
    """The MIME message: plain text and sanitised HTML alternatives, unsubscribe headers."""
    message = EmailMessage()
    message["Subject"] = _one_line(mail.subject)
    message["From"] = current_app.config.get("MAIL_FROM") or "no-reply@journster.invalid"
    message["To"] = _one_line(mail.to, 254)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="journster.invalid")
    if mail.unsubscribe:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = _one_line(value)
    if mail.unsubscribe:
        text_footer = (
            "You get this because of your email settings on Journster.\n"
            f"Unsubscribe: {mail.unsubscribe}\n"
        )
        footer = Markup(
            '<p style="color:#666;font-size:small">You get this because of your '
            'email settings on Journster. <a href="{0}">Unsubscribe</a></p>'
        ).format(mail.unsubscribe)
    else:
        text_footer = "You get this because someone used this address on Journster.\n"
        footer = Markup(
            '<p style="color:#666;font-size:small">You get this because someone '
            "used this address on Journster.</p>"
        )
    message.set_content(f"{mail.text.rstrip()}\n\n-- \n{text_footer}")
    body = sanitize_html(str(mail.html))
    html = (
        Markup(
            '<!doctype html><html><head><meta charset="utf-8"><title>{0}</title></head><body>'
        ).format(_one_line(mail.subject))
        + Markup(body)  # noqa: S704  (sanitised by nh3 just above)
        + Markup("<hr>")
        + footer
        + Markup("</body></html>")
    )
    message.add_alternative(str(html), subtype="html")
    return message


# -- transport ------------------------------------------------------------------------------


def _ensure_log_output() -> None:
    """Without any logging configured (a bare `flask notify`), INFO would vanish: use stderr."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


@dataclass
class SmtpSettings:
    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user:pass@]host[:port][?starttls=1] or smtps://... (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError:
        raise MailError("SMTP_URL has an invalid port.") from None
    query = parse_qs(parts.query)
    starttls = not tls and query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        tls=tls,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Mailer:
    """One connection for a batch: ``with Mailer() as m: m.send(mail)``.

    ``send`` returns only once the server accepted the message and raises MailError
    otherwise, so callers mark a notification sent only after acceptance. Without
    ``SMTP_URL`` every message is written to the log (the "journster.mail" logger).
    """

    def __init__(self, url: str | None = None) -> None:
        self.url: str | None = url if url is not None else current_app.config.get("SMTP_URL")
        self._smtp: smtplib.SMTP | None = None

    @property
    def uses_log(self) -> bool:
        return not self.url

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = parse_smtp_url(self.url or "")  # only called when a URL is set
        try:
            if settings.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=SMTP_TIMEOUT,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(
                f"Could not connect to the SMTP server {settings.host}:{settings.port}: {error}"
            ) from error
        return smtp

    def open(self) -> None:
        """Connect now (before the caller takes any database lock); no-op for the log."""
        if not self.uses_log and self._smtp is None:
            self._smtp = self._connect()

    def send(self, mail: Mail) -> None:
        message = build_message(mail)
        if self.uses_log:
            _ensure_log_output()
            # build_message always adds a plain part, so get_body finds one.
            log.info(
                "Email (SMTP_URL not set, so written here) to %s\n%s",
                mail.to,
                message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            )
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(
                f"The SMTP server refused the recipient: {error}", permanent=True
            ) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPServerDisconnected):
                raise MailError(
                    f"The SMTP server refused the message: {error}", permanent=True
                ) from error
            self.close()
            raise MailError(f"The SMTP server did not accept the message: {error}") from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()  # the connection state is unknown: reconnect for the next one
            raise MailError(f"The SMTP server did not accept the message: {error}") from error

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def html_paragraphs(text: str) -> Markup:
    """Plain user text as escaped HTML paragraphs (line breaks kept)."""
    blocks = [b for b in str(text).replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>{0}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks
    )
