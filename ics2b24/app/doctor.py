"""`ics2b24 doctor`: try, on the user's own portal, every kind of write `push` relies on.

The test portal follows the portal source we could read; a user's portal may run another
version. So before a migration, doctor first finds out which calendar code the portal runs
(app/traits.py, as push does), then creates a scratch section and makes each kind of write
`push` makes there, in the form push sends that generation (a series, a moved occurrence, a
series in parts around a skipped day, an update keeping the date, a single event moved to
another day, reminders cleared, a series deleted with its moved occurrence, a single event
deleted, a weekly rule on two days from its second day, a rule every two weeks on two days and
a monthly rule as push writes them, an all-day event, a zone name). It reads the section back
after each, checks that the write did what push expects and that every other occurrence
survived, and opens month views (as the calendar requests them) where the current code's
expansion depends on the view's start. It never touches another section, and deletes its own
however it ends (Ctrl-C included).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ics2b24.app.run import MAX_RECOVERIES
from ics2b24.app.sections import SectionFields, add_section, calendar_params, list_sections
from ics2b24.app.target import CalendarType, check_group
from ics2b24.app.traits import probe_traits
from ics2b24.bitrix.client import Client, TransientError, backoff
from ics2b24.bitrix.rows import DateOrder, date_order, listed_rows, shown
from ics2b24.errors import PortalError
from ics2b24.ical.convert import ConvertOptions, convert_inputs
from ics2b24.model import EventParams, PortalTraits, Reminder, Rrule
from ics2b24.plan.compare import Occurrence, Window, month_grid, occurrence_of

_T = TypeVar("_T")
ZONE = "Europe/Berlin"
WINDOW = Window(datetime(2030, 1, 1).date(), datetime(2030, 12, 31).date())
"""Doctor's events live in 2030, inside its own section: far from anything a user looks at."""
HORIZON = date(2038, 1, 1)
"""Where the rules doctor writes as push writes them end at the latest."""
_ALL_YEARS = Window(WINDOW.first, HORIZON - timedelta(days=1))
"""Every year doctor writes in: where a step that failed may have left events."""
KEPT_ZONE = "Asia/Kolkata"
"""A zone only recently listed under this name (Asia/Calcutta before): a portal on an old tzdata
would replace it by its server's zone."""


@dataclass(frozen=True)
class Finding:
    """One behaviour: whether the portal showed what push relies on, and what it showed; or,
    not `checked`, why it could not be tried (the portal kept failing in passing), which says
    nothing of the behaviour."""

    behaviour: str
    held: bool
    seen: str
    checked: bool = True

    def line(self) -> str:
        mark = "ok       " if self.held else "DIFFERENT" if self.checked else "UNCHECKED"
        return f"{mark}  {self.behaviour}" + ("" if self.held else f": {self.seen}")


@dataclass(frozen=True)
class DoctorReport:
    """The calendar code found (and so the forms tried) and one finding per behaviour."""

    traits: PortalTraits
    findings: list[Finding]

    def generation_line(self) -> str:
        line = f"the portal runs the {self.traits.generation} calendar code"
        if not self.traits.reads_iso_until:
            line += "; it reads UNTIL only in its display format: push bounds rules by COUNT"
        if not self.traits.honours_recurrence_mode:
            line += ("; it ignores recurrence_mode: push writes a moved occurrence as a "
                     "skipped day and an event of its own")
        return line


