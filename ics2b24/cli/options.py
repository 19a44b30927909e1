"""The flags several commands share, and the objects built from them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ics2b24.cli.root import console_of

if TYPE_CHECKING:
    from ics2b24.app.run import Connection, SyncOptions
    from ics2b24.app.target import CalendarType
    from ics2b24.bitrix.client import Client
    from ics2b24.bitrix.connect import Hooks, Transport


def convert_options(func: click.decorators.FC) -> click.decorators.FC:
    """The options every command that reads .ics takes (convert, plan, push)."""
    options = [
        click.option("--tz", "tz", metavar="ZONE", help="Zone for floating times "
                     "(default: the system's)."),
        click.option("--horizon-end", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                     help="Expand rules written out as occurrences up to this date "
                     "(default: today + 2 years)."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                     help="Leave out events and occurrences that end before this date."),
        click.option("--max-occurrences", type=click.IntRange(min=1), default=10_000,
                     show_default=True, help="Cap on occurrence lines of one UID."),
        click.option("--user-map", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Attendee e-mail → portal user id: CSV (email,user_id) or JSON."),
        click.option("--no-attendees", is_flag=True, help="Leave people out entirely."),
        click.option("--invite-attendees", is_flag=True,
                     help="Make attendees found in --user-map meeting participants (a real "
                     "portal invites them); without it they are named in the description."),
        click.option("--strict", is_flag=True,
                     help="Fail (exit 65) instead of skipping a broken VEVENT."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def credential_options(func: click.decorators.FC) -> click.decorators.FC:
    """Webhook or OAuth credentials; each also read from its B24_* variable, so
    secrets need not appear on a command line. Use `bitrix.connect.Credentials.from_options`."""
    options = [
        click.option("--webhook", metavar="URL", help="https://PORTAL/rest/USER_ID/TOKEN/ "
                     "(or B24_WEBHOOK)."),
        click.option("--portal", metavar="URL", help="Portal for OAuth (or B24_PORTAL)."),
        click.option("--access-token", metavar="TOKEN", help="OAuth (or B24_ACCESS_TOKEN)."),
        click.option("--refresh-token", metavar="TOKEN", help="OAuth (or B24_REFRESH_TOKEN)."),
        click.option("--client-id", metavar="ID", help="OAuth app (or B24_CLIENT_ID)."),
        click.option("--client-secret", metavar="SECRET", help="OAuth app "
                     "(or B24_CLIENT_SECRET)."),
        click.option("--oauth-server", metavar="URL", default="https://oauth.bitrix.info",
                     show_default=True, help="Where OAuth tokens are refreshed."),
        click.option("--token-file", type=click.Path(dir_okay=False), metavar="PATH",
                     help="Keep renewed OAuth tokens here (created 0600; default: one file "
                     "per portal and app in ~/.local/share/ics2b24/tokens/)."),
        click.option("--timeout", type=float, default=60.0, show_default=True,
                     metavar="SECONDS", help="How long to wait for each answer."),
        click.option("--ca-cert", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Trust the certificate (or CA) in this PEM file, e.g. the test "
                     "portal's `--tls` certificate FILE.pem."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def target_options(func: click.decorators.FC) -> click.decorators.FC:
    """TARGET: calendar type, owner and exactly one of --section / --section-name."""
    options = [
        click.option("--type", "calendar_type", required=True,
                     type=click.Choice(["user", "group", "company_calendar"]),
                     help="Calendar type."),
        click.option("--owner", type=int, help="Owner id: user or group id (default for "
                     "user: the caller; company_calendar: 0)."),
        click.option("--section", "section_id", type=int, metavar="ID",
                     help="Target section id."),
        click.option("--section-name", metavar="NAME",
                     help="Target section by name (created for user and group calendars)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def connection_of(flags: dict[str, Any], hooks: Hooks | None = None) -> Connection:
    """Pop the credential, target and pacing flags into the run's Connection. `--owner`
    defaults as for `section list`: the caller for a user calendar."""
    from ics2b24.app.run import Connection
    from ics2b24.app.target import Target, owner_of
    from ics2b24.bitrix.connect import Credentials, caller_id

    credentials = Credentials.from_options(
        os.environ, **{name: flags.pop(name) for name in (
            "webhook", "portal", "access_token", "refresh_token", "client_id",
            "client_secret", "oauth_server", "token_file")})
    transport = transport_of(flags)
    hooks = hooks or console_of(click.get_current_context()).hooks()
    calendar_type = flags.pop("calendar_type")
    owner = owner_of(calendar_type, flags.pop("owner"),
                     lambda: caller_id(credentials, transport, hooks))
    target = Target(calendar_type, owner, flags.pop("section_id"), flags.pop("section_name"))
    state = flags.pop("state", None)
    return Connection(credentials, target, Path(state) if state else None,
                      rate=flags.pop("rate", "2/50"),
                      operating_limit=flags.pop("operating_limit", 480.0),
                      transport=transport, hooks=hooks)


def transport_of(flags: dict[str, Any]) -> Transport:
    """Pop --timeout and --ca-cert."""
    from ics2b24.bitrix.connect import Transport

    ca_cert = flags.pop("ca_cert", None)
    return Transport(timeout=flags.pop("timeout"), ca_cert=Path(ca_cert) if ca_cert else None)


def sync_options_of(flags: dict[str, Any]) -> SyncOptions:
    from ics2b24.app.run import SyncOptions

    convert_keys = ("tz", "horizon_end", "since", "max_occurrences", "user_map",
                    "no_attendees", "strict", "invite_attendees")
    return SyncOptions(
        convert={name: flags.pop(name) for name in convert_keys},
        prune=flags.pop("prune", False), force=flags.pop("force", False),
        force_delete=flags.pop("force_delete", False),
        section_from_ics=flags.pop("section_from_ics", False),
    )


def sync_options(func: click.decorators.FC) -> click.decorators.FC:
    """The flags `plan` and `push` share beyond credentials, target and convert options."""
    options = [
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
        click.option("--state", type=click.Path(dir_okay=False), metavar="PATH",
                     help="State DB (default: ~/.local/share/ics2b24/state.sqlite3)."),
        click.option("--prune", is_flag=True, help="Also delete events this tool created "
                     "that are no longer in the input."),
        click.option("--force", is_flag=True, help="Rewrite events even where the input "
                     "did not change (overwrites edits made in the portal)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


_CREDENTIAL_KEYS = ("webhook", "portal", "access_token", "refresh_token", "client_id",
                    "client_secret", "oauth_server", "token_file")


def connect(options: dict[str, Any]) -> Client:
    """A client from the credential flags (popped from `options`) and the B24_* variables."""
    from ics2b24.bitrix.connect import Credentials, make_client

    flags = {key: options.pop(key) for key in _CREDENTIAL_KEYS}
    return make_client(Credentials.from_options(os.environ, **flags),
                       transport=transport_of(options),
                       hooks=console_of(click.get_current_context()).hooks())


def calendar_options(func: click.decorators.FC) -> click.decorators.FC:
    """A calendar without a section: its type and owner (the caller's own by default)."""
    options = [
        click.option("--type", "calendar_type", required=True,
                     type=click.Choice(["user", "group", "company_calendar"]),
                     help="Calendar type."),
        click.option("--owner", type=int, help="Owner id: user or group id (default for "
                     "user: the caller; company_calendar: 0)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def owner_id(client: Client, calendar_type: CalendarType, owner: int | None) -> int:
    from ics2b24.app.target import owner_of

    return owner_of(calendar_type, owner, client.user_id)
