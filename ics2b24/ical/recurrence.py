"""How a recurring VEVENT reaches Bitrix24: `series` parts, or its `occurrence`s
(docs/convert-contract.md).

The reference for what a recurrence set means is `recurring-ical-events`: a `series` is written
only when the Bitrix24 model (ics2b24.ical.bxrule) provably yields the same occurrences. No
series generates a skipped day (an EXDATE, a cancelled occurrence): the set is written as
consecutive COUNT-bounded parts around them, and a RANGE=THISANDFUTURE change starts a part of
its own. The proof is analytic, so the common case (a plain rule with some EXDATEs) expands
nothing; every EXDATE and RECURRENCE-ID is matched the way recurring-ical-events matches it (by
UTC or by wall-clock value), so a quirk of the reference can never make the two sides differ
silently.
Anything the proof cannot hold is written out through recurring-ical-events itself, bounded by
the horizon and the occurrence cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events as rie
from dateutil import rrule as du  # type: ignore[import-untyped]
from icalendar import Event, vDDDTypes

from ics2b24.ical import bxrule
from ics2b24.ical.fields import event_span, is_cancelled
from ics2b24.ical.structure import plain_reason
from ics2b24.model import WEEKDAYS, Freq, Rrule

Value = date | datetime


@dataclass(frozen=True)
class RecurrenceContext:
    floating_zone: ZoneInfo
    horizon_end: date
    max_occurrences: int
    since: date | None
    moves_detached: bool = True
    """Whether the portal detaches a moved occurrence (`recurrence_mode=this`); where it does
    not, a moved occurrence is a skipped day of the parts and an occurrence line of its own."""


@dataclass
class Instance:
    """One occurrence written out as its own event; `end` is RFC-exclusive."""

    recurrence_id: Value
    start: Value
    end: Value
    component: Event


@dataclass
class OverridePlan:
    """A RECURRENCE-ID VEVENT (without RANGE) that moves or changes one occurrence of a series;
    `recurrence_id` is that occurrence's original start."""

    recurrence_id: Value
    start: Value
    end: Value
    component: Event


@dataclass
class PartPlan:
    """One of the consecutive parts a recurrence set is written as: an ordinary Bitrix24
    series from its first occurrence (`start`/`end`), its `rrule` bounded by COUNT (unbounded
    only as the last part of an endless set). `recurrence_id` is the original start of that
    first occurrence, None for the first part; the fields come from `component` (the master,
    or the RANGE=THISANDFUTURE VEVENT whose split the part follows)."""

    recurrence_id: Value | None
    start: Value
    end: Value
    rrule: Rrule
    component: Event


@dataclass
class SeriesPlan:
    """A recurrence set that Bitrix24 series hold exactly.

    `rrule`, `start` and `end` state the whole set as one rule from DTSTART; `parts` are what
    is written: together they generate each day of that rule once, except the `skipped` days
    (EXDATEs and cancelled occurrences), which no part generates. `overrides` change
    one occurrence of the part that holds it; `standalone` are overrides of a later part's
    first occurrence: written as occurrences of their own, with that occurrence left out of
    the parts, so that no part shares its recurrence id with an override line.
    """

    rrule: Rrule
    start: Value
    end: Value
    parts: list[PartPlan] = field(default_factory=list)
    overrides: list[OverridePlan] = field(default_factory=list)
    standalone: list[OverridePlan] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    cancelled: list[Value] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def writes_nothing(self) -> bool:
        return not (self.parts or self.overrides or self.standalone)


@dataclass
class OccurrencesPlan:
    instances: list[Instance] = field(default_factory=list)
    cancelled: list[Value] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def writes_nothing(self) -> bool:
        return not self.instances


class UnreadableRecurrence(Exception):
    """A recurrence set that neither the proof nor recurring-ical-events can read; the message
    is a sentence about the input, and the converter skips that event with it."""


class _NotSeries(Exception):
    """Why the recurrence set cannot be one Bitrix24 series (the text ends up in a warning)."""


_ALLOWED_PARTS = {
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", "BYMONTHDAY", "BYMONTH",
    "BYHOUR", "BYMINUTE", "BYSECOND",
}  # fmt: skip
_SUBSET_FREQS: tuple[Freq, ...] = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def plan_recurrence(
    master: Event, overrides: Sequence[Event], ctx: RecurrenceContext
) -> SeriesPlan | OccurrencesPlan | None:
    """Plan one UID's recurrence set; None when nothing of it is left to write after
    `ctx.since` (every occurrence ends before it, or the set is empty). Without `ctx.since`
    an empty set is a plan that writes nothing: the input says every occurrence is gone.
    `overrides` hold one VEVENT per RECURRENCE-ID (the caller picks the version:
    `recurrence_key` says which ones are one)."""
    try:
        _check_rules(master)
        return _series_plan(master, list(overrides), ctx)
    except _NotSeries as why:
        return _occurrences_plan(master, list(overrides), ctx, str(why))
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise UnreadableRecurrence(_unreadable(exc)) from None


