"""Realistic generated calendars, so that speed and migrations are measured on the shapes real
exports have (Google, Outlook, Apple) rather than on N copies of one event.

The mix: timed singles in several zones (VTIMEZONE-defined, Windows names, UTC), all-day events
of one to three days, series inside the Bitrix24 subset (weekly BYDAY, daily COUNT, monthly,
yearly) with EXDATEs and moved occurrences, rules outside the subset (ordinal BYDAY) that are
written out as occurrences, alarms, and meetings with attendees. Deterministic per seed.

`python -m bench.gen N [SEED] > file.ics` writes one to stdout.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
"""

_ZONES = ("Europe/Berlin", "America/New_York", "W. Europe Standard Time", "Asia/Tokyo", "UTC")
_WORDS = ("review", "planning", "sync", "budget", "offsite", "interview", "demo", "lunch",
          "training", "retro", "kick-off", "1:1", "board", "release", "support", "workshop")
_PLACES = ("Room 4.12", "Kitchen", "https://meet.example.org/abc-defg-hij",
           "Hauptstraße 5, 10827 Berlin", "Zoom", "")
_TRIGGERS = ("-PT15M", "-PT10M", "-PT1H", "-P1D", "PT0S", "-PT30M")
_DAYS = ("MO", "TU", "WE", "TH", "FR")


@dataclass(frozen=True)
class Mix:
    """Which shapes a calendar may contain. `exceptions` adds EXDATEs and moved occurrences
    (written as updates and exclusions); `expanded` adds rules outside the Bitrix24 subset
    (written out as occurrences). Without both, every VEVENT is exactly one add."""

    exceptions: bool = True
    expanded: bool = True
    attendees: bool = True


