"""What the recurrence tests share: plans of a calendar (a file of calendars/recurrence or a
VEVENT body), the starts the reference (recurring-ical-events) and the recurrence model give
for them, and the outline of a plan that the tables of test_recurrence.py state."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from ics2b24.ical import bxrule
from ics2b24.ical.fields import is_cancelled
from ics2b24.ical.recurrence import (
    OccurrencesPlan,
    RecurrenceContext,
    SeriesPlan,
    plan_recurrence,
)
from ics2b24.model import WEEKDAYS, Rrule

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HORIZON = date(2027, 1, 1)
CALENDARS = Path(__file__).parent / "calendars" / "recurrence"


def ctx(
    horizon: date = HORIZON, cap: int = 10_000, since: date | None = None
) -> RecurrenceContext:
    return RecurrenceContext(
        floating_zone=BERLIN, horizon_end=horizon, max_occurrences=cap, since=since
    )


def calendar(body: str) -> icalendar.Calendar:
    return parse("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + body.strip()
                 + "\nEND:VCALENDAR\n")


def read(name: str) -> icalendar.Calendar:
    """A calendar of calendars/recurrence by its file name."""
    return parse((CALENDARS / name).read_text(encoding="utf-8"))


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text.replace("\r\n", "\n").replace("\n", "\r\n"))


def split(cal: icalendar.Calendar) -> tuple[Any, list[Any]]:
    events = cal.walk("VEVENT")
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    return master, [e for e in events if "RECURRENCE-ID" in e]


def plan(source: str | icalendar.Calendar, context: RecurrenceContext | None = None) -> Any:
    """The plan of a VEVENT body (or of a whole calendar)."""
    cal = source if isinstance(source, icalendar.Calendar) else calendar(source)
    master, overrides = split(cal)
    return plan_recurrence(master, overrides, context or ctx())


# --- the two sides of every comparison ---------------------------------------------------------


def as_instant(value: date | datetime) -> date | datetime:
    """Comparable form: all-day stays a date, floating is read in BERLIN, zoned goes to UTC."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    return value.astimezone(timezone.utc)


def reference_starts(
    source: str | icalendar.Calendar, horizon: date = HORIZON
) -> list[date | datetime]:
    """recurring-ical-events' occurrences of a VEVENT body (or a whole calendar) that start
    before the horizon in the event's zone, cancelled ones left out (they must not exist)."""
    cal = source if isinstance(source, icalendar.Calendar) else calendar(source)
    master, _ = split(cal)
    zone = getattr(master["DTSTART"].dt, "tzinfo", None)
    limit = datetime.combine(horizon, datetime.min.time(), tzinfo=zone)
    starts = []
    for event in recurring_ical_events.of(cal).between(date(1990, 1, 1), horizon):
        if is_cancelled(event):
            continue
        start = event["DTSTART"].dt
        if isinstance(start, datetime):
            if (start.replace(tzinfo=zone) if start.tzinfo is None else start) >= limit:
                continue
        elif start >= horizon:
            continue
        starts.append(as_instant(start))
    return sorted(starts, key=sort_key)


def sort_key(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=BERLIN).astimezone(timezone.utc)


def bx_days(first: date, rule: Rrule, until: date) -> list[date]:
    """The recurrence model day by day: `from` first, then the days the frequency allows, COUNT
    counting from `from`, UNTIL inclusive; WEEKLY never on a day outside BYDAY (not even `from`)."""
    weekdays = [WEEKDAYS.index(d) for d in rule.byday] or [first.weekday()]
    monday = first - timedelta(days=first.weekday())
    days: list[date] = []
    day = first
    while day < until:
        if rule.count is not None and len(days) == rule.count:
            break
        if rule.until is not None and day > rule.until:
            break
        if rule.freq == "WEEKLY":
            weeks = (day - timedelta(days=day.weekday()) - monday).days // 7
            hit = weeks % rule.interval == 0 and day.weekday() in weekdays
        elif day == first:
            hit = True
        elif rule.freq == "DAILY":
            hit = (day - first).days % rule.interval == 0
        elif rule.freq == "MONTHLY":
            months = (day.year - first.year) * 12 + day.month - first.month
            hit = day.day == first.day and months % rule.interval == 0
        else:
            hit = (day.month, day.day) == (first.month, first.day) and (
                day.year - first.year
            ) % rule.interval == 0
        if hit:
            days.append(day)
        day += timedelta(days=1)
    return days


def at(day: date, start: date | datetime) -> date | datetime:
    if not isinstance(start, datetime):
        return day
    return datetime.combine(day, start.time(), tzinfo=start.tzinfo)


