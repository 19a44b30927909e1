"""A calendar as a user's calendar app keeps it, edited the way users edit, and the two views
a sync is judged by: what recurring-ical-events reads in the .ics, and what the test portal
shows. The state machine in tests/app/test_sync_machine.py and `bench/sync_machine.py` drive
it; nothing here calls the product except through its CLI."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil import rrule as du

from ics2b24.cli import main
from ics2b24.portal.server import Portal

ZONES = ("Europe/Berlin", "UTC", "Asia/Tokyo", "America/New_York")
FREQS = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FIRST, LAST = date(2024, 6, 1), date(2028, 1, 1)
"""The window both views are read in: every generated occurrence falls inside it."""

Occurrence = tuple[str, str, str, str, str, str, str]
"""(name, start, end, description, location, reminders, colour); times as UTC instants,
all-day as dates; reminders as the minutes before the start, sorted."""
LOCATION = 4
"""Where the location is in an `Occurrence`."""


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int
    byday: tuple[str, ...]
    count: int
    until: bool
    """Bounded by UNTIL (the last occurrence's start) instead of COUNT: the same days."""

    def text(self, last: datetime, all_day: bool, zone: str) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        if not self.until:
            parts.append(f"COUNT={self.count}")
        elif all_day:
            parts.append(f"UNTIL={last:%Y%m%d}")
        else:
            instant = last.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
            parts.append(f"UNTIL={instant:%Y%m%dT%H%M%SZ}")
        return ";".join(parts)


@dataclass
class Event:
    """One UID: a single event or a series with its skipped days, moved occurrences and a
    THISANDFUTURE change, each named by the occurrence's index in the series."""
    uid: str
    name: str
    start: datetime
    zone: str
    all_day: bool
    length: int
    """Minutes, or days when all-day."""
    rule: Rule | None = None
    exdates: frozenset[int] = frozenset()
    moves: dict[int, int] = field(default_factory=dict)
    """Index → shift in hours (days when all-day)."""
    future: tuple[int, int] | None = None
    """From this index on, every occurrence is shifted by so many hours (days when all-day)."""
    description: str = ""
    location: str = ""
    alarm: int | None = None
    """Minutes before the start, on the series and every moved occurrence alike."""
    color: str = ""
    sequence: int = 0
    kept: dict[int, str] = field(default_factory=dict)
    """Index → the description a moved occurrence keeps of its own after the series' changed
    (calendar apps write each moved occurrence with a copy of the fields)."""

    def starts(self) -> list[datetime]:
        """The rule's occurrences before any change: what RECURRENCE-IDs name."""
        if self.rule is None:
            return [self.start]
        byday = [getattr(du, d) for d in self.rule.byday] or None
        return list(du.rrule(FREQS[self.rule.freq], dtstart=self.start,
                             interval=self.rule.interval, byweekday=byday,
                             count=self.rule.count))

    def edited(self, **changes: Any) -> Event:
        return dataclasses.replace(self, sequence=self.sequence + 1, **changes)

    def ics(self) -> str:
        starts = self.starts()
        out = [self._vevent(self.start, extra=self._rule_lines(starts))]
        for index, shift in sorted(self.moves.items()):
            out.append(self._vevent(self._shifted(starts[index], shift),
                                    recurrence_id=starts[index],
                                    description=self.kept.get(index)))
        if self.future is not None:
            index, shift = self.future
            out.append(self._vevent(self._shifted(starts[index], shift),
                                    recurrence_id=starts[index], range_=True))
        return "".join(out)

    def _rule_lines(self, starts: list[datetime]) -> list[str]:
        if self.rule is None:
            return []
        lines = [f"RRULE:{self.rule.text(starts[-1], self.all_day, self.zone)}"]
        lines += [self._stamp("EXDATE", starts[i]) for i in sorted(self.exdates)]
        return lines

    def _shifted(self, start: datetime, shift: int) -> datetime:
        return start + (timedelta(days=shift) if self.all_day else timedelta(hours=shift))

    def _stamp(self, name: str, when: datetime) -> str:
        if self.all_day:
            return f"{name};VALUE=DATE:{when:%Y%m%d}"
        if self.zone == "UTC":
            return f"{name}:{when:%Y%m%dT%H%M%S}Z"
        return f"{name};TZID={self.zone}:{when:%Y%m%dT%H%M%S}"

    def _vevent(self, start: datetime, *, recurrence_id: datetime | None = None,
                range_: bool = False, extra: list[str] | None = None,
                description: str | None = None) -> str:
        end = start + (timedelta(days=self.length) if self.all_day
                       else timedelta(minutes=self.length))
        lines = [f"UID:{self.uid}", "DTSTAMP:20250101T000000Z", f"SEQUENCE:{self.sequence}",
                 self._stamp("DTSTART", start), self._stamp("DTEND", end),
                 f"SUMMARY:{self.name}"]
        if recurrence_id is not None:
            lines.append(self._stamp("RECURRENCE-ID", recurrence_id).replace(
                "RECURRENCE-ID", "RECURRENCE-ID;RANGE=THISANDFUTURE" if range_
                else "RECURRENCE-ID", 1))
        text = self.description if description is None else description
        if text:
            lines.append(f"DESCRIPTION:{text}")
        if self.location:
            lines.append(f"LOCATION:{self.location}")
        if self.color:
            lines.append(f"COLOR:{self.color}")
        lines += extra or []
        if self.alarm is not None:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder",
                      f"TRIGGER:-PT{self.alarm}M", "END:VALARM"]
        return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def calendar(events: list[Event]) -> str:
    body = "".join(e.ics() for e in events)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ics2b24 tests//sync model//EN\r\n"
            f"{body}END:VCALENDAR\r\n")


