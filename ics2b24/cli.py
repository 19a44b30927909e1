"""Command line: parse flags, call one function, map errors to exit codes (SPEC §5).

Exit codes live in `_EXIT_CODES` and `main()` alone: 0 success, 1 portal refused some work,
2 bad usage (flags, credentials, an address that is no working Bitrix24 endpoint, a state DB
that cannot be used), 3 refused for safety, 65 unreadable input, 74 output that cannot be
written, 130 interrupted.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ics2b24 import __version__
from ics2b24.errors import (
    EndpointError,
    Ics2b24Error,
    Interrupted,
    Mismatch,
    OutputError,
    ParseError,
    PortalError,
    SafetyError,
    UsageError,
)

if TYPE_CHECKING:
    from ics2b24.connect import CalendarType, Hooks, Transport
    from ics2b24.console import Console
    from ics2b24.push.client import Client
    from ics2b24.sync.run import Connection, PlanReport, Summary, SyncOptions, UndoPreview

EXIT_OK = 0
EXIT_PORTAL = 1
EXIT_USAGE = 2
EXIT_SAFETY = 3
EXIT_DATAERR = 65
EXIT_IOERR = 74
EXIT_INTERRUPTED = 130


def _read_inputs(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """Read every FILE (or `-` for stdin) up front, so a missing file fails before any work;
    a .zip, .ics.gz or folder gives every calendar in it (ics2b24.inputs)."""
    from ics2b24.inputs import read_inputs

    if not paths:
        raise UsageError("no input: give one or more .ics files, or - for standard input")
    return read_inputs(paths, sys.stdin.buffer)


def _read_one(path: str) -> tuple[str, bytes]:
    """The one calendar a `--from-ics` names; an archive or folder holding several is refused
    rather than one of them picked."""
    found = _read_inputs((path,))
    if len(found) != 1:
        raise UsageError(f"--from-ics {path}: holds {len(found)} calendars; name one .ics file")
    return found[0]


def _output_flag(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """`-v`/`-q` given after a subcommand count as if given before it."""
    from ics2b24.console import set_verbosity

    if not value or ctx.obj is None:
        return
    if param.name == "verbose":
        ctx.obj["verbose"] += value
    else:
        ctx.obj["quiet"] = True
    set_verbosity(ctx.obj["verbose"], ctx.obj["quiet"])


class _Command(click.Command):
    """Every command also takes -v/-q after its name (`ics2b24 push … -q`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params += [
            click.Option(["-v", "--verbose"], count=True, expose_value=False,
                         callback=_output_flag, help="More detail on stderr: each HTTP "
                         "request (repeatable)."),
            click.Option(["-q", "--quiet"], is_flag=True, expose_value=False,
                         callback=_output_flag, help="Only errors on stderr."),
        ]


class _ReaderGone(Exception):
    """Standard output's reader stopped reading (`| head -1`): no error, the run is over."""


class _Group(click.Group):
    command_class = _Command
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        """A closed pipe leaves here as `_ReaderGone`, before click's own handling turns it
        into exit 1."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _ReaderGone() from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ics2b24")
@click.option("-v", "--verbose", count=True, help="More detail on stderr: each HTTP request.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Bring iCalendar (.ics) data into a Bitrix24 portal's calendar."""
    from ics2b24.console import set_verbosity

    ctx.obj = {"verbose": verbose, "quiet": quiet}
    set_verbosity(verbose, quiet)


def _console(ctx: click.Context, label: str = "pushing") -> Console:
    from ics2b24.console import Console

    return Console(quiet=ctx.obj["quiet"], verbose=ctx.obj["verbose"], label=label)


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
    """Webhook or OAuth credentials; each also read from its B24_* variable (SPEC §5), so
    secrets need not appear on a command line. Use `connect.Credentials.from_options`."""
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


@cli.command()
@click.argument("files", nargs=-1)
@convert_options
@click.pass_context
def convert(ctx: click.Context, files: tuple[str, ...], tz: str | None,
            horizon_end: date | None, since: date | None, max_occurrences: int,
            user_map: str | None, no_attendees: bool, strict: bool,
            invite_attendees: bool) -> None:
    """Write the Bitrix24 events FILE… (or - for stdin) must become, as JSON Lines."""
    from ics2b24.ical.convert import ConvertOptions, convert_inputs

    options = ConvertOptions.build(
        tz=tz, horizon_end=horizon_end, since=since, max_occurrences=max_occurrences,
        user_map=user_map, no_attendees=no_attendees, strict=strict,
        invite_attendees=invite_attendees,
    )
    inputs = _read_inputs(files)
    console = _console(ctx)
    console.status(f"reading {inputs[0][0] if len(inputs) == 1 else f'{len(inputs)} files'}…")
    result = convert_inputs(inputs, options)
    console.close()
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
    _warn(ctx, result.warnings)
    if not result.events:
        console.note("no events in the input")


def _connection(flags: dict[str, Any], hooks: Hooks | None = None) -> Connection:
    """Pop the credential, target and pacing flags into the run's Connection. `--owner`
    defaults as for `section list`: the caller for a user calendar."""
    from ics2b24.connect import Credentials, Target, caller_id, owner_of
    from ics2b24.sync.run import Connection

    credentials = Credentials.from_options(
        os.environ, **{name: flags.pop(name) for name in (
            "webhook", "portal", "access_token", "refresh_token", "client_id",
            "client_secret", "oauth_server", "token_file")})
    transport = _transport(flags)
    hooks = hooks or _console(click.get_current_context()).hooks()
    calendar_type = flags.pop("calendar_type")
    owner = owner_of(calendar_type, flags.pop("owner"),
                     lambda: caller_id(credentials, transport, hooks))
    target = Target(calendar_type, owner, flags.pop("section_id"), flags.pop("section_name"))
    state = flags.pop("state", None)
    return Connection(credentials, target, Path(state) if state else None,
                      rate=flags.pop("rate", "2/50"),
                      operating_limit=flags.pop("operating_limit", 480.0),
                      transport=transport, hooks=hooks)


def _transport(flags: dict[str, Any]) -> Transport:
    """Pop --timeout and --ca-cert."""
    from ics2b24.connect import Transport

    ca_cert = flags.pop("ca_cert", None)
    return Transport(timeout=flags.pop("timeout"), ca_cert=Path(ca_cert) if ca_cert else None)


def _sync_options(flags: dict[str, Any]) -> SyncOptions:
    from ics2b24.sync.run import SyncOptions

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


def _print_plan(report: PlanReport, as_json: bool) -> None:
    """The table of write calls (a delete names the portal event it removes), then what
    they cost: requests, and the waiting the portal's limits add."""
    from ics2b24.console import duration

    plan = report.plan
    writes = plan.writes
    if as_json:
        for op in writes:
            click.echo(json.dumps(op.to_json(), ensure_ascii=False))
        return
    unchanged = plan.unchanged - report.recovered
    recovered = (f"; {report.recovered} event(s) already in the portal are adopted "
                 "(recovered), not added again" if report.recovered else "")
    if not writes:
        click.echo(f"Nothing to do: {unchanged} event(s) unchanged{recovered}.")
        return
    rows = [("OP", "EVENT", "UID", "RECURRENCE-ID", "NAME")]
    for op in writes:
        name = (op.desired.params.name if op.desired is not None
                else report.names.get(op.event_id or 0, ""))
        rows.append((op.kind, str(op.event_id or "new"), op.uid, op.recurrence_id or "",
                     name))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
                   + "  " + row[4])
    limits = (f"the portal's limits make them take at least {duration(report.waits)}"
              if report.waits >= 1 else "the portal's limits add no waiting")
    click.echo(f"{len(writes)} write call(s) in {report.requests} request(s); {limits}; "
               f"{unchanged} event(s) unchanged{recovered}.")
    if plan.invitations:
        click.echo(f"The portal would send {plan.invitations} invitation(s) to attendees of "
                   "meetings still to come.")


