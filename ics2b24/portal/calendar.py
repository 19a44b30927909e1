"""The calendar methods of the test portal, in-process: decoded params in, result out.

Faithful to `reference/bitrix24-rest/api-reference/calendar/`: the parameter names and
aliases, the order in which a portal checks them, each page's own error texts (with `error`
empty, HTTP 400), and the documented results. HTTP, auth, batch and limits live in the server;
this module only knows who calls (`User`) and what they asked for.

Who may write what is `access.py`; the section methods are `sections.py`.

Where the portal's own PHP source does something else than the reference promises, this module
does what the source does, and each such place names the Bitrix function and file it follows
(paths inside Bitrix's `modules/` tree).
"""

from __future__ import annotations

import threading
import time as _time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from ics2b24.portal import columns, dates, recurrence, zones
from ics2b24.portal.access import can_edit
from ics2b24.portal.groups import sonet_group_get
from ics2b24.portal.params import as_int, as_list, bitrix_color, check_strings, empty
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError, Texts
from ics2b24.portal.render import (
    event_end,
    event_length,
    render_event,
    series_to_ts,
    wall,
)
from ics2b24.portal.sections import SECTION_COLOR, SECTION_TEXT_COLOR, SectionMethods
from ics2b24.portal.settings_api import SettingsMethods
from ics2b24.portal.store import Store, User, default_section
from ics2b24.portal.users import UserMethods
from ics2b24.portal.wire import php_bool, php_int, php_string

ACCESSIBILITY = ("busy", "absent", "quest", "free")
IMPORTANCE = ("high", "normal", "low")
NEW_EVENT_NAME = "New event"
Handler = Callable[[User, Mapping[str, Any]], Any]


class Notice(NamedTuple):
    """One invitation or cancellation the portal sent to an attendee of a meeting."""

    event_id: int
    user_id: int
    kind: str
    """"invite" or "cancel"."""


_ADD = Texts(
    method="calendar.event.add",
    required='The required parameter "{name}" for the method "{method}" is not set',
    invalid='Invalid value for the parameter "{name}"',
    access="Access denied",
    section="You specified an invalid calendar section ID or the user does not have access to it",
    crm="The list of event links to CRM must be an array",
    failed="An error occurred while creating the event",
)
_UPDATE = Texts(
    method="calendar.event.update",
    required='The required parameter "{name}" for the method "{method}" is not set.',
    invalid='Invalid value for the "{name}" parameter.',
    access="Access denied.",
    section="You specified an invalid calendar section ID or the user does not have access to "
            "it.",
    crm="The event's CRM links list must be an array.",
    failed="An error occurred while changing the event.",
    mode="An invalid editing type for the recurring event is specified.",
)