def _unreadable(exc: Exception) -> str:
    """A sentence about the input, never Python's words about the libraries' internals."""
    if isinstance(exc, OverflowError):
        return "its recurrence reaches a date out of the range a calendar can hold"
    fallback = "its recurrence (RRULE, RDATE or EXDATE) has a value that cannot be read"
    reason = plain_reason(exc, fallback)
    return reason if reason == fallback else f"its recurrence cannot be read: {reason}"


def _check_rules(master: Event) -> None:
    """What no expansion can read: a rule in another calendar system (RFC 7529 RSCALE, as
    Apple writes lunar birthdays), or an INTERVAL below 1 (0 would loop without end)."""
    for rule in _as_list(master.get("RRULE")):
        scale = str(rule.get("RSCALE", ["GREGORIAN"])[0]).upper()
        if scale != "GREGORIAN":
            raise UnreadableRecurrence(f"its RRULE counts in the {scale} calendar "
                                       "(RSCALE), which cannot be converted to dates")
        if any(int(n) < 1 for n in rule.get("INTERVAL", [1])):
            raise ValueError("RRULE INTERVAL must be at least 1")


def _span(event: Event) -> tuple[Value, Value]:
    span = event_span(event)
    return span.start, span.end


def _dt(event: Event, name: str) -> Any:
    """A date property's value (icalendar types properties as a wide union)."""
    prop: Any = event[name]
    return prop.dt


def recurrence_key(value: Value) -> datetime:
    """What makes two RECURRENCE-IDs name one occurrence, as recurring-ical-events keys them."""
    return _recurrence_keys(value)[0]


def _recurrence_keys(value: Value) -> tuple[datetime, ...]:
    """The keys recurring-ical-events identifies an occurrence by (its `to_recurrence_ids`)."""
    if not isinstance(value, datetime):
        return (datetime(value.year, value.month, value.day),)
    if value.tzinfo is None:
        return (value,)
    return (value.astimezone(timezone.utc).replace(tzinfo=None), value.replace(tzinfo=None))


# --- the series side -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
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
        return _day(self.start)

    def local(self, day: date) -> datetime:
        return datetime.combine(day, self.clock, tzinfo=self.zone)


def _shape(start: Value) -> _Shape:
    return _Shape(
        start=start,
        clock=start.time() if isinstance(start, datetime) else time(0),
        zone=start.tzinfo if isinstance(start, datetime) else None,
    )


def drop_rules_ending_before_start(master: Event) -> list[str]:
    """Take out of `master` each RRULE whose UNTIL comes before DTSTART, with a note for each.

    RFC 5545 makes DTSTART the first occurrence whatever the rule says, but
    recurring-ical-events (dateutil) expands such a rule to nothing, and the event would
    vanish without a word; without the rule, DTSTART (and any RDATE) is what is left.
    """
    try:
        rules = _as_list(master.get("RRULE"))
        shape = _shape(_span(master)[0])
        ending = [(rule, until) for rule in rules for until in rule.get("UNTIL", [])[:1]
                  if _until_before_start(until, shape)]
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return []  # a rule that cannot be read: `plan_recurrence` says so
    if not ending:
        return []
    kept = [rule for rule in rules if all(rule is not gone for gone, _ in ending)]
    del master["RRULE"]
    if kept:
        master["RRULE"] = kept if len(kept) > 1 else kept[0]
    return [f"an RRULE ends before its start (UNTIL {vDDDTypes(until).to_ical().decode()}) and "
            "is left out; the start stays, as RFC 5545 makes it the first occurrence"
            for _, until in ending]


def _until_before_start(until: Any, shape: _Shape) -> bool:
    """Whether UNTIL comes before the first day; one that cannot be read is left to
    `plan_recurrence`, which says so."""
    try:
        return _until_day(until, shape) < shape.day
    except (ValueError, TypeError, AttributeError, OverflowError):
        return False


def _day(value: Value) -> date:
    return date(value.year, value.month, value.day)


@dataclass(frozen=True)
class _Segment:
    """Where a stretch of the set takes its fields from: the master from DTSTART on, or a
    RANGE=THISANDFUTURE VEVENT from its split on; `start`/`end` are its own, on `day`."""

    day: date
    start: Value
    end: Value
    component: Event


