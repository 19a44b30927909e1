"""Series kept in place, or rebuilt: what a real portal's own code does decides it (see
plan/diff.py's docstring). A uid's parts stay while updates the portal carries out
faithfully can bring them in line; otherwise every portal part of the series is deleted
(`Phase.CLEAR`, its detached occurrences go with it) and planned like a new one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from ics2b24.ical import bxrule
from ics2b24.model import DesiredEvent
from ics2b24.plan.days import occurrence_day, start_day
from ics2b24.plan.deletions import delete_op
from ics2b24.plan.given import DiffInput, key_of
from ics2b24.plan.identity import normalised
from ics2b24.plan.ops import Key, Op, Phase
from ics2b24.plan.pairing import Paired, Pairing, portal_parts


@dataclass(frozen=True)
class Rebuilt:
    """The deletes of the stale parts, the pairs left once they and their detached
    occurrences are unpaired, what is claimed then, and the uids left as they are (a series
    this tool did not create), each with its warning."""

    ops: tuple[Op, ...]
    pairs: Mapping[Key, Pairing]
    claimed: frozenset[int]
    left: frozenset[str]
    warnings: tuple[str, ...]


def rebuilds(given: DiffInput, paired: Paired) -> Rebuilt:
    """Each uid's stale parts deleted when this tool created every one of them, else the
    series left with a warning."""
    pairs = dict(paired.pairs)
    claimed = set(paired.claimed)
    ops: list[Op] = []
    left: set[str] = set()
    warnings: list[str] = []
    for uid in given.parts:
        parts = portal_parts(given, pairs, uid)
        stale = _stale_parts(given, pairs, claimed, uid, parts)
        if not stale:
            continue
        if all(parts[part_id] for part_id in stale):
            ops.extend(_rebuild(given, pairs, claimed, uid, stale))
        else:
            warnings.append(
                f"UID {uid}: the portal's copy of this series differs from the input "
                "in a way only deleting and adding it again can fix; ics2b24 did not "
                "create it, so it is left as it is")
            left.add(uid)
    return Rebuilt(tuple(ops), pairs, frozenset(claimed), frozenset(left), tuple(warnings))


def _stale_parts(given: DiffInput, pairs: Mapping[Key, Pairing], claimed: set[int], uid: str,
                 parts: Mapping[int, bool]) -> list[int]:
    """The portal parts that updates a real portal carries out faithfully cannot bring
    in line, so they are deleted (and added again where the input still has them)."""
    force = given.options.force
    paired = {pairs[key_of(p)].remote.id: p for p in given.parts[uid] if key_of(p) in pairs}
    input_changed = any(pairs[key_of(p)].changed(p, force) for p in paired.values())
    recorded = {r.event_id for r in given.records_by_uid.get(uid, ())}
    return [part_id for part_id in parts
            if (part_id in paired
                and _needs_rebuild(given, pairs[key_of(paired[part_id])], claimed, paired[part_id]))
            or (part_id not in paired and (part_id in recorded or input_changed))]


def _needs_rebuild(given: DiffInput, pair: Pairing, claimed: set[int],
                   part: DesiredEvent) -> bool:
    """A part's start or end date changes (an `all` update keeps both old dates and takes
    only the new times, behaviour 7 in docs/test-portal.md); it must change and has
    detached occurrences (`all` would rewrite them); or it skips a day the input no longer
    skips — unless that is an edit made in the portal while the input did not change (it
    survives, as edits do)."""
    remote = pair.remote
    if (remote.params.date_from[:10], remote.params.date_to[:10]) != (
            part.params.date_from[:10], part.params.date_to[:10]):
        return True
    changed = pair.changed(part, given.options.force)
    copies = given.detached.get(remote.id, ())
    if changed and any(copy.id not in claimed for copy in copies):
        return True
    zone = part.params.timezone_from
    moved_days = {occurrence_day(o.recurrence_id or "", zone)
                  for o in given.overrides.get(part.uid, ()) if given.holder_of(o) is part}
    removed_days = {occurrence_day(r.recurrence_id or "", zone)
                    for r in given.records_by_uid.get(part.uid, ())
                    if r.recurrence_id is not None and r.key not in given.wanted}
    start, rule = start_day(part.params), part.params.rrule
    stale = {day for day in remote.exdate if rule is not None
             and bxrule.occurs_on(start, rule, date.fromisoformat(day))} - moved_days
    if stale and (changed or stale & removed_days):
        return True
    known = remote.description_known
    return bool(changed and copies and (not known or normalised(part.params)
                                        != normalised(remote.params)))


def _rebuild(given: DiffInput, pairs: dict[Key, Pairing], claimed: set[int], uid: str,
             stale: Iterable[int]) -> list[Op]:
    """Delete each stale part (`Phase.CLEAR`) and unpair it and the occurrences detached from
    it, so they are planned like new ones, the adds waiting for these deletes. Each
    delete forgets the state rows of its part and of its detached occurrences, and only
    those: a refused delete leaves its part known to the next run."""
    rows = given.records_by_uid.get(uid, ())
    ops: list[Op] = []
    for part_id in stale:
        remote = given.remote[part_id]
        copies = {copy.id for copy in given.detached.get(part_id, ())}
        keys = tuple(r.key for r in rows if r.event_id == part_id or r.event_id in copies)
        own = [r.recurrence_id for r in rows if r.event_id == part_id]
        main = pairs.get((uid, None))
        rid = own[0] if own else (None if main is not None and main.remote.id == part_id
                                  else remote.params.date_from)
        ops.append(delete_op(uid, rid, remote, phase=Phase.CLEAR, forget=keys))
        claimed |= copies
        for key in [k for k, pair in pairs.items()
                    if pair.remote.id == part_id or pair.remote.id in copies]:
            del pairs[key]
    return ops
