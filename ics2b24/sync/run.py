"""One run of `plan`, `push` or `undo`: the I/O around the pure diff engine.

Order matters for safety: the state DB is opened first (its lock makes a second run against
it exit 3 before it reads or sends anything), then the portal is asked who we are and in
which zone floating times are meant, the input is converted, the portal's events read, the
plan made and, for `push`, sent. A write with an unknown outcome is never simply resent:
the run waits (exponential backoff with jitter), reads the portal again and re-pairs
(SPEC §6 rule 3), and only then sends what is still missing; after a few rounds it stops
with a clear message, and everything confirmed before is already in the state DB.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ics2b24.connect import Credentials, Target, make_client
from ics2b24.errors import PortalError
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import DesiredEvent
from ics2b24.push.client import Client, UncertainWriteError
from ics2b24.push.pusher import Failure, Pusher, PushReport, reject_calendar
from ics2b24.sections import list_sections, resolve_section, update_section_from_ics
from ics2b24.sync.diff import DiffOptions, diff, undo_plan
from ics2b24.sync.plan import Plan
from ics2b24.sync.remote import RemoteEvent, parse_event, parse_events
from ics2b24.sync.state import Record, StateDB, portal_identity, target_key

MAX_RECOVERIES = 5
_READ_BATCH = 50


@dataclass(frozen=True)
class Connection:
    """How to reach the portal and how fast: the flags every portal command shares."""

    credentials: Credentials
    target: Target
    state: Path | None = None
    rate: str = "2/50"
    operating_limit: float = 480.0


@dataclass(frozen=True)
class SyncOptions:
    """`convert` holds the converter's keyword arguments (tz, horizon_end, since, ...)."""

    convert: Mapping[str, Any]
    prune: bool = False
    force: bool = False
    force_delete: bool = False
    section_from_ics: bool = False


@dataclass
class Summary:
    """The closing line of `push` (SPEC §5)."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added, "updated": self.updated,
            "deleted": self.deleted, "unchanged": self.unchanged, "failed": self.failed,
            "requests": self.requests, "seconds": round(self.seconds, 3),
            "failures": [
                {"op": f.op.kind, "uid": f.op.uid, "recurrence_id": f.op.recurrence_id,
                 "error": f.error.error, "error_description": f.error.description}
                for f in self.failures
            ],
        }

    def line(self) -> str:
        return (f"{self.added} added, {self.updated} updated, "
                f"{self.deleted} deleted, {self.unchanged} unchanged, {self.failed} failed; "
                f"{self.requests} HTTP requests in {self.seconds:.1f} s")


@dataclass
class _Session:
    db: StateDB
    client: Client
    portal: str
    target: str
    section_id: int
    converted: ConvertResult


@contextmanager
def _session(connection: Connection, inputs: list[tuple[str, bytes]] | None,
             options: SyncOptions | None, *, writes: bool) -> Iterator[_Session]:
    db = StateDB.open(connection.state)
    try:
        client = make_client(connection.credentials, rate=connection.rate,
                             operating_limit=connection.operating_limit)
        try:
            user = _current_user(client)
            converted = ConvertResult()
            if inputs is not None and options is not None:
                tz = options.convert.get("tz") or user.get("TIME_ZONE")
                converted = convert_inputs(
                    inputs, ConvertOptions.build(**{**options.convert, "tz": tz or None}))
            section_id = _section(client, connection.target, converted, options, writes)
            tkey = target_key(connection.target.type, connection.target.owner, section_id)
            portal = portal_identity(client.base_url, client.user_id())
            yield _Session(db, client, portal, tkey, section_id, converted)
        finally:
            client.close()
    finally:
        db.close()


def _current_user(client: Client) -> dict[str, Any]:
    """`user.current` when the credentials may read it (its zone decides floating times)."""
    try:
        answer = client.call("user.current")
    except PortalError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _section(client: Client, target: Target, converted: ConvertResult,
             options: SyncOptions | None, writes: bool) -> int:
    """The target section's id. Without writes (plan, undo) nothing is created: a section
    that does not exist yet has no events, so every event is planned as an add."""
    from_ics = options is not None and options.section_from_ics
    if not writes:
        if target.section_id is not None:
            return target.section_id
        named = [s.id for s in list_sections(client, target.type, target.owner)
                 if s.name.strip() == (target.section_name or "").strip()]
        return named[0] if named else 0
    section_id = resolve_section(client, target, create=converted.section if from_ics else None)
    if from_ics and writes:
        update_section_from_ics(client, target, section_id, converted.section)
    return section_id


def _diff(session: _Session, connection: Connection, options: SyncOptions) -> Plan:
    records = session.db.records(session.portal, session.target)
    sent = session.db.pending(session.portal, session.target)
    events = session.converted.events
    remote = read_remote(session.client, connection.target, session.section_id, events, records)
    return diff(events, session.converted.cancelled, remote, records, DiffOptions(
        calendar_type=connection.target.type, owner=connection.target.owner,
        section_id=session.section_id, prune=options.prune, force=options.force,
        force_delete=options.force_delete, sent_keys=sent, today=date.today(),
    ))


def make_plan(inputs: list[tuple[str, bytes]], connection: Connection,
              options: SyncOptions) -> tuple[Plan, list[str]]:
    """What `push` would do; sends no write call. Returns the plan and the input's warnings."""
    with _session(connection, inputs, options, writes=False) as session:
        plan = _diff(session, connection, options)
        return plan, [*session.converted.warnings, *plan.warnings]


