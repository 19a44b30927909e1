"""Which occurrence of a series an EXDATE or a RECURRENCE-ID names, matched as
recurring-ical-events matches it (by UTC or by wall-clock value), and what becomes of each
RECURRENCE-ID VEVENT: a moved occurrence, a THISANDFUTURE split, a cancelled day, or an
occurrence written alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from icalendar import Event

from ics2b24.ical import bxrule
from ics2b24.ical.fields import is_cancelled
from ics2b24.ical.recurrence.plans import NotSeries, OverridePlan, RecurrenceContext, Value
from ics2b24.ical.recurrence.values import Shape, aware, calendar_day, prop_value, shown, span_of
from ics2b24.model import Rrule


def recurrence_key(value: Value) -> datetime:
    """What makes two RECURRENCE-IDs name one occurrence, as recurring-ical-events keys them."""
    return recurrence_keys(value)[0]


def recurrence_keys(value: Value) -> tuple[datetime, ...]:
    """The keys recurring-ical-events identifies an occurrence by (its `to_recurrence_ids`)."""
    if not isinstance(value, datetime):
        return (datetime(value.year, value.month, value.day),)
    if value.tzinfo is None:
        return (value,)
    return (value.astimezone(timezone.utc).replace(tzinfo=None), value.replace(tzinfo=None))


@dataclass(frozen=True)
class Segment:
    """Where a stretch of the set takes its fields from: the master from DTSTART on, or a
    RANGE=THISANDFUTURE VEVENT from its split on; `start`/`end` are its own, on `day`."""

    day: date
    start: Value
    end: Value
    component: Event


def excluded_days(exdates: list[Value], shape: Shape, rule: Rrule
                  ) -> tuple[set[date], list[str]]:
    """The days EXDATE removes, and a warning for each EXDATE that matches no occurrence."""
    warnings: list[str] = []
    removed: set[date] = set()
    for value in exdates:
        days = _exdate_days(value, shape, rule)
        if not days:
            warnings.append(f"EXDATE {shown(value)} matches no occurrence")
        removed |= days
    return removed, warnings


@dataclass
class SortedOverrides:
    """The RECURRENCE-ID VEVENTs of a series by what becomes of them: moved occurrences
    (by their day), THISANDFUTURE splits, cancelled days, and occurrences written alone."""

    moved: dict[date, OverridePlan] = field(default_factory=dict)
    splits: list[Segment] = field(default_factory=list)
    cancelled: list[Value] = field(default_factory=list)
    alone: list[OverridePlan] = field(default_factory=list)


def sort_overrides(overrides: list[Event], shape: Shape, rule: Rrule, removed: set[date],
                   ctx: RecurrenceContext) -> SortedOverrides:
    """Sort the overrides; a cancelled or (on a portal that does not keep moved occurrences)
    moved occurrence's day joins `removed`."""
    out = SortedOverrides()
    replaced: set[date] = set()
    for event in overrides:
        day = _override_day(event, shape, rule, removed, replaced)
        original = aware(shape.local(day) if not shape.all_day else day, ctx)
        this_and_future = str(event["RECURRENCE-ID"].params.get("RANGE", "")).upper() == (
            "THISANDFUTURE"
        )
        if is_cancelled(event):
            if this_and_future:
                raise NotSeries("a cancelled RANGE=THISANDFUTURE cannot be held by Bitrix24")
            out.cancelled.append(original)
            removed.add(day)
        elif this_and_future:
            out.splits.append(_tail_segment(event, shape, day))
        else:
            override = OverridePlan(
                recurrence_id=original,
                start=aware(prop_value(event, "DTSTART"), ctx),
                end=aware(span_of(event)[1], ctx),
                component=event,
            )
            if ctx.moves_detached:
                out.moved[day] = override
            else:
                removed.add(day)
                out.alone.append(override)
    return out


def _exdate_days(value: Value, shape: Shape, rule: Rrule) -> set[date]:
    """The days whose occurrence recurring-ical-events removes for an EXDATE: a date removes
    every occurrence on that day (in DTSTART's zone), a date-time only the one it names."""
    if isinstance(value, datetime):
        return _named_days(value, shape, rule)
    return {value} if bxrule.occurs_on(shape.day, rule, value) else set()


def _named_days(value: Value, shape: Shape, rule: Rrule) -> set[date]:
    """The days whose occurrence recurring-ical-events identifies with `value` (a RECURRENCE-ID
    or a date-time EXDATE): one whose UTC or wall-clock key equals one of the value's own keys.
    A date's only key is its midnight, so a date names a timed occurrence only at midnight."""
    candidates = set()
    for key in recurrence_keys(value):
        if key.time() == shape.clock:
            candidates.add(key.date())
        if shape.zone is not None:
            local = key.replace(tzinfo=timezone.utc).astimezone(shape.zone)
            if local.replace(tzinfo=None).time() == shape.clock:
                candidates.add(local.date())
    return {day for day in candidates if bxrule.occurs_on(shape.day, rule, day)}


def _override_day(
    event: Event, shape: Shape, rule: Rrule, removed: set[date], replaced: set[date]
) -> date:
    """The day of the one occurrence a RECURRENCE-ID VEVENT names (marked as replaced)."""
    recurrence_id: Value = prop_value(event, "RECURRENCE-ID")
    if any(name in event for name in ("RRULE", "RDATE", "EXDATE")):
        raise NotSeries("a RECURRENCE-ID VEVENT with its own rule")
    days = _named_days(recurrence_id, shape, rule)
    if len(days) != 1:
        raise NotSeries(f"RECURRENCE-ID {shown(recurrence_id)} matches no single occurrence")
    (day,) = days
    if day in removed or day in replaced:
        raise NotSeries(f"RECURRENCE-ID {shown(recurrence_id)} names a removed occurrence")
    replaced.add(day)
    return day


def _tail_segment(event: Event, shape: Shape, day: date) -> Segment:
    """The set from `day` on, with the fields of a RANGE=THISANDFUTURE VEVENT:
    recurring-ical-events moves every later occurrence by the VEVENT's shift, which parts from
    its start hold while the shift keeps the day, the zone and all-day vs. timed."""
    start: Value = prop_value(event, "DTSTART")
    if isinstance(start, datetime) != (not shape.all_day):
        raise NotSeries("RANGE=THISANDFUTURE changes all-day into timed")
    if isinstance(start, datetime):
        zone = start.tzinfo
        if (zone is None) != (shape.zone is None) or (
            zone is not None and str(zone) != str(shape.zone)
        ):
            raise NotSeries("RANGE=THISANDFUTURE moves the series to another time zone")
    if calendar_day(start) != day:
        raise NotSeries("RANGE=THISANDFUTURE moves the series to other days")
    return Segment(day=day, start=start, end=span_of(event)[1], component=event)

