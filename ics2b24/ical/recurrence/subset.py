"""The RRULEs a Bitrix24 series holds: a rule from the subset (`subset_rule`), or `NotSeries`
naming the part of it a portal would read differently (docs/test-portal.md), so that a
series is written only where the portal provably shows the reference's occurrences."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dateutil import rrule as du  # type: ignore[import-untyped]

from ics2b24.ical import bxrule
from ics2b24.ical.recurrence.plans import NotSeries, Value
from ics2b24.ical.recurrence.values import Shape, calendar_day, utc
from ics2b24.model import WEEKDAYS, Freq, Rrule

_ALLOWED_PARTS = {
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", "BYMONTHDAY", "BYMONTH",
    "BYHOUR", "BYMINUTE", "BYSECOND",
}  # fmt: skip
_SUBSET_FREQS: tuple[Freq, ...] = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def check_zones(start: Value, end: Value, others: list[Any]) -> None:
    """recurring-ical-events reads the whole set in the first zone it meets; only a set that
    agrees with DTSTART on date vs. date-time and floating vs. zoned is analysed."""
    for value in [end, *others]:
        if isinstance(value, tuple):
            raise NotSeries("RDATE periods cannot be held by Bitrix24")
        if not isinstance(start, datetime) and isinstance(value, datetime):
            raise NotSeries("date-time values in an all-day recurrence set")
        if (
            isinstance(start, datetime)
            and start.tzinfo is None
            and isinstance(value, datetime)
            and value.tzinfo is not None
        ):
            raise NotSeries("zoned values in a floating recurrence set")


def subset_rule(parts: dict[str, list[Any]], shape: Shape) -> Rrule:
    """The Bitrix24 rule holding this RRULE, or NotSeries naming what it cannot hold."""
    for key in parts:
        if key not in _ALLOWED_PARTS:
            raise NotSeries(f"{key} cannot be held by Bitrix24")
    freq = str(parts["FREQ"][0]).upper() if parts.get("FREQ") else ""
    if freq not in _SUBSET_FREQS:
        raise NotSeries(f"FREQ={freq or '?'} cannot be held by Bitrix24")
    interval = int(parts.get("INTERVAL", [1])[0])
    count = int(parts["COUNT"][0]) if "COUNT" in parts else None
    if interval < 1 or (count is not None and count < 1):
        raise NotSeries("INTERVAL or COUNT below 1 cannot be held by Bitrix24")
    if count is not None and "UNTIL" in parts:
        raise NotSeries("COUNT together with UNTIL cannot be held by Bitrix24")
    _check_redundant_parts(parts, freq, shape)
    _check_day_exists_every_period(freq, shape.day)
    byday = _byday(parts.get("BYDAY", []), freq)
    own_day = WEEKDAYS[shape.day.weekday()]
    if byday and own_day not in byday:
        # RFC 5545 (and recurring-ical-events) counts DTSTART as an occurrence even where the
        # rule skips its day; a Bitrix24 series starts at `from` yet never leaves its BYDAY days.
        raise NotSeries("a DTSTART on a day the rule skips cannot be held by Bitrix24")
    if freq == "WEEKLY" and not byday:
        # A real portal reads a WEEKLY rule without BYDAY as Monday (docs/test-portal.md,
        # behaviour 5).
        byday = (own_day,)
    draft = Rrule(freq=freq, interval=interval, byday=byday)
    if freq == "WEEKLY":
        _check_weekly_pattern(draft, str(parts.get("WKST", ["MO"])[0]).upper(), shape)
    if "UNTIL" in parts:
        # A real portal reads UNTIL in its own display date format and makes an unreadable one
        # endless (docs/test-portal.md, behaviour 4): a bounded rule is sent as the COUNT UNTIL
        # leaves.
        until = until_day(parts["UNTIL"][0], shape)
        if until < shape.day:
            raise NotSeries("UNTIL before DTSTART leaves no occurrence")
        count = bxrule.count_through(shape.day, draft, until)
    return Rrule(freq=draft.freq, interval=interval, count=count, byday=byday)


def _check_day_exists_every_period(freq: str, first: date) -> None:
    """A real portal puts a day that a month or year lacks on the 1st of the next month, where
    RFC 5545 skips it (docs/test-portal.md, behaviour 6): such a rule is no series."""
    if freq == "MONTHLY" and first.day > 28:
        raise NotSeries(
            f"MONTHLY on day {first.day} cannot be held by Bitrix24 (a portal moves it to the "
            "1st of the next month in months without that day)"
        )
    if freq == "YEARLY" and (first.month, first.day) == (2, 29):
        raise NotSeries(
            "YEARLY on 29 February cannot be held by Bitrix24 (a portal moves it to 1 March "
            "in other years)"
        )


def _check_redundant_parts(parts: dict[str, list[Any]], freq: str, shape: Shape) -> None:
    """BY-parts are accepted only where they repeat what DTSTART already implies."""
    clock = shape.clock
    own_clock = {"BYHOUR": clock.hour, "BYMINUTE": clock.minute, "BYSECOND": clock.second}
    for key, own in own_clock.items():
        if key in parts and [int(v) for v in parts[key]] != [own]:
            raise NotSeries(f"{key} cannot be held by Bitrix24")
    own_day = [shape.day.day]
    if "BYMONTHDAY" in parts and (
        freq not in ("MONTHLY", "YEARLY") or [int(v) for v in parts["BYMONTHDAY"]] != own_day
    ):
        raise NotSeries("BYMONTHDAY other than the start's day cannot be held by Bitrix24")
    if "BYMONTH" in parts and (
        freq != "YEARLY" or [int(v) for v in parts["BYMONTH"]] != [shape.day.month]
    ):
        raise NotSeries("BYMONTH cannot be held by Bitrix24")
    if freq == "YEARLY" and "BYMONTHDAY" in parts and "BYMONTH" not in parts:
        raise NotSeries("BYMONTHDAY in a YEARLY rule repeats every month")


def _byday(values: list[Any], freq: str) -> tuple[str, ...]:
    if not values:
        return ()
    days = [str(v).upper() for v in values]
    if freq != "WEEKLY" or any(day not in WEEKDAYS for day in days):
        raise NotSeries(f"BYDAY={','.join(days)} cannot be held by Bitrix24")
    return tuple(sorted(set(days), key=WEEKDAYS.index))


def _check_weekly_pattern(rule: Rrule, wkst: str, shape: Shape) -> None:
    """Bitrix24 weeks start on Monday; RFC weeks on WKST. Where that could matter (INTERVAL>1,
    WKST not MO, several days) both patterns repeat every INTERVAL weeks, so comparing the first
    two periods after DTSTART (itself one of the BYDAY days) settles all of them."""
    if wkst not in WEEKDAYS:
        raise NotSeries(f"WKST={wkst} cannot be read")
    own_day = WEEKDAYS[shape.day.weekday()]
    if rule.interval == 1 or wkst == "MO" or rule.byday in ((), (own_day,)):
        return
    first = shape.day
    span = timedelta(weeks=2 * rule.interval + 1)
    dtstart = datetime(first.year, first.month, first.day)
    rfc = du.rrule(
        du.WEEKLY,
        dtstart=dtstart,
        interval=rule.interval,
        byweekday=[WEEKDAYS.index(d) for d in rule.byday],
        wkst=WEEKDAYS.index(wkst),
        until=dtstart + span,
    )
    rfc_days = {moment.date() for moment in rfc}
    bx_days = set()
    for day in bxrule.iter_days(first, rule):
        if day > first + span:
            break
        bx_days.add(day)
    if rfc_days != bx_days:
        raise NotSeries(f"WKST={wkst} with INTERVAL>1 and these BYDAY cannot be held by Bitrix24")


def until_day(until: Value, shape: Shape) -> date:
    """UNTIL as the last day with an occurrence at or before it, reading UNTIL the way
    recurring-ical-events does: all-day → its date; floating → wall clock; zoned → UTC (a
    date or a floating UNTIL taken as UTC)."""
    if shape.all_day:
        return calendar_day(until)
    if shape.zone is None:
        limit: datetime = (
            until.replace(tzinfo=None)
            if isinstance(until, datetime)
            else datetime(until.year, until.month, until.day)
        )
        return limit.date() if shape.clock <= limit.time() else limit.date() - timedelta(days=1)
    if not isinstance(until, datetime):
        until = datetime(until.year, until.month, until.day)
    instant = until if until.tzinfo is not None else until.replace(tzinfo=timezone.utc)
    day = instant.astimezone(shape.zone).date()
    if utc(shape.local(day)) > utc(instant):
        day -= timedelta(days=1)
    return day


def check_rdates(rdates: list[Any], shape: Shape, rule: Rrule) -> None:
    """An RDATE that is already an occurrence adds nothing (a set has no duplicates)."""
    for value in rdates:
        if isinstance(value, datetime) and shape.zone is not None:
            value = (
                value.astimezone(shape.zone) if value.tzinfo else value.replace(tzinfo=shape.zone)
            )
        clock = value.time() if isinstance(value, datetime) else time(0)
        if clock != shape.clock or not bxrule.occurs_on(shape.day, rule, calendar_day(value)):
            raise NotSeries("RDATE dates cannot be held by Bitrix24")

