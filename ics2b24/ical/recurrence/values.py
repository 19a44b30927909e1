"""The date and date-time values of a recurrence set: read from a VEVENT, placed in time
(`Shape`: one clock, one zone, for every occurrence of a series) and compared across zones
the way recurring-ical-events compares them. Every stage of the planning reads values
through these, so a floating or all-day value means the same in each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any

from icalendar import Event

from ics2b24.ical.fields import event_span
from ics2b24.ical.recurrence.plans import RecurrenceContext, Value


def span_of(event: Event) -> tuple[Value, Value]:
    span = event_span(event)
    return span.start, span.end


def prop_value(event: Event, name: str) -> Any:
    """A date property's value (icalendar types properties as a wide union)."""
    prop: Any = event[name]
    return prop.dt


@dataclass(frozen=True)
class Shape:
    """Where the series' occurrences sit in time: every one on its own day at `clock`
    (midnight for all-day), in `zone` (None: all-day or floating)."""

    start: Value
    clock: time
    zone: tzinfo | None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def day(self) -> date:
        return calendar_day(self.start)

    def local(self, day: date) -> datetime:
        return datetime.combine(day, self.clock, tzinfo=self.zone)


def shape_of(start: Value) -> Shape:
    return Shape(
        start=start,
        clock=start.time() if isinstance(start, datetime) else time(0),
        zone=start.tzinfo if isinstance(start, datetime) else None,
    )


def calendar_day(value: Value) -> date:
    return date(value.year, value.month, value.day)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def values_of(prop: Any) -> list[Any]:
    """The dates of EXDATE/RDATE properties (several properties, several values each)."""
    return [item.dt for entry in as_list(prop) for item in entry.dts]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def ends_before(end: Value, since: date) -> bool:
    if isinstance(end, datetime):
        limit = datetime.combine(since, time(0), tzinfo=end.tzinfo)
        return utc(end) <= utc(limit) if end.tzinfo else end <= limit
    return end <= since


def aware(value: Value, ctx: RecurrenceContext) -> Value:
    """Floating date-times are read in the floating zone; dates stay dates."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=ctx.floating_zone)
    return value


def sort_key(value: Value, ctx: RecurrenceContext) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=ctx.floating_zone)
    return utc(aware(value, ctx))  # type: ignore[arg-type]


def shown(value: Value) -> str:
    if isinstance(value, datetime):
        zone = f" {value.tzinfo}" if value.tzinfo is not None else ""
        return f"{value:%Y-%m-%dT%H:%M:%S}{zone}"
    return value.isoformat()