class CalendarApi:
    """Method name → semantics over one `Store`."""

    def __init__(self, store: Store, host: str = "127.0.0.1",
                 profile: Profile | None = None) -> None:
        self.store = store
        self.host = host
        self.profile = profile or Profile()
        self._notices: list[Notice] = []
        self._notices_lock = threading.Lock()
        self._sections = SectionMethods(store, self.profile)
        self._settings = SettingsMethods(store)
        self._users = UserMethods(store)
        self._handlers: dict[str, Handler] = {
            "calendar.section.get": self._sections.get,
            "calendar.section.add": self._sections.add,
            "calendar.section.update": self._sections.update,
            "calendar.section.delete": self._sections.delete,
            "calendar.event.get": self._event_get,
            "calendar.event.getbyid": self._event_get_by_id,
            "calendar.event.add": self._event_add,
            "calendar.event.update": self._event_update,
            "calendar.event.delete": self._event_delete,
            "calendar.user.settings.get": self._settings.get_user_settings,
            "calendar.user.settings.set": self._settings.set_user_settings,
            "calendar.settings.get": self._settings.get_settings,
            "user.current": self._users.current,
            "user.get": self._users.get,
            "user.admin": self._users.admin,
        }
        if self.profile.socialnetwork:
            self._handlers["sonet_group.get"] = (
                lambda user, p: sonet_group_get(self.store.groups(), p))

    @property
    def methods(self) -> frozenset[str]:
        """The methods this portal answers: exactly those it has a handler for."""
        return frozenset(self._handlers)

    def call(self, user: User, method: str, params: Mapping[str, Any]) -> Any:
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise MethodError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        return handler(user, params)

    def invitations(self) -> list[Notice]:
        """Every invitation and cancellation sent so far, oldest first (tests read this)."""
        with self._notices_lock:
            return list(self._notices)

    def _notify(self, event_id: int, user_id: int, kind: str) -> None:
        with self._notices_lock:
            self._notices.append(Notice(event_id, user_id, kind))

    # --- events: reading ----------------------------------------------------------------

    def _event_get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        if empty(p.get("type")):
            raise MethodError(
                "", 'Required parameter "type" is not specified for method "calendar.event.get"'
            )
        cal_type, owner = str(p["type"]), as_int(p.get("ownerId")) or 0
        first, last = _window(p, dates.zone(user.time_zone))
        wanted = {s["id"] for s in self.store.sections(cal_type, owner)}
        if not empty(p.get("section")):
            wanted &= {i for i in (as_int(v) for v in as_list(p["section"])) if i}
        viewer_tz = dates.zone(user.time_zone)
        begin = dates.timestamp(first, viewer_tz)
        end = dates.day_end(last, viewer_tz)
        found: list[tuple[int, int, dict[str, Any]]] = []
        for event in self.store.events(cal_type, owner, wanted):
            host = self._host_name(event)
            for index, start in _starts(event, end, current=self.profile.current,
                                        window_start=first):
                if _overlaps(event, start, begin, end):
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

    def _event_get_by_id(self, user: User, p: Mapping[str, Any]) -> dict[str, Any] | None:
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

    # --- events: writing ----------------------------------------------------------------

    def _event_add(self, user: User, p: Mapping[str, Any]) -> int:
        texts = _ADD
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
            event = self._apply(user, p, _blank(user, cal_type, owner), texts)
            if self.profile.current:
                event["meeting_host"] = _added_host(user, event, owner)
            # CCalendar::SaveEventEx (calendar.php) makes DAV_XML_ID with UidGenerator; the REST
            # handler passes no dav_xml_id, so a client's value is never read.
            event.update(section_id=section_id, dav_xml_id=self._dav_xml_id(event))
            event_id = self._insert(event)
            self._invite({**event, "id": event_id}, previous=None, reinvite=False)
            return event_id

    def _event_update(self, user: User, p: Mapping[str, Any]) -> int | dict[str, Any]:
        texts = _UPDATE
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
                day = _current_day(p, texts)
                # CCalendar::SaveEventEx (calendar.php) never checks that current_date_from
                # is an occurrence: a day the series does not have is excluded, split at and
                # copied all the same, at the series' time.
                start = (_occurrence_on(event, day, current=self.profile.current)
                         or _at_series_time(event, day))
                if mode == "this":
                    return self._detach(user, p, event, start)
                return self._split(user, p, event, start)
            changed = self._apply(user, p, event, texts)
            if mode == "all" and _keeps_old_date(p):
                _keep_old_date(changed, event, p)
            _settle_rule(changed)
            self.store.put_event(_touched(changed))
            self._invite(changed, previous=set(event.get("attendees") or []),
                         reinvite=_reinvite(p))
            if mode == "all" and event.get("rrule"):
                self._rewrite_detached(changed, p)
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

    def _event_delete(self, user: User, p: Mapping[str, Any]) -> bool:
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
        if event.get("is_meeting") and not self._ended(event):
            for attendee in _guests(event):
                self._notify(event_id, attendee, "cancel")
        self.store.delete_event(event_id)
        parent_id = event.get("recurrence_id")
        if parent_id:
            parent = self.store.event(int(parent_id))
            if parent is not None:
                self._delete(parent)
        if event.get("rrule"):
            for occurrence in self.store.detached(event_id):
                self._delete(occurrence)

    def _detach(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
                start: date | datetime) -> int:
        """`recurrence_mode: this`, after CCalendar::SaveEventEx (calendar.php): the series
        gains the day in EXDATE and a copy without rule is saved with RECURRENCE_ID = the
        series, ORIGINAL_DATE_FROM = the day at the series' time, the series' DAV_XML_ID and -
        whatever the request said - the series' reminders. SaveEventEx answers
        `['recEventId' => copy, 'id' => series]` and CCalendar::SaveEvent unwraps an answer
        without `originalDavXmlId` to its `id`: the caller gets the series id as an integer."""
        day = _day(start)
        series_id = int(series["id"])
        series_first = wall(series["from"])
        excluded = {**series, "exdate": sorted({*series.get("exdate", []), day.isoformat()})}
        _settle_rule(excluded)
        self.store.put_event(_touched(excluded))
        asked = {k: v for k, v in p.items() if k != "rrule"}
        copy = self._apply(user, asked, {**series, "rrule": None, "exdate": []}, _UPDATE)
        _place_instance(copy, series_first, start)
        copy.update(
            recurrence_id=series.get("recurrence_id") or series_id,
            original_date_from=_original_date(series_first, start).isoformat(),
            relations={"COMMENT_XML_ID": f"EVENT_{series_id}_{dates.display_date(day)}"},
            dav_xml_id=series["dav_xml_id"],
            remind=[dict(r) for r in series.get("remind", [])],
            version=1,
            created=_time.time(),
        )
        copy_id = self._insert(copy)
        self._invite({**copy, "id": copy_id}, previous=None, reinvite=False)
        return series_id

    def _split(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
               start: date | datetime) -> dict[str, Any]:
        """`recurrence_mode: next`, after CCalendar::SaveEventEx (calendar.php).

        The old series ends the day before (UNTIL = day - 1, COUNT removed); the new one takes
        the request over the series' fields, the series' EXDATE, a fresh DAV_XML_ID and, when
        its rule has a COUNT, COUNT = the COUNT sent (or the series') minus
        CCalendar::CountPastEvents (via CountNumberFollowEvents) - so a client that already sends
        the remaining count loses occurrences. Detached occurrences after the day are rewritten
        with the new fields and moved to the new series. Split on the series' first day, the
        series itself is edited and the answer's `id` is null (SaveEventEx's `$id` is never
        set on that path)."""
        day = _day(start)
        series_id = int(series["id"])
        series_first = wall(series["from"])
        asked_rule = p.get("rrule")
        raw_rule: Any = (asked_rule if asked_rule is not None
                         else _parsed_rule_array(series))
        later = self._apply(user, {k: v for k, v in p.items() if k != "rrule"},
                            dict(series), _UPDATE)
        _place_instance(later, series_first, start, this_mode=False)
        if isinstance(raw_rule, Mapping):
            raw_rule = _following_rule(raw_rule, series, later, day)
        later["rrule"] = recurrence.checked_rule(raw_rule, wall(later["to"]),
                                                 current=self.profile.current)
        later["exdate"] = list(series.get("exdate", [])) if later["rrule"] else []
        root = (series.get("relations") or {}).get("ORIGINAL_RECURSION_ID", series_id)
        later.update(relations={"ORIGINAL_RECURSION_ID": root}, recurrence_id=None,
                     original_date_from=None, version=1, created=_time.time(),
                     dav_xml_id=self._dav_xml_id(later, now=True))
        _settle_rule(later)
        if day == _day(series_first):
            later["id"] = series_id
            self.store.put_event(_touched(later))
            answer_id: int | None = None
            later_id = series_id
        else:
            old_rule = _parsed_rule_array(series)
            old_rule["UNTIL"] = dates.display_date(day - timedelta(days=1))
            old_rule.pop("~UNTIL", None)
            old_rule.pop("COUNT", None)
            ended = {**series, "rrule": recurrence.checked_rule(old_rule, wall(series["to"]))}
            if not empty(p.get("section")):
                ended["section_id"] = as_int(p["section"]) or series["section_id"]
            _settle_rule(ended)
            self.store.put_event(_touched(ended))
            later_id = self._insert(later)
            answer_id = series_id
            self._invite({**later, "id": later_id}, previous=None, reinvite=False)
        self._move_detached(series, {**later, "id": later_id}, p, day)
        return {
            "originalDate": dates.display(wall(later["from"])),
            "originalDavXmlId": later["dav_xml_id"],
            "instanceTz": later["tz_from"],
            "recEventId": later_id,
            "id": answer_id,
        }

    def _move_detached(self, series: Mapping[str, Any], later: Mapping[str, Any],
                       p: Mapping[str, Any], day: date) -> None:
        """The `next` branch of CCalendar::SaveEventEx: every event of GetEventsByRecId whose
        DATE_FROM is after the split day's start is saved again with the new series' fields,
        its own day at the new series' time, and RECURRENCE_ID = the new series."""
        rec_id = int(series.get("recurrence_id") or series["id"])
        for occurrence in self.store.detached(rec_id):
            if int(occurrence["id"]) == int(later["id"]):
                continue
            own_start = wall(occurrence["from"])
            if _as_datetime(own_start) <= datetime.combine(day, time()):
                continue
            moved = _with_series_fields(occurrence, later, p)
            moved["recurrence_id"] = int(later["id"])
            self.store.put_event(_touched(moved))

    def _rewrite_detached(self, series: Mapping[str, Any], p: Mapping[str, Any]) -> None:
        """`recurrence_mode: all` on a series, after CCalendar::SaveEventEx (calendar.php):
        every event with RECURRENCE_ID = the series is saved again with the series' fields (its
        own changes overwritten), on its own day at the series' time and length, with
        ORIGINAL_DATE_FROM moved to the series' time (CCalendar::GetOriginalDate)."""
        series_first = wall(series["from"])
        for occurrence in self.store.detached(int(series["id"])):
            rewritten = _with_series_fields(occurrence, series, p)
            if occurrence.get("original_date_from"):
                rewritten["original_date_from"] = _original_date(
                    series_first, wall(occurrence["original_date_from"])).isoformat()
            self.store.put_event(_touched(rewritten))

    def _invite(self, event: Mapping[str, Any], *, previous: set[int] | None,
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
            self._notify(int(event["id"]), attendee, "invite")

    def _ended(self, event: Mapping[str, Any]) -> bool:
        """`DATE_TO_TS_UTC` in the past (a series: its end, see `series_to_ts`)."""
        if event.get("rrule"):
            end_ts = series_to_ts(event, current=self.profile.current)
        else:
            end_ts = dates.timestamp(wall(event["to"]), dates.zone(event["tz_to"]))
            if not isinstance(wall(event["to"]), datetime):
                end_ts += 86400
        return end_ts <= _time.time()

    def _insert(self, event: dict[str, Any]) -> int:
        event_id = self.store.add_event(event)
        self.store.put_event({**event, "id": event_id, "parent_id": event_id})
        return event_id

    def _dav_xml_id(self, event: Mapping[str, Any], *, now: bool = False) -> str:
        """UidGenerator's `YYYYMMDDTHHMMSSZ-<32 hex>@host`; a `next` split dates the new series'
        id at the time of the request (SaveEventEx passes the unset ORIGINAL_DATE_FROM)."""
        if now:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        else:
            stamp = dates.utc_stamp(wall(event["from"]), dates.zone(event["tz_from"]))
        return f"{stamp}-{uuid.uuid4().hex}@{self.host}"

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

    def _apply(self, user: User, p: Mapping[str, Any], base: dict[str, Any],
               texts: Texts) -> dict[str, Any]:
        """`base` with the given params laid over it: what add builds and update changes."""
        event = dict(base)
        skip = bool(base["skip_time"])
        for key in ("skip_time", "skipTime"):
            if p.get(key) is not None:
                skip = p[key] == "Y"
        try:
            _apply_dates(event, p, skip, user, self.profile)
        except ValueError:
            raise MethodError("", texts.failed) from None
        end = wall(event["to"])
        if p.get("rrule") is not None:
            # CCalendarEvent::checkRecurringRuleField (calendar_event.php), see
            # recurrence.checked_rule: a rule the portal cannot read is no rule, not an error.
            event["rrule"] = recurrence.checked_rule(p["rrule"], end,
                                                     current=self.profile.current)
        elif event.get("rrule"):
            event["rrule"] = recurrence.reparsed(event["rrule"], end)
        if isinstance(p.get("name"), str):
            event["name"] = columns.cut(p["name"].strip() or NEW_EVENT_NAME)
        if p.get("description") is not None:
            event["description"] = php_string(p["description"]).strip()
        if p.get("location") is not None:
            event["location"] = columns.cut(php_string(p["location"]).strip())
        for key in ("color", "text_color"):
            if p.get(key) is not None:
                # CCalendarRestService::EventAdd/EventUpdate: `CCalendar::Color($color)` with
                # its default, so an unreadable colour is #9dcf00.
                event[key] = bitrix_color(p[key])
        if p.get("accessibility") in ACCESSIBILITY:
            event["accessibility"] = p["accessibility"]
        if p.get("importance") in IMPORTANCE:
            event["importance"] = p["importance"]
        if p.get("private_event") is not None:
            event["private"] = p["private_event"] == "Y"
        if p.get("remind") is not None:
            event["remind"] = columns.stored_reminders(prepare_reminders(p["remind"]))
        if p.get("crm_fields") is not None:
            if not isinstance(p["crm_fields"], (list, Mapping)):
                raise MethodError("", texts.crm)
            event["crm_fields"] = [str(v) for v in as_list(p["crm_fields"])]
        self._apply_meeting(user, event, p)
        return event

    def _apply_meeting(self, user: User, event: dict[str, Any], p: Mapping[str, Any]) -> None:
        """CCalendarRestService::EventAdd/EventUpdate (calendar_restservice.php): only with
        `is_meeting = Y` are attendees, host and MEETING taken from the request, and MEETING is
        then built from `text`, `open`, `notify` and `reinvite` with PHP's (bool) -
        `allow_invite` and `hide_guests` are never read."""
        if p.get("is_meeting") is None:
            return
        event["is_meeting"] = p["is_meeting"] == "Y"
        if not event["is_meeting"]:
            event["attendees"] = []
            return
        given = [i for i in (as_int(v) for v in as_list(p.get("attendees") or [])) if i]
        event["attendees"] = [i for i in dict.fromkeys(given) if self.store.user(i)]
        event["meeting_host"] = as_int(p["host"]) if p.get("host") is not None else user.id
        meeting = p.get("meeting") if isinstance(p.get("meeting"), Mapping) else {}
        assert isinstance(meeting, Mapping)
        event["meeting"] = {"notify": php_bool(meeting.get("notify")),
                            "text": php_string(meeting.get("text")),
                            "open": php_bool(meeting.get("open"))}

# --- pure helpers ---------------------------------------------------------------------------


def _added_host(user: User, event: Mapping[str, Any], owner: int) -> int:
    """CCalendarRestService::EventAdd (calendar_restservice.php) of the current generation
    never reads `host`: a meeting is hosted by the calling user, and any other event by the
    calendar's owner, so in a group calendar its host is the group's id (behaviour 14). The
    older handler takes `host` as update does."""
    return user.id if event["is_meeting"] else (owner or user.id)


def _blank(user: User, cal_type: str, owner: int) -> dict[str, Any]:
    now = _time.time()
    return {
        "cal_type": cal_type, "owner_id": owner, "section_id": 0, "name": NEW_EVENT_NAME,
        "description": "", "location": "", "skip_time": False, "from": "", "to": "",
        "tz_from": user.time_zone, "tz_to": user.time_zone, "color": "", "text_color": "",
        "accessibility": "busy", "importance": "normal", "private": False, "rrule": None,
        "exdate": [], "remind": [], "is_meeting": False, "meeting_host": user.id,
        "attendees": [], "meeting": {}, "recurrence_id": None, "original_date_from": None,
        "relations": None, "dav_xml_id": "", "created_by": user.id, "created": now,
        "modified": now, "version": 1, "crm_fields": [],
    }


def _apply_dates(event: dict[str, Any], p: Mapping[str, Any], skip: bool, user: User,
                 profile: Profile) -> None:
    """from/to (or from_ts/to_ts), skip_time and the zones, as the reference's "Timezone
    handling features" rank them, then as the portal's own code stores them: zone names through
    Util::prepareTimezone (`zones.kept_zone`), all-day values moved by the user's offset
    (`zones.all_day_date`), times rounded to the minute (`_kind`). Raises ValueError for values
    no portal would take."""
    if not skip and p.get("timezone_from"):
        event["tz_from"] = zones.kept_zone(str(p["timezone_from"]), profile.server_zone,
                                           profile.unlisted_zones)
        event["tz_to"] = zones.kept_zone(str(p.get("timezone_to") or p["timezone_from"]),
                                         profile.server_zone, profile.unlisted_zones)
    elif not event["from"]:
        event["tz_from"] = event["tz_to"] = user.time_zone
    tz_from, tz_to = dates.zone(event["tz_from"]), dates.zone(event["tz_to"])
    old_start = wall(event["from"]) if event["from"] else None
    old_end = wall(event["to"]) if event["to"] else None
    start = _given_date(p, "from", tz_from, skip, user, profile)
    end = _given_date(p, "to", tz_to, skip, user, profile)
    if start is None:
        if old_start is None:
            raise ValueError("no start")
        start = old_start
    if end is None:
        if old_end is None or old_start is None:
            raise ValueError("no end")
        end = _moved_end(start, old_start, old_end)
    start, end = _kind(start, skip), _kind(end, skip)
    if _as_datetime(end) < _as_datetime(start):
        raise ValueError("ends before it starts")
    event.update({"skip_time": skip, "from": start.isoformat(), "to": end.isoformat()})


def _moved_end(start: date | datetime, old_start: date | datetime,
               old_end: date | datetime) -> date | datetime:
    """A new start with no new end keeps the event's length."""
    if isinstance(start, datetime):
        return start + (_as_datetime(old_end) - _as_datetime(old_start))
    return start + (_day(old_end) - _day(old_start))


def _given_date(p: Mapping[str, Any], key: str, tz: Any, skip: bool, user: User,
                profile: Profile) -> date | datetime | None:
    if not empty(p.get(key)):
        if skip:
            return zones.all_day_date(p[key], user_zone=user.time_zone,
                                      server_zone=profile.server_zone)
        return dates.parse(p[key], tz=tz)
    if not empty(p.get(f"{key}_ts")):
        return dates.from_timestamp(p[f"{key}_ts"], tz)
    return None


def _kind(value: date | datetime, skip: bool) -> date | datetime:
    """A date for an all-day event; otherwise a time on the minute, as Util::getTimestamp
    rounds it (half a minute and more rounds up)."""
    if skip:
        return _day(value)
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    rounded = moment.replace(second=0, microsecond=0)
    return rounded + timedelta(minutes=1) if moment.second >= 30 else rounded


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _starts(event: Mapping[str, Any], before_ts: int, *, current: bool,
            window_start: date | None) -> Iterator[tuple[int | None, date | datetime]]:
    """(RINDEX, start) of every occurrence up to the window's end; (None, start) for an event
    without rule (CCalendarEvent::HandleEvent adds no RINDEX). The current generation starts
    from the window's first day (`recurrence.parse_recursion_current`), generation 1 walks
    from the series start (`recurrence.parse_recursion`)."""
    first = wall(event["from"])
    rule = recurrence.read_rule(event["rrule"]) if event.get("rrule") else None
    if rule is None:
        yield None, first
        return
    limit = datetime.fromtimestamp(before_ts, timezone.utc)
    yield from _expanded(event, rule, limit, current=current, window_start=window_start)


def _expanded(event: Mapping[str, Any], rule: recurrence.BitrixRule, before: date | datetime,
              *, current: bool, window_start: date | None
              ) -> Iterator[tuple[int, date | datetime]]:
    first = wall(event["from"])
    exdates = [date.fromisoformat(d) for d in event.get("exdate", [])]
    if not current:
        yield from recurrence.parse_recursion(first, rule, timezone=event["tz_from"],
                                              exdates=exdates, before=before)
        return
    # CCalendarEvent::CheckFields: an all-day event keeps no zone, so its TZ_OFFSET_FROM is 0
    # and DATE_FROM_TS_UTC is the server timestamp of its day.
    if isinstance(first, datetime):
        tz_from = dates.zone(event["tz_from"])
        offset, from_ts = dates.offset_seconds(first, tz_from), dates.timestamp(first, tz_from)
    else:
        offset, from_ts = 0, recurrence.naive_ts(first)
    yield from recurrence.parse_recursion_current(
        first, wall(event["to"]), rule, timezone=event["tz_from"], from_ts_utc=from_ts,
        offset_from=offset, length=event_length(event), window_start=window_start,
        exdates=exdates, before=before)


def _overlaps(event: Mapping[str, Any], start: date | datetime, begin: int, end: int) -> bool:
    tz_from, tz_to = dates.zone(event["tz_from"]), dates.zone(event["tz_to"])
    start_ts = dates.timestamp(start, tz_from)
    last = event_end(event, start)
    end_ts = (dates.timestamp(last, tz_to) if isinstance(last, datetime)
              else dates.day_end(last, tz_to))
    return start_ts < end and (end_ts > begin or start_ts >= begin)


def _occurrence_on(event: Mapping[str, Any], day: date, *,
                   current: bool) -> date | datetime | None:
    """The series' start on `day`, if the series has one there (excluded days have none):
    the expansion with a window that starts before the series, so from its first start."""
    rule = recurrence.read_rule(event["rrule"])
    if rule is None:
        return None
    for _, start in _expanded(event, rule, day + timedelta(days=1), current=current,
                              window_start=None):
        if _day(start) == day:
            return start
    return None


def _at_series_time(event: Mapping[str, Any], day: date) -> date | datetime:
    first = wall(event["from"])
    return datetime.combine(day, first.time()) if isinstance(first, datetime) else day


def _current_day(p: Mapping[str, Any], texts: Texts) -> date:
    if empty(p.get("current_date_from")):
        raise MethodError("", texts.failed)
    try:
        return dates.parse_day(p["current_date_from"])
    except ValueError:
        raise MethodError("", texts.failed) from None


def _window(p: Mapping[str, Any], tz: Any) -> tuple[date, date]:
    """`from`/`to` of calendar.event.get; unreadable values count as not given, as the
    portal's own date parser answers them."""
    today = datetime.now(tz).date()
    first, last = _day_or_none(p.get("from")), _day_or_none(p.get("to"))
    if first is None and last is None:
        return today - timedelta(days=30), today + timedelta(days=90)
    return first or date(1970, 1, 1), last or date(2038, 1, 1)


def _day_or_none(value: Any) -> date | None:
    if empty(value):
        return None
    try:
        return dates.parse_day(value)
    except ValueError:
        return None


def _touched(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "modified": _time.time(), "version": int(event.get("version", 1)) + 1}


_REMINDER_TYPES = ("min", "hour", "day")


def prepare_reminders(value: Any) -> list[dict[str, Any]]:
    """CCalendarReminder::prepareReminder (modules/calendar/classes/general/
    calendar_reminder.php): an array of `{type, count}` (min/hour/day, count cast with (int)),
    `{type: daybefore, before, time}` or `{type: date, value}`; a scalar item is `type|...` or
    else minutes - so the form encoding `remind[]=` (one empty string) is a reminder at the
    start, `{min, 0}`. Anything else is dropped without error, a non-array clears the list, and
    the list is sorted by how long before the start it fires."""
    if isinstance(value, Mapping):
        items: list[Any] = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return []
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, (Mapping, list, tuple)):
            entry = item if isinstance(item, Mapping) else {str(i): v for i, v in enumerate(item)}
            kind = entry.get("type")
            if kind in _REMINDER_TYPES:
                out.append({"type": kind, "count": php_int(entry.get("count"))})
            elif kind == "daybefore":
                out.append({"type": kind, "before": php_int(entry.get("before")),
                            "time": php_int(entry.get("time"))})
            elif kind == "date":
                out.append({"type": kind, "value": _reminder_date(entry.get("value"))})
            continue
        parts = php_string(item).split("|")
        if len(parts) == 1:
            out.append({"type": "min", "count": php_int(parts[0])})
        elif parts[0] == "daybefore":
            out.append({"type": "daybefore", "before": php_int(parts[1]),
                        "time": php_int(parts[2] if len(parts) > 2 else 0)})
        elif parts[0] == "date":
            out.append({"type": "date", "value": _reminder_date(parts[1])})
    return sorted(out, key=_reminder_delta)


