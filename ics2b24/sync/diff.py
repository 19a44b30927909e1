"""The diff engine (SPEC §6): desired events + the portal's events + the state DB → a Plan.

Pure: no I/O, so every pairing and change rule is testable with plain values.

Pairing, in order: (1) the state DB row for (uid, recurrence_id); (2) the portal's own
identity — DAV_XML_ID == UID for events exported from the portal, the detached event of a
paired series (RECURRENCE_ID + ORIGINAL_DATE_FROM) for overrides, RELATIONS'
ORIGINAL_RECURSION_ID for a series split off by `next`; (3) recovery: an unpaired event in
the target section whose name, start, end and rule equal an unpaired desired event.

An event is rewritten only when the input changed it since the last push (its fingerprint
differs from the state row) and the portal's copy differs in a managed field, so an edit
made in the portal survives until the input changes that event; `force` overrides that.

No documented call takes a day out of a series' EXDATE, and detaching an occurrence adds its
day there. So when a series this tool created skips a day the input no longer skips (an
EXDATE or a cancelled occurrence dropped, an override removed), or keeps a this-and-future
part the input dropped, the series is rebuilt: every portal part of it deleted (detached
occurrences go with their series), then added, split, overridden and excluded again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.errors import SafetyError
from ics2b24.model import DesiredEvent, EventParams
from ics2b24.sync.plan import Key, Op, Plan
from ics2b24.sync.remote import RemoteEvent
from ics2b24.sync.state import Record, params_fingerprint


@dataclass(frozen=True)
class DiffOptions:
    """The target and the run's flags. `sent_keys` are creations sent (by this run or one
    that died) whose outcome was never recorded: if recovery finds them, this tool made them."""

    calendar_type: str
    owner: int
    section_id: int
    prune: bool = False
    force: bool = False
    force_delete: bool = False
    sent_keys: frozenset[Key] = frozenset()


def fingerprint(event: DesiredEvent) -> str:
    """What the state DB remembers of the input: every line field that reaches the portal."""
    return params_fingerprint({
        "kind": event.kind, "range": event.range, "params": event.params.to_params(),
        "exdate": sorted(event.exdate),
    })


def normalised(params: EventParams) -> EventParams:
    """Managed fields as both sides can hold them: empty text is no text, all-day events
    carry no zones, the end zone defaults to the start's, reminders are a set."""
    return replace(
        params,
        name=params.name.strip(),
        description=(params.description or "").strip() or None,
        location=(params.location or "").strip() or None,
        color=(params.color or "").lower() or None,
        timezone_from=None if params.skip_time else params.timezone_from,
        timezone_to=None if params.skip_time else (params.timezone_to or params.timezone_from),
        remind=tuple(sorted(set(params.remind), key=lambda r: (r.type, r.count))),
        attendees=tuple(sorted(params.attendees)) if params.is_meeting else (),
        meeting=None,
    )


