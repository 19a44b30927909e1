"""The calendar methods of the test portal, in-process: decoded params in, result out.

Faithful to `reference/bitrix24-rest/api-reference/calendar/`: the parameter names and
aliases, the order in which a portal checks them, each page's own error texts (with `error`
empty, HTTP 400), and the documented results. HTTP, auth, batch and limits live in the server;
this module only knows who calls (`User`) and what they asked for.

Access, as this portal models it: everyone may read every calendar; a user calendar is written
only by its owner; group calendars by any user (there is no membership model); the company
calendar's events and sections only by admins, and `calendar.section.add` refuses it for
everyone, as the reference allows only `user` and `group` there.
"""

from __future__ import annotations

import re
import time as _time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar

from ics2b24.portal import dates, user_settings
from ics2b24.portal.recurrence import expand, parse_rule
from ics2b24.portal.render import event_end, render_event, render_section, wall
from ics2b24.portal.store import Store, User, default_section

ACCESSIBILITY = ("busy", "absent", "quest", "free")
IMPORTANCE = ("high", "normal", "low")
EXPORT_SETS = ("all", "3_9", "6_12")
SECTION_COLOR = "#E6A469"
SECTION_TEXT_COLOR = "#000000"
NEW_EVENT_NAME = "New event"
_COLOR = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")

Handler = Callable[[User, Mapping[str, Any]], Any]


class MethodError(Exception):
    """A refusal the server turns into `{"error", "error_description"}` with `status`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}" if error else description)


@dataclass(frozen=True)
class _Texts:
    """One method's error texts, verbatim from its reference page."""

    method: str
    required: str
    invalid: str
    access: str
    section: str
    crm: str
    failed: str
    mode: str = ""

    def missing(self, name: str) -> MethodError:
        return MethodError("", self.required.format(name=name, method=self.method))

    def bad(self, name: str) -> MethodError:
        return MethodError("", self.invalid.format(name=name))


