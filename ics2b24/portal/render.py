"""Stored rows → the field sets the reference's response examples show.

The store keeps events in a plain internal form (ISO wall-clock values, booleans, lists); the
portal's answers use the documented field names, string ids, display-format dates in the
event's zone and UTC timestamps (`_includes/calendar_event_fields.md`). Pure functions.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.portal.dates import (
    display,
    display_date,
    display_datetime,
    formatted,
    offset_seconds,
    timestamp,
    zone,
)
from ics2b24.portal.recurrence_current import stored_count_end
from ics2b24.portal.store import User
from ics2b24.portal.stored_rule import MAX_DATE, BitrixRule, read_rule

_DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat",
              "SU": "Sun"}
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_WEEK = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def wall(value: str) -> date | datetime:
    """A stored wall-clock value: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`."""
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def event_length(event: Mapping[str, Any]) -> int:
    """DT_LENGTH: the first occurrence's length in seconds (whole days for all-day events), as
    CCalendarEvent::CheckFields stores it before checkRecurringRuleField moves the series'
    DATE_TO_TS_UTC to its end."""
    first, last = wall(event["from"]), wall(event["to"])
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return ((_day(last) - _day(first)).days + 1) * 86400
    return (timestamp(last, zone(event["tz_to"])) - timestamp(first, zone(event["tz_from"])))


def event_end(event: Mapping[str, Any], start: date | datetime) -> date | datetime:
    """Where an occurrence starting at `start` ends, as CCalendarEvent::ParseRecursion
    (calendar_event.php) computes it: the start's wall clock plus DT_LENGTH seconds, less the
    difference of the *series'* TZ_OFFSET_FROM and TZ_OFFSET_TO; all-day: plus the length in
    days, less one."""
    length = event_length(event)
    if not isinstance(start, datetime):
        return start + timedelta(days=length // 86400 - 1)
    first, last = wall(event["from"]), wall(event["to"])
    shift = (offset_seconds(first, zone(event["tz_from"]))
             - offset_seconds(last, zone(event["tz_to"])))
    return start + timedelta(seconds=length - shift)


def series_to_ts(event: Mapping[str, Any], *, current: bool) -> int:
    """DATE_TO_TS_UTC of a series, as CCalendarEvent::checkRecurringRuleField stores it: UNTIL
    (GetMaxDate, 2038, for a series without end) plus one day; an UNTIL before the first end
    counts as that end. The test portal reads dates as the server would in UTC. On the current
    generation a COUNT series stores calculateUntilForCountRRule instead
    (`recurrence_current.stored_count_end`, a function of the stored rule and dates)."""
    if current:
        count_end = stored_count_end(event["rrule"], wall(event["from"]), wall(event["to"]))
        if count_end is not None:
            return count_end
    rule = read_rule(event["rrule"])
    until = rule.until if rule else MAX_DATE
    until_ts = int(datetime.combine(until, datetime.min.time(), tzinfo=timezone.utc).timestamp())
    last = wall(event["to"])
    end = last if isinstance(last, datetime) else datetime.combine(last, datetime.min.time())
    end_ts = int(end.replace(tzinfo=timezone.utc).timestamp())
    if until_ts + 86400 < end_ts:
        until_ts = end_ts
    return until_ts + 86400


def render_event(event: dict[str, Any], *, viewer: User, host_name: str,
                 occurrence: tuple[int, date | datetime] | None = None,
                 listing: bool = False, current: bool) -> dict[str, Any]:
    """One event as `calendar.event.getbyid` answers it, or (with `occurrence`, its RINDEX and
    start) one expanded occurrence of a series, or (`listing`) a `calendar.event.get` row.

    CCalendarEvent::ParseRecursion (calendar_event.php) copies the series row for each
    occurrence and changes only DATE_FROM, DATE_TO, RRULE and RINDEX: ID, DATE_FROM_TS_UTC,
    DATE_TO_TS_UTC, TZ_OFFSET_* and DT_LENGTH stay the series'. CCalendar::GetEventList
    (calendar.php) unsets ~DESCRIPTION from every row of `calendar.event.get` (generation 1,
    `current=False`, DESCRIPTION too); `calendar.event.getbyid` (CCalendarEvent::GetById) keeps
    both, ~DESCRIPTION being the text rendered as HTML (`_html`).
    """
    if occurrence is None:
        first, last = wall(event["from"]), wall(event["to"])
    else:
        first = occurrence[1]
        last = event_end(event, first)
    viewer_tz = zone(viewer.time_zone)
    rule = read_rule(event["rrule"]) if event.get("rrule") else None
    attendees = _attendees(event)
    out = {**_head(event), **_times(event, first, last, current=current),
           **_body(event, rule, viewer_tz, host_name), **_tail(event, attendees, first, last)}
    if rule:
        out["~RRULE_DESCRIPTION"] = describe_rrule(rule, wall(event["from"]))
    if occurrence is not None:
        out["RINDEX"] = occurrence[0]
    out["attendeesEntityList"] = [{"entityId": "user", "id": a} for a in attendees]
    out["~DESCRIPTION"] = _html(out["DESCRIPTION"])
    out.update(_user_offsets(event, first, last, viewer_tz))
    if listing:
        del out["~DESCRIPTION"]
        if not current:
            del out["DESCRIPTION"]
    return out


def _head(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ID": str(event["id"]),
        "PARENT_ID": str(event.get("parent_id") or event["id"]),
        "DELETED": "N",
        "CAL_TYPE": event["cal_type"],
        "OWNER_ID": str(event["owner_id"]),
        "NAME": event["name"],
    }


def _times(event: Mapping[str, Any], first: date | datetime, last: date | datetime, *,
           current: bool) -> dict[str, Any]:
    """The occurrence's own DATE_FROM/DATE_TO; the offsets and timestamps of the series."""
    series_first, series_last = wall(event["from"]), wall(event["to"])
    tz_from, tz_to = zone(event["tz_from"]), zone(event["tz_to"])
    to_ts = (series_to_ts(event, current=current) if event.get("rrule")
             else timestamp(series_last, tz_to))
    return {
        "DATE_FROM": display(first),
        "DATE_TO": display(last),
        "ORIGINAL_DATE_FROM": (display(wall(event["original_date_from"]))
                               if event.get("original_date_from") else None),
        "TZ_FROM": event["tz_from"],
        "TZ_TO": event["tz_to"],
        "TZ_OFFSET_FROM": str(offset_seconds(series_first, tz_from)),
        "TZ_OFFSET_TO": str(offset_seconds(series_last, tz_to)),
        "DATE_FROM_TS_UTC": str(timestamp(series_first, tz_from)),
        "DATE_TO_TS_UTC": str(to_ts),
        "DT_SKIP_TIME": "Y" if event["skip_time"] else "N",
        "DT_LENGTH": event_length(event),
    }


def _body(event: dict[str, Any], rule: BitrixRule | None, viewer_tz: ZoneInfo,
          host_name: str) -> dict[str, Any]:
    return {
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
        "RRULE": render_rrule(rule) if rule else "",
        "EXDATE": ";".join(display_date(date.fromisoformat(d))
                           for d in sorted(event.get("exdate", []))),
    }


def _tail(event: Mapping[str, Any], attendees: list[int], first: date | datetime,
          last: date | datetime) -> dict[str, Any]:
    event_id = str(event["id"])
    return {
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


def _user_offsets(event: Mapping[str, Any], first: date | datetime, last: date | datetime,
                  viewer_tz: ZoneInfo) -> dict[str, int]:
    """~USER_OFFSET_*: the occurrence's own offset against the viewer's at that moment."""
    tz_from, tz_to = zone(event["tz_from"]), zone(event["tz_to"])
    own_from_ts, own_to_ts = timestamp(first, tz_from), timestamp(last, tz_to)
    return {
        "~USER_OFFSET_FROM": offset_seconds(first, tz_from) - _viewer_offset(own_from_ts,
                                                                             viewer_tz),
        "~USER_OFFSET_TO": offset_seconds(last, tz_to) - _viewer_offset(own_to_ts, viewer_tz),
    }


def _html(text: str) -> str:
    """The description as the portal's text parser shows it: escaped, line breaks as `<br>`."""
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def render_rrule(rule: BitrixRule) -> dict[str, Any]:
    """RRULE as CCalendarEvent::ParseRRULE answers it: BYDAY an object, UNTIL in display format
    (01/01/2038 for a series without end, whose ~UNTIL is then empty), COUNT only when positive,
    plus the reference's UNTIL_TS."""
    out = rule.as_array()
    out["UNTIL_TS"] = int(datetime.combine(rule.until, datetime.min.time(),
                                           tzinfo=timezone.utc).timestamp())
    return out


def describe_rrule(rule: BitrixRule, start: date | datetime) -> str:
    """~RRULE_DESCRIPTION after CCalendarEvent::GetRRULEDescription: the end date unless it is
    GetMaxDate, else the count."""
    unit = _UNITS[rule.freq]
    text = f"every {unit}" if rule.interval == 1 else f"every {rule.interval} {unit}s"
    if rule.byday:
        text += " on: " + ", ".join(_DAY_NAMES[d] for d in _WEEK if d in rule.byday)
    text += f", from {display_date(_day(start))}"
    if rule.until != MAX_DATE:
        text += f" to {display_date(rule.until)}"
    elif rule.count:
        text += f", {rule.count} times"
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
    # CCalendarRestService::EventAdd/EventUpdate build MEETING from text, open, notify and
    # reinvite only (allow_invite and hide_guests are not read), and CCalendarEvent::Edit stores
    # REINVITE as false.
    return {
        "HOST_NAME": host_name,
        "NOTIFY": bool(flags.get("notify", False)),
        "REINVITE": False,
        "ALLOW_INVITE": False,
        "HIDE_GUESTS": False,
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