@dataclass
class _Probe:
    client: Client
    cal_type: CalendarType
    owner: int
    section: int
    traits: PortalTraits
    expected: Counter[Occurrence] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    order: DateOrder | None = None
    """The portal's date order, learnt from the whole year's reads for the month views."""
    sleep: Callable[[float], None] = time.sleep
    unsure: set[str] = field(default_factory=set)
    """The events (`ids` keys) a step that could not be checked may have left in any state."""
    present: set[str] = field(default_factory=set)
    """The ids the section held at the last `look()` (none yet in a new scratch section)."""

    def base(self) -> dict[str, Any]:
        return {**calendar_params(self.cal_type, self.owner), "section": self.section}

    def write(self, method: str, params: Mapping[str, Any]) -> Any:
        """One write in `batch`, as push sends it; a refusal raises."""
        answer = self.client.batch({"c": (method, params)})
        if "c" in answer.errors:
            raise answer.errors["c"]
        return answer.results.get("c")

    def add(self, params: EventParams) -> int:
        """An event added as push adds it to a portal of this generation."""
        answer = self.write("calendar.event.add", {**self.base(),
                                                   **params.to_call(self.traits)})
        if not isinstance(answer, int | str) or not str(answer).isdigit():
            raise ValueError(f"the add answered {answer!r}, not the new event's id")
        return int(answer)

    def shown(self, window: Window = WINDOW) -> Counter[Occurrence]:
        """What the section shows in the window, read as the calendar reads it: by overlap, a
        day wider on each side, each occurrence counted in the window its start day is in."""
        return self._occurrences(self.client.call("calendar.event.get", self._read(window)),
                                 window)

    def look(self) -> Counter[Occurrence]:
        """`shown()`, and in the same request the ids the section holds over every year
        doctor writes in (`present`): where the next step starts from."""
        answer = self.client.batch({"shown": ("calendar.event.get", self._read(WINDOW)),
                                    "ids": ("calendar.event.get", self._read(_ALL_YEARS))})
        for key in ("shown", "ids"):
            if key in answer.errors:
                raise answer.errors[key]
        self.present = _ids_of(answer.results.get("ids"))
        return self._occurrences(answer.results.get("shown"), WINDOW)

    def _read(self, window: Window) -> dict[str, Any]:
        return {**calendar_params(self.cal_type, self.owner), "section": [self.section],
                "from": (window.first - timedelta(days=1)).isoformat(),
                "to": (window.last + timedelta(days=1)).isoformat()}

    def _occurrences(self, rows: Any, window: Window) -> Counter[Occurrence]:
        listed = listed_rows(rows)
        if window == WINDOW:
            self.order = date_order(listed) or self.order
        found: Counter[Occurrence] = Counter()
        for occurrences in shown(listed, window, self.order).values():
            found.update(occurrences)
        return found

    def check(self, behaviour: str, step: Callable[[], str | None]) -> None:
        """Run one step; it holds when the step saw nothing wrong and the section then shows
        exactly the occurrences expected. After a difference, what the section shows is what
        the next steps start from, so each finding is about its own step. A step the portal
        failed in passing is tried again as push tries again (`backoff`, up to
        MAX_RECOVERIES), from the section as it was: the events it added are deleted first;
        when that cannot restore it (the step changed an earlier event), or the failures go
        on, the behaviour could not be checked."""
        before, ids, present = Counter(self.expected), dict(self.ids), set(self.present)
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                problem = step()
                break
            except TransientError as error:
                self.sleep(backoff(attempt))
                if attempt == MAX_RECOVERIES or not self._restored(before, present):
                    self.findings.append(Finding(
                        behaviour, False, f"could not be checked: {error.description}",
                        checked=False))
                    self.expected = self.look()
                    return
                self.expected, self.ids = Counter(before), dict(ids)
            except PortalError as error:
                problem = f"the portal refused: {error.description or error.error}"
                break
            except (TypeError, ValueError) as error:
                problem = f"the portal answered in a shape push does not expect ({error})"
                break
        seen = self.look()
        missing, extra = self.expected - seen, seen - self.expected
        if missing or extra:
            problem = problem or "; ".join(
                [f"missing {o.show()}" for o in sorted(missing.elements())][:3]
                + [f"extra {o.show()}" for o in sorted(extra.elements())][:3])
            self.expected = seen
        self.findings.append(Finding(behaviour, problem is None, problem or ""))

    def _restored(self, before: Counter[Occurrence], present: set[str]) -> bool:
        """Delete the events a failed step added (those not `present` before it); whether the
        section then shows what it showed before the step."""
        def roll_back() -> None:
            for event_id in sorted(self.ids_held() - present):
                self.client.call("calendar.event.delete", {"id": int(event_id)})

        try:
            _again(roll_back, self.sleep)
            return self.shown() == before
        except TransientError:
            return False

    def ids_held(self) -> set[str]:
        """The ids of every event in the section, over all the years doctor writes in."""
        return _ids_of(self.client.call("calendar.event.get", self._read(_ALL_YEARS)))


def _ids_of(rows: Any) -> set[str]:
    return {str(row.get("ID")) for row in rows if isinstance(row, dict)} if isinstance(
        rows, list) else set()


def _params(name: str, start: str, end: str, rrule: Rrule | None = None,
            remind: tuple[Reminder, ...] = ()) -> EventParams:
    return EventParams(name=name, date_from=start, date_to=end, timezone_from=ZONE,
                       timezone_to=ZONE, rrule=rrule, remind=remind)


def _occurrence(name: str, start: str, end: str) -> Occurrence:
    return occurrence_of(_params(name, start, end), name)


def _weekly(name: str, days: list[int], hour: int = 9) -> list[Occurrence]:
    return [_occurrence(name, f"2030-01-{d:02d}T{hour:02d}:00:00",
                        f"2030-01-{d:02d}T{hour + 1:02d}:00:00") for d in days]


