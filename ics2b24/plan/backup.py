"""What a section holds → an .ics that gives the same calendar back when pushed (`backup`).

Each series keeps its rule and skipped days, and each occurrence moved in the portal becomes
a RECURRENCE-ID of its series, with its own words and reminders. The file is then read as
`push` reads it and expanded as the portal expands what push writes (plan/compare.py, the
rule `verify` judges by); a series whose expansion differs from what the section shows in
the window is written as the occurrences it shows instead, so the file never claims a day
the portal does not show, nor leaves out one it does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from ics2b24.ical.convert import ConvertOptions, convert_inputs
from ics2b24.ical.write import calendar, moment, vevent
from ics2b24.plan.compare import Occurrence, Window, implied
from ics2b24.plan.remote import RemoteEvent


@dataclass(frozen=True)
class SectionBackup:
    calendar: bytes
    events: int
    """Portal events written (series, moved occurrences and single events)."""
    as_occurrences: tuple[str, ...] = ()
    """Names of the series written as the occurrences they show (their rule reads otherwise)."""


def section_backup(events: Sequence[RemoteEvent], shown: Mapping[int, Counter[Occurrence]],
                   window: Window, stamp: datetime, name: str | None = None) -> SectionBackup:
    """`events` as `getbyid` answers them (a series with its own start), each with the
    `occurrences` its rows showed; `shown` what the rows show in `window`, per event ID."""
    heads = [e for e in events if e.recurrence_id is None]
    ids = {e.id for e in heads}
    copies: dict[int, list[RemoteEvent]] = {}
    for event in events:
        if event.recurrence_id in ids:
            copies.setdefault(event.recurrence_id, []).append(event)
        elif event.recurrence_id is not None:
            heads.append(event)  # its series is not in the section: it stands alone
    uids = _uids(heads)
    out: list[icalendar.Event] = []
    redrawn: list[str] = []
    for head in heads:
        group = _series(uids[head.id], head, copies.get(head.id, []), stamp)
        members = [head.id, *(c.id for c in copies.get(head.id, []))]
        wanted = sum((shown.get(i, Counter()) for i in members), Counter())
        if head.params.rrule is not None and _expands_to(group, uids[head.id],
                                                         window) != wanted:
            group = _occurrences(uids[head.id], head, copies.get(head.id, []), stamp)
            redrawn.append(head.params.name)
        out += group
    return SectionBackup(calendar(out, name), len(events), tuple(redrawn))


def _uids(heads: Sequence[RemoteEvent]) -> dict[int, str]:
    """The portal's DAV_XML_ID where one event alone carries it (the UID push wrote, or the
    one a calendar app synced), else one made of the event ID."""
    counts = Counter(e.dav_xml_id for e in heads if e.dav_xml_id)
    return {e.id: e.dav_xml_id if e.dav_xml_id and counts[e.dav_xml_id] == 1
            else f"bitrix24-event-{e.id}" for e in heads}


def _series(uid: str, head: RemoteEvent, copies: Sequence[RemoteEvent],
            stamp: datetime) -> list[icalendar.Event]:
    """The event, and its moved occurrences as RECURRENCE-IDs of it. The portal keeps a
    moved occurrence's original day among the series' skipped days too; in the file the
    RECURRENCE-ID says it, and an EXDATE would take the moved occurrence away."""
    moved = [(c, moment(c.original_date_from, head.params)) for c in copies
             if c.original_date_from]
    days = {str(start)[:10] for _, start in moved}
    out = [vevent(uid, head.params, stamp,
                  exdates=[d for d in head.exdate if d not in days])]
    out += [vevent(uid, copy.params, stamp, recurrence_id=start) for copy, start in moved]
    return out


def _occurrences(uid: str, head: RemoteEvent, copies: Sequence[RemoteEvent],
                 stamp: datetime) -> list[icalendar.Event]:
    """The series as single events, one per occurrence its rows showed."""
    length = _length(head)
    out = [vevent(f"{uid}-{n}", replace(head.params, rrule=None, date_from=start,
                                         date_to=_plus(start, length, head.params.skip_time)),
                  stamp)
           for n, start in enumerate(head.occurrences, 1)]
    out += [vevent(f"{uid}-moved-{copy.id}", replace(copy.params, rrule=None), stamp)
            for copy in copies]
    return out


def _length(event: RemoteEvent) -> timedelta:
    """How long each occurrence lasts on the wall clock (the portal keeps it so across a
    change of daylight saving time)."""
    params = event.params
    if params.skip_time:
        return date.fromisoformat(params.date_to[:10]) - date.fromisoformat(params.date_from[:10])
    return datetime.fromisoformat(params.date_to) - datetime.fromisoformat(params.date_from)


def _plus(start: str, length: timedelta, skip_time: bool) -> str:
    if skip_time:
        return (date.fromisoformat(start[:10]) + length).isoformat()
    return (datetime.fromisoformat(start) + length).isoformat(timespec="seconds")


def _expands_to(group: Sequence[icalendar.Event], uid: str,
                window: Window) -> Counter[Occurrence]:
    """What pushing `group` makes the portal show in the window."""
    options = ConvertOptions(tz=ZoneInfo("UTC"), tz_name="UTC", horizon_end=window.last,
                             since=None, max_occurrences=100_000, user_map={},
                             no_attendees=True, strict=False)
    converted = convert_inputs([("backup", calendar(group))], options)
    return implied(converted.events, window).get(uid, Counter())
