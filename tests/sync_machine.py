"""The whole sync as a state machine, as vdirsyncer's SyncMachine: a calendar edited the way
users edit it, each version pushed (with `--prune`, or without while it has nothing to
delete; now and then killed mid-run) into one section of a test portal over HTTP, beside
events the user wrote there. After every push the section shows exactly the input (every
occurrence with its times, description and location), a second push sends no write, and
the user's own events are as they wrote them; after `undo` only the user's are left.
`SyncMachine.TestCase` runs it."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal, PortalConfig
from tests.helpers import Killer, spy_on
from tests.sync_model import (
    COLORS,
    DAYS,
    FREQS,
    LOCATION,
    ZONES,
    Event,
    Occurrence,
    Rule,
    calendar,
    ics_view,
    portal_view,
    row_occurrence,
    run,
)

SECTION = 1
LIMITS = LimitSettings(rate=100_000, burst=100_000, operating_limit=1e9)

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30))
clocks = st.builds(time, st.integers(7, 20), st.sampled_from([0, 15, 30]))
texts = st.sampled_from(["", "Agenda", "Room 4 — bring notes", "Budget; Q3, draft"])
alarms = st.sampled_from([None, 0, 15, 60, 1440])
colors = st.sampled_from(sorted(COLORS))


@st.composite
def rules(draw: st.DrawFn, start: date) -> Rule:
    freq = draw(st.sampled_from(sorted(FREQS)))
    byday: tuple[str, ...] = ()
    if freq == "WEEKLY":
        own = DAYS[start.weekday()]
        others = draw(st.lists(st.sampled_from(DAYS), max_size=2, unique=True))
        byday = tuple(d for d in DAYS if d == own or d in others)
    return Rule(freq, draw(st.integers(1, 2)), byday, draw(st.integers(2, 7)),
                draw(st.booleans()))


@st.composite
def events(draw: st.DrawFn, uid: str) -> Event:
    day = draw(days)
    all_day = draw(st.booleans())
    start = datetime.combine(day, time() if all_day else draw(clocks))
    return Event(uid=uid, name=f"Event {uid}", start=start, zone=draw(st.sampled_from(ZONES)),
                 all_day=all_day,
                 length=draw(st.integers(1, 3)) if all_day else draw(
                     st.sampled_from([30, 60, 90, 180])),
                 rule=draw(st.none() | rules(day)), description=draw(texts),
                 location=draw(texts), alarm=draw(alarms), color=draw(colors))


class SyncMachine(RuleBasedStateMachine):
    """Against the portal Bitrix24 runs today (generation 3), its webhook user west of the
    server's zone (docs/test-portal.md, "Generations and zones")."""

    profile = Profile()

    def __init__(self) -> None:
        super().__init__()
        self.portal = Portal(PortalConfig(limits=LIMITS, profile=self.profile)).start()
        self.log = spy_on(self.portal)
        self.dir = Path(tempfile.mkdtemp(prefix="ics2b24-sync-"))
        self.events: list[Event] = []
        self.own: dict[int, Occurrence] = {}
        """The user's own events in the section: id → what they show."""
        self.edited: dict[str, tuple[str, str]] = {}
        """UID → (its VEVENT as the portal edit found it, the location the user wrote there)."""
        self.pushed: dict[str, str] = {}
        """UID → its VEVENT as the last completed push sent it."""
        self.sent: set[str] = set()
        """Every UID a push (finished or killed) was given since the last undo."""
        self.serial = 0
        self.killer = Killer(self.portal)

    def teardown(self) -> None:
        self.portal.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the calendar's next version ----------------------------------------------------

    def _uid(self) -> str:
        self.serial += 1
        return f"e{self.serial}@sync.test"

    @initialize(data=st.data(), count=st.integers(1, 4))
    def first_version(self, data: st.DataObject, count: int) -> None:
        for _ in range(count):
            self.events.append(data.draw(events(self._uid())))

    @rule(data=st.data())
    def add_event(self, data: st.DataObject) -> None:
        self.events.append(data.draw(events(self._uid())))

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def delete_event(self, data: st.DataObject) -> None:
        self.events.pop(data.draw(st.integers(0, len(self.events) - 1)))

    def _pick(self, data: st.DataObject, series: bool = False) -> int:
        choices = [i for i, e in enumerate(self.events) if not series or e.rule]
        return data.draw(st.sampled_from(choices))

    def _has_series(self) -> bool:
        return any(e.rule for e in self.events)

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def new_uid(self, data: st.DataObject) -> None:
        """Outlook-published feeds give the same event a new UID now and then."""
        i = self._pick(data)
        self.events[i] = self.events[i].edited(uid=self._uid())

    @precondition(lambda self: self._has_series())
    @rule(data=st.data())
    def move_occurrence(self, data: st.DataObject) -> None:
        i = self._pick(data, series=True)
        event = self.events[i]
        index = data.draw(st.integers(1, self._changeable(event) - 1)) if self._changeable(
            event) > 1 else 0
        if index in event.exdates:
            return
        shift = data.draw(st.sampled_from([-1, 1, 2, 26]))
        self.events[i] = event.edited(moves={**event.moves, index: shift})

    @precondition(lambda self: self._has_series())
    @rule(data=st.data())
    def skip_occurrence(self, data: st.DataObject) -> None:
        i = self._pick(data, series=True)
        event = self.events[i]
        index = data.draw(st.integers(0, self._changeable(event) - 1))
        moves = {k: v for k, v in event.moves.items() if k != index}
        self.events[i] = event.edited(exdates=event.exdates | {index}, moves=moves)

    @precondition(lambda self: self._has_series())
    @rule(data=st.data())
    def change_from_here_on(self, data: st.DataObject) -> None:
        """A RANGE=THISANDFUTURE change of the later occurrences' time."""
        i = self._pick(data, series=True)
        event = self.events[i]
        count = len(event.starts())
        if event.future is not None or count < 3:
            return
        index = data.draw(st.integers(1, count - 1))
        self.events[i] = event.edited(
            future=(index, data.draw(st.sampled_from([1, 2]))),
            moves={k: v for k, v in event.moves.items() if k < index},
            exdates=frozenset(k for k in event.exdates if k < index))

    @precondition(lambda self: self._has_series())
    @rule(data=st.data())
    def change_bound(self, data: st.DataObject) -> None:
        i = self._pick(data, series=True)
        event = self.events[i]
        assert event.rule is not None
        count = data.draw(st.integers(2, 7))
        rule_ = Rule(event.rule.freq, event.rule.interval, event.rule.byday, count,
                     data.draw(st.booleans()))
        self.events[i] = event.edited(
            rule=rule_, moves={k: v for k, v in event.moves.items() if k < count},
            exdates=frozenset(k for k in event.exdates if k < count),
            future=event.future if event.future and event.future[0] < count else None)

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def change_start(self, data: st.DataObject) -> None:
        """The whole event (series) starts on another day or at another time; its changed
        occurrences keep their index."""
        i = self._pick(data)
        event = self.events[i]
        days_ = data.draw(st.integers(-3, 3))
        hours = 0 if event.all_day else data.draw(st.integers(-2, 2))
        start = event.start + timedelta(days=days_, hours=hours)
        if event.rule and event.rule.byday:
            own = DAYS[start.weekday()]
            byday = tuple(d for d in DAYS if d == own or d in event.rule.byday)
            self.events[i] = event.edited(start=start, rule=Rule(
                event.rule.freq, event.rule.interval, byday, event.rule.count,
                event.rule.until), moves={}, exdates=frozenset(), future=None)
        else:
            self.events[i] = event.edited(start=start)

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def change_zone(self, data: st.DataObject) -> None:
        """Another zone, the same wall-clock times."""
        i = self._pick(data)
        self.events[i] = self.events[i].edited(zone=data.draw(st.sampled_from(ZONES)))

    @precondition(lambda self: self.events)
    @rule(data=st.data())
    def toggle_all_day(self, data: st.DataObject) -> None:
        i = self._pick(data)
        event = self.events[i]
        if event.all_day:
            self.events[i] = event.edited(all_day=False, start=event.start.replace(hour=9),
                                          length=60, moves={})
        else:
            self.events[i] = event.edited(all_day=True, start=event.start.replace(
                hour=0, minute=0), length=1, moves={})

    @precondition(lambda self: self.events)
    @rule(data=st.data(), alarm=alarms, color=colors)
    def change_reminder_or_colour(self, data: st.DataObject, alarm: int | None,
                                  color: str) -> None:
        i = self._pick(data)
        self.events[i] = self.events[i].edited(
            **data.draw(st.sampled_from([{"alarm": alarm}, {"color": color}])))

    @precondition(lambda self: self.events)
    @rule(data=st.data(), text=texts, which=st.sampled_from(["description", "location"]),
          moved_keep_theirs=st.booleans())
    def change_field(self, data: st.DataObject, text: str, which: str,
                     moved_keep_theirs: bool) -> None:
        """A field of the event changes; its moved occurrences' copies of the description
        may stay as they were."""
        i = self._pick(data)
        event = self.events[i]
        kept = dict(event.kept)
        if which == "description" and moved_keep_theirs:
            kept.update({k: kept.get(k, event.description) for k in event.moves})
        self.events[i] = event.edited(**{which: text}, kept=kept)

    @staticmethod
    def _changeable(event: Event) -> int:
        """How many occurrences from the first one a change may name: those before a
        THISANDFUTURE change."""
        count = len(event.starts())
        return event.future[0] if event.future is not None else count

    # --- the user's own events in the section -------------------------------------------

    @rule(data=st.data())
    def user_writes_an_event(self, data: st.DataObject) -> None:
        """An event the user wrote in the portal: now and then one with the name and times of
        an input event, but words of their own."""
        day = data.draw(days)
        params: dict[str, Any] = {
            "type": "user", "ownerId": 1, "section": SECTION, "name": "Dentist",
            "from": f"{day}T10:00:00", "to": f"{day}T11:00:00", "timezone_from": "Europe/Berlin",
            "timezone_to": "Europe/Berlin", "description": "mine", "location": "Main St"}
        singles = [e for e in self.events if not e.rule and not e.all_day]
        if singles and data.draw(st.booleans()):
            twin = data.draw(st.sampled_from(singles))
            end = twin.start + timedelta(minutes=twin.length)
            params.update(name=twin.name, timezone_from=twin.zone, timezone_to=twin.zone,
                          **{"from": f"{twin.start:%Y-%m-%dT%H:%M:%S}",
                             "to": f"{end:%Y-%m-%dT%H:%M:%S}"})
        event_id = int(self.portal.api.call(self.portal.first_user, "calendar.event.add",
                                            params))
        self.own[event_id] = self._own_view(event_id)

    def _own_view(self, event_id: int) -> Occurrence:
        row = self.portal.api.call(self.portal.first_user, "calendar.event.getbyid",
                                   {"id": event_id})
        assert row is not None, f"the user's event {event_id} is gone"
        return row_occurrence(row)

    @precondition(lambda self: any(e.rule is None for e in self.events) and self.pushed)
    @rule(data=st.data())
    def user_edits_a_pushed_event(self, data: st.DataObject) -> None:
        """The user moves a pushed event to another room in the portal: the edit stays until
        the input changes that event (docs/push.md, "Sends only changes")."""
        singles = [e for e in self.events if e.rule is None]
        event = data.draw(st.sampled_from(singles))
        if self.pushed.get(event.uid) != event.ics():
            return  # the portal holds another version of it than the input now has
        rows = self.portal.api.call(self.portal.first_user, "calendar.event.get", {
            "type": "user", "ownerId": 1, "section": [SECTION], "from": "2024-06-01",
            "to": "2028-01-01"})
        ids = {int(r["ID"]) for r in rows if r["NAME"] == event.name} - set(self.own)
        if len(ids) != 1:
            return
        location = f"Room {self.serial}"
        self.portal.api.call(self.portal.first_user, "calendar.event.update", {
            "type": "user", "ownerId": 1, "id": ids.pop(), "name": event.name,
            "location": location})
        self.edited[event.uid] = (event.ics(), location)

    # --- pushing ------------------------------------------------------------------------

    def _arguments(self, *, prune: bool = True) -> list[str]:
        path = self.dir / "calendar.ics"
        path.write_text(calendar(self.events), encoding="utf-8")
        self.sent |= {e.uid for e in self.events}
        return ["push", str(path), *self._target(),
                *(["--prune", "--force-delete"] if prune else [])]

    def _target(self) -> list[str]:
        return ["--webhook", self.portal.webhook_url, "--type", "user", "--owner", "1",
                "--section", str(SECTION), "--state", str(self.dir / "state.sqlite3")]

    @rule(after=st.integers(1, 6))
    def interrupted_push(self, after: int) -> None:
        """push killed (SIGKILL) right after its `after`-th write: the next push finishes."""
        self.killer.run(self._arguments(), after)

    def _expected(self, text: str) -> Counter[Occurrence]:
        """The input's view, with the locations the user wrote in the portal on events the
        input has not changed since."""
        expected = ics_view(text)
        now = {e.uid: e for e in self.events}
        for uid, (before, location) in list(self.edited.items()):
            event = now.get(uid)
            if event is None or event.ics() != before:
                del self.edited[uid]
                continue
            for occurrence, count in list(expected.items()):
                if occurrence[0] == event.name:
                    del expected[occurrence]
                    expected[(*occurrence[:LOCATION], location,
                              *occurrence[LOCATION + 1:])] += count
        return expected

    @rule()
    def push(self) -> None:
        self._push_and_check(prune=True)

    @precondition(lambda self: self.sent <= {e.uid for e in self.events})
    @rule()
    def push_without_prune(self) -> None:
        """While no UID a push sent has left the input, --prune has nothing to delete: the
        section shows exactly the input without it too."""
        self._push_and_check(prune=False)

    def _push_and_check(self, *, prune: bool) -> None:
        code, _, err = run(*self._arguments(prune=prune))
        assert code == 0, err
        text = calendar(self.events)
        expected = self._expected(text)
        shown = portal_view(self.portal, SECTION)
        own = Counter(self.own.values())
        missing, extra = expected - (shown - own), (shown - own) - expected
        assert not missing and not extra, (
            f"after the push the section differs from the input\nmissing: {sorted(missing)}"
            f"\nextra: {sorted(extra)}\ninput:\n{text}\npush said:\n{err}")
        self._own_unchanged()
        self.log.clear()
        code, _, err = run(*self._arguments(prune=prune))
        assert code == 0, err
        assert not self.log.writes(), (
            f"a second push wrote {dict(self.log.writes())}\ninput:\n{text}\npush said:\n{err}")
        self.pushed = {e.uid: e.ics() for e in self.events}

    def _own_unchanged(self) -> None:
        for event_id, before in self.own.items():
            assert self._own_view(event_id) == before, f"the user's event {event_id} changed"

    @rule()
    def undo(self) -> None:
        """undo deletes every event the tool added, those of a push that was killed included,
        and nothing of the user's."""
        code, _, err = run("undo", *self._target(), "--yes")
        assert code == 0, err
        left = portal_view(self.portal, SECTION) - Counter(self.own.values())
        assert not left, f"undo left {sorted(left)}\nundo said:\n{err}"
        self._own_unchanged()
        self.pushed, self.edited, self.sent = {}, {}, set()


class OlderSyncMachine(SyncMachine):
    """The same against an older self-hosted portal (generation 1: no `recurrence_mode`)."""

    profile = Profile(generation=1)
