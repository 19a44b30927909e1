"""The pusher: a Plan → `batch` requests of at most 50 commands → the state DB.

Each batch's confirmed results are recorded in one transaction as soon as its answer is in,
so an interrupted run loses at most the answer it was waiting for (and the diff engine's
recovery rule pairs that on the next run). Phases go in order because an occurrence change
needs its series part's ID: when the part is added in the same run, the ID comes from the
plain integer an earlier batch's `add` answered.
Nothing is read from the answer of an occurrence change (`this`): a real portal answers it
with the series' id, not the detached copy's, so the copy is found by reading the portal
on the next pass (`app/run.py`) and recorded then.
An update that empties an array (no reminders left) goes alone as JSON, never inside
`batch`, where a real portal reads `remind[]=` as one reminder at the start.
A write whose outcome is unknown raises `UncertainWriteError` from the client; the run
re-reads the portal before anything is sent again.
A series being rebuilt is deleted in an earlier phase than it is added again; its add goes
only when every delete it `replaces` was confirmed, and nothing is ever sent to a deleted
event's ID. An answer of a shape nobody documented is a refusal of that one call, never a
crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import icalendar

from ics2b24.bitrix.answers import UNEXPECTED, new_id, shown
from ics2b24.bitrix.client import Client, UncertainWriteError
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import PortalError
from ics2b24.ical.write import vevent
from ics2b24.model import DesiredEvent, parse_recurrence_id
from ics2b24.plan.identity import sent_identity
from ics2b24.plan.ops import KINDS, Confirmed, Key, Op, Plan, phase_requests
from ics2b24.store.target import TargetState, TargetTransaction

Commands = dict[str, tuple[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class Failure:
    """An op the portal refused, with the portal's reason (code may be empty)."""

    op: Op
    error: PortalError


@dataclass
class PushReport:
    """What was confirmed so far, by op kind, and what was refused."""

    done: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return self.done.get(kind, 0)

    def add(self, kind: str) -> None:
        self.done[kind] = self.done.get(kind, 0) + 1

    def counted(self, word: str) -> int:
        """How many confirmed ops the summary counts under `word` (`KindRule.counted_as`)."""
        return sum(done for kind, done in self.done.items() if KINDS[kind].counted_as == word)

    def read_back(self) -> int:
        """How many confirmed ops only a read of the portal pairs (`KindRule.read_back`)."""
        return sum(done for kind, done in self.done.items() if KINDS[kind].read_back)


