"""The portal's events of one section, read as `calendar.event.get` rows (50 windows to a
request) and by id (`calendar.event.getbyid`, 50 to a request): what every command that
compares the section with an input reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from ics2b24.app.session import Connection
from ics2b24.app.target import Target
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.rows import listed_rows, parse_event, parse_events
from ics2b24.model import DesiredEvent
from ics2b24.plan.compare import shifted
from ics2b24.plan.identity import sent_days
from ics2b24.plan.ops import Key
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent

_READ_BATCH = 50


def read_remote(client: Client, target: Target, section_id: int,
                events: Sequence[DesiredEvent], records: Sequence[Record],
                sent: Mapping[Key, str] | None = None) -> list[RemoteEvent]:
    """The portal's side: `calendar.event.get` over the window the input covers (and the
    days of creations a run that died sent, `sent`), then `getbyid` for every series (its
    own row, not an occurrence's) and for every recorded event outside the window."""
    found: dict[int, RemoteEvent] = {}
    window = _window(events, [d for i in (sent or {}).values() if (d := sent_days(i))])
    if window is not None:
        rows = event_rows(client, target, section_id, *window)
        found = {e.id: e for e in parse_events(rows)}
    wanted = {e.id for e in found.values() if e.params.rrule is not None}
    wanted |= {r.event_id for r in records if r.event_id not in found}
    for event in get_by_ids(client, sorted(wanted)):
        found[event.id] = event
    return [found[k] for k in sorted(found)]


def event_rows(client: Client, target: Target, section_id: int, first: date,
               last: date) -> list[Any]:
    """The section's `calendar.event.get` rows from `first` to `last`."""
    return listed_rows(client.call("calendar.event.get",
                                   event_get_params(target, section_id, first, last)))


def event_get_params(target: Target, section_id: int, first: date,
                     last: date) -> dict[str, Any]:
    """What `calendar.event.get` is asked for the section from `first` to `last`: one
    place, so that verify's month views are read exactly as a whole window is."""
    return {"type": target.type, "ownerId": target.owner, "section": [section_id],
            "from": first.isoformat(), "to": last.isoformat()}


def reading(connection: Connection, what: str) -> Callable[[int, int], None] | None:
    """Told `(read, of)` before each request of a long read: the status line says it."""
    status = connection.hooks.status
    if status is None:
        return None
    return lambda read, of: status(f"reading {what}… {read}/{of}")


def get_by_ids(client: Client, ids: Sequence[int],
               reading: Callable[[int, int], None] | None = None) -> list[RemoteEvent]:
    """Each event as `getbyid` answers it (a series with its own start, not an
    occurrence's), 50 to a request; one that is gone is left out."""
    out = []
    for start in range(0, len(ids), _READ_BATCH):
        if reading is not None:
            reading(start, len(ids))
        chunk = ids[start:start + _READ_BATCH]
        answer = client.batch({f"g{i}": ("calendar.event.getbyid", {"id": event_id})
                               for i, event_id in enumerate(chunk)})
        for index, event_id in enumerate(chunk):
            row = answer.results.get(f"g{index}")
            if isinstance(row, dict) and row.get("ID"):
                out.append(parse_event(row))
            elif row not in (None, False, [], {}):
                raise answers.unexpected(f"calendar.event.getbyid {event_id}", row, "an event")
    return out


def _window(events: Sequence[DesiredEvent],
            spans: Sequence[tuple[str, str]] = ()) -> tuple[date, date] | None:
    days: list[str] = [day for span in spans for day in span]
    for event in events:
        days += [event.params.date_from[:10], event.params.date_to[:10], *event.exdate]
    if not days:
        return None
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    return shifted(first, -1), shifted(last, 1)
