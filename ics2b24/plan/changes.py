"""The writes that bring each desired event in line, once pairing (plan/pairing.py) and the
rebuilds (plan/rebuilds.py) are known: an add for an unpaired event, an update where the
input changed it since the last push and the portal's copy differs in a managed field (so an
edit made in the portal survives until the input changes that event; `force` overrides
that), a `record` where the portal already shows the change, and an override for a moved
occurrence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ics2b24.ical import bxrule
from ics2b24.model import PLAIN_FIELDS, DesiredEvent, EventParams
from ics2b24.plan.days import occurrence_day, start_day
from ics2b24.plan.deletions import delete_op
from ics2b24.plan.given import DiffInput, key_of
from ics2b24.plan.identity import fingerprint, normalised
from ics2b24.plan.ops import Key, Op, Phase
from ics2b24.plan.pairing import Pairing, is_series
from ics2b24.plan.rebuilds import Rebuilt
from ics2b24.plan.remote import RemoteEvent


@dataclass(frozen=True)
class Changes:
    """The ops in the input's order (with the `Phase.CLEAR` deletes of events whose kind
    changed), how many desired events need no write, and the warnings."""

    ops: tuple[Op, ...]
    unchanged: int
    warnings: tuple[str, ...]


def changes(given: DiffInput, rebuilt: Rebuilt, cleared: tuple[Op, ...]) -> Changes:
    """Each desired event's ops in the input's order. An add waits for the `Phase.CLEAR`
    deletes of its uid planned before it (`cleared`, then those of events whose kind
    changed), so a rebuilt series never exists twice."""
    pairs = dict(rebuilt.pairs)
    clears = list(cleared)
    ops: list[Op] = []
    warnings: list[str] = []
    unchanged = 0
    for event in given.desired:
        if event.uid in rebuilt.left:
            found: list[Op] = []
        elif event.kind == "override":
            found = _override(given, pairs, event)
        else:
            found = _own_event(given, pairs, clears, warnings, event)
        unchanged += not any(op.is_write for op in found)
        ops.extend(found)
    return Changes(tuple(ops), unchanged, tuple(warnings))


def _own_event(given: DiffInput, pairs: dict[Key, Pairing], clears: list[Op],
               warnings: list[str], event: DesiredEvent) -> list[Op]:
    """A single event, an occurrence written out or a series part; one whose kind changed is
    deleted first (and unpaired, its delete one of `clears`) when this tool created it."""
    pair = pairs.get(key_of(event))
    found: list[Op] = []
    if pair is not None and (event.kind == "series") != is_series(pair.remote):
        found, warning = _replace_kind(given, event, pair)
        warnings.extend(warning)
        if found:
            clears.extend(found)
            del pairs[key_of(event)]
            pair = None
    return found + _event(given, event, pair, clears)


def _event(given: DiffInput, event: DesiredEvent, pair: Pairing | None,
           clears: list[Op]) -> list[Op]:
    if pair is not None:
        return _maybe_update(given, event, pair, phase=Phase.EVENT)
    options = given.options
    params = {**given.base(), "section": options.section_id,
              **event.params.to_call(options.traits)}
    replaces = tuple(op.event_id for op in clears
                     if op.uid == event.uid and op.event_id is not None)
    return [Op("add", event.uid, event.recurrence_id, Phase.EVENT, params=params,
               fingerprint=fingerprint(event), created=True, desired=event,
               series=event.kind == "series", replaces=replaces,
               invitations=_invitations(given, event.params))]


def _replace_kind(given: DiffInput, event: DesiredEvent,
                  pair: Pairing) -> tuple[list[Op], list[str]]:
    """A single event that became a series, or the reverse: deleted and added again
    (an update could keep the old date), when this tool created it."""
    if not pair.created or pair.remote.recurrence_id is not None:
        return [], [
            f"UID {event.uid}: the portal's event {pair.remote.id} is "
            f"{'a series' if is_series(pair.remote) else 'not a series'} and ics2b24 did "
            "not create it, so it is left as it is"]
    keys = tuple(r.key for r in given.records_by_uid.get(event.uid, ())
                 if r.event_id == pair.remote.id)
    return [delete_op(event.uid, event.recurrence_id, pair.remote, phase=Phase.CLEAR,
                      forget=keys)], []


def _maybe_update(given: DiffInput, event: DesiredEvent, pair: Pairing, *,
                  phase: Phase) -> list[Op]:
    options = given.options
    remote = pair.remote
    if not pair.changed(event, options.force):
        return []
    print_ = fingerprint(event)
    known = remote.description_known
    if normalised(event.params, description=known) == normalised(remote.params,
                                                                 description=known) and (
            known or pair.record is None):
        return [Op("record", event.uid, event.recurrence_id, phase, event_id=remote.id,
                   fingerprint=print_, created=pair.created, desired=event)]
    params = {**given.base(), **_clearing(event.params, remote),
              **event.params.to_call(options.traits)}
    if remote.recurrence_id is None:
        params["section"] = options.section_id
    if remote.params.is_meeting and remote.meeting_host is not None:
        params["host"] = remote.meeting_host
    return [Op("update", event.uid, event.recurrence_id, phase, event_id=remote.id,
               params=params, fingerprint=print_, created=pair.created,
               series=is_series(remote), desired=event,
               invitations=_invitations(given, event.params, remote.params),
               modes=options.traits.honours_recurrence_mode)]


def _override(given: DiffInput, pairs: Mapping[Key, Pairing], event: DesiredEvent) -> list[Op]:
    pair = pairs.get(key_of(event))
    if pair is not None:
        return _maybe_update(given, event, pair, phase=Phase.OCCURRENCE)
    holder = given.holder_of(event)
    if holder is None or event.recurrence_id is None:
        return []
    holder_pair = pairs.get(key_of(holder))
    params = {**given.base(), **event.params.to_call(given.options.traits),
              "current_date_from": occurrence_day(event.recurrence_id,
                                                  holder.params.timezone_from)}
    return [Op("override", event.uid, event.recurrence_id, Phase.OCCURRENCE,
               event_id=holder_pair.remote.id if holder_pair else None,
               parent=None if holder_pair else key_of(holder), params=params,
               fingerprint=fingerprint(event), created=True, series=True, desired=event,
               invitations=_invitations(given, event.params))]


def _invitations(given: DiffInput, params: EventParams,
                 current: EventParams | None = None) -> int:
    """Attendees a real portal invites for this write: those of a meeting still to come,
    less the ones the portal already has."""
    if not params.is_meeting or not _still_to_come(given, params):
        return 0
    known = set(current.attendees) if current is not None and current.is_meeting else set()
    return len(set(params.attendees) - known - {given.options.owner})


def _still_to_come(given: DiffInput, params: EventParams) -> bool:
    today = given.options.today
    if today is None:
        return True
    rule = params.rrule
    last = start_day(params) if rule is None else bxrule.last_day(start_day(params), rule)
    return last is None or last >= today


def _clearing(wanted: EventParams, current: RemoteEvent) -> dict[str, Any]:
    """Fields the portal holds and the input no longer has: an update that leaves a key out
    keeps the old value, so these are sent empty. A description the read could not see is
    cleared whenever the input has none."""
    return {f.wire: f.empty for f in PLAIN_FIELDS
            if f.cleared and not getattr(wanted, f.name) and (
                getattr(current.params, f.name) or not (f.listed or current.description_known))}