def _warn(ctx: click.Context, warnings: list[str]) -> None:
    if not ctx.obj["quiet"] and warnings:
        click.echo(f"ics2b24: {len(warnings)} warning(s):", err=True)
        for warning in warnings:
            click.echo(f"  {warning}", err=True)


@cli.command()
@click.argument("files", nargs=-1)
@credential_options
@target_options
@convert_options
@sync_options
@click.pass_context
def plan(ctx: click.Context, files: tuple[str, ...], as_json: bool, **flags: Any) -> None:
    """Show what push would change in TARGET for FILE… (or -); sends no write call."""
    _show_plan(ctx, _read_inputs(files), flags, as_json)


def _show_plan(ctx: click.Context, inputs: list[tuple[str, bytes]], flags: dict[str, Any],
               as_json: bool) -> None:
    from ics2b24.sync.run import make_plan

    report = make_plan(inputs, _connection(flags), _sync_options(flags))
    _warn(ctx, report.warnings)
    _print_plan(report, as_json)


@cli.command()
@click.argument("files", nargs=-1)
@credential_options
@target_options
@convert_options
@sync_options
@click.option("--dry-run", is_flag=True, help="Only show the plan (same as `plan`).")
@click.option("--reject-file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Write the events the portal refused here (.ics, X-ICS2B24-ERROR).")
@click.option("--force-delete", is_flag=True,
              help="Let --prune delete more than half of the managed events.")
