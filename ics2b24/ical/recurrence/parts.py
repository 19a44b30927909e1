"""A series cut into the consecutive COUNT-bounded parts that are written: around every
skipped day and at every THISANDFUTURE split, analytically (by occurrence index), and into
the pieces the current portal shows exactly in every view (docs/convert-contract.md,
"Parts"; docs/test-portal.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from ics2b24.ical import bxrule
from ics2b24.ical.recurrence.matching import Segment
from ics2b24.ical.recurrence.plans import OverridePlan, PartPlan, RecurrenceContext, Value
from ics2b24.ical.recurrence.values import Shape, aware, calendar_day, ends_before
from ics2b24.model import WEEKDAYS, Rrule


def moved_onto_first_day(runs: list[Run], moved: dict[date, OverridePlan]) -> list[date]:
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
class Run:
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
class Walk:
    """What every stretch of one series is cut by: its shape, its rule, the rule's pattern
    without COUNT/UNTIL (occurrences are counted by index in it) and the context."""

    shape: Shape
    rule: Rrule
    pattern: Rrule
    ctx: RecurrenceContext

    def index(self, day: date) -> int:
        return bxrule.count_before(self.shape.day, self.pattern, day)


def runs_of(walk: Walk, master: Segment, splits: list[Segment], removed: set[date],
            moved: dict[date, OverridePlan]) -> list[Run]:
    """Cut the set into consecutive stretches, analytically: by the index of each skipped day
    (a stretch ends before it, the next begins after it) and of each THISANDFUTURE split (a
    stretch ends before it, the next begins on it, with the split's fields). Each stretch is
    written as the parts `_pieces` says the portal shows exactly."""
    cuts: list[tuple[int, Segment | None]] = sorted(
        [(walk.index(day), None) for day in removed]
        + [(walk.index(split.day), split) for split in splits],
        key=lambda cut: cut[0],
    )
    held = {walk.index(day): plan for day, plan in moved.items()}
    runs: list[Run] = []
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


def _stretch(walk: Walk, segment: Segment, begin: int, stop: int | None,
             held: dict[int, OverridePlan], before: list[Run]) -> list[Run]:
    """The runs of the indices [begin, stop) of `segment`, after the runs `before` it: a
    moved occurrence (`held`) on a piece's first index, once a run exists, is written alone
    and taken from `held`; a part after the series' first part carries a recurrence id."""
    runs: list[Run] = []
    shape, pattern = walk.shape, walk.pattern
    for first, step, end in _pieces(shape.day, pattern, begin, stop):
        while (before or runs) and first in held and (end is None or first < end):
            runs.append(Run(None, first, first + 1, standalone=[held.pop(first)]))
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
                runs.append(Run(None, at, at + 1, standalone=[alone]))
            continue
        original = shape.local(day) if not shape.all_day else day
        part = PartPlan(
            recurrence_id=(aware(original, walk.ctx) if _parts(before) or _parts(runs)
                           else None),
            start=aware(segment.start + shift, walk.ctx),
            end=aware(segment.end + shift, walk.ctx),
            rrule=_written_rule(walk.rule, shape, day, step, count, last),
            component=segment.component,
        )
        runs.append(Run(part, first, end, step))
    return runs


def _parts(runs: list[Run]) -> list[PartPlan]:
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


def _alone(shape: Shape, pattern: Rrule, segment: Segment, at: int,
           ctx: RecurrenceContext) -> OverridePlan:
    """Occurrence `at` of the set as an occurrence of its own, with the segment's fields."""
    day = bxrule.nth_day(shape.day, pattern, at)
    assert day is not None
    shift = day - segment.day
    original = shape.local(day) if not shape.all_day else day
    return OverridePlan(recurrence_id=aware(original, ctx),
                        start=aware(segment.start + shift, ctx),
                        end=aware(segment.end + shift, ctx), component=segment.component)


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


def _written_rule(rule: Rrule, shape: Shape, day: date, step: int, count: int | None,
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


def run_ends_before(run: Run, since: date) -> bool:
    """Whether a part's last occurrence and every override it holds end before `since`."""
    ends = [o.end for o in run.overrides + run.standalone]
    if run.part is not None:
        if run.stop is None:
            return False
        first = calendar_day(run.part.start)
        last = bxrule.last_day(first, run.part.rrule)
        if last is None:
            return False
        ends.append(run.part.end + (last - first))
    return all(ends_before(end, since) for end in ends)

