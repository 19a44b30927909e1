"""`verify` and `doctor`: what proves a migration, reading or trying writes in a scratch
section."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import date, datetime
from typing import TYPE_CHECKING

import click

from ics2b24.cli.options import (
    FEED_AUTH_OPTION,
    STATE_OPTION,
    CredentialFlags,
    FeedAuthFlags,
    TargetFlags,
    connection_of,
    convert_options,
    credential_options,
    feeds_of,
    owner_id,
    owner_option,
    target_options,
    type_option,
    window_options,
)
from ics2b24.cli.root import cli, console_of, read_files, show_warnings
from ics2b24.errors import Mismatch, PortalError

if TYPE_CHECKING:
    from ics2b24.app.session import Connection
    from ics2b24.app.target import CalendarType
    from ics2b24.ical.choices import ConvertChoices


@cli.command()
@click.argument("files", nargs=-1)
@credential_options
@target_options
@convert_options
@window_options("First day to compare (default: the input's first day).",
                "Last day to compare (default: the input's last day, rules without end up "
                "to --horizon-end).")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
@STATE_OPTION
@FEED_AUTH_OPTION
@click.pass_context
def verify(ctx: click.Context, files: tuple[str, ...], first: datetime | None,
           last: datetime | None, as_json: bool, state: str | None, feed_auth: FeedAuthFlags,
           credentials: CredentialFlags, target: TargetFlags, conversion: ConvertChoices) -> None:
    """Compare what TARGET shows with what FILE… (or -) implies, occurrence by occurrence;
    exit 1 naming every UID that differs. Reads only (the state DB too, for the section a
    --section-name means after a rename)."""
    connection = connection_of(credentials, target, state=state)
    inputs = read_files(files, feeds_of(credentials, feed_auth))
    verify_inputs(ctx, inputs, connection, conversion, first.date() if first else None,
                  last.date() if last else None, as_json=as_json)


def verify_inputs(ctx: click.Context, inputs: list[tuple[str, bytes]],
                  connection: Connection, convert: ConvertChoices, first: date | None,
                  last: date | None, *, as_json: bool, warn: bool = True) -> None:
    from ics2b24.app.verify import verify as run_verify

    report, warnings, requests = run_verify(inputs, connection, convert, first=first,
                                            last=last)
    if warn and not as_json:
        show_warnings(ctx, warnings)
    if as_json:
        click.echo(json.dumps({**report.to_json(), "requests": requests}, ensure_ascii=False))
    else:
        for differs in report.differing:
            click.echo(differs.line())
        for view in report.views:
            for differs in view.differing:
                click.echo(f"{view.name()}: {differs.line()}")
        if report.lookalikes:
            ids = ", ".join(str(i) for i in report.lookalikes)
            click.echo(f"look-alike copies of input events (another state DB's push, or two "
                       f"runs at once; delete them in the portal): event(s) {ids}")
        window = f"{report.window.first} to {report.window.last}"
        others = (f"; the section also holds {report.other_events} other event(s)"
                  if report.other_events else "")
        months = f" and {report.months} month view(s)" if report.months else ""
        if not ctx.obj["quiet"]:
            click.echo(f"ics2b24: verify {window}{months}: {report.occurrences} occurrence(s) "
                       f"of {report.uids} UID(s): {report.verdict()}{others}; {requests} HTTP "
                       "request(s)", err=True)
    if not report.equal:
        raise Mismatch(report.verdict())


@cli.command()
@credential_options
@type_option(required=False, default="user", choices=("user", "group"),
             help="Calendar to try writes in.")
@owner_option(help="Owner id (default: you, for a user calendar).")
def doctor(calendar_type: CalendarType, owner: int | None,
           credentials: CredentialFlags) -> None:
    """Try every kind of write push relies on, in a scratch section of this portal that is
    deleted afterwards; exit 0 only when every behaviour holds."""
    from ics2b24.app.doctor import run_doctor

    with closing(credentials.client()) as client:
        report = run_doctor(client, calendar_type, owner_id(client, calendar_type, owner),
                            warn=console_of(click.get_current_context()).note)
    click.echo(report.generation_line())
    for finding in report.findings:
        click.echo(finding.line())
    failed = [f for f in report.findings if not f.held and f.checked]
    unchecked = [f for f in report.findings if not f.checked]
    if failed:
        raise Mismatch(f"{len(failed)} of {len(report.findings)} behaviour(s) push relies on "
                       "differ on this portal: do not migrate to it before they are understood"
                       + (f"; {len(unchecked)} could not be checked" if unchecked else ""))
    if unchecked:
        raise PortalError("", f"{len(unchecked)} of {len(report.findings)} behaviour(s) could "
                          "not be checked, the portal failing again and again: run doctor "
                          "again later")
