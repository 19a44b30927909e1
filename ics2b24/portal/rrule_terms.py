"""What the test portal's two readings of a `rrule` share: the frequency and week-day names,
and the comparison of an occurrence's start with the end of a view (`before_bound`).

Occurrences are naive wall-clock values: a series keeps the wall-clock time of its start across
DST changes, so the arithmetic is done on wall-clock values and a time zone is only needed to
compare against an absolute (aware) bound.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UTC = timezone.utc


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def before_bound(before: date | datetime,
                 tz_name: str | None) -> Callable[[date | datetime], bool]:
    """A predicate `start < before` that compares like with like: wall-clock with wall-clock,
    or absolute instants when `before` is aware (then the series' zone places each start)."""
    if isinstance(before, datetime) and before.tzinfo is not None:
        zone = ZoneInfo(tz_name) if tz_name else _UTC

        def aware_before(start: date | datetime) -> bool:
            wall = start if isinstance(start, datetime) else datetime.combine(start, time())
            return wall.replace(tzinfo=zone) < before

        return aware_before
    limit = before if isinstance(before, datetime) else datetime.combine(before, time())

    def naive_before(start: date | datetime) -> bool:
        wall = start if isinstance(start, datetime) else datetime.combine(start, time())
        return wall < limit

    return naive_before