def occurrence_day(recurrence_id: str, zone: str | None) -> str:
    """`current_date_from` for an occurrence: its day in the series' zone."""
    if "T" not in recurrence_id:
        return recurrence_id
    instant = datetime.strptime(recurrence_id, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return instant.astimezone(ZoneInfo(zone) if zone else timezone.utc).date().isoformat()


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
        self.paired: dict[Key, tuple[RemoteEvent, Record | None, bool]] = {}
        self.paired_by_uid: dict[str, list[tuple[Key, RemoteEvent]]] = {}
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
        self.series = {d.uid: d for d in self.desired if d.kind == "series"}
        self.splits: dict[str, list[DesiredEvent]] = {}
        self.overrides: dict[str, list[DesiredEvent]] = {}
        for event in self.desired:
            if event.kind == "override" and event.range == "thisandfuture":
                self.splits.setdefault(event.uid, []).append(event)
            elif event.kind == "override":
                self.overrides.setdefault(event.uid, []).append(event)
        for items in self.splits.values():
            items.sort(key=lambda e: e.recurrence_id or "")

    # --- pairing ------------------------------------------------------------------------

    def pair(self) -> None:
        for event in self.desired:
            record = self.records.get(_key(event))
            if record is not None and record.event_id in self.remote:
                self._claim(event, self.remote[record.event_id], record, record.created)
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
        self._recover()
        for event in self.desired:
            if _key(event) not in self.paired and event.kind == "override":
                self._pair_override(event)

    def _claim(self, event: DesiredEvent, remote: RemoteEvent, record: Record | None,
               created: bool) -> None:
        self.paired[_key(event)] = (remote, record, created)
        self.paired_by_uid.setdefault(event.uid, []).append((_key(event), remote))
        self.claimed.add(remote.id)

    def _pair_override(self, event: DesiredEvent) -> None:
        parent = self.paired.get((event.uid, None))
        if parent is None or event.recurrence_id is None:
            return
        series, _, created = parent
        day = occurrence_day(event.recurrence_id, series.params.timezone_from)
        if event.range == "thisandfuture":
            candidates = [r for r in self.split_off.get(series.id, [])
                          if r.params.date_from[:10] == day]
        else:
            candidates = [r for sid in self._series_ids(event.uid)
                          for r in self.detached.get(sid, [])
                          if (r.original_date_from or "")[:10] == day]
        for remote in candidates:
            if remote.id not in self.claimed:
                self._claim(event, remote, None, created)
                return

    def _series_ids(self, uid: str) -> set[int]:
        """The portal IDs of a uid's series and of the series split off from it."""
        return {remote.id for key, remote in self.paired_by_uid.get(uid, [])
                if key[1] is None or remote.params.rrule is not None}

    def _recover(self) -> None:
        section = self.options.section_id
        loose: dict[tuple[Any, ...], list[RemoteEvent]] = {}
        for remote in self.remote.values():
            if (remote.id not in self.claimed and remote.recurrence_id is None
                    and remote.section_id in (None, section)):
                loose.setdefault(_identity(remote.params), []).append(remote)
        for event in self.desired:
            if _key(event) in self.paired or event.kind == "override":
                continue
            split = event.uid in self.splits
            candidates = loose.get(_identity(event.params), [])
            for found in candidates:
                if split or found.params.rrule == event.params.rrule:
                    candidates.remove(found)
                    self._claim(event, found, None, _key(event) in self.options.sent_keys)
                    break

    # --- rebuilds -----------------------------------------------------------------------

    def rebuilds(self) -> None:
        for uid, series in self.series.items():
            parts = self._portal_parts(uid)
            if not parts or not self._needs_rebuild(series, [p for p, _ in parts.values()]):
                continue
            if not all(created for _, created in parts.values()):
                self.warnings.append(
                    f"UID {uid}: the portal's copy of this series skips days or keeps parts "
                    "the input no longer has; ics2b24 did not create it, so it is left as it is")
                continue
            self._rebuild(uid, [part for part, _ in parts.values()])

    def _portal_parts(self, uid: str) -> dict[int, tuple[RemoteEvent, bool]]:
        """Every portal series holding part of this uid's series, and whether this tool
        created it: the paired series, what was split off from it, the split parts paired
        or recorded (also those the input dropped)."""
        parts: dict[int, tuple[RemoteEvent, bool]] = {}
        main = self.paired.get((uid, None))
        if main is not None:
            parts[main[0].id] = (main[0], main[2])
            for split_off in self.split_off.get(main[0].id, []):
                parts.setdefault(split_off.id, (split_off, main[2]))
        for key, remote in self.paired_by_uid.get(uid, []):
            if key[1] is not None and _is_series(remote):
                parts[remote.id] = (remote, self.paired[key][2])
        for record in self.records_by_uid.get(uid, []):
            found = self.remote.get(record.event_id)
            if record.key not in self.wanted and found is not None and _is_series(found):
                parts[found.id] = (found, record.created)
        return parts

    def _needs_rebuild(self, series: DesiredEvent, parts: Iterable[RemoteEvent]) -> bool:
        """Parts left of a series that must be added again; a this-and-future part the
        input dropped; or a skipped day the input no longer skips — unless that is an edit
        made in the portal while the input did not change (it survives, as edits do)."""
        pair = self.paired.get((series.uid, None))
        if pair is None:
            return True
        removed = [r for r in self.records_by_uid.get(series.uid, [])
                   if r.recurrence_id is not None and r.key not in self.wanted]
        if any(_is_series(self.remote[r.event_id]) for r in removed if r.event_id in self.remote):
            return True
        zone = series.params.timezone_from
        kept = set(series.exdate) | {occurrence_day(o.recurrence_id or "", zone)
                                     for o in self.overrides.get(series.uid, [])}
        stale = {day for part in parts for day in part.exdate} - kept
        if not stale:
            return False
        record = pair[1]
        if self.options.force or record is None or record.fingerprint != fingerprint(series):
            return True
        return any(occurrence_day(r.recurrence_id or "", zone) in stale for r in removed)

    def _rebuild(self, uid: str, parts: list[RemoteEvent]) -> None:
        """Delete every part (phase 0); the series, unpaired, is then planned like a new
        one, its add waiting for these deletes. Each delete forgets the state rows of its
        part and of the occurrences detached from it, and only those: a refused delete
        leaves its part known to the next run."""
        rows = self.records_by_uid.get(uid, [])
        main = self.paired.get((uid, None))
        for part in parts:
            keys = tuple(r.key for r in rows if r.event_id == part.id or (
                r.event_id in self.remote and self.remote[r.event_id].recurrence_id == part.id))
            own = [r.recurrence_id for r in rows if r.event_id == part.id]
            rid = None if main is not None and main[0].id == part.id else (
                own[0] if own else part.params.date_from)
            self.ops.append(Op("delete", uid, rid, 0, event_id=part.id,
                               params={"id": part.id}, forget=keys))
            self.rebuilt_keys.update(keys)
        self.rebuilt[uid] = tuple(part.id for part in parts)
        for key, _ in self.paired_by_uid.pop(uid, []):
            del self.paired[key]

    # --- changes ------------------------------------------------------------------------

    def changes(self, cancelled: Sequence[Key]) -> None:
        self.rebuilds()
        for event in self.desired:
            before = len(self.ops)
            if event.kind == "override" and event.range == "thisandfuture":
                self._split(event)
            elif event.kind == "override":
                self._override(event)
            else:
                self._event(event)
            if event.kind == "series":
                self._exclusions(event)
            if not any(op.is_write for op in self.ops[before:]):
                self.unchanged += 1
        self._leftover_detached()
        self._deletions(cancelled)

    def _base(self) -> dict[str, Any]:
        return {"type": self.options.calendar_type, "ownerId": self.options.owner}

    def _event(self, event: DesiredEvent) -> None:
        pair = self.paired.get(_key(event))
        if pair is None:
            params = {**self._base(), "section": self.options.section_id,
                      **event.params.to_params()}
            replaces = self.rebuilt.get(event.uid, ()) if event.kind == "series" else ()
            self.ops.append(Op("add", event.uid, event.recurrence_id, 1, params=params,
                               fingerprint=fingerprint(event), created=True, desired=event,
                               replaces=replaces))
            return
        self._maybe_update(event, event.params, pair, phase=1)

    def _maybe_update(self, event: DesiredEvent, wanted: EventParams,
                      pair: tuple[RemoteEvent, Record | None, bool], *, phase: int) -> None:
        remote, record, created = pair
        print_ = fingerprint(event)
        if record is not None and record.fingerprint == print_ and not self.options.force:
            return
        if event.kind == "series" and event.uid in self.splits and remote.params.rrule:
            wanted = replace(wanted, rrule=remote.params.rrule)
        if normalised(wanted) == normalised(remote.params):
            self.ops.append(Op("record", event.uid, event.recurrence_id, phase,
                               event_id=remote.id, fingerprint=print_, created=created,
                               desired=event))
            return
        params = {**self._base(), "section": self.options.section_id,
                  **_clearing(wanted, remote.params), **wanted.to_params(),
                  "recurrence_mode": "all"}
        if remote.params.is_meeting and remote.meeting_host is not None:
            params["host"] = remote.meeting_host
        self.ops.append(Op("update", event.uid, event.recurrence_id, phase, event_id=remote.id,
                           params=params, fingerprint=print_, created=created, desired=event))

    def _parent(self, event: DesiredEvent) -> tuple[int | None, Key | None, str | None]:
        """The series an occurrence change goes to: the last split at or before it, else the
        series itself; its portal ID when known, else its key; and its zone."""
        rid = event.recurrence_id or ""
        key: Key = (event.uid, None)
        for split in self.splits.get(event.uid, []):
            if split is not event and (split.recurrence_id or "") <= rid:
                key = (event.uid, split.recurrence_id)
        pair = self.paired.get(key)
        series = self.series.get(event.uid)
        zone = series.params.timezone_from if series else None
        if pair is not None:
            return pair[0].id, None, zone
        return None, key, zone

    def _split(self, event: DesiredEvent) -> None:
        pair = self.paired.get(_key(event))
        if pair is not None:
            self._maybe_update(event, event.params, pair, phase=2)
            return
        self._occurrence_change("split", event, phase=2)

    def _override(self, event: DesiredEvent) -> None:
        pair = self.paired.get(_key(event))
        if pair is not None:
            self._maybe_update(event, event.params, pair, phase=3)
            return
        self._occurrence_change("override", event, phase=3)

    def _occurrence_change(self, kind: Any, event: DesiredEvent, *, phase: int) -> None:
        if event.uid not in self.series or event.recurrence_id is None:
            return
        event_id, parent, zone = self._parent(event)
        series = self.series[event.uid].params
        params = {**self._base(), **_clearing(event.params, series),
                  **event.params.to_params(), "recurrence_mode":
                  "next" if kind == "split" else "this",
                  "current_date_from": occurrence_day(event.recurrence_id, zone)}
        self.ops.append(Op(kind, event.uid, event.recurrence_id, phase, event_id=event_id,
                           parent=parent, params=params, fingerprint=fingerprint(event),
                           created=True, desired=event))

    def _exclusions(self, series: DesiredEvent) -> None:
        done: set[str] = set()
        for remote_id in self._series_ids(series.uid):
            done.update(self.remote[remote_id].exdate)
        for day in series.exdate:
            if day in done:
                continue
            probe = replace(series, recurrence_id=day, kind="override")
            event_id, parent, _ = self._parent(probe)
            params = {**self._base(), "recurrence_mode": "this", "current_date_from": day}
            self.ops.append(Op("exclude", series.uid, day, 3, event_id=event_id, parent=parent,
                               params=params, desired=series))

    def _leftover_detached(self) -> None:
        """An occurrence detached for an exclusion whose delete never ran: the series
        already skips that day, and the detached copy must go."""
        recorded = {record.event_id for record in self.records.values()}
        for series in self.series.values():
            pair = self.paired.get((series.uid, None))
            if pair is None or not pair[2]:
                continue
            exdates = set(series.exdate)
            for remote in (r for sid in self._series_ids(series.uid)
                           for r in self.detached.get(sid, [])):
                if (remote.id not in self.claimed and remote.id not in recorded
                        and (remote.original_date_from or "")[:10] in exdates):
                    self.claimed.add(remote.id)
                    self.ops.append(Op("delete", series.uid, remote.original_date_from, 0,
                                       event_id=remote.id, params={"id": remote.id}))

    def _deletions(self, cancelled: Sequence[Key]) -> None:
        wanted = self.wanted
        cancelled_keys = set(cancelled)
        gone: list[Record] = []
        prunable: list[Record] = []
        for key, record in self.records.items():
            if key in wanted or key in self.rebuilt_keys:
                continue
            if record.event_id not in self.remote:
                self.ops.append(Op("forget", record.uid, record.recurrence_id, 4,
                                   event_id=record.event_id))
            elif key in cancelled_keys or (record.uid, None) in cancelled_keys:
                gone.append(record)
            elif self.options.prune:
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
        self._delete([r for r in gone + pruned if r.created])

    def _delete(self, records: Iterable[Record]) -> None:
        chosen = list(records)
        deleted_series = {r.event_id for r in chosen if r.recurrence_id is None}
        riders: dict[int, list[Key]] = {}
        for record in chosen:
            parent = self.remote[record.event_id].recurrence_id
            if record.recurrence_id is not None and parent in deleted_series:
                riders.setdefault(parent, []).append(record.key)
        for record in chosen:
            if record.key in {k for keys in riders.values() for k in keys}:
                continue
            self.ops.append(Op("delete", record.uid, record.recurrence_id, 4,
                               event_id=record.event_id, params={"id": record.event_id},
                               forget=(record.key, *riders.get(record.event_id, []))))


def _key(event: DesiredEvent) -> Key:
    return (event.uid, event.recurrence_id)


def _is_series(remote: RemoteEvent) -> bool:
    return remote.params.rrule is not None and remote.recurrence_id is None


def _identity(params: EventParams) -> tuple[Any, ...]:
    """What recovery matches on: name, start, end and the rule's shape. COUNT and UNTIL are
    checked apart, because a `next` split shortens the series it was made from."""
    rule = params.rrule
    shape = None if rule is None else (rule.freq, rule.interval, rule.byday)
    return (params.name.strip(), params.date_from, params.date_to, shape)


def _clearing(wanted: EventParams, current: EventParams) -> dict[str, Any]:
    """Fields the portal holds and the input no longer has: an update that leaves a key out
    keeps the old value, so these are sent empty (`remind[]=` on the wire)."""
    out: dict[str, Any] = {}
    if current.description and not wanted.description:
        out["description"] = ""
    if current.location and not wanted.location:
        out["location"] = ""
    if current.remind and not wanted.remind:
        out["remind"] = []
    return out


def diff(desired: Sequence[DesiredEvent], cancelled: Sequence[Key],
         remote: Sequence[RemoteEvent], records: Sequence[Record],
         options: DiffOptions) -> Plan:
    """The plan that makes the target match `desired` (SPEC §6)."""
    differ = _Differ(desired, remote, records, options)
    differ.pair()
    differ.changes(cancelled)
    return Plan(tuple(sorted(differ.ops, key=lambda op: op.phase)), differ.unchanged,
                tuple(differ.warnings))

