"""`plan` and `push`: the I/O around the pure diff engine, in a session (app/session.py).

In the session, the portal's events are read (app/reads.py), the plan made and, for `push`,
sent. A write with an unknown outcome is never simply resent: the run waits (exponential
backoff with jitter), reads the portal again and re-pairs (the diff's recovery rule), and only
then sends what is still missing; after a few rounds it stops with a clear message, and
everything confirmed before is already in the state DB.

Events the re-read finds already in the portal are adopted (recorded, not added again) and
counted as `recovered`, so the summary adds up to the input. The same rule adopts the events
another state DB pushed into the same section: a lock cannot span machines, so a target is
one state DB's, and a second one takes over what it finds instead of duplicating it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ics2b24.app.pusher import Failure, Pusher, PushReport, reject_calendar
from ics2b24.app.reads import get_by_ids, read_remote
from ics2b24.app.sections import (
    PortalSection,
)
from ics2b24.app.session import (
    PLAN,
    PUSH,
    Connection,
    Progress,
    Session,
    SyncOptions,
    open_session,
    respelled_input,
)
from ics2b24.app.target import Target, access_denied, no_access
from ics2b24.app.zones import read_kept, to_confirm
from ics2b24.bitrix.client import Client, UncertainWriteError, backoff
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import PortalError
from ics2b24.plan.diff import diff
from ics2b24.plan.given import DiffOptions
from ics2b24.plan.identity import looks
from ics2b24.plan.moved import same_portal
from ics2b24.plan.ops import Key, Op, Plan, write_requests
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent

MAX_RECOVERIES = 5


ZONE_ROUNDS = 3
"""Rounds of zone names read back and rewritten in one push: a portal whose zone data is
older than ours rarely needs a second."""


@dataclass
class Summary:
    """The closing line of `push`."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    recovered: int = 0
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    section: SectionOutcome | None = None
    """`undo`'s: the section push created, which the undo left empty, and what became of it."""

    def to_json(self) -> dict[str, Any]:
        section = {"section": self.section.to_json()} if self.section is not None else {}
        return {
            "added": self.added, "updated": self.updated,
            "deleted": self.deleted, "unchanged": self.unchanged,
            "recovered": self.recovered, "failed": self.failed,
            "requests": self.requests, "seconds": round(self.seconds, 3),
            "failures": [
                {"op": f.op.kind, "uid": f.op.uid, "recurrence_id": f.op.recurrence_id,
                 "error": f.error.error, "error_description": f.error.description}
                for f in self.failures
            ],
            **section,
        }

    def line(self) -> str:
        """`recovered` (events found already in the portal and adopted) is named only when
        there are any, so an ordinary run's line stays as short as it was."""
        recovered = f"{self.recovered} recovered, " if self.recovered else ""
        section = f"; {self.section.line()}" if self.section is not None else ""
        return (f"{self.added} added, {self.updated} updated, "
                f"{self.deleted} deleted, {self.unchanged} unchanged, {recovered}"
                f"{self.failed} failed; {self.requests} HTTP requests in {self.seconds:.1f} s"
                f"{section}")


