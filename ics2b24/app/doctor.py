"""`ics2b24 doctor`: try, on the user's own portal, every kind of write `push` relies on.

The test portal follows the portal source we could read; a user's portal may run another
version. So before a migration, doctor creates a scratch section, makes each kind of write
`push` makes (a series, a moved occurrence, a series in parts around a skipped day, an update
keeping the date, a single event moved to another day, reminders cleared, a series deleted
with its moved occurrence, a single event deleted, a weekly COUNT rule on two days, an all-day
event, a zone name), reads the section back after each, and
checks that the write did what push expects and that every other occurrence survived. It
never touches another section, and deletes its own however it ends (Ctrl-C included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ics2b24.app.sections import SectionFields, add_section, calendar_params
from ics2b24.app.target import CalendarType
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.rows import shown
from ics2b24.errors import PortalError
from ics2b24.model import EventParams, Reminder, Rrule
from ics2b24.plan.compare import Occurrence, Window, occurrence_of

ZONE = "Europe/Berlin"
WINDOW = Window(datetime(2030, 1, 1).date(), datetime(2030, 12, 31).date())
"""Doctor's events live in 2030, inside its own section: far from anything a user looks at."""
KEPT_ZONE = "Asia/Kolkata"
"""A zone only recently listed under this name (Asia/Calcutta before): a portal on an old tzdata
would replace it by its server's zone."""


@dataclass(frozen=True)
class Finding:
    """One behaviour: whether the portal showed what push relies on, and what it showed."""

    behaviour: str
    held: bool
    seen: str

    def line(self) -> str:
        return f"{'ok       ' if self.held else 'DIFFERENT'}  {self.behaviour}" + (
            "" if self.held else f": {self.seen}")


@dataclass
class _Probe:
    client: Client
    cal_type: CalendarType
    owner: int
    section: int
    expected: Counter[Occurrence] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def base(self) -> dict[str, Any]:
        return {**calendar_params(self.cal_type, self.owner), "section": self.section}

    def write(self, method: str, params: Mapping[str, Any]) -> Any:
        """One write in `batch`, as push sends it; a refusal raises."""
        answer = self.client.batch({"c": (method, params)})
        if "c" in answer.errors:
            raise answer.errors["c"]
        return answer.results.get("c")

    def shown(self) -> Counter[Occurrence]:
        rows = self.client.call("calendar.event.get", {
            **calendar_params(self.cal_type, self.owner), "section": [self.section],
            "from": "2029-12-31", "to": "2031-01-01"})
        found: Counter[Occurrence] = Counter()
        for occurrences in shown(rows if isinstance(rows, list) else [], WINDOW).values():
            found.update(occurrences)
        return found

    def check(self, behaviour: str, step: Callable[[], str | None]) -> None:
        """Run one step; it holds when the step saw nothing wrong and the section then shows
        exactly the occurrences expected. After a difference, what the section shows is what
        the next steps start from, so each finding is about its own step."""
        try:
            problem = step()
        except PortalError as error:
            problem = f"the portal refused: {error.description or error.error}"
        except (TypeError, ValueError) as error:
            problem = f"the portal answered in a shape push does not expect ({error})"
        if problem is None:
            seen = self.shown()
            missing, extra = self.expected - seen, seen - self.expected
            if missing or extra:
                problem = "; ".join(
                    [f"missing {o.show()}" for o in sorted(missing.elements())][:3]
                    + [f"extra {o.show()}" for o in sorted(extra.elements())][:3])
                self.expected = seen
        self.findings.append(Finding(behaviour, problem is None, problem or ""))


def _params(name: str, start: str, end: str, rrule: Rrule | None = None,
            remind: tuple[Reminder, ...] = ()) -> dict[str, Any]:
    return EventParams(name=name, date_from=start, date_to=end, timezone_from=ZONE,
                       timezone_to=ZONE, rrule=rrule, remind=remind).to_call()


