"""`ics2b24 migrate EXPORT`: a company's calendars, person by person, each into a section of
its own (app/company.py); `--dry-run` plans it all first, the report says how each went."""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ics2b24.cli.options import CredentialFlags, convert_options, credential_options
from ics2b24.cli.root import cli, console_of
from ics2b24.cli.sync import (
    OPERATING_LIMIT_OPTION,
    PUSHED,
    RATE_OPTION,
    hooks_of,
    limits_said,
    running,
    show_invitations,
)
from ics2b24.errors import PortalError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ics2b24.app.company import CompanyPlan, ExportCalendar, Job, MeetingMode, Row
    from ics2b24.app.read_ahead import ReadAhead
    from ics2b24.app.session import Connection
    from ics2b24.bitrix.client import Client
    from ics2b24.cli.console import Console
    from ics2b24.ical.choices import ConvertChoices
    from ics2b24.model import PortalTraits


@cli.command()
@click.argument("export", type=click.Path(exists=True))
@click.option("--owners", metavar="MAP", help="CSV (email,user_id) or JSON {email: id}: "
              "each person's portal user (default: looked up by e-mail with user.get).")
@click.option("--meetings", type=click.Choice(["copies", "organizer"]), default="copies",
              show_default=True, help="copies: every person keeps their own copy and "
              "nobody is invited; organizer: one meeting, from its organizer's calendar, "
              "with the others as attendees (the portal invites them to those to come).")
