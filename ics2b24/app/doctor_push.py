"""What push would send for a change of doctor's input calendar, sent the way push sends it.

Doctor's steps are changes of an input calendar (app/doctor_steps.py). Each change is pushed
as `push --prune` would push it: the VEVENTs converted by push's converter, the scratch
section read as push reads a target (app/reads.py), the diff push makes (plan/diff.py), and
its ops sent by push's own pusher (app/pusher.py) over a state DB in memory, so each
confirmed write is kept as push keeps it. So a change to how push writes anything changes
what doctor tries, and doctor never writes a form push does not.

A refusal is raised once the pusher is done with the step (push would go on to the next
pass): a step the portal refused is a finding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from ics2b24.app.pusher import Pusher, PushReport
from ics2b24.app.reads import read_remote
from ics2b24.app.target import Target
from ics2b24.bitrix.client import Client
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import PortalTraits
from ics2b24.plan.diff import DiffOptions, diff
from ics2b24.plan.ops import Key, Plan
from ics2b24.plan.record import Record
from ics2b24.store.state import StateDB

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
        """The plan sent by push's own pusher, over a state DB in memory holding `records`;
        what it confirmed becomes `records`, and the first refusal is raised after."""
        with StateDB.in_memory() as db:
            state = db.scoped("doctor", "doctor")
            with state.transaction() as tx:
                for record in records.values():
                    tx.record(record.key, record.event_id, record.fingerprint, record.created)
            report = PushReport()
            Pusher(self.client, state).push(plan, report)
            records.clear()
            records.update({record.key: record for record in state.records()})
        if report.failures:
            raise report.failures[0].error