def _series_plan(
    master: Event, overrides: list[Event], ctx: RecurrenceContext
) -> SeriesPlan | None:
    start, end = _span(master)
    rules = _as_list(master.get("RRULE"))
    if not rules:
        raise _NotSeries("RDATE dates cannot be held by Bitrix24")
    if len(rules) > 1:
        raise _NotSeries("several RRULEs cannot be held by Bitrix24")
    exdates = _values(master.get("EXDATE"))
    rdates = _values(master.get("RDATE"))
    _check_zones(start, end, exdates + rdates)
    shape = _shape(start)
    rule = _subset_rule(dict(rules[0]), shape)
    _check_rdates(rdates, shape, rule)
    removed, warnings = _excluded_days(exdates, shape, rule)
    sorted_out = _sort_overrides(overrides, shape, rule, removed, ctx)
    plan = SeriesPlan(
        rrule=rule,
        start=_aware(start, ctx),
        end=_aware(end, ctx),
        skipped=sorted(removed),
        cancelled=sorted(sorted_out.cancelled, key=lambda v: _sort_key(v, ctx)),
        warnings=warnings,
    )
    walk = _Walk(shape, rule, Rrule(freq=rule.freq, interval=rule.interval, byday=rule.byday),
                 ctx)
    master_segment = _Segment(day=shape.day, start=start, end=end, component=master)
    moved, alone = sorted_out.moved, sorted_out.alone
    runs = _runs(walk, master_segment, sorted_out.splits, removed, moved)
    while landing := _moved_onto_first_day(runs, moved):
        for day in landing:
            removed.add(day)
            alone.append(moved.pop(day))
        runs = _runs(walk, master_segment, sorted_out.splits, removed, moved)
    if ctx.since is not None:
        runs = [run for run in runs if not _run_ends_before(run, ctx.since)]
        if not runs:
            return None
    return _filled(plan, runs, [o for o in alone if not _ends_before_since(o, ctx)], ctx)


def _excluded_days(exdates: list[Value], shape: _Shape, rule: Rrule
                   ) -> tuple[set[date], list[str]]:
    """The days EXDATE removes, and a warning for each EXDATE that matches no occurrence."""
    warnings: list[str] = []
    removed: set[date] = set()
    for value in exdates:
        days = _exdate_days(value, shape, rule)
        if not days:
            warnings.append(f"EXDATE {_show(value)} matches no occurrence")
        removed |= days
    return removed, warnings


@dataclass
class _SortedOverrides:
    """The RECURRENCE-ID VEVENTs of a series by what becomes of them: moved occurrences
    (by their day), THISANDFUTURE splits, cancelled days, and occurrences written alone."""

    moved: dict[date, OverridePlan] = field(default_factory=dict)
    splits: list[_Segment] = field(default_factory=list)
    cancelled: list[Value] = field(default_factory=list)
    alone: list[OverridePlan] = field(default_factory=list)


def _sort_overrides(overrides: list[Event], shape: _Shape, rule: Rrule, removed: set[date],
                    ctx: RecurrenceContext) -> _SortedOverrides:
    """Sort the overrides; a cancelled or (on a portal that does not keep moved occurrences)
    moved occurrence's day joins `removed`."""
    out = _SortedOverrides()
    replaced: set[date] = set()
    for event in overrides:
        day = _override_day(event, shape, rule, removed, replaced)
        original = _aware(shape.local(day) if not shape.all_day else day, ctx)
        this_and_future = str(event["RECURRENCE-ID"].params.get("RANGE", "")).upper() == (
            "THISANDFUTURE"
        )
        if is_cancelled(event):
            if this_and_future:
                raise _NotSeries("a cancelled RANGE=THISANDFUTURE cannot be held by Bitrix24")
            out.cancelled.append(original)
            removed.add(day)
        elif this_and_future:
            out.splits.append(_tail_segment(event, shape, day))
        else:
            override = OverridePlan(
                recurrence_id=original,
                start=_aware(_dt(event, "DTSTART"), ctx),
                end=_aware(_span(event)[1], ctx),
                component=event,
            )
            if ctx.moves_detached:
                out.moved[day] = override
            else:
                removed.add(day)
                out.alone.append(override)
    return out


def _filled(plan: SeriesPlan, runs: list[_Run], alone: list[OverridePlan],
            ctx: RecurrenceContext) -> SeriesPlan | None:
    """`plan` with the parts, overrides and standalone occurrences of `runs` and `alone`;
    None when under --since nothing of it is left to write."""
    plan.standalone += alone
    for run in runs:
        if run.part is not None:
            plan.parts.append(run.part)
        plan.overrides += run.overrides
        plan.standalone += run.standalone
    plan.overrides.sort(key=lambda p: _sort_key(p.recurrence_id, ctx))
    plan.standalone.sort(key=lambda p: _sort_key(p.recurrence_id, ctx))
    if not (plan.parts or plan.standalone or plan.cancelled) and ctx.since is not None:
        return None
    return plan