def _fold(line: str) -> str:
    """RFC 5545 folding at 75 octets, as exporters do, without splitting a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts) + "\r\n"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


class _Writer:
    def __init__(self, rng: random.Random, mix: Mix, first_day: date) -> None:
        self.rng = rng
        self.mix = mix
        self.first_day = first_day
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(_fold(line))

    def when(self, start: datetime, zone: str, name: str) -> None:
        if zone == "UTC":
            self.add(f"{name}:{_stamp(start)}Z")
        else:
            self.add(f"{name};TZID={zone}:{_stamp(start)}")

    def common(self, uid: str, index: int) -> None:
        rng = self.rng
        self.add(f"UID:{uid}")
        self.add("DTSTAMP:20250101T120000Z")
        topic = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        self.add(f"SUMMARY:{_escape(f'Event {index:06d}: {topic}')}")
        if rng.random() < 0.6:
            text = (f"Agenda for the {topic}:\n- numbers, risks; next steps\n"
                    f"Notes: {'lorem ipsum dolor sit amet ' * rng.randint(1, 6)}")
            self.add(f"DESCRIPTION:{_escape(text)}")
        place = rng.choice(_PLACES)
        if place:
            self.add(f"LOCATION:{_escape(place)}")
        if rng.random() < 0.1:
            self.add("CLASS:PRIVATE")
        if rng.random() < 0.1:
            self.add("TRANSP:TRANSPARENT")
        if rng.random() < 0.1:
            self.add(f"PRIORITY:{rng.choice((1, 5, 9))}")

    def people(self, index: int) -> None:
        if not self.mix.attendees or self.rng.random() >= 0.2:
            return
        self.add("ORGANIZER;CN=Organiser:mailto:organiser@example.org")
        for k in range(self.rng.randint(2, 4)):
            self.add(f"ATTENDEE;CN=Person {index}-{k};ROLE=REQ-PARTICIPANT;"
                     f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:p{(index + k) % 97}@example.org")

    def alarm(self) -> None:
        if self.rng.random() >= 0.6:
            return
        self.add("BEGIN:VALARM")
        self.add("ACTION:DISPLAY")
        self.add("DESCRIPTION:Reminder")
        self.add(f"TRIGGER:{self.rng.choice(_TRIGGERS)}")
        self.add("END:VALARM")

    def begin(self) -> None:
        self.add("BEGIN:VEVENT")

    def end(self) -> None:
        self.add("END:VEVENT")

    def day(self, spread: int) -> date:
        return self.first_day + timedelta(days=self.rng.randrange(spread))

    def timed_start(self, spread: int) -> datetime:
        day = self.day(spread)
        return datetime(day.year, day.month, day.day, self.rng.randint(7, 18),
                        self.rng.choice((0, 15, 30)))


def _single(w: _Writer, index: int) -> int:
    zone = w.rng.choice(_ZONES)
    start = w.timed_start(730)
    w.begin()
    w.common(f"single-{index}@gen.example.org", index)
    w.when(start, zone, "DTSTART")
    w.when(start + timedelta(minutes=w.rng.choice((30, 45, 60, 90, 120))), zone, "DTEND")
    w.people(index)
    w.alarm()
    w.end()
    return 1


def _all_day(w: _Writer, index: int) -> int:
    start = w.day(730)
    w.begin()
    w.common(f"allday-{index}@gen.example.org", index)
    w.add(f"DTSTART;VALUE=DATE:{start:%Y%m%d}")
    w.add(f"DTEND;VALUE=DATE:{start + timedelta(days=w.rng.randint(1, 3)):%Y%m%d}")
    w.alarm()
    w.end()
    return 1


def _rule(w: _Writer, start: datetime) -> tuple[str, list[datetime]]:
    """A rule inside the Bitrix24 subset, and a few of its occurrences (for EXDATE/overrides)."""
    rng = w.rng
    kind = rng.randrange(4)
    if kind == 0:
        days = sorted(rng.sample(range(5), 2))
        first = start + timedelta(days=(days[0] - start.weekday()) % 7)
        start_day = first
        count = rng.randint(8, 40)
        rule = f"FREQ=WEEKLY;BYDAY={','.join(_DAYS[d] for d in days)};COUNT={count}"
        later = [start_day + timedelta(weeks=k) for k in range(1, count // 2)]
        return rule, [start_day, *later]
    if kind == 1:
        count = rng.randint(5, 30)
        return f"FREQ=DAILY;INTERVAL={rng.choice((1, 2))};COUNT={count}", [start]
    if kind == 2:
        until = start + timedelta(days=rng.randint(200, 700))
        return f"FREQ=MONTHLY;UNTIL={until:%Y%m%d}T235959Z", [start]
    return f"FREQ=YEARLY;COUNT={rng.randint(2, 6)}", [start]


def _series(w: _Writer, index: int, budget: int) -> int:
    """A series; with exceptions, an EXDATE and a moved occurrence (one more VEVENT)."""
    zone = w.rng.choice(_ZONES[:3])
    start = w.timed_start(365)
    rule, occurrences = _rule(w, start)
    start = occurrences[0]
    uid = f"series-{index}@gen.example.org"
    length = timedelta(minutes=w.rng.choice((15, 30, 60)))
    w.begin()
    w.common(uid, index)
    w.when(start, zone, "DTSTART")
    w.when(start + length, zone, "DTEND")
    w.add(f"RRULE:{rule}")
    exceptional = w.mix.exceptions and budget >= 2 and "WEEKLY" in rule and len(occurrences) > 3
    if exceptional:
        w.when(occurrences[2], zone, "EXDATE")
    w.people(index)
    w.alarm()
    w.end()
    if not exceptional:
        return 1
    moved = occurrences[3]
    w.begin()
    w.common(uid, index)
    w.when(moved, zone, "RECURRENCE-ID")
    w.when(moved + timedelta(hours=1), zone, "DTSTART")
    w.when(moved + timedelta(hours=1) + length, zone, "DTEND")
    w.add("SEQUENCE:1")
    w.end()
    return 2


def _expanded(w: _Writer, index: int) -> int:
    """A rule Bitrix24 cannot hold (ordinal BYDAY): written out as occurrences."""
    start = w.timed_start(60)
    w.begin()
    w.common(f"monthly-ordinal-{index}@gen.example.org", index)
    w.when(start, "Europe/Berlin", "DTSTART")
    w.when(start + timedelta(hours=1), "Europe/Berlin", "DTEND")
    w.add(f"RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT={w.rng.randint(3, 6)}")
    w.alarm()
    w.end()
    return 1


def generate(events: int, *, seed: int = 0, mix: Mix | None = None,
             first_day: date = date(2026, 1, 5)) -> bytes:
    """A VCALENDAR of exactly `events` VEVENTs (overrides included), as CRLF-folded UTF-8."""
    mix = mix or Mix()
    rng = random.Random(seed)
    w = _Writer(rng, mix, first_day)
    head = ["BEGIN:VCALENDAR", "PRODID:-//ics2b24 bench//gen//EN", "VERSION:2.0",
            "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Generated calendar",
            "X-WR-CALDESC:Bench calendar", "X-WR-TIMEZONE:Europe/Berlin"]
    for line in head:
        w.add(line)
    w.lines.append(_VTIMEZONES.replace("\n", "\r\n"))
    written = index = 0
    while written < events:
        roll = rng.random()
        left = events - written
        if roll < 0.45:
            written += _single(w, index)
        elif roll < 0.62:
            written += _all_day(w, index)
        elif roll < 0.95 or not mix.expanded:
            written += _series(w, index, left)
        else:
            written += _expanded(w, index)
        index += 1
    w.add("END:VCALENDAR")
    return "".join(w.lines).encode("utf-8")


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 1000
    seed = int(argv[1]) if len(argv) > 1 else 0
    sys.stdout.buffer.write(generate(count, seed=seed))


if __name__ == "__main__":
    main(sys.argv[1:])