def push(inputs: list[tuple[str, bytes]], connection: Connection, options: SyncOptions, *,
         progress: Callable[[int, int], None] | None = None,
         sleep: Callable[[float], None] = time.sleep) -> Summary:
    """Make the target match the input; `progress(done, total)` after every batch."""
    started = time.monotonic()
    with _session(connection, inputs, options, writes=True) as session:
        plan = _diff(session, connection, options)
        total = len(plan.writes)
        unchanged = plan.unchanged
        warnings = list(plan.warnings)
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done = min(total, done + count)
            if progress is not None:
                progress(done, total)

        pusher = Pusher(session.client, session.db, session.portal, session.target,
                        progress=step)
        report = PushReport()
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                pusher.push(plan, report)
                break
            except UncertainWriteError as exc:
                if attempt == MAX_RECOVERIES:
                    raise PortalError(exc.error, (
                        f"{exc.description}; gave up after {MAX_RECOVERIES} rounds of "
                        "re-reading the portal. Everything confirmed is recorded: run the "
                        "same command again to finish")) from None
                sleep(min(30.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0))
                plan = _diff(session, connection, options)
        if report.count("override"):
            _record_detached(session, connection, options, pusher, report)
        summary = _summary(plan_unchanged=unchanged, report=report)
        summary.requests = session.client.requests_sent
        summary.seconds = time.monotonic() - started
        summary.warnings = [*session.converted.warnings, *warnings]
        return summary


def _record_detached(session: _Session, connection: Connection, options: SyncOptions,
                     pusher: Pusher, report: PushReport) -> None:
    """A real portal answers a moved occurrence with the series' id, so the detached copies
    are found by reading: one more read pairs and records them, and brings back in line what
    the portal changed on its own (it gives a copy the series' reminders). That finishes
    writes already counted, so only what it could not do is added to the report."""
    second = PushReport()
    pusher.push(_diff(session, connection, options), second)
    failed = {failure.op.key for failure in report.failures}
    report.failures += [f for f in second.failures if f.op.key not in failed]


def _summary(*, plan_unchanged: int, report: PushReport) -> Summary:
    return Summary(
        added=report.count("add"),
        updated=report.count("update") + report.count("override"),
        deleted=report.count("delete"),
        unchanged=plan_unchanged,
        failed=len(report.failures),
        failures=list(report.failures),
    )


def write_rejects(path: Path, failures: Sequence[Failure]) -> None:
    path.write_bytes(reject_calendar(list(failures)))


