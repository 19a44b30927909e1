"""One command's session with the portal: how to reach it (`Connection`), what a run is
asked to do (`SyncOptions`), and the session every `plan`, `push` and `undo` opens.

Order matters for safety: the state DB is opened first (its lock makes a second run against
it exit 3 before it reads or sends anything), then the portal is asked who we are and in
which zone floating times are meant, the input is converted, a group target looked up among
the portal's groups (`check_group`: the calendar methods take a group that does not exist),
and the target section found (the same way for all three commands, so `plan` refuses what
`push` refuses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ics2b24.app.conversion import convert_options
from ics2b24.app.feeds import FeedAnswer
from ics2b24.app.read_ahead import ReadAhead
from ics2b24.app.sections import (
    PortalSection,
    Resolved,
    choose_section,
    list_sections,
    resolve_section,
    update_section_from_ics,
)
from ics2b24.app.target import Target, check_group
from ics2b24.app.traits import probe_traits
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.connect import Credentials, Hooks, Transport, make_client
from ics2b24.bitrix.limits import DEFAULT_RATE, OPERATING_LIMIT, Pacer
from ics2b24.errors import EndpointError, PortalError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.options import ConvertOptions
from ics2b24.model import CURRENT_PORTAL, PortalTraits
from ics2b24.plan.filters import EventFilter
from ics2b24.plan.remote import RemoteEvent
from ics2b24.plan.zones import respelled
from ics2b24.store.files import default_state_path
from ics2b24.store.keys import portal_identity, target_key
from ics2b24.store.state import StateDB
from ics2b24.store.target import TargetState

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
    user: Mapping[str, Any] | None = None
    """The caller's `user.current`, when the run asked it already (`migrate`, once for all
    its calendars)."""
    admin: bool | None = None
    """Whether the caller is an administrator (`user.admin`), when the run asked already."""
    read_ahead: ReadAhead | None = None
    """Conversions a `migrate` made ahead, which this connection's push and verify take
    instead of converting (app/read_ahead.py)."""
    section: Resolved | None = None
    """The target section, when the run found or made it already (`migrate`, in batches
    for every calendar: app/company_sections.py)."""

    @property
    def state_path(self) -> Path:
        return self.state or default_state_path()

    def client(self) -> Client:
        """A client paced for the portal's limits, reporting to the user's hooks."""
        return make_client(self.credentials, rate=self.rate,
                           operating_limit=self.operating_limit, transport=self.transport,
                           hooks=self.hooks, pacer=self.pacer, admin=self.admin)

    def caller(self, client: Client) -> dict[str, Any]:
        """`user.current` of the credentials, asked unless the run knows it."""
        return dict(self.user) if self.user is not None else current_user(client)

    def convert(self, inputs: list[tuple[str, bytes]], options: ConvertOptions
                ) -> ConvertResult:
        """The input converted, or the conversion made ahead of it."""
        if self.read_ahead is not None:
            return self.read_ahead.convert(inputs, options)
        return convert_inputs(inputs, options)

    def note(self, text: str) -> None:
        if self.hooks.notify is not None:
            self.hooks.notify(text)


@dataclass(frozen=True)
class SyncOptions:
    """`convert`: how the input is converted, before the portal's zone is known
    (app/conversion.py makes the options of it); `feeds`, what each input fetched from a URL
    answered (app/feeds.py)."""

    convert: ConvertChoices
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
class Session:
    db: StateDB
    client: Client
    portal: str
    target: str
    section_id: int
    converted: ConvertResult
    traits: PortalTraits = CURRENT_PORTAL
    writes_state: bool = False
    empty: bool = False
    """The section was added by this run and nothing has been written to it yet: the first
    diff need not read it."""
    remote: list[RemoteEvent] = field(default_factory=list)
    """What the last read of the target found."""

    @property
    def target_state(self) -> TargetState:
        """The state DB's rows of this run's target."""
        return self.db.scoped(self.portal, self.target)

    @property
    def names(self) -> dict[int, str]:
        """The name of every portal event the last read found, by id (what a delete
        removes)."""
        return {event.id: event.params.name for event in self.remote}


@dataclass(frozen=True)
class Mode:
    """What a command may change: the state DB (push, undo), the target section (push); and
    whether it refuses a group the portal does not have (push, and plan, which says what push
    would say; undo only takes back what push wrote, wherever that went)."""

    writes_state: bool
    creates_section: bool
    checks_group: bool


PLAN = Mode(writes_state=False, creates_section=False, checks_group=True)


PUSH = Mode(writes_state=True, creates_section=True, checks_group=True)


UNDO = Mode(writes_state=True, creates_section=False, checks_group=False)


UNDO_PREVIEW = Mode(writes_state=False, creates_section=False, checks_group=False)


@contextmanager
def open_session(connection: Connection, inputs: list[tuple[str, bytes]] | None,
             options: SyncOptions | None, mode: Mode) -> Iterator[Session]:
    db = StateDB.open(connection.state_path, readonly=not mode.writes_state)
    try:
        if db.created_dirs:
            connection.note(f"created {', '.join(map(str, db.created_dirs))} (0700) for the "
                            f"state DB {db.path}")
        client = connection.client()
        if connection.hooks.status is not None:
            connection.hooks.status("asking the portal who we are…")
        try:
            user = connection.caller(client)
            converted = ConvertResult()
            detached = (connection.traits or CURRENT_PORTAL).honours_recurrence_mode
            if inputs is not None and options is not None:
                converted = _convert(inputs, options, user, connection, moves_detached=detached)
            portal = portal_identity(client.base_url, client.user_id())
            if mode.checks_group:
                check_group(client, connection.target.type, connection.target.owner,
                            connection.note)
            section_id, created = _section(client, db, portal, connection, converted, options,
                                           mode)
            tkey = target_key(connection.target.type, connection.target.owner, section_id)
            traits = _traits(client, db, portal, connection, converted, mode)
            if not traits.honours_recurrence_mode and detached and inputs is not None \
                    and options:
                converted = _convert(inputs, options, user, connection, moves_detached=False)
            converted = respelled_input(converted, db.zones(portal))
            if options is not None and options.prune and converted.truncated:
                # What is missing from such an input may be any number of events (`_diff`).
                cut = [f"{name} ({options.feeds[name].said})" if name in options.feeds
                       else name for name in converted.truncated]
                connection.note(f"{', '.join(cut)} ends before END:VCALENDAR "
                                "(a download or pipe cut short?): --prune deletes nothing in "
                                "this run")
            yield Session(db, client, portal, tkey, section_id, converted, traits,
                          mode.writes_state, empty=created)
        finally:
            client.close()
    finally:
        db.close()


def _traits(client: Client, db: StateDB, portal: str, connection: Connection,
            converted: ConvertResult, mode: Mode) -> PortalTraits:
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


def input_options(options: SyncOptions, user: Mapping[str, Any],
                  moves_detached: bool = True) -> ConvertOptions:
    """How a push reads its input for this portal user (its zone decides floating times),
    and whether moved occurrences become events of their own (a portal that ignores
    `recurrence_mode`: app/traits.py)."""
    return replace(convert_options(options.convert, user), moves_detached=moves_detached)


def _convert(inputs: list[tuple[str, bytes]], options: SyncOptions, user: Mapping[str, Any],
             connection: Connection, *, moves_detached: bool = True) -> ConvertResult:
    """The input as the portal user's zone reads floating times; says so when it holds no
    event, since a run that changes nothing is otherwise silent."""
    if connection.hooks.status is not None:
        size = sum(len(data) for _, data in inputs)
        names = inputs[0][0] if len(inputs) == 1 else f"{len(inputs)} files"
        connection.hooks.status(f"reading {names} ({_size(size)})…")
    converted = connection.convert(inputs, input_options(options, user, moves_detached))
    if options.only is not None:
        converted = replace(converted, events=options.only.apply(converted.events))
    if not converted.events and not converted.cancelled:
        connection.note("no events in the input: there is nothing to add or update")
    return converted


def respelled_input(converted: ConvertResult, kept: Mapping[str, str]) -> ConvertResult:
    """The input with each zone name this portal replaces written as it keeps it."""
    events, warnings = respelled(converted.events, kept)
    return replace(converted, events=events, warnings=[*converted.warnings, *warnings])


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


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
             converted: ConvertResult, options: SyncOptions | None, mode: Mode
             ) -> tuple[int, bool]:
    """The target section's id, found the same way by every command (`choose_section`), so
    `plan` and `undo` refuse what `push` refuses. Only `push` creates a section, names it
    from the input with `--section-from-ics`, and remembers in the state DB which section a
    `--section-name` means, so a renamed section stays the target. Without a section yet,
    `plan` and `undo` see an empty target (0). Also whether this run added it."""
    target = connection.target
    name = (target.section_name or "").strip()
    remembered = remembered_section(db, portal, target)
    from_ics = options is not None and options.section_from_ics
    if not mode.creates_section:
        found = choose_section(list_sections(client, target.type, target.owner), target,
                               remembered)
        if found is None and options is not None:
            connection.note(f"no section is named {name!r} yet: push creates it")
        return (found.id if found is not None else 0), False
    if connection.section is not None and not from_ics:
        section = connection.section
    else:
        section = resolve_section(client, target,
                                  create=converted.section if from_ics else None,
                                  remembered=remembered)
    if name and section.id != remembered:
        with db.transaction() as tx:
            tx.remember_section(portal, calendar_key(target), name, section.id,
                                created=section.created)
    if from_ics:
        update_section_from_ics(client, target, section.id, converted.section)
    return section.id, section.created


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
