"""A portal event as the diff compares it: the transport reads the portal's rows into this
(`ics2b24.bitrix.rows`), so the diff never sees the portal's dialect."""

from __future__ import annotations

from dataclasses import dataclass

from ics2b24.model import EventParams


@dataclass(frozen=True)
class RemoteEvent:
    """One portal event. `recurrence_id` is the series an occurrence was detached from
    (RECURRENCE_ID); `original_recursion_id` comes from RELATIONS;
    `occurrences` are the wall-clock starts of every row seen for this ID, in order;
    `description_known` is false for `calendar.event.get` rows, which a real portal sends
    without DESCRIPTION."""

    id: int
    section_id: int | None
    dav_xml_id: str | None
    recurrence_id: int | None
    original_recursion_id: int | None
    original_date_from: str | None
    meeting_host: int | None
    start_utc: int | None
    params: EventParams
    exdate: tuple[str, ...]
    occurrences: tuple[str, ...]
    description_known: bool = True
