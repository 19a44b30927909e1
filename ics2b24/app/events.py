"""The read behind `ics2b24 events list`: what the target section holds, as the calendar shows
it. The portal expands every series itself: `calendar.event.get` over the window answers one
row per occurrence (a series' rows all carry its ID, a moved occurrence is an event of its own
naming its series in RECURRENCE_ID), and each row is listed as it comes, so the listing is
what a user opening those days sees, not what the state DB or the input says should be there.
The section is chosen as push chooses it (app/session.py `section_to_read`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any

from ics2b24.app.reads import event_rows
from ics2b24.app.sections import PortalSection
from ics2b24.app.session import Connection, section_to_read
from ics2b24.bitrix.rows import date_order, parse_event
from ics2b24.errors import UsageError
from ics2b24.model import EventParams
from ics2b24.plan.compare import Window, occurrence_of, shifted

PAST = 30
SPAN = 365
"""The default window, in days: from 30 days before today to 365 days after: the recent past a user
checks after a migration and the year ahead they plan in. Given one end alone, the window
spans 365 days from `--from` or up to `--to`."""


@dataclass(frozen=True)
class Listed:
    """One occurrence as the portal returned it; `series` is the series a moved occurrence
    was detached from."""

    id: int
    params: EventParams
    series: int | None

    @property
    def kind(self) -> str:
        if self.series is not None:
            return "moved"
        return "series" if self.params.rrule is not None else "single"

    def to_json(self) -> dict[str, Any]:
        params = self.params
        return {"id": self.id, "name": params.name, "kind": self.kind, "series": self.series,
                "all_day": params.skip_time, "from": params.date_from, "to": params.date_to,
                "timezone_from": params.timezone_from, "timezone_to": params.timezone_to}

    def when(self) -> str:
        """Start and end as the event's own zone shows them, the end's day only when it is
        another: `2025-03-04 14:00..15:00 Europe/Berlin`, `2025-05-19..2025-05-23 all day`."""
        params = self.params
        first, last = params.date_from.replace("T", " ")[:16], params.date_to.replace("T", " ")[:16]
        if params.skip_time:
            return f"{first if first == last else f'{first}..{last}'} all day"
        end = last[11:] if last[:10] == first[:10] else last
        zone_from, zone_to = params.timezone_from or "", params.timezone_to or ""
        if zone_to and zone_to != zone_from:
            return f"{first} {zone_from}".rstrip() + f"..{last} {zone_to}"
        return f"{first}..{end} {zone_from}".rstrip()


@dataclass(frozen=True)
class Listing:
    section: PortalSection
    window: Window
    occurrences: list[Listed]

    @property
    def events(self) -> int:
        return len({listed.id for listed in self.occurrences})

    def lines(self) -> list[str]:
        """One aligned line per occurrence: when, `#ID`, kind, name."""
        rows = [(o.when(), f"#{o.id}",
                 f"moved from #{o.series}" if o.series is not None else o.kind, o.params.name)
                for o in self.occurrences]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
        return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                           row[3]]) for row in rows]


def window_of(first: date | None, last: date | None, today: date) -> Window:
    """The days `--from`/`--to` choose, the ends not given defaulting as `SPAN` says."""
    if first is not None and last is not None:
        return Window.chosen(first, last)
    if first is not None:
        return Window(first, shifted(first, SPAN))
    if last is not None:
        return Window(shifted(last, -SPAN), last)
    return Window(shifted(today, -PAST), shifted(today, SPAN))


def list_events(connection: Connection, first: date | None = None,
                last: date | None = None) -> Listing:
    """The target section's occurrences over `window_of(first, last)`, sorted by start
    (all-day ones by their day, before the day's timed ones), then event ID."""
    window = window_of(first, last, date.today())
    with closing(connection.client()) as client:
        section = section_to_read(client, connection)
        if section is None:
            name = (connection.target.section_name or "").strip()
            raise UsageError(f"no section named {name!r} in this calendar (push creates it)")
        rows = event_rows(client, connection.target, section.id, window.first, window.last)
    return Listing(section, window, _listed(rows))


def _listed(rows: Sequence[Any]) -> list[Listed]:
    order = date_order(rows)
    found = []
    for row in rows:
        event = parse_event(row, order)
        found.append(Listed(event.id, event.params, event.recurrence_id))
    return sorted(found, key=lambda o: (occurrence_of(o.params, "").start, o.id))
