"""What a company migration learns of one calendar before converting it: its name and, per
UID, the organizer and attendees (plan/company.py decides from them which copy of a meeting
is written where)."""

from __future__ import annotations

from dataclasses import dataclass

from ics2b24.ical.people import attendee_addresses, organizer_address
from ics2b24.ical.read import prop, read_input
from ics2b24.ical.section import section_of


@dataclass(frozen=True)
class Meeting:
    """One UID of a calendar, with the addresses (lower case) of its organizer and attendees
    as that calendar's copy has them."""

    uid: str
    organizer: str | None = None
    attendees: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CalendarScan:
    name: str | None
    """NAME / X-WR-CALNAME of its first VCALENDAR, if it has one."""
    meetings: tuple[Meeting, ...]
    """One per UID, from its first VEVENT (the series, or a single event)."""
    events: int
    """VEVENTs in it, moved occurrences included."""


def scan_calendar(name: str, data: bytes) -> CalendarScan:
    """ParseError for what cannot be read at all, as `convert` would raise it."""
    read = read_input(name, data)
    first: dict[str, Meeting] = {}
    for source in read.events:
        uid = str(prop(source.component, "UID") or "").strip()
        if uid and uid not in first:
            first[uid] = Meeting(uid, organizer_address(source.component),
                                 attendee_addresses(source.component))
    section = section_of(read.calendars[0]) if read.calendars else None
    return CalendarScan(section.name if section else None, tuple(first.values()),
                        len(read.events))
