"""Stored rows → the field sets the reference's response examples show.

The store keeps events in a plain internal form (ISO wall-clock values, booleans, lists); the
portal's answers use the documented field names, string ids, display-format dates in the
event's zone and UTC timestamps (`_includes/calendar_event_fields.md`). Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ics2b24.portal.dates import (
    display,
    display_date,
    display_datetime,
    formatted,
    offset_seconds,
    timestamp,
    zone,
)
from ics2b24.portal.store import User

_DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat",
              "SU": "Sun"}
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


def wall(value: str) -> date | datetime:
    """A stored wall-clock value: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`."""
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def event_end(event: Mapping[str, Any], start: date | datetime) -> date | datetime:
    """Where an occurrence starting at `start` ends: the series' length moved along.

    Timed lengths are measured in absolute time (a 1-hour event stays 1 hour across a DST
    change); all-day lengths in days.
    """
    first, last = wall(event["from"]), wall(event["to"])
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return start + (_day(last) - _day(first))
    tz_from, tz_to = zone(event["tz_from"]), zone(event["tz_to"])
    length = timestamp(last, tz_to) - timestamp(first, tz_from)
    begin = start if isinstance(start, datetime) else datetime.combine(start, first.time())
    end_instant = datetime.fromtimestamp(timestamp(begin, tz_from) + length, tz_to)
    return end_instant.replace(tzinfo=None)


def render_event(event: dict[str, Any], *, viewer: User, host_name: str,
                 start: date | datetime | None = None) -> dict[str, Any]:
    """One event (or, with `start`, one occurrence of a series) as `calendar.event.get` and
    `calendar.event.getbyid` answer it."""
    first = wall(event["from"]) if start is None else start
    last = wall(event["to"]) if start is None else event_end(event, start)
    tz_from, tz_to = zone(event["tz_from"]), zone(event["tz_to"])
    viewer_tz = zone(viewer.time_zone)
    skip = bool(event["skip_time"])
    from_ts, to_ts = timestamp(first, tz_from), timestamp(last, tz_to)
    length = (_day(last) - _day(first)).days * 86400 + 86400 if skip else to_ts - from_ts
    event_id = str(event["id"])
    attendees = _attendees(event)
    out: dict[str, Any] = {
        "ID": event_id,
        "PARENT_ID": str(event.get("parent_id") or event["id"]),
        "DELETED": "N",
        "CAL_TYPE": event["cal_type"],
        "OWNER_ID": str(event["owner_id"]),
        "NAME": event["name"],
        "DATE_FROM": display(first),
        "DATE_TO": display(last),
        "ORIGINAL_DATE_FROM": (display(wall(event["original_date_from"]))
                               if event.get("original_date_from") else None),
        "TZ_FROM": event["tz_from"],
        "TZ_TO": event["tz_to"],
        "TZ_OFFSET_FROM": str(offset_seconds(first, tz_from)),
        "TZ_OFFSET_TO": str(offset_seconds(last, tz_to)),
        "DATE_FROM_TS_UTC": str(from_ts),
        "DATE_TO_TS_UTC": str(to_ts),
        "DT_SKIP_TIME": "Y" if skip else "N",
        "DT_LENGTH": length,
        "EVENT_TYPE": None,
        "CREATED_BY": str(event["created_by"]),
        "DATE_CREATE": _moment(event["created"], viewer_tz),
        "TIMESTAMP_X": _moment(event["modified"], viewer_tz),
        "DESCRIPTION": event.get("description", ""),
        "PRIVATE_EVENT": "Y" if event.get("private") else "",
        "ACCESSIBILITY": event.get("accessibility", "busy"),
        "IMPORTANCE": event.get("importance", "normal"),
        "IS_MEETING": bool(event.get("is_meeting")),
        "MEETING_STATUS": "H" if event.get("is_meeting") else None,
        "MEETING_HOST": str(event["meeting_host"]),
        "MEETING": _meeting(event, host_name),
        "LOCATION": event.get("location", ""),
        "REMIND": [dict(r) for r in event.get("remind", [])],
        "COLOR": event.get("color", ""),
        "TEXT_COLOR": event.get("text_color", ""),
        "RRULE": render_rrule(event["rrule"]) if event.get("rrule") else "",
        "EXDATE": ";".join(display_date(date.fromisoformat(d))
                           for d in sorted(event.get("exdate", []))),
        "DAV_XML_ID": event["dav_xml_id"],
        "G_EVENT_ID": "",
        "DAV_EXCH_LABEL": "",
        "CAL_DAV_LABEL": "",
        "VERSION": str(event.get("version", 1)),
        "ATTENDEES_CODES": [f"U{a}" for a in attendees],
        "RECURRENCE_ID": event.get("recurrence_id"),
        "RELATIONS": event.get("relations"),
        "SECTION_ID": str(event["section_id"]),
        "SYNC_STATUS": None,
        "UF_CRM_CAL_EVENT": list(event.get("crm_fields", [])) or False,
        "UF_WEBDAV_CAL_EVENT": False,
        "SECTION_DAV_XML_ID": None,
        "DATE_FROM_FORMATTED": formatted(first),
        "DATE_TO_FORMATTED": formatted(last),
        "SECT_ID": str(event["section_id"]),
        "ATTENDEE_LIST": [
            {"id": a, "entryId": event_id,
             "status": "H" if a == event["meeting_host"] else "Q"}
            for a in attendees
        ],
        "COLLAB_ID": None,
    }
    if event.get("rrule"):
        out["~RRULE_DESCRIPTION"] = describe_rrule(event["rrule"], wall(event["from"]))
    out["attendeesEntityList"] = [{"entityId": "user", "id": a} for a in attendees]
    out["~DESCRIPTION"] = out["DESCRIPTION"]
    out["~USER_OFFSET_FROM"] = offset_seconds(first, tz_from) - _viewer_offset(from_ts, viewer_tz)
    out["~USER_OFFSET_TO"] = offset_seconds(last, tz_to) - _viewer_offset(to_ts, viewer_tz)
    return out


def render_rrule(rule: dict[str, Any]) -> dict[str, Any]:
    """The documented RRULE object: BYDAY as an object, UNTIL in display format."""
    out: dict[str, Any] = {"FREQ": rule["FREQ"]}
    if rule.get("BYDAY"):
        out["BYDAY"] = {day: day for day in rule["BYDAY"]}
    out["INTERVAL"] = int(rule.get("INTERVAL", 1))
    if rule.get("COUNT"):
        out["COUNT"] = int(rule["COUNT"])
    if rule.get("UNTIL"):
        until = date.fromisoformat(rule["UNTIL"])
        out["UNTIL"] = display_date(until)
        out["~UNTIL"] = display_date(until)
        out["UNTIL_TS"] = int(datetime.combine(until, datetime.min.time(),
                                               tzinfo=timezone.utc).timestamp())
    return out


def describe_rrule(rule: dict[str, Any], start: date | datetime) -> str:
    interval = int(rule.get("INTERVAL", 1))
    unit = _UNITS[rule["FREQ"]]
    text = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    if rule.get("BYDAY"):
        text += " on: " + ", ".join(_DAY_NAMES[d] for d in rule["BYDAY"])
    text += f", from {display_date(_day(start))}"
    if rule.get("UNTIL"):
        text += f" to {display_date(date.fromisoformat(rule['UNTIL']))}"
    if rule.get("COUNT"):
        text += f", {int(rule['COUNT'])} times"
    return text


def render_section(section: dict[str, Any], *, viewer: User, editable: bool) -> dict[str, Any]:
    """A section as `calendar.section.get` answers it."""
    viewer_tz = zone(viewer.time_zone)
    return {
        "ID": str(section["id"]),
        "NAME": section["name"],
        "GAPI_CALENDAR_ID": None,
        "DESCRIPTION": section.get("description", ""),
        "COLOR": section.get("color", ""),
        "TEXT_COLOR": section.get("text_color", ""),
        "EXPORT": dict(section.get("export", {"ALLOW": True, "SET": "all"})),
        "CAL_TYPE": section["cal_type"],
        "OWNER_ID": str(section["owner_id"]),
        "CREATED_BY": str(section.get("created_by", section["owner_id"])),
        "DATE_CREATE": _iso_moment(section.get("created"), viewer_tz),
        "TIMESTAMP_X": _iso_moment(section.get("modified"), viewer_tz),
        "CAL_DAV_CON": None,
        "SYNC_TOKEN": None,
        "PAGE_TOKEN": None,
        "EXTERNAL_TYPE": "local",
        "ACCESS": {},
        "IS_COLLAB": False,
        "PERM": {
            "view_time": True,
            "view_title": True,
            "view_full": True,
            "add": editable,
            "edit": editable,
            "edit_section": editable,
            "access": editable,
        },
    }


def _attendees(event: dict[str, Any]) -> list[int]:
    if not event.get("is_meeting"):
        return []
    host = int(event["meeting_host"])
    others = [int(a) for a in event.get("attendees", []) if int(a) != host]
    return [host, *others]


def _meeting(event: dict[str, Any], host_name: str) -> dict[str, Any] | None:
    if not event.get("is_meeting"):
        return None
    flags = event.get("meeting") or {}
    return {
        "HOST_NAME": host_name,
        "NOTIFY": bool(flags.get("notify", False)),
        "REINVITE": bool(flags.get("reinvite", False)),
        "ALLOW_INVITE": bool(flags.get("allow_invite", False)),
        "HIDE_GUESTS": bool(flags.get("hide_guests", False)),
        "MEETING_CREATOR": int(event["created_by"]),
        "LANGUAGE_ID": "en",
        "MAIL_FROM": "",
    }


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _moment(seconds: float, tz: Any) -> str:
    return display_datetime(datetime.fromtimestamp(seconds, tz).replace(tzinfo=None))


def _iso_moment(seconds: float | None, tz: Any) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz).strftime("%Y-%m-%d %H:%M:%S")


def _viewer_offset(ts: int, tz: Any) -> int:
    delta = datetime.fromtimestamp(ts, tz).utcoffset() or timedelta(0)
    return int(delta.total_seconds())
