"""What a run will do: the diff engine's answer and the pusher's input.

An `Op` is one write call or a change to the state DB alone (`record`, `forget`), which costs
no request. Ops run in `Phase` order, because an occurrence change needs its series' ID.
What each kind means (its call, what confirming it records, how `push` counts it) is its
row of `KINDS`, which the pusher, the summary and recovery read instead of the kind's name.

Which calls are safe on a real portal is decided here and nowhere else: `recurrence_mode` goes
only with an update of a series (`all`, never with a new start date: the diff rebuilds such a
series instead) or with an occurrence change (`this`); an update of a single event carries
none (a real portal keeps the old date of a single event updated with `all`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Literal

from ics2b24.model import DesiredEvent
from ics2b24.plan.record import Key

_BATCH_REFERENCE = re.compile(r"\$(result|next|total|time|error)\S*\[", re.IGNORECASE)


def holds_batch_reference(value: Any) -> bool:
    """Whether a value holds text a real portal would read as a batch reference (`$result[`
    and its kin) inside `batch`: such a call goes alone (docs/test-portal.md, behaviour 3)."""
    if isinstance(value, str):
        return _BATCH_REFERENCE.search(value) is not None
    if isinstance(value, Mapping):
        return any(holds_batch_reference(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_batch_reference(v) for v in value)
    return False

OpKind = Literal["add", "update", "override", "delete", "record", "forget"]



class Phase(IntEnum):
    """When an op runs; the pusher sends one phase after another."""

    CLEAR = 0
    """Deletes of the portal copies of a series being rebuilt, before it is added again."""
    EVENT = 1
    """Events themselves: singles, occurrences and every part of a series."""
    OCCURRENCE = 3
    """Moved or changed occurrences (`this` on the part holding them): they need its ID."""
    DELETE = 4
    """Deletions of events no longer wanted (`--prune`, `undo`)."""


class Confirmed(Enum):
    """What the state DB is told once an op is confirmed (app/pusher.py does it)."""

    RECORD_NEW = "record the ID the portal answered"
    RECORD = "record the event the op names"
    FORGET = "forget the rows the op names"
    NOTHING = "nothing: the next read of the portal pairs the event"


@dataclass(frozen=True)
class KindRule:
    """What one op kind means to every part that acts on ops: the call, what confirming it
    records, how `push` counts it, and what recovery makes of it. One row per kind in
    `KINDS`, so a kind's meaning is read in one place rather than in each caller's branch."""

    method: str | None
    """The REST method; None for a change to the state DB alone, which costs no request."""
    confirmed: Confirmed
    counted_as: Literal["added", "updated", "deleted"] | None = None
    """The word `push`'s summary counts it under (app/run.py `Summary`); None: not counted."""
    creates: bool = False
    """A new event: sent without `id`, noted as intended before it is sent (a run that dies
    before the answer then adopts it); refused everywhere, the calendar is not the caller's."""
    claims: bool = False
    """Takes a portal event for this tool's own: recorded under its ID before the call
    changes what it looks like, when no state row has it yet (app/pusher.py)."""
    deletes: bool = False
    """Deletes the portal event: nothing is sent to its ID afterwards, and its rows go."""
    read_back: bool = False
    """A real portal answers it with the series' id, not the detached copy's, so the copy is
    paired by reading the portal once more (app/run.py)."""
    adopts: bool = False
    """Pairs an event found in the portal, with no write: recovery counts it (app/run.py)."""
    mode_on_series: str | None = None
    """The `recurrence_mode` sent when the event written to holds a rule."""
    mode_on_single: str | None = None
    """The `recurrence_mode` sent when it does not."""

    @property
    def is_write(self) -> bool:
        return self.method is not None


KINDS: Mapping[str, KindRule] = {
    "add": KindRule("calendar.event.add", Confirmed.RECORD_NEW, "added", creates=True),
    "update": KindRule("calendar.event.update", Confirmed.RECORD, "updated", claims=True,
                       mode_on_series="all"),
    "override": KindRule("calendar.event.update", Confirmed.NOTHING, "updated",
                         read_back=True, mode_on_series="this", mode_on_single="this"),
    "delete": KindRule("calendar.event.delete", Confirmed.FORGET, "deleted", deletes=True),
    "record": KindRule(None, Confirmed.RECORD, adopts=True),
    "forget": KindRule(None, Confirmed.FORGET),
}
"""Every `OpKind`'s rule (a test checks that none is missing)."""


