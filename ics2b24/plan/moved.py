"""Whether a portal at a new address is the one a state DB knew at another: pure, so the rule
can be tested with plain values.

The state DB names a portal by its address (store/state.py `portal_identity`); the same
portal restarted on another port or reached under another domain would otherwise look new,
and every event would be adopted as "recovered" while its state rows — skipped days, moves,
what `--prune` and `undo` may delete — stayed with the old name.
"""

from __future__ import annotations

from collections.abc import Sequence

from ics2b24.model import DesiredEvent
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent


def same_portal(records: Sequence[Record], remote: Sequence[RemoteEvent],
                desired: Sequence[DesiredEvent]) -> bool:
    """Whether the target holds the events the records name: every recorded event id found
    there carries the name the input gives that line, and at least half of the records of
    lines the input still has are found so. Event ids alone prove nothing (two fresh portals
    number their events alike), names alone nothing either (look-alikes)."""
    names = {(e.uid, e.recurrence_id): e.params.name.strip() for e in desired}
    found = {event.id: event.params.name.strip() for event in remote}
    judged = [r for r in records if r.key in names]
    held = [r for r in judged if r.event_id in found]
    if not held or any(found[r.event_id] != names[r.key] for r in held):
        return False
    return len(held) * 2 >= len(judged)