def _occurrence(name: str, start: str, end: str) -> Occurrence:
    return occurrence_of(EventParams(name=name, date_from=start, date_to=end,
                                     timezone_from=ZONE, timezone_to=ZONE), name)


def _weekly(name: str, days: list[int], hour: int = 9) -> list[Occurrence]:
    return [_occurrence(name, f"2030-01-{d:02d}T{hour:02d}:00:00",
                        f"2030-01-{d:02d}T{hour + 1:02d}:00:00") for d in days]


def _probes(p: _Probe) -> None:
    ids: dict[str, int] = {}
    mondays = Rrule("WEEKLY", count=4, byday=("MO",))

    def series_add() -> str | None:
        answer = p.write("calendar.event.add", {**p.base(), **_params(
            "Doctor series", "2030-01-07T09:00:00", "2030-01-07T10:00:00", mondays)})
        if not isinstance(answer, int | str) or not str(answer).isdigit():
            return f"the add answered {answer!r}, not the new event's id"
        ids["series"] = int(answer)
        p.expected.update(_weekly("Doctor series", [7, 14, 21, 28]))
        return None

    def moved() -> str | None:
        p.write("calendar.event.update", {
            **p.base(), "id": ids["series"], "recurrence_mode": "this",
            "current_date_from": "2030-01-14",
            **_params("Doctor moved", "2030-01-15T11:00:00", "2030-01-15T12:00:00")})
        p.expected.subtract(_weekly("Doctor series", [14]))
        p.expected.update([_occurrence("Doctor moved", "2030-01-15T11:00:00",
                                       "2030-01-15T12:00:00")])
        return None

    def parts() -> str | None:
        for start, count in (("2030-01-08", 2), ("2030-01-29", 1)):
            p.write("calendar.event.add", {**p.base(), **_params(
                "Doctor parts", f"{start}T14:00:00", f"{start}T15:00:00",
                Rrule("WEEKLY", count=count, byday=("TU",)))})
        p.expected.update(_weekly("Doctor parts", [8, 15, 29], hour=14))
        return None

    def update_all() -> str | None:
        answer = p.write("calendar.event.add", {**p.base(), **_params(
            "Doctor daily", "2030-01-02T08:00:00", "2030-01-02T08:30:00",
            Rrule("DAILY", count=3))})
        p.write("calendar.event.update", {**p.base(), "id": int(answer),
                                          "recurrence_mode": "all", **_params(
            "Doctor daily renamed", "2030-01-02T08:00:00", "2030-01-02T08:30:00",
            Rrule("DAILY", count=3))})
        p.expected.update(_occurrence("Doctor daily renamed", f"2030-01-0{d}T08:00:00",
                                      f"2030-01-0{d}T08:30:00") for d in (2, 3, 4))
        return None

    def single_moved() -> str | None:
        answer = p.write("calendar.event.add", {**p.base(), **_params(
            "Doctor single", "2030-01-09T16:00:00", "2030-01-09T17:00:00")})
        ids["single"] = int(answer)
        p.write("calendar.event.update", {**p.base(), "id": ids["single"], **_params(
            "Doctor single", "2030-01-10T16:00:00", "2030-01-10T17:00:00")})
        p.expected.update([_occurrence("Doctor single", "2030-01-10T16:00:00",
                                       "2030-01-10T17:00:00")])
        return None

    def reminders_cleared() -> str | None:
        with_alarm = _params("Doctor single", "2030-01-10T16:00:00", "2030-01-10T17:00:00",
                             remind=(Reminder("min", 15),))
        p.write("calendar.event.update", {**p.base(), "id": ids["single"], **with_alarm})
        p.client.call("calendar.event.update", {**p.base(), "id": ids["single"],
                                                **with_alarm, "remind": []})
        row = p.client.call("calendar.event.getbyid", {"id": ids["single"]})
        left = row.get("REMIND") if isinstance(row, dict) else None
        return None if not left else f"REMIND is still {left!r}"

    def series_deleted() -> str | None:
        p.write("calendar.event.delete", {"id": ids["series"]})
        p.expected.subtract(_weekly("Doctor series", [7, 21, 28]))
        p.expected.subtract([_occurrence("Doctor moved", "2030-01-15T11:00:00",
                                         "2030-01-15T12:00:00")])
        return None

    def two_day_count() -> str | None:
        p.write("calendar.event.add", {**p.base(), **_params(
            "Doctor two days", "2030-01-03T13:00:00", "2030-01-03T14:00:00",
            Rrule("WEEKLY", count=2, byday=("TU", "TH")))})
        p.expected.update(_occurrence("Doctor two days", f"2030-01-0{d}T13:00:00",
                                      f"2030-01-0{d}T14:00:00") for d in (3, 8))
        return None

    def all_day() -> str | None:
        day = EventParams(name="Doctor all day", date_from="2030-02-04", date_to="2030-02-04",
                          skip_time=True)
        p.write("calendar.event.add", {**p.base(), **day.to_call()})
        p.expected.update([occurrence_of(day, day.name)])
        return None

    def zone_kept() -> str | None:
        call = EventParams(name="Doctor zone", date_from="2030-02-05T10:00:00",
                           date_to="2030-02-05T11:00:00", timezone_from=KEPT_ZONE,
                           timezone_to=KEPT_ZONE)
        answer = p.write("calendar.event.add", {**p.base(), **call.to_call()})
        p.expected.update([occurrence_of(call, call.name)])
        row = p.client.call("calendar.event.getbyid", {"id": int(answer)})
        kept = row.get("TZ_FROM") if isinstance(row, dict) else None
        return None if kept == KEPT_ZONE else f"TZ_FROM is {kept!r}"

    def single_deleted() -> str | None:
        p.write("calendar.event.delete", {"id": ids["single"]})
        p.expected.subtract([_occurrence("Doctor single", "2030-01-10T16:00:00",
                                         "2030-01-10T17:00:00")])
        return None

    steps: list[tuple[str, Callable[[], str | None], str | None]] = [
        ("a series bounded by COUNT, weekly on its days, shows exactly its occurrences",
         series_add, None),
        ("a moved occurrence (recurrence_mode this) moves; the rest of the series stays",
         moved, "series"),
        ("a series in parts around a skipped day never shows that day", parts, None),
        ("a series updated with recurrence_mode all keeps its days", update_all, None),
        ("a single event updated to another day moves there", single_moved, None),
        ("reminders are cleared by a JSON \"remind\": []", reminders_cleared, "single"),
        ("deleting a series deletes its moved occurrence and nothing else", series_deleted,
         "series"),
        ("deleting a single event deletes only that event", single_deleted, "single"),
        ("a weekly COUNT rule on two days, from its second day, shows its last occurrence",
         two_day_count, None),
        ("an all-day event stays on its day whatever the user's offset from the server",
         all_day, None),
        (f"a zone name push writes ({KEPT_ZONE}) is kept, with its wall clock", zone_kept,
         None),
    ]
    for behaviour, step, needs in steps:
        if needs is not None and needs not in ids:
            p.findings.append(Finding(behaviour, False, "not tried: an earlier step failed"))
            continue
        p.check(behaviour, step)


@contextmanager
def scratch_section(client: Client, cal_type: CalendarType, owner: int) -> Iterator[int]:
    """A section of doctor's own, deleted with everything in it however the block ends."""
    name = f"ics2b24 doctor {datetime.now():%Y-%m-%d %H:%M:%S}"
    section = add_section(client, cal_type, owner, SectionFields(name=name))
    try:
        yield section
    finally:
        client.call("calendar.section.delete", {**calendar_params(cal_type, owner),
                                                "id": section})


def run_doctor(client: Client, cal_type: CalendarType, owner: int) -> list[Finding]:
    """Every finding, in order; the scratch section is gone when this returns or raises."""
    with scratch_section(client, cal_type, owner) as section:
        probe = _Probe(client, cal_type, owner, section)
        _probes(probe)
        return probe.findings
