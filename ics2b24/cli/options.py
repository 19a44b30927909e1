"""The flags several commands share, each declared once, and the typed values a command
receives instead of loose keyword arguments: `CredentialFlags`, `TargetFlags`,
`ConvertChoices` (ical/choices.py) and `SyncFlags`, built once when click calls the command."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from ics2b24.bitrix.limits import DEFAULT_RATE, OPERATING_LIMIT
from ics2b24.cli.root import console_of
from ics2b24.errors import UsageError
from ics2b24.ical.choices import CHOICE_FLAGS, ConvertChoices
from ics2b24.model import DEFAULT_MAX_OCCURRENCES

if TYPE_CHECKING:
    from ics2b24.app.feeds import Feeds
    from ics2b24.app.session import Connection, SyncOptions
    from ics2b24.app.target import CalendarType
    from ics2b24.bitrix.client import Client
    from ics2b24.bitrix.connect import Credentials, Hooks, Transport
    from ics2b24.bitrix.limits import Pacer

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def _grouped(cls: type, name: str, options: list[Decorator[Any]],
             keys: Sequence[str] | None = None) -> Decorator[F]:
    """Add `options` to a command and hand it one `cls`, built from their values, as the
    keyword argument `name`; `keys`: the fields the options set (default: every field)."""
    keys = list(keys) if keys is not None else [f.name for f in fields(cls)]

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = cls(**{key: kwargs.pop(key) for key in keys})
            return func(*args, **kwargs)

        wrapped: Any = command
        for option in reversed(options):
            wrapped = option(wrapped)
        return cast(F, wrapped)

    return decorate


def type_option(*, required: bool = True, default: str | None = None,
                choices: tuple[str, ...] = ("user", "group", "company_calendar"),
                help: str = "Calendar type.") -> Decorator[Any]:
    """`--type`: which kind of calendar."""
    return click.option("--type", "calendar_type", required=required, default=default,
                        show_default=default is not None, type=click.Choice(list(choices)),
                        help=help)


def owner_option(help: str = "Owner id: user or group id (default for user: the caller; "
                 "company_calendar: 0).") -> Decorator[Any]:
    """`--owner`: whose calendar."""
    return click.option("--owner", type=int, help=help)


def _state_path(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An empty `--state` (an unset shell variable) is refused: read as no flag, it would
    silently use the default state DB, whose records belong to other runs."""
    if value is not None and not value.strip():
        raise UsageError("--state is empty: give the state DB's path, or leave --state out "
                         "for the default")
    return value


STATE_OPTION: Decorator[Any] = click.option(
    "--state", type=click.Path(dir_okay=False), metavar="PATH", callback=_state_path,
    help="State DB (default: ~/.local/share/ics2b24/state.sqlite3).")
"""`--state`, for every command that keeps or reads the state DB."""


