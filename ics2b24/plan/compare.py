"""`ics2b24 verify`: the occurrences the input implies against the ones the portal shows.

No test here reaches a real Bitrix24 portal, so this is the proof a user runs on theirs. It
uses documented reads only (`calendar.event.get`) and no state DB, so it judges any portal
from any machine, before or after a migration, whoever wrote the events.

Both sides become the same plain values, `Occurrence`s: name, start and end (UTC instants for
timed events, days for all-day ones), all-day or not. The input's side is the converter's
lines expanded by the Bitrix24 recurrence model (ics2b24.ical.bxrule): what `push` meant the
portal to show. The portal's side is every row of `calendar.event.get`, each row one
occurrence. Portal events carry no UID, so an event is tied to a UID by its occurrences:
an occurrence matching one the input implies ties its event to that UID, and the event's
other occurrences that match nothing are "extra" for that UID (a rule the portal expands
differently). Occurrences of events that match nothing at all belong to other events in the
section and are only counted.

One wide window is not enough: a current portal expands a series from an estimate of the
occurrence nearest the requested window's start (docs/test-portal.md, behaviour 18), so a
month view opened years into a series can show other days than a window from its start. The
calendar requests a month as its grid, six weeks from the Monday on or before the 1st; every
grid the window touches is judged on its own, as the user opening that month sees it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.errors import UsageError
from ics2b24.ical import bxrule
from ics2b24.model import DesiredEvent, EventParams
from ics2b24.plan.days import holder, occurrence_day


@dataclass(frozen=True, order=True)
class Occurrence:
    """One occurrence as both sides can state it. Timed: `start`/`end` are UTC
    `YYYY-MM-DDTHH:MM:SSZ`; all-day: `YYYY-MM-DD`, `end` the last day (inclusive)."""

    start: str
    end: str
    name: str
    all_day: bool

    def show(self) -> str:
        kind = "all day" if self.all_day else "UTC"
        return f"{self.start}..{self.end} ({kind}) {self.name!r}"


@dataclass(frozen=True)
class Window:
    """Occurrences whose start day (in their own zone) is in [first, last]."""

    first: date
    last: date

    @classmethod
    def chosen(cls, first: date, last: date) -> Window:
        """The window `--from`/`--to` choose: one that ends before it starts is refused
        rather than read as empty."""
        if last < first:
            raise UsageError(f"--to {last} is before --from {first}")
        return cls(first, last)

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass
class UidReport:
    uid: str
    name: str
    missing: list[Occurrence] = field(default_factory=list)
    extra: list[Occurrence] = field(default_factory=list)

    def line(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing: " +
                         "; ".join(o.show() for o in self.missing[:5]))
        if self.extra:
            parts.append(f"{len(self.extra)} extra: " +
                         "; ".join(o.show() for o in self.extra[:5]))
        more = len(self.missing) > 5 or len(self.extra) > 5
        return f"UID {self.uid} ({self.name}): " + " | ".join(parts) + (" …" if more else "")

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "name": self.name, "missing": [vars(o) for o in self.missing],
                "extra": [vars(o) for o in self.extra]}


@dataclass
class ViewReport:
    """A month view (its grid) in which some UIDs show other occurrences than the input
    implies there."""

    window: Window
    differing: list[UidReport]

    @property
    def month(self) -> date:
        """The month the grid is drawn for: a grid starts at most six days before its 1st."""
        return (self.window.first + timedelta(days=6)).replace(day=1)

    def name(self) -> str:
        return f"month view {self.month.isoformat()[:7]} ({self.window.first}..{self.window.last})"

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month.isoformat()[:7], "from": self.window.first.isoformat(),
                "to": self.window.last.isoformat(),
                "differing": [r.to_json() for r in self.differing]}


@dataclass
class VerifyReport:
    """The whole window judged at once, and the month views (`months` of them) that differ."""

    window: Window
    uids: int
    occurrences: int
    differing: list[UidReport]
    other_events: int
    views: list[ViewReport] = field(default_factory=list)
    months: int = 0
    tied: dict[int, str] = field(default_factory=dict)
    """Which UID each portal event was found to stand for."""
    lookalikes: list[int] = field(default_factory=list)
    """Events tied to no UID whose every occurrence is one the input implies: a second copy
    (pushed with another state DB, or by two runs at once), which the calendar shows twice."""

    @property
    def equal(self) -> bool:
        return not self.differing and not self.views and not self.lookalikes

    def verdict(self) -> str:
        if self.equal:
            return "the portal shows exactly what the input implies"
        said = []
        if self.differing:
            said.append(f"{len(self.differing)} of {self.uids} UID(s) differ")
        if self.lookalikes:
            said.append(f"{len(self.lookalikes)} event(s) are look-alike copies of input "
                        "events (the calendar shows them twice)")
        if self.views:
            uids = {r.uid for view in self.views for r in view.differing}
            said.append(f"{len(uids)} UID(s) differ in {len(self.views)} of {self.months} "
                        "month view(s)")
        return "; ".join(said)

    def to_json(self) -> dict[str, Any]:
        return {
            "equal": self.equal, "from": self.window.first.isoformat(),
            "to": self.window.last.isoformat(), "uids": self.uids,
            "occurrences": self.occurrences, "other_events": self.other_events,
            "differing": [r.to_json() for r in self.differing],
            "month_views": self.months, "views": [v.to_json() for v in self.views],
            "lookalikes": self.lookalikes,
        }


def shifted(day: date, days: int) -> date:
    """`day` moved by `days`, held at the calendar's ends (year 1, 9999) where it would
    leave them: an event there is read and compared like any other."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def month_grid(month: date) -> Window:
    """The month of `month` as the calendar requests it: six weeks from the Monday on or
    before its 1st (up to the last day a date can hold)."""
    first = shifted(month.replace(day=1), -month.replace(day=1).weekday())
    return Window(first, shifted(first, 41))


