"""A whole company onto the portal (`ics2b24 migrate`): every person's calendars from a
Google Workspace data export or a folder of Takeout archives, each calendar into a section
of its own, named after it, in that person's user calendar.

An export holds one folder or archive per person. The person is the folder's (or archive's)
name when it is an address (`ann@example.com/`, `ann@example.com.zip`), else the address a
Takeout archive names its primary calendar after (`Takeout/Calendar/ann@example.com.ics`),
else the name itself, which the owners map must then know. Each person is a portal user by
the owners map, or by their address through `user.get`. Nobody is guessed: a person without a
user is reported and left out, and so is a calendar that cannot be read; the others go on.

Every calendar is one push with a state DB of its own under the state directory, all pushes
paced by one pacer (the portal's limits are the run's), so the same command run again goes on
where it stopped and writes nothing twice. Which copy of a meeting each calendar writes is
plan/company.py's decision.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ics2b24.app.inputs import read_path
from ics2b24.app.read_ahead import ReadAhead
from ics2b24.app.run import PlanReport, Summary, make_plan, push
from ics2b24.app.session import Connection, Progress, SyncOptions, input_options
from ics2b24.app.target import Target
from ics2b24.app.verify import verify
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import Ics2b24Error, OutputError, ParseError, PortalError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.scan import CalendarScan, scan_calendar
from ics2b24.model import PortalTraits
from ics2b24.paths import data_dir
from ics2b24.plan.company import MeetingMode, PersonCalendar, left_out

__all__ = ["MeetingMode"]
from ics2b24.plan.filters import EventFilter
from ics2b24.store.files import make_private_dir

_ADDRESS = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")
_CALENDAR_SUFFIX = re.compile(r"\.ics(\.gz)?$", re.IGNORECASE)


@dataclass(frozen=True)
class ExportCalendar:
    person: str
    """The person's address (lower case), or the name of their folder when none is known."""
    name: str
    """The section it goes into."""
    source: str
    """Where in the export it is, as messages name it."""
    data: bytes = field(repr=False)
    scan: CalendarScan | None
    problem: str | None = None
    """Why it cannot be moved (it cannot be read), when it cannot."""


def read_export(path: Path) -> list[ExportCalendar]:
    """Every calendar of the export, person by person in name order. ParseError when the
    export cannot be read or holds calendars outside any person's folder or archive."""
    if not path.exists():
        raise ParseError("no such file or folder", file=str(path))
    root = str(path)
    units: dict[str, list[tuple[str, bytes]]] = {}
    for name, data in read_path(path, root):
        units.setdefault(_unit(name, root), []).append((name, data))
    out: list[ExportCalendar] = []
    for unit in sorted(units):
        person = _person(unit, [name for name, _ in units[unit]])
        taken: dict[str, int] = {}
        for name, data in units[unit]:
            out.append(_calendar(person, name, data, taken))
    return out


def _unit(name: str, root: str) -> str:
    """The person's folder or archive an input of the export is in."""
    rest = name[len(root):]
    if rest.startswith(":"):
        member = rest[1:].split("/")
        if len(member) > 1:
            return member[0]
    elif rest.startswith("/"):
        first = rest[1:].split("/")[0]
        unit = first.split(":")[0]
        if unit != rest[1:]:
            return unit
    raise ParseError("a calendar outside any person's folder: the export holds one folder "
                     "or archive per person (a Google Workspace export, or Takeout archives)",
                     file=name)


def _person(unit: str, names: Sequence[str]) -> str:
    stem = re.sub(r"\.zip$", "", unit, flags=re.IGNORECASE)
    if _ADDRESS.match(stem):
        return stem.lower()
    for name in names:
        file = _CALENDAR_SUFFIX.sub("", _file_name(name))
        if _ADDRESS.match(file):
            return file.lower()
    return stem.lower()


def _file_name(name: str) -> str:
    return PurePosixPath(name.rpartition(":")[2] if ".zip:" in name.lower() else name).name