@click.option("--section-from-ics", is_flag=True,
              help="Name, describe and colour the section like the VCALENDAR.")
@click.option("--rate", default="2/50", show_default=True, metavar="Y/X",
              help="Portal request limit: Y per second, burst X (Enterprise: 5/250).")
@click.option("--operating-limit", type=float, default=480.0, show_default=True,
              metavar="SECONDS", help="Portal operating time per method per 10 minutes.")
@click.option("--verify", "then_verify", is_flag=True,
              help="After pushing, read the section back and compare it with the input "
              "(as `verify` does).")
@click.pass_context
def push(ctx: click.Context, files: tuple[str, ...], as_json: bool, dry_run: bool,
         reject_file: str | None, then_verify: bool, **flags: Any) -> None:
    """Make TARGET match FILE… (or -), recording every confirmed change."""
    from ics2b24.sync import run

    inputs = _read_inputs(files)
    if dry_run:
        _show_plan(ctx, inputs, flags, as_json)
        return
    console = _console(ctx)
    connection = _connection(flags, console.hooks())
    options = _sync_options(flags)
    with _running(console, connection, "change(s)"):
        summary = run.push(inputs, connection, options, progress=console.progress)
    _finish(ctx, summary, as_json, reject_file)
    if then_verify:
        _verify(ctx, inputs, connection, options.convert, None, None, as_json=False,
                warn=False)


@cli.command()
@credential_options
@target_options
@click.option("--state", type=click.Path(dir_okay=False), metavar="PATH",
              help="State DB (default: ~/.local/share/ics2b24/state.sqlite3).")
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
@click.option("--json", "as_json", is_flag=True, help="Summary as one JSON object.")
@click.pass_context
def undo(ctx: click.Context, yes: bool, as_json: bool, **flags: Any) -> None:
    """Delete every event this tool created in TARGET (as its state DB records)."""
    from ics2b24.sync import run

    console = _console(ctx, "deleting")
    connection = _connection(flags, console.hooks())
    preview = run.undo_preview(connection)
    if preview.total == 0:
        click.echo("Nothing to undo: the state DB records no event created in this target.",
                   err=True)
        return
    if not yes and not _confirm_undo(preview):
        click.echo("ics2b24: nothing deleted", err=True)
        return
    with _running(console, connection, "deletion(s)"):
        summary = run.undo(connection, progress=console.progress)
    _finish(ctx, summary, as_json, None)


def _confirm_undo(preview: UndoPreview) -> bool:
    """Ask at a terminal, naming what would go; without one, refuse (exit 2), since no one
    can answer and deleting unasked is not for a script to assume."""
    what = f"{preview.total} event(s) ics2b24 created in this target ({preview.line()})"
    if not sys.stdin.isatty():
        raise UsageError(f"undo would delete {what}; there is no terminal to ask: add --yes "
                         "to delete them")
    return click.confirm(f"Delete {what}?", err=True)


@contextmanager
def _running(console: Console, connection: Connection, what: str) -> Iterator[None]:
    """The bar's line is ended whatever happens; Ctrl-C says what was kept and how to go on."""
    try:
        yield
    except KeyboardInterrupt:
        console.close()
        done = (f" after {console.done} of {console.total} {what}" if console.total
                else " before any change was sent")
        raise Interrupted(
            f"interrupted{done}; every change the portal confirmed is recorded in "
            f"{connection.state_path}: run the same command again to continue") from None
    finally:
        console.close()


def _finish(ctx: click.Context, summary: Summary, as_json: bool,
            reject_file: str | None) -> None:
    from ics2b24.sync.run import write_rejects

    _warn(ctx, summary.warnings)
    if reject_file and summary.failures:
        write_rejects(Path(reject_file), summary.failures)
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False))
    elif not ctx.obj["quiet"]:
        click.echo(f"ics2b24: {summary.line()}", err=True)
    if not ctx.obj["quiet"]:
        for failure in summary.failures:
            click.echo(f"  refused: {failure.op.kind} {failure.op.uid}"
                       f"{' ' + failure.op.recurrence_id if failure.op.recurrence_id else ''}"
                       f": {failure.error}", err=True)
    if summary.failures:
        where = f"; they are in {reject_file}" if reject_file else ""
        raise PortalError("", f"the portal refused {summary.failed} change(s){where}")


