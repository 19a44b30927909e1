"""`events list`: what a target section holds, as the calendar shows it."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ics2b24.cli.options import (
    STATE_OPTION,
    CredentialFlags,
    TargetFlags,
    connection_of,
    credential_options,
    target_options,
    window_options,
)
from ics2b24.cli.root import cli


@cli.group()
def events() -> None:
    """The events a section holds (calendar.event.get)."""


@events.command("list")
@credential_options
@target_options
@STATE_OPTION
@window_options("First day (default: 30 days ago, or 365 days before --to).",
                "Last day (default: 365 days from today, or from --from).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list, one object per "
              "occurrence.")
@click.pass_context
def events_list(ctx: click.Context, first: datetime | None, last: datetime | None,
                as_json: bool, state: str | None, credentials: CredentialFlags,
                target: TargetFlags) -> None:
    """List every occurrence TARGET shows from --from to --to, as the portal expands its
    series, sorted by start. Reads only (the state DB too, for the section a --section-name
    means after a rename)."""
    from ics2b24.app.events import list_events

    listing = list_events(connection_of(credentials, target, state=state),
                          first.date() if first else None, last.date() if last else None)
    if as_json:
        click.echo(json.dumps([o.to_json() for o in listing.occurrences], ensure_ascii=False,
                              indent=2))
    else:
        for line in listing.lines():
            click.echo(line)
    if not ctx.obj["quiet"]:
        click.echo(f"ics2b24: {len(listing.occurrences)} occurrence(s) of {listing.events} "
                   f"event(s) in section {listing.section.id} ({listing.section.name!r}) from "
                   f"{listing.window.first} to {listing.window.last}", err=True)
