"""A company's calendars, person by person: which copy of a meeting each calendar writes.

A meeting is in the export of its organizer and of every attendee. By default (`copies`)
each person keeps their own copy, as a plain event that invites nobody. With `organizer`, a
meeting whose organizer is one of the people moved (and whose export holds it) is written
once, from the organizer's calendar, with the others as its attendees: the portal then shows
it in their calendars itself. Their own copies are left out, so nobody sees it twice; a
person whose export holds it without being among its attendees (a forwarded invitation)
keeps their copy, so nobody loses it either. Data in, data out: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ics2b24.ical.scan import Meeting

MeetingMode = Literal["copies", "organizer"]


@dataclass(frozen=True)
class PersonCalendar:
    """One calendar of one person of the export, `person` their address (lower case)."""

    person: str
    meetings: tuple[Meeting, ...]


def writers(calendars: Sequence[PersonCalendar], moved: frozenset[str]) -> dict[str, int]:
    """UID → the calendar (index) that writes it as a meeting: the first calendar of its
    organizer that holds it, where the organizer is one of the `moved` people and the
    meeting has attendees."""
    found: dict[str, int] = {}
    for index, calendar in enumerate(calendars):
        for meeting in calendar.meetings:
            if (meeting.uid not in found and meeting.attendees
                    and meeting.organizer == calendar.person and calendar.person in moved):
                found[meeting.uid] = index
    return found


def left_out(calendars: Sequence[PersonCalendar], mode: MeetingMode,
             moved: frozenset[str]) -> list[frozenset[str]]:
    """Per calendar, the UIDs it does not write: none with `copies`; with `organizer`, the
    copies of a meeting its organizer's calendar writes, in the organizer's other calendars
    and in the calendars of its attendees."""
    if mode == "copies":
        return [frozenset() for _ in calendars]
    by_uid = writers(calendars, moved)
    out: list[frozenset[str]] = []
    for index, calendar in enumerate(calendars):
        skipped = set()
        for meeting in calendar.meetings:
            writer = by_uid.get(meeting.uid)
            if writer is None or writer == index:
                continue
            written = calendars[writer]
            invited = next(m for m in written.meetings if m.uid == meeting.uid).attendees
            if calendar.person == written.person or calendar.person in invited:
                skipped.add(meeting.uid)
        out.append(frozenset(skipped))
    return out