def _calendar(person: str, name: str, data: bytes, taken: dict[str, int]) -> ExportCalendar:
    """One calendar, named after its NAME / X-WR-CALNAME, else its file; a second calendar
    of the same person and name gets a number, as two sections of one name cannot be told
    apart by name."""
    try:
        scan: CalendarScan | None = scan_calendar(name, data)
        problem = None
    except ParseError as exc:
        scan, problem = None, str(exc)
    title = (scan.name if scan and scan.name else None) or _CALENDAR_SUFFIX.sub(
        "", _file_name(name))
    count = taken.get(title.casefold(), 0) + 1
    taken[title.casefold()] = count
    if count > 1:
        title = f"{title} ({count})"
    return ExportCalendar(person, title, name, data, scan, problem)


def find_owners(client: Client, people: Sequence[str]) -> dict[str, int]:
    """Each person's portal user by their address (`user.get`, FILTER EMAIL), 50 to a
    request; a person no user has, or whose key is no address, is not in the answer."""
    addresses = [p for p in people if _ADDRESS.match(p)]
    found: dict[str, int] = {}
    for start in range(0, len(addresses), MAX_BATCH_COMMANDS):
        chunk = addresses[start:start + MAX_BATCH_COMMANDS]
        answer = client.batch({f"u{n}": ("user.get", {"FILTER": {"EMAIL": address}})
                               for n, address in enumerate(chunk)})
        if answer.errors:
            key, error = next(iter(answer.errors.items()))
            raise PortalError(error.error, f"user.get for {chunk[int(key[1:])]}: "
                              f"{error.description}")
        for n, address in enumerate(chunk):
            rows = answer.results.get(f"u{n}")
            if isinstance(rows, list) and rows and isinstance(rows[0], Mapping):
                found[address] = int(rows[0]["ID"])
    return found


@dataclass(frozen=True)
class Job:
    """One calendar's push: into its person's user calendar, with its own state DB."""

    calendar: ExportCalendar
    target: Target
    state: Path
    options: SyncOptions

    @property
    def inputs(self) -> list[tuple[str, bytes]]:
        return [(self.calendar.source, self.calendar.data)]


def jobs(calendars: Sequence[ExportCalendar], owners: Mapping[str, int], mode: MeetingMode,
         convert: ConvertChoices, state_dir: Path, *,
         others: Mapping[str, int] | None = None) -> list[Job]:
    """The pushes of every readable calendar of a person with a portal user. Attendees who
    are people of the company are mapped to their users (and `others`, a --user-map, maps
    more); with `organizer`, a meeting invites them from its organizer's calendar only, and
    their own copies are left out."""
    movable = [c for c in calendars if c.scan is not None and c.person in owners]
    moved = frozenset(c.person for c in movable)
    skipped = left_out([PersonCalendar(c.person, c.scan.meetings if c.scan else ())
                        for c in movable], mode, moved)
    user_map = {**(others or {}),
                **{person: user for person, user in owners.items() if _ADDRESS.match(person)}}
    out = []
    for calendar, skip in zip(movable, skipped, strict=True):
        options = replace(convert, mapped=user_map, invite_attendees=mode == "organizer",
                          invite_organizer=calendar.person if mode == "organizer" else None)
        state = state_dir / file_part(calendar.person) / f"{file_part(calendar.name)}.sqlite3"
        out.append(Job(calendar, Target("user", owners[calendar.person],
                                        section_name=calendar.name), state,
                       SyncOptions(convert=options, only=EventFilter(left_out=skip))))
    return out


def make_state_dirs(work: Sequence[Job]) -> list[Path]:
    """Every calendar's state DB folder (0700), made before the first push; those made. Said
    once by migrate: each push would otherwise say it for its person, a line per person."""
    return [made for job in work for made in make_private_dir(job.state.parent)]


def default_state_dir(export: Path) -> Path:
    """Where a migration keeps its state DBs unless told: one folder per export."""
    return data_dir() / "migrate" / file_part(export.resolve().name)


def file_part(text: str) -> str:
    """A name as one path component: what a file system or a shell would trip on replaced."""
    return re.sub(r"[^\w@.+-]+", "_", text).strip("._") or "_"


@dataclass
class Row:
    """One line of the report: a calendar, or a person who could not be moved."""

    person: str
    calendar: str
    owner: int | None
    events: int
    written: int = 0
    failed: int = 0
    verdict: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and not self.failed and self.verdict in ("", "equal")


