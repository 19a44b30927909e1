"""The diff engine: desired events + the portal's events + the state DB → a Plan.

Pure: no I/O, so every pairing and change rule is testable with plain values.

Pairing, in order: (1) the state DB row for (uid, recurrence_id); (2) the portal's own
identity — DAV_XML_ID == UID for events exported from the portal, the detached copy of a
paired series part (RECURRENCE_ID + ORIGINAL_DATE_FROM) for a moved occurrence; (3) recovery:
an unpaired event in the target section whose name, start, end and rule equal an unpaired
desired event — one this tool created (under another UID, or in a run that died before
recording), or one that already equals the input in every managed field. A portal event is
paired with one key at most, and a state row whose event another key now holds is forgotten,
never deleted.

An event is rewritten only when the input changed it since the last push (its fingerprint
differs from the state row) and the portal's copy differs in a managed field, so an edit
made in the portal survives until the input changes that event; `force` overrides that.

What a real portal's own code does decides the calls (docs/test-portal.md, "Behaviours that differ
from the reference"; the README's "Safe on a real portal" says it for users):
deleting a detached occurrence deletes its whole series, an update with `all` keeps a series'
old date and rewrites every detached occurrence, and the answer to a `this` update is the
series' id. So a uid's series parts are kept in place only while each keeps its start date
and, when it must change, has no detached occurrence; otherwise every portal part of the
series is deleted (its detached occurrences go with it) and the series is added again with
its moved occurrences. A detached occurrence is never deleted on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.errors import SafetyError
from ics2b24.ical import bxrule
from ics2b24.model import (
    CURRENT_PORTAL,
    PLAIN_FIELDS,
    DesiredEvent,
    EventParams,
    PortalTraits,
    Rrule,
    parse_recurrence_id,
)
from ics2b24.plan.ops import Key, Op, Phase, Plan
from ics2b24.plan.record import Record, params_fingerprint
from ics2b24.plan.remote import RemoteEvent


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
class Pairing:
    """A desired event's portal event, its state row (if any), and whether this tool
    created that portal event."""

    remote: RemoteEvent
    record: Record | None
    created: bool


def fingerprint(event: DesiredEvent) -> str:
    """What the state DB remembers of the input: every line field that reaches the portal.
    `range` is no field any more; it stays in the hash, always null, so that an upgrade
    does not make every event recorded by an earlier version look changed."""
    return params_fingerprint({
        "kind": event.kind, "range": None, "params": event.params.to_params(),
        "exdate": sorted(event.exdate),
    })


def canonical_rule(params: EventParams) -> Rrule | None:
    """A rule as the days it yields: COUNT and UNTIL become the last day, and WEEKLY without
    BYDAY is Monday, as a real portal reads it."""
    rule = params.rrule
    if rule is None:
        return None
    byday = rule.byday if rule.freq == "WEEKLY" else ()
    if rule.freq == "WEEKLY" and not byday:
        byday = ("MO",)
    shaped = Rrule(freq=rule.freq, interval=rule.interval, count=rule.count, until=rule.until,
                   byday=byday)
    last = bxrule.last_day(_start_day(params), shaped)
    return Rrule(freq=rule.freq, interval=rule.interval, until=last, byday=byday)


def normalised(params: EventParams, *, description: bool = True) -> EventParams:
    """Managed fields as both sides can hold them: empty text is no text, all-day events
    carry no zones, the end zone defaults to the start's, reminders are a set, rules are the
    days they yield. `description=False` leaves the description out of the comparison (a
    `calendar.event.get` row does not carry it)."""
    plain: dict[str, Any] = {
        f.name: f.normal(getattr(params, f.name)) if f.listed or description else None
        for f in PLAIN_FIELDS}
    return replace(
        params,
        name=params.name.strip(),
        timezone_from=None if params.skip_time else params.timezone_from,
        timezone_to=None if params.skip_time else (params.timezone_to or params.timezone_from),
        **plain,
        attendees=tuple(sorted(params.attendees)) if params.is_meeting else (),
        meeting=None,
        rrule=canonical_rule(params),
    )


def occurrence_day(recurrence_id: str, zone: str | None) -> str:
    """`current_date_from` for an occurrence: its day in the series' zone."""
    original = parse_recurrence_id(recurrence_id)
    if not isinstance(original, datetime):
        return original.isoformat()
    return original.astimezone(ZoneInfo(zone) if zone else timezone.utc).date().isoformat()


