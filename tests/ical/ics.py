"""Small builders so tests can state a VEVENT in a few lines of iCalendar."""

from __future__ import annotations

import icalendar

from ics2b24.ical.read import read_input


def calendar(*events: str, header: str = "") -> bytes:
    """A VCALENDAR (CRLF) around VEVENT bodies; each body is lines without BEGIN/END."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ics2b24 tests//EN"]
    lines += [line for line in header.strip().splitlines() if line.strip()]
    for body in events:
        lines.append("BEGIN:VEVENT")
        lines += [line.strip() for line in body.strip().splitlines() if line.strip()]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def vevent(body: str, header: str = "") -> icalendar.Component:
    """The one VEVENT of a calendar built from `body`."""
    read = read_input("test.ics", calendar(body, header=header))
    return read.events[0].component
