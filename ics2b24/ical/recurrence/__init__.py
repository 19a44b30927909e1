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

The planning is split by stage: `plans` (what it yields), `values` (dates placed in time),
`subset` (the rules a series holds), `matching` (what EXDATEs and RECURRENCE-IDs name),
`parts` (a series cut into what is written), `series` and `expand` (the two sides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from icalendar import Event, vDDDTypes

from ics2b24.ical.recurrence.expand import occurrences_plan
from ics2b24.ical.recurrence.matching import recurrence_key
from ics2b24.ical.recurrence.plans import (
    Instance,
    NotSeries,
    OccurrencesPlan,
    OverridePlan,
    PartPlan,
    RecurrenceContext,
    SeriesPlan,
    UnreadableRecurrence,
    unreadable,
)
from ics2b24.ical.recurrence.series import series_plan
from ics2b24.ical.recurrence.subset import until_day
from ics2b24.ical.recurrence.values import Shape, as_list, shape_of, span_of

__all__ = [
    "Instance",
    "OccurrencesPlan",
    "OverridePlan",
    "PartPlan",
    "RecurrenceContext",
    "SeriesPlan",
    "UnreadableRecurrence",
    "drop_rules_ending_before_start",
    "plan_recurrence",
    "recurrence_key",
]


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
        return series_plan(master, list(overrides), ctx)
    except NotSeries as why:
        return occurrences_plan(master, list(overrides), ctx, str(why))
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise UnreadableRecurrence(unreadable(exc)) from None


def _check_rules(master: Event) -> None:
    """What no expansion can read: a rule in another calendar system (RFC 7529 RSCALE, as
    Apple writes lunar birthdays), or an INTERVAL below 1 (0 would loop without end)."""
    for rule in as_list(master.get("RRULE")):
        scale = str(rule.get("RSCALE", ["GREGORIAN"])[0]).upper()
        if scale != "GREGORIAN":
            raise UnreadableRecurrence(f"its RRULE counts in the {scale} calendar "
                                       "(RSCALE), which cannot be converted to dates")
        if any(int(n) < 1 for n in rule.get("INTERVAL", [1])):
            raise ValueError("RRULE INTERVAL must be at least 1")


def drop_rules_ending_before_start(master: Event) -> list[str]:
    """Take out of `master` each RRULE whose UNTIL comes before DTSTART, with a note for each.

    RFC 5545 makes DTSTART the first occurrence whatever the rule says, but
    recurring-ical-events (dateutil) expands such a rule to nothing, and the event would
    vanish without a word; without the rule, DTSTART (and any RDATE) is what is left.
    """
    try:
        rules = as_list(master.get("RRULE"))
        shape = shape_of(span_of(master)[0])
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


def _until_before_start(until: Any, shape: Shape) -> bool:
    """Whether UNTIL comes before the first day; one that cannot be read is left to
    `plan_recurrence`, which says so."""
    try:
        return until_day(until, shape) < shape.day
    except (ValueError, TypeError, AttributeError, OverflowError):
        return False