def _reminder_delta(reminder: Mapping[str, Any]) -> int:
    """CCalendarReminder::getReminderDelta: seconds before the start; other types count 0."""
    unit = {"min": 60, "hour": 3600, "day": 86400}.get(str(reminder.get("type")), 0)
    return php_int(reminder.get("count")) * unit


def _reminder_date(value: Any) -> str:
    try:
        parsed = dates.parse(php_string(value), tz=dates.zone("UTC"))
    except ValueError:
        parsed = datetime(1970, 1, 1)
    return dates.display_datetime(_as_datetime(parsed))


def _settle_rule(event: dict[str, Any]) -> None:
    """Save-time checks of a rule against the event's final dates
    (CCalendarEvent::checkRecurringRuleField): UNTIL not before the first end, EXDATE after
    UNTIL dropped (CCalendarEvent::SetExDate), no EXDATE without rule."""
    if event.get("rrule"):
        event["rrule"] = recurrence.reparsed(event["rrule"], wall(event["to"]))
    rule = recurrence.read_rule(event["rrule"]) if event.get("rrule") else None
    if rule is None:
        event["rrule"] = None
        event["exdate"] = []
        return
    event["exdate"] = sorted(d for d in set(event.get("exdate", []))
                             if date.fromisoformat(d) <= rule.until)