def holder(parts: Sequence[DesiredEvent], recurrence_id: str) -> DesiredEvent | None:
    """The series part an occurrence belongs to: the last of a uid's parts (first part
    first, then by recurrence id) starting at or before the occurrence whose rule has its
    day — parts written one per weekday start close together (docs/convert-contract.md,
    "Parts")."""
    found = None
    for part in sorted(parts, key=lambda p: p.recurrence_id or ""):
        if (part.recurrence_id or "") <= recurrence_id and _generates(part, recurrence_id):
            found = part
    return found


def _generates(part: DesiredEvent, recurrence_id: str) -> bool:
    rule = part.params.rrule
    if rule is None:
        return False
    day = date.fromisoformat(occurrence_day(recurrence_id, part.params.timezone_from))
    return bxrule.occurs_on(_start_day(part.params), rule, day)


def delete_op(uid: str, recurrence_id: str | None, remote: RemoteEvent, *, phase: Phase,
              forget: tuple[Key, ...] = ()) -> Op:
    """The only way a plan deletes an event. A real portal deletes the whole series with any
    occurrence detached from it, so an event carrying RECURRENCE_ID is never a target."""
    if remote.recurrence_id is not None:
        raise ValueError(f"event {remote.id} is a detached occurrence: it goes only with "
                         "its series")
    return Op("delete", uid, recurrence_id, phase, event_id=remote.id,
              params={"id": remote.id}, forget=forget)


