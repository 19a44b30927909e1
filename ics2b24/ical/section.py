"""VCALENDAR metadata → the target section's name, description and colour."""

from __future__ import annotations

import icalendar

from ics2b24.ical.colors import to_hex
from ics2b24.model import Section


def section_of(calendar: icalendar.Calendar) -> Section | None:
    """RFC 7986 names first, then the X-WR-/X-APPLE- ones most exporters still write."""
    name = _first(calendar, "NAME", "X-WR-CALNAME")
    description = _first(calendar, "DESCRIPTION", "X-WR-CALDESC")
    color_text = _first(calendar, "COLOR", "X-APPLE-CALENDAR-COLOR", "X-OUTLOOK-COLOR")
    color = to_hex(color_text) if color_text else None
    if not (name or description or color):
        return None
    return Section(name=name, description=description, color=color)


def _first(calendar: icalendar.Calendar, *names: str) -> str | None:
    for name in names:
        value = calendar.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).strip():
            return str(value).strip()
    return None