def _keeps_old_date(p: Mapping[str, Any]) -> bool:
    """`canChangeDateRecurrenceEvent` in CCalendar::SaveEventEx (calendar.php): with
    `recursionEditMode` set and 'all' or '', a DATE_FROM in the request and a request RRULE whose
    FREQ is not 'NONE' - a request without rrule counts as not NONE, so this holds for an event
    without any rule too."""
    given = not empty(p.get("from")) or not empty(p.get("from_ts"))
    rule = p.get("rrule")
    freq = rule.get("FREQ") if isinstance(rule, Mapping) else None
    return given and freq != "NONE"


def _keep_old_date(changed: dict[str, Any], before: Mapping[str, Any],
                   p: Mapping[str, Any]) -> None:
    """CCalendar::GetOriginalDate(new, current): the event keeps its current date and takes
    only the new time (hours and minutes), for DATE_FROM and - when sent - DATE_TO. (Where
    `to` is not sent, the source would call GetOriginalDate with null, i.e. the current time
    of day; the test portal keeps the event's length instead.)"""
    old_first, old_last = wall(before["from"]), wall(before["to"])
    new_first, new_last = wall(changed["from"]), wall(changed["to"])
    if new_first == old_first:
        return
    start = _original_date(new_first, old_first)
    if not empty(p.get("to")) or not empty(p.get("to_ts")):
        end = _original_date(new_last, old_last)
    else:
        end = _shift(start, new_last, new_first)
    if _as_datetime(end) < _as_datetime(start):
        end = start
    changed["from"], changed["to"] = start.isoformat(), end.isoformat()


