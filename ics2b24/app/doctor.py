"""`ics2b24 doctor`: try, on the user's own portal, every kind of write `push` relies on.

The test portal follows the portal source we could read; a user's portal may run another
version. So before a migration, doctor first finds out which calendar code the portal runs
(app/traits.py, as push does), then creates a scratch section and pushes an input calendar
there one change at a time, each as push would push it to a portal of that generation
(app/doctor_steps.py: a series, a moved occurrence, a series around a skipped day, a series
renamed, a single event moved to another day, its reminder removed, the series and the single
event pruned, a weekly rule on two days from its second day, a rule every two weeks on two days,
a monthly rule, an all-day event, a zone name). It reads the section back after each, checks
that the write did what push expects and that every other occurrence survived, and opens month
views (as the calendar requests them) where the current code's expansion depends on the view's
start. It never touches another section, and deletes its own however it ends (Ctrl-C included).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from ics2b24.app.doctor_probe import Finding, Probe, again
from ics2b24.app.doctor_push import Pushing
from ics2b24.app.doctor_steps import MOVED, STEPS
from ics2b24.app.sections import SectionFields, add_section, calendar_params, list_sections
from ics2b24.app.target import CalendarType, Target, check_group
from ics2b24.app.traits import probe_traits
from ics2b24.bitrix.client import Client
from ics2b24.model import PortalTraits


@dataclass(frozen=True)
class DoctorReport:
    """The calendar code found (and so the forms tried) and one finding per behaviour."""

    traits: PortalTraits
    findings: list[Finding]

    def generation_line(self) -> str:
        line = f"the portal runs the {self.traits.generation} calendar code"
        if not self.traits.reads_iso_until:
            line += "; it reads UNTIL only in its display format: push bounds rules by COUNT"
        if not self.traits.honours_recurrence_mode:
            line += ("; it ignores recurrence_mode: push writes a moved occurrence as a "
                     "skipped day and an event of its own")
        return line


def _run_steps(p: Probe) -> None:
    for step in STEPS:
        if step.behaviour == MOVED and not p.pushing.traits.honours_recurrence_mode:
            p.findings.append(Finding(
                "a moved occurrence: this portal ignores recurrence_mode, so push writes it as "
                "a skipped day of its series and an event of its own (the parts and single "
                "event lines)", True, ""))
            continue
        if step.needs in p.unsure:
            p.findings.append(Finding(step.behaviour, False, "could not be checked: it needs "
                                      "the event of a step that could not be checked",
                                      checked=False))
        elif step.needs is not None and not p.holds(step.needs):
            p.findings.append(Finding(step.behaviour, False,
                                      "not tried: an earlier step failed"))
        else:
            p.check(step.behaviour, partial(step.run, p))
            if not p.findings[-1].checked:
                p.unsure.update(step.uids)


def _scratch_id(client: Client, cal_type: CalendarType, owner: int, name: str) -> int | None:
    return next((s.id for s in list_sections(client, cal_type, owner) if s.name == name), None)


@contextmanager
def scratch_section(client: Client, cal_type: CalendarType, owner: int,
                    sleep: Callable[[float], None] = time.sleep) -> Iterator[int]:
    """A section of doctor's own, deleted with everything in it however the block ends. Its
    add and delete are tried again after a passing failure, each once the calendar was read
    to see whether the last try took effect."""
    name = f"ics2b24 doctor {datetime.now():%Y-%m-%d %H:%M:%S}"

    def add() -> int:
        found = _scratch_id(client, cal_type, owner, name)
        return found if found is not None else add_section(client, cal_type, owner,
                                                           SectionFields(name=name))

    def delete() -> None:
        if _scratch_id(client, cal_type, owner, name) is not None:
            client.call("calendar.section.delete", {**calendar_params(cal_type, owner),
                                                    "id": section})

    section = again(add, sleep)
    try:
        yield section
    finally:
        again(delete, sleep)


def run_doctor(client: Client, cal_type: CalendarType, owner: int,
               sleep: Callable[[float], None] = time.sleep,
               warn: Callable[[str], None] = lambda text: None) -> DoctorReport:
    """The generation found and every finding, in order; the scratch sections are gone when
    this returns or raises. A group the portal does not have is refused first: finding the
    generation already writes."""
    check_group(client, cal_type, owner, warn)
    traits = again(partial(probe_traits, client, cal_type, owner), sleep)
    with scratch_section(client, cal_type, owner, sleep) as section:
        target = Target(cal_type, owner, section_id=section)
        probe = Probe(Pushing(client, target, traits), sleep=sleep)
        probe.present = probe.ids_held()
        _run_steps(probe)
        return DoctorReport(traits, probe.findings)
