"""Doctor's scratch section while its steps run: the input calendar pushed there so far, what
push would have recorded of it, the occurrences the section must show, and one finding per
step from reading the section back (app/doctor.py says what doctor is for).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ics2b24.app.doctor_push import HORIZON, Calendar, Pushing
from ics2b24.app.run import MAX_RECOVERIES
from ics2b24.app.sections import calendar_params
from ics2b24.bitrix.client import TransientError, backoff
from ics2b24.bitrix.rows import DateOrder, date_order, listed_rows, shown
from ics2b24.errors import PortalError
from ics2b24.ical.convert import ConvertResult
from ics2b24.plan.compare import Occurrence, Window, implied
from ics2b24.plan.ops import Key
from ics2b24.plan.record import Record

_T = TypeVar("_T")
WINDOW = Window(datetime(2030, 1, 1).date(), datetime(2030, 12, 31).date())
"""Doctor's events live in 2030, inside its own section: far from anything a user looks at."""
_ALL_YEARS = Window(WINDOW.first, HORIZON - timedelta(days=1))
"""Every year doctor writes in: where a step that failed may have left events."""


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


@dataclass
class Probe:
    """The state doctor's steps share; `check` runs one and says what it found."""

    pushing: Pushing
    expected: Counter[Occurrence] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    calendar: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The input so far: each UID's VEVENTs, as a user's .ics says them."""
    records: dict[Key, Record] = field(default_factory=dict)
    """What push's state DB would hold after pushing `calendar`: the diff's memory."""
    order: DateOrder | None = None
    """The portal's date order, learnt from the whole year's reads for the month views."""
    sleep: Callable[[float], None] = time.sleep
    unsure: set[str] = field(default_factory=set)
    """The UIDs a step that could not be checked may have left in any state."""
    present: set[str] = field(default_factory=set)
    """The ids the section held at the last `look()` (none yet in a new scratch section)."""

    def push(self, changes: Calendar) -> None:
        """Change the input (each UID's VEVENTs now; none removes the UID) and push it: the
        section must then show what the input implies, the occurrences of other UIDs
        unchanged."""
        before = self.converted(changes)
        for uid, vevents in changes.items():
            if vevents:
                self.calendar[uid] = tuple(vevents)
            else:
                self.calendar.pop(uid, None)
        after = self.converted(changes)
        for occurrences in implied(before.events, WINDOW).values():
            self.expected.subtract(occurrences)
        for occurrences in implied(after.events, WINDOW).values():
            self.expected.update(occurrences)
        self.pushing.push(after, list(changes), self.records)

    def converted(self, uids: Collection[str]) -> ConvertResult:
        """These UIDs of the input, as push's converter writes them."""
        return self.pushing.converted({uid: self.calendar[uid] for uid in uids
                                       if uid in self.calendar})

    def event_ids(self, uid: str) -> set[int]:
        """The portal events push would say hold this UID."""
        return {record.event_id for record in self.records.values() if record.uid == uid}

    def holds(self, uid: str) -> bool:
        """Whether push would say the section holds this UID (a later step changes it)."""
        return bool(self.event_ids(uid))

    def row(self, uid: str) -> Any:
        """The UID's (first) event as `calendar.event.getbyid` answers it."""
        return self.pushing.client.call("calendar.event.getbyid",
                                        {"id": min(self.event_ids(uid))})

    def shown(self, window: Window = WINDOW) -> dict[int, Counter[Occurrence]]:
        """What the section shows in the window per event id, read as the calendar reads it:
        by overlap, a day wider on each side, each occurrence counted in the window its
        start day is in."""
        return self._occurrences(self.pushing.client.call("calendar.event.get",
                                                          self._read(window)), window)

    def look(self) -> Counter[Occurrence]:
        """`shown()` of the year, and in the same request the ids the section holds over
        every year doctor writes in (`present`): where the next step starts from."""
        answer = self.pushing.client.batch({
            "shown": ("calendar.event.get", self._read(WINDOW)),
            "ids": ("calendar.event.get", self._read(_ALL_YEARS))})
        for key in ("shown", "ids"):
            if key in answer.errors:
                raise answer.errors[key]
        self.present = _ids_of(answer.results.get("ids"))
        return sum(self._occurrences(answer.results.get("shown"), WINDOW).values(), Counter())

    def _read(self, window: Window) -> dict[str, Any]:
        target = self.pushing.target
        return {**calendar_params(target.type, target.owner), "section": [self.pushing.section],
                "from": (window.first - timedelta(days=1)).isoformat(),
                "to": (window.last + timedelta(days=1)).isoformat()}

    def _occurrences(self, rows: Any, window: Window) -> dict[int, Counter[Occurrence]]:
        listed = listed_rows(rows)
        if window == WINDOW:
            self.order = date_order(listed) or self.order
        return shown(listed, window, self.order)

    def check(self, behaviour: str, step: Callable[[], str | None]) -> None:
        """Run one step; it holds when the step saw nothing wrong and the section then shows
        exactly the occurrences expected. After a difference, what the section shows is what
        the next steps start from, so each finding is about its own step. A step the portal
        failed in passing is tried again as push tries again (`backoff`, up to
        MAX_RECOVERIES), from the section as it was: the events it added are deleted first;
        when that cannot restore it (the step changed an earlier event), or the failures go
        on, the behaviour could not be checked."""
        before = (Counter(self.expected), dict(self.calendar), dict(self.records))
        present = set(self.present)
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                problem = step()
                break
            except TransientError as error:
                self.sleep(backoff(attempt))
                if attempt == MAX_RECOVERIES or not self._restored(before[0], present):
                    self.findings.append(Finding(
                        behaviour, False, f"could not be checked: {error.description}",
                        checked=False))
                    self.expected = self.look()
                    return
                self.expected, self.calendar, self.records = (
                    Counter(before[0]), dict(before[1]), dict(before[2]))
            except PortalError as error:
                problem = f"the portal refused: {error.description or error.error}"
                break
            except (TypeError, ValueError) as error:
                problem = f"the portal answered in a shape push does not expect ({error})"
                break
        seen = self.look()
        missing, extra = self.expected - seen, seen - self.expected
        if missing or extra:
            problem = problem or "; ".join(said(missing, extra, 3))
            self.expected = seen
        self.findings.append(Finding(behaviour, problem is None, problem or ""))

    def _restored(self, before: Counter[Occurrence], present: set[str]) -> bool:
        """Delete the events a failed step added (those not `present` before it); whether the
        section then shows what it showed before the step."""
        def roll_back() -> None:
            for event_id in sorted(self.ids_held() - present):
                self.pushing.client.call("calendar.event.delete", {"id": int(event_id)})

        try:
            again(roll_back, self.sleep)
            return sum(self.shown().values(), Counter()) == before
        except TransientError:
            return False

    def ids_held(self) -> set[str]:
        """The ids of every event in the section, over all the years doctor writes in."""
        return _ids_of(self.pushing.client.call("calendar.event.get", self._read(_ALL_YEARS)))


def said(missing: Counter[Occurrence], extra: Counter[Occurrence], most: int) -> list[str]:
    """What differs, the first `most` of each kind."""
    return ([f"missing {o.show()}" for o in sorted(missing.elements())][:most]
            + [f"extra {o.show()}" for o in sorted(extra.elements())][:most])


def _ids_of(rows: Any) -> set[str]:
    return {str(row.get("ID")) for row in rows if isinstance(row, dict)} if isinstance(
        rows, list) else set()


def again(action: Callable[[], _T], sleep: Callable[[float], None]) -> _T:
    """`action`, tried again as push tries again while the portal fails in passing; it must
    be safe to repeat, whether or not a failed try took effect."""
    for attempt in range(MAX_RECOVERIES):
        try:
            return action()
        except TransientError:
            sleep(backoff(attempt))
    return action()