_ADD = _Texts(
    method="calendar.event.add",
    required='The required parameter "{name}" for the method "{method}" is not set',
    invalid='Invalid value for the parameter "{name}"',
    access="Access denied",
    section="You specified an invalid calendar section ID or the user does not have access to it",
    crm="The list of event links to CRM must be an array",
    failed="An error occurred while creating the event",
)
_UPDATE = _Texts(
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

    METHODS: ClassVar[frozenset[str]] = frozenset({
        "calendar.section.get", "calendar.section.add", "calendar.section.update",
        "calendar.section.delete", "calendar.event.get", "calendar.event.getbyid",
        "calendar.event.add", "calendar.event.update", "calendar.event.delete",
        "calendar.user.settings.get", "calendar.user.settings.set", "calendar.settings.get",
        "user.current",
    })

    def __init__(self, store: Store, host: str = "127.0.0.1") -> None:
        self.store = store
        self.host = host
        self._handlers: dict[str, Handler] = {
            "calendar.section.get": self._section_get,
            "calendar.section.add": self._section_add,
            "calendar.section.update": self._section_update,
            "calendar.section.delete": self._section_delete,
            "calendar.event.get": self._event_get,
            "calendar.event.getbyid": self._event_get_by_id,
            "calendar.event.add": self._event_add,
            "calendar.event.update": self._event_update,
            "calendar.event.delete": self._event_delete,
            "calendar.user.settings.get": self._user_settings_get,
            "calendar.user.settings.set": self._user_settings_set,
            "calendar.settings.get": self._settings_get,
            "user.current": self._user_current,
        }

    def call(self, user: User, method: str, params: Mapping[str, Any]) -> Any:
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise MethodError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        return handler(user, params)

    # --- access -------------------------------------------------------------------------

    def can_edit(self, user: User, cal_type: str, owner_id: int) -> bool:
        if cal_type == "user":
            return owner_id == user.id
        if cal_type == "group":
            return owner_id > 0
        if cal_type == "company_calendar":
            return user.is_admin
        return False

    # --- sections -----------------------------------------------------------------------

    def _section_get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        method = "calendar.section.get"
        text = 'The required parameter "{name}" for the method "{method}" is not set'
        cal_type, owner = self._section_calendar(user, p, method, text)
        editable = self.can_edit(user, cal_type, owner)
        return [render_section(s, viewer=user, editable=editable)
                for s in self.store.sections(cal_type, owner)]

    def _section_add(self, user: User, p: Mapping[str, Any]) -> int:
        method = "calendar.section.add"
        text = 'The required parameter "{name}" for the method "{method}" is not set.'
        cal_type, owner = self._section_calendar(user, p, method, text)
        _check_strings(p, name_required=True, invalid='Invalid value for the "{name}" parameter')
        allowed = (cal_type == "user" and owner == user.id) or (cal_type == "group" and owner > 0)
        if not allowed:
            raise MethodError("", "Access denied")
        now = _time.time()
        data = {
            "name": p["name"].strip(),
            "description": str(p.get("description") or "").strip(),
            "color": _color(p.get("color")) or SECTION_COLOR,
            "text_color": _color(p.get("text_color")) or SECTION_TEXT_COLOR,
            "export": _export(p.get("export"), {"ALLOW": True, "SET": "all"}),
            "created_by": user.id,
            "created": now,
            "modified": now,
        }
        return self.store.add_section(cal_type, owner, data)

    def _section_update(self, user: User, p: Mapping[str, Any]) -> int:
        method = "calendar.section.update"
        text = 'The required parameter "{name}" for the method "{method}" is not set'
        cal_type, owner = self._section_calendar(user, p, method, text)
        section_id = _int(p.get("id"))
        if not section_id or section_id <= 0:
            raise MethodError("", "Section ID is not set")
        _check_strings(p, name_required=False, invalid='Invalid value for the "{name}" parameter')
        with self.store.transaction():
            section = self._own_section(user, section_id, cal_type, owner, "Access denied")
            if isinstance(p.get("name"), str) and p["name"].strip():
                section["name"] = p["name"].strip()
            if isinstance(p.get("description"), str) and p["description"].strip():
                section["description"] = p["description"].strip()
            for key in ("color", "text_color"):
                if _color(p.get(key)):
                    section[key] = _color(p.get(key))
            section["export"] = _export(p.get("export"), section.get("export") or {})
            section["modified"] = _time.time()
            self.store.put_section(section)
        return section_id

    def _section_delete(self, user: User, p: Mapping[str, Any]) -> bool:
        method = "calendar.section.delete"
        text = 'The required parameter "{name}" for the method "{method}" is not set.'
        cal_type, owner = self._section_calendar(user, p, method, text)
        section_id = _int(p.get("id"))
        if not section_id or section_id <= 0:
            raise MethodError("", "Section ID is not set.")
        with self.store.transaction():
            self._own_section(user, section_id, cal_type, owner, "Access denied.")
            self.store.delete_section(section_id)
        return True

    def _section_calendar(self, user: User, p: Mapping[str, Any], method: str,
                          text: str) -> tuple[str, int]:
        """`type` and `ownerId` as the section methods read them: `ownerId` may be left out
        for a user calendar, meaning the caller's own."""
        if p.get("type") is None:
            raise MethodError("", text.format(name="type", method=method))
        cal_type = str(p["type"])
        if p.get("ownerId") is not None:
            return cal_type, _int(p["ownerId"]) or 0
        if cal_type == "user":
            return cal_type, user.id
        raise MethodError("", text.format(name="ownerId", method=method))

    def _own_section(self, user: User, section_id: int, cal_type: str, owner: int,
                     denied: str) -> dict[str, Any]:
        section = self.store.section(section_id)
        if (section is None or section["cal_type"] != cal_type or section["owner_id"] != owner
                or not self.can_edit(user, cal_type, owner)):
            raise MethodError("", denied)
        return section

    # --- events: reading ----------------------------------------------------------------

    def _event_get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        if _empty(p.get("type")):
            raise MethodError(
                "", 'Required parameter "type" is not specified for method "calendar.event.get"'
            )
        cal_type, owner = str(p["type"]), _int(p.get("ownerId")) or 0
        first, last = _window(p, dates.zone(user.time_zone))
        wanted = {s["id"] for s in self.store.sections(cal_type, owner)}
        if not _empty(p.get("section")):
            wanted &= {i for i in (_int(v) for v in _items(p["section"])) if i}
        viewer_tz = dates.zone(user.time_zone)
        begin = dates.timestamp(first, viewer_tz)
        end = dates.timestamp(last + timedelta(days=1), viewer_tz)
        rows: list[dict[str, Any]] = []
        for event in self.store.events(cal_type, owner, wanted):
            host = self._host_name(event)
            for start in _starts(event, end):
                if _overlaps(event, start, begin, end):
                    rows.append(render_event(event, viewer=user, host_name=host, start=start))
        rows.sort(key=lambda r: (int(r["DATE_FROM_TS_UTC"]), int(r["ID"])))
        return rows

    def _event_get_by_id(self, user: User, p: Mapping[str, Any]) -> dict[str, Any] | None:
        if _empty(p.get("id")):
            raise MethodError(
                "", 'The required parameter "id" for the method "calendar.event.getbyid" is not set'
            )
        event_id = _int(p.get("id"))
        event = self.store.event(event_id) if event_id else None
        if event is None:
            return None
        return render_event(event, viewer=user, host_name=self._host_name(event))

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
            if key in ("from", "to") and _empty(value) and not _empty(p.get(f"{key}_ts")):
                continue
            if _empty(value) and not (key == "ownerId" and value is not None):
                raise texts.missing(key)
        _check_strings(p, name_required=True, invalid=texts.invalid)
        cal_type, owner = str(p["type"]), _int(p["ownerId"]) or 0
        with self.store.transaction():
            section_id = self._add_section_for(user, cal_type, owner, p.get("section"), texts)
            event = self._apply(user, p, _blank(user, cal_type, owner), texts)
            event.update(section_id=section_id, dav_xml_id=self._dav_xml_id(event))
            return self._insert(event)

    def _event_update(self, user: User, p: Mapping[str, Any]) -> int | dict[str, Any]:
        texts = _UPDATE
        for key in ("id", "ownerId", "type"):
            value = p.get(key)
            if _empty(value) and not (key == "ownerId" and value is not None):
                raise texts.missing(key)
        _check_strings(p, name_required=False, invalid=texts.invalid)
        mode = p.get("recurrence_mode")
        if mode is not None and mode not in ("this", "next", "all"):
            raise MethodError("", texts.mode)
        with self.store.transaction():
            event = self.store.event(_int(p["id"]) or 0)
            if event is None:
                raise MethodError("", texts.failed)
            cal_type, owner = str(p["type"]), _int(p["ownerId"]) or 0
            if ((event["cal_type"], event["owner_id"]) != (cal_type, owner)
                    or not self.can_edit(user, cal_type, owner)):
                raise MethodError("", texts.access)
            if (event.get("is_meeting") and event["meeting_host"] != user.id
                    and _int(p.get("host")) != event["meeting_host"]):
                raise MethodError("", texts.access)
            if not _empty(p.get("section")):
                self._existing_section(user, cal_type, owner, p["section"], texts)
            if event.get("rrule") and mode in ("this", "next"):
                day = _current_day(p, texts)
                start = _occurrence_on(event, day)
                if start is None:
                    raise MethodError("", texts.failed)
                if mode == "this":
                    return self._detach(user, p, event, start)
                return self._split(user, p, event, start)
            changed = self._apply(user, p, event, texts)
            self.store.put_event(_touched(changed))
            return int(event["id"])

    def _event_delete(self, user: User, p: Mapping[str, Any]) -> bool:
        event_id = _int(p.get("id"))
        if not event_id or event_id <= 0:
            raise MethodError("", "Event id not specified")
        with self.store.transaction():
            event = self.store.event(event_id)
            if event is None or not self.can_edit(user, event["cal_type"], event["owner_id"]):
                raise MethodError("", "An error occurred while deleting the event")
            for occurrence in self.store.detached(event_id):
                self.store.delete_event(int(occurrence["id"]))
            self.store.delete_event(event_id)
        return True

    def _detach(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
                start: date | datetime) -> dict[str, Any]:
        """`recurrence_mode: this`: the occurrence becomes its own event, the series skips
        that day; the answer names the new event as `recEventId`."""
        day = _day(start)
        series_id = int(series["id"])
        self.store.put_event(_touched({
            **series, "exdate": sorted({*series.get("exdate", []), day.isoformat()}),
        }))
        base = {**series, "from": start.isoformat(),
                "to": event_end(series, start).isoformat(), "rrule": None, "exdate": []}
        single = self._apply(user, {k: v for k, v in p.items() if k != "rrule"}, base, _UPDATE)
        single.update(
            recurrence_id=series_id,
            original_date_from=start.isoformat(),
            relations={"COMMENT_XML_ID": f"EVENT_{series_id}_{dates.display_date(day)}"},
            dav_xml_id=series["dav_xml_id"],
            version=1,
            created=_time.time(),
        )
        single_id = self._insert(single)
        return {
            "originalDate": dates.display(start),
            "originalDavXmlId": series["dav_xml_id"],
            "instanceTz": series["tz_from"],
            "recEventId": single_id,
            "id": series_id,
        }

    def _split(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
               start: date | datetime) -> dict[str, Any]:
        """`recurrence_mode: next`: the series ends the day before, a new series (linked by
        RELATIONS) carries this and the following occurrences, COUNT shared between them."""
        day = _day(start)
        series_id = int(series["id"])
        rule = dict(series["rrule"])
        before = sum(1 for _ in expand(wall(series["from"]), rule, timezone=series["tz_from"],
                                       before=start))
        if before == 0:
            changed = self._apply(user, p, series, _UPDATE)
            self.store.put_event(_touched(changed))
            return self._split_answer(series, changed, series_id)
        later_rule = dict(rule)
        if rule.get("COUNT"):
            later_rule["COUNT"] = int(rule["COUNT"]) - before
            rule["COUNT"] = before
        else:
            rule["UNTIL"] = (day - timedelta(days=1)).isoformat()
        exdates = series.get("exdate", [])
        base = {**series, "from": start.isoformat(), "to": event_end(series, start).isoformat(),
                "rrule": later_rule, "exdate": [d for d in exdates if d >= day.isoformat()]}
        later = self._apply(user, p, base, _UPDATE)
        root = (series.get("relations") or {}).get("ORIGINAL_RECURSION_ID", series_id)
        later.update(relations={"ORIGINAL_RECURSION_ID": root}, recurrence_id=None,
                     original_date_from=None, version=1, created=_time.time())
        later["dav_xml_id"] = self._dav_xml_id(later)
        later_id = self._insert(later)
        self.store.put_event(_touched({
            **series, "rrule": rule, "exdate": [d for d in exdates if d < day.isoformat()],
        }))
        for occurrence in self.store.detached(series_id):
            if (occurrence.get("original_date_from") or "")[:10] >= day.isoformat():
                self.store.put_event({**occurrence, "recurrence_id": later_id})
        return self._split_answer(series, {**later, "id": later_id}, later_id)

    def _split_answer(self, series: Mapping[str, Any], later: Mapping[str, Any],
                      later_id: int) -> dict[str, Any]:
        return {
            "originalDate": dates.display(wall(later["from"])),
            "originalDavXmlId": series["dav_xml_id"],
            "instanceTz": later["tz_from"],
            "recEventId": later_id,
            "id": int(series["id"]),
        }

    def _insert(self, event: dict[str, Any]) -> int:
        event_id = self.store.add_event(event)
        self.store.put_event({**event, "id": event_id, "parent_id": event_id})
        return event_id

    def _dav_xml_id(self, event: Mapping[str, Any]) -> str:
        stamp = dates.utc_stamp(wall(event["from"]), dates.zone(event["tz_from"]))
        return f"{stamp}-{uuid.uuid4().hex}@{self.host}"

    def _add_section_for(self, user: User, cal_type: str, owner: int, raw: Any,
                         texts: _Texts) -> int:
        """The section an added event goes to: the one named, or the calendar's first one
        (created for a user or group calendar that has none)."""
        if not _empty(raw):
            return self._existing_section(user, cal_type, owner, raw, texts)
        if not self.can_edit(user, cal_type, owner):
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
                          texts: _Texts) -> int:
        section_id = _int(raw) or 0
        section = self.store.section(section_id)
        if section is None or (section["cal_type"], section["owner_id"]) != (cal_type, owner):
            raise MethodError("", texts.section)
        if not self.can_edit(user, cal_type, owner):
            raise MethodError("", texts.access)
        return section_id

    def _apply(self, user: User, p: Mapping[str, Any], base: dict[str, Any],
               texts: _Texts) -> dict[str, Any]:
        """`base` with the given params laid over it: what add builds and update changes."""
        event = dict(base)
        skip = bool(base["skip_time"])
        for key in ("skip_time", "skipTime"):
            if p.get(key) is not None:
                skip = p[key] == "Y"
        try:
            _apply_dates(event, p, skip, user)
            if p.get("rrule") is not None:
                event["rrule"] = _rule(p["rrule"])
        except ValueError:
            raise MethodError("", texts.failed) from None
        if isinstance(p.get("name"), str):
            event["name"] = p["name"].strip() or NEW_EVENT_NAME
        for key in ("description", "location"):
            if p.get(key) is not None:
                event[key] = str(p[key]).strip()
        for key in ("color", "text_color"):
            if _color(p.get(key)):
                event[key] = _color(p.get(key))
        if p.get("accessibility") in ACCESSIBILITY:
            event["accessibility"] = p["accessibility"]
        if p.get("importance") in IMPORTANCE:
            event["importance"] = p["importance"]
        if p.get("private_event") is not None:
            event["private"] = p["private_event"] == "Y"
        if p.get("remind") is not None:
            try:
                event["remind"] = [user_settings.reminder(r, "remind") for r in _items(p["remind"])]
            except user_settings.SettingsError:
                raise MethodError("", texts.failed) from None
        if p.get("crm_fields") is not None:
            if not isinstance(p["crm_fields"], (list, Mapping)):
                raise MethodError("", texts.crm)
            event["crm_fields"] = [str(v) for v in _items(p["crm_fields"])]
        self._apply_meeting(event, p)
        return event

    def _apply_meeting(self, event: dict[str, Any], p: Mapping[str, Any]) -> None:
        if p.get("is_meeting") is not None:
            event["is_meeting"] = p["is_meeting"] == "Y"
            given = [i for i in (_int(v) for v in _items(p.get("attendees") or [])) if i]
            known = [i for i in dict.fromkeys(given) if self.store.user(i)]
            event["attendees"] = known if event["is_meeting"] else []
        if isinstance(p.get("meeting"), Mapping):
            flags = dict(event.get("meeting") or {})
            for key in ("notify", "reinvite", "allow_invite", "hide_guests"):
                if key in p["meeting"]:
                    flags[key] = _flag(p["meeting"][key])
            event["meeting"] = flags

    # --- settings and the current user --------------------------------------------------

    def _user_settings_get(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        stored = self.store.settings(user.id) or user_settings.defaults(self._personal(user))
        return user_settings.shown(stored, user.time_zone)

    def _user_settings_set(self, user: User, p: Mapping[str, Any]) -> bool:
        given = p.get("settings")
        if not isinstance(given, Mapping):
            raise MethodError("", 'The required parameter "settings" for the method '
                                  '"calendar.user.settings.set" is not set')
        try:
            self.store.put_settings(user.id, user_settings.validated(given, self._personal(user)))
        except user_settings.SettingsError as error:
            raise MethodError("", str(error)) from None
        return True

    def _personal(self, user: User) -> int | None:
        sections = self.store.sections("user", user.id)
        return int(sections[0]["id"]) if sections else None

    def _settings_get(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "work_time_start": "9",
            "work_time_end": "19",
            "year_holidays": "1.01,25.12",
            "year_workdays": "",
            "week_holidays": ["SA", "SU"],
            "week_start": "MO",
            "user_name_template": "#NAME# #LAST_NAME#",
            "sync_by_push": False,
            "user_show_login": True,
            "path_to_user": "/company/personal/user/#user_id#/",
            "path_to_user_calendar": "/company/personal/user/#user_id#/calendar/",
            "path_to_group": "/workgroups/group/#group_id#/",
            "path_to_group_calendar": "/workgroups/group/#group_id#/calendar/",
            "path_to_vr": "",
            "path_to_rm": "",
            "rm_iblock_type": "",
            "rm_iblock_id": "",
            "dep_manager_sub": True,
            "denied_superpose_types": [],
            "pathes_for_sites": "",
            "forum_id": "8",
            "rm_for_sites": True,
            "path_to_type_company_calendar": "",
            "path_to_type_location": "",
            "path_to_type_open_event": "",
        }

    def _user_current(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        offset = datetime.now(dates.zone(user.time_zone)).utcoffset() or timedelta(0)
        return {
            "ID": str(user.id),
            "XML_ID": "",
            "ACTIVE": True,
            "NAME": user.name,
            "LAST_NAME": user.last_name,
            "SECOND_NAME": "",
            "EMAIL": user.email,
            "IS_ONLINE": "Y",
            "TIME_ZONE": user.time_zone,
            "TIME_ZONE_OFFSET": str(int(offset.total_seconds())),
            "PERSONAL_GENDER": "",
            "PERSONAL_BIRTHDAY": "",
            "UF_EMPLOYMENT_DATE": "",
            "UF_DEPARTMENT": [1],
            "USER_TYPE": "employee",
        }


# --- pure helpers ---------------------------------------------------------------------------


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


def _apply_dates(event: dict[str, Any], p: Mapping[str, Any], skip: bool, user: User) -> None:
    """from/to (or from_ts/to_ts), skip_time and the zones, as the reference's "Timezone
    handling features" rank them. Raises ValueError for values no portal would take."""
    if not skip and p.get("timezone_from"):
        event["tz_from"] = str(p["timezone_from"])
        event["tz_to"] = str(p.get("timezone_to") or p["timezone_from"])
    elif not event["from"]:
        event["tz_from"] = event["tz_to"] = user.time_zone
    tz_from, tz_to = dates.zone(event["tz_from"]), dates.zone(event["tz_to"])
    old_start = wall(event["from"]) if event["from"] else None
    old_end = wall(event["to"]) if event["to"] else None
    start = _given_date(p, "from", tz_from)
    end = _given_date(p, "to", tz_to)
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


def _given_date(p: Mapping[str, Any], key: str, tz: Any) -> date | datetime | None:
    if not _empty(p.get(key)):
        return dates.parse(p[key], tz=tz)
    if not _empty(p.get(f"{key}_ts")):
        return dates.from_timestamp(p[f"{key}_ts"], tz)
    return None


def _kind(value: date | datetime, skip: bool) -> date | datetime:
    if skip:
        return _day(value)
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _rule(value: Any) -> dict[str, Any] | None:
    """The stored (canonical REST) form of a `rrule` param; empty or FREQ=NONE removes it."""
    if _empty(value) or not isinstance(value, Mapping):
        if _empty(value):
            return None
        raise ValueError("rrule must be an object")
    if str(value.get("FREQ", "")).upper() == "NONE":
        return None
    rule = parse_rule(value)
    out: dict[str, Any] = {"FREQ": rule.freq, "INTERVAL": rule.interval}
    if rule.count is not None:
        out["COUNT"] = rule.count
    if rule.until is not None:
        out["UNTIL"] = rule.until.isoformat()
    if rule.byday and rule.freq == "WEEKLY":
        out["BYDAY"] = [("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d] for d in rule.byday]
    return out


def _starts(event: Mapping[str, Any], before_ts: int) -> Iterator[date | datetime]:
    """The event's start, or every start of its series up to the window's end."""
    first = wall(event["from"])
    if not event.get("rrule"):
        yield first
        return
    limit = datetime.fromtimestamp(before_ts, timezone.utc)
    exdates = [date.fromisoformat(d) for d in event.get("exdate", [])]
    yield from expand(first, event["rrule"], timezone=event["tz_from"], exdates=exdates,
                      before=limit)


def _overlaps(event: Mapping[str, Any], start: date | datetime, begin: int, end: int) -> bool:
    tz_from, tz_to = dates.zone(event["tz_from"]), dates.zone(event["tz_to"])
    start_ts = dates.timestamp(start, tz_from)
    last = event_end(event, start)
    if not isinstance(last, datetime):
        last = last + timedelta(days=1)
    end_ts = dates.timestamp(last, tz_to)
    return start_ts < end and (end_ts > begin or start_ts >= begin)


def _occurrence_on(event: Mapping[str, Any], day: date) -> date | datetime | None:
    """The series' start on `day`, if the series has one there (excluded days have none)."""
    exdates = [date.fromisoformat(d) for d in event.get("exdate", [])]
    for start in expand(wall(event["from"]), event["rrule"], timezone=event["tz_from"],
                        exdates=exdates, before=day + timedelta(days=1)):
        if _day(start) == day:
            return start
    return None


def _current_day(p: Mapping[str, Any], texts: _Texts) -> date:
    if _empty(p.get("current_date_from")):
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
    if _empty(value):
        return None
    try:
        return dates.parse_day(value)
    except ValueError:
        return None


def _touched(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "modified": _time.time(), "version": int(event.get("version", 1)) + 1}


def _check_strings(p: Mapping[str, Any], *, name_required: bool, invalid: str) -> None:
    """`name` and `description` must be strings (the reference's "Invalid value" errors)."""
    name = p.get("name")
    if (name_required or name is not None) and not isinstance(name, str):
        raise MethodError("", invalid.format(name="name"))
    if p.get("description") is not None and not isinstance(p["description"], str):
        raise MethodError("", invalid.format(name="description"))


def _export(value: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    out = {"ALLOW": bool(current.get("ALLOW", True)), "SET": str(current.get("SET", "all"))}
    if isinstance(value, Mapping):
        if "ALLOW" in value:
            out["ALLOW"] = _flag(value["ALLOW"])
        if value.get("SET") in EXPORT_SETS:
            out["SET"] = value["SET"]
    return out


def _color(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _COLOR.match(value.strip())
    return f"#{match.group(1)}" if match else None


def _empty(value: Any) -> bool:
    """PHP's empty(): what a portal treats as "not set"."""
    return value is None or value is False or value in ("", "0", 0, [], {})


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("y", "1", "true")


def _items(value: Any) -> list[Any]:
    """A list as JSON gives it, or as PHP-style form keys decode it (`{"0": …}`). A form can
    only say "empty array" as `key[]=`, which decodes to one empty string: that is no item."""
    if isinstance(value, Mapping):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    return [item for item in items if item != ""]


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
