"""What a plan deletes and what it forgets: the only way an op deletes an event
(`delete_op`), the deletions of events the input no longer has (with `--prune`'s guard), and
`undo`'s plan."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from ics2b24.errors import SafetyError
from ics2b24.plan.days import start_day
from ics2b24.plan.given import DiffInput
from ics2b24.plan.identity import canonical_rule, sent_creations
from ics2b24.plan.ops import Key, Op, Phase, Plan
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent


def delete_op(uid: str, recurrence_id: str | None, remote: RemoteEvent, *, phase: Phase,
              forget: tuple[Key, ...] = ()) -> Op:
    """The only way a plan deletes an event. A real portal deletes the whole series with any
    occurrence detached from it, so an event carrying RECURRENCE_ID is never a target."""
    if remote.recurrence_id is not None:
        raise ValueError(f"event {remote.id} is a detached occurrence: it goes only with "
                         "its series")
    return Op("delete", uid, recurrence_id, phase, event_id=remote.id,
              params={"id": remote.id}, forget=forget)


def riders(records: Iterable[Record], remote: Mapping[int, RemoteEvent],
           series: int) -> tuple[Key, ...]:
    """The records of a series' moved occurrences: the portal deletes them with the series,
    so their state rows go with its delete."""
    return tuple(r.key for r in records
                 if r.event_id in remote and remote[r.event_id].recurrence_id == series)


def deletions(given: DiffInput, records: Mapping[Key, Record], claimed: Collection[int],
              rebuilt: Collection[Key], cancelled: Sequence[Key]) -> list[Op]:
    """The state rows of keys the input no longer has, and not `rebuilt` (their rows go with
    a `Phase.CLEAR` delete): forgotten when their event is gone or now `claimed` by another
    key, deleted when this tool created it and the input cancelled it, has the uid in another
    shape, or dropped it with `--prune`."""
    cancelled_keys = set(cancelled)
    present = {event.uid for event in given.desired}
    ops: list[Op] = []
    gone: list[Record] = []
    prunable: list[Record] = []
    for key, record in records.items():
        if key in given.wanted or key in rebuilt:
            continue
        remote = given.remote.get(record.event_id)
        if remote is None or record.event_id in claimed:
            # Gone from the portal, or now paired with another key of the input: the
            # row is forgotten, the event is never deleted.
            ops.append(Op("forget", record.uid, record.recurrence_id, Phase.DELETE,
                          event_id=record.event_id))
        elif remote.recurrence_id is not None:
            continue
        elif _replaced(given, record, remote, cancelled_keys, present):
            gone.append(record)
        elif given.options.prune and not _before_since(given, remote):
            prunable.append(record)
    pruned = _guarded(given, records, [r for r in prunable if r.created])
    for record in gone + pruned:
        if record.created:
            moved = riders(records.values(), given.remote, record.event_id)
            ops.append(delete_op(record.uid, record.recurrence_id,
                                 given.remote[record.event_id], phase=Phase.DELETE,
                                 forget=(record.key, *moved)))
    return ops


def _replaced(given: DiffInput, record: Record, remote: RemoteEvent,
              cancelled: Collection[Key], present: Collection[str]) -> bool:
    """Whether a row's event goes with or without --prune: the input cancelled it, or still
    has its uid in another shape (a series written out as occurrences, a part that no longer
    starts there), so the new lines replace it."""
    if record.key in cancelled or (record.uid, None) in cancelled:
        return True
    return record.uid in present and not _before_since(given, remote)


def _guarded(given: DiffInput, records: Mapping[Key, Record],
             pruned: list[Record]) -> list[Record]:
    """`--prune`'s deletes, refused when they are most of what this tool manages."""
    managed = sum(1 for r in records.values() if r.created and r.event_id in given.remote)
    if pruned and not given.options.force_delete and (
            len(pruned) * 2 > managed or len(pruned) == managed):
        raise SafetyError(
            f"--prune would delete {len(pruned)} of the {managed} events this tool "
            "manages in the target; an empty or truncated input is more often a mistake "
            "than an intent. Check the input, or add --force-delete"
        )
    return pruned


def _before_since(given: DiffInput, remote: RemoteEvent) -> bool:
    since = given.options.since
    return since is not None and _ends_before(remote, since)


def _ends_before(remote: RemoteEvent, day: date) -> bool:
    """Whether every occurrence of a portal event ends before `day` (a series by its rule's
    last day; an endless one never does)."""
    params = remote.params
    last = start_day(params)
    rule = canonical_rule(params)
    if rule is not None:
        if rule.until is None:
            return False
        last = rule.until
    length = date.fromisoformat(params.date_to[:10]) - start_day(params)
    return last + length < day


def undo_plan(records: Sequence[Record], remote: Sequence[RemoteEvent],
              sent: Mapping[Key, str] | None = None) -> Plan:
    """`undo`: delete every event this tool created, those a run that died sent (`sent`,
    found among `remote` by `sent_creations`) included. A detached occurrence goes with its
    series (deleting it alone would delete the series anyway on a real portal); one whose
    series this tool did not create is left, with a warning."""
    found = {event.id: event for event in remote}
    created = [r for r in records if r.created]
    ours = {r.event_id for r in created}
    held = {r.event_id for r in records}
    ops: list[Op] = [
        delete_op(key[0], key[1], event, phase=Phase.DELETE, forget=(key,))
        for key, event in sent_creations(sent or {}, [e for e in remote
                                                      if e.id not in held]).items()]
    warnings: list[str] = []
    for record in created:
        event = found.get(record.event_id)
        if event is None:
            ops.append(Op("forget", record.uid, record.recurrence_id, Phase.DELETE,
                          event_id=record.event_id))
        elif event.recurrence_id is None:
            ops.append(delete_op(record.uid, record.recurrence_id, event, phase=Phase.DELETE,
                                 forget=(record.key, *riders(records, found, event.id))))
        elif event.recurrence_id not in ours:
            warnings.append(f"UID {record.uid}: event {event.id} is an occurrence detached "
                            "from a series ics2b24 did not create; deleting it would delete "
                            "that series, so it is left")
    return Plan(tuple(ops), 0, tuple(warnings))