@dataclass(frozen=True)
class SectionOutcome:
    """A section push created that `undo` left empty: deleted, or kept."""

    section: PortalSection
    deleted: bool

    def line(self) -> str:
        done = "deleted" if self.deleted else "kept (undo --delete-section deletes it)"
        return (f"section {self.section.id} ({self.section.name!r}), which push created and "
                f"undo left empty: {done}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.section.id, "name": self.section.name, "deleted": self.deleted}


def _diff(session: Session, connection: Connection, options: SyncOptions) -> Plan:
    records = session.target_state.records() or _moved_here(session, connection)
    sent = session.target_state.pending()
    events = session.converted.events
    remote = [] if session.empty else _read(session, connection, records, sent)
    session.empty = False
    session.remote = remote
    return diff(events, session.converted.cancelled, remote, records, DiffOptions(
        calendar_type=connection.target.type, owner=connection.target.owner,
        section_id=session.section_id, prune=options.prune and not session.converted.truncated,
        force=options.force, force_delete=options.force_delete, sent=sent,
        today=date.today(), traits=session.traits, since=_left_before(session, options),
    ))


def _read(session: Session, connection: Connection, records: list[Record],
          sent: dict[Key, str]) -> list[RemoteEvent]:
    """What the target holds (a section this run has just added is not read: `empty`)."""
    if connection.hooks.status is not None:
        connection.hooks.status("reading the target's events…")
    return read_remote(session.client, connection.target, session.section_id,
                       session.converted.events, records, sent)


def _left_before(session: Session, options: SyncOptions) -> date | None:
    """The day before which nothing ended is deleted: `--since`, or today for a pair whose
    prune scope is the future (whichever is later)."""
    since = session.converted.since
    if options.prune_future:
        return max(since or date.today(), date.today())
    return since


def _moved_here(session: Session, connection: Connection) -> list[Record]:
    """The state rows of this target under another address of the same portal (plan/moved.py
    tells it from what the target holds): moved to this address, and said, so a portal
    restarted on another port or reached under another domain is not taken for a new one."""
    events = session.converted.events
    for other in session.target_state.other_addresses():
        theirs = session.db.scoped(other, session.target).records()
        remote = read_remote(session.client, connection.target, session.section_id, events,
                             theirs)
        if not same_portal(theirs, remote, events):
            continue
        if not session.writes_state:
            connection.note(f"the target holds the events the state DB knows at {other}: "
                            "read as the same portal at a new address (push moves them here)")
            return theirs
        with session.db.transaction() as tx:
            tx.move_portal(other, session.portal)
        connection.note(f"the target holds the events the state DB knew at {other}: the same "
                        f"portal at a new address, which the state DB now knows it by")
        return session.target_state.records()
    return []


@dataclass(frozen=True)
class PlanReport:
    """What `plan` shows: the plan, the input's warnings, the names of the portal events it
    would delete, how many requests its writes take, how many events it would adopt, and
    the seconds of waiting the portal's limits would add."""

    plan: Plan
    warnings: list[str]
    names: Mapping[int, str]
    requests: int
    recovered: int
    waits: float
    batches: tuple[Mapping[str, int], ...] = ()
    """The requests' calls (method → count), so several plans can be estimated together."""


def make_plan(inputs: list[tuple[str, bytes]], connection: Connection,
              options: SyncOptions) -> PlanReport:
    """What `push` would do; sends no write call."""
    with open_session(connection, inputs, options, PLAN) as session:
        plan = _diff(session, connection, options)
        batches = _requests(plan.writes)
        recorded = session.target_state.event_ids()
        return PlanReport(plan, [*session.converted.warnings, *plan.warnings,
                                 *_lookalikes(session, plan)],
                          session.names, len(batches), len(_adopted(plan, recorded)),
                          session.client.estimate_waits(batches), tuple(batches))


def _requests(writes: Sequence[Op]) -> list[dict[str, int]]:
    """The write calls as the pusher sends them (`write_requests`), one mapping method →
    calls per request, which is what the pacer estimates."""
    return [dict(Counter(op.method for op in request if op.method))
            for request in write_requests(writes, MAX_BATCH_COMMANDS)]


def _lookalikes(session: Session, plan: Plan) -> list[str]:
    """A warning about events in the target that look like events of the input (name,
    start, end, rule) while this state DB pairs those input events with others: the mark
    of a second state DB pushing into the same section at the same time. Nothing is done
    with them: whose copy is whose cannot be told."""
    claimed = {r.event_id for r in session.target_state.records()}
    claimed |= {op.event_id for op in plan.ops if op.event_id is not None}
    wanted = {looks(event.params) for event in session.converted.events
              if event.kind != "override"}
    found = [event for event in session.remote
             if event.id not in claimed and event.recurrence_id is None
             and event.section_id in (None, session.section_id) and looks(event.params) in wanted]
    if not found:
        return []
    return [f"{len(found)} event(s) in the target look like events of the input that this "
            "state DB pairs with others (same name, start, end and rule): another run with "
            "another state DB may have pushed the same input into this section (a lock "
            "cannot span machines). They are left as they are; delete them in the portal, "
            "or run `undo` with the state DB that added them"]


def _adopted(plan: Plan, recorded: Mapping[Key, int]) -> set[Key]:
    """Events the plan records without a write that no state row had paired with that
    portal event: found in the portal (sent by a run that died, or by another state DB)."""
    return {op.key for op in plan.ops
            if op.rule.adopts and recorded.get(op.key) != op.event_id}


class Stopped(KeyboardInterrupt):
    """A run stopped by Ctrl-C or a signal (`stop`, what interrupted it) once it had begun
    to write: `summary` counts what the portal confirmed and the state DB records."""

    def __init__(self, stop: KeyboardInterrupt, summary: Summary) -> None:
        super().__init__()
        self.stop = stop
        self.summary = summary


def push(inputs: list[tuple[str, bytes]], connection: Connection, options: SyncOptions, *,
         progress: Progress | None = None,
         sleep: Callable[[float], None] = time.sleep) -> Summary:
    """Make the target match the input; `progress(done, total, waits ahead)` after every
    batch. Stopped part-way, it raises `Stopped` with what was done."""
    started = time.monotonic()
    with open_session(connection, inputs, options, PUSH) as session:
        plan = _diff(session, connection, options)
        total = len(plan.writes)
        warnings = [*plan.warnings, *_lookalikes(session, plan)]
        recovery = _Recovery(session)
        recovery.planned(plan)
        unchanged = plan.unchanged - recovery.recovered
        tracker = Tracker(session.client, total, progress)
        tracker.replanned(plan)
        pusher = Pusher(session.client, session.target_state, progress=tracker.step,
                        hold=connection.hooks.hold)
        report = PushReport()

        def summary() -> Summary:
            done = summary_of(plan_unchanged=unchanged, report=report, session=session,
                            started=started)
            done.recovered = recovery.recovered
            done.warnings = [*session.converted.warnings, *warnings]
            return done

        try:
            for attempt in range(MAX_RECOVERIES + 1):
                try:
                    pusher.push(plan, report)
                    break
                except UncertainWriteError as exc:
                    if attempt == MAX_RECOVERIES:
                        raise PortalError(exc.error, (
                            f"{exc.description}; gave up after {MAX_RECOVERIES} rounds of "
                            "re-reading the portal")) from None
                    sleep(backoff(attempt))
                    confirmed = report.read_back()
                    previous, plan = plan, _diff(session, connection, options)
                    tracker.replanned(plan)
                    recovery.replanned(previous, plan, report.read_back() - confirmed)
            if report.read_back():
                _record_detached(session, connection, options, pusher, report)
            _confirm_zones(session, connection, options, pusher, report)
        except KeyboardInterrupt as stop:
            raise Stopped(stop, summary()) from None
        done = summary()
        _check_access(connection.target, done)
        _remember_feeds(session, options, done)
        return done


def _remember_feeds(session: Session, options: SyncOptions, done: Summary) -> None:
    """Keep what each feed said of the answer this push read, once the target holds all of
    it: a failed write or an answer cut short leaves the old validators, so the next run
    reads the feed again instead of hearing "not modified"."""
    if not options.feeds or done.failures or session.converted.truncated:
        return
    with session.db.transaction() as tx:
        for answer in options.feeds.values():
            tx.remember_feed(answer.validators)


def _check_access(target: Target, summary: Summary) -> None:
    """A push whose every write was a new event the portal refused as not the caller's to
    write, with nothing written: the calendar is the wrong one for these credentials (exit 2),
    not a portal that refused some of the work."""
    refused = [f.error for f in summary.failures]
    if (refused and not (summary.added or summary.updated or summary.deleted)
            and all(f.op.rule.creates for f in summary.failures)
            and all(access_denied(error) for error in refused)):
        raise no_access(target.type, target.owner, refused[0])


class Tracker:
    """Progress of one run's writes, with the waits the limits will add to what is left:
    the requests still to send are the plan's last `total - done` calls."""

    def __init__(self, client: Client, total: int, progress: Progress | None) -> None:
        self._client = client
        self._total = total
        self._progress = progress
        self._requests: list[dict[str, int]] = []
        self.done = 0

    def replanned(self, plan: Plan) -> None:
        self._requests = _requests(plan.writes)
        self._report()

    def step(self, count: int) -> None:
        self.done = min(self._total, self.done + count)
        self._report()

    def _report(self) -> None:
        if self._progress is None:
            return
        left = self._total - self.done
        ahead: list[dict[str, int]] = []
        for calls in reversed(self._requests):
            if left <= 0:
                break
            ahead.append(calls)
            left -= sum(calls.values())
        self._progress(self.done, self._total, self._client.estimate_waits(ahead[::-1]))


class _Recovery:
    """Counts the events a run adopts instead of sending, so the summary adds up: those the
    first read finds in the portal unrecorded, and after a write of unknown outcome, those
    the re-read finds done. A moved occurrence is recorded only by a read even when its
    change was confirmed, so of the ones re-read, those already counted are left out."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.recovered = 0

    def planned(self, plan: Plan) -> None:
        self.recovered += len(_adopted(plan, self._session.target_state.event_ids()))

    def replanned(self, previous: Plan, plan: Plan, overrides_confirmed: int) -> None:
        """`plan` is the re-read after a round of `previous` ended in doubt, in which
        `overrides_confirmed` occurrence moves were confirmed."""
        sent = {op.key: op.rule for op in previous.writes}
        recorded = self._session.target_state.event_ids()
        found = [op for op in plan.ops if op.rule.adopts
                 and (op.key in sent or recorded.get(op.key) != op.event_id)]
        moved = sum(1 for op in found if op.key in sent and sent[op.key].read_back)
        self.recovered += len(found) - moved + max(0, moved - overrides_confirmed)


def _record_detached(session: Session, connection: Connection, options: SyncOptions,
                     pusher: Pusher, report: PushReport) -> None:
    """A real portal answers a moved occurrence with the series' id, so the detached copies
    are found by reading: one more read pairs and records them, and brings back in line what
    the portal changed on its own (it gives a copy the series' reminders). That finishes
    writes already counted, so only what it could not do is added to the report."""
    second = PushReport()
    pusher.push(_diff(session, connection, options), second)
    failed = {failure.op.key for failure in report.failures}
    report.failures += [f for f in second.failures if f.op.key not in failed]


def _confirm_zones(session: Session, connection: Connection, options: SyncOptions,
                   pusher: Pusher, report: PushReport) -> None:
    """Read back the zone names not yet known of this portal (app/zones.py); the events in a
    name it replaced are written again under another, read back in turn, for a few rounds.
    Like the detached copies' read, that finishes writes already counted."""
    for _ in range(ZONE_ROUNDS):
        probes = to_confirm(session.converted.events,
                            session.target_state.records(),
                            session.db.zones(session.portal))
        if not probes:
            return
        found = read_kept(session.client, probes)
        with session.db.transaction() as tx:
            for zone, kept_as in found.items():
                tx.remember_zone(session.portal, zone, kept_as)
        lost = {zone: kept_as for zone, kept_as in found.items() if kept_as != zone}
        if not lost:
            return
        for zone, kept_as in sorted(lost.items()):
            connection.note(f"the portal replaced the time zone {zone} by {kept_as} (its zone "
                            f"data does not list {zone}, and the times would be shown hours "
                            "off): its events are written again under another name")
        session.converted = respelled_input(session.converted, session.db.zones(session.portal))
        again = PushReport()
        pusher.push(_diff(session, connection, options), again)
        failed = {failure.op.key for failure in report.failures}
        report.failures += [f for f in again.failures if f.op.key not in failed]


def summary_of(*, plan_unchanged: int, report: PushReport, session: Session,
             started: float) -> Summary:
    return Summary(
        added=report.counted("added"),
        updated=report.counted("updated"),
        deleted=report.counted("deleted"),
        unchanged=plan_unchanged,
        failed=len(report.failures),
        failures=list(report.failures),
        requests=session.client.requests_sent,
        seconds=time.monotonic() - started,
    )


def write_rejects(path: Path, failures: Sequence[Failure]) -> None:
    path.write_bytes(reject_calendar(list(failures)))


def forget_vanished(session: Session, report: PushReport) -> None:
    """A refused delete of an event that is gone already (deleted with its series, or in
    the portal by hand) is no failure: the event is not there, so the state rows go that a
    confirmed delete would forget (its moved occurrences' with a series)."""
    failed = [f for f in report.failures if f.op.rule.deletes and f.op.event_id is not None]
    if not failed:
        return
    present = {e.id for e in get_by_ids(session.client, [f.op.event_id or 0 for f in failed])}
    with session.target_state.transaction() as tx:
        for failure in failed:
            if failure.op.event_id not in present:
                for key in failure.op.forgotten_keys:
                    tx.forget(key)
                report.failures.remove(failure)
                report.add(failure.op.kind)