def _as_pushed(vevent: str) -> list[EventParams]:
    """The lines push writes for one VEVENT (Europe/Berlin), so that a change to how push
    writes a rule changes what doctor tries."""
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:ics2b24 doctor\r\nBEGIN:VEVENT\r\n"
            "DTSTAMP:20300101T000000Z\r\n" + vevent.replace("\n", "\r\n")
            + "END:VEVENT\r\nEND:VCALENDAR\r\n")
    options = ConvertOptions(tz=ZoneInfo(ZONE), tz_name=ZONE, horizon_end=HORIZON,
                             since=None, max_occurrences=10_000, user_map={},
                             no_attendees=True, strict=True)
    return [event.params for event in convert_inputs([("doctor.ics", text.encode())],
                                                     options).events]


def _views_problem(p: _Probe, name: str, wanted: list[tuple[date, Occurrence]],
                   months: list[date]) -> str | None:
    """The first month view that shows `name` on other days than `wanted`, said."""
    for month in months:
        grid = month_grid(month)
        expected = Counter(o for day, o in wanted if grid.holds(day))
        seen = Counter({o: n for o, n in p.shown(grid).items() if o.name == name})
        if seen != expected:
            said = ([f"missing {o.show()}" for o in sorted((expected - seen).elements())][:2]
                    + [f"extra {o.show()}" for o in sorted((seen - expected).elements())][:2])
            return f"the view of {month:%Y-%m} shows " + "; ".join(said)
    return None


def _series_add(p: _Probe) -> str | None:
    p.ids["series"] = p.add(_params("Doctor series", "2030-01-07T09:00:00",
                                    "2030-01-07T10:00:00", MONDAYS))
    p.expected.update(_weekly("Doctor series", [7, 14, 21, 28]))
    return None


def _moved(p: _Probe) -> str | None:
    p.write("calendar.event.update", {
        **p.base(), "id": p.ids["series"], "recurrence_mode": "this",
        "current_date_from": "2030-01-14",
        **_params("Doctor moved", "2030-01-15T11:00:00", "2030-01-15T12:00:00").to_call()})
    p.ids["moved"] = p.ids["series"]
    p.expected.subtract(_weekly("Doctor series", [14]))
    p.expected.update([_occurrence("Doctor moved", "2030-01-15T11:00:00",
                                   "2030-01-15T12:00:00")])
    return None


def _parts(p: _Probe) -> str | None:
    for start, count, last in (("2030-01-08", 2, date(2030, 1, 15)),
                               ("2030-01-29", 1, date(2030, 1, 29))):
        p.add(_params("Doctor parts", f"{start}T14:00:00", f"{start}T15:00:00",
                      Rrule("WEEKLY", count=count, until=last, byday=("TU",))))
    p.expected.update(_weekly("Doctor parts", [8, 15, 29], hour=14))
    return None


def _update_all(p: _Probe) -> str | None:
    daily = Rrule("DAILY", count=3, until=date(2030, 1, 4))
    event_id = p.add(_params("Doctor daily", "2030-01-02T08:00:00", "2030-01-02T08:30:00",
                             daily))
    mode = {"recurrence_mode": "all"} if p.traits.honours_recurrence_mode else {}
    renamed = _params("Doctor daily renamed", "2030-01-02T08:00:00", "2030-01-02T08:30:00",
                      daily)
    p.write("calendar.event.update", {**p.base(), "id": event_id, **mode,
                                      **renamed.to_call(p.traits)})
    p.expected.update(_occurrence("Doctor daily renamed", f"2030-01-0{d}T08:00:00",
                                  f"2030-01-0{d}T08:30:00") for d in (2, 3, 4))
    return None


def _single_moved(p: _Probe) -> str | None:
    p.ids["single"] = p.add(_params("Doctor single", "2030-01-09T16:00:00",
                                    "2030-01-09T17:00:00"))
    p.write("calendar.event.update", {**p.base(), "id": p.ids["single"], **_params(
        "Doctor single", "2030-01-10T16:00:00", "2030-01-10T17:00:00").to_call()})
    p.expected.update([_occurrence("Doctor single", "2030-01-10T16:00:00",
                                   "2030-01-10T17:00:00")])
    return None


