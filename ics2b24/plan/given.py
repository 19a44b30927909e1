"""The diff's inputs, indexed once: the run's options, and the desired events, the portal's
events and the state rows as the pairing and the rules after it look them up. Frozen, so
every step of the diff (plan/diff.py) reads the same inputs and none can change them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from ics2b24.model import CURRENT_PORTAL, DesiredEvent, PortalTraits
from ics2b24.plan.days import holder
from ics2b24.plan.ops import Key
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent

_T = TypeVar("_T")
_K = TypeVar("_K")


@dataclass(frozen=True)
class DiffOptions:
    """The target and the run's flags. `sent` are creations sent (by this run or one that
    died) whose outcome was never recorded, each with the identity of what was sent
    (`sent_identity`; empty when an older version sent it): what is found so is this tool's.
    `today` tells which meetings are still to come (a real portal invites their attendees);
    `traits` which forms the portal shows exactly (app/traits.py)."""

    calendar_type: str
    owner: int
    section_id: int
    prune: bool = False
    force: bool = False
    force_delete: bool = False
    sent: Mapping[Key, str] = field(default_factory=dict)
    today: date | None = None
    traits: PortalTraits = CURRENT_PORTAL
    since: date | None = None
    """`--since`: the input leaves out what ends before it, so `prune` leaves it too."""



@dataclass(frozen=True)
class DiffInput:
    """`detached`: the occurrences detached from each portal series (RECURRENCE_ID);
    `split_off`: the series a portal split off from each (RELATIONS); `parts` and
    `overrides`: each uid's series parts (by recurrence id) and moved occurrences."""

    desired: tuple[DesiredEvent, ...]
    remote: Mapping[int, RemoteEvent]
    records: Mapping[Key, Record]
    records_by_uid: Mapping[str, tuple[Record, ...]]
    wanted: frozenset[Key]
    detached: Mapping[int, tuple[RemoteEvent, ...]]
    split_off: Mapping[int, tuple[RemoteEvent, ...]]
    parts: Mapping[str, tuple[DesiredEvent, ...]]
    overrides: Mapping[str, tuple[DesiredEvent, ...]]
    options: DiffOptions

    @classmethod
    def of(cls, desired: Sequence[DesiredEvent], remote: Sequence[RemoteEvent],
           records: Sequence[Record], options: DiffOptions) -> DiffInput:
        parts = _grouped((e for e in desired if e.kind == "series"), lambda e: e.uid)
        return cls(
            desired=tuple(desired),
            remote={event.id: event for event in remote},
            records={record.key: record for record in records},
            records_by_uid=_grouped(records, lambda r: r.uid),
            wanted=frozenset(key_of(event) for event in desired),
            detached=_grouped((r for r in remote if r.recurrence_id is not None),
                              lambda r: r.recurrence_id or 0),
            split_off=_grouped((r for r in remote if r.original_recursion_id is not None),
                               lambda r: r.original_recursion_id or 0),
            parts={uid: tuple(sorted(items, key=lambda e: e.recurrence_id or ""))
                   for uid, items in parts.items()},
            overrides=_grouped((e for e in desired if e.kind == "override"), lambda e: e.uid),
            options=options,
        )

    def holder_of(self, event: DesiredEvent) -> DesiredEvent | None:
        """The series part holding this moved occurrence (plan/days.py `holder`)."""
        return holder(self.parts.get(event.uid, ()), event.recurrence_id or "")

    def base(self) -> dict[str, Any]:
        """The parameters every write to the target carries."""
        return {"type": self.options.calendar_type, "ownerId": self.options.owner}


def key_of(event: DesiredEvent) -> Key:
    return (event.uid, event.recurrence_id)


def _grouped(items: Iterable[_T], by: Callable[[_T], _K]) -> dict[_K, tuple[_T, ...]]:
    out: dict[_K, list[_T]] = {}
    for item in items:
        out.setdefault(by(item), []).append(item)
    return {k: tuple(v) for k, v in out.items()}