def _original_date(parent: date | datetime, instance: date | datetime) -> date | datetime:
    """CCalendar::GetOriginalDate(parent, instance): the instance's day at the parent's hours
    and minutes."""
    if not isinstance(parent, datetime):
        return _day(instance)
    return datetime.combine(_day(instance), time(parent.hour, parent.minute))


def _shift(start: date | datetime, last: date | datetime,
           first: date | datetime) -> date | datetime:
    """`start` moved by the length from `first` to `last`."""
    if isinstance(start, datetime):
        return start + (_as_datetime(last) - _as_datetime(first))
    return start + (_day(last) - _day(first))


def _place_instance(event: dict[str, Any], series_first: date | datetime,
                    occurrence: date | datetime, *, this_mode: bool = True) -> None:
    """Where CCalendar::SaveEventEx puts the copy of a `this` edit or the new series of a `next`
    split: a DATE_FROM on the series' first day (or none sent) means the occurrence's day at
    that time (CCalendar::DateWithNewTime, seconds dropped), any other day is taken as sent.
    An all-day `this` copy ends `length - 1 day` after its start (no earlier than the start)."""
    first, last = wall(event["from"]), wall(event["to"])
    if isinstance(first, datetime):
        if _day(first) == _day(series_first):
            placed = datetime.combine(_day(occurrence), first.time().replace(second=0,
                                                                             microsecond=0))
            event["from"], event["to"] = placed.isoformat(), _shift(placed, last,
                                                                     first).isoformat()
        return
    start = _day(occurrence) if _day(first) == _day(series_first) else first
    days = (_day(last) - first).days - (1 if this_mode else 0)
    end = start + timedelta(days=max(days, 0))
    event["from"], event["to"] = start.isoformat(), end.isoformat()


