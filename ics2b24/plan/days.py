"""Which day an occurrence is, and which part of a series holds it: shared by the diff and by
`verify` (plan/compare.py), so both place a moved occurrence on the same part."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from ics2b24.ical import bxrule
from ics2b24.model import DesiredEvent, EventParams, parse_recurrence_id


def start_day(params: EventParams) -> date:
    return date.fromisoformat(params.date_from[:10])


def occurrence_day(recurrence_id: str, zone: str | None) -> str:
    """`current_date_from` for an occurrence: its day in the series' zone."""
    original = parse_recurrence_id(recurrence_id)
    if not isinstance(original, datetime):
        return original.isoformat()
    return original.astimezone(ZoneInfo(zone) if zone else timezone.utc).date().isoformat()


def holder(parts: Sequence[DesiredEvent], recurrence_id: str) -> DesiredEvent | None:
    """The series part an occurrence belongs to: the last of a uid's parts (first part
    first, then by recurrence id) starting at or before the occurrence whose rule has its
    day — parts written one per weekday start close together (docs/convert-contract.md,
    "Parts")."""
    found = None
    for part in sorted(parts, key=lambda p: p.recurrence_id or ""):
        if (part.recurrence_id or "") <= recurrence_id and _generates(part, recurrence_id):
            found = part
    return found


def _generates(part: DesiredEvent, recurrence_id: str) -> bool:
    rule = part.params.rrule
    if rule is None:
        return False
    day = date.fromisoformat(occurrence_day(recurrence_id, part.params.timezone_from))
    return bxrule.occurs_on(start_day(part.params), rule, day)
