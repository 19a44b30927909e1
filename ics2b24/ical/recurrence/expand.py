"""The occurrence side of a recurrence set: what no series holds is written out as its
occurrences, expanded by recurring-ical-events itself (the reference), bounded by the
horizon, --since and the occurrence cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import recurring_ical_events as rie
from icalendar import Event

from ics2b24.ical.fields import is_cancelled
from ics2b24.ical.recurrence.plans import (
    Instance,
    OccurrencesPlan,
    RecurrenceContext,
    UnreadableRecurrence,
    Value,
    unreadable,
)
from ics2b24.ical.recurrence.values import (
    as_list,
    aware,
    calendar_day,
    ends_before,
    prop_value,
    sort_key,
    span_of,
)


def occurrences_plan(
    master: Event, overrides: list[Event], ctx: RecurrenceContext, reason: str
) -> OccurrencesPlan | None:
    try:
        found = _expand(master, overrides, ctx)
    except (rie.InvalidCalendar, rie.BadRuleStringFormat, rie.PeriodEndBeforeStart) as exc:
        raise UnreadableRecurrence(unreadable(exc)) from None
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise UnreadableRecurrence(unreadable(exc)) from None
    plan = OccurrencesPlan()
    for item in found.items:
        if item.component is not master and is_cancelled(item.component):
            plan.cancelled.append(item.recurrence_id)
        else:
            plan.instances.append(item)
    if not plan.instances and not plan.cancelled and ctx.since is not None:
        return None
    plan.instances.sort(key=lambda i: sort_key(i.recurrence_id, ctx))
    plan.cancelled.sort(key=lambda v: sort_key(v, ctx))
    count = len(plan.instances)
    if found.capped:
        last = calendar_day(plan.instances[-1].start).isoformat() if count else "-"
        plan.warnings.append(
            f"rule cut to {count} occurrences (--max-occurrences), the last on {last}: {reason}"
        )
    elif found.reached_horizon:
        plan.warnings.append(
            f"rule expanded to {ctx.horizon_end.isoformat()} as {count} occurrences: {reason}"
        )
    else:
        plan.warnings.append(f"rule written out as {count} occurrences: {reason}")
    return plan


@dataclass
class _Expansion:
    items: list[Instance]
    capped: bool
    reached_horizon: bool


class _Found(rie.Occurrence):
    """An occurrence that remembers its original start (before a THISANDFUTURE shift)."""

    def __init__(self, adapter: Any, start: Any, end: Any, sequence: int) -> None:
        super().__init__(adapter, start, end, sequence=sequence)
        self.adapter = adapter
        self.original = None if start is None else start - adapter.move_recurrences_by


class _TrackedSeries(rie.Series):
    def occurrence(self, adapter: Any, start: Any = None, end: Any = None) -> _Found:
        return _Found(adapter, start, end, self.sequence)


_FIRST_WINDOW = timedelta(hours=6)
_WANTED_PER_WINDOW = (64, 2048)


def _expand(master: Event, overrides: list[Event], ctx: RecurrenceContext) -> _Expansion:
    """Walk recurring-ical-events window by window, in start order, so that the cap and the
    horizon stop it early (an endless FREQ=SECONDLY rule yields only what is kept)."""
    events = [_rebased(master, ctx), *overrides]
    adapters = [rie.EventAdapter(event) for event in events]
    owner = {id(adapter): event for adapter, event in zip(adapters, events, strict=True)}
    owner[id(adapters[0])] = master
    series = _TrackedSeries(adapters)
    start: Value = prop_value(master, "DTSTART")
    frame = start.tzinfo if isinstance(start, datetime) else None
    horizon = datetime.combine(ctx.horizon_end, time(0), tzinfo=frame)
    earliest = min(_in_frame(prop_value(event, "DTSTART"), frame, ctx) for event in events)
    cursor = datetime.combine(earliest.date() - timedelta(days=1), time(0), tzinfo=frame)
    # An all-day occurrence is one date however the rule generated it, so its windows are
    # whole days: each date then falls in exactly one window.
    smallest = timedelta(days=1) if frame is None and not isinstance(start, datetime) else None
    span = smallest or _FIRST_WINDOW
    items: list[Instance] = []
    while cursor < horizon:
        stop = min(cursor + span, horizon)
        batch = [
            found
            for found in series.between(cursor, stop)
            if cursor <= _in_frame(found.start, frame, ctx) < stop
        ]
        batch.sort(key=lambda found: sort_key(aware(found.start, ctx), ctx))
        for found in batch:
            item = _instance(found, owner, ctx)
            if ctx.since is not None and ends_before(item.end, ctx.since):
                continue
            if len(items) == ctx.max_occurrences:
                return _Expansion(items, capped=True, reached_horizon=False)
            items.append(item)
        cursor = stop
        if len(batch) < _WANTED_PER_WINDOW[0]:
            span *= 2
        elif len(batch) > _WANTED_PER_WINDOW[1]:
            span = max(span / 2, smallest) if smallest else span / 2
    return _Expansion(items, capped=False, reached_horizon=_goes_on(series, master, horizon))


_SUB_DAILY = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600}


def _rebased(master: Event, ctx: RecurrenceContext) -> Event:
    """dateutil walks every occurrence from DTSTART, so a sub-daily rule from 2007 read with
    --since 2025 would walk 10^8 of them. Without COUNT or BYSETPOS (the only parts that
    depend on where the walk starts), moving DTSTART forward by whole rule periods to just
    before `since` leaves the same occurrences from there on."""
    rules = as_list(master.get("RRULE"))
    if ctx.since is None or len(rules) != 1 or "RDATE" in master:
        return master
    rule = rules[0]
    freq = str(rule.get("FREQ", [""])[0]).upper()
    if freq not in _SUB_DAILY or "COUNT" in rule or "BYSETPOS" in rule:
        return master
    start, end = span_of(master)
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return master
    period = timedelta(seconds=_SUB_DAILY[freq] * int(rule.get("INTERVAL", [1])[0]))
    target = datetime.combine(ctx.since, time(0), tzinfo=start.tzinfo) - (end - start)
    steps = (target - start - timedelta(days=2)) // period
    if steps <= 0:
        return master
    moved = master.copy()
    moved.pop("DURATION", None)
    moved.pop("DTSTART", None)
    moved.pop("DTEND", None)
    moved.add("DTSTART", start + steps * period)
    moved.add("DTEND", end + steps * period)
    return moved


def _instance(found: _Found, owner: dict[int, Event], ctx: RecurrenceContext) -> Instance:
    event = owner[id(found.adapter)]
    original: Value = (found.original if found.original is not None
                       else prop_value(event, "RECURRENCE-ID"))
    if not isinstance(found.start, datetime) and isinstance(original, datetime):
        original = original.date()
    return Instance(
        recurrence_id=aware(original, ctx),
        start=aware(found.start, ctx),
        end=aware(found.end, ctx),
        component=event,
    )


def _in_frame(value: Value, frame: tzinfo | None, ctx: RecurrenceContext) -> datetime:
    """A value as a date-time comparable with the master's own (zoned or naive) clock."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=frame)
    if frame is None:
        return value.astimezone(ctx.floating_zone).replace(tzinfo=None) if value.tzinfo else value
    return value.astimezone(frame) if value.tzinfo else value.replace(tzinfo=frame)


def _goes_on(series: Any, master: Event, horizon: datetime) -> bool:
    """Whether the set has occurrences at or after the horizon (always, for an endless rule)."""
    rules = as_list(master.get("RRULE"))
    if any("COUNT" not in rule and "UNTIL" not in rule for rule in rules):
        return True
    return any(True for _ in series.between(horizon, horizon + _FINITE_LOOKAHEAD))


_FINITE_LOOKAHEAD = timedelta(days=366 * 100)

