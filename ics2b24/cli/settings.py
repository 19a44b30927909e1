"""`settings get|set`: the calling user's calendar settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing

import click

from ics2b24.cli.options import CredentialFlags, credential_options
from ics2b24.cli.root import cli, read_one


@cli.group()
def settings() -> None:
    """The calling user's calendar settings (calendar.user.settings.*)."""


@settings.command("get")
@credential_options
@click.option("--json", "as_json", is_flag=True, help="The portal's object as JSON.")
def settings_get(as_json: bool, credentials: CredentialFlags) -> None:
    """Show the calling user's calendar settings."""
    from ics2b24.app.settings import describe, get_settings

    with closing(credentials.client()) as client:
        current = get_settings(client)
    if as_json:
        click.echo(json.dumps(current, ensure_ascii=False, indent=2))
        return
    for line in describe(current):
        click.echo(line)


def _yes_no(name: str, key: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(f"--{name}/--no-{name}", default=None, help=f"{key} (Y/N).")


@settings.command("set")
@click.option("--view", type=click.Choice(["day", "week", "month", "list"]),
              help="Default view (view).")
@click.option("--meet-section", type=int, metavar="ID", help="Section for invitations.")
@click.option("--crm-section", type=int, metavar="ID", help="Section for CRM events.")
@click.option("--show-declined/--no-show-declined", default=None,
              help="Show events the user declined (showDeclined).")
@click.option("--deny-busy-invitation/--no-deny-busy-invitation", default=None,
              help="Refuse invitations when busy (denyBusyInvitation).")
@_yes_no("collapse-off-hours", "Hide non-working hours (collapseOffHours)")
@_yes_no("show-week-numbers", "Show week numbers (showWeekNumbers)")
@_yes_no("show-tasks", "Show tasks (showTasks)")
@_yes_no("sync-tasks", "Synchronise the task calendar (syncTasks)")
@_yes_no("show-completed-tasks", "Show completed tasks (showCompletedTasks)")
@click.option("--last-used-section", metavar="ID|none",
              help="Section for events added without one (lastUsedSection).")
@click.option("--send-from-email", metavar="EMAIL",
              help="Address mail invitations come from ('' clears it).")
@click.option("--default-section", "default_sections", multiple=True, metavar="KEY=ID",
              help="Preset section of a calendar, e.g. user12=4 or group36=49 (repeatable).")
@click.option("--sync-period-past", type=int, metavar="MONTHS",
              help="Months synchronised into the past.")
@click.option("--sync-period-future", type=int, metavar="MONTHS",
              help="Months synchronised into the future.")
@click.option("--reminder-with-time", multiple=True, metavar="15m|2h|1d|none",
              help="Default reminder of timed events (repeatable).")
@click.option("--reminder-full-day", multiple=True, metavar="15m|2h|1d|none",
              help="Default reminder of all-day events (repeatable).")
@click.option("--from-ics", "from_ics", metavar="FILE",
              help="Default reminders from this calendar's default alarms "
              "(X-APPLE-DEFAULT-ALARM, else the most common alarm of each kind).")
@click.option("--dry-run", is_flag=True, help="Show the call; send nothing.")
@credential_options
@click.pass_context
def settings_set(ctx: click.Context, view: str | None, meet_section: int | None,
                 crm_section: int | None, show_declined: bool | None,
                 deny_busy_invitation: bool | None, collapse_off_hours: bool | None,
                 show_week_numbers: bool | None, show_tasks: bool | None,
                 sync_tasks: bool | None, show_completed_tasks: bool | None,
                 last_used_section: str | None, send_from_email: str | None,
                 default_sections: tuple[str, ...], sync_period_past: int | None,
                 sync_period_future: int | None, reminder_with_time: tuple[str, ...],
                 reminder_full_day: tuple[str, ...], from_ics: str | None, dry_run: bool,
                 credentials: CredentialFlags) -> None:
    """Change calendar settings; every other key keeps its value."""
    from ics2b24.app.settings import (
        SettingsRequest,
        alarms_of_ics,
        parse_default_section,
        parse_last_used_section,
        parse_reminders,
        set_settings,
        show,
        with_proposed,
    )

    last_used, clear_last_used = parse_last_used_section(last_used_section)
    request = SettingsRequest(
        view=view, meet_section=meet_section, crm_section=crm_section,
        show_declined=show_declined, deny_busy_invitation=deny_busy_invitation,
        collapse_off_hours=collapse_off_hours, show_week_numbers=show_week_numbers,
        show_tasks=show_tasks, sync_tasks=sync_tasks,
        show_completed_tasks=show_completed_tasks, last_used_section=last_used,
        clear_last_used_section=clear_last_used, send_from_email=send_from_email,
        default_sections=tuple(parse_default_section(v) for v in default_sections),
        sync_period_past=sync_period_past, sync_period_future=sync_period_future,
        reminders_with_time=parse_reminders(reminder_with_time, "--reminder-with-time"),
        reminders_full_day=parse_reminders(reminder_full_day, "--reminder-full-day"),
    )
    if from_ics is not None:
        path, data = read_one(from_ics)
        request, notes = with_proposed(request, alarms_of_ics(path, data))
        if not ctx.obj["quiet"]:
            for note in notes:
                click.echo(f"ics2b24: {note}", err=True)
    with closing(credentials.client()) as client:
        outcome = set_settings(client, request, dry_run=dry_run)
    if dry_run:
        click.echo(json.dumps({"method": "calendar.user.settings.set",
                               "params": outcome.params}, ensure_ascii=False, indent=2))
        return
    if not outcome.changes:
        click.echo("settings unchanged")
    for change in outcome.changes:
        click.echo(f"{change.key}: {show(change.key, change.old)} -> "
                   f"{show(change.key, change.new)}")
