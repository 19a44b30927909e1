"""Doctor's steps: each a change of an input calendar, as a user's .ics would make it (a weekly
series; the same with one occurrence moved; a skipped day; a new SUMMARY; a single event
moved; its alarm removed; an event removed and pruned; ...), pushed as push pushes it
(app/doctor_push.py), and the behaviour of the portal that push relies on for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

from ics2b24.app.doctor_probe import Probe, said
from ics2b24.app.doctor_push import Calendar
from ics2b24.plan.compare import implied, month_grid

KEPT_ZONE = "Asia/Kolkata"
"""A zone only recently listed under this name (Asia/Calcutta before): a portal on an old tzdata
would replace it by its server's zone."""
SERIES, PARTS, DAILY, SINGLE = "doctor-series", "doctor-parts", "doctor-daily", "doctor-single"
"""The UIDs later steps change again."""


def _vevent(uid: str, summary: str, start: str, end: str, *lines: str,
            zone: str = "Europe/Berlin") -> str:
    """A VEVENT's lines, its times in `zone`."""
    return "".join(f"{line}\n" for line in (
        f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART;TZID={zone}:{start}",
        f"DTEND;TZID={zone}:{end}", *lines))


WEEKLY = _vevent(SERIES, "Doctor series", "20300107T090000", "20300107T100000",
                 "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4")
MOVED_THERE = _vevent(SERIES, "Doctor moved", "20300115T110000", "20300115T120000",
                      "RECURRENCE-ID;TZID=Europe/Berlin:20300114T090000")


def _daily(summary: str) -> str:
    return _vevent(DAILY, summary, "20300102T080000", "20300102T083000",
                   "RRULE:FREQ=DAILY;COUNT=3")


def _single(day: int, *lines: str) -> str:
    return _vevent(SINGLE, "Doctor single", f"203001{day:02d}T160000", f"203001{day:02d}T170000",
                   *lines)


ALARM = ("BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Doctor", "TRIGGER:-PT15M", "END:VALARM")


def _reminders_left(p: Probe) -> str | None:
    row = p.row(SINGLE)
    left = row.get("REMIND") if isinstance(row, dict) else None
    return None if not left else f"REMIND is still {left!r}"


def _zone_left(p: Probe) -> str | None:
    row = p.row("doctor-zone")
    kept = row.get("TZ_FROM") if isinstance(row, dict) else None
    return None if kept == KEPT_ZONE else f"TZ_FROM is {kept!r}"


def _views_problem(p: Probe, uid: str, months: Sequence[date]) -> str | None:
    """The first month view that shows the UID on other days than its input implies, said."""
    events = p.converted([uid]).events
    ids = p.event_ids(uid)
    for month in months:
        grid = month_grid(month)
        expected = sum(implied(events, grid).values(), Counter())
        seen = sum((found for event_id, found in p.shown(grid).items() if event_id in ids),
                   Counter())
        if seen != expected:
            return (f"the view of {month:%Y-%m} shows "
                    + "; ".join(said(expected - seen, seen - expected, 2)))
    return None


@dataclass(frozen=True)
class Step:
    """One behaviour: the changes of the input pushed one after another (each UID's VEVENTs
    now), what is checked
    beyond the occurrences shown (a problem said, or None), and the UID an earlier step must
    have pushed."""

    behaviour: str
    pushes: tuple[Calendar, ...]
    then: Callable[[Probe], str | None] | None = None
    needs: str | None = None

    @property
    def uids(self) -> set[str]:
        return {uid for change in self.pushes for uid in change}

    def run(self, p: Probe) -> str | None:
        for change in self.pushes:
            p.push(change)
        return self.then(p) if self.then is not None else None


PARTED = _vevent(PARTS, "Doctor parts", "20300108T140000", "20300108T150000",
                 "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4", "EXDATE;TZID=Europe/Berlin:20300122T140000")
TWO_DAYS = _vevent("doctor-two-days", "Doctor two days", "20300103T130000", "20300103T140000",
                   "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=2")
BIWEEKLY = _vevent("doctor-biweekly", "Doctor every other week", "20300101T120000",
                   "20300101T130000", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=14")
"""Tuesdays and Thursdays every other week from 1 January 2030, 14 times."""
MONTHLY = _vevent("doctor-monthly", "Doctor monthly", "20300115T170000", "20300115T180000",
                  "RRULE:FREQ=MONTHLY")
"""The 15th of every month from January 2030, without end: viewed up to eight years on."""
ALL_DAY = ("UID:doctor-all-day\nSUMMARY:Doctor all day\nDTSTART;VALUE=DATE:20300204\n"
           "DTEND;VALUE=DATE:20300205\n")
ZONED = _vevent("doctor-zone", "Doctor zone", "20300205T100000", "20300205T110000",
                zone=KEPT_ZONE)

MOVED = "a moved occurrence (recurrence_mode this) moves; the rest of the series stays"
STEPS: list[Step] = [
    Step("a series bounded as push bounds it, weekly on its days, shows exactly its "
         "occurrences", ({SERIES: [WEEKLY]},)),
    Step(MOVED, ({SERIES: [WEEKLY, MOVED_THERE]},), needs=SERIES),
    Step("a series in parts around a skipped day never shows that day", ({PARTS: [PARTED]},)),
    Step("a series updated with recurrence_mode all keeps its days",
         ({DAILY: [_daily("Doctor daily")]}, {DAILY: [_daily("Doctor daily renamed")]})),
    Step("a single event updated to another day moves there",
         ({SINGLE: [_single(9)]}, {SINGLE: [_single(10)]})),
    Step("reminders are cleared by a JSON \"remind\": []",
         ({SINGLE: [_single(10, *ALARM)]}, {SINGLE: [_single(10)]}), _reminders_left,
         needs=SINGLE),
    Step("deleting a series deletes its moved occurrence and nothing else", ({SERIES: []},),
         needs=SERIES),
    Step("deleting a single event deletes only that event", ({SINGLE: []},), needs=SINGLE),
    Step("a weekly rule on two days, from its second day, shows its last occurrence",
         ({"doctor-two-days": [TWO_DAYS]},)),
    Step("a rule every two weeks on two days, as push writes it, shows its days in month views",
         ({"doctor-biweekly": [BIWEEKLY]},),
         partial(_views_problem, uid="doctor-biweekly",
                 months=[date(2030, 2, 1), date(2030, 3, 1)])),
    Step("a monthly rule, as push writes it, shows its day in month views years later",
         ({"doctor-monthly": [MONTHLY]},),
         partial(_views_problem, uid="doctor-monthly", months=[
             date(2031, 6, 1), date(2032, 9, 1), date(2034, 3, 1), date(2037, 11, 1)])),
    Step("an all-day event stays on its day whatever the user's offset from the server",
         ({"doctor-all-day": [ALL_DAY]},)),
    Step(f"a zone name push writes ({KEPT_ZONE}) is kept, with its wall clock",
         ({"doctor-zone": [ZONED]},), _zone_left),
]
"""Each behaviour in the order tried: later steps change the events of earlier ones (a
series, then the same with its second Monday moved, then removed)."""
