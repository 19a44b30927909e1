"""A company's sections found, and the missing ones made, in a few batch requests (`migrate`).

Alone, each calendar's push asks for its person's sections and adds its own: two requests
per calendar. Under the portal's request limit each costs half a second, and at the end of a
large migration, where the last pushes wait on the request bucket, they make it that much
longer (bench/company.py, bench/RESULTS.md). So `migrate` asks for every person's sections
in batches of 50 and adds the missing ones the same way, before the first push. The choice
is push's own (`choose_section`); it is made here only for a calendar that has no state DB
yet (one that has may remember a renamed section, which its push follows). A calendar whose
section cannot be decided here (a lookup or add that fails, a name two sections carry, two
calendars of one person with one name, a name holding a batch reference) is left to its
push, which finds or makes its section and reports as it would alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ics2b24.app.company import Job
from ics2b24.app.sections import (
    ADD_SECTION,
    LIST_SECTIONS,
    PortalSection,
    Resolved,
    SectionFields,
    calendar_params,
    choose_section,
    new_section_params,
    sections_in,
)
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import PortalError, UsageError
from ics2b24.plan.ops import holds_batch_reference

T = TypeVar("T")


def sections_ahead(client: Client, work: Sequence[Job]) -> dict[Path, Resolved]:
    """Each new calendar's section (by its job's state DB path), found or made here."""
    names = Counter((job.target.owner, _name(job)) for job in work)
    fresh = [job for job in work if not job.state.exists()
             and names[job.target.owner, _name(job)] == 1]
    listed = _listed(client, sorted({job.target.owner for job in fresh}))
    resolved: dict[Path, Resolved] = {}
    missing: list[Job] = []
    for job in fresh:
        sections = listed.get(job.target.owner)
        if sections is None:
            continue
        try:
            found = choose_section(sections, job.target)
        except UsageError:
            continue
        if found is None:
            missing.append(job)
        else:
            resolved[job.state] = Resolved(found.id, created=False)
    resolved.update(_added(client, missing))
    return resolved


def _name(job: Job) -> str:
    return (job.target.section_name or "").strip()


def _listed(client: Client, owners: Sequence[int]) -> dict[int, list[PortalSection]]:
    """Each owner's sections, for those whose calendar.section.get answered."""
    out: dict[int, list[PortalSection]] = {}
    for chunk in _chunks(owners):
        results = _batch(client, {f"u{owner}": (LIST_SECTIONS, calendar_params("user", owner))
                                  for owner in chunk})
        for key, result in results.items():
            try:
                out[int(key[1:])] = sections_in(result)
            except PortalError:
                continue
    return out


def _added(client: Client, jobs: Sequence[Job]) -> dict[Path, Resolved]:
    """The sections added for these calendars, each as push would add it (its name alone).
    A name a real portal would read as a batch reference (`$result[…]`) is left to its
    push, which adds the section alone, not through `batch`."""
    out: dict[Path, Resolved] = {}
    adds = [(job, new_section_params("user", job.target.owner, SectionFields(name=_name(job))))
            for job in jobs]
    batchable = [(job, params) for job, params in adds if not holds_batch_reference(params)]
    for chunk in _chunks(batchable):
        commands = {f"s{index}": (ADD_SECTION, params)
                    for index, (_, params) in enumerate(chunk)}
        for key, result in _batch(client, commands).items():
            try:
                section = answers.an_id(ADD_SECTION, result, "the new section's id")
            except PortalError:
                continue
            out[chunk[int(key[1:])][0].state] = Resolved(section, created=True)
    return out


def _batch(client: Client, commands: Mapping[str, tuple[str, Mapping[str, Any]]]
           ) -> dict[str, Any]:
    """The commands that succeeded, with their results; nothing when the request failed
    (an add whose answer was lost is found by its push, by name)."""
    try:
        return client.batch(commands).results
    except PortalError:
        return {}


def _chunks(items: Sequence[T]) -> list[Sequence[T]]:
    return [items[i:i + MAX_BATCH_COMMANDS] for i in range(0, len(items), MAX_BATCH_COMMANDS)]