def _day(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> date | None:
    """A YYYY-MM-DD option as the date it names (click reads it as a date-time)."""
    return value.date() if value is not None else None


convert_options: Decorator[Any] = _grouped(ConvertChoices, "conversion", [
    click.option("--tz", "tz", metavar="ZONE", help="Zone of floating times (no TZID, no "
                 "Z) in a calendar without X-WR-TIMEZONE (which wins: it speaks for its own "
                 "calendar). Without --tz, plan and push take the portal user's zone, with a "
                 "warning naming it; convert, knowing no portal, refuses them. Also the zone "
                 "of TZIDs no VTIMEZONE defines (default then: the system's)."),
    click.option("--horizon-end", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                 callback=_day, help="Expand rules written out as occurrences up to this date "
                 "(default: today + 2 years)."),
    click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                 callback=_day, help="Leave out events and occurrences that end before this date."),
    click.option("--max-occurrences", type=click.IntRange(min=1),
                 default=DEFAULT_MAX_OCCURRENCES, show_default=True,
                 help="Cap on occurrence lines of one UID."),
    click.option("--user-map", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Attendee e-mail → portal user id: CSV (email,user_id) or JSON."),
    click.option("--no-attendees", is_flag=True, help="Leave people out entirely."),
    click.option("--invite-attendees", is_flag=True,
                 help="Make attendees found in --user-map meeting participants (a real "
                 "portal invites them); without it they are named in the description."),
    click.option("--strict", is_flag=True,
                 help="Fail (exit 65) instead of skipping a broken VEVENT."),
], keys=CHOICE_FLAGS)
"""The options every command that reads .ics takes, as `conversion: ConvertChoices` (how
the input is converted: convert, plan, push, verify, migrate)."""


@dataclass(frozen=True)
class CredentialFlags:
    """Webhook or OAuth credentials and how requests travel; each credential is also read
    from its B24_* variable, so secrets need not appear on a command line."""

    webhook: str | None
    portal: str | None
    access_token: str | None
    refresh_token: str | None
    client_id: str | None
    client_secret: str | None
    oauth_server: str
    token_file: str | None
    timeout: float
    ca_cert: str | None

    def credentials(self) -> Credentials:
        from ics2b24.bitrix.connect import Credentials

        return Credentials.from_options(
            os.environ, webhook=self.webhook, portal=self.portal,
            access_token=self.access_token, refresh_token=self.refresh_token,
            client_id=self.client_id, client_secret=self.client_secret,
            oauth_server=self.oauth_server, token_file=self.token_file)

    def transport(self) -> Transport:
        from ics2b24.bitrix.connect import Transport

        return Transport(timeout=self.timeout,
                         ca_cert=Path(self.ca_cert) if self.ca_cert else None)

    def client(self) -> Client:
        """A client from these flags and the B24_* variables."""
        from ics2b24.bitrix.connect import make_client

        return make_client(self.credentials(), transport=self.transport(),
                           hooks=console_of(click.get_current_context()).hooks())


def _pool(ctx: click.Context, param: click.Parameter, urls: tuple[str, ...]) -> str | None:
    """Repeated --webhook as one text, as B24_WEBHOOK holds a pool (bitrix/client.py)."""
    return " ".join(urls) or None


credential_options: Decorator[Any] = _grouped(CredentialFlags, "credentials", [
    click.option("--webhook", metavar="URL", multiple=True, callback=_pool,
                 help="https://PORTAL/rest/USER_ID/TOKEN/ (or B24_WEBHOOK). Repeat it with "
                 "more webhooks of the same user (or separate them by spaces in "
                 "B24_WEBHOOK): each has its own operating-time limit, so a pool of N lets "
                 "a large run go up to N times faster."),
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
                 metavar="SECONDS", help="How long to wait for each whole answer."),
    click.option("--ca-cert", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Trust the certificate (or CA) in this PEM file, e.g. the test "
                 "portal's `--tls` certificate FILE.pem."),
])
"""The credential and transport flags, as `credentials: CredentialFlags`."""


@dataclass(frozen=True)
class TargetFlags:
    """TARGET: calendar type, owner and exactly one of --section / --section-name."""

    calendar_type: CalendarType
    owner: int | None
    section_id: int | None
    section_name: str | None


target_options: Decorator[Any] = _grouped(TargetFlags, "target", [
    type_option(),
    owner_option(),
    click.option("--section", "section_id", type=int, metavar="ID",
             help="Target section id."),
    click.option("--section-name", metavar="NAME",
             help="Target section by name (created for user and group calendars)."),
])
"""TARGET, as `target: TargetFlags`."""


@dataclass(frozen=True)
class SyncFlags:
    """What `plan` and `push` share beyond credentials, target and convert options."""

    state: str | None
    prune: bool
    force: bool


sync_options: Decorator[Any] = _grouped(SyncFlags, "sync", [
    click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
    STATE_OPTION,
    click.option("--prune", is_flag=True, help="Also delete events this tool created "
             "that are no longer in the input."),
    click.option("--force", is_flag=True, help="Rewrite events even where the input "
             "did not change (overwrites edits made in the portal)."),
])
"""`--state`, `--prune`, `--force`, as `sync: SyncFlags`; and `--json` (`as_json`)."""


