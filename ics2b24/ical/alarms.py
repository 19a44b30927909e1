"""VALARM → Bitrix24 reminders.

Bitrix24 only reminds before (or at) the start, in whole minutes, hours or days; anything else
is said in a warning rather than silently moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import vBroken

from ics2b24.ical.read import as_aware, day_start, prop
from ics2b24.model import Reminder


@dataclass
class Reminders:
    reminders: tuple[Reminder, ...] = ()
    warnings: list[str] = field(default_factory=list)


def reminders(event: icalendar.Component, start: date | datetime, end: date | datetime,
              floating: ZoneInfo) -> Reminders:
    """The event's VALARMs as reminders, in input order, without duplicates."""
    out: list[Reminder] = []
    notes: list[str] = []
    for alarm in event.subcomponents:
        if alarm.name != "VALARM":
            continue
        if str(prop(alarm, "ACTION") or "").upper() == "NONE":
            continue
        before = _seconds_before_start(alarm, start, end, floating)
        if before is None:
            notes.append("an alarm has no readable TRIGGER and was left out")
            continue
        if before < 0:
            notes.append(f"an alarm {_human(-before)} after the start was left out "
                         "(Bitrix24 reminds only before the start)")
            continue
        if before % 60:
            notes.append(f"an alarm {_human(before)} before the start was rounded up to whole "
                         "minutes")
        reminder = to_reminder(math.ceil(before / 60))
        if reminder not in out:
            out.append(reminder)
    return Reminders(tuple(out), notes)


def to_reminder(minutes: int) -> Reminder:
    """The largest whole unit: 1440 minutes is one day, 120 minutes two hours."""
    if minutes and minutes % 1440 == 0:
        return Reminder("day", minutes // 1440)
    if minutes and minutes % 60 == 0:
        return Reminder("hour", minutes // 60)
    return Reminder("min", minutes)


def _seconds_before_start(alarm: icalendar.Component, start: date | datetime,
                          end: date | datetime, floating: ZoneInfo) -> int | None:
    trigger = prop(alarm, "TRIGGER")
    if trigger is None or isinstance(trigger, vBroken | list):
        return None
    value = getattr(trigger, "dt", None)
    start_at = _instant(start, floating)
    if isinstance(value, timedelta):
        related_end = str(trigger.params.get("RELATED", "START")).upper() == "END"
        offset = value + (_instant(end, floating) - start_at if related_end else timedelta(0))
        return -_whole_seconds(offset)
    if isinstance(value, datetime):
        return _whole_seconds(start_at - as_aware(value, floating))
    return None


def _instant(value: date | datetime, floating: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return as_aware(value, floating)
    return day_start(value, floating)


def _whole_seconds(delta: timedelta) -> int:
    return math.floor(delta.total_seconds())


def _human(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    if secs:
        return f"{minutes} min {secs} s" if minutes else f"{secs} s"
    return f"{minutes} min"
