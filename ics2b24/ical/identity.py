"""What names one event and one of its occurrences across the VEVENTs of an input: its UID
(a stand-in for a producer that left it out), the version that counts (SEQUENCE), its
RECURRENCE-ID, and the start an EXDATE names, each read as recurring-ical-events (the
reference) reads them, so that the converter groups and picks what the reference does."""

from __future__ import annotations

import hashlib
from collections.abc import Container
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar

from ics2b24.ical.fields import BrokenEvent
from ics2b24.ical.read import SourceEvent, as_aware, prop
from ics2b24.model import format_recurrence_id


def uid_of(event: icalendar.Component, taken: Container[str]) -> str:
    """The UID, or a stand-in for a producer that left it out: stable while the input is, and
    never merging two UID-less events into versions of one."""
    value = prop(event, "UID")
    uid = str("" if value is None else value).strip()
    if uid:
        return uid
    try:
        start = getattr(event.get("DTSTART"), "dt", "")
    except ValueError:
        start = ""
    seed = f"{start}|{event.get('SUMMARY', '')}"
    stand_in = "ics2b24-" + hashlib.sha1(seed.encode("utf-8", "replace")).hexdigest()[:20]
    number = 1
    candidate = stand_in
    while candidate in taken:
        number += 1
        candidate = f"{stand_in}-{number}"
    return candidate


def recurrence_id_text(value: date | datetime, floating: ZoneInfo) -> str:
    """The `recurrence_id` of an occurrence, a floating one read in `floating`."""
    if not isinstance(value, datetime):
        return format_recurrence_id(value)
    return format_recurrence_id(as_aware(value, floating))



def sequence_of(source: SourceEvent) -> int:
    """SEQUENCE, -1 when absent or unreadable (below an explicit 0, as the reference has it)."""
    value = prop(source.component, "SEQUENCE")
    try:
        return -1 if value is None else int(str(value))
    except ValueError:
        return -1



def excludes(event: icalendar.Component, start: date | datetime) -> bool:
    """Whether an EXDATE names `start`: a date names its day, a date-time its instant (or its
    wall-clock time, where one of the two is floating)."""
    value = prop(event, "EXDATE")
    for entry in value if isinstance(value, list) else [value] if value is not None else []:
        for item in getattr(entry, "dts", []):
            excluded = getattr(item, "dt", None)
            if _names(excluded, start):
                return True
    return False


def _names(excluded: object, start: date | datetime) -> bool:
    if not isinstance(excluded, datetime):
        day = start.date() if isinstance(start, datetime) else start
        return excluded == day
    if not isinstance(start, datetime):
        return excluded.replace(tzinfo=None) == datetime.combine(start, datetime.min.time())
    if (excluded.tzinfo is None) != (start.tzinfo is None):
        return excluded.replace(tzinfo=None) == start.replace(tzinfo=None)
    return excluded == start



def recurrence_id_of(event: icalendar.Component) -> date | datetime:
    value = getattr(event["RECURRENCE-ID"], "dt", None)
    if not isinstance(value, date):
        raise BrokenEvent("its RECURRENCE-ID is not a date or date-time")
    return value



def same_instant(a: date | datetime, b: date | datetime, floating: ZoneInfo) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return as_aware(a, floating) == as_aware(b, floating)
    if isinstance(a, datetime) or isinstance(b, datetime):
        return False
    return a == b
