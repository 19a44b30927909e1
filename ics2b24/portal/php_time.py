"""PHP's date and number arithmetic as the portal's recurrence code meets it: `mktime` with its
roll-over, `round` and `%`, and the server timestamps of wall-clock values (the test portal's
server runs on UTC). Both expansions (`recurrence.py`, `recurrence_current.py`) compute with
these, so that their results land where the PHP ones do.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

_UTC = timezone.utc
DAY_SECONDS = 86400


def php_round(value: float) -> float:
    """PHP's `round()` to an integer: halves go away from zero (`round(-0.5)` is -1), unlike
    Python's `round`, which rounds halves to even."""
    magnitude = math.floor(abs(value) + 0.5)
    return float(-magnitude if value < 0 else magnitude)


def php_mod(value: float, divisor: int) -> int:
    """PHP's `%`: both sides cast to integers, the remainder takes the dividend's sign."""
    return int(math.fmod(int(value), divisor))


def naive_ts(value: date | datetime) -> int:
    """A wall-clock value as the portal's `CCalendar::Timestamp` makes it: seconds of that wall
    clock read in the server's zone, which the test portal takes to be UTC (see
    `render.series_to_ts`). All-day values are their midnight."""
    wall = value if isinstance(value, datetime) else datetime.combine(value, time())
    return int(wall.replace(tzinfo=_UTC).timestamp())


def from_naive_ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, _UTC).replace(tzinfo=None)


def mktime(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
            second: int = 0) -> datetime | None:
    """PHP's `mktime` on the server's (UTC) clock: months, days and seconds past their range
    roll over into the next unit; None past year 9999 or before year 1."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    if not 1 <= year <= 9999:
        return None
    try:
        return datetime(year, month, 1) + timedelta(days=day - 1, hours=hour, minutes=minute,
                                                     seconds=second)
    except OverflowError:
        return None


def mktime_date(year: int, month: int, day: int) -> date | None:
    """PHP's `mktime` for a date: months and days past their end roll over."""
    moved = mktime(year, month, day)
    return moved.date() if moved is not None else None
