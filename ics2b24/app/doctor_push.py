"""What push would send for a change of doctor's input calendar, sent the way push sends it.

Doctor's steps are changes of an input calendar (app/doctor_steps.py). Each change is pushed
as `push --prune` would push it: the VEVENTs converted by push's converter, the scratch
section read as push reads a target (app/reads.py), the diff push makes (plan/diff.py), and
its ops sent in push's phase order and wire form (`Op.method`, `Op.call_params`,
`phase_requests`, as app/pusher.py sends them), each confirmed write kept as the `Record`
push would keep in its state DB. So a change to how push writes anything changes what doctor
tries, and doctor never writes a form push does not.

Unlike push, the first refusal raises: a step the portal refused is a finding, and what
follows it in the step would start from a state push never reaches.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.app.reads import read_remote
from ics2b24.app.target import Target
from ics2b24.bitrix.answers import new_id, shown
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import PortalError
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import PortalTraits
from ics2b24.plan.diff import DiffOptions, diff
from ics2b24.plan.ops import Key, Op, Plan, phase_requests
from ics2b24.plan.record import Record

ZONE = "Europe/Berlin"
"""The zone doctor's input is read in, as `--tz` would say it."""
HORIZON = date(2038, 1, 1)
"""Where the rules doctor writes end at the latest (push's `--horizon-end`)."""

Calendar = Mapping[str, Sequence[str]]
"""The input: each UID's VEVENTs (their lines between BEGIN and END), master first."""
Records = MutableMapping[Key, Record]


@dataclass(frozen=True)
class Pushing:
    """Doctor's scratch section as a push target, and the forms its portal is sent."""

    client: Client
    target: Target
    traits: PortalTraits

    @property
    def section(self) -> int:
        assert self.target.section_id is not None
        return self.target.section_id

    def converted(self, calendar: Calendar) -> ConvertResult:
        """The input as push's converter reads it for this portal (a moved occurrence as an
        event of its own where the portal ignores `recurrence_mode`)."""
        events = "".join("BEGIN:VEVENT\r\nDTSTAMP:20300101T000000Z\r\n"
                         + text.replace("\n", "\r\n") + "END:VEVENT\r\n"
                         for vevents in calendar.values() for text in vevents)
        text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:ics2b24 doctor\r\n" + events
                + "END:VCALENDAR\r\n")
        options = ConvertOptions(tz=ZoneInfo(ZONE), tz_name=ZONE, horizon_end=HORIZON,
                                 since=None, max_occurrences=10_000, user_map={},
                                 no_attendees=True, strict=True,
                                 moves_detached=self.traits.honours_recurrence_mode)
        return convert_inputs([("doctor.ics", text.encode())], options)

    def push(self, converted: ConvertResult, uids: Collection[str], records: Records) -> None:
        """Make the section hold `converted` for these UIDs as `push --prune` would, and
        nothing else of theirs. Only their records are diffed: a step that failed is not
        written again by the steps after it. Prune's guard against a truncated input
        (`--force-delete`) is off: doctor removes one event of a handful on purpose."""
        theirs = [record for record in records.values() if record.uid in uids]
        remote = read_remote(self.client, self.target, self.section, converted.events, theirs)
        plan = diff(converted.events, converted.cancelled, remote, theirs, DiffOptions(
            calendar_type=self.target.type, owner=self.target.owner, section_id=self.section,
            prune=True, force_delete=True, traits=self.traits))
        self._send(plan, records)

    def _send(self, plan: Plan, records: Records) -> None:
        """The plan's ops as the pusher sends them: state-only ops first, then each phase's
        write requests in order, an op on a series added in this plan sent to the id its
        add answered."""
        for op in plan.ops:
            if not op.is_write:
                _settle(op, op.event_id, None, records)
        for phase in sorted({op.phase for op in plan.writes}):
            ops = [op for op in plan.writes if op.phase == phase]
            for request in phase_requests(ops, MAX_BATCH_COMMANDS):
                ids = {key: record.event_id for key, record in records.items()}
                sent = [(op, op.event_id if op.event_id is not None
                         else ids.get(op.parent) if op.parent else None) for op in request]
                for (op, target), result in zip(sent, self._results(sent), strict=True):
                    _settle(op, target, result, records)

    def _results(self, sent: list[tuple[Op, int | None]]) -> list[Any]:
        """One request's answers in order; a refusal raises. A call that must not go
        through `batch` (`Op.sent_alone`) is sent alone as JSON, as the pusher sends it."""
        for op, target in sent:
            if op.kind != "add" and target is None:
                raise ValueError(f"the {op.kind} of {op.uid} has no event to write to")
        if len(sent) == 1 and sent[0][0].sent_alone:
            op, target = sent[0]
            assert op.method is not None
            return [self.client.call(op.method, op.call_params(target))]
        commands = {}
        for index, (op, target) in enumerate(sent):
            assert op.method is not None
            commands[f"c{index}"] = (op.method, op.call_params(target))
        answer = self.client.batch(commands)
        for key in commands:
            if key in answer.errors:
                raise answer.errors[key]
            if key not in answer.results:
                raise PortalError("", "the portal gave no result for this call")
        return [answer.results[key] for key in commands]


def _settle(op: Op, target: int | None, result: Any, records: Records) -> None:
    """What push records of one confirmed op (app/pusher.py, `_settle` and `_apply_state`):
    nothing of a moved occurrence, whose answer is its series' id."""
    if op.kind in ("delete", "forget"):
        for key in op.forget or (op.key,):
            records.pop(key, None)
        return
    if op.kind == "override":
        return
    event_id = new_id(result) if op.kind == "add" else target
    if event_id is None:
        raise ValueError(f"the add answered {shown(result)}, not the new event's id")
    records[op.key] = Record("doctor", "doctor", op.uid, op.recurrence_id, event_id,
                             op.fingerprint, op.created)
