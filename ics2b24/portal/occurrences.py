"""Which occurrences of a stored event fall in a window or on a day: the expansion as
`calendar.event.get` lists it and as a series edit finds the occurrence it was asked about,
over the two generations' walks (`recurrence.py`, `recurrence_current.py`). Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ics2b24.portal import dates, php_time, recurrence, recurrence_current, stored_rule
from ics2b24.portal.dates import day_of
from ics2b24.portal.params import empty
from ics2b24.portal.render import event_end, event_length, wall


def asked_window(p: Mapping[str, Any], tz: Any) -> tuple[date, date]:
    """`from`/`to` of calendar.event.get; unreadable values count as not given, as the
    portal's own date parser answers them."""
    today = datetime.now(tz).date()
    first, last = _day_or_none(p.get("from")), _day_or_none(p.get("to"))
    if first is None and last is None:
        return today - timedelta(days=30), today + timedelta(days=90)
    return first or date(1970, 1, 1), last or date(2038, 1, 1)


def _day_or_none(value: Any) -> date | None:
    if empty(value):
        return None
    try:
        return dates.parse_day(value)
    except ValueError:
        return None


def starts(event: Mapping[str, Any], before_ts: int, *, current: bool,
           window_start: date | None) -> Iterator[tuple[int | None, date | datetime]]:
    """(RINDEX, start) of every occurrence up to the window's end; (None, start) for an event
    without rule (CCalendarEvent::HandleEvent adds no RINDEX). The current generation starts
    from the window's first day (`recurrence_current.parse_recursion_current`), generation 1 walks
    from the series start (`recurrence.parse_recursion`)."""
    first = wall(event["from"])
    rule = stored_rule.read_rule(event["rrule"]) if event.get("rrule") else None
    if rule is None:
        yield None, first
        return
    limit = datetime.fromtimestamp(before_ts, timezone.utc)
    yield from _expanded(event, rule, limit, current=current, window_start=window_start)


def _expanded(event: Mapping[str, Any], rule: stored_rule.BitrixRule, before: date | datetime,
              *, current: bool, window_start: date | None
              ) -> Iterator[tuple[int, date | datetime]]:
    first = wall(event["from"])
    exdates = [date.fromisoformat(d) for d in event.get("exdate", [])]
    if not current:
        yield from recurrence.parse_recursion(first, rule, timezone=event["tz_from"],
                                              exdates=exdates, before=before)
        return
    # CCalendarEvent::CheckFields: an all-day event keeps no zone, so its TZ_OFFSET_FROM is 0
    # and DATE_FROM_TS_UTC is the server timestamp of its day.
    if isinstance(first, datetime):
        tz_from = dates.zone(event["tz_from"])
        offset, from_ts = dates.offset_seconds(first, tz_from), dates.timestamp(first, tz_from)
    else:
        offset, from_ts = 0, php_time.naive_ts(first)
    yield from recurrence_current.parse_recursion_current(
        first, wall(event["to"]), rule, timezone=event["tz_from"], from_ts_utc=from_ts,
        offset_from=offset, length=event_length(event), window_start=window_start,
        exdates=exdates, before=before)


def overlaps(event: Mapping[str, Any], start: date | datetime, begin: int, end: int) -> bool:
    tz_from, tz_to = dates.zone(event["tz_from"]), dates.zone(event["tz_to"])
    start_ts = dates.timestamp(start, tz_from)
    last = event_end(event, start)
    end_ts = (dates.timestamp(last, tz_to) if isinstance(last, datetime)
              else dates.day_end(last, tz_to))
    return start_ts < end and (end_ts > begin or start_ts >= begin)


def occurrence_on(event: Mapping[str, Any], day: date, *,
                  current: bool) -> date | datetime | None:
    """The series' start on `day`, if the series has one there (excluded days have none):
    the expansion with a window that starts before the series, so from its first start."""
    rule = stored_rule.read_rule(event["rrule"])
    if rule is None:
        return None
    for _, start in _expanded(event, rule, day + timedelta(days=1), current=current,
                              window_start=None):
        if day_of(start) == day:
            return start
    return None


def at_series_time(event: Mapping[str, Any], day: date) -> date | datetime:
    first = wall(event["from"])
    return datetime.combine(day, first.time()) if isinstance(first, datetime) else day