def _moved_onto_first_day(runs: list[_Run], moved: dict[date, OverridePlan]) -> list[date]:
    """The days of the occurrences moved onto the first day of the part that holds them: a
    portal places such a copy on the occurrence's own day instead (docs/test-portal.md,
    behaviour 8), so they are written as a skipped day and an occurrence of its own."""
    day_of = {id(override): day for day, override in moved.items()}
    return [day_of[id(o)] for run in runs if run.part is not None for o in run.overrides
            if _wall_day(o.start) == _wall_day(run.part.start) != day_of[id(o)]]


def _wall_day(value: Value) -> date:
    """The day a value shows as sent: a date-time's date in its own zone."""
    return value.date() if isinstance(value, datetime) else value


@dataclass
class _Run:
    """A part, by the indices of the occurrences it holds in the whole set's rule (every
    `step`-th index of [begin, stop), stop None: no end), with the overrides of its
    occurrences; or (part None) an override written as an occurrence of its own."""

    part: PartPlan | None
    begin: int
    stop: int | None
    step: int = 1
    overrides: list[OverridePlan] = field(default_factory=list)
    standalone: list[OverridePlan] = field(default_factory=list)

    def holds(self, at: int) -> bool:
        return (self.begin <= at and (self.stop is None or at < self.stop)
                and (at - self.begin) % self.step == 0)


@dataclass(frozen=True)
class _Walk:
    """What every stretch of one series is cut by: its shape, its rule, the rule's pattern
    without COUNT/UNTIL (occurrences are counted by index in it) and the context."""

    shape: _Shape
    rule: Rrule
    pattern: Rrule
    ctx: RecurrenceContext

    def index(self, day: date) -> int:
        return bxrule.count_before(self.shape.day, self.pattern, day)


def _runs(walk: _Walk, master: _Segment, splits: list[_Segment], removed: set[date],
          moved: dict[date, OverridePlan]) -> list[_Run]:
    """Cut the set into consecutive stretches, analytically: by the index of each skipped day
    (a stretch ends before it, the next begins after it) and of each THISANDFUTURE split (a
    stretch ends before it, the next begins on it, with the split's fields). Each stretch is
    written as the parts `_pieces` says the portal shows exactly."""
    cuts: list[tuple[int, _Segment | None]] = sorted(
        [(walk.index(day), None) for day in removed]
        + [(walk.index(split.day), split) for split in splits],
        key=lambda cut: cut[0],
    )
    held = {walk.index(day): plan for day, plan in moved.items()}
    runs: list[_Run] = []
    segment, begin = master, 0
    for at, split in cuts:
        if at > begin:
            runs += _stretch(walk, segment, begin, at, held, runs)
        if split is None:
            begin = at + 1
        else:
            segment, begin = split, at
    if walk.rule.count is None or begin < walk.rule.count:
        runs += _stretch(walk, segment, begin, walk.rule.count, held, runs)
    parts = [run for run in runs if run.part is not None]
    for at, override in held.items():
        holder = max((run for run in parts if run.holds(at)), key=lambda run: run.begin)
        holder.overrides.append(override)
    return runs