def undo_count(connection: Connection) -> int:
    """How many events `undo` would delete."""
    with _session(connection, None, None, writes=False) as session:
        return len(_undo_plan(session).writes)


def _undo_plan(session: _Session) -> Plan:
    records = session.db.records(session.portal, session.target)
    return undo_plan(records, _get_by_ids(session.client, [r.event_id for r in records
                                                           if r.created]))


def undo(connection: Connection, *, progress: Callable[[int, int], None] | None = None
         ) -> Summary:
    """Delete every event this tool created in the target, as the state DB records them."""
    started = time.monotonic()
    with _session(connection, None, None, writes=False) as session:
        plan = _undo_plan(session)
        report = PushReport()
        done = 0
        total = len(plan.writes)

        def step(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, total)

        Pusher(session.client, session.db, session.portal, session.target,
               progress=step).push(plan, report)
        _forget_vanished(session, report)
        summary = _summary(plan_unchanged=0, report=report)
        summary.requests = session.client.requests_sent
        summary.seconds = time.monotonic() - started
        summary.warnings = list(plan.warnings)
        return summary


def _forget_vanished(session: _Session, report: PushReport) -> None:
    """A refused delete of an event that is gone already (deleted with its series, or in
    the portal by hand) is no failure: the state row goes, the event is not there."""
    failed = [f for f in report.failures if f.op.event_id is not None]
    if not failed:
        return
    present = {e.id for e in _get_by_ids(session.client, [f.op.event_id or 0 for f in failed])}
    with session.db.transaction() as tx:
        for failure in failed:
            if failure.op.event_id not in present:
                tx.forget(session.portal, session.target, failure.op.uid,
                          failure.op.recurrence_id)
                report.failures.remove(failure)
                report.add("delete")


def read_remote(client: Client, target: Target, section_id: int,
                events: Sequence[DesiredEvent], records: Sequence[Record]) -> list[RemoteEvent]:
    """The portal's side (SPEC §6): `calendar.event.get` over the window the input covers,
    then `getbyid` for every series (its own row, not an occurrence's) and for every
    recorded event outside the window."""
    found: dict[int, RemoteEvent] = {}
    window = _window(events)
    if window is not None:
        rows = client.call("calendar.event.get", {
            "type": target.type, "ownerId": target.owner, "section": [section_id],
            "from": window[0].isoformat(), "to": window[1].isoformat(),
        })
        if not isinstance(rows, list):
            raise PortalError("ERROR_UNEXPECTED_ANSWER", (
                f"calendar.event.get answered {type(rows).__name__} instead of a list of "
                "events; nothing was changed"))
        found = {e.id: e for e in parse_events(rows)}
    wanted = {e.id for e in found.values() if e.params.rrule is not None}
    wanted |= {r.event_id for r in records if r.event_id not in found}
    for event in _get_by_ids(client, sorted(wanted)):
        found[event.id] = event
    return [found[k] for k in sorted(found)]


def _get_by_ids(client: Client, ids: Sequence[int]) -> list[RemoteEvent]:
    out = []
    for start in range(0, len(ids), _READ_BATCH):
        chunk = ids[start:start + _READ_BATCH]
        answer = client.batch({f"g{i}": ("calendar.event.getbyid", {"id": event_id})
                               for i, event_id in enumerate(chunk)})
        for index, event_id in enumerate(chunk):
            row = answer.results.get(f"g{index}")
            if isinstance(row, dict) and row.get("ID"):
                out.append(parse_event(row))
            elif row not in (None, False, [], {}):
                raise PortalError("ERROR_UNEXPECTED_ANSWER", (
                    f"calendar.event.getbyid {event_id} answered {type(row).__name__} "
                    "instead of an event; nothing was changed"))
    return out


def _window(events: Sequence[DesiredEvent]) -> tuple[date, date] | None:
    days: list[str] = []
    for event in events:
        days += [event.params.date_from[:10], event.params.date_to[:10], *event.exdate]
    if not days:
        return None
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    return first - timedelta(days=1), last + timedelta(days=1)
