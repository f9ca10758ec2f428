"""Input rules shared by forms, API schemas and services (one definition of each limit)."""

import re
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

from email_validator import EmailNotValidError
from email_validator import validate_email as _validate_email

from app.core.errors import ValidationFailed

# The tag column's size is the limit; it lives with the model because models sit below core.
from app.models.tags import TAG_MAX_LENGTH as TAG_MAX

USERNAME_MIN, USERNAME_MAX = 3, 30
USERNAME_RE = re.compile(r"[a-z0-9_-]+")
EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 10, 256
DISPLAY_NAME_MAX = 60
BIO_MAX = 5_000
LOCATION_MAX = 100
AVAILABILITY_MAX = 200
RESPONSE_TIME_MAX_HOURS = 24 * 30
SKILLS_MAX = 20
TAG_RE = re.compile(r"[a-z0-9+#.-]+")
CONTACT_MODES = ("message", "email", "video", "phone")

# Ids are SQL INTEGER columns (32-bit on PostgreSQL); larger numbers can name no row.
ID_MAX = 2**31 - 1
# ASCII digits only: str.isdigit() accepts "²" and int() accepts "١٢", both are not ids.
_INT_TEXT = re.compile(r"-?[0-9]{1,18}")

# C0 controls except tab/newline/carriage return; PostgreSQL cannot even store NUL.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")


class FieldErrors:
    """Collects per-field messages and raises them together as one ValidationFailed."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def check(self, field: str, func, *args, **kwargs):
        """Run a validator; record its message under ``field`` and return None on failure."""
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            self.add(field, exc.message)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, self.fields)


def _fail(message: str):
    raise ValidationFailed(message)


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The one number parser for caller input: an int or ASCII-digit text within bounds, else None.

    Rejects bools, floats, non-ASCII digits (``²``, ``١``), signs other than ``-``, spaces
    inside, and anything with more than 18 digits before int() ever sees it.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def parse_id(value) -> int | None:
    """A row id from a path, query, form or JSON value (1 … 2**31-1), else None."""
    return parse_int(value, minimum=1, maximum=ID_MAX)


def clean_text(value, *, max_length: int, multiline: bool = False, label: str = "This field"):
    """Return the stripped text or raise: strings only, length-limited, no control chars."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        _fail(f"{label} must be text.")
    value = value.strip()
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL_SINGLE_LINE
    if pattern.search(value):
        _fail(f"{label} contains control characters.")
    if len(value) > max_length:
        _fail(f"{label} must be at most {max_length} characters.")
    return value


def normalise_username(value) -> str:
    """Lowercase and check a username: 3–30 chars of a-z, 0-9, _ and -."""
    if not isinstance(value, str):
        _fail("Username must be text.")
    username = value.strip().lower()
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        _fail(f"Username must be {USERNAME_MIN}–{USERNAME_MAX} characters.")
    if not USERNAME_RE.fullmatch(username):
        _fail("Username may contain only letters a–z, digits, _ and -.")
    return username


def normalise_email(value) -> str:
    """Check email syntax (no DNS lookups) and return it lowercased."""
    if not isinstance(value, str):
        _fail("Email must be text.")
    value = value.strip()
    if not value or len(value) > EMAIL_MAX or _CONTROL_SINGLE_LINE.search(value):
        _fail("Enter a valid email address.")
    try:
        result = _validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        _fail("Enter a valid email address.")
    return result.normalized.lower()