def ics_view(text: str) -> Counter[Occurrence]:
    """Every occurrence recurring-ical-events reads in the input, with its fields."""
    parsed = icalendar.Calendar.from_ical(text)
    out: Counter[Occurrence] = Counter()
    for event in recurring_ical_events.of(parsed).between(FIRST, LAST):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        alarms = sorted(-int(alarm["TRIGGER"].dt.total_seconds()) // 60
                        for alarm in event.walk("VALARM"))
        out[(str(event["SUMMARY"]), _instant(start), _instant(end),
             str(event.get("DESCRIPTION", "")), str(event.get("LOCATION", "")),
             ",".join(map(str, alarms)), _color(str(event.get("COLOR", ""))))] += 1
    return out


def portal_view(portal: Portal, section: int) -> Counter[Occurrence]:
    """Every occurrence the portal shows in the section, read as a user's calendar reads it
    (one row per occurrence), in the same shape; dates parsed from the display format here,
    not by the product."""
    rows = portal.api.call(portal.first_user, "calendar.event.get",
                           {"type": "user", "ownerId": 1, "section": [section],
                            "from": f"{FIRST:%Y-%m-%d}", "to": f"{LAST:%Y-%m-%d}"})
    full: dict[str, dict[str, Any]] = {}
    out: Counter[Occurrence] = Counter()
    for row in rows:
        if "DESCRIPTION" not in row:
            # An older portal's rows carry no description: its event has it.
            if row["ID"] not in full:
                full[row["ID"]] = portal.api.call(portal.first_user, "calendar.event.getbyid",
                                                  {"id": row["ID"]})
            row = {**row, "DESCRIPTION": full[row["ID"]]["DESCRIPTION"]}
        out[row_occurrence(row)] += 1
    return out


def row_occurrence(row: dict[str, Any]) -> Occurrence:
    """One portal row (an event, or one occurrence of a series) in the views' shape."""
    if row["DT_SKIP_TIME"] == "Y":
        first = datetime.strptime(row["DATE_FROM"], "%m/%d/%Y").date()
        last = datetime.strptime(row["DATE_TO"], "%m/%d/%Y").date() + timedelta(days=1)
        start, end = first.isoformat(), last.isoformat()
    else:
        start = _row_instant(row["DATE_FROM"], row["TZ_FROM"])
        end = _row_instant(row["DATE_TO"], row["TZ_TO"])
    reminders = sorted(int(r["count"]) * _MINUTES[r["type"]] for r in row.get("REMIND") or [])
    return (row["NAME"], start, end, row.get("DESCRIPTION") or "", row.get("LOCATION") or "",
            ",".join(map(str, reminders)), (row.get("COLOR") or "").lower())


_MINUTES = {"min": 1, "hour": 60, "day": 1440}
COLORS = {"": "", "#9dcf00": "#9dcf00", "red": "#ff0000", "#0B6623": "#0b6623"}
"""Colours as calendars write them → as the portal keeps them."""


def _color(text: str) -> str:
    return COLORS[text]


def _instant(value: date | datetime) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")


def _row_instant(text: str, zone: str) -> str:
    wall = datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")
    return _instant(wall.replace(tzinfo=ZoneInfo(zone or "UTC")))


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process, as `ics2b24 ARGS` would run: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12))