@dataclass(frozen=True)
class Op:
    """One step. `event_id` is the event written to (the series part for an override); when
    that part is only added in this run, `parent` names its key and the pusher fills the ID
    in. `params` are the call's parameters less `id` and `recurrence_mode`; `series` says the
    event written to holds a rule. `forget` lists keys whose state rows go with this op
    (occurrences detached from a deleted series). An add that `replaces` portal events is
    sent only once their deletes were confirmed, so a rebuilt series never exists twice."""

    kind: OpKind
    uid: str
    recurrence_id: str | None
    phase: Phase
    event_id: int | None = None
    parent: Key | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    created: bool = False
    series: bool = False
    desired: DesiredEvent | None = field(default=None, compare=False, repr=False)
    forget: tuple[Key, ...] = ()
    replaces: tuple[int, ...] = ()
    invitations: int = 0
    modes: bool = True
    """Whether the portal reads `recurrence_mode`; one that does not (app/traits.py) is sent
    none, and gets no override op (its moved occurrences are events of their own)."""

    @property
    def key(self) -> Key:
        return (self.uid, self.recurrence_id)

    @property
    def rule(self) -> KindRule:
        """What this op's kind means (`KINDS`)."""
        return KINDS[self.kind]

    @property
    def method(self) -> str | None:
        """The REST method, or None for a change to the state DB alone."""
        return self.rule.method

    @property
    def recurrence_mode(self) -> str | None:
        if not self.modes:
            return None
        return self.rule.mode_on_series if self.series else self.rule.mode_on_single

    @property
    def is_write(self) -> bool:
        return self.rule.is_write

    @property
    def forgotten_keys(self) -> tuple[Key, ...]:
        """The keys whose state rows go once this op is confirmed, when its kind forgets."""
        return self.forget or (self.key,)

    @property
    def sent_alone(self) -> bool:
        """Calls that must not go through `batch`: an empty array (no reminders left) survives
        only a JSON body - inside `batch` the form `remind[]=` reaches a real portal as one
        empty item, a reminder at the start; and a text holding a batch reference such as
        `$result[c0]`, which a real portal substitutes inside any value of a batched call
        (docs/test-portal.md, behaviour 3)."""
        return any(value == [] or holds_batch_reference(value) for value in self.params.values())

    def call_params(self, target: int | None) -> dict[str, Any]:
        """The parameters as sent, `id` and `recurrence_mode` filled in."""
        params = dict(self.params)
        if not self.rule.creates:
            params["id"] = target
        if self.recurrence_mode is not None:
            params["recurrence_mode"] = self.recurrence_mode
        return params

    def to_json(self) -> dict[str, Any]:
        """The `plan --json` line."""
        return {
            "op": self.kind,
            "uid": self.uid,
            "recurrence_id": self.recurrence_id,
            "event_id": self.event_id,
            "method": self.method,
            "recurrence_mode": self.recurrence_mode,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class Plan:
    """The ops of one run, how many desired events need no write at all, and what the run
    cannot make equal to the input (for the user to see)."""

    ops: tuple[Op, ...]
    unchanged: int
    warnings: tuple[str, ...] = ()

    @property
    def writes(self) -> list[Op]:
        return [op for op in self.ops if op.is_write]

    @property
    def invitations(self) -> int:
        """How many invitations the portal would send for these writes."""
        return sum(op.invitations for op in self.ops)


def phase_requests(ops: Sequence[Op], batch: int) -> list[list[Op]]:
    """One phase's write calls as the requests that carry them: each call that must not go
    through `batch` (`Op.sent_alone`) alone, first, then the rest `batch` to a request. The
    pusher sends them so and `plan` counts and estimates them so: one rule for both."""
    alone = [[op] for op in ops if op.sent_alone]
    batched = [op for op in ops if not op.sent_alone]
    return alone + [batched[start:start + batch] for start in range(0, len(batched), batch)]


def write_requests(ops: Sequence[Op], batch: int) -> list[list[Op]]:
    """Every write call of a plan as its requests, phase after phase."""
    writes = [op for op in ops if op.is_write]
    return [request for phase in sorted({op.phase for op in writes})
            for request in phase_requests([op for op in writes if op.phase == phase], batch)]
