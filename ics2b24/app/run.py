"""One run of `plan`, `push` or `undo`: the I/O around the pure diff engine.

Order matters for safety: the state DB is opened first (its lock makes a second run against
it exit 3 before it reads or sends anything), then the portal is asked who we are and in
which zone floating times are meant, the input is converted, a group target looked up among
the portal's groups (`check_group`: the calendar methods take a group that does not exist),
the target section found (the same way for all three commands, so `plan` refuses what `push`
refuses), the portal's events
read, the plan made and, for `push`, sent. A write with an unknown outcome is never simply
resent: the run waits (exponential backoff with jitter), reads the portal again and re-pairs
(the diff's recovery rule), and only then sends what is still missing; after a few rounds it stops
with a clear message, and everything confirmed before is already in the state DB.

Events the re-read finds already in the portal are adopted (recorded, not added again) and
counted as `recovered`, so the summary adds up to the input. The same rule adopts the events
another state DB pushed into the same section: a lock cannot span machines, so a target is
one state DB's, and a second one takes over what it finds instead of duplicating it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ics2b24.app.feeds import FeedAnswer
from ics2b24.app.pusher import Failure, Pusher, PushReport, reject_calendar
from ics2b24.app.sections import (
    PortalSection,
    choose_section,
    delete_section,
    events_in_section,
    find_section,
    list_sections,
    resolve_section,
    update_section_from_ics,
)
from ics2b24.app.target import Target, access_denied, check_group, no_access
from ics2b24.app.traits import probe_traits
from ics2b24.app.zones import read_kept, to_confirm
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client, UncertainWriteError, backoff
from ics2b24.bitrix.connect import Credentials, Hooks, Transport, make_client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.bitrix.limits import DEFAULT_RATE, OPERATING_LIMIT, Pacer
from ics2b24.bitrix.rows import listed_rows, parse_event, parse_events
from ics2b24.errors import EndpointError, PortalError, UsageError
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import CURRENT_PORTAL, DesiredEvent, PortalTraits
from ics2b24.plan.compare import shifted
from ics2b24.plan.diff import DiffOptions, diff, looks, sent_days, undo_plan
from ics2b24.plan.filters import EventFilter
from ics2b24.plan.moved import same_portal
from ics2b24.plan.ops import Key, Op, Plan, write_requests
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent
from ics2b24.plan.zones import respelled
from ics2b24.store.state import StateDB, default_state_path, portal_identity, target_key

MAX_RECOVERIES = 5
ZONE_ROUNDS = 3
"""Rounds of zone names read back and rewritten in one push: a portal whose zone data is
older than ours rarely needs a second."""
_READ_BATCH = 50

Progress = Callable[[int, int, float], None]
"""Told `(done, total, seconds the limits will still add)` after every batch."""


@dataclass(frozen=True)
class Connection:
    """How to reach the portal and how fast: the flags every portal command shares, and what
    the user hears while it runs."""

    credentials: Credentials
    target: Target
    state: Path | None = None
    rate: str = DEFAULT_RATE
    operating_limit: float = OPERATING_LIMIT
    transport: Transport = field(default_factory=Transport)
    hooks: Hooks = field(default_factory=Hooks)
    pacer: Pacer | None = None
    """Shared by every connection of one run that must keep the portal's limits together
    (the pairs of a `sync`); None: each client paces alone, from `rate`/`operating_limit`."""
    traits: PortalTraits | None = None
    """What the run already found out about the portal's calendar code (`migrate` asks
    once for all its calendars), when the state DB does not know it yet."""

    @property
    def state_path(self) -> Path:
        return self.state or default_state_path()

    def client(self) -> Client:
        """A client paced for the portal's limits, reporting to the user's hooks."""
        return make_client(self.credentials, rate=self.rate,
                           operating_limit=self.operating_limit, transport=self.transport,
                           hooks=self.hooks, pacer=self.pacer)

    def note(self, text: str) -> None:
        if self.hooks.notify is not None:
            self.hooks.notify(text)


@dataclass(frozen=True)
class SyncOptions:
    """`convert` holds the converter's keyword arguments (tz, horizon_end, since, ...);
    `feeds`, what each input fetched from a URL answered (app/feeds.py)."""

    convert: Mapping[str, Any]
    prune: bool = False
    force: bool = False
    force_delete: bool = False
    section_from_ics: bool = False
    only: EventFilter | None = None
    """The events of the input a pair keeps (`sync`); the rest are as if not in it."""
    prune_future: bool = False
    """Prune only what has not ended: what ended before today is left, as before `--since`."""
    feeds: Mapping[str, FeedAnswer] = field(default_factory=dict)


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


@dataclass
class _Session:
    db: StateDB
    client: Client
    portal: str
    target: str
    section_id: int
    converted: ConvertResult
    traits: PortalTraits = CURRENT_PORTAL
    writes_state: bool = False
    remote: list[RemoteEvent] = field(default_factory=list)
    """What the last read of the target found."""

    @property
    def names(self) -> dict[int, str]:
        """The name of every portal event the last read found, by id (what a delete
        removes)."""
        return {event.id: event.params.name for event in self.remote}


@dataclass(frozen=True)
class _Mode:
    """What a command may change: the state DB (push, undo), the target section (push); and
    whether it refuses a group the portal does not have (push, and plan, which says what push
    would say; undo only takes back what push wrote, wherever that went)."""

    writes_state: bool
    creates_section: bool
    checks_group: bool


_PLAN = _Mode(writes_state=False, creates_section=False, checks_group=True)
_PUSH = _Mode(writes_state=True, creates_section=True, checks_group=True)
_UNDO = _Mode(writes_state=True, creates_section=False, checks_group=False)
_UNDO_PREVIEW = _Mode(writes_state=False, creates_section=False, checks_group=False)


@contextmanager
def _session(connection: Connection, inputs: list[tuple[str, bytes]] | None,
             options: SyncOptions | None, mode: _Mode) -> Iterator[_Session]:
    db = StateDB.open(connection.state_path, readonly=not mode.writes_state)
    try:
        if db.created_dirs:
            connection.note(f"created {', '.join(map(str, db.created_dirs))} (0700) for the "
                            f"state DB {db.path}")
        client = connection.client()
        if connection.hooks.status is not None:
            connection.hooks.status("asking the portal who we are…")
        try:
            user = current_user(client)
            converted = ConvertResult()
            if inputs is not None and options is not None:
                converted = _convert(inputs, options, user, connection)
            portal = portal_identity(client.base_url, client.user_id())
            if mode.checks_group:
                check_group(client, connection.target.type, connection.target.owner,
                            connection.note)
            section_id = _section(client, db, portal, connection, converted, options, mode)
            tkey = target_key(connection.target.type, connection.target.owner, section_id)
            traits = _traits(client, db, portal, connection, converted, mode)
            if not traits.honours_recurrence_mode and inputs is not None and options:
                converted = _convert(inputs, options, user, connection, moves_detached=False)
            converted = _respelled(converted, db.zones(portal))
            if options is not None and options.prune and converted.truncated:
                # What is missing from such an input may be any number of events (`_diff`).
                cut = [f"{name} ({options.feeds[name].said})" if name in options.feeds
                       else name for name in converted.truncated]
                connection.note(f"{', '.join(cut)} ends before END:VCALENDAR "
                                "(a download or pipe cut short?): --prune deletes nothing in "
                                "this run")
            yield _Session(db, client, portal, tkey, section_id, converted, traits,
                           mode.writes_state)
        finally:
            client.close()
    finally:
        db.close()


def _traits(client: Client, db: StateDB, portal: str, connection: Connection,
            converted: ConvertResult, mode: _Mode) -> PortalTraits:
    """What the portal's calendar code does with the forms that differ between generations:
    remembered from an earlier run, else found by one batch request (app/traits.py) when the
    input has a series to write, and said once. A run that writes nothing (`plan`) assumes the
    current generation and says so."""
    known = db.traits(portal) or connection.traits
    if known is not None:
        return known
    if not any(event.kind in ("series", "override") for event in converted.events):
        return CURRENT_PORTAL
    if not mode.writes_state:
        connection.note("which calendar code the portal runs is not known yet: this plan "
                        "assumes the current one (push finds out with one request)")
        return CURRENT_PORTAL
    if connection.hooks.status is not None:
        connection.hooks.status("finding out which calendar code the portal runs…")
    traits = probe_traits(client, connection.target.type, connection.target.owner)
    with db.transaction() as tx:
        tx.remember_traits(portal, traits)
    connection.note(f"the portal runs the {traits.generation} calendar code"
                    + ("" if traits.honours_recurrence_mode else
                       ": moved occurrences are written as events of their own"))
    return traits


def _convert(inputs: list[tuple[str, bytes]], options: SyncOptions, user: Mapping[str, Any],
             connection: Connection, *, moves_detached: bool = True) -> ConvertResult:
    """The input as the portal user's zone reads floating times; says so when it holds no
    event, since a run that changes nothing is otherwise silent."""
    if connection.hooks.status is not None:
        size = sum(len(data) for _, data in inputs)
        names = inputs[0][0] if len(inputs) == 1 else f"{len(inputs)} files"
        connection.hooks.status(f"reading {names} ({_size(size)})…")
    converted = convert_inputs(inputs, replace(convert_options(options.convert, user),
                                               moves_detached=moves_detached))
    if options.only is not None:
        converted = replace(converted, events=options.only.apply(converted.events))
    if not converted.events and not converted.cancelled:
        connection.note("no events in the input: there is nothing to add or update")
    return converted


def _respelled(converted: ConvertResult, kept: Mapping[str, str]) -> ConvertResult:
    """The input with each zone name this portal replaces written as it keeps it."""
    events, warnings = respelled(converted.events, kept)
    return replace(converted, events=events, warnings=[*converted.warnings, *warnings])


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


def convert_options(convert: Mapping[str, Any], user: Mapping[str, Any]) -> ConvertOptions:
    """The converter's options as every run reads the input, with the portal user's zone
    for floating times (`floating_zone` says when it counts)."""
    return ConvertOptions.build(**convert, user_zone=user.get("TIME_ZONE") or None,
                                portal=True)


def current_user(client: Client) -> dict[str, Any]:
    """`user.current` when the credentials may read it (its zone decides floating times)."""
    try:
        answer = client.call("user.current")
    except PortalError:
        return {}
    except EndpointError as exc:
        if exc.error != "insufficient_scope":
            raise
        return {}
    return answers.user(answer)


def _section(client: Client, db: StateDB, portal: str, connection: Connection,
             converted: ConvertResult, options: SyncOptions | None, mode: _Mode) -> int:
    """The target section's id, found the same way by every command (`choose_section`), so
    `plan` and `undo` refuse what `push` refuses. Only `push` creates a section, names it
    from the input with `--section-from-ics`, and remembers in the state DB which section a
    `--section-name` means, so a renamed section stays the target. Without a section yet,
    `plan` and `undo` see an empty target (0)."""
    target = connection.target
    name = (target.section_name or "").strip()
    remembered = remembered_section(db, portal, target)
    from_ics = options is not None and options.section_from_ics
    if not mode.creates_section:
        found = choose_section(list_sections(client, target.type, target.owner), target,
                               remembered)
        if found is None and options is not None:
            connection.note(f"no section is named {name!r} yet: push creates it")
        return found.id if found is not None else 0
    section = resolve_section(client, target, create=converted.section if from_ics else None,
                              remembered=remembered)
    if name and section.id != remembered:
        with db.transaction() as tx:
            tx.remember_section(portal, calendar_key(target), name, section.id,
                                created=section.created)
    if from_ics:
        update_section_from_ics(client, target, section.id, converted.section)
    return section.id


def remembered_section(db: StateDB, portal: str, target: Target) -> int | None:
    """The section the state DB remembers for the target's `--section-name` (None for an id,
    or a name it has not seen): what push, plan, undo, verify and `events list` follow after
    a rename."""
    name = (target.section_name or "").strip()
    return db.remembered_section(portal, calendar_key(target), name) if name else None


def calendar_key(target: Target) -> str:
    """`type:owner`, the calendar the state DB remembers a section name in."""
    return f"{target.type}:{target.owner}"


def section_to_read(client: Client, connection: Connection) -> PortalSection | None:
    """The target section as push chooses it, for a command that only reads (verify,
    `events list`): the state DB is opened, read-only, only for a `--section-name`, so a read
    by id needs none and runs beside a push or on another machine. None when no section has
    the name yet."""
    target = connection.target
    remembered = None
    if (target.section_name or "").strip():
        with StateDB.open(connection.state_path, readonly=True) as db:
            remembered = remembered_section(db, portal_identity(client.base_url,
                                                                client.user_id()), target)
    return choose_section(list_sections(client, target.type, target.owner), target, remembered)


def _diff(session: _Session, connection: Connection, options: SyncOptions) -> Plan:
    records = session.db.records(session.portal, session.target) or _moved_here(session,
                                                                                connection)
    sent = session.db.pending(session.portal, session.target)
    events = session.converted.events
    if connection.hooks.status is not None:
        connection.hooks.status("reading the target's events…")
    remote = read_remote(session.client, connection.target, session.section_id, events, records,
                         sent)
    session.remote = remote
    return diff(events, session.converted.cancelled, remote, records, DiffOptions(
        calendar_type=connection.target.type, owner=connection.target.owner,
        section_id=session.section_id, prune=options.prune and not session.converted.truncated,
        force=options.force, force_delete=options.force_delete, sent=sent,
        today=date.today(), traits=session.traits, since=_left_before(session, options),
    ))


def _left_before(session: _Session, options: SyncOptions) -> date | None:
    """The day before which nothing ended is deleted: `--since`, or today for a pair whose
    prune scope is the future (whichever is later)."""
    since = session.converted.since
    if options.prune_future:
        return max(since or date.today(), date.today())
    return since


def _moved_here(session: _Session, connection: Connection) -> list[Record]:
    """The state rows of this target under another address of the same portal (plan/moved.py
    tells it from what the target holds): moved to this address, and said, so a portal
    restarted on another port or reached under another domain is not taken for a new one."""
    events = session.converted.events
    for other in session.db.other_addresses(session.portal, session.target):
        theirs = session.db.records(other, session.target)
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
        return session.db.records(session.portal, session.target)
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
    with _session(connection, inputs, options, _PLAN) as session:
        plan = _diff(session, connection, options)
        batches = _requests(plan.writes)
        recorded = {r.key: r.event_id for r in session.db.records(session.portal,
                                                                  session.target)}
        return PlanReport(plan, [*session.converted.warnings, *plan.warnings,
                                 *_lookalikes(session, plan)],
                          session.names, len(batches), len(_adopted(plan, recorded)),
                          session.client.estimate_waits(batches), tuple(batches))


def _requests(writes: Sequence[Op]) -> list[dict[str, int]]:
    """The write calls as the pusher sends them (`write_requests`), one mapping method →
    calls per request, which is what the pacer estimates."""
    return [dict(Counter(op.method for op in request if op.method))
            for request in write_requests(writes, MAX_BATCH_COMMANDS)]


def _lookalikes(session: _Session, plan: Plan) -> list[str]:
    """A warning about events in the target that look like events of the input (name,
    start, end, rule) while this state DB pairs those input events with others: the mark
    of a second state DB pushing into the same section at the same time. Nothing is done
    with them: whose copy is whose cannot be told."""
    claimed = {r.event_id for r in session.db.records(session.portal, session.target)}
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
            if op.kind == "record" and recorded.get(op.key) != op.event_id}


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
    with _session(connection, inputs, options, _PUSH) as session:
        plan = _diff(session, connection, options)
        total = len(plan.writes)
        warnings = [*plan.warnings, *_lookalikes(session, plan)]
        recovery = _Recovery(session)
        recovery.planned(plan)
        unchanged = plan.unchanged - recovery.recovered
        tracker = _Tracker(session.client, total, progress)
        tracker.replanned(plan)
        pusher = Pusher(session.client, session.db, session.portal, session.target,
                        progress=tracker.step, hold=connection.hooks.hold)
        report = PushReport()

        def summary() -> Summary:
            done = _summary(plan_unchanged=unchanged, report=report, session=session,
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
                    confirmed = report.count("override")
                    previous, plan = plan, _diff(session, connection, options)
                    tracker.replanned(plan)
                    recovery.replanned(previous, plan, report.count("override") - confirmed)
            if report.count("override"):
                _record_detached(session, connection, options, pusher, report)
            _confirm_zones(session, connection, options, pusher, report)
        except KeyboardInterrupt as stop:
            raise Stopped(stop, summary()) from None
        done = summary()
        _check_access(connection.target, done)
        _remember_feeds(session, options, done)
        return done


def _remember_feeds(session: _Session, options: SyncOptions, done: Summary) -> None:
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
            and all(f.op.kind == "add" for f in summary.failures)
            and all(access_denied(error) for error in refused)):
        raise no_access(target.type, target.owner, refused[0])


class _Tracker:
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

    def __init__(self, session: _Session) -> None:
        self._session = session
        self.recovered = 0

    def _recorded(self) -> dict[Key, int]:
        return {r.key: r.event_id for r in self._session.db.records(self._session.portal,
                                                                    self._session.target)}

    def planned(self, plan: Plan) -> None:
        self.recovered += len(_adopted(plan, self._recorded()))

    def replanned(self, previous: Plan, plan: Plan, overrides_confirmed: int) -> None:
        """`plan` is the re-read after a round of `previous` ended in doubt, in which
        `overrides_confirmed` occurrence moves were confirmed."""
        sent = {op.key: op.kind for op in previous.writes}
        recorded = self._recorded()
        found = [op for op in plan.ops if op.kind == "record"
                 and (op.key in sent or recorded.get(op.key) != op.event_id)]
        moved = sum(1 for op in found if sent.get(op.key) == "override")
        self.recovered += len(found) - moved + max(0, moved - overrides_confirmed)


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


def _confirm_zones(session: _Session, connection: Connection, options: SyncOptions,
                   pusher: Pusher, report: PushReport) -> None:
    """Read back the zone names not yet known of this portal (app/zones.py); the events in a
    name it replaced are written again under another, read back in turn, for a few rounds.
    Like the detached copies' read, that finishes writes already counted."""
    for _ in range(ZONE_ROUNDS):
        probes = to_confirm(session.converted.events,
                            session.db.records(session.portal, session.target),
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
        session.converted = _respelled(session.converted, session.db.zones(session.portal))
        again = PushReport()
        pusher.push(_diff(session, connection, options), again)
        failed = {failure.op.key for failure in report.failures}
        report.failures += [f for f in again.failures if f.op.key not in failed]


def _summary(*, plan_unchanged: int, report: PushReport, session: _Session,
             started: float) -> Summary:
    return Summary(
        added=report.count("add"),
        updated=report.count("update") + report.count("override"),
        deleted=report.count("delete"),
        unchanged=plan_unchanged,
        failed=len(report.failures),
        failures=list(report.failures),
        requests=session.client.requests_sent,
        seconds=time.monotonic() - started,
    )


def write_rejects(path: Path, failures: Sequence[Failure]) -> None:
    path.write_bytes(reject_calendar(list(failures)))


@dataclass(frozen=True)
class UndoPreview:
    """What `undo` would delete, by kind: single events, series (each part of a series is
    one), and the moved occurrences that go with their series."""

    singles: int = 0
    series: int = 0
    occurrences: int = 0

    @property
    def total(self) -> int:
        return self.singles + self.series

    def line(self) -> str:
        parts = [f"{self.singles} single event(s)", f"{self.series} series"]
        if self.occurrences:
            parts.append(f"{self.occurrences} moved occurrence(s) that go with their series")
        return ", ".join(parts)


def undo_preview(connection: Connection) -> UndoPreview:
    """What `undo` would delete; changes nothing."""
    with _session(connection, None, None, _UNDO_PREVIEW) as session:
        plan, remote = _undo_plan(session, connection)
        series = {event.id for event in remote if event.params.rrule is not None}
        deletes = [op for op in plan.writes if op.kind == "delete"]
        in_series = sum(1 for op in deletes if op.event_id in series)
        return UndoPreview(singles=len(deletes) - in_series, series=in_series,
                           occurrences=sum(max(0, len(op.forget) - 1) for op in deletes))


def _undo_plan(session: _Session, connection: Connection) -> tuple[Plan, list[RemoteEvent]]:
    records = session.db.records(session.portal, session.target)
    others = [] if records else session.db.other_addresses(session.portal, session.target)
    if others:
        raise UsageError(
            f"the state DB knows no event of this target at {session.portal}, but knows some "
            f"at {', '.join(others)}; if that is this portal at a new address, run push with "
            "the same input once here to carry them over (undo deleted nothing)")
    created = [r.event_id for r in records if r.created]
    remote = get_by_ids(session.client, created, _reading(connection, "the events it created"))
    sent = session.db.pending(session.portal, session.target)
    if any(sent.values()):
        known = {event.id for event in remote}
        remote += [event for event in read_remote(session.client, connection.target,
                                                  session.section_id, [], [], sent)
                   if event.id not in known]
    return undo_plan(records, remote, sent), remote


def undo(connection: Connection, *, progress: Progress | None = None) -> Summary:
    """Delete every event this tool created in the target, as the state DB records them.
    Stopped part-way, it raises `Stopped` with what was deleted."""
    started = time.monotonic()
    with _session(connection, None, None, _UNDO) as session:
        plan, _ = _undo_plan(session, connection)
        report = PushReport()

        def summary() -> Summary:
            done = _summary(plan_unchanged=0, report=report, session=session, started=started)
            done.warnings = list(plan.warnings)
            return done

        tracker = _Tracker(session.client, len(plan.writes), progress)
        tracker.replanned(plan)
        try:
            Pusher(session.client, session.db, session.portal, session.target,
                   progress=tracker.step, hold=connection.hooks.hold).push(plan, report)
            _forget_vanished(session, report)
        except KeyboardInterrupt as stop:
            raise Stopped(stop, summary()) from None
        done = summary()
        emptied = _emptied_section(session, connection.target)
        done.section = SectionOutcome(emptied, deleted=False) if emptied else None
        return done


def _emptied_section(session: _Session, target: Target) -> PortalSection | None:
    """The target section when push created it (the state DB says so; never one it found)
    and it holds no event now, whoever wrote them: what `undo` offers to delete."""
    calendar = calendar_key(target)
    if not session.section_id or not session.db.created_section(session.portal, calendar,
                                                                session.section_id):
        return None
    if events_in_section(session.client, target.type, target.owner, session.section_id):
        return None
    return find_section(list_sections(session.client, target.type, target.owner),
                        session.section_id, target.type, target.owner)


def delete_emptied_section(connection: Connection) -> PortalSection | None:
    """Delete the target section if push created it and it is empty; it is looked at again
    first, since an event may have been added since `undo` did. The section deleted, or
    None when it is not such a section."""
    target = connection.target
    with _session(connection, None, None, _UNDO) as session:
        section = _emptied_section(session, target)
        if section is None:
            return None
        delete_section(session.client, target.type, target.owner, section.id)
        with session.db.transaction() as tx:
            tx.forget_section(session.portal, calendar_key(target), section.id)
        return section


def _forget_vanished(session: _Session, report: PushReport) -> None:
    """A refused delete of an event that is gone already (deleted with its series, or in
    the portal by hand) is no failure: the state row goes, the event is not there."""
    failed = [f for f in report.failures if f.op.event_id is not None]
    if not failed:
        return
    present = {e.id for e in get_by_ids(session.client, [f.op.event_id or 0 for f in failed])}
    with session.db.transaction() as tx:
        for failure in failed:
            if failure.op.event_id not in present:
                tx.forget(session.portal, session.target, failure.op.uid,
                          failure.op.recurrence_id)
                report.failures.remove(failure)
                report.add("delete")


def read_remote(client: Client, target: Target, section_id: int,
                events: Sequence[DesiredEvent], records: Sequence[Record],
                sent: Mapping[Key, str] | None = None) -> list[RemoteEvent]:
    """The portal's side: `calendar.event.get` over the window the input covers (and the
    days of creations a run that died sent, `sent`), then `getbyid` for every series (its
    own row, not an occurrence's) and for every recorded event outside the window."""
    found: dict[int, RemoteEvent] = {}
    window = _window(events, [d for i in (sent or {}).values() if (d := sent_days(i))])
    if window is not None:
        rows = event_rows(client, target, section_id, *window)
        found = {e.id: e for e in parse_events(rows)}
    wanted = {e.id for e in found.values() if e.params.rrule is not None}
    wanted |= {r.event_id for r in records if r.event_id not in found}
    for event in get_by_ids(client, sorted(wanted)):
        found[event.id] = event
    return [found[k] for k in sorted(found)]


def event_rows(client: Client, target: Target, section_id: int, first: date,
               last: date) -> list[Any]:
    """The section's `calendar.event.get` rows from `first` to `last`."""
    return listed_rows(client.call("calendar.event.get",
                                   event_get_params(target, section_id, first, last)))


def event_get_params(target: Target, section_id: int, first: date,
                     last: date) -> dict[str, Any]:
    """What `calendar.event.get` is asked for the section from `first` to `last`: one
    place, so that verify's month views are read exactly as a whole window is."""
    return {"type": target.type, "ownerId": target.owner, "section": [section_id],
            "from": first.isoformat(), "to": last.isoformat()}


def _reading(connection: Connection, what: str) -> Callable[[int, int], None] | None:
    """Told `(read, of)` before each request of a long read: the status line says it."""
    status = connection.hooks.status
    if status is None:
        return None
    return lambda read, of: status(f"reading {what}… {read}/{of}")


def get_by_ids(client: Client, ids: Sequence[int],
               reading: Callable[[int, int], None] | None = None) -> list[RemoteEvent]:
    """Each event as `getbyid` answers it (a series with its own start, not an
    occurrence's), 50 to a request; one that is gone is left out."""
    out = []
    for start in range(0, len(ids), _READ_BATCH):
        if reading is not None:
            reading(start, len(ids))
        chunk = ids[start:start + _READ_BATCH]
        answer = client.batch({f"g{i}": ("calendar.event.getbyid", {"id": event_id})
                               for i, event_id in enumerate(chunk)})
        for index, event_id in enumerate(chunk):
            row = answer.results.get(f"g{index}")
            if isinstance(row, dict) and row.get("ID"):
                out.append(parse_event(row))
            elif row not in (None, False, [], {}):
                raise answers.unexpected(f"calendar.event.getbyid {event_id}", row, "an event")
    return out


def _window(events: Sequence[DesiredEvent],
            spans: Sequence[tuple[str, str]] = ()) -> tuple[date, date] | None:
    days: list[str] = [day for span in spans for day in span]
    for event in events:
        days += [event.params.date_from[:10], event.params.date_to[:10], *event.exdate]
    if not days:
        return None
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    return shifted(first, -1), shifted(last, 1)
