"""The reads behind `ics2b24 verify`: the input converted as `push` converts it, and the target
section read back with one `calendar.event.get` over the window and, when the input has a
series, once more per month view the window touches (in batches of 50); the judging is pure
(ics2b24.plan.compare). The state DB is only read, for the section a `--section-name` means
(as push follows it after a rename): verify runs beside a push, or on another machine."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from datetime import date
from typing import Any

from ics2b24.app.conversion import convert_options
from ics2b24.app.reads import event_get_params, event_rows
from ics2b24.app.session import Connection, section_to_read
from ics2b24.app.target import Target
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.bitrix.rows import date_order, listed_rows, shown
from ics2b24.errors import UsageError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.model import DesiredEvent
from ics2b24.plan.compare import (
    VerifyReport,
    Window,
    compare,
    default_window,
    differing_views,
    implied,
    month_grids,
    shifted,
)
from ics2b24.plan.filters import EventFilter


def verify(inputs: list[tuple[str, bytes]], connection: Connection,
           convert: ConvertChoices, *, first: date | None = None, last: date | None = None,
           only: EventFilter | None = None) -> tuple[VerifyReport, list[str], int]:
    """The report, the input's warnings and the number of HTTP requests it took; `only`
    keeps the events a push with that filter wrote (the rest are not the section's)."""
    target = connection.target
    with closing(connection.client()) as client:
        options = convert_options(convert, {} if convert.tz else connection.caller(client))
        converted = connection.convert(inputs, options)
        if only is not None:
            converted = replace(converted, events=only.apply(converted.events))
        window = default_window(converted.events, options.horizon_end)
        window = Window.chosen(first or (window.first if window else date.today()),
                               last or (window.last if window else date.today()))
        section = target_section_id(client, connection)
        rows = _rows(client, target, section, window)
        names = {e.uid: e.params.name for e in reversed(converted.events)}
        report = compare(implied(converted.events, window), shown(rows, window), names, window)
        series = _of_series(converted.events)
        if series:
            grids = month_grids(window)
            read = _grid_rows(client, target, section, grids)
            order = date_order([*rows, *(row for found in read for row in found)])
            report.months = len(grids)
            report.views = differing_views(
                series, [(grid, shown(found, grid, order))
                         for grid, found in zip(grids, read, strict=True)], names, report)
        return report, converted.warnings, client.requests_sent


def _of_series(events: Sequence[DesiredEvent]) -> list[DesiredEvent]:
    """The events of every UID that has a rule: only a series is shown differently from one
    window to another, and its moved occurrences are judged with it."""
    uids = {e.uid for e in events if e.kind == "series"}
    return [e for e in events if e.uid in uids]


def target_section_id(client: Client, connection: Connection) -> int:
    """The target section as push chooses it (`section_to_read`), or why there is none."""
    found = section_to_read(client, connection)
    if found is None:
        name = (connection.target.section_name or "").strip()
        raise UsageError(f"no section named {name!r} in this calendar: nothing to compare "
                         "(push creates it)")
    return found.id


def wider(window: Window) -> tuple[date, date]:
    """A window a day wider on each side: the portal picks rows by overlap, verify by start
    day in the event's own zone."""
    return shifted(window.first, -1), shifted(window.last, 1)


def _rows(client: Client, target: Target, section: int, window: Window) -> list[Any]:
    return event_rows(client, target, section, *wider(window))


def _grid_rows(client: Client, target: Target, section: int,
               grids: Sequence[Window]) -> list[list[Any]]:
    """Each month view's rows, read as the whole window is, 50 views to a request."""
    out: list[list[Any]] = []
    for start in range(0, len(grids), MAX_BATCH_COMMANDS):
        chunk = grids[start:start + MAX_BATCH_COMMANDS]
        answer = client.batch({
            f"m{i}": ("calendar.event.get", event_get_params(target, section, *wider(grid)))
            for i, grid in enumerate(chunk)})
        for i in range(len(chunk)):
            error = answer.errors.get(f"m{i}")
            if error is not None:
                raise error
            out.append(listed_rows(answer.results.get(f"m{i}")))
    return out