class _Differ:
    def __init__(self, desired: Sequence[DesiredEvent], remote: Sequence[RemoteEvent],
                 records: Sequence[Record], options: DiffOptions) -> None:
        self.desired = list(desired)
        self.remote = {event.id: event for event in remote}
        self.records = {record.key: record for record in records}
        self.records_by_uid: dict[str, list[Record]] = {}
        for record in records:
            self.records_by_uid.setdefault(record.uid, []).append(record)
        self.wanted = {_key(event) for event in self.desired}
        self.options = options
        self.paired: dict[Key, Pairing] = {}
        self.claimed: set[int] = set()
        self.detached: dict[int, list[RemoteEvent]] = {}
        self.split_off: dict[int, list[RemoteEvent]] = {}
        for row in remote:
            if row.recurrence_id is not None:
                self.detached.setdefault(row.recurrence_id, []).append(row)
            if row.original_recursion_id is not None:
                self.split_off.setdefault(row.original_recursion_id, []).append(row)
        self.ops: list[Op] = []
        self.unchanged = 0
        self.warnings: list[str] = []
        self.rebuilt: dict[str, tuple[int, ...]] = {}
        self.rebuilt_keys: set[Key] = set()
        self.left: set[str] = set()
        self.parts: dict[str, list[DesiredEvent]] = {}
        self.overrides: dict[str, list[DesiredEvent]] = {}
        for event in self.desired:
            if event.kind == "series":
                self.parts.setdefault(event.uid, []).append(event)
            elif event.kind == "override":
                self.overrides.setdefault(event.uid, []).append(event)
        for items in self.parts.values():
            items.sort(key=lambda e: e.recurrence_id or "")

    # --- pairing ------------------------------------------------------------------------

    def pair(self) -> dict[Key, Pairing]:
        """Pair each desired event with a portal event by the three rules in order (see the
        module's docstring); a recorded part of its own that no longer fits is retired."""
        for event in self.desired:
            record = self.records.get(_key(event))
            found = self.remote.get(record.event_id) if record is not None else None
            if record is not None and found is not None:
                if _fits(event, found):
                    self._claim(event, found, record, record.created)
                elif found.recurrence_id is None and record.created:
                    self._retire(record, found)
        by_dav: dict[str, RemoteEvent] = {}
        for remote in self.remote.values():
            if remote.dav_xml_id and remote.recurrence_id is None:
                by_dav.setdefault(remote.dav_xml_id, remote)
        for event in self.desired:
            if _key(event) in self.paired or event.recurrence_id is not None:
                continue
            found = by_dav.get(event.uid)
            if found is not None and found.id not in self.claimed:
                self._claim(event, found, None, False)
        self._claim_sent()
        self._recover()
        for event in self.desired:
            if _key(event) not in self.paired and event.kind == "override":
                self._pair_override(event)
        return self.paired

    def _retire(self, record: Record, found: RemoteEvent) -> None:
        """An event of its own that this tool made for what is now a moved occurrence (a
        part of a series, or an occurrence written out): deleted before the occurrence is
        moved on its series, so the day is not shown twice."""
        self.claimed.add(found.id)
        self.rebuilt_keys.add(record.key)
        self.ops.append(delete_op(record.uid, record.recurrence_id, found, phase=Phase.CLEAR,
                                  forget=(record.key,)))
        self.rebuilt[record.uid] = (*self.rebuilt.get(record.uid, ()), found.id)

    def _claim(self, event: DesiredEvent, remote: RemoteEvent, record: Record | None,
               created: bool) -> None:
        self.paired[_key(event)] = Pairing(remote, record, created)
        self.claimed.add(remote.id)

    def _pair_override(self, event: DesiredEvent) -> None:
        holder = self._holder(event)
        pair = self.paired.get(_key(holder)) if holder is not None else None
        if pair is None or holder is None or event.recurrence_id is None:
            return
        day = occurrence_day(event.recurrence_id, holder.params.timezone_from)
        for remote in self._copies(event.uid):
            if remote.id not in self.claimed and (remote.original_date_from or "")[:10] == day:
                self._claim(event, remote, None, pair.created)
                return

    def _copies(self, uid: str) -> list[RemoteEvent]:
        """The occurrences detached from any portal part of this uid's series."""
        return [copy for part in self._portal_parts(uid)
                for copy in self.detached.get(part, [])]

    def _claim_sent(self) -> None:
        """Creations a run sent and died before recording are this tool's (`sent_creations`),
        each paired with its line while the input has it; one the input dropped since is
        deleted with `--prune` like any event the input dropped, else left with a warning."""
        held = {r.event_id for r in self.records.values()}
        loose = [r for r in self.remote.values()
                 if r.id not in held and r.id not in self.claimed
                 and r.section_id in (None, self.options.section_id)]
        sent = {key: identity for key, identity in self.options.sent.items()
                if key not in self.paired}
        desired = {_key(event): event for event in self.desired}
        for key, found in sent_creations(sent, loose).items():
            event = desired.get(key)
            if event is not None:
                self._claim(event, found, None, True)
            elif self.options.prune:
                self.records[key] = Record("", "", key[0], key[1], found.id, "", True)
            else:
                self.claimed.add(found.id)
                self.warnings.append(
                    f"UID {key[0]}: a run that died added event {found.id} for it, and the "
                    "input no longer has it; it is left (--prune deletes it)")

    def _recover(self) -> None:
        """Rule (3). An event a stale state row of this tool holds (the input gave it another
        UID) stays this tool's; one it may have sent in a run that died is its own too; any
        other is the user's and is adopted only when it already equals the input in every
        managed field, so adopting it never changes what the user wrote."""
        section = self.options.section_id
        held = {r.event_id: r for r in self.records.values() if r.key not in self.wanted}
        loose: dict[tuple[Any, ...], list[RemoteEvent]] = {}
        for remote in self.remote.values():
            if (remote.id not in self.claimed and remote.recurrence_id is None
                    and remote.section_id in (None, section)):
                loose.setdefault(looks(remote.params), []).append(remote)
        for event in self.desired:
            if _key(event) in self.paired or event.kind == "override":
                continue
            for found in loose.get(looks(event.params), []):
                record = held.get(found.id)
                # A creation sent by a version that kept no identity of it (empty); one
                # kept with its identity is found by `_claim_sent` or not at all.
                created = (record.created if record is not None
                           else self.options.sent.get(_key(event)) == "")
                if created or record is not None or _equal(event.params, found):
                    loose[looks(event.params)].remove(found)
                    self._claim(event, found, None, created)
                    break

    def _holder(self, event: DesiredEvent) -> DesiredEvent | None:
        return holder(self.parts.get(event.uid, []), event.recurrence_id or "")

    # --- series: kept in place, or rebuilt ----------------------------------------------

    def _portal_parts(self, uid: str) -> dict[int, bool]:
        """Every portal series holding part of this uid's series, and whether this tool
        created it: the paired parts, what the portal split off from them, and recorded
        parts the input dropped."""
        parts: dict[int, bool] = {}
        for part in self.parts.get(uid, []):
            pair = self.paired.get(_key(part))
            if pair is not None and _is_series(pair.remote):
                parts[pair.remote.id] = pair.created
                for split_off in self.split_off.get(pair.remote.id, []):
                    parts.setdefault(split_off.id, pair.created)
        for record in self.records_by_uid.get(uid, []):
            found = self.remote.get(record.event_id)
            if record.key not in self.wanted and found is not None and _is_series(found):
                parts.setdefault(found.id, record.created)
        return parts

    def _changed(self, event: DesiredEvent, pair: Pairing) -> bool:
        """Whether the input changed this event since the last push (or `--force`)."""
        return (self.options.force or pair.record is None
                or pair.record.fingerprint != fingerprint(event))

    def _stale_parts(self, uid: str, portal_parts: dict[int, bool]) -> list[int]:
        """The portal parts that updates a real portal carries out faithfully cannot bring
        in line, so they are deleted (and added again where the input still has them)."""
        paired = {self.paired[_key(p)].remote.id: p for p in self.parts[uid]
                  if _key(p) in self.paired}
        input_changed = any(self._changed(p, self.paired[_key(p)]) for p in paired.values())
        recorded = {r.event_id for r in self.records_by_uid.get(uid, [])}
        return [part_id for part_id in portal_parts
                if (part_id in paired and self._needs_rebuild(uid, paired[part_id]))
                or (part_id not in paired and (part_id in recorded or input_changed))]

    def _needs_rebuild(self, uid: str, part: DesiredEvent) -> bool:
        """A part's start or end date changes (an `all` update keeps both old dates and takes
        only the new times, behaviour 7 in docs/test-portal.md); it must change and has
        detached occurrences (`all` would rewrite them); or it skips a day the input no longer
        skips — unless that is an edit made in the portal while the input did not change (it
        survives, as edits do)."""
        pair = self.paired[_key(part)]
        remote = pair.remote
        if (remote.params.date_from[:10], remote.params.date_to[:10]) != (
                part.params.date_from[:10], part.params.date_to[:10]):
            return True
        changed = self._changed(part, pair)
        copies = self.detached.get(remote.id, [])
        if changed and any(copy.id not in self.claimed for copy in copies):
            return True
        zone = part.params.timezone_from
        moved_days = {occurrence_day(o.recurrence_id or "", zone)
                      for o in self.overrides.get(uid, []) if self._holder(o) is part}
        removed_days = {occurrence_day(r.recurrence_id or "", zone)
                        for r in self.records_by_uid.get(uid, [])
                        if r.recurrence_id is not None and r.key not in self.wanted}
        start, rule = _start_day(part.params), part.params.rrule
        stale = {day for day in remote.exdate if rule is not None
                 and bxrule.occurs_on(start, rule, date.fromisoformat(day))} - moved_days
        if stale and (changed or stale & removed_days):
            return True
        known = remote.description_known
        return bool(changed and copies and (not known or normalised(part.params)
                                            != normalised(remote.params)))

    def _rebuild(self, uid: str, stale: Iterable[int]) -> None:
        """Delete each stale part (`Phase.CLEAR`) and unpair it and the occurrences detached from
        it, so they are planned like new ones, the adds waiting for these deletes. Each
        delete forgets the state rows of its part and of its detached occurrences, and only
        those: a refused delete leaves its part known to the next run."""
        rows = self.records_by_uid.get(uid, [])
        ids = list(stale)
        for part_id in ids:
            remote = self.remote[part_id]
            copies = {copy.id for copy in self.detached.get(part_id, [])}
            keys = tuple(r.key for r in rows if r.event_id == part_id or r.event_id in copies)
            own = [r.recurrence_id for r in rows if r.event_id == part_id]
            rid = own[0] if own else (None if self._is_main(uid, part_id)
                                      else remote.params.date_from)
            self.ops.append(delete_op(uid, rid, remote, phase=Phase.CLEAR, forget=keys))
            self.rebuilt_keys.update(keys)
            self.claimed |= copies
            for key in [k for k, pair in self.paired.items()
                        if pair.remote.id == part_id or pair.remote.id in copies]:
                del self.paired[key]
        self.rebuilt[uid] = (*self.rebuilt.get(uid, ()), *ids)

    def _is_main(self, uid: str, part_id: int) -> bool:
        pair = self.paired.get((uid, None))
        return pair is not None and pair.remote.id == part_id

    # --- changes ------------------------------------------------------------------------

    def changes(self, cancelled: Sequence[Key]) -> None:
        for uid in self.parts:
            portal_parts = self._portal_parts(uid)
            stale = self._stale_parts(uid, portal_parts)
            if stale:
                if all(portal_parts[part_id] for part_id in stale):
                    self._rebuild(uid, stale)
                else:
                    self.warnings.append(
                        f"UID {uid}: the portal's copy of this series differs from the input "
                        "in a way only deleting and adding it again can fix; ics2b24 did not "
                        "create it, so it is left as it is")
                    self.left.add(uid)
        for event in self.desired:
            before = len(self.ops)
            if event.kind == "override":
                self._override(event)
            else:
                self._event(event)
            if not any(op.is_write for op in self.ops[before:]):
                self.unchanged += 1
        self._deletions(cancelled)

    def _before_since(self, remote: RemoteEvent) -> bool:
        return self.options.since is not None and _ends_before(remote, self.options.since)

    def _base(self) -> dict[str, Any]:
        return {"type": self.options.calendar_type, "ownerId": self.options.owner}

    def _event(self, event: DesiredEvent) -> None:
        if event.uid in self.left:
            return
        pair = self.paired.get(_key(event))
        if pair is not None and (event.kind == "series") != _is_series(pair.remote):
            pair = self._replace_kind(event, pair)
        if pair is None:
            params = {**self._base(), "section": self.options.section_id,
                      **event.params.to_call(self.options.traits)}
            self.ops.append(Op("add", event.uid, event.recurrence_id, Phase.EVENT, params=params,
                               fingerprint=fingerprint(event), created=True, desired=event,
                               series=event.kind == "series",
                               replaces=self.rebuilt.get(event.uid, ()),
                               invitations=self._invitations(event.params)))
            return
        self._maybe_update(event, pair, phase=Phase.EVENT)

    def _replace_kind(self, event: DesiredEvent, pair: Pairing) -> Pairing | None:
        """A single event that became a series, or the reverse: deleted and added again
        (an update could keep the old date), when this tool created it."""
        if not pair.created or pair.remote.recurrence_id is not None:
            self.warnings.append(
                f"UID {event.uid}: the portal's event {pair.remote.id} is "
                f"{'a series' if _is_series(pair.remote) else 'not a series'} and ics2b24 did "
                "not create it, so it is left as it is")
            return pair
        keys = tuple(r.key for r in self.records_by_uid.get(event.uid, [])
                     if r.event_id == pair.remote.id)
        self.ops.append(delete_op(event.uid, event.recurrence_id, pair.remote, phase=Phase.CLEAR,
                                  forget=keys))
        self.rebuilt_keys.update(keys)
        self.rebuilt[event.uid] = (*self.rebuilt.get(event.uid, ()), pair.remote.id)
        del self.paired[_key(event)]
        return None

    def _maybe_update(self, event: DesiredEvent, pair: Pairing, *, phase: Phase) -> None:
        remote = pair.remote
        print_ = fingerprint(event)
        if not self._changed(event, pair):
            return
        known = remote.description_known
        if normalised(event.params, description=known) == normalised(remote.params,
                                                                     description=known) and (
                known or pair.record is None):
            self.ops.append(Op("record", event.uid, event.recurrence_id, phase,
                               event_id=remote.id, fingerprint=print_, created=pair.created,
                               desired=event))
            return
        params = {**self._base(), **_clearing(event.params, remote),
                  **event.params.to_call(self.options.traits)}
        if remote.recurrence_id is None:
            params["section"] = self.options.section_id
        if remote.params.is_meeting and remote.meeting_host is not None:
            params["host"] = remote.meeting_host
        self.ops.append(Op("update", event.uid, event.recurrence_id, phase, event_id=remote.id,
                           params=params, fingerprint=print_, created=pair.created,
                           series=_is_series(remote), desired=event,
                           invitations=self._invitations(event.params, remote.params),
                           modes=self.options.traits.honours_recurrence_mode))

    def _override(self, event: DesiredEvent) -> None:
        if event.uid in self.left:
            return
        pair = self.paired.get(_key(event))
        if pair is not None:
            self._maybe_update(event, pair, phase=Phase.OCCURRENCE)
            return
        holder = self._holder(event)
        if holder is None or event.recurrence_id is None:
            return
        holder_pair = self.paired.get(_key(holder))
        params = {**self._base(), **event.params.to_call(self.options.traits),
                  "current_date_from": occurrence_day(event.recurrence_id,
                                                      holder.params.timezone_from)}
        self.ops.append(Op(
            "override", event.uid, event.recurrence_id, Phase.OCCURRENCE,
            event_id=holder_pair.remote.id if holder_pair else None,
            parent=None if holder_pair else _key(holder), params=params,
            fingerprint=fingerprint(event), created=True, series=True, desired=event,
            invitations=self._invitations(event.params)))

    def _invitations(self, params: EventParams, current: EventParams | None = None) -> int:
        """Attendees a real portal invites for this write: those of a meeting still to come,
        less the ones the portal already has."""
        if not params.is_meeting or not self._still_to_come(params):
            return 0
        known = set(current.attendees) if current is not None and current.is_meeting else set()
        return len(set(params.attendees) - known - {self.options.owner})

    def _still_to_come(self, params: EventParams) -> bool:
        today = self.options.today
        if today is None:
            return True
        rule = params.rrule
        last = _start_day(params) if rule is None else bxrule.last_day(_start_day(params), rule)
        return last is None or last >= today

    # --- deletions ----------------------------------------------------------------------

    def _deletions(self, cancelled: Sequence[Key]) -> None:
        cancelled_keys = set(cancelled)
        present = {event.uid for event in self.desired}
        gone: list[Record] = []
        prunable: list[Record] = []
        for key, record in self.records.items():
            if key in self.wanted or key in self.rebuilt_keys:
                continue
            remote = self.remote.get(record.event_id)
            if remote is None or record.event_id in self.claimed:
                # Gone from the portal, or now paired with another key of the input: the
                # row is forgotten, the event is never deleted.
                self.ops.append(Op("forget", record.uid, record.recurrence_id, Phase.DELETE,
                                   event_id=record.event_id))
            elif remote.recurrence_id is not None:
                continue
            elif key in cancelled_keys or (record.uid, None) in cancelled_keys:
                gone.append(record)
            elif record.uid in present and not self._before_since(remote):
                # A line of an event the input still has, in another shape now (a series
                # written out as occurrences, a part that no longer starts there): replaced
                # by the new lines, with or without --prune.
                gone.append(record)
            elif self.options.prune and not self._before_since(remote):
                prunable.append(record)
        managed = sum(1 for r in self.records.values() if r.created and r.event_id in self.remote)
        pruned = [r for r in prunable if r.created]
        if pruned and not self.options.force_delete and (
                len(pruned) * 2 > managed or len(pruned) == managed):
            raise SafetyError(
                f"--prune would delete {len(pruned)} of the {managed} events this tool "
                "manages in the target; an empty or truncated input is more often a mistake "
                "than an intent. Check the input, or add --force-delete"
            )
        for record in gone + pruned:
            if record.created:
                moved = riders(self.records.values(), self.remote, record.event_id)
                self.ops.append(delete_op(record.uid, record.recurrence_id,
                                          self.remote[record.event_id], phase=Phase.DELETE,
                                          forget=(record.key, *moved)))


