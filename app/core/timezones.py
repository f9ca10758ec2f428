"""Time zones: IANA names to UTC offsets and local times, and offsets as people type them."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.core.validation import timezone_choices

_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def as_utc(moment: datetime) -> datetime:
    """The moment with UTC attached when it is naive (the database stores UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when the name is not one."""
    try:
        return ZoneInfo(name or "")
    # KeyError: ZoneInfoNotFoundError; OSError: a tzdata directory ("America").
    except (ValueError, KeyError, OSError, TypeError):
        return None


def utc_offset_hours(name: str | None, when: datetime | None = None) -> float | None:
    """The IANA zone's UTC offset in hours at ``when`` (now); None when malformed."""
    tz = zone(name)
    if tz is None:
        return None
    offset = (when or datetime.now(UTC)).astimezone(tz).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else None


def tz_difference(a: float | None, b: float | None) -> float | None:
    """Hours between two UTC offsets around the clock (0..12), None if either is unknown."""
    if a is None or b is None:
        return None
    diff = abs(a - b) % 24
    return min(diff, 24 - diff)


def local_time(timezone: str, now: datetime | None = None) -> str | None:
    """ "14:05" in the given IANA zone, or None when the stored name is not a zone."""
    tz = zone(timezone)
    if tz is None:
        return None
    return as_utc(now or datetime.now(UTC)).astimezone(tz).strftime("%H:%M")


def parse_offset(value: str) -> timedelta | None:
    """A UTC offset from "+02:00", "UTC-5", "GMT+5:30", "UTC", or an IANA zone name."""
    value = value.strip()
    if value.upper() in ("UTC", "GMT", "Z"):
        return timedelta(0)
    match = _OFFSET_RE.match(value)
    if match:
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes >= 60:
            return None
        sign = -1 if match.group(1) == "-" else 1
        return sign * timedelta(hours=hours, minutes=minutes)
    if value in timezone_choices():
        return datetime.now(ZoneInfo(value)).utcoffset()
    return None


def zones_near(offset: timedelta, hours: int, now: datetime | None = None) -> list[str]:
    """IANA zone names whose current UTC offset is within ``hours`` of ``offset``."""
    now = as_utc(now or datetime.now(UTC))
    limit = timedelta(hours=hours)
    return [
        name
        for name in timezone_choices()
        # utcoffset() of an aware datetime is never None.
        if abs((now.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)) - offset) <= limit
    ]
