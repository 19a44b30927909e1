"""Bitrix24 event parameters → VEVENTs: what `backup` writes and what a reject file rebuilds.

Every field is written the way ical/fields.py and ical/alarms.py read it back, so a VEVENT
written here converts to the parameters it was written from (tests/ical/test_write.py):
busy status as Outlook's X-MICROSOFT-CDO-BUSYSTATUS (the reader's strongest signal) with
TRANSP, importance as PRIORITY, privacy as CLASS, reminders as VALARMs before the start, and a
rule's last day as UNTIL at the end of that day in the event's zone (RFC 5545 wants UTC there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar

from ics2b24.model import EventParams, Reminder, Rrule

_BUSY_STATUS = {"free": "FREE", "quest": "TENTATIVE", "busy": "BUSY", "absent": "OOF"}
_PRIORITY = {"high": 1, "low": 9}
_TRIGGER_UNITS = {"min": "M", "hour": "H", "day": "D"}


def vevent(uid: str, params: EventParams, stamp: datetime, *,
           recurrence_id: date | datetime | None = None,
           exdates: Sequence[str] = ()) -> icalendar.Event:
    """One VEVENT written at `stamp`. `exdates` are the skipped days as the portal keeps
    them (YYYY-MM-DD)."""
    out = icalendar.Event()
    out.add("uid", uid)
    out.add("dtstamp", stamp)
    out.add("summary", params.name)
    start = moment(params.date_from, params)
    out.add("dtstart", start)
    if params.skip_time:
        out.add("dtend", date.fromisoformat(params.date_to[:10]) + timedelta(days=1))
    else:
        out.add("dtend", _local(params.date_to, params.timezone_to or params.timezone_from))
    if recurrence_id is not None:
        out.add("recurrence-id", recurrence_id)
    if params.rrule is not None:
        out.add("rrule", _rule(params.rrule, params))
    for day in exdates:
        out.add("exdate", _skipped(day, start))
    if params.description:
        out.add("description", params.description)
    if params.location:
        out.add("location", params.location)
    if params.color:
        out.add("color", params.color)
    out.add("x-microsoft-cdo-busystatus", _BUSY_STATUS.get(params.accessibility, "BUSY"))
    if params.accessibility == "free":
        out.add("transp", "TRANSPARENT")
    if params.importance in _PRIORITY:
        out.add("priority", _PRIORITY[params.importance])
    if params.private_event:
        out.add("class", "PRIVATE")
    for reminder in params.remind:
        out.add_component(_alarm(reminder, params.name))
    return out


def moment(wall: str, params: EventParams) -> date | datetime:
    """A start as the portal keeps it: a day, or a wall-clock time in the event's zone."""
    if params.skip_time:
        return date.fromisoformat(wall[:10])
    return _local(wall, params.timezone_from)


def calendar(events: Sequence[icalendar.Event], name: str | None = None) -> bytes:
    out = icalendar.Calendar()
    out.add("prodid", "-//ics2b24//backup//EN")
    out.add("version", "2.0")
    if name:
        out.add("x-wr-calname", name)
    for event in events:
        out.add_component(event)
    return bytes(out.to_ical())


def _local(wall: str, zone: str | None) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone) if zone else timezone.utc)


def _rule(rule: Rrule, params: EventParams) -> dict[str, object]:
    out: dict[str, object] = {"freq": rule.freq, "interval": rule.interval}
    if rule.until is not None:
        if params.skip_time:
            out["until"] = rule.until
        else:
            zone = ZoneInfo(params.timezone_from) if params.timezone_from else timezone.utc
            last = datetime.combine(rule.until, time(23, 59, 59), zone)
            out["until"] = last.astimezone(timezone.utc)
    elif rule.count is not None:
        out["count"] = rule.count
    if rule.byday:
        out["byday"] = list(rule.byday)
    return out


def _skipped(day: str, start: date | datetime) -> date | datetime:
    """A skipped occurrence at the series' own time of day (the portal keeps only the day)."""
    if not isinstance(start, datetime):
        return date.fromisoformat(day[:10])
    return datetime.combine(date.fromisoformat(day[:10]), start.timetz())


def _alarm(reminder: Reminder, name: str) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", name)
    unit = _TRIGGER_UNITS[reminder.type]
    period = f"P{reminder.count}D" if unit == "D" else f"PT{reminder.count}{unit}"
    alarm.add("trigger", icalendar.vDuration.from_ical(f"-{period}"))
    return alarm
