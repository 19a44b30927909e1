"""`backup`: what a section holds, as .ics on standard output; reads only."""

from __future__ import annotations

from datetime import date, datetime

import click

from ics2b24.cli.options import (
    STATE_OPTION,
    CredentialFlags,
    TargetFlags,
    connection_of,
    credential_options,
    target_options,
)
from ics2b24.cli.root import cli

BACK_YEARS, AHEAD_YEARS = 10, 5
"""The default window: a backup reads what the section shows from so many years back to so
many ahead (a series keeps its rule beyond it); `push --backup` reads the same."""

@cli.command()
@credential_options
@target_options
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help=f"First day read (default: {BACK_YEARS} years ago).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help=f"Last day read (default: {AHEAD_YEARS} years ahead).")
@STATE_OPTION
@click.pass_context
def backup(ctx: click.Context, first: datetime | None, last: datetime | None,
           state: str | None, credentials: CredentialFlags, target: TargetFlags) -> None:
    """Write what TARGET holds as .ics on standard output: series with their rules and
    skipped days, moved occurrences as RECURRENCE-ID, reminders, descriptions. Pushing it
    into an empty section gives the same calendar back. Reads only."""
    from ics2b24.app.backup import backup as run_backup
    from ics2b24.app.backup import default_window

    back, ahead = default_window(date.today(), BACK_YEARS, AHEAD_YEARS)
    made, requests = run_backup(connection_of(credentials, target, state=state),
                                first.date() if first else back,
                                last.date() if last else ahead)
    click.echo(made.calendar.decode("utf-8"), nl=False)
    if made.as_occurrences:
        names = ", ".join(sorted(set(made.as_occurrences)))
        click.echo(f"ics2b24: {len(made.as_occurrences)} series written as the occurrences "
                   "the section shows (it shows their rules otherwise than iCalendar reads "
                   f"them): {names}", err=True)
    if not ctx.obj["quiet"]:
        click.echo(f"ics2b24: backup: {made.events} event(s); {requests} HTTP request(s)",
                   err=True)
