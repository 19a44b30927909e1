"""The Bitrix24 recurrence model (docs/convert-contract.md), as days: the converter's own
side of the proof.

A Bitrix24 series has at most one occurrence per day, always at the wall-clock time of `from`, so a
series is fully described by the set of days it occurs on. These functions answer questions
about that set in closed form (or by stepping whole periods, never days), so that checking an
EXDATE, a RECURRENCE-ID or a THISANDFUTURE split costs nothing like an expansion.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from ics2b24.model import WEEKDAYS, Rrule


def _weekdays(start: date, rule: Rrule) -> list[int]:
    """BYDAY as sorted weekday numbers; without BYDAY the series keeps the week day of `from`."""
    if not rule.byday:
        return [start.weekday()]
    return sorted({WEEKDAYS.index(day) for day in rule.byday})


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _has_day(year: int, month: int, day: int) -> bool:
    return day <= calendar.monthrange(year, month)[1]


def _month_has_start_day(start: date, month_index: int) -> bool:
    return _has_day(month_index // 12, month_index % 12 + 1, start.day)


def _year_has_start_day(start: date, year: int) -> bool:
    return _has_day(year, start.month, start.day)


def _pattern_matches(start: date, rule: Rrule, day: date) -> bool:
    """Whether the unbounded series (no COUNT, no UNTIL) occurs on `day`."""
    if day < start:
        return False
    if day == start:
        return True
    if rule.freq == "DAILY":
        return (day - start).days % rule.interval == 0
    if rule.freq == "WEEKLY":
        weeks = (_monday(day) - _monday(start)).days // 7
        return weeks % rule.interval == 0 and day.weekday() in _weekdays(start, rule)
    if rule.freq == "MONTHLY":
        months = _month_index(day) - _month_index(start)
        return day.day == start.day and months % rule.interval == 0
    years = day.year - start.year
    return (day.month, day.day) == (start.month, start.day) and years % rule.interval == 0


def count_before(start: date, rule: Rrule, day: date) -> int:
    """How many occurrences of the unbounded series fall on days before `day`."""
    if day <= start:
        return 0
    if rule.freq == "DAILY":
        return -(-(day - start).days // rule.interval)
    if rule.freq == "WEEKLY":
        return _weekly_count_before(start, rule, day)
    if rule.freq == "MONTHLY":
        first, target = _month_index(start), _month_index(day)
        if start.day <= 28:  # every month has the day: count the periods in closed form
            return _periods_before(target - first, rule.interval, start.day < day.day)
        return sum(
            1
            for index in range(first, target + 1, rule.interval)
            if _month_has_start_day(start, index)
            and (index < target or start.day < day.day)
        )
    if (start.month, start.day) != (2, 29):  # every year has the day
        later = (start.month, start.day) < (day.month, day.day)
        return _periods_before(day.year - start.year, rule.interval, later)
    return sum(
        1
        for year in range(start.year, day.year + 1, rule.interval)
        if _year_has_start_day(start, year)
        and (year < day.year or (start.month, start.day) < (day.month, day.day))
    )


def _periods_before(periods: int, interval: int, day_passed: bool) -> int:
    """Occurrences before a day `periods` months (or years) after the start's, where every
    period has the day: one per INTERVAL periods before that one, and that period's own when
    it is an occurrence period and its occurrence comes before the day (`day_passed`)."""
    count = -(-periods // interval)
    if periods % interval == 0 and day_passed:
        count += 1
    return count


def count_through(start: date, rule: Rrule, last: date) -> int:
    """How many occurrences of the unbounded series fall on `last` or before it."""
    return count_before(start, rule, last) + (1 if _pattern_matches(start, rule, last) else 0)


def _first_week(start: date, weekdays: list[int]) -> list[date]:
    """`from`, then the BYDAY days after it in its own week (`from` is itself one of the BYDAY
    days: the planner writes no series whose rule skips its start, which the model cannot hold)."""
    own = start.weekday()
    return [start, *(start + timedelta(days=wd - own) for wd in weekdays if wd > own)]


def _weekly_count_before(start: date, rule: Rrule, day: date) -> int:
    weekdays = _weekdays(start, rule)
    week0 = _monday(start)
    first_week = _first_week(start, weekdays)
    weeks = (_monday(day) - week0).days // 7
    if weeks == 0:
        return sum(1 for d in first_week if d < day)
    count = len(first_week) + ((weeks - 1) // rule.interval) * len(weekdays)
    if weeks % rule.interval == 0:
        count += sum(1 for wd in weekdays if wd < day.weekday())
    return count


def occurs_on(start: date, rule: Rrule, day: date) -> bool:
    """Whether the series, with its COUNT or UNTIL, has an occurrence on `day`."""
    if not _pattern_matches(start, rule, day):
        return False
    if rule.until is not None and day > rule.until:
        return False
    return rule.count is None or count_before(start, rule, day) < rule.count


def iter_days(start: date, rule: Rrule) -> Iterator[date]:
    """The days of the series in order (endless without COUNT or UNTIL: callers bound it)."""
    for emitted, day in enumerate(_pattern_days(start, rule)):
        if rule.until is not None and day > rule.until:
            return
        if rule.count is not None and emitted >= rule.count:
            return
        yield day


def _pattern_days(start: date, rule: Rrule) -> Iterator[date]:
    """The unbounded pattern, stopping quietly at the end of the calendar (year 9999)."""
    yield start
    try:
        if rule.freq == "DAILY":
            day = start
            while True:
                day += timedelta(days=rule.interval)
                yield day
        elif rule.freq == "WEEKLY":
            weekdays = _weekdays(start, rule)
            week = _monday(start)
            while True:
                for wd in weekdays:
                    day = week + timedelta(days=wd)
                    if day > start:
                        yield day
                week += timedelta(weeks=rule.interval)
        elif rule.freq == "MONTHLY":
            index = _month_index(start)
            while True:
                index += rule.interval
                if _month_has_start_day(start, index):
                    yield date(index // 12, index % 12 + 1, start.day)
        else:
            year = start.year
            while True:
                year += rule.interval
                if _year_has_start_day(start, year):
                    yield date(year, start.month, start.day)
    except (OverflowError, ValueError):
        return


def nth_day(start: date, rule: Rrule, n: int) -> date | None:
    """The day of the unbounded pattern's occurrence number `n` (0 = `from`), None past 9999."""
    try:
        if rule.freq == "DAILY":
            return start + timedelta(days=n * rule.interval)
        if rule.freq == "WEEKLY":
            weekdays = _weekdays(start, rule)
            week0 = _monday(start)
            first_week = _first_week(start, weekdays)
            if n < len(first_week):
                return first_week[n]
            rest = n - len(first_week)
            week = week0 + timedelta(weeks=(rest // len(weekdays) + 1) * rule.interval)
            return week + timedelta(days=weekdays[rest % len(weekdays)])
        if rule.freq == "MONTHLY" and start.day <= 28:
            index = _month_index(start) + n * rule.interval
            return date(index // 12, index % 12 + 1, start.day)
        if rule.freq == "YEARLY" and (start.month, start.day) != (2, 29):
            return date(start.year + n * rule.interval, start.month, start.day)
    except (OverflowError, ValueError):
        return None
    for index, day in enumerate(_pattern_days(start, rule)):
        if index == n:
            return day
    return None


def last_day(start: date, rule: Rrule) -> date | None:
    """The day of the last occurrence, or None for a series without end (or past 9999)."""
    if rule.count is None and rule.until is None:
        return None
    total = rule.count
    if rule.until is not None:
        until_count = (
            count_before(start, rule, rule.until + timedelta(days=1))
            if rule.until < date.max
            else None
        )
        if until_count is not None:
            total = until_count if total is None else min(total, until_count)
    if total is None:
        return None
    return nth_day(start, rule, max(total, 1) - 1)