def _reminders_cleared(p: _Probe) -> str | None:
    with_alarm = _params("Doctor single", "2030-01-10T16:00:00", "2030-01-10T17:00:00",
                         remind=(Reminder("min", 15),)).to_call()
    p.write("calendar.event.update", {**p.base(), "id": p.ids["single"], **with_alarm})
    p.client.call("calendar.event.update", {**p.base(), "id": p.ids["single"],
                                            **with_alarm, "remind": []})
    row = p.client.call("calendar.event.getbyid", {"id": p.ids["single"]})
    left = row.get("REMIND") if isinstance(row, dict) else None
    return None if not left else f"REMIND is still {left!r}"


def _series_deleted(p: _Probe) -> str | None:
    p.write("calendar.event.delete", {"id": p.ids["series"]})
    if "moved" in p.ids:
        p.expected.subtract(_weekly("Doctor series", [7, 21, 28]))
        p.expected.subtract([_occurrence("Doctor moved", "2030-01-15T11:00:00",
                                         "2030-01-15T12:00:00")])
    else:
        p.expected.subtract(_weekly("Doctor series", [7, 14, 21, 28]))
    return None


def _single_deleted(p: _Probe) -> str | None:
    p.write("calendar.event.delete", {"id": p.ids["single"]})
    p.expected.subtract([_occurrence("Doctor single", "2030-01-10T16:00:00",
                                     "2030-01-10T17:00:00")])
    return None


def _two_days(p: _Probe) -> str | None:
    p.add(_params("Doctor two days", "2030-01-03T13:00:00", "2030-01-03T14:00:00",
                  Rrule("WEEKLY", count=2, until=date(2030, 1, 8), byday=("TU", "TH"))))
    p.expected.update(_occurrence("Doctor two days", f"2030-01-0{d}T13:00:00",
                                  f"2030-01-0{d}T14:00:00") for d in (3, 8))
    return None


def _written(p: _Probe, vevent: str, name: str, days: list[date], hour: int,
             months: list[date]) -> str | None:
    """Write a VEVENT as push writes it; it must show on `days` in the year and in each
    month view of `months`."""
    for params in _as_pushed(vevent):
        p.add(params)
    wanted = [(day, _occurrence(name, f"{day}T{hour:02d}:00:00", f"{day}T{hour + 1:02d}:00:00"))
              for day in days]
    p.expected.update(o for day, o in wanted if WINDOW.holds(day))
    return _views_problem(p, name, wanted, months)


def _biweekly(p: _Probe) -> str | None:
    """Tuesdays and Thursdays every other week from 1 January 2030, 14 times."""
    weeks = [date(2030, 1, 1) + timedelta(weeks=2 * n) for n in range(7)]
    days = sorted(week + timedelta(days=d) for week in weeks for d in (0, 2))
    return _written(p, "UID:doctor-biweekly\nSUMMARY:Doctor every other week\n"
                    "DTSTART;TZID=Europe/Berlin:20300101T120000\n"
                    "DTEND;TZID=Europe/Berlin:20300101T130000\n"
                    "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=14\n",
                    "Doctor every other week", days, 12,
                    [date(2030, 2, 1), date(2030, 3, 1)])


