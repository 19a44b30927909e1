"""What planning a recurrence set yields (ical/recurrence/__init__.py): the context it is
planned in, the plans the converter writes as lines, and the two ways a set is not a series,
kept apart from the planning so that every stage can name them without importing another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Event

from ics2b24.ical.structure import plain_reason
from ics2b24.model import Rrule

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


class NotSeries(Exception):
    """Why the recurrence set cannot be one Bitrix24 series (the text ends up in a warning)."""


def unreadable(exc: Exception) -> str:
    """A sentence about the input, never Python's words about the libraries' internals."""
    if isinstance(exc, OverflowError):
        return "its recurrence reaches a date out of the range a calendar can hold"
    fallback = "its recurrence (RRULE, RDATE or EXDATE) has a value that cannot be read"
    reason = plain_reason(exc, fallback)
    return reason if reason == fallback else f"its recurrence cannot be read: {reason}"