@dataclass(frozen=True)
class FeedAuthFlags:
    feed_auth_env: str | None
    feed_auth_command: str | None


FEED_AUTH_OPTION: Decorator[Any] = _grouped(FeedAuthFlags, "feed_auth", [
    click.option("--feed-auth-env", metavar="VAR", help="Fetch URL inputs with the "
                 "credentials in this environment variable: user:password (basic) or "
                 "'Bearer TOKEN' (default: ICS2B24_FEED_AUTH, if set)."),
    click.option("--feed-auth-command", metavar="CMD", help="Fetch URL inputs with the "
                 "credentials this command prints (run without a shell), in the same forms."),
])
"""`--feed-auth-env`/`--feed-auth-command` as `feed_auth: FeedAuthFlags`, for every command
whose FILE… may be a URL and that has --timeout."""


def feeds_of(credentials: CredentialFlags, feed_auth: FeedAuthFlags,
             target: TargetFlags | None = None) -> Feeds:
    """How URL inputs are fetched: with --timeout and --ca-cert, and for a push (`target`)
    with their validators kept for TARGET."""
    from ics2b24.app.feeds import AuthSource, Feeds, feed_target
    from ics2b24.app.feeds import feed_auth as read_auth

    kept = ""
    if target is not None:
        account = credentials.credentials()
        kept = feed_target(account.address, target.calendar_type,
                           target.owner, target.section_id, target.section_name)
    source = AuthSource(feed_auth.feed_auth_env, feed_auth.feed_auth_command)
    return Feeds(auth=read_auth(os.environ, source), transport=credentials.transport(),
                 target=kept)


def connection_of(credentials: CredentialFlags, target: TargetFlags, *,
                  state: str | None = None, rate: str = DEFAULT_RATE,
                  operating_limit: float = OPERATING_LIMIT, hooks: Hooks | None = None,
                  pacer: Pacer | None = None) -> Connection:
    """The run's Connection. `--owner` defaults as for `section list`: the caller for a user
    calendar. `pacer`: one the run's other connections to the portal share."""
    from ics2b24.app.session import Connection
    from ics2b24.app.target import Target, owner_of
    from ics2b24.bitrix.connect import caller_id

    account = credentials.credentials()
    transport = credentials.transport()
    hooks = hooks or console_of(click.get_current_context()).hooks()
    owner = owner_of(target.calendar_type, target.owner,
                     lambda: caller_id(account, transport, hooks))
    where = Target(target.calendar_type, owner, target.section_id, target.section_name)
    return Connection(account, where, Path(state) if state else None, rate=rate,
                      operating_limit=operating_limit, transport=transport, hooks=hooks,
                      pacer=pacer)


def sync_options_of(conversion: ConvertChoices, sync: SyncFlags, *, force_delete: bool = False,
                    section_from_ics: bool = False, feeds: Feeds | None = None) -> SyncOptions:
    from ics2b24.app.session import SyncOptions

    return SyncOptions(convert=conversion, prune=sync.prune, force=sync.force,
                       force_delete=force_delete, section_from_ics=section_from_ics,
                       feeds=dict(feeds.answers) if feeds is not None else {})


def window_options(first_help: str, last_help: str) -> Decorator[Any]:
    """`--from`/`--to` (as `first`/`last`): the days a command that reads the calendar looks
    at; each command says its own defaults."""
    def decorate(func: F) -> F:
        for name, dest, text in (("--to", "last", last_help), ("--from", "first", first_help)):
            func = click.option(name, dest, type=click.DateTime(["%Y-%m-%d"]),
                                metavar="YYYY-MM-DD", help=text)(func)
        return func

    return decorate


def calendar_options(func: F) -> F:
    """A calendar without a section: its type and owner (the caller's own by default)."""
    return type_option()(owner_option()(func))


def owner_id(client: Client, calendar_type: CalendarType, owner: int | None) -> int:
    from ics2b24.app.target import owner_of

    return owner_of(calendar_type, owner, client.user_id)