def _monthly(p: _Probe) -> str | None:
    """The 15th of every month from January 2030, without end: viewed up to eight years on."""
    days = [date(2030 + n // 12, n % 12 + 1, 15) for n in range(96)]
    return _written(p, "UID:doctor-monthly\nSUMMARY:Doctor monthly\n"
                    "DTSTART;TZID=Europe/Berlin:20300115T170000\n"
                    "DTEND;TZID=Europe/Berlin:20300115T180000\nRRULE:FREQ=MONTHLY\n",
                    "Doctor monthly", days, 17,
                    [date(2031, 6, 1), date(2032, 9, 1), date(2034, 3, 1), date(2037, 11, 1)])


def _all_day(p: _Probe) -> str | None:
    day = EventParams(name="Doctor all day", date_from="2030-02-04", date_to="2030-02-04",
                      skip_time=True)
    p.add(day)
    p.expected.update([occurrence_of(day, day.name)])
    return None


def _zone_kept(p: _Probe) -> str | None:
    call = EventParams(name="Doctor zone", date_from="2030-02-05T10:00:00",
                       date_to="2030-02-05T11:00:00", timezone_from=KEPT_ZONE,
                       timezone_to=KEPT_ZONE)
    event_id = p.add(call)
    p.expected.update([occurrence_of(call, call.name)])
    row = p.client.call("calendar.event.getbyid", {"id": event_id})
    kept = row.get("TZ_FROM") if isinstance(row, dict) else None
    return None if kept == KEPT_ZONE else f"TZ_FROM is {kept!r}"


MONDAYS = Rrule("WEEKLY", count=4, until=date(2030, 1, 28), byday=("MO",))
MOVED = "a moved occurrence (recurrence_mode this) moves; the rest of the series stays"
_Step = Callable[[_Probe], str | None]
STEPS: list[tuple[str, _Step, str | None, str | None]] = [
    ("a series bounded as push bounds it, weekly on its days, shows exactly its occurrences",
     _series_add, None, "series"),
    (MOVED, _moved, "series", "moved"),
    ("a series in parts around a skipped day never shows that day", _parts, None, None),
    ("a series updated with recurrence_mode all keeps its days", _update_all, None, None),
    ("a single event updated to another day moves there", _single_moved, None, "single"),
    ("reminders are cleared by a JSON \"remind\": []", _reminders_cleared, "single", None),
    ("deleting a series deletes its moved occurrence and nothing else", _series_deleted,
     "series", None),
    ("deleting a single event deletes only that event", _single_deleted, "single", None),
    ("a weekly rule on two days, from its second day, shows its last occurrence",
     _two_days, None, None),
    ("a rule every two weeks on two days, as push writes it, shows its days in month views",
     _biweekly, None, None),
    ("a monthly rule, as push writes it, shows its day in month views years later",
     _monthly, None, None),
    ("an all-day event stays on its day whatever the user's offset from the server",
     _all_day, None, None),
    (f"a zone name push writes ({KEPT_ZONE}) is kept, with its wall clock", _zone_kept,
     None, None),
]
"""Each behaviour, the step that tries it, the earlier step's event it needs and the event it
makes for later steps (`_Probe.ids`)."""


def _run_steps(p: _Probe) -> None:
    for behaviour, step, needs, gives in STEPS:
        if behaviour == MOVED and not p.traits.honours_recurrence_mode:
            p.findings.append(Finding(
                "a moved occurrence: this portal ignores recurrence_mode, so push writes it as "
                "a skipped day of its series and an event of its own (the parts and single "
                "event lines)", True, ""))
            continue
        if needs in p.unsure:
            p.findings.append(Finding(behaviour, False, "could not be checked: it needs the "
                                      "event of a step that could not be checked",
                                      checked=False))
        elif needs is not None and needs not in p.ids:
            p.findings.append(Finding(behaviour, False, "not tried: an earlier step failed"))
        else:
            p.check(behaviour, partial(step, p))
            if not p.findings[-1].checked:
                p.unsure.update(key for key in (needs, gives) if key is not None)


def _again(action: Callable[[], _T], sleep: Callable[[float], None]) -> _T:
    """`action`, tried again as push tries again while the portal fails in passing; it must
    be safe to repeat, whether or not a failed try took effect."""
    for attempt in range(MAX_RECOVERIES):
        try:
            return action()
        except TransientError:
            sleep(backoff(attempt))
    return action()


def _scratch_id(client: Client, cal_type: CalendarType, owner: int, name: str) -> int | None:
    return next((s.id for s in list_sections(client, cal_type, owner) if s.name == name), None)


@contextmanager
def scratch_section(client: Client, cal_type: CalendarType, owner: int,
                    sleep: Callable[[float], None] = time.sleep) -> Iterator[int]:
    """A section of doctor's own, deleted with everything in it however the block ends. Its
    add and delete are tried again after a passing failure, each once the calendar was read
    to see whether the last try took effect."""
    name = f"ics2b24 doctor {datetime.now():%Y-%m-%d %H:%M:%S}"

    def add() -> int:
        found = _scratch_id(client, cal_type, owner, name)
        return found if found is not None else add_section(client, cal_type, owner,
                                                           SectionFields(name=name))

    def delete() -> None:
        if _scratch_id(client, cal_type, owner, name) is not None:
            client.call("calendar.section.delete", {**calendar_params(cal_type, owner),
                                                    "id": section})

    section = _again(add, sleep)
    try:
        yield section
    finally:
        _again(delete, sleep)


def run_doctor(client: Client, cal_type: CalendarType, owner: int,
               sleep: Callable[[float], None] = time.sleep,
               warn: Callable[[str], None] = lambda text: None) -> DoctorReport:
    """The generation found and every finding, in order; the scratch sections are gone when
    this returns or raises. A group the portal does not have is refused first: finding the
    generation already writes."""
    check_group(client, cal_type, owner, warn)
    traits = _again(partial(probe_traits, client, cal_type, owner), sleep)
    with scratch_section(client, cal_type, owner, sleep) as section:
        probe = _Probe(client, cal_type, owner, section, traits, sleep=sleep)
        probe.present = probe.ids_held()
        _run_steps(probe)
        return DoctorReport(traits, probe.findings)
