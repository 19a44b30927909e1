"""`section list|add|update|delete`: a calendar's sections."""

from __future__ import annotations

import json
from contextlib import closing
from typing import TYPE_CHECKING

import click

from ics2b24.cli.options import (
    CredentialFlags,
    calendar_options,
    credential_options,
    owner_id,
)
from ics2b24.cli.root import cli, console_of, read_one, stdin_is_terminal
from ics2b24.errors import UsageError

if TYPE_CHECKING:
    from ics2b24.app.target import CalendarType


def section_field_options(func: click.decorators.FC) -> click.decorators.FC:
    """The documented fields of calendar.section.add/update."""
    options = [
        click.option("--description", help="Section description."),
        click.option("--color", metavar="COLOR", help="#rrggbb, #rgb or a CSS colour name."),
        click.option("--text-color", metavar="COLOR", help="Text colour, same forms."),
        click.option("--export/--no-export", "export_allow", default=None,
                     help="Allow exporting the section (export.ALLOW)."),
        click.option("--export-period", type=click.Choice(["all", "3_9", "6_12"]),
                     help="Export period (export.SET): all, 3 months back and 9 ahead, "
                     "or 6 and 12."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.group()
def section() -> None:
    """Calendar sections: list, add, update, delete (calendar.section.*)."""


@section.command("list")
@calendar_options
@credential_options
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
def section_list(calendar_type: CalendarType, owner: int | None, as_json: bool,
                 credentials: CredentialFlags) -> None:
    """List the sections of one calendar."""
    from ics2b24.app.sections import list_sections, table

    with closing(credentials.client()) as client:
        rows = list_sections(client, calendar_type, owner_id(client, calendar_type, owner))
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], ensure_ascii=False, indent=2))
        return
    for line in table(rows):
        click.echo(line)


@section.command("add")
@calendar_options
@click.option("--name", required=True, help="Section name.")
@section_field_options
@credential_options
def section_add(calendar_type: CalendarType, owner: int | None, name: str,
                description: str | None, color: str | None, text_color: str | None,
                export_allow: bool | None, export_period: str | None,
                credentials: CredentialFlags) -> None:
    """Add a section to a user or group calendar; print its id."""
    from ics2b24.app.sections import SectionFields, add_section
    from ics2b24.app.target import check_group

    fields = SectionFields.build(name=name, description=description, color=color,
                                 text_color=text_color, export_allow=export_allow,
                                 export_set=export_period)
    with closing(credentials.client()) as client:
        owner_ = owner_id(client, calendar_type, owner)
        warn = console_of(click.get_current_context()).note
        check_group(client, calendar_type, owner_, warn)
        click.echo(add_section(client, calendar_type, owner_, fields))


@section.command("update")
@calendar_options
@click.option("--id", "section_id", type=int, required=True, help="Section id.")
@click.option("--name", help="New name.")
@section_field_options
@click.option("--from-ics", "from_ics", metavar="FILE",
              help="Name, description and colour from this calendar's VCALENDAR "
              "(X-WR-CALNAME/NAME, X-WR-CALDESC/DESCRIPTION, COLOR/X-APPLE-CALENDAR-COLOR); "
              "the other flags win over it.")
@credential_options
def section_update(calendar_type: CalendarType, owner: int | None, section_id: int,
                   name: str | None, description: str | None, color: str | None,
                   text_color: str | None, export_allow: bool | None,
                   export_period: str | None, from_ics: str | None,
                   credentials: CredentialFlags) -> None:
    """Change a section; only what differs is sent."""
    from ics2b24.app.sections import SectionFields, metadata_of_ics, update_section

    fields = SectionFields.build(name=name, description=description, color=color,
                                 text_color=text_color, export_allow=export_allow,
                                 export_set=export_period)
    if from_ics is not None:
        path, data = read_one(from_ics)
        fields = fields.over(SectionFields.from_metadata(metadata_of_ics(path, data)))
    if fields.empty:
        raise UsageError("nothing to update: give --name, --description, --color, "
                         "--text-color or --from-ics")
    refusal = fields.update_refusals()
    if refusal is not None:
        raise UsageError(refusal)
    with closing(credentials.client()) as client:
        changed = update_section(client, calendar_type, owner_id(client, calendar_type, owner),
                                 section_id, fields)
    if not changed:
        click.echo(f"section {section_id} unchanged")
        return
    click.echo(f"section {section_id} updated: {', '.join(changed)}")


@section.command("delete")
@calendar_options
@click.option("--id", "section_id", type=int, required=True, help="Section id.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
@credential_options
def section_delete(calendar_type: CalendarType, owner: int | None, section_id: int, yes: bool,
                   credentials: CredentialFlags) -> None:
    """Delete a section and every event in it (say, a second section a name got when two
    runs created it at once). Asks first, saying how many events go with it."""
    from ics2b24.app.sections import (
        delete_section,
        events_in_section,
        find_section,
        list_sections,
    )

    with closing(credentials.client()) as client:
        owner_ = owner_id(client, calendar_type, owner)
        found = find_section(list_sections(client, calendar_type, owner_), section_id,
                             calendar_type, owner_)
        count = events_in_section(client, calendar_type, owner_, section_id)
        what = f"section {section_id} ({found.name!r}) and the {count} event(s) in it"
        if not yes:
            if not stdin_is_terminal():
                raise UsageError(f"delete {what}? add --yes to confirm (no terminal to ask)")
            if not click.confirm(f"Delete {what}?", err=True):
                click.echo("nothing deleted", err=True)
                return
        delete_section(client, calendar_type, owner_, section_id)
    click.echo(f"deleted {what}")
