"""What a run will do: the diff engine's answer and the pusher's input (SPEC §1, §6).

An `Op` is either one write call (or, for an exclusion, the pair of calls that removes one
occurrence) or a change to the state DB alone (`record`, `forget`), which costs no request.
Ops run in `phase` order, because an override needs its series' ID and an occurrence after
a this-and-future split lives on the split-off series: 0 the portal copies of series being
rebuilt (and leftovers), 1 events themselves, 2 splits, 3 overrides and exclusions,
4 deletions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ics2b24.model import DesiredEvent

OpKind = Literal["add", "update", "override", "split", "exclude", "delete", "record", "forget"]
Key = tuple[str, "str | None"]

_METHODS: dict[str, str | None] = {
    "add": "calendar.event.add",
    "update": "calendar.event.update",
    "override": "calendar.event.update",
    "split": "calendar.event.update",
    "exclude": "calendar.event.update",
    "delete": "calendar.event.delete",
    "record": None,
    "forget": None,
}
_MODES: dict[str, str | None] = {
    "update": "all", "override": "this", "split": "next", "exclude": "this",
}


@dataclass(frozen=True)
class Op:
    """One step. `event_id` is the event written to (the series for override, split and
    exclude); when that series is only added in this run, `parent` names its key and the
    pusher fills the ID in. `params` are the call's parameters less `id`. `forget` lists keys
    whose state rows go with this op (occurrences detached from a deleted series). An add
    that `replaces` portal events is sent only once their deletes were confirmed, so a
    rebuilt series never exists twice."""

    kind: OpKind
    uid: str
    recurrence_id: str | None
    phase: int
    event_id: int | None = None
    parent: Key | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    created: bool = False
    desired: DesiredEvent | None = field(default=None, compare=False, repr=False)
    forget: tuple[Key, ...] = ()
    replaces: tuple[int, ...] = ()

    @property
    def key(self) -> Key:
        return (self.uid, self.recurrence_id)

    @property
    def method(self) -> str | None:
        """The REST method, or None for a change to the state DB alone."""
        return _METHODS[self.kind]

    @property
    def recurrence_mode(self) -> str | None:
        return _MODES.get(self.kind)

    @property
    def is_write(self) -> bool:
        return self.method is not None

    def to_json(self) -> dict[str, Any]:
        """The `plan --json` line (SPEC §5)."""
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

    def count(self, kind: OpKind) -> int:
        return sum(1 for op in self.ops if op.kind == kind)