@cli.command()
@click.argument("files", nargs=-1)
@credential_options
@target_options
@convert_options
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First day to compare (default: the input's first day).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last day to compare (default: the input's last day, rules without end "
              "up to --horizon-end).")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
@click.pass_context
def verify(ctx: click.Context, files: tuple[str, ...], first: datetime | None,
           last: datetime | None, as_json: bool, **flags: Any) -> None:
    """Compare what TARGET shows with what FILE… (or -) implies, occurrence by occurrence;
    exit 1 naming every UID that differs. Reads only."""
    connection = _connection(flags)
    _verify(ctx, _read_inputs(files), connection, flags, first.date() if first else None,
            last.date() if last else None, as_json=as_json)


def _verify(ctx: click.Context, inputs: list[tuple[str, bytes]], connection: Connection,
            convert: Mapping[str, Any], first: date | None, last: date | None, *,
            as_json: bool, warn: bool = True) -> None:
    from ics2b24.verify_portal import verify as run_verify

    report, warnings, requests = run_verify(inputs, connection, convert, first=first,
                                            last=last)
    if warn and not as_json:
        _warn(ctx, warnings)
    if as_json:
        click.echo(json.dumps({**report.to_json(), "requests": requests}, ensure_ascii=False))
    else:
        for differs in report.differing:
            click.echo(differs.line())
        window = f"{report.window.first} to {report.window.last}"
        others = (f"; the section also holds {report.other_events} other event(s)"
                  if report.other_events else "")
        verdict = ("the portal shows exactly what the input implies" if report.equal else
                   f"{len(report.differing)} of {report.uids} UID(s) differ")
        if not ctx.obj["quiet"]:
            click.echo(f"ics2b24: verify {window}: {report.occurrences} occurrence(s) of "
                       f"{report.uids} UID(s): {verdict}{others}; {requests} HTTP "
                       "request(s)", err=True)
    if not report.equal:
        raise Mismatch(f"{len(report.differing)} UID(s) differ from the input")


@cli.command()
@credential_options
@click.option("--type", "calendar_type", default="user", show_default=True,
              type=click.Choice(["user", "group"]), help="Calendar to try writes in.")
@click.option("--owner", type=int, help="Owner id (default: you, for a user calendar).")
def doctor(calendar_type: CalendarType, owner: int | None, **options: Any) -> None:
    """Try every kind of write push relies on, in a scratch section of this portal that is
    deleted afterwards; exit 0 only when every behaviour holds."""
    from ics2b24.doctor import run_doctor

    with closing(_connect(options)) as client:
        findings = run_doctor(client, calendar_type, _owner(client, calendar_type, owner))
    for finding in findings:
        click.echo(finding.line())
    failed = [f for f in findings if not f.held]
    if failed:
        raise Mismatch(f"{len(failed)} of {len(findings)} behaviour(s) push relies on differ "
                       "on this portal: do not migrate to it before they are understood")


@cli.group()
def portal() -> None:
    """The embedded Bitrix24 test portal."""


@portal.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port (0: any free port).")
@click.option("--data", type=click.Path(dir_okay=False), metavar="FILE",
              help="SQLite file that keeps everything across restarts (default: memory).")
@click.option("--users", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="JSON {\"users\": [...], \"apps\": [...]} to seed (default: admin user 1).")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a self-signed certificate, kept "
              "beside --data as FILE.pem (clients trust it with --ca-cert FILE.pem).")
@click.option("--faults", metavar="SPEC", help="Probabilities per request of a 503 (rate), a "
              "500 (error) and a dropped connection (reset), added latency (latency=0-200ms or "
              "1s) and the seed, e.g. 'rate=0.1,error=0.02,reset=0.01,latency=0-200ms,seed=1'.")
@click.option("--rate", default="2/50", show_default=True, metavar="Y/X",
              help="Leaky bucket: Y requests per second, burst X.")
@click.option("--operating", default="480/600", show_default=True, metavar="L/W",
              help="Operating time: L seconds of method time per W-second window.")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Run limits and costs K times faster.")
@click.option("--token-ttl", type=int, default=3600, show_default=True,
              help="Seconds an OAuth access token lives.")
def portal_serve(**kwargs: object) -> None:
    """Start the test portal and print its webhook URL (one line on stdout)."""
    from ics2b24.portal.server import serve_from_cli

    serve_from_cli(**kwargs)


_CREDENTIAL_KEYS = ("webhook", "portal", "access_token", "refresh_token", "client_id",
                    "client_secret", "oauth_server", "token_file")