def riders(records: Iterable[Record], remote: Mapping[int, RemoteEvent],
           series: int) -> tuple[Key, ...]:
    """The records of a series' moved occurrences: the portal deletes them with the series,
    so their state rows go with its delete."""
    return tuple(r.key for r in records
                 if r.event_id in remote and remote[r.event_id].recurrence_id == series)


def _ends_before(remote: RemoteEvent, day: date) -> bool:
    """Whether every occurrence of a portal event ends before `day` (a series by its rule's
    last day; an endless one never does)."""
    params = remote.params
    last = _start_day(params)
    rule = canonical_rule(params)
    if rule is not None:
        if rule.until is None:
            return False
        last = rule.until
    length = date.fromisoformat(params.date_to[:10]) - _start_day(params)
    return last + length < day


def _key(event: DesiredEvent) -> Key:
    return (event.uid, event.recurrence_id)


def _fits(event: DesiredEvent, remote: RemoteEvent) -> bool:
    """A state row pairs only with a portal event of the same shape: a moved occurrence
    with a detached copy, anything else with an event of its own."""
    return (event.kind == "override") == (remote.recurrence_id is not None)


def _is_series(remote: RemoteEvent) -> bool:
    return remote.params.rrule is not None and remote.recurrence_id is None


def _start_day(params: EventParams) -> date:
    return date.fromisoformat(params.date_from[:10])