def series_starts(series: SeriesPlan, horizon: date = HORIZON) -> list[date | datetime]:
    """What the portal shows for a series plan: each part's days (none of them a skipped
    day, none generated by two parts), each override at its own start in place of its
    occurrence in the part that generates it, and the standalone overrides as events of
    their own."""
    parts = sorted(series.parts, key=lambda p: sort_key(p.start))
    for part in parts:
        counted = replace(part.rrule, until=None)
        assert part.rrule.until == bxrule.last_day(date_of(part.start), counted), (
            "a bounded part names the last day its COUNT leaves")
    assert [p.recurrence_id is None for p in parts][:1] in ([], [True])
    days_of: list[list[date]] = []
    for part in parts:
        days = bx_days(date_of(part.start), part.rrule, horizon + timedelta(days=1))
        assert not set(days) & set(series.skipped), "a part generates a skipped day"
        days_of.append(days)
    all_days = [day for days in days_of for day in days]
    assert len(all_days) == len(set(all_days)), "two parts generate one day"
    starts: list[date | datetime] = []
    moved: dict[date, date | datetime] = {}
    for override in series.overrides:
        day = date_of(in_own_zone(override.recurrence_id, series.start))
        holder = next((n for n, days in enumerate(days_of) if day in days), None)
        if holder is None:
            assert day >= horizon, f"{day} is in no part"
            holder = max(n for n, p in enumerate(parts) if date_of(p.start) <= day)
        moved[day] = override.start
    for part, days in zip(parts, days_of, strict=True):
        starts += [moved.pop(day) if day in moved else at(day, part.start) for day in days]
    starts += [o.start for o in series.standalone]
    zone = getattr(series.start, "tzinfo", None)
    limit = datetime.combine(horizon, datetime.min.time(), tzinfo=zone)
    starts = [
        s for s in starts
        if (s < limit if isinstance(s, datetime) else s < horizon)
    ]  # fmt: skip
    return sorted((as_instant(s) for s in starts), key=sort_key)


def in_own_zone(value: date | datetime, start: date | datetime) -> date | datetime:
    """A recurrence id in the series' own zone, whose days the parts are counted in."""
    if isinstance(value, datetime) and isinstance(start, datetime) and start.tzinfo:
        return value.astimezone(start.tzinfo)
    return value


def date_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def occurrence_starts(result: OccurrencesPlan) -> list[date | datetime]:
    return sorted((as_instant(i.start) for i in result.instances), key=sort_key)


# --- the outline of a plan ----------------------------------------------------------------------

Value = date | datetime


@dataclass(frozen=True)
class Occurrence:
    """An override, a standalone override or a written-out instance: its recurrence id (the
    original start), its start and end, and its component's SUMMARY (None without one)."""

    recurrence_id: Value | None
    start: Value
    end: Value
    summary: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Part(Occurrence):
    """A part of a series plan: its first occurrence (recurrence id None for the first part)
    and its rule."""

    rrule: Rrule


@dataclass(frozen=True)
class Series:
    """Everything a SeriesPlan says, as a table row states it."""

    rrule: Rrule
    start: Value
    end: Value
    parts: tuple[Part, ...]
    overrides: tuple[Occurrence, ...] = ()
    standalone: tuple[Occurrence, ...] = ()
    skipped: tuple[date, ...] = ()
    cancelled: tuple[Value, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Written:
    """An OccurrencesPlan as a table row states it: how many instances, the first and the
    last of them, its warnings and the cancelled occurrences."""

    count: int
    first: Occurrence
    last: Occurrence
    warnings: tuple[str, ...]
    cancelled: tuple[Value, ...] = ()


def summary_of(component: Any) -> str | None:
    return str(component["SUMMARY"]) if "SUMMARY" in component else None


def occurrence(line: Any) -> Occurrence:
    """An OverridePlan or an Instance as an Occurrence."""
    return Occurrence(line.recurrence_id, line.start, line.end,
                      summary=summary_of(line.component))


def outline(result: SeriesPlan | OccurrencesPlan) -> Series | Written:
    if isinstance(result, SeriesPlan):
        return Series(
            rrule=result.rrule, start=result.start, end=result.end,
            parts=tuple(Part(p.recurrence_id, p.start, p.end, p.rrule,
                             summary=summary_of(p.component)) for p in result.parts),
            overrides=tuple(map(occurrence, result.overrides)),
            standalone=tuple(map(occurrence, result.standalone)),
            skipped=tuple(result.skipped), cancelled=tuple(result.cancelled),
            warnings=tuple(result.warnings),
        )  # fmt: skip
    return Written(
        count=len(result.instances),
        first=occurrence(result.instances[0]),
        last=occurrence(result.instances[-1]),
        warnings=tuple(result.warnings),
        cancelled=tuple(result.cancelled),
    )


def wall_clocks(value: Any) -> Any:
    """`value` (an outline, or a part of one) with each datetime in it as (wall clock, zone):
    two aware datetimes are equal when they name one instant, these also when they read the
    same in the same zone."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), str(value.tzinfo)
    if isinstance(value, tuple | list):
        return tuple(map(wall_clocks, value))
    if is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__, *(wall_clocks(getattr(value, f.name)) for f in fields(value))
    return value


def berlin(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=BERLIN)
