"""Request parameters laid over a stored event: what `calendar.event.add` builds, `.update`
changes, and a series edit's copies take. One place, so that every write path turns `from`,
`to`, zones, colours, reminders and meeting fields into stored values the same way; the method
modules keep only their checks and order.
"""

from __future__ import annotations

import time as _time
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ics2b24.portal import columns, dates, stored_rule, zones
from ics2b24.portal.dates import as_datetime, day_of
from ics2b24.portal.params import as_int, as_list, bitrix_color, empty
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError, Texts
from ics2b24.portal.render import wall
from ics2b24.portal.store import Store, User
from ics2b24.portal.wire import php_bool, php_int, php_string

ACCESSIBILITY = ("busy", "absent", "quest", "free")

IMPORTANCE = ("high", "normal", "low")

NEW_EVENT_NAME = "New event"


ADD_TEXTS = Texts(
    method="calendar.event.add",
    required='The required parameter "{name}" for the method "{method}" is not set',
    invalid='Invalid value for the parameter "{name}"',
    access="Access denied",
    section="You specified an invalid calendar section ID or the user does not have access to it",
    crm="The list of event links to CRM must be an array",
    failed="An error occurred while creating the event",
)
UPDATE_TEXTS = Texts(
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


def apply_params(store: Store, profile: Profile, user: User, p: Mapping[str, Any],
                 base: dict[str, Any], texts: Texts) -> dict[str, Any]:
    """`base` with the given params laid over it: what add builds and update changes."""
    event = dict(base)
    skip = bool(base["skip_time"])
    for key in ("skip_time", "skipTime"):
        if p.get(key) is not None:
            skip = p[key] == "Y"
    try:
        _apply_dates(event, p, skip, user, profile)
    except ValueError:
        raise MethodError("", texts.failed) from None
    end = wall(event["to"])
    if p.get("rrule") is not None:
        # CCalendarEvent::checkRecurringRuleField (calendar_event.php), see
        # stored_rule.checked_rule: a rule the portal cannot read is no rule, not an error.
        event["rrule"] = stored_rule.checked_rule(p["rrule"], end,
                                                 current=profile.current)
    elif event.get("rrule"):
        event["rrule"] = stored_rule.reparsed(event["rrule"], end)
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
    _apply_meeting(store, user, event, p)
    return event


def _apply_meeting(store: Store, user: User, event: dict[str, Any], p: Mapping[str, Any]) -> None:
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
    event["attendees"] = [i for i in dict.fromkeys(given) if store.user(i)]
    event["meeting_host"] = as_int(p["host"]) if p.get("host") is not None else user.id
    meeting = p.get("meeting") if isinstance(p.get("meeting"), Mapping) else {}
    assert isinstance(meeting, Mapping)
    event["meeting"] = {"notify": php_bool(meeting.get("notify")),
                        "text": php_string(meeting.get("text")),
                        "open": php_bool(meeting.get("open"))}


def blank_event(user: User, cal_type: str, owner: int) -> dict[str, Any]:
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


def added_host(user: User, event: Mapping[str, Any], owner: int) -> int:
    """CCalendarRestService::EventAdd (calendar_restservice.php) of the current generation
    never reads `host`: a meeting is hosted by the calling user, and any other event by the
    calendar's owner, so in a group calendar its host is the group's id (behaviour 14). The
    older handler takes `host` as update does."""
    return user.id if event["is_meeting"] else (owner or user.id)


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
    if as_datetime(end) < as_datetime(start):
        raise ValueError("ends before it starts")
    event.update({"skip_time": skip, "from": start.isoformat(), "to": end.isoformat()})


def _moved_end(start: date | datetime, old_start: date | datetime,
               old_end: date | datetime) -> date | datetime:
    """A new start with no new end keeps the event's length."""
    if isinstance(start, datetime):
        return start + (as_datetime(old_end) - as_datetime(old_start))
    return start + (day_of(old_end) - day_of(old_start))


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
        return day_of(value)
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    rounded = moment.replace(second=0, microsecond=0)
    return rounded + timedelta(minutes=1) if moment.second >= 30 else rounded


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
    return dates.display_datetime(as_datetime(parsed))


def touched(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "modified": _time.time(), "version": int(event.get("version", 1)) + 1}


def settle_rule(event: dict[str, Any]) -> None:
    """Save-time checks of a rule against the event's final dates
    (CCalendarEvent::checkRecurringRuleField): UNTIL not before the first end, EXDATE after
    UNTIL dropped (CCalendarEvent::SetExDate), no EXDATE without rule."""
    if event.get("rrule"):
        event["rrule"] = stored_rule.reparsed(event["rrule"], wall(event["to"]))
    rule = stored_rule.read_rule(event["rrule"]) if event.get("rrule") else None
    if rule is None:
        event["rrule"] = None
        event["exdate"] = []
        return
    event["exdate"] = sorted(d for d in set(event.get("exdate", []))
                             if date.fromisoformat(d) <= rule.until)


def insert_event(store: Store, event: dict[str, Any]) -> int:
    """A new event saved, its PARENT_ID its own id (an event that is not a child)."""
    event_id = store.add_event(event)
    store.put_event({**event, "id": event_id, "parent_id": event_id})
    return event_id


def dav_xml_id(host: str, event: Mapping[str, Any], *, now: bool = False) -> str:
    """UidGenerator's `YYYYMMDDTHHMMSSZ-<32 hex>@host`; a `next` split dates the new series'
    id at the time of the request (SaveEventEx passes the unset ORIGINAL_DATE_FROM)."""
    if now:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    else:
        stamp = dates.utc_stamp(wall(event["from"]), dates.zone(event["tz_from"]))
    return f"{stamp}-{uuid.uuid4().hex}@{host}"
