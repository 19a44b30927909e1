"""The portal's own expansion of a stored rule as generation 1 (and the older code the current
one keeps) does it, following Bitrix24's PHP source where it differs from
docs/convert-contract.md and RFC 5545: MONTHLY 29–31 and 29 February rolled over to the 1st,
COUNT for a `next` split computed by day arithmetic (`count_past_events`). The current
generation's walk is `recurrence_current.py`; the rule itself `stored_rule.py`.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ics2b24.portal.php_time import mktime_date
from ics2b24.portal.refusals import PortalFault
from ics2b24.portal.rrule_terms import WEEKDAYS, before_bound, day_of
from ics2b24.portal.stored_rule import BitrixRule
from ics2b24.portal.wire import php_int, php_string


def parse_recursion(
    first: date | datetime,
    rule: BitrixRule,
    *,
    timezone: str | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[tuple[int, date | datetime]]:
    """(RINDEX, start) of each occurrence, as CCalendarEvent::ParseRecursion
    (calendar_event.php) produces them, strictly before `before`.

    WEEKLY walks day by day from the start and takes the days in BYDAY (the start itself only
    when its weekday is one of them), jumping INTERVAL-1 weeks after each Sunday. MONTHLY adds
    RINDEX×INTERVAL months to the start's month; a start on the 29th–31st lands on the 1st of the
    following month when the month is shorter. YEARLY is `mktime` on the start's month and day,
    so 29 February becomes 1 March in other years. RINDEX counts excluded days too, so does
    COUNT; the last start is on or before UNTIL.
    """
    excluded = frozenset(exdates)
    is_before = before_bound(before, timezone)
    origin = day_of(first)
    clock = first.time() if isinstance(first, datetime) else None
    current = origin
    index = 0
    while True:
        if rule.count is not None and index >= rule.count:
            return
        if current > rule.until:
            return
        start: date | datetime = datetime.combine(current, clock) if clock else current
        if not is_before(start):
            return
        if rule.freq == "WEEKLY":
            weekday = WEEKDAYS[current.weekday()]
            if rule.byday.get(weekday):
                if current not in excluded:
                    yield index, start
                index += 1
            step = (rule.interval - 1) * 7 + 1 if weekday == "SU" else 1
            nxt: date | None = _plus_days(current, step)
        else:
            if current not in excluded:
                yield index, start
            index += 1
            if rule.freq == "DAILY":
                nxt = _plus_days(current, rule.interval)
            elif rule.freq == "MONTHLY":
                nxt = monthly_date(origin, index * rule.interval)
            else:
                nxt = mktime_date(current.year + rule.interval, origin.month, origin.day)
        if nxt is None:
            return
        current = nxt


def _plus_days(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def monthly_date(origin: date, months: int) -> date | None:
    """`origin`'s day `months` months on; a 29th–31st the month lacks is the next month's 1st
    (ParseRecursion's MONTHLY, which `recurrence_current.py` walks as well)."""
    total = origin.month - 1 + months
    year, month = origin.year + total // 12, total % 12 + 1
    if year > 9999:
        return None
    if origin.day > 28 and origin.day > _calendar.monthrange(year, month)[1]:
        return mktime_date(year, month + 1, 1)
    return date(year, month, origin.day)


def count_past_events(rule: Mapping[str, Any], series_start: date | datetime,
                      new_start: date | datetime) -> float:
    """CCalendar::CountPastEvents (calendar.php), which CountNumberFollowEvents subtracts from
    the COUNT of a `next` split: DAILY whole days / INTERVAL; WEEKLY the days from the series'
    start up to the split whose weekday is in BYDAY (INTERVAL ignored); MONTHLY the months part
    of the difference (years dropped) / INTERVAL; YEARLY the years / INTERVAL.

    Raises PortalFault where PHP fails: a rule without INTERVAL (division by zero) or a WEEKLY
    rule whose BYDAY is not an array (`in_array` on a string)."""
    first, split = day_of(series_start), day_of(new_start)
    days = (split - first).days
    freq = rule.get("FREQ")
    interval = php_int(rule.get("INTERVAL"))
    if freq == "WEEKLY":
        byday = rule.get("BYDAY")
        if days <= 0:
            return 0
        if isinstance(byday, Mapping):
            wanted = [php_string(v) for v in byday.values()]
        elif isinstance(byday, (list, tuple)):
            wanted = [php_string(v) for v in byday]
        else:
            raise PortalFault("in_array(): Argument #2 ($haystack) must be of type array")
        return sum(1 for i in range(days)
                   if WEEKDAYS[(first + timedelta(days=i)).weekday()] in wanted)
    if freq not in ("DAILY", "MONTHLY", "YEARLY"):
        return 0
    if interval == 0:
        raise PortalFault("Division by zero")
    months = (split.year - first.year) * 12 + split.month - first.month
    if split.day < first.day:
        months -= 1
    if freq == "DAILY":
        return days / interval
    if freq == "MONTHLY":
        return (months % 12) / interval
    return (months // 12) / interval
