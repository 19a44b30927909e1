"""Which portal event each desired event is: the first step of the diff (plan/diff.py), by the
three rules in order — the state row, the portal's own identity, recovery — and its answer a
frozen `Paired` the steps after it read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ics2b24.model import DesiredEvent
from ics2b24.plan.days import occurrence_day
from ics2b24.plan.deletions import delete_op
from ics2b24.plan.given import DiffInput, DiffOptions, key_of
from ics2b24.plan.identity import equal, fingerprint, looks, sent_creations
from ics2b24.plan.ops import Key, Op, Phase
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent


@dataclass(frozen=True)
class Pairing:
    """A desired event's portal event, its state row (if any), and whether this tool
    created that portal event."""

    remote: RemoteEvent
    record: Record | None
    created: bool

    def changed(self, event: DesiredEvent, force: bool) -> bool:
        """Whether the input changed this event since the last push (or `--force`)."""
        return force or self.record is None or self.record.fingerprint != fingerprint(event)


@dataclass(frozen=True)
class Paired:
    """The pairing's answer. `claimed`: every portal event a key holds or the diff must not
    take for another; `retired`: the deletes of events of this tool's own for what are now
    moved occurrences (`Phase.CLEAR`); `records`: the state rows, with the creations a run
    sent for lines the input dropped since when `--prune` deletes them."""

    pairs: Mapping[Key, Pairing]
    claimed: frozenset[int]
    retired: tuple[Op, ...]
    records: Mapping[Key, Record]
    warnings: tuple[str, ...]


class _Pairs:
    """The pairs and claims while the rules run: one portal event goes to one key at most."""

    def __init__(self) -> None:
        self.pairs: dict[Key, Pairing] = {}
        self.claimed: set[int] = set()

    def claim(self, event: DesiredEvent, remote: RemoteEvent, record: Record | None,
              created: bool) -> None:
        self.pairs[key_of(event)] = Pairing(remote, record, created)
        self.claimed.add(remote.id)


def pair(desired: Sequence[DesiredEvent], remote: Sequence[RemoteEvent],
         records: Sequence[Record], options: DiffOptions) -> dict[Key, Pairing]:
    """Which portal event each desired event is, on its own so the pairing rules can be
    tested without the changes that follow."""
    return dict(pair_events(DiffInput.of(desired, remote, records, options)).pairs)


def pair_events(given: DiffInput) -> Paired:
    """Pair each desired event with a portal event by the three rules in order (see
    plan/diff.py's docstring); a recorded part of its own that no longer fits is retired."""
    state = _Pairs()
    retired = _by_record(given, state)
    _by_portal_uid(given, state)
    records, warnings = _claim_sent(given, state)
    _recover(given, state, records)
    for event in given.desired:
        if key_of(event) not in state.pairs and event.kind == "override":
            _pair_override(given, state, event)
    return Paired(dict(state.pairs), frozenset(state.claimed), retired, records, warnings)


def _by_record(given: DiffInput, state: _Pairs) -> tuple[Op, ...]:
    """Rule (1), the state row. An event of its own that this tool made for what is now a
    moved occurrence (a part of a series, or an occurrence written out) is retired: deleted
    before the occurrence is moved on its series, so the day is not shown twice."""
    retired: list[Op] = []
    for event in given.desired:
        record = given.records.get(key_of(event))
        found = given.remote.get(record.event_id) if record is not None else None
        if record is None or found is None:
            continue
        if _fits(event, found):
            state.claim(event, found, record, record.created)
        elif found.recurrence_id is None and record.created:
            state.claimed.add(found.id)
            retired.append(delete_op(record.uid, record.recurrence_id, found,
                                     phase=Phase.CLEAR, forget=(record.key,)))
    return tuple(retired)


def _by_portal_uid(given: DiffInput, state: _Pairs) -> None:
    """Rule (2) for events of their own: DAV_XML_ID == UID (events exported from the portal)."""
    by_dav: dict[str, RemoteEvent] = {}
    for remote in given.remote.values():
        if remote.dav_xml_id and remote.recurrence_id is None:
            by_dav.setdefault(remote.dav_xml_id, remote)
    for event in given.desired:
        if key_of(event) in state.pairs or event.recurrence_id is not None:
            continue
        found = by_dav.get(event.uid)
        if found is not None and found.id not in state.claimed:
            state.claim(event, found, None, False)


def _pair_override(given: DiffInput, state: _Pairs, event: DesiredEvent) -> None:
    """Rule (2) for a moved occurrence: the copy detached from its paired part on its day."""
    holder = given.holder_of(event)
    pair = state.pairs.get(key_of(holder)) if holder is not None else None
    if pair is None or holder is None or event.recurrence_id is None:
        return
    day = occurrence_day(event.recurrence_id, holder.params.timezone_from)
    for remote in copies(given, state.pairs, event.uid):
        if remote.id not in state.claimed and (remote.original_date_from or "")[:10] == day:
            state.claim(event, remote, None, pair.created)
            return


def _claim_sent(given: DiffInput, state: _Pairs) -> tuple[dict[Key, Record], tuple[str, ...]]:
    """Creations a run sent and died before recording are this tool's (`sent_creations`),
    each paired with its line while the input has it; one the input dropped since is
    deleted with `--prune` like any event the input dropped (a state row is made for it),
    else left with a warning."""
    options = given.options
    records = dict(given.records)
    held = {r.event_id for r in records.values()}
    loose = [r for r in given.remote.values()
             if r.id not in held and r.id not in state.claimed
             and r.section_id in (None, options.section_id)]
    sent = {key: identity for key, identity in options.sent.items() if key not in state.pairs}
    desired = {key_of(event): event for event in given.desired}
    warnings: list[str] = []
    for key, found in sent_creations(sent, loose).items():
        event = desired.get(key)
        if event is not None:
            state.claim(event, found, None, True)
        elif options.prune:
            records[key] = Record("", "", key[0], key[1], found.id, "", True)
        else:
            state.claimed.add(found.id)
            warnings.append(
                f"UID {key[0]}: a run that died added event {found.id} for it, and the "
                "input no longer has it; it is left (--prune deletes it)")
    return records, tuple(warnings)


def _recover(given: DiffInput, state: _Pairs, records: Mapping[Key, Record]) -> None:
    """Rule (3). An event a stale state row of this tool holds (the input gave it another
    UID) stays this tool's; one it may have sent in a run that died is its own too; any
    other is the user's and is adopted only when it already equals the input in every
    managed field, so adopting it never changes what the user wrote. `records` hold the
    creations `_claim_sent` made rows for."""
    section = given.options.section_id
    held = {r.event_id: r for r in records.values() if r.key not in given.wanted}
    loose: dict[tuple[Any, ...], list[RemoteEvent]] = {}
    for remote in given.remote.values():
        if (remote.id not in state.claimed and remote.recurrence_id is None
                and remote.section_id in (None, section)):
            loose.setdefault(looks(remote.params), []).append(remote)
    for event in given.desired:
        if key_of(event) in state.pairs or event.kind == "override":
            continue
        for found in loose.get(looks(event.params), []):
            record = held.get(found.id)
            # A creation sent by a version that kept no identity of it (empty); one
            # kept with its identity is found by `_claim_sent` or not at all.
            created = (record.created if record is not None
                       else given.options.sent.get(key_of(event)) == "")
            if created or record is not None or equal(event.params, found):
                loose[looks(event.params)].remove(found)
                state.claim(event, found, None, created)
                break


def portal_parts(given: DiffInput, pairs: Mapping[Key, Pairing], uid: str) -> dict[int, bool]:
    """Every portal series holding part of this uid's series, and whether this tool
    created it: the paired parts, what the portal split off from them, and recorded
    parts the input dropped."""
    parts: dict[int, bool] = {}
    for part in given.parts.get(uid, ()):
        pair = pairs.get(key_of(part))
        if pair is not None and is_series(pair.remote):
            parts[pair.remote.id] = pair.created
            for split_off in given.split_off.get(pair.remote.id, ()):
                parts.setdefault(split_off.id, pair.created)
    for record in given.records_by_uid.get(uid, ()):
        found = given.remote.get(record.event_id)
        if record.key not in given.wanted and found is not None and is_series(found):
            parts.setdefault(found.id, record.created)
    return parts


def copies(given: DiffInput, pairs: Mapping[Key, Pairing], uid: str) -> list[RemoteEvent]:
    """The occurrences detached from any portal part of this uid's series."""
    return [copy for part in portal_parts(given, pairs, uid)
            for copy in given.detached.get(part, ())]


def is_series(remote: RemoteEvent) -> bool:
    return remote.params.rrule is not None and remote.recurrence_id is None


def _fits(event: DesiredEvent, remote: RemoteEvent) -> bool:
    """A state row pairs only with a portal event of the same shape: a moved occurrence
    with a detached copy, anything else with an event of its own."""
    return (event.kind == "override") == (remote.recurrence_id is not None)