def _equal(params: EventParams, remote: RemoteEvent) -> bool:
    """Whether the portal event holds every managed field as the input has it."""
    return remote.description_known and normalised(params) == normalised(remote.params)


def sent_identity(params: EventParams) -> str:
    """`looks`, location and description as text, kept with each creation sent until
    its answer is recorded: enough to tell what was sent from the user's own look-alike."""
    name, start, end, rule = looks(params)
    shown = normalised(params)
    return json.dumps([name, start, end, None if rule is None else [
        rule.freq, rule.interval, rule.until.isoformat() if rule.until else None,
        list(rule.byday)], shown.location, shown.description])


def _was_sent(sent: list[Any], found: list[Any], description_known: bool) -> bool:
    """Whether a portal event (`found`, its `sent_identity` read back) is the creation `sent`
    describes: its description only where the read shows it."""
    return sent == found if description_known else sent[:5] == found[:5]


def sent_creations(sent: Mapping[Key, str],
                   candidates: Iterable[RemoteEvent]) -> dict[Key, RemoteEvent]:
    """The portal event each creation a run sent and died before recording became, found by
    what was sent (`sent_identity`), not by what the input says now (it may have changed
    since), among `candidates` (events no state row holds). Newest first: a look-alike the
    user wrote before the run is older than what the run sent. A creation kept without an
    identity (empty) is left to recovery's match on the input."""
    loose = [(r, json.loads(sent_identity(r.params)))
             for r in sorted(candidates, key=lambda r: -r.id) if r.recurrence_id is None]
    found: dict[Key, RemoteEvent] = {}
    for key, identity in sorted(sent.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if not identity:
            continue
        what = json.loads(identity)
        match = next((r for r, shown in loose if _was_sent(what, shown, r.description_known)),
                     None)
        if match is not None:
            found[key] = match
            loose = [(r, shown) for r, shown in loose if r.id != match.id]
    return found


def sent_days(identity: str) -> tuple[str, str] | None:
    """The first and last day of a creation kept by `sent_identity` (None when unknown): a
    read of the target must reach them to find it."""
    if not identity:
        return None
    sent = json.loads(identity)
    return str(sent[1])[:10], str(sent[2])[:10]


def looks(params: EventParams) -> tuple[Any, ...]:
    """What makes two events look alike, and what recovery matches on: name, start, end and
    the days of the rule."""
    return (params.name.strip(), params.date_from, params.date_to, canonical_rule(params))


def _clearing(wanted: EventParams, current: RemoteEvent) -> dict[str, Any]:
    """Fields the portal holds and the input no longer has: an update that leaves a key out
    keeps the old value, so these are sent empty. A description the read could not see is
    cleared whenever the input has none."""
    return {f.wire: f.empty for f in PLAIN_FIELDS
            if f.cleared and not getattr(wanted, f.name) and (
                getattr(current.params, f.name) or not (f.listed or current.description_known))}


def pair(desired: Sequence[DesiredEvent], remote: Sequence[RemoteEvent],
         records: Sequence[Record], options: DiffOptions) -> dict[Key, Pairing]:
    """Which portal event each desired event is: the first step of `diff`, on its own so the
    pairing rules can be tested without the changes that follow."""
    return _Differ(desired, remote, records, options).pair()


def diff(desired: Sequence[DesiredEvent], cancelled: Sequence[Key],
         remote: Sequence[RemoteEvent], records: Sequence[Record],
         options: DiffOptions) -> Plan:
    """The plan that makes the target match `desired`."""
    differ = _Differ(desired, remote, records, options)
    differ.pair()
    differ.changes(cancelled)
    return Plan(tuple(sorted(differ.ops, key=lambda op: op.phase)), differ.unchanged,
                tuple(differ.warnings))


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