def _stretch(walk: _Walk, segment: _Segment, begin: int, stop: int | None,
             held: dict[int, OverridePlan], before: list[_Run]) -> list[_Run]:
    """The runs of the indices [begin, stop) of `segment`, after the runs `before` it: a
    moved occurrence (`held`) on a piece's first index, once a run exists, is written alone
    and taken from `held`; a part after the series' first part carries a recurrence id."""
    runs: list[_Run] = []
    shape, pattern = walk.shape, walk.pattern
    for first, step, end in _pieces(shape.day, pattern, begin, stop):
        while (before or runs) and first in held and (end is None or first < end):
            runs.append(_Run(None, first, first + 1, standalone=[held.pop(first)]))
            first += step
        if end is not None and first >= end:
            continue
        day = bxrule.nth_day(shape.day, pattern, first)
        if day is None:
            continue
        count, last = None, None
        if end is not None:
            count = -(-(end - first) // step)
            last = bxrule.nth_day(shape.day, pattern, first + step * (count - 1))
        shift = day - segment.day
        if last is not None and _stretched_by_portal(segment.end + shift, last):
            for at in range(first, end or first, step):
                alone = held.pop(at) if at in held else _alone(shape, pattern, segment, at,
                                                               walk.ctx)
                runs.append(_Run(None, at, at + 1, standalone=[alone]))
            continue
        original = shape.local(day) if not shape.all_day else day
        part = PartPlan(
            recurrence_id=(_aware(original, walk.ctx) if _parts(before) or _parts(runs)
                           else None),
            start=_aware(segment.start + shift, walk.ctx),
            end=_aware(segment.end + shift, walk.ctx),
            rrule=_written_rule(walk.rule, shape, day, step, count, last),
            component=segment.component,
        )
        runs.append(_Run(part, first, end, step))
    return runs


def _parts(runs: list[_Run]) -> list[PartPlan]:
    """The parts so far: the first is the series itself (no recurrence id)."""
    return [run.part for run in runs if run.part is not None]


def _stretched_by_portal(first_end: Value, last: date) -> bool:
    """Whether a portal would carry a part on past its last day: it moves an UNTIL that
    falls more than a day before the first occurrence's end to that end's date
    (CCalendarEvent::checkRecurringRuleField, docs/test-portal.md), which a part of an event
    lasting several days and holding few occurrences meets. Such a part is written as its
    occurrences."""
    if isinstance(first_end, datetime):
        return first_end.replace(tzinfo=None) > datetime.combine(last + timedelta(days=1),
                                                                 time(0))
    return last + timedelta(days=1) < first_end - timedelta(days=1)


def _alone(shape: _Shape, pattern: Rrule, segment: _Segment, at: int,
           ctx: RecurrenceContext) -> OverridePlan:
    """Occurrence `at` of the set as an occurrence of its own, with the segment's fields."""
    day = bxrule.nth_day(shape.day, pattern, at)
    assert day is not None
    shift = day - segment.day
    original = shape.local(day) if not shape.all_day else day
    return OverridePlan(recurrence_id=_aware(original, ctx),
                        start=_aware(segment.start + shift, ctx),
                        end=_aware(segment.end + shift, ctx), component=segment.component)


PORTAL_END = date(2038, 1, 1)
"""A portal shows no occurrence of an endless series from this day on (docs/test-portal.md,
behaviour 6)."""


def _pieces(start: date, pattern: Rrule, begin: int,
            stop: int | None) -> list[tuple[int, int, int | None]]:
    """How the occurrences [begin, stop) of the set's rule are written: as (first, step, end)
    index ranges, one part each, that the current portal shows exactly in every window
    (docs/convert-contract.md, "Parts"). Where a portal opens a view later than a series'
    start it estimates the occurrence to walk from (docs/test-portal.md, behaviour 18):
    for a rule every two or more weeks on several days that estimate can land in a week
    without occurrences, so each weekday is a part of its own; for a monthly rule it
    counts months of 30 days and overshoots after about three years, so a monthly stretch
    is cut before the estimate could pass one of its occurrences (up to the portal's end
    of endless series)."""
    if pattern.freq == "WEEKLY" and pattern.interval > 1 and len(pattern.byday) > 1:
        n = len(pattern.byday)
        return [(first, n, stop) for first in range(begin, begin + n)
                if stop is None or first < stop]
    if pattern.freq != "MONTHLY":
        return [(begin, 1, stop)]
    end = stop if stop is not None else bxrule.count_before(start, pattern, PORTAL_END)
    if end <= begin:
        return [(begin, 1, stop)]
    out: list[tuple[int, int, int | None]] = []
    first = begin
    while first < end:
        day = bxrule.nth_day(start, pattern, first)
        reach = end - first if day is None else _monthly_reach(day, pattern.interval)
        out.append((first, 1, min(first + reach, end)))
        first += reach
    return out


def _monthly_reach(first: date, interval: int) -> int:
    """How many occurrences a monthly part from `first` holds before the current portal's
    estimate (whole 30-day months of the distance from the part's start to a view's first
    day, rounded, down to a multiple of INTERVAL) could reach past occurrence k while a view
    starting on k's day is open: k is safe while its distance in days, plus a day for the
    time of day and the zone, stays under 30·((k+1)·INTERVAL − ½) days."""
    rule = Rrule(freq="MONTHLY", interval=interval)
    k = 1
    while True:
        day = bxrule.nth_day(first, rule, k)
        if day is None or (day - first).days + 1 >= 30 * ((k + 1) * interval - 0.5):
            return k
        k += 1


def _written_rule(rule: Rrule, shape: _Shape, day: date, step: int, count: int | None,
                  last: date | None) -> Rrule:
    """A part's rule from `day`: the set's, or one weekday of it (`step` > 1), bounded by its
    COUNT and its last day (`model.Rrule.to_params` sends the one the portal reads). A daily
    rule in a zone twelve or more hours from UTC goes as weekly on all seven days: the
    current portal's estimate rounds that offset to a whole day and shows an occurrence the
    day before the start, or skips the first (docs/test-portal.md, behaviour 19)."""
    byday = rule.byday if step == 1 else (WEEKDAYS[day.weekday()],)
    freq = rule.freq
    if freq == "DAILY" and rule.interval == 1 and _far_from_utc(shape.zone, day):
        freq, byday = "WEEKLY", WEEKDAYS
    return Rrule(freq=freq, interval=rule.interval, count=count, until=last, byday=byday)


def _far_from_utc(zone: tzinfo | None, day: date) -> bool:
    """Whether the zone is twelve hours or more from UTC on any day of the year from `day`."""
    if zone is None:
        return False
    for month in range(0, 12):
        moment = datetime.combine(day + timedelta(days=30 * month), time(12), tzinfo=zone)
        offset = moment.utcoffset()
        if offset is not None and abs(offset) >= timedelta(hours=12):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _values(prop: Any) -> list[Any]:
    """The dates of EXDATE/RDATE properties (several properties, several values each)."""
    return [item.dt for entry in _as_list(prop) for item in entry.dts]


def _check_zones(start: Value, end: Value, others: list[Any]) -> None:
    """recurring-ical-events reads the whole set in the first zone it meets; only a set that
    agrees with DTSTART on date vs. date-time and floating vs. zoned is analysed."""
    for value in [end, *others]:
        if isinstance(value, tuple):
            raise _NotSeries("RDATE periods cannot be held by Bitrix24")
        if not isinstance(start, datetime) and isinstance(value, datetime):
            raise _NotSeries("date-time values in an all-day recurrence set")
        if (
            isinstance(start, datetime)
            and start.tzinfo is None
            and isinstance(value, datetime)
            and value.tzinfo is not None
        ):
            raise _NotSeries("zoned values in a floating recurrence set")


def _subset_rule(parts: dict[str, list[Any]], shape: _Shape) -> Rrule:
    """The Bitrix24 rule holding this RRULE, or _NotSeries naming what it cannot hold."""
    for key in parts:
        if key not in _ALLOWED_PARTS:
            raise _NotSeries(f"{key} cannot be held by Bitrix24")
    freq = str(parts["FREQ"][0]).upper() if parts.get("FREQ") else ""
    if freq not in _SUBSET_FREQS:
        raise _NotSeries(f"FREQ={freq or '?'} cannot be held by Bitrix24")
    interval = int(parts.get("INTERVAL", [1])[0])
    count = int(parts["COUNT"][0]) if "COUNT" in parts else None
    if interval < 1 or (count is not None and count < 1):
        raise _NotSeries("INTERVAL or COUNT below 1 cannot be held by Bitrix24")
    if count is not None and "UNTIL" in parts:
        raise _NotSeries("COUNT together with UNTIL cannot be held by Bitrix24")
    _check_redundant_parts(parts, freq, shape)
    _check_day_exists_every_period(freq, shape.day)
    byday = _byday(parts.get("BYDAY", []), freq)
    own_day = WEEKDAYS[shape.day.weekday()]
    if byday and own_day not in byday:
        # RFC 5545 (and recurring-ical-events) counts DTSTART as an occurrence even where the
        # rule skips its day; a Bitrix24 series starts at `from` yet never leaves its BYDAY days.
        raise _NotSeries("a DTSTART on a day the rule skips cannot be held by Bitrix24")
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
        until = _until_day(parts["UNTIL"][0], shape)
        if until < shape.day:
            raise _NotSeries("UNTIL before DTSTART leaves no occurrence")
        count = bxrule.count_through(shape.day, draft, until)
    return Rrule(freq=draft.freq, interval=interval, count=count, byday=byday)


def _check_day_exists_every_period(freq: str, first: date) -> None:
    """A real portal puts a day that a month or year lacks on the 1st of the next month, where
    RFC 5545 skips it (docs/test-portal.md, behaviour 6): such a rule is no series."""
    if freq == "MONTHLY" and first.day > 28:
        raise _NotSeries(
            f"MONTHLY on day {first.day} cannot be held by Bitrix24 (a portal moves it to the "
            "1st of the next month in months without that day)"
        )
    if freq == "YEARLY" and (first.month, first.day) == (2, 29):
        raise _NotSeries(
            "YEARLY on 29 February cannot be held by Bitrix24 (a portal moves it to 1 March "
            "in other years)"
        )


def _check_redundant_parts(parts: dict[str, list[Any]], freq: str, shape: _Shape) -> None:
    """BY-parts are accepted only where they repeat what DTSTART already implies."""
    clock = shape.clock
    own_clock = {"BYHOUR": clock.hour, "BYMINUTE": clock.minute, "BYSECOND": clock.second}
    for key, own in own_clock.items():
        if key in parts and [int(v) for v in parts[key]] != [own]:
            raise _NotSeries(f"{key} cannot be held by Bitrix24")
    own_day = [shape.day.day]
    if "BYMONTHDAY" in parts and (
        freq not in ("MONTHLY", "YEARLY") or [int(v) for v in parts["BYMONTHDAY"]] != own_day
    ):
        raise _NotSeries("BYMONTHDAY other than the start's day cannot be held by Bitrix24")
    if "BYMONTH" in parts and (
        freq != "YEARLY" or [int(v) for v in parts["BYMONTH"]] != [shape.day.month]
    ):
        raise _NotSeries("BYMONTH cannot be held by Bitrix24")
    if freq == "YEARLY" and "BYMONTHDAY" in parts and "BYMONTH" not in parts:
        raise _NotSeries("BYMONTHDAY in a YEARLY rule repeats every month")


def _byday(values: list[Any], freq: str) -> tuple[str, ...]:
    if not values:
        return ()
    days = [str(v).upper() for v in values]
    if freq != "WEEKLY" or any(day not in WEEKDAYS for day in days):
        raise _NotSeries(f"BYDAY={','.join(days)} cannot be held by Bitrix24")
    return tuple(sorted(set(days), key=WEEKDAYS.index))


def _check_weekly_pattern(rule: Rrule, wkst: str, shape: _Shape) -> None:
    """Bitrix24 weeks start on Monday; RFC weeks on WKST. Where that could matter (INTERVAL>1,
    WKST not MO, several days) both patterns repeat every INTERVAL weeks, so comparing the first
    two periods after DTSTART (itself one of the BYDAY days) settles all of them."""
    if wkst not in WEEKDAYS:
        raise _NotSeries(f"WKST={wkst} cannot be read")
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
        raise _NotSeries(f"WKST={wkst} with INTERVAL>1 and these BYDAY cannot be held by Bitrix24")


def _until_day(until: Value, shape: _Shape) -> date:
    """UNTIL as the last day with an occurrence at or before it, reading UNTIL the way
    recurring-ical-events does: all-day → its date; floating → wall clock; zoned → UTC (a
    date or a floating UNTIL taken as UTC)."""
    if shape.all_day:
        return _day(until)
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
    if _utc(shape.local(day)) > _utc(instant):
        day -= timedelta(days=1)
    return day


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _exdate_days(value: Value, shape: _Shape, rule: Rrule) -> set[date]:
    """The days whose occurrence recurring-ical-events removes for an EXDATE: a date removes
    every occurrence on that day (in DTSTART's zone), a date-time only the one it names."""
    if isinstance(value, datetime):
        return _named_days(value, shape, rule)
    return {value} if bxrule.occurs_on(shape.day, rule, value) else set()


def _named_days(value: Value, shape: _Shape, rule: Rrule) -> set[date]:
    """The days whose occurrence recurring-ical-events identifies with `value` (a RECURRENCE-ID
    or a date-time EXDATE): one whose UTC or wall-clock key equals one of the value's own keys.
    A date's only key is its midnight, so a date names a timed occurrence only at midnight."""
    candidates = set()
    for key in _recurrence_keys(value):
        if key.time() == shape.clock:
            candidates.add(key.date())
        if shape.zone is not None:
            local = key.replace(tzinfo=timezone.utc).astimezone(shape.zone)
            if local.replace(tzinfo=None).time() == shape.clock:
                candidates.add(local.date())
    return {day for day in candidates if bxrule.occurs_on(shape.day, rule, day)}


def _check_rdates(rdates: list[Any], shape: _Shape, rule: Rrule) -> None:
    """An RDATE that is already an occurrence adds nothing (a set has no duplicates)."""
    for value in rdates:
        if isinstance(value, datetime) and shape.zone is not None:
            value = (
                value.astimezone(shape.zone) if value.tzinfo else value.replace(tzinfo=shape.zone)
            )
        clock = value.time() if isinstance(value, datetime) else time(0)
        if clock != shape.clock or not bxrule.occurs_on(shape.day, rule, _day(value)):
            raise _NotSeries("RDATE dates cannot be held by Bitrix24")


def _override_day(
    event: Event, shape: _Shape, rule: Rrule, removed: set[date], replaced: set[date]
) -> date:
    """The day of the one occurrence a RECURRENCE-ID VEVENT names (marked as replaced)."""
    recurrence_id: Value = _dt(event, "RECURRENCE-ID")
    if any(name in event for name in ("RRULE", "RDATE", "EXDATE")):
        raise _NotSeries("a RECURRENCE-ID VEVENT with its own rule")
    days = _named_days(recurrence_id, shape, rule)
    if len(days) != 1:
        raise _NotSeries(f"RECURRENCE-ID {_show(recurrence_id)} matches no single occurrence")
    (day,) = days
    if day in removed or day in replaced:
        raise _NotSeries(f"RECURRENCE-ID {_show(recurrence_id)} names a removed occurrence")
    replaced.add(day)
    return day


def _tail_segment(event: Event, shape: _Shape, day: date) -> _Segment:
    """The set from `day` on, with the fields of a RANGE=THISANDFUTURE VEVENT:
    recurring-ical-events moves every later occurrence by the VEVENT's shift, which parts from
    its start hold while the shift keeps the day, the zone and all-day vs. timed."""
    start: Value = _dt(event, "DTSTART")
    if isinstance(start, datetime) != (not shape.all_day):
        raise _NotSeries("RANGE=THISANDFUTURE changes all-day into timed")
    if isinstance(start, datetime):
        zone = start.tzinfo
        if (zone is None) != (shape.zone is None) or (
            zone is not None and str(zone) != str(shape.zone)
        ):
            raise _NotSeries("RANGE=THISANDFUTURE moves the series to another time zone")
    if _day(start) != day:
        raise _NotSeries("RANGE=THISANDFUTURE moves the series to other days")
    return _Segment(day=day, start=start, end=_span(event)[1], component=event)


def _run_ends_before(run: _Run, since: date) -> bool:
    """Whether a part's last occurrence and every override it holds end before `since`."""
    ends = [o.end for o in run.overrides + run.standalone]
    if run.part is not None:
        if run.stop is None:
            return False
        first = _day(run.part.start)
        last = bxrule.last_day(first, run.part.rrule)
        if last is None:
            return False
        ends.append(run.part.end + (last - first))
    return all(_ends_before(end, since) for end in ends)


def _ends_before_since(override: OverridePlan, ctx: RecurrenceContext) -> bool:
    return ctx.since is not None and _ends_before(override.end, ctx.since)


def _ends_before(end: Value, since: date) -> bool:
    if isinstance(end, datetime):
        limit = datetime.combine(since, time(0), tzinfo=end.tzinfo)
        return _utc(end) <= _utc(limit) if end.tzinfo else end <= limit
    return end <= since


# --- the occurrence side ---------------------------------------------------------------------


def _occurrences_plan(
    master: Event, overrides: list[Event], ctx: RecurrenceContext, reason: str
) -> OccurrencesPlan | None:
    try:
        found = _expand(master, overrides, ctx)
    except (rie.InvalidCalendar, rie.BadRuleStringFormat, rie.PeriodEndBeforeStart) as exc:
        raise UnreadableRecurrence(_unreadable(exc)) from None
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise UnreadableRecurrence(_unreadable(exc)) from None
    plan = OccurrencesPlan()
    for item in found.items:
        if item.component is not master and is_cancelled(item.component):
            plan.cancelled.append(item.recurrence_id)
        else:
            plan.instances.append(item)
    if not plan.instances and not plan.cancelled and ctx.since is not None:
        return None
    plan.instances.sort(key=lambda i: _sort_key(i.recurrence_id, ctx))
    plan.cancelled.sort(key=lambda v: _sort_key(v, ctx))
    count = len(plan.instances)
    if found.capped:
        last = _day(plan.instances[-1].start).isoformat() if count else "-"
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
    start: Value = _dt(master, "DTSTART")
    frame = start.tzinfo if isinstance(start, datetime) else None
    horizon = datetime.combine(ctx.horizon_end, time(0), tzinfo=frame)
    earliest = min(_in_frame(_dt(event, "DTSTART"), frame, ctx) for event in events)
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
        batch.sort(key=lambda found: _sort_key(_aware(found.start, ctx), ctx))
        for found in batch:
            item = _instance(found, owner, ctx)
            if ctx.since is not None and _ends_before(item.end, ctx.since):
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
    rules = _as_list(master.get("RRULE"))
    if ctx.since is None or len(rules) != 1 or "RDATE" in master:
        return master
    rule = rules[0]
    freq = str(rule.get("FREQ", [""])[0]).upper()
    if freq not in _SUB_DAILY or "COUNT" in rule or "BYSETPOS" in rule:
        return master
    start, end = _span(master)
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
    original: Value = found.original if found.original is not None else _dt(event, "RECURRENCE-ID")
    if not isinstance(found.start, datetime) and isinstance(original, datetime):
        original = original.date()
    return Instance(
        recurrence_id=_aware(original, ctx),
        start=_aware(found.start, ctx),
        end=_aware(found.end, ctx),
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
    rules = _as_list(master.get("RRULE"))
    if any("COUNT" not in rule and "UNTIL" not in rule for rule in rules):
        return True
    return any(True for _ in series.between(horizon, horizon + _FINITE_LOOKAHEAD))


_FINITE_LOOKAHEAD = timedelta(days=366 * 100)


def _aware(value: Value, ctx: RecurrenceContext) -> Value:
    """Floating date-times are read in the floating zone; dates stay dates."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=ctx.floating_zone)
    return value


def _sort_key(value: Value, ctx: RecurrenceContext) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=ctx.floating_zone)
    return _utc(_aware(value, ctx))  # type: ignore[arg-type]


def _show(value: Value) -> str:
    if isinstance(value, datetime):
        zone = f" {value.tzinfo}" if value.tzinfo is not None else ""
        return f"{value:%Y-%m-%dT%H:%M:%S}{zone}"
    return value.isoformat()