def unmoved(calendars: Sequence[ExportCalendar], owners: Mapping[str, int]) -> list[Row]:
    """The report's lines for what cannot be moved: people without a portal user (one
    line each) and calendars that cannot be read."""
    rows: list[Row] = []
    for person in sorted({c.person for c in calendars if c.person not in owners}):
        rows.append(Row(person, "", None, 0, problem="no portal user has this address "
                        "(add it to --owners)"))
    for calendar in calendars:
        if calendar.person in owners and calendar.problem:
            rows.append(Row(calendar.person, calendar.name, owners[calendar.person], 0,
                            problem=calendar.problem))
    return rows


@dataclass(frozen=True)
class CompanyPlan:
    plans: list[tuple[Job, PlanReport | None, str]]
    """Each job's plan, or None and why it could not be planned."""
    seconds: float
    """Waiting the portal's limits add to every write of the company, sent by one pacer."""

    @property
    def writes(self) -> int:
        return sum(len(report.plan.writes) for _, report, _ in self.plans if report)

    @property
    def requests(self) -> int:
        return sum(report.requests for _, report, _ in self.plans if report)

    @property
    def invitations(self) -> int:
        return sum(report.plan.invitations for _, report, _ in self.plans if report)


def plan_company(work: Sequence[Job], connect: Callable[[Job], Connection]) -> CompanyPlan:
    """Every job planned (nothing written); the wait is estimated once for all their
    requests, through the pool and pacer the pushes will share."""
    plans: list[tuple[Job, PlanReport | None, str]] = []
    batches: list[Mapping[str, int]] = []
    for job in work:
        try:
            report = make_plan(job.inputs, connect(job), job.options)
        except Ics2b24Error as exc:
            plans.append((job, None, str(exc)))
            continue
        plans.append((job, report, ""))
        batches += report.batches
    seconds = 0.0
    if work and batches:
        client = connect(work[0]).client()
        try:
            seconds = client.estimate_waits(batches)
        finally:
            client.close()
    return CompanyPlan(plans, seconds)


def read_ahead(ahead: ReadAhead, work: Sequence[Job], user: Mapping[str, Any],
               traits: PortalTraits) -> None:
    """Every calendar told to the read ahead, with the options its push will ask for
    (`input_options`), so that the pushes' waits convert the ones to come."""
    for job in work:
        events = job.calendar.scan.events if job.calendar.scan else 0
        ahead.expect(job.inputs, input_options(job.options, user,
                                               traits.honours_recurrence_mode), events)


def move(job: Job, connection: Connection, *, progress: Progress | None = None
         ) -> tuple[Row, Summary | None]:
    """One calendar pushed, then verified; a failure is the row's, never the run's (a stop,
    Ctrl-C, is the run's). What was read ahead of it is let go however it ends."""
    try:
        return _pushed_and_verified(job, connection, progress)
    finally:
        if connection.read_ahead is not None:
            connection.read_ahead.done(job.inputs)


def _pushed_and_verified(job: Job, connection: Connection, progress: Progress | None
                         ) -> tuple[Row, Summary | None]:
    scan = job.calendar.scan
    row = Row(job.calendar.person, job.calendar.name, job.target.owner,
              scan.events if scan else 0)
    try:
        summary = push(job.inputs, connection, job.options, progress=progress)
    except Ics2b24Error as exc:
        row.problem = str(exc)
        return row, None
    row.written = summary.added + summary.updated + summary.deleted
    row.failed = summary.failed
    try:
        report, _, _ = verify(job.inputs, connection, job.options.convert, only=job.options.only)
    except Ics2b24Error as exc:
        row.verdict = f"not verified: {exc}"
    else:
        row.verdict = "equal" if report.equal else report.verdict()
    return row, summary


def write_report(rows: Sequence[Row], stem: Path) -> tuple[Path, Path]:
    """`STEM.csv` and `STEM.json`, one row per calendar (and per person not moved)."""
    paths = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".json")
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        with paths[0].open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([f.name for f in fields(Row)])
            writer.writerows([getattr(row, f.name) for f in fields(Row)] for row in rows)
        paths[1].write_text(json.dumps([asdict(row) for row in rows], ensure_ascii=False,
                                       indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"--report {stem}: cannot be written: {exc.strerror}") from None
    return paths