def check_password(value) -> str:
    """Passwords: 10–256 characters, no NUL; returned unchanged (never stripped)."""
    if not isinstance(value, str):
        _fail("Password must be text.")
    if len(value) < PASSWORD_MIN:
        _fail(f"Password must be at least {PASSWORD_MIN} characters.")
    if len(value) > PASSWORD_MAX:
        _fail(f"Password must be at most {PASSWORD_MAX} characters.")
    if "\x00" in value:
        _fail("Password contains control characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: the hasher could not take them
            _fail("Password contains characters that cannot be used.")
    return value


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_choices() -> list[str]:
    """All IANA time zone names, sorted, for select boxes and the API schema."""
    return sorted(_timezones())


def check_timezone(value) -> str:
    """An IANA time zone name such as ``Europe/Berlin``."""
    if not isinstance(value, str) or value.strip() not in _timezones():
        _fail("Choose a time zone such as Europe/Berlin or UTC.")
    return value.strip()


def check_modes(value) -> list[str]:
    """A subset of the contact modes, kept in canonical order."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        _fail("Modes must be a list of: " + ", ".join(CONTACT_MODES) + ".")
    unknown = sorted(set(value) - set(CONTACT_MODES))
    if unknown:
        _fail("Unknown mode: " + ", ".join(unknown[:3]) + ".")
    return [m for m in CONTACT_MODES if m in value]


def check_response_time(value) -> int | None:
    """Expected response time in whole hours (1–720), or None for unspecified."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _fail("Response time must be a whole number of hours.")
    if not 1 <= value <= RESPONSE_TIME_MAX_HOURS:
        _fail(f"Response time must be between 1 and {RESPONSE_TIME_MAX_HOURS} hours.")
    return value


def normalise_tags(value, *, max_count: int, min_count: int = 0) -> list[str]:
    """Parse tags from a list or a comma/space separated string; lowercase and dedupe."""
    if isinstance(value, str):
        raw = re.split(r"[,\s]+", value)
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        raw = list(value)
    else:
        _fail("Tags must be a list of words.")
    tags: list[str] = []
    for item in raw:
        tag = item.strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX or not TAG_RE.fullmatch(tag):
            _fail(f"Tags use a–z, 0–9 and + # . - (at most {TAG_MAX} characters): {tag[:40]!r}.")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > max_count:
        _fail(f"At most {max_count} tags.")
    if len(tags) < min_count:
        _fail(f"At least {min_count} tag{'s' if min_count > 1 else ''}.")
    return tags


TITLE_MIN, TITLE_MAX = 10, 150
BODY_MAX = 20_000
ANSWER_MIN = 20
COMMENT_MAX = 600
MILESTONE_TITLE_MAX = 150
POST_TAGS_MIN, POST_TAGS_MAX = 1, 5

# Mentorship: the invite's message is a short note; private messages are longer conversation.
INVITE_MESSAGE_MAX = 2000
PRIVATE_MESSAGE_MAX = 5000
SUMMARY_MAX = 20_000
CADENCE_MAX = 200
CRITERIA_MAX = 5000
AGENDA_MAX = 5000
NOTES_MAX = 20_000

# Moderation: a flag's details and a moderator's note for the log; a suspension's reason.
FLAG_DETAILS_MAX = 500
SUSPEND_REASON_MAX = 500


def check_title(value) -> str:
    """Titles of goals and questions: 10–150 characters on one line."""
    title = clean_text(value, max_length=TITLE_MAX, label="Title")
    if len(title) < TITLE_MIN:
        _fail(f"Title must be at least {TITLE_MIN} characters.")
    return title


def check_body(
    value, *, min_length: int = 1, max_length: int = BODY_MAX, label: str = "Text"
) -> str:
    """Markdown bodies: multi-line, within the length limits."""
    body = clean_text(value, max_length=max_length, multiline=True, label=label)
    if len(body) < min_length:
        if min_length == 1:
            _fail(f"{label} must not be empty.")
        _fail(f"{label} must be at least {min_length} characters.")
    return body


def check_post_tags(value) -> list[str]:
    """Goals and questions carry 1–5 tags."""
    return normalise_tags(value, max_count=POST_TAGS_MAX, min_count=POST_TAGS_MIN)


def check_optional_date(value):
    """A date (or ISO ``YYYY-MM-DD`` text), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    _fail("Use a date like 2027-01-31.")