def month_grids(window: Window) -> list[Window]:
    """The grid of every month the window touches, in order: the views a user can open."""
    month, last = window.first.replace(day=1), window.last.replace(day=1)
    out = [month_grid(month)]
    while month < last:
        month = (month + timedelta(days=32)).replace(day=1)
        out.append(month_grid(month))
    return out


def differing_views(events: Sequence[DesiredEvent],
                    views: Iterable[tuple[Window, Mapping[int, Counter[Occurrence]]]],
                    names: Mapping[str, str], whole: VerifyReport) -> list[ViewReport]:
    """Each grid with what the portal shows in it, judged like the whole window. A view
    keeps only what the whole window does not already say (a day the portal lost is missing
    there and in its month's view alike), and a portal event stays tied to the UID the whole
    window tied it to; only the views left with a difference are kept."""
    said = {r.uid: (Counter(r.missing), Counter(r.extra)) for r in whole.differing}
    listed = list(views)
    if not listed:
        return []
    span = Window(min(grid.first for grid, _ in listed), max(grid.last for grid, _ in listed))
    days = _implied_days(events, span)
    out = []
    for grid, portal in listed:
        expected = {uid: Counter(o for day, o in found if grid.holds(day))
                    for uid, found in days.items()}
        left = []
        for report in compare(expected, portal, names, grid, whole.tied).differing:
            missing, extra = said.get(report.uid, (Counter(), Counter()))
            report.missing = sorted((Counter(report.missing) - missing).elements())
            report.extra = sorted((Counter(report.extra) - extra).elements())
            if report.missing or report.extra:
                left.append(report)
        if left:
            out.append(ViewReport(grid, left))
    return out


def default_window(events: Sequence[DesiredEvent], horizon_end: date) -> Window | None:
    """The input's span: its first start day to its last end day, rules without end up to
    the horizon (exclusive, as `--horizon-end` is for the converter)."""
    if not events:
        return None
    first = min(_day(e.params.date_from) for e in events)
    last = first
    for event in events:
        rule = event.params.rrule
        end = _day(event.params.date_to)
        if rule is not None:
            final = bxrule.last_day(_day(event.params.date_from), rule)
            end = horizon_end - timedelta(days=1) if final is None else end + (
                final - _day(event.params.date_from))
        last = max(last, end)
    return Window(first, last)


def implied(events: Sequence[DesiredEvent], window: Window) -> dict[str, Counter[Occurrence]]:
    """Per UID, the occurrences the converter's lines make on a portal that expands rules as
    the Bitrix24 model says: every part of a series expanded, each moved occurrence taken
    off the part holding it and put where it went."""
    return {uid: Counter(o for _, o in found)
            for uid, found in _implied_days(events, window).items()}


