"""The notices a meeting sends its attendees: one rule for every write that adds, changes, splits
or deletes an event, and one record of what was sent for the tests to read
(`CalendarApi.invitations`).
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ics2b24.portal import dates
from ics2b24.portal.render import series_to_ts, wall
from ics2b24.portal.wire import php_bool


class Notice(NamedTuple):
    """One invitation or cancellation the portal sent to an attendee of a meeting."""

    event_id: int
    user_id: int
    kind: str
    """"invite" or "cancel"."""


class Invitations:
    """Invitations and cancellations sent so far by one portal (`current`: its generation is
    the current one, which changes where a series ends)."""

    def __init__(self, *, current: bool) -> None:
        self.current = current
        self._notices: list[Notice] = []
        self._notices_lock = threading.Lock()

    def sent(self) -> list[Notice]:
        """Every invitation and cancellation sent so far, oldest first (tests read this)."""
        with self._notices_lock:
            return list(self._notices)

    def notify(self, event_id: int, user_id: int, kind: str) -> None:
        with self._notices_lock:
            self._notices.append(Notice(event_id, user_id, kind))

    def invite(self, event: Mapping[str, Any], *, previous: set[int] | None,
               reinvite: bool) -> None:
        """CCalendarEvent::Edit and CreateChildEvents (calendar_event.php): every attendee who
        gets a new child event (status Q) is invited when the event has not ended - there is no
        check of `meeting.notify`, which only makes SetMeetingStatus tell the host about
        answers. Attendees already invited are invited again only with `meeting.reinvite`."""
        if not event.get("is_meeting") or self._ended(event):
            return
        for attendee in _guests(event):
            if previous is not None and attendee in previous and not reinvite:
                continue
            self.notify(int(event["id"]), attendee, "invite")

    def cancel(self, event: Mapping[str, Any]) -> None:
        """CCalendarEvent::Delete: each attendee of a meeting that has not ended gets a
        cancellation."""
        if not event.get("is_meeting") or self._ended(event):
            return
        for attendee in _guests(event):
            self.notify(int(event["id"]), attendee, "cancel")

    def _ended(self, event: Mapping[str, Any]) -> bool:
        """`DATE_TO_TS_UTC` in the past (a series: its end, see `series_to_ts`)."""
        if event.get("rrule"):
            end_ts = series_to_ts(event, current=self.current)
        else:
            end_ts = dates.timestamp(wall(event["to"]), dates.zone(event["tz_to"]))
            if not isinstance(wall(event["to"]), datetime):
                end_ts += 86400
        return end_ts <= _time.time()


def reinvite_asked(p: Mapping[str, Any]) -> bool:
    meeting = p.get("meeting")
    return (p.get("is_meeting") == "Y" and isinstance(meeting, Mapping)
            and php_bool(meeting.get("reinvite")))


def _guests(event: Mapping[str, Any]) -> list[int]:
    """Attendees who get a child event in status Q (CCalendarEvent::CreateChildEvents): not the
    host, not the creator, not the owner of the user calendar the event is in."""
    skip = {int(event["meeting_host"]), int(event["created_by"])}
    if event["cal_type"] == "user":
        skip.add(int(event["owner_id"]))
    return [int(a) for a in event.get("attendees") or [] if int(a) not in skip]
