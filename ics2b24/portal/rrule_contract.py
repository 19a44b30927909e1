"""Recurrence as docs/convert-contract.md models it, written from that description alone.

`parse_rule`/`expand` stand apart from the converter's proof in `ics2b24.ical`: two
implementations that must agree are a test of both, so this module must never import the
converter. The converter's tests use them; what the portal itself does with a `rrule` (the
Bitrix24 source) is `stored_rule.py`, `recurrence.py` and `recurrence_current.py`.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ics2b24.portal.rrule_terms import FREQS, WEEKDAYS, before_bound, day_of


@dataclass(frozen=True)
class Rule:
    """A REST `rrule` read once, so that generation does not re-parse loosely typed input."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | None = None
    byday: tuple[int, ...] = ()


def parse_rule(rrule: Mapping[str, Any]) -> Rule:
    """Read the REST form, which arrives typed from JSON or as strings from form/query input.

    Raises ValueError with a sentence naming the bad key, for the caller to turn into the
    portal's error.
    """
    freq = str(rrule.get("FREQ") or "").strip().upper()
    if freq not in FREQS:
        raise ValueError(f"FREQ must be one of {', '.join(FREQS)}")
    interval = _positive_int(rrule.get("INTERVAL"), "INTERVAL", default=1)
    count = _positive_int(rrule.get("COUNT"), "COUNT", default=None)
    return Rule(
        freq=freq,
        interval=interval if interval is not None else 1,
        count=count,
        until=_until(rrule.get("UNTIL")),
        byday=_byday(rrule.get("BYDAY")),
    )


def _positive_int(value: Any, key: str, *, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a positive integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a positive integer") from None
    if number < 1:
        raise ValueError(f"{key} must be a positive integer")
    return number


def _until(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError("UNTIL must be a date YYYY-MM-DD") from None


def _byday(value: Any) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, Mapping):
        items = value.values()
    elif isinstance(value, Iterable):
        items = value
    else:
        raise ValueError("BYDAY must be a list of week days MO..SU")
    days: set[int] = set()
    for item in items:
        name = str(item).strip().upper()
        if name not in WEEKDAYS:
            raise ValueError("BYDAY must be a list of week days MO..SU")
        days.add(WEEKDAYS.index(name))
    return tuple(sorted(days))


def expand(
    date_from: date | datetime,
    rrule: Mapping[str, Any],
    *,
    timezone: str | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[date | datetime]:
    """Occurrence starts of a series, ascending, same type as `date_from`, strictly before
    `before`.

    COUNT counts from `date_from` (included) and EXDATE days still count towards it: RFC 5545
    removes excluded instances from the set, it does not extend it. Endless rules are produced
    lazily, so a caller may stop wherever it wants.
    """
    rule = parse_rule(rrule)
    excluded = frozenset(exdates)
    is_before = before_bound(before, timezone)
    return _filtered(_candidates(date_from, rule), rule, excluded, is_before)


def _filtered(
    candidates: Iterator[date | datetime],
    rule: Rule,
    excluded: frozenset[date],
    is_before: Callable[[date | datetime], bool],
) -> Iterator[date | datetime]:
    for produced, start in enumerate(candidates, start=1):
        day = day_of(start)
        if rule.until is not None and day > rule.until:
            return
        if not is_before(start):
            return
        if day not in excluded:
            yield start
        if rule.count is not None and produced >= rule.count:
            return


def _candidates(start: date | datetime, rule: Rule) -> Iterator[date | datetime]:
    """Every start the rule yields, ignoring COUNT/UNTIL/EXDATE; stops only at year 9999."""
    try:
        if rule.freq == "DAILY":
            step = timedelta(days=rule.interval)
            current = start
            while True:
                yield current
                current = current + step
        elif rule.freq == "WEEKLY":
            days = rule.byday or (start.weekday(),)
            monday = start - timedelta(days=start.weekday())
            week = 0
            while True:
                base = monday + timedelta(weeks=week * rule.interval)
                for weekday in days:
                    candidate = base + timedelta(days=weekday)
                    if candidate >= start:
                        yield candidate
                week += 1
        elif rule.freq == "MONTHLY":
            step_index = 0
            while True:
                months = start.month - 1 + step_index * rule.interval
                year, month = start.year + months // 12, months % 12 + 1
                if year > 9999:
                    return
                if start.day <= _calendar.monthrange(year, month)[1]:
                    yield start.replace(year=year, month=month)
                step_index += 1
        else:
            year = start.year
            while year <= 9999:
                if start.day <= _calendar.monthrange(year, start.month)[1]:
                    yield start.replace(year=year)
                year += rule.interval
    except OverflowError:
        return