def _connect(options: dict[str, Any]) -> Client:
    """A client from the credential flags (popped from `options`) and the B24_* variables."""
    from ics2b24.connect import Credentials, make_client

    flags = {key: options.pop(key) for key in _CREDENTIAL_KEYS}
    return make_client(Credentials.from_options(os.environ, **flags),
                       transport=_transport(options),
                       hooks=_console(click.get_current_context()).hooks())


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


def _owner(client: Client, calendar_type: CalendarType, owner: int | None) -> int:
    from ics2b24.connect import owner_of

    return owner_of(calendar_type, owner, client.user_id)


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
    """Calendar sections: list, add, update (calendar.section.*)."""


@section.command("list")
@calendar_options
@credential_options
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
def section_list(calendar_type: CalendarType, owner: int | None, as_json: bool,
                 **options: Any) -> None:
    """List the sections of one calendar."""
    from ics2b24.sections import list_sections, table

    with closing(_connect(options)) as client:
        rows = list_sections(client, calendar_type, _owner(client, calendar_type, owner))
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
                export_allow: bool | None, export_period: str | None, **options: Any) -> None:
    """Add a section to a user or group calendar; print its id."""
    from ics2b24.sections import SectionFields, add_section

    fields = SectionFields.build(name=name, description=description, color=color,
                                 text_color=text_color, export_allow=export_allow,
                                 export_set=export_period)
    with closing(_connect(options)) as client:
        click.echo(add_section(client, calendar_type, _owner(client, calendar_type, owner),
                               fields))


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
                   export_period: str | None, from_ics: str | None, **options: Any) -> None:
    """Change a section; only what differs is sent."""
    from ics2b24.sections import SectionFields, metadata_of_ics, update_section

    fields = SectionFields.build(name=name, description=description, color=color,
                                 text_color=text_color, export_allow=export_allow,
                                 export_set=export_period)
    if from_ics is not None:
        path, data = _read_one(from_ics)
        fields = fields.over(SectionFields.from_metadata(metadata_of_ics(path, data)))
    if fields.empty:
        raise UsageError("nothing to update: give --name, --description, --color, "
                         "--text-color or --from-ics")
    refusal = fields.update_refusals()
    if refusal is not None:
        raise UsageError(refusal)
    with closing(_connect(options)) as client:
        changed = update_section(client, calendar_type, _owner(client, calendar_type, owner),
                                 section_id, fields)
    if not changed:
        click.echo(f"section {section_id} unchanged")
        return
    click.echo(f"section {section_id} updated: {', '.join(changed)}")


@cli.group()
def settings() -> None:
    """The calling user's calendar settings (calendar.user.settings.*)."""


@settings.command("get")
@credential_options
@click.option("--json", "as_json", is_flag=True, help="The portal's object as JSON.")
def settings_get(as_json: bool, **options: Any) -> None:
    """Show the calling user's calendar settings."""
    from ics2b24.settings import describe, get_settings

    with closing(_connect(options)) as client:
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
                 **options: Any) -> None:
    """Change calendar settings; every other key keeps its value."""
    from ics2b24.settings import (
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
        path, data = _read_one(from_ics)
        request, notes = with_proposed(request, alarms_of_ics(path, data))
        if not ctx.obj["quiet"]:
            for note in notes:
                click.echo(f"ics2b24: {note}", err=True)
    with closing(_connect(options)) as client:
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


_EXIT_CODES: tuple[tuple[type[Ics2b24Error], int], ...] = (
    (UsageError, EXIT_USAGE),
    (EndpointError, EXIT_USAGE),
    (ParseError, EXIT_DATAERR),
    (SafetyError, EXIT_SAFETY),
    (PortalError, EXIT_PORTAL),
    (Mismatch, EXIT_PORTAL),
    (OutputError, EXIT_IOERR),
    (Interrupted, EXIT_INTERRUPTED),
)
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Write errors that mean the output (stdout, a file named for output) cannot take more."""


def exit_code(error: Ics2b24Error) -> int:
    """The one place an error type becomes an exit code (SPEC §5)."""
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), EXIT_PORTAL)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every known error into one line and its exit code. Standard
    output is flushed here, so a full disk is reported rather than lost at exit; a reader
    that stopped reading (`| head -1`) is no error."""
    try:
        cli.main(args=argv, prog_name="ics2b24", standalone_mode=False)
        sys.stdout.flush()
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("ics2b24: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except Ics2b24Error as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(exit_code(exc))
    except (BrokenPipeError, _ReaderGone):
        _discard_stdout()
        sys.exit(EXIT_OK)
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        _discard_stdout()
        click.echo(f"ics2b24: cannot write the output: {exc.strerror}", err=True)
        sys.exit(EXIT_IOERR)
    sys.exit(EXIT_OK)


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is still buffered
    cannot fail again on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        return
