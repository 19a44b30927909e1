"""The reads behind `ics2b24 backup`: the target section's rows over the window (what the
calendar shows), then `getbyid` for every series (its own start and rule), for the series
of every moved occurrence, and for every event whose row leaves its description out (an
older portal's rows); the file itself is made by the pure plan/backup.py. Nothing is
written to the portal or the state DB (it is only read, for the section a name means)."""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ics2b24.app.reads import event_rows, get_by_ids
from ics2b24.app.session import Connection, section_to_read
from ics2b24.app.verify import target_section_id, wider
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.rows import parse_events, shown
from ics2b24.errors import OutputError
from ics2b24.plan.backup import SectionBackup, section_backup
from ics2b24.plan.compare import Window


def default_window(today: date, years_back: int, years_ahead: int) -> tuple[date, date]:
    return today - timedelta(days=365 * years_back), today + timedelta(days=365 * years_ahead)


def save_before_push(connection: Connection, path: Path,
                     window: tuple[date, date]) -> SectionBackup | None:
    """`push --backup FILE`: what the target section holds, written to `path` before push
    changes anything; None (and no file) when the section does not exist yet, or this run
    made it (`Connection.section`: it holds nothing to save)."""
    if connection.section is not None and connection.section.created:
        return None
    with closing(connection.client()) as client:
        found = section_to_read(client, connection)
        if found is None:
            return None
        made = _section_file(client, connection, found.id, Window(*window))
    try:
        path.write_bytes(made.calendar)
    except OSError as exc:
        raise OutputError(f"--backup {path}: cannot be written: {exc.strerror}") from None
    return made


def backup(connection: Connection, first: date, last: date) -> tuple[SectionBackup, int]:
    """The section as .ics, and the number of HTTP requests it took."""
    window = Window.chosen(first, last)
    with closing(connection.client()) as client:
        made = _section_file(client, connection, target_section_id(client, connection), window)
        return made, client.requests_sent


def _section_file(client: Client, connection: Connection, section: int,
                  window: Window) -> SectionBackup:
    target = connection.target
    rows = event_rows(client, target, section, *wider(window))
    listed = {e.id: e for e in parse_events(rows)}
    wanted = {e.id for e in listed.values()
              if e.params.rrule is not None or not e.description_known}
    wanted |= {e.recurrence_id for e in listed.values()
               if e.recurrence_id is not None and e.recurrence_id not in listed}
    own = {e.id: e for e in get_by_ids(client, sorted(wanted))}
    events = [replace(own.get(i, event), occurrences=event.occurrences)
              for i, event in listed.items()]
    events += [e for i, e in own.items() if i not in listed]
    return section_backup(events, shown(rows, window), window, datetime.now(timezone.utc),
                          target.section_name)