@click.option("--dry-run", is_flag=True, help="Plan the whole company; write nothing.")
@click.option("--state-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="One state DB per person and calendar (default: "
              "~/.local/share/ics2b24/migrate/EXPORT-NAME/); the same command run again "
              "goes on where it stopped.")
@click.option("--backup", "backup_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Before changing a section that exists already, save what it holds to "
              "DIR/PERSON/CALENDAR.ics (as `backup` writes it).")
@click.option("--report", "report_stem", metavar="STEM", help="Write STEM.csv and STEM.json: "
              "per person and calendar, events, writes, failures and verify's verdict "
              "(default: STATE-DIR/report).")
@RATE_OPTION
@OPERATING_LIMIT_OPTION
@credential_options
@convert_options
@click.pass_context
def migrate(ctx: click.Context, export: str, owners: str | None, meetings: str, dry_run: bool,
            state_dir: str | None, backup_dir: str | None, report_stem: str | None,
            rate: str, operating_limit: float, credentials: CredentialFlags,
            conversion: ConvertChoices) -> None:
    """Move a company's calendars: EXPORT is a Google Workspace export or a folder of
    Takeout archives, one folder or archive per person. Each calendar goes into a section
    named after it in its person's calendar; the credentials must be an administrator's."""
    from ics2b24.app.company import find_owners, read_export
    from ics2b24.app.conversion import read_user_map
    from ics2b24.app.session import current_user
    from ics2b24.bitrix.connect import make_client, make_pacer

    if conversion.invite_attendees:
        raise UsageError("migrate invites through --meetings organizer (a meeting once, from "
                         "its organizer), not --invite-attendees (every copy would invite)")
    path = Path(export)
    calendars = read_export(path)
    console = console_of(ctx)
    pacer = make_pacer(rate, operating_limit)
    account, transport = credentials.credentials(), credentials.transport()
    client = make_client(account, transport=transport, hooks=hooks_of(console), pacer=pacer)
    try:
        found = (read_user_map(owners, "--owners") if owners
                 else find_owners(client, sorted({c.person for c in calendars})))
        _check_admin(client, found)
        traits = None if dry_run else _traits(console, client)
        user = current_user(client)
        admin = client.is_admin()
    finally:
        client.close()
    states = _state_dir(state_dir, path)
    work = _jobs(calendars, found, meetings, conversion, states)

    def connect(job: Job, heard: Console, ahead: ReadAhead | None = None) -> Connection:
        """The job's connection, telling `heard` of its waits and notes: the console whose
        bar shows the job's progress."""
        from ics2b24.app.session import Connection

        return Connection(account, job.target, job.state, rate=rate,
                          operating_limit=operating_limit, transport=transport,
                          hooks=replace(hooks_of(heard), idle=ahead.use if ahead else None),
                          pacer=pacer, traits=traits, read_ahead=ahead,
                          user=user, admin=admin)

    from ics2b24.app.company import make_state_dirs, plan_company, unmoved

    skipped = unmoved(calendars, found)
    if dry_run:
        _show_plan(plan_company(work, lambda job: connect(job, console)), skipped, backup_dir)
        return
    assert traits is not None
    made = make_state_dirs(work)
    if made:
        console.note(f"created {len(made)} folder(s) (0700) for the state DBs in {states}")
    rows = [*skipped, *_move_all(ctx, work, connect, user, traits, backup_dir)]
    _finish(ctx, rows, Path(report_stem) if report_stem else states / "report")


def _move_all(ctx: click.Context, work: list[Job],
              connect: Callable[[Job, Console, ReadAhead], Connection], user: dict[str, Any],
              traits: PortalTraits, backup_dir: str | None) -> list[Row]:
    """Every calendar moved in turn, the next ones converted while the portal's limits hold
    this one's writes (app/read_ahead.py), the sections found and made first, in batches
    for all of them (app/company_sections.py)."""
    from ics2b24.app.company import read_ahead
    from ics2b24.app.company_sections import sections_ahead
    from ics2b24.app.read_ahead import ReadAhead

    rows = []
    ahead = ReadAhead()
    read_ahead(ahead, work, user, traits)
    sections = {}
    if work:
        with closing(connect(work[0], console_of(ctx), ahead).client()) as client:
            sections = sections_ahead(client, work)
    for job in work:
        own = console_of(ctx)
        connection = replace(connect(job, own, ahead), section=sections.get(job.state))
        rows.append(_moved(ctx, job, connection, own, backup_dir))
    return rows


def _check_admin(client: Client, owners: dict[str, int]) -> None:
    """Refuse before anything is written when the credentials may not write the others'
    calendars (app/target.py)."""
    from ics2b24.app.target import require_section_writer

    others = sorted({user for user in owners.values() if user != client.user_id()})
    if others:
        require_section_writer(client, "user", others[0])


def _traits(console: Console, client: Client) -> PortalTraits:
    """The portal's calendar code, found out once (in the caller's own calendar) for every
    calendar of the company rather than once per state DB."""
    from ics2b24.app.traits import probe_traits

    traits = probe_traits(client, "user", client.user_id())
    console.note(f"the portal runs the {traits.generation} calendar code")
    return traits


def _jobs(calendars: list[ExportCalendar], owners: dict[str, int], meetings: str,
          conversion: ConvertChoices, state_dir: Path) -> list[Job]:
    from ics2b24.app.company import jobs
    from ics2b24.app.conversion import read_user_map

    extra = read_user_map(conversion.user_map) if conversion.user_map else {}
    mode: MeetingMode = "organizer" if meetings == "organizer" else "copies"
    return jobs(calendars, owners, mode, replace(conversion, user_map=None), state_dir,
                others=extra)


def _state_dir(given: str | None, export: Path) -> Path:
    from ics2b24.app.company import default_state_dir

    return Path(given) if given else default_state_dir(export)


def _show_plan(plan: CompanyPlan, skipped: list[Row], backup_dir: str | None) -> None:
    """One line per calendar, then the company's totals and how long the limits make it."""
    for job, report, problem in plan.plans:
        where = f"{job.calendar.person} / {job.calendar.name} (user {job.target.owner})"
        if report is None:
            click.echo(f"{where}: cannot be planned: {problem}")
            continue
        invites = (f", {report.plan.invitations} invitation(s)" if report.plan.invitations
                   else "")
        click.echo(f"{where}: {len(report.plan.writes)} write(s) in {report.requests} "
                   f"request(s){invites}")
    for row in skipped:
        click.echo(f"{row.person}{' / ' + row.calendar if row.calendar else ''}: not moved: "
                   f"{row.problem}")
    people = {job.calendar.person for job, _, _ in plan.plans}
    events = sum(job.calendar.scan.events for job, _, _ in plan.plans if job.calendar.scan)
    click.echo(f"{len(people)} people, {len(plan.plans)} calendar(s), {events} event(s): "
               f"{plan.writes} write call(s) in {plan.requests} request(s); "
               f"{limits_said(plan.seconds, 'it')}.")
    show_invitations(plan.invitations)
    if backup_dir is None:
        click.echo("Sections that exist already are changed as they are: --backup DIR saves "
                   "what each holds first.")


def _moved(ctx: click.Context, job: Job, connection: Connection, console: Console,
           backup_dir: str | None) -> Row:
    from ics2b24.app.backup import default_window, save_before_push
    from ics2b24.app.company import file_part, move
    from ics2b24.cli.backup import AHEAD_YEARS, BACK_YEARS

    with running(console, connection, PUSHED, False):
        if backup_dir:
            path = Path(backup_dir) / file_part(job.calendar.person)
            path.mkdir(parents=True, exist_ok=True)
            save_before_push(connection, path / f"{file_part(job.calendar.name)}.ics",
                             default_window(date.today(), BACK_YEARS, AHEAD_YEARS))
        row, summary = move(job, connection, progress=console.progress)
    console.close()
    if not ctx.obj["quiet"]:
        said = summary.line() if summary is not None else row.problem
        verdict = f"; verify: {row.verdict}" if row.verdict else ""
        click.echo(f"ics2b24: [{row.person} / {row.calendar}] {said}{verdict}", err=True)
    return row


def _finish(ctx: click.Context, rows: list[Row], stem: Path) -> None:
    from ics2b24.app.company import write_report

    csv_path, json_path = write_report(rows, stem)
    if not ctx.obj["quiet"]:
        click.echo(f"ics2b24: report in {csv_path} and {json_path}", err=True)
    bad = [row for row in rows if not row.ok]
    if bad:
        raise PortalError("", f"{len(bad)} of {len(rows)} calendar(s) not moved in full (see "
                          f"{csv_path}); the same command run again goes on where it stopped")
