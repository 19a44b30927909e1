"""Dates as a Bitrix24 portal reads and writes them.

A portal answers in its *display* format (US locale: `12/11/2024 05:59:00 pm`, all-day values
`12/11/2024`) in the event's own zone, next to UTC timestamps; it reads ISO 8601 with or
without an offset, its own display format, and Unix timestamps. Everything here is pure: values
in, values out; stored values are naive wall-clock times plus a zone name.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DISPLAY = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([aApP][mM])?)?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def zone(name: str) -> ZoneInfo:
    """The zone called `name`; ValueError for a name that is not an IANA zone."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def display_date(value: date) -> str:
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def display_datetime(value: datetime) -> str:
    """`m/d/Y h:i:s a` as the portal writes it, e.g. `12/11/2024 05:59:00 pm`."""
    hour = value.hour % 12 or 12
    half = "am" if value.hour < 12 else "pm"
    return f"{display_date(value.date())} {hour:02d}:{value.minute:02d}:{value.second:02d} {half}"


def display(value: date | datetime) -> str:
    return display_datetime(value) if isinstance(value, datetime) else display_date(value)


def formatted(value: date | datetime) -> str:
    """The `DATE_FROM_FORMATTED` form, e.g. `Wed Dec 11 2024 17:59:00`."""
    wall = value if isinstance(value, datetime) else datetime.combine(value, time())
    return wall.strftime("%a %b %d %Y %H:%M:%S")


def parse(value: object, *, tz: ZoneInfo) -> date | datetime:
    """Read a date or date-time a client sent; values with an offset are moved into `tz`.

    Raises ValueError for anything else, for the caller to turn into the method's error.
    """
    if isinstance(value, datetime):
        return _wall(value, tz)
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"not a date: {value!r}")
    text = str(value).strip()
    if _ISO_DATE.match(text):
        return date.fromisoformat(text)
    shown = _DISPLAY.match(text)
    if shown:
        return _from_display(shown)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    return _wall(parsed, tz)


_PHP_DATE_TOKENS = re.compile(r"[^:\\/\s.,0-9-]+|[^:\\/\s.,a-z-]+", re.IGNORECASE)
SHORT_FORMAT = ("MM", "DD", "YYYY")
"""The portal's short display format `MM/DD/YYYY`, as positions (see `display_date`)."""


def short_date(value: object) -> date | None:
    """A date as the portal's `MakeTimeStamp($value, FORMAT_DATE)` reads it, or None where that
    answers false.

    ParseDateTime + MakeTimeStamp (main/tools.php, called by CCalendar::Timestamp in
    modules/calendar/classes/general/calendar.php): the value is cut into runs of letters and runs
    of digits, and the runs are taken *by position* as the short format's MM, DD and YYYY; the
    result must pass `checkdate`. So `06/30/2024` and `6/30/2024 10:00` read, while ISO
    `2024-06-30` reads as month 2024 and fails. Two-digit years map as PHP's `mktime` maps them.
    """
    if value is None or isinstance(value, (bool, list, tuple, dict)):
        return None
    text = value if isinstance(value, str) else str(value)
    tokens = _PHP_DATE_TOKENS.findall(text)
    parts: dict[str, int] = {}
    for name, token in zip(SHORT_FORMAT, tokens, strict=False):
        parts[name] = int(token) if token.isdigit() else 0
    month, day, year = parts.get("MM", 0), parts.get("DD", 0), parts.get("YYYY", 0)
    if not 1 <= year <= 32767:
        return None
    if year <= 69:
        year += 2000
    elif year <= 100:
        year += 1900
    if year > 9999:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_day(value: object) -> date:
    """The calendar day of a date, date-time or display value (no zone conversion)."""
    parsed = parse(value, tz=ZoneInfo("UTC"))
    return parsed.date() if isinstance(parsed, datetime) else parsed


def from_timestamp(value: object, tz: ZoneInfo) -> datetime:
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    return datetime.fromtimestamp(seconds, tz).replace(tzinfo=None)


def instant(wall: date | datetime, tz: ZoneInfo) -> datetime:
    """The aware instant of a wall-clock value (a date means its midnight)."""
    full = wall if isinstance(wall, datetime) else datetime.combine(wall, time())
    return full.replace(tzinfo=tz)


def timestamp(wall: date | datetime, tz: ZoneInfo) -> int:
    return int(instant(wall, tz).timestamp())


def day_end(day: date, tz: ZoneInfo) -> int:
    """The timestamp of the midnight that ends `day` in `tz`. The last day a date can hold
    (9999-12-31) has no next day: it ends 24 hours after it starts."""
    try:
        return timestamp(day + timedelta(days=1), tz)
    except OverflowError:
        return timestamp(day, tz) + 86400


def offset_seconds(wall: date | datetime, tz: ZoneInfo) -> int:
    delta = instant(wall, tz).utcoffset() or timedelta(0)
    return int(delta.total_seconds())


def utc_stamp(wall: date | datetime, tz: ZoneInfo) -> str:
    """`YYYYMMDDTHHMMSSZ`, the head of a portal-made DAV_XML_ID."""
    return instant(wall, tz).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def day_of(value: date | datetime) -> date:
    """The day of a date or a time."""
    return value.date() if isinstance(value, datetime) else value


def as_datetime(value: date | datetime) -> datetime:
    """A date as its midnight; a time as it is."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _wall(value: datetime, tz: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(tz).replace(tzinfo=None)


def _from_display(match: re.Match[str]) -> date | datetime:
    month, day, year, hour, minute, second, half = match.groups()
    day_value = date(int(year), int(month), int(day))
    if hour is None:
        return day_value
    hours = int(hour)
    if half:
        if not 1 <= hours <= 12:
            raise ValueError("hour out of range")
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    return datetime.combine(day_value, time(hours, int(minute), int(second or 0)))