def _implied_days(events: Sequence[DesiredEvent], window: Window
                  ) -> dict[str, list[tuple[date, Occurrence]]]:
    """`implied`, each occurrence with its start day in its own zone (what a window holds)."""
    out: dict[str, list[tuple[date, Occurrence]]] = {}
    parts: dict[str, list[DesiredEvent]] = {}
    for event in events:
        if event.kind == "series":
            parts.setdefault(event.uid, []).append(event)
    moved: dict[tuple[str, str | None], set[date]] = {}
    for event in events:
        if event.kind == "override" and event.recurrence_id is not None:
            part = holder(parts.get(event.uid, []), event.recurrence_id)
            if part is not None:
                day = occurrence_day(event.recurrence_id, part.params.timezone_from)
                moved.setdefault((part.uid, part.recurrence_id), set()).add(date.fromisoformat(day))
    for event in events:
        found = out.setdefault(event.uid, [])
        if event.kind == "series":
            skip = moved.get((event.uid, event.recurrence_id), set())
            found.extend(_expanded(event.params, window, skip))
        elif window.holds(_day(event.params.date_from)):
            found.append((_day(event.params.date_from),
                          occurrence_of(event.params, event.params.name)))
    return out


def _expanded(params: EventParams, window: Window, skip: set[date]
              ) -> Iterable[tuple[date, Occurrence]]:
    assert params.rrule is not None
    start = _day(params.date_from)
    for day in bxrule.iter_days(start, params.rrule):
        if day > window.last:
            return
        if day in skip or not window.holds(day):
            continue
        shift = day - start
        yield day, occurrence_of(_moved(params, shift), params.name)


def _moved(params: EventParams, shift: timedelta) -> EventParams:
    """The series' first occurrence moved by whole days, keeping its wall-clock times."""
    def move(text: str) -> str:
        if params.skip_time:
            return (date.fromisoformat(text) + shift).isoformat()
        return (datetime.fromisoformat(text) + shift).isoformat()
    return EventParams(name=params.name, date_from=move(params.date_from),
                       date_to=move(params.date_to), skip_time=params.skip_time,
                       timezone_from=params.timezone_from, timezone_to=params.timezone_to)


def occurrence_of(params: EventParams, name: str) -> Occurrence:
    """The occurrence an event's own dates make (wall clock in its zone → UTC)."""
    if params.skip_time:
        return Occurrence(params.date_from[:10], params.date_to[:10], name.strip(), True)
    return Occurrence(_utc(params.date_from, params.timezone_from),
                      _utc(params.date_to, params.timezone_to or params.timezone_from),
                      name.strip(), False)


def _utc(wall: str, zone: str | None) -> str:
    moment = datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def compare(expected: Mapping[str, Counter[Occurrence]], portal: Mapping[int, Counter[Occurrence]],
            names: Mapping[str, str], window: Window,
            tied_before: Mapping[int, str] | None = None) -> VerifyReport:
    """Tie portal events to UIDs by their matching occurrences, then judge every UID. An
    event `tied_before` (in the whole window, for a month view) stays tied to its UID even
    where none of its occurrences match there."""
    needed = {uid: Counter(found) for uid, found in expected.items()}
    wanted_by: dict[Occurrence, list[str]] = {}
    for uid, found in expected.items():
        for occurrence in found:
            wanted_by.setdefault(occurrence, []).append(uid)
    tied = {event_id: uid for event_id, uid in (tied_before or {}).items() if uid in needed}
    unmatched: dict[int, Counter[Occurrence]] = {}
    for event_id, found in sorted(portal.items()):
        for occurrence, count in sorted(found.items()):
            for _ in range(count):
                taker = _take(occurrence, wanted_by, needed, tied.get(event_id))
                if taker is None:
                    unmatched.setdefault(event_id, Counter())[occurrence] += 1
                else:
                    tied.setdefault(event_id, taker)
    reports: dict[str, UidReport] = {}
    for uid, left in needed.items():
        if +left:
            report = reports.setdefault(uid, UidReport(uid, names.get(uid, "")))
            report.missing = sorted((+left).elements())
    other = 0
    lookalikes = []
    for event_id, extra in unmatched.items():
        owner = tied.get(event_id)
        if owner is None:
            other += 1
            if all(occurrence in wanted_by for occurrence in extra):
                lookalikes.append(event_id)
            continue
        report = reports.setdefault(owner, UidReport(owner, names.get(owner, "")))
        report.extra = sorted([*report.extra, *extra.elements()])
    return VerifyReport(window, len(expected), sum(sum(c.values()) for c in expected.values()),
                        [reports[uid] for uid in sorted(reports)], other, tied=tied,
                        lookalikes=lookalikes)


def _take(occurrence: Occurrence, wanted_by: Mapping[Occurrence, list[str]],
          needed: dict[str, Counter[Occurrence]], prefer: str | None) -> str | None:
    """The UID this portal occurrence stands for: the event's own UID when it still needs
    it, else the first that does."""
    candidates = wanted_by.get(occurrence, [])
    ordered = ([prefer] if prefer in candidates else []) + candidates
    for uid in ordered:
        if needed[uid][occurrence] > 0:
            needed[uid][occurrence] -= 1
            return uid
    return None
