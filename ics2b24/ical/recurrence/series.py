"""The series side of a recurrence set: the proof that Bitrix24 series hold it (its rule in
the subset, its RDATEs already occurrences, its overrides each naming one occurrence) and
the `SeriesPlan` of the parts, overrides and standalone occurrences that write it."""

from __future__ import annotations

from icalendar import Event

from ics2b24.ical.recurrence.matching import Segment, excluded_days, sort_overrides
from ics2b24.ical.recurrence.parts import (
    Run,
    Walk,
    moved_onto_first_day,
    run_ends_before,
    runs_of,
)
from ics2b24.ical.recurrence.plans import (
    NotSeries,
    OverridePlan,
    RecurrenceContext,
    SeriesPlan,
)
from ics2b24.ical.recurrence.subset import check_rdates, check_zones, subset_rule
from ics2b24.ical.recurrence.values import (
    as_list,
    aware,
    ends_before,
    shape_of,
    sort_key,
    span_of,
    values_of,
)
from ics2b24.model import Rrule


def series_plan(
    master: Event, overrides: list[Event], ctx: RecurrenceContext
) -> SeriesPlan | None:
    start, end = span_of(master)
    rules = as_list(master.get("RRULE"))
    if not rules:
        raise NotSeries("RDATE dates cannot be held by Bitrix24")
    if len(rules) > 1:
        raise NotSeries("several RRULEs cannot be held by Bitrix24")
    exdates = values_of(master.get("EXDATE"))
    rdates = values_of(master.get("RDATE"))
    check_zones(start, end, exdates + rdates)
    shape = shape_of(start)
    rule = subset_rule(dict(rules[0]), shape)
    check_rdates(rdates, shape, rule)
    removed, warnings = excluded_days(exdates, shape, rule)
    sorted_out = sort_overrides(overrides, shape, rule, removed, ctx)
    plan = SeriesPlan(
        rrule=rule,
        start=aware(start, ctx),
        end=aware(end, ctx),
        skipped=sorted(removed),
        cancelled=sorted(sorted_out.cancelled, key=lambda v: sort_key(v, ctx)),
        warnings=warnings,
    )
    walk = Walk(shape, rule, Rrule(freq=rule.freq, interval=rule.interval, byday=rule.byday),
                ctx)
    master_segment = Segment(day=shape.day, start=start, end=end, component=master)
    moved, alone = sorted_out.moved, sorted_out.alone
    runs = runs_of(walk, master_segment, sorted_out.splits, removed, moved)
    while landing := moved_onto_first_day(runs, moved):
        for day in landing:
            removed.add(day)
            alone.append(moved.pop(day))
        runs = runs_of(walk, master_segment, sorted_out.splits, removed, moved)
    if ctx.since is not None:
        runs = [run for run in runs if not run_ends_before(run, ctx.since)]
        if not runs:
            return None
    return _filled(plan, runs, [o for o in alone if not _ends_before_since(o, ctx)], ctx)


def _filled(plan: SeriesPlan, runs: list[Run], alone: list[OverridePlan],
            ctx: RecurrenceContext) -> SeriesPlan | None:
    """`plan` with the parts, overrides and standalone occurrences of `runs` and `alone`;
    None when under --since nothing of it is left to write."""
    plan.standalone += alone
    for run in runs:
        if run.part is not None:
            plan.parts.append(run.part)
        plan.overrides += run.overrides
        plan.standalone += run.standalone
    plan.overrides.sort(key=lambda p: sort_key(p.recurrence_id, ctx))
    plan.standalone.sort(key=lambda p: sort_key(p.recurrence_id, ctx))
    if not (plan.parts or plan.standalone or plan.cancelled) and ctx.since is not None:
        return None
    return plan


def _ends_before_since(override: OverridePlan, ctx: RecurrenceContext) -> bool:
    return ctx.since is not None and ends_before(override.end, ctx.since)

