"""`calendar.event.get/getbyid/add/update/delete`: each method's checks, in the order a portal
makes them, and its answer. What a write stores is `event_fields.py`, what a read shows
`occurrences.py` and `render.py`, how a series is edited `series_edit.py`, who is told
`invitations.py`; this module only ties them together per method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ics2b24.portal import dates
from ics2b24.portal.access import can_edit
from ics2b24.portal.event_fields import (
    ADD_TEXTS,
    UPDATE_TEXTS,
    added_host,
    apply_params,
    blank_event,
    dav_xml_id,
    insert_event,
    settle_rule,
    touched,
)
from ics2b24.portal.invitations import reinvite_asked
from ics2b24.portal.occurrences import asked_window, at_series_time, occurrence_on, overlaps, starts
from ics2b24.portal.params import as_int, as_list, check_strings, empty
from ics2b24.portal.refusals import MethodError, Texts
from ics2b24.portal.render import render_event
from ics2b24.portal.sections import SECTION_COLOR, SECTION_TEXT_COLOR
from ics2b24.portal.series_edit import SeriesEdit, current_day, keep_old_date, keeps_old_date
from ics2b24.portal.store import User, default_section


class EventMethods:
    """The event methods over the `Store` of `series`, which edits a recurring event for them."""

    def __init__(self, series: SeriesEdit) -> None:
        self.series = series
        self.store = series.store
        self.profile = series.profile
        self.host = series.host
        self.invitations = series.invitations

    def get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        if empty(p.get("type")):
            raise MethodError(
                "", 'Required parameter "type" is not specified for method "calendar.event.get"'
            )
        cal_type, owner = str(p["type"]), as_int(p.get("ownerId")) or 0
        first, last = asked_window(p, dates.zone(user.time_zone))
        wanted = {s["id"] for s in self.store.sections(cal_type, owner)}
        if not empty(p.get("section")):
            wanted &= {i for i in (as_int(v) for v in as_list(p["section"])) if i}
        viewer_tz = dates.zone(user.time_zone)
        begin = dates.timestamp(first, viewer_tz)
        end = dates.day_end(last, viewer_tz)
        found: list[tuple[int, int, dict[str, Any]]] = []
        for event in self.store.events(cal_type, owner, wanted):
            host = self._host_name(event)
            for index, start in starts(event, end, current=self.profile.current,
                                       window_start=first):
                if overlaps(event, start, begin, end):
                    occurrence = None if index is None else (index, start)
                    # CCalendarEvent::ParseRecursion (calendar_event.php) gives expanded rows
                    # the series' ID and TS values.
                    row = render_event(event, viewer=user, host_name=host,
                                       occurrence=occurrence, listing=True,
                                       current=self.profile.current)
                    instant = dates.timestamp(start, dates.zone(event["tz_from"]))
                    found.append((instant, int(event["id"]), row))
        found.sort(key=lambda item: (item[0], item[1]))
        return [row for _, _, row in found]

    def get_by_id(self, user: User, p: Mapping[str, Any]) -> dict[str, Any] | None:
        if empty(p.get("id")):
            raise MethodError(
                "", 'The required parameter "id" for the method "calendar.event.getbyid" is not set'
            )
        event_id = as_int(p.get("id"))
        event = self.store.event(event_id) if event_id else None
        if event is None:
            return None
        return render_event(event, viewer=user, host_name=self._host_name(event),
                            current=self.profile.current)

    def _host_name(self, event: Mapping[str, Any]) -> str:
        host = self.store.user(int(event["meeting_host"]))
        return host.full_name if host else ""

    def add(self, user: User, p: Mapping[str, Any]) -> int:
        texts = ADD_TEXTS
        required = ["from", "to", "name", "ownerId", "type"]
        auto = p.get("auto_detect_section")
        if auto is not None and auto != "Y":
            required.append("section")
        for key in required:
            value = p.get(key)
            if key in ("from", "to") and empty(value) and not empty(p.get(f"{key}_ts")):
                continue
            if empty(value) and not (key == "ownerId" and value is not None):
                raise texts.missing(key)
        check_strings(p, name_required=True, invalid=texts.invalid)
        cal_type, owner = str(p["type"]), as_int(p["ownerId"]) or 0
        with self.store.transaction():
            section_id = self._add_section_for(user, cal_type, owner, p.get("section"), texts)
            event = apply_params(self.store, self.profile, user, p,
                                 blank_event(user, cal_type, owner), texts)
            if self.profile.current:
                event["meeting_host"] = added_host(user, event, owner)
            # CCalendar::SaveEventEx (calendar.php) makes DAV_XML_ID with UidGenerator; the REST
            # handler passes no dav_xml_id, so a client's value is never read.
            event.update(section_id=section_id, dav_xml_id=dav_xml_id(self.host, event))
            event_id = insert_event(self.store, event)
            self.invitations.invite({**event, "id": event_id}, previous=None, reinvite=False)
            return event_id

    def update(self, user: User, p: Mapping[str, Any]) -> int | dict[str, Any]:
        texts = UPDATE_TEXTS
        for key in ("id", "ownerId", "type"):
            value = p.get(key)
            if empty(value) and not (key == "ownerId" and value is not None):
                raise texts.missing(key)
        # CCalendarRestService::EventUpdate (calendar_restservice.php): generation 1 checks
        # `!is_string($params['name'])` after the required parameters, so an update that does
        # not send the name is refused; the current one checks a name only when it is sent.
        check_strings(p, name_required=not self.profile.current, invalid=texts.invalid)
        mode = self._recurrence_mode(p, texts)
        with self.store.transaction():
            event = self.store.event(as_int(p["id"]) or 0)
            if event is None:
                raise MethodError("", texts.failed)
            cal_type, owner = str(p["type"]), as_int(p["ownerId"]) or 0
            if ((event["cal_type"], event["owner_id"]) != (cal_type, owner)
                    or not can_edit(user, cal_type, owner)):
                raise MethodError("", texts.access)
            if (event.get("is_meeting") and event["meeting_host"] != user.id
                    and as_int(p.get("host")) != event["meeting_host"]):
                raise MethodError("", texts.access)
            if not empty(p.get("section")):
                self._existing_section(user, cal_type, owner, p["section"], texts)
            if event.get("rrule") and mode in ("this", "next"):
                day = current_day(p, texts)
                # CCalendar::SaveEventEx (calendar.php) never checks that current_date_from
                # is an occurrence: a day the series does not have is excluded, split at and
                # copied all the same, at the series' time.
                start = (occurrence_on(event, day, current=self.profile.current)
                         or at_series_time(event, day))
                if mode == "this":
                    return self.series.detach(user, p, event, start)
                return self.series.split(user, p, event, start)
            changed = apply_params(self.store, self.profile, user, p, event, texts)
            if mode == "all" and keeps_old_date(p):
                keep_old_date(changed, event, p)
            settle_rule(changed)
            self.store.put_event(touched(changed))
            self.invitations.invite(changed, previous=set(event.get("attendees") or []),
                                    reinvite=reinvite_asked(p))
            if mode == "all" and event.get("rrule"):
                self.series.rewrite_detached(changed, p)
            return int(event["id"])

    def _recurrence_mode(self, p: Mapping[str, Any], texts: Texts) -> str | None:
        """Generation 1 has no `recurrence_mode`: every update rewrites the whole series. The
        current EventUpdate takes a mode only when it is truthy (`""` is no mode) and refuses
        any but this/next/all."""
        if not self.profile.current:
            return None
        mode = p.get("recurrence_mode")
        if empty(mode):
            return None
        if mode not in ("this", "next", "all"):
            raise MethodError("", texts.mode)
        return str(mode)

    def delete(self, user: User, p: Mapping[str, Any]) -> bool:
        event_id = as_int(p.get("id"))
        if not event_id or event_id <= 0:
            raise MethodError("", "Event id not specified")
        with self.store.transaction():
            event = self.store.event(event_id)
            if event is None or not can_edit(user, event["cal_type"], event["owner_id"]):
                raise MethodError("", "An error occurred while deleting the event")
            self._delete(event)
        return True

    def _delete(self, event: Mapping[str, Any]) -> None:
        """CCalendar::DeleteEvent (modules/calendar/classes/general/calendar.php) as
        `calendar.event.delete` calls it, with the id only: the event goes, then - because no
        `recursionMode = 'this'` is passed - the series named by its RECURRENCE_ID is deleted
        too, and deleting a series (CCalendarEvent::CheckRecurcion) deletes every event of
        CCalendarEvent::GetEventsByRecId. So deleting one detached occurrence deletes its series
        and all the series' other detached occurrences. CCalendarEvent::Delete sends each
        attendee of a meeting that has not ended a cancellation."""
        event_id = int(event["id"])
        self.invitations.cancel(event)
        self.store.delete_event(event_id)
        parent_id = event.get("recurrence_id")
        if parent_id:
            parent = self.store.event(int(parent_id))
            if parent is not None:
                self._delete(parent)
        if event.get("rrule"):
            for occurrence in self.store.detached(event_id):
                self._delete(occurrence)

    def _add_section_for(self, user: User, cal_type: str, owner: int, raw: Any,
                         texts: Texts) -> int:
        """The section an added event goes to: the one named, or the calendar's first one
        (created for a user or group calendar that has none)."""
        if not empty(raw):
            return self._existing_section(user, cal_type, owner, raw, texts)
        if not can_edit(user, cal_type, owner):
            raise MethodError("", texts.access)
        sections = self.store.sections(cal_type, owner)
        if sections:
            return int(sections[0]["id"])
        if cal_type == "user" and owner == user.id:
            return self.store.add_section(cal_type, owner, default_section(user))
        if cal_type == "group":
            return self.store.add_section(cal_type, owner, {
                "name": f"Group {owner}", "description": "", "color": SECTION_COLOR,
                "text_color": SECTION_TEXT_COLOR, "export": {"ALLOW": True, "SET": "all"},
                "created_by": user.id})
        raise MethodError("", texts.section)

    def _existing_section(self, user: User, cal_type: str, owner: int, raw: Any,
                          texts: Texts) -> int:
        section_id = as_int(raw) or 0
        section = self.store.section(section_id)
        if section is None or (section["cal_type"], section["owner_id"]) != (cal_type, owner):
            raise MethodError("", texts.section)
        if not can_edit(user, cal_type, owner):
            raise MethodError("", texts.access)
        return section_id