def _parsed_rule_array(series: Mapping[str, Any]) -> dict[str, Any]:
    rule = recurrence.read_rule(series["rrule"])
    return rule.as_array() if rule else {}


def _following_rule(raw: Mapping[str, Any], series: Mapping[str, Any],
                    later: Mapping[str, Any], day: date) -> dict[str, Any]:
    """The new series' rule of a `next` split before checkRecurringRuleField (CCalendar::
    SaveEventEx): BYDAY only for WEEKLY (CCalendarEvent::CheckRRULE); with a COUNT, COUNT minus
    CCalendar::CountPastEvents and no UNTIL; a WEEKLY BYDAY identical to the series' swaps the
    split day's weekday for the new start's (CCalendar::WeekDayByInd maps Sunday to false, so a
    Sunday is neither removed nor added)."""
    rule = dict(raw)
    if rule.get("FREQ") != "WEEKLY":
        rule.pop("BYDAY", None)
    if php_int(rule.get("COUNT")) > 0:
        past = recurrence.count_past_events(rule, wall(series["from"]), wall(later["from"]))
        rule["COUNT"] = int(php_int(rule["COUNT"]) - past)
        rule.pop("UNTIL", None)
        rule.pop("~UNTIL", None)
    current = _parsed_rule_array(series)
    byday = rule.get("BYDAY")
    if (rule.get("FREQ") == "WEEKLY" and current.get("FREQ") == "WEEKLY"
            and isinstance(byday, Mapping) and list(byday.items()) == list(
                dict(current.get("BYDAY") or {}).items())):
        days = dict(byday)
        old_day, new_day = _php_weekday(day), _php_weekday(_day(wall(later["from"])))
        if old_day is not None:
            days.pop(old_day, None)
        if new_day is not None:
            days[new_day] = new_day
        rule["BYDAY"] = days
    return rule