class Pusher:
    """Sends plans for one target of one portal and records what the portal confirmed."""

    def __init__(self, client: Client, state: TargetState, *,
                 progress: Callable[[int], None] | None = None,
                 hold: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        self.client = client
        self.state = state
        self.progress = progress or (lambda done: None)
        self.hold = hold
        """Held from sending a request to its answer recorded and counted (`Hooks.hold`);
        the wait for the portal's limits comes before, so a stop need not wait for it."""
        self.deleted: set[int] = set()
        self.recorded: set[Key] = set()

    def push(self, plan: Plan, report: PushReport) -> None:
        ids = self.state.event_ids()
        self.recorded = set(ids)
        for op in plan.ops:
            if op.rule.deletes:
                for key in op.forgotten_keys:
                    ids.pop(key, None)
        state_only = [op for op in plan.ops if not op.is_write]
        if state_only:
            with self.state.transaction() as tx:
                for op in state_only:
                    self._settle(tx, op, op.event_id, None, ids, report)
        for phase in sorted({op.phase for op in plan.ops if op.is_write}):
            ready = []
            for op in plan.ops:
                if op.phase != phase or not op.is_write:
                    continue
                target = op.event_id if op.event_id is not None else (
                    ids.get(op.parent) if op.parent else None)
                if not op.rule.creates and target is None:
                    report.failures.append(Failure(op, PortalError(
                        "", "its series is not in the portal (adding it failed)")))
                    self.progress(1)
                    continue
                if not self.deleted.issuperset(op.replaces):
                    report.failures.append(Failure(op, PortalError(
                        "", "the portal kept the old copy of this series (deleting it "
                        "failed), so it was not added again")))
                    self.progress(1)
                    continue
                ready.append((op, target))
            targets = {id(op): target for op, target in ready}
            for request in phase_requests([op for op, _ in ready], MAX_BATCH_COMMANDS):
                if request[0].sent_alone:
                    self._send_alone(request[0], targets[id(request[0])], ids, report)
                else:
                    self._send([(op, targets[id(op)]) for op in request], ids, report)

    def _send_alone(self, op: Op, target: int | None, ids: dict[Key, int],
                    report: PushReport) -> None:
        assert op.method is not None
        self._before_sending([op])
        self.client.wait_turn({"c": (op.method, {})})
        with self.hold():
            try:
                result = self.client.call(op.method, op.call_params(target))
            except UncertainWriteError:
                raise
            except PortalError as error:
                report.failures.append(Failure(op, error))
            else:
                with self.state.transaction() as tx:
                    self._settle(tx, op, target, result, ids, report)
            self.progress(1)

    def _send(self, chunk: list[tuple[Op, int | None]], ids: dict[Key, int],
              report: PushReport) -> None:
        commands: Commands = {}
        for index, (op, target) in enumerate(chunk):
            assert op.method is not None
            commands[f"c{index}"] = (op.method, op.call_params(target))
        self._before_sending([op for op, _ in chunk])
        self.client.wait_turn(commands)
        with self.hold():
            answer = self.client.batch(commands)
            with self.state.transaction() as tx:
                for index, (op, target) in enumerate(chunk):
                    key = f"c{index}"
                    error = answer.errors.get(key)
                    if error is not None or key not in answer.results:
                        report.failures.append(Failure(op, error or PortalError(
                            "", "the portal gave no result for this call")))
                        tx.settle(op.key)
                        continue
                    self._settle(tx, op, target, answer.results[key], ids, report)
            self.progress(len(chunk))

    def _before_sending(self, ops: list[Op]) -> None:
        """What the next run needs if this one dies before the answer: each creation's
        identity (what was sent), and each event this run took for its own without a state
        row yet (a creation of a run that died, or an adopted event), recorded under its ID
        with no fingerprint before the update changes what it looks like, so the next run
        still knows it (and compares it again) instead of adding the event a second time."""
        creations = [op for op in ops if op.rule.creates]
        claims = [op for op in ops if op.rule.claims and op.key not in self.recorded]
        if not creations and not claims:
            return
        with self.state.transaction() as tx:
            for op in creations:
                tx.intend(op.key, sent_identity(op.desired.params) if op.desired else "")
            for op in claims:
                assert op.event_id is not None
                tx.record(op.key, op.event_id, "", op.created)
                self.recorded.add(op.key)

    def _settle(self, tx: TargetTransaction, op: Op, target: int | None, result: Any,
                ids: dict[Key, int], report: PushReport) -> None:
        """Record what one confirmed op did (`target`: the event it wrote to or names;
        `result`: the portal's answer), as its kind's rule says (plan/ops.py `KINDS`)."""
        try:
            paired = _CONFIRMED[op.rule.confirmed](tx, op, target, result)
        except PortalError as error:
            report.failures.append(Failure(op, error))
            return
        if paired is not None:
            ids[op.key] = paired
        if op.rule.deletes and target is not None:
            self.deleted.add(target)
        report.add(op.kind)


Settle = Callable[[TargetTransaction, Op, "int | None", Any], "int | None"]
"""What one `Confirmed` does to the state DB: the portal event now paired with the op's
key, if any; a PortalError when the answer does not say what it must."""


def _record_new(tx: TargetTransaction, op: Op, target: int | None, result: Any) -> int:
    event_id = new_id(result)
    if event_id is None:
        raise PortalError(UNEXPECTED, f"the portal answered the add with {shown(result)} "
                          "instead of the new event's id; re-run to pair it")
    return _record_target(tx, op, event_id, result)


def _record_target(tx: TargetTransaction, op: Op, target: int | None, result: Any) -> int:
    assert target is not None
    tx.record(op.key, target, op.fingerprint, op.created)
    return target


def _forget(tx: TargetTransaction, op: Op, target: int | None, result: Any) -> None:
    for key in op.forgotten_keys:
        tx.forget(key)


def _nothing(tx: TargetTransaction, op: Op, target: int | None, result: Any) -> None:
    return None


_CONFIRMED: dict[Confirmed, Settle] = {
    Confirmed.RECORD_NEW: _record_new,
    Confirmed.RECORD: _record_target,
    Confirmed.FORGET: _forget,
    Confirmed.NOTHING: _nothing,
}


def reject_calendar(failures: list[Failure]) -> bytes:
    """An .ics of the events the portal refused, each with the portal's reason in
    X-ICS2B24-ERROR, so they can be fixed and pushed again."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ics2b24//reject file//EN")
    calendar.add("version", "2.0")
    seen: set[Key] = set()
    for failure in failures:
        event = failure.op.desired
        if event is None or failure.op.key in seen:
            continue
        seen.add(failure.op.key)
        vevent = _vevent(event)
        vevent.add("x-ics2b24-error", str(failure.error))
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def _vevent(event: DesiredEvent) -> icalendar.Event:
    """The VEVENT as the input had it when the converter kept its text, else rebuilt from
    the parameters that were sent."""
    if event.ical:
        try:
            parsed = icalendar.Event.from_ical(event.ical)
        except ValueError:
            parsed = None
        if isinstance(parsed, icalendar.Event):
            return parsed
    rid = parse_recurrence_id(event.recurrence_id) if event.recurrence_id else None
    return vevent(event.uid, event.params, datetime.now(timezone.utc), recurrence_id=rid)

