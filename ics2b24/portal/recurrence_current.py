"""The current generation's (G3) expansion of a stored rule: CCalendarEvent::ParseRecursion
(calendar_event.php) walks from an estimate of the occurrence nearest the view's start
(`closest_repetition_ts`), and a COUNT series ends where `until_for_count` estimates, not at
its COUNT-th occurrence (docs/test-portal.md, behaviour 18). Generation 1's walk, which this
one reuses from its new start, is `recurrence.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from ics2b24.portal.php_time import (
    DAY_SECONDS,
    from_naive_ts,
    mktime,
    mktime_date,
    naive_ts,
    php_mod,
    php_round,
)
from ics2b24.portal.recurrence import monthly_date
from ics2b24.portal.rrule_terms import WEEKDAYS, before_bound
from ics2b24.portal.stored_rule import BitrixRule
from ics2b24.portal.wire import php_int, php_string


def freq_duration(freq: str) -> int:
    """CCalendarEvent::getFreqDuration (calendar_event.php): the seconds the estimates take
    for one step: a day for DAILY and WEEKLY, 30 days for MONTHLY, 365 days for YEARLY."""
    if freq in ("DAILY", "WEEKLY"):
        return DAY_SECONDS
    if freq == "MONTHLY":
        return 30 * DAY_SECONDS
    if freq == "YEARLY":
        return 365 * DAY_SECONDS
    return 0


def until_for_count(freq: str, interval: int, count: int, days: int,
                    first: date | datetime, last: date | datetime, offset: int = 0) -> int:
    """CCalendarEvent::calculateUntilForCountRRule (calendar_event.php): where a COUNT series
    is taken to end, as a server timestamp, for a series whose first occurrence runs from
    `first` to `last`, both moved by `offset` seconds.

    The end of the first occurrence (its minutes, seconds dropped) is moved by COUNT×INTERVAL
    days (DAILY), months (MONTHLY) or years (YEARLY), with `mktime`'s roll-over. WEEKLY does not
    walk the week days: it adds round((COUNT−1)/`days`·7·INTERVAL) days, `days` being the
    number of BYDAY days, and the occurrence's length once more; no BYDAY days gives 0.
    """
    start_ts, end_ts = naive_ts(first) + offset, naive_ts(last) + offset
    length = end_ts - start_ts
    end = from_naive_ts(end_ts)
    steps = count * interval
    moved: datetime | None
    if freq == "DAILY":
        moved = mktime(end.year, end.month, end.day + steps, end.hour, end.minute)
    elif freq == "MONTHLY":
        moved = mktime(end.year, end.month + steps, end.day, end.hour, end.minute)
    elif freq == "YEARLY":
        moved = mktime(end.year + steps, end.month, end.day, end.hour, end.minute)
    elif freq == "WEEKLY":
        if days <= 0:
            return 0
        shift = int(php_round((count - 1) / days * 7 * interval))
        moved = mktime(end.year, end.month, end.day + shift, end.hour, end.minute, length)
    else:
        return 0
    return naive_ts(moved) if moved is not None else naive_ts(datetime(9999, 12, 31))


def stored_count_end(stored: Mapping[str, Any], first: date | datetime,
                     last: date | datetime) -> int | None:
    """DATE_TO_TS_UTC that CCalendarEvent::checkRecurringRuleField (calendar_event.php) stores
    for a COUNT rule on the current generation: `calculateUntilForCountRRule` of the rule being
    saved (a WEEKLY rule saved without BYDAY has no days, so 0); None for a rule without COUNT,
    whose DATE_TO_TS_UTC stays UNTIL plus a day (`render.series_to_ts`)."""
    if stored.get("COUNT") is None:
        return None
    freq = str(stored.get("FREQ"))
    raw = stored.get("BYDAY")
    days = len([d for d in php_string(raw).split(",") if d]) if raw is not None else 0
    return until_for_count(freq, max(php_int(stored.get("INTERVAL")), 1),
                           php_int(stored["COUNT"]), days, first, last)


def closest_repetition_ts(limit_from_ts: int, ev_from_ts: int, rule: BitrixRule) -> int:
    """CCalendarEvent::getClosestRepetitionTs (calendar_event.php): the start ParseRecursion
    walks from when the view window starts at `limit_from_ts`, estimated from the series start
    `ev_from_ts` (both server timestamps).

    DAILY, MONTHLY and YEARLY round the distance in days, 30-day months or 365-day years, take
    off its remainder modulo INTERVAL (PHP's `%`, sign of the distance) and move the start by
    that many days, months or years (`mktime`). WEEKLY rounds the distance in days `d`, takes
    `count = round(d/(n·7·INTERVAL) + 1)` for n BYDAY days and moves the start by
    round((count−1)/n·7·INTERVAL) days, which need not be a day of the rule nor a week of the
    series. The result keeps the start's time of day.
    """
    start = from_naive_ts(ev_from_ts)
    hour, minute, second = start.hour, start.minute, start.second
    distance = php_round((limit_from_ts - ev_from_ts) / freq_duration(rule.freq))
    moved: datetime | None
    if rule.freq == "WEEKLY":
        days = len(rule.byday)
        count = php_round(distance / (days * 7 * rule.interval) + 1)
        shift = int(php_round((count - 1) / days * 7 * rule.interval))
        moved = mktime(start.year, start.month, start.day + shift, hour, minute, second)
    else:
        steps = int(distance) - php_mod(distance, rule.interval)
        if rule.freq == "DAILY":
            moved = mktime(start.year, start.month, start.day + steps, hour, minute, second)
        elif rule.freq == "MONTHLY":
            moved = mktime(start.year, start.month + steps, start.day, hour, minute, second)
        else:
            moved = mktime(start.year + steps, start.month, start.day, hour, minute, second)
    return naive_ts(moved) if moved is not None else ev_from_ts


def parse_recursion_current(
    first: date | datetime,
    last: date | datetime,
    rule: BitrixRule,
    *,
    timezone: str | None,
    from_ts_utc: int,
    offset_from: int,
    length: int,
    window_start: date | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[tuple[int, date | datetime]]:
    """(RINDEX, start) of each occurrence as the current CCalendarEvent::ParseRecursion
    (calendar_event.php) produces them, strictly before `before`.

    The window's first day (`window_start`; None: CCalendar::GetMinDate, before any series)
    is read as a server timestamp, moved by the series' TZ_OFFSET_FROM (`offset_from`) and
    raised to DATE_FROM_TS_UTC (`from_ts_utc`) when earlier. The walk starts at
    `closest_repetition_ts` of that limit. A COUNT rule ends at `calculateUntilForCountRRule`
    (`until_for_count`): no start after it is shown. For COUNT-bounded DAILY/MONTHLY/YEARLY a
    `countOffset` is the whole number of steps (INTERVAL×getFreqDuration, truncated) between
    that end estimated from the walk's start and the last occurrence's start (the end less
    `length`, DT_LENGTH, for timed events); the walk stops when the occurrences it counted
    plus countOffset reach COUNT. RINDEX is that sum, or for the very first start 1 when it
    lies more than a day after the series start, else 0. The walk itself is the old one
    (`parse_recursion`) from the new start: WEEKLY day by day with the INTERVAL jump after each
    Sunday, MONTHLY months added to the walk's first start's month with the 29–31 roll-over,
    YEARLY `mktime` of that start's month and day. A start more than a day before the series
    start ends the walk.
    """
    excluded = frozenset(exdates)
    is_before = before_bound(before, timezone)
    ev_from = naive_ts(first)
    limit_from = naive_ts(window_start) if window_start is not None else naive_ts(date(1970, 1, 1))
    cursor = closest_repetition_ts(max(limit_from + offset_from, from_ts_utc), ev_from, rule)
    limit_to, count_offset = _count_limits(first, last, rule, length, cursor)
    walk_first = from_naive_ts(cursor)
    current: datetime | None = walk_first
    real = 0
    while current is not None:
        current_ts = naive_ts(current)
        if _walk_ended(rule, real + count_offset, current_ts, limit_to, ev_from):
            return
        day = current.date()
        start: date | datetime = current if isinstance(first, datetime) else day
        if day > rule.until or not is_before(start):
            return
        if real > 0 or count_offset > 0:
            rindex = real + count_offset
        else:
            rindex = 1 if (current_ts - ev_from) / DAY_SECONDS > 1 else 0
        if rule.freq != "WEEKLY" or rule.byday.get(WEEKDAYS[day.weekday()]):
            real += 1
            if day not in excluded:
                yield rindex, start
        current = _next_walk_start(rule, day, walk_first, real)


def _walk_ended(rule: BitrixRule, counted: int, current_ts: int, limit_to: int | None,
                ev_from: int) -> bool:
    """Whether the walk stops before the start at `current_ts`: COUNT reached by the `counted`
    occurrences (countOffset included), past the COUNT end estimate `limit_to`, or more than a
    day before the series start `ev_from`."""
    if rule.count is not None and counted >= rule.count:
        return True
    if limit_to is not None and current_ts > limit_to:
        return True
    return current_ts < ev_from - DAY_SECONDS


def _count_limits(first: date | datetime, last: date | datetime, rule: BitrixRule,
                  length: int, cursor: int) -> tuple[int | None, int]:
    """The last start a COUNT rule shows (None: no COUNT) and the countOffset of a walk
    starting at `cursor`: see `parse_recursion_current`."""
    if rule.count is None:
        return None, 0
    days = len(rule.byday)
    limit_to = until_for_count(rule.freq, rule.interval, rule.count, days, first, last)
    if rule.freq == "WEEKLY":
        return limit_to, 0
    last_start = limit_to if not isinstance(first, datetime) else limit_to - length
    estimate = until_for_count(rule.freq, rule.interval, rule.count, days, first, last,
                               cursor - naive_ts(first))
    step = freq_duration(rule.freq) * rule.interval
    return limit_to, int((estimate - last_start) / step)


def _next_walk_start(rule: BitrixRule, day: date, walk_first: datetime,
                     real: int) -> datetime | None:
    """The walk's next start after `day` (`real` occurrences counted so far), at the walk's
    first start's time of day: WEEKLY day by day with the INTERVAL jump after each Sunday."""
    clock = walk_first.time()
    if rule.freq == "WEEKLY":
        step_days = (rule.interval - 1) * 7 + 1 if WEEKDAYS[day.weekday()] == "SU" else 1
        return mktime(day.year, day.month, day.day + step_days, clock.hour, clock.minute,
                       clock.second)
    if rule.freq == "DAILY":
        return mktime(day.year, day.month, day.day + rule.interval, clock.hour,
                       clock.minute, clock.second)
    if rule.freq == "MONTHLY":
        return _at_clock(monthly_date(walk_first.date(), real * rule.interval), clock)
    return _at_clock(mktime_date(day.year + rule.interval, walk_first.month,
                                  walk_first.day), clock)


def _at_clock(day: date | None, clock: time) -> datetime | None:
    return datetime.combine(day, clock) if day is not None else None