def _php_weekday(day: date) -> str | None:
    """CCalendar::WeekDayByInd(format('N')): Monday..Saturday; Sunday (7) is out of range."""
    return ("MO", "TU", "WE", "TH", "FR", "SA", None)[day.weekday()]


_SERIES_FIELDS = ("name", "description", "location", "color", "text_color", "accessibility",
                  "importance", "private", "section_id", "is_meeting", "meeting_host",
                  "attendees", "meeting", "skip_time", "tz_from", "tz_to")


def _with_series_fields(occurrence: Mapping[str, Any], series: Mapping[str, Any],
                        p: Mapping[str, Any]) -> dict[str, Any]:
    """A detached occurrence saved again with a series' fields (the arFields SaveEventEx fills
    from the series: name, description, location, colours, accessibility, importance,
    privacy, section, meeting, time zones; reminders only when the request sent them) on its
    own day at the series' time and length (CCalendar::DateWithNewTime)."""
    out = dict(occurrence)
    for key in _SERIES_FIELDS:
        value = series.get(key)
        out[key] = list(value) if isinstance(value, list) else value
    if p.get("remind") is not None:
        out["remind"] = [dict(r) for r in series.get("remind", [])]
    first, last = wall(series["from"]), wall(series["to"])
    own = _day(wall(occurrence["from"]))
    if isinstance(first, datetime):
        start: date | datetime = datetime.combine(own, first.time().replace(second=0,
                                                                            microsecond=0))
    else:
        start = own
    out["from"], out["to"] = start.isoformat(), _shift(start, last, first).isoformat()
    out["rrule"] = None
    return out


def _reinvite(p: Mapping[str, Any]) -> bool:
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


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
