"""Command line: parse flags, call one function, map errors to exit codes (SPEC §5).

Exit codes live in `main()` alone: 0 success, 1 portal refused some work, 2 bad usage,
3 refused for safety, 65 unreadable input, 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from ics2b24 import __version__
from ics2b24.errors import Ics2b24Error, ParseError, PortalError, SafetyError, UsageError

EXIT_OK = 0
EXIT_PORTAL = 1
EXIT_USAGE = 2
EXIT_SAFETY = 3
EXIT_DATAERR = 65
EXIT_INTERRUPTED = 130


def _read_inputs(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """Read every FILE (or `-` for stdin) up front, so a missing file fails before any work."""
    if not paths:
        raise UsageError("no input: give one or more .ics files, or - for standard input")
    inputs = []
    for path in paths:
        if path == "-":
            inputs.append(("<stdin>", sys.stdin.buffer.read()))
            continue
        try:
            inputs.append((path, Path(path).read_bytes()))
        except OSError as exc:
            raise ParseError(exc.strerror or "cannot be read", file=path) from exc
    return inputs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ics2b24")
@click.option("-v", "--verbose", count=True, help="More detail on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Bring iCalendar (.ics) data into a Bitrix24 portal's calendar."""
    ctx.obj = {"verbose": verbose, "quiet": quiet}


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
                     help="Keep refreshed OAuth tokens here (created 0600)."),
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
        click.option("--owner", type=int, required=True,
                     help="Owner id (user or group id; 0 for company_calendar)."),
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
            user_map: str | None, no_attendees: bool, strict: bool) -> None:
    """Write the Bitrix24 events FILE… (or - for stdin) must become, as JSON Lines."""
    from ics2b24.ical.convert import ConvertOptions, convert_inputs

    options = ConvertOptions.build(
        tz=tz, horizon_end=horizon_end, since=since, max_occurrences=max_occurrences,
        user_map=user_map, no_attendees=no_attendees, strict=strict,
    )
    result = convert_inputs(_read_inputs(files), options)
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
    if not ctx.obj["quiet"] and result.warnings:
        click.echo(f"ics2b24: {len(result.warnings)} warning(s):", err=True)
        for warning in result.warnings:
            click.echo(f"  {warning}", err=True)


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
              help="JSON list of users to seed.")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a self-signed certificate.")
@click.option("--faults", metavar="SPEC", help="e.g. 'rate=0.1,error=0.02,reset=0.01,seed=1'.")
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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every known error into one line and its exit code."""
    try:
        cli.main(args=argv, prog_name="ics2b24", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ics2b24: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("ics2b24: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except UsageError as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except ParseError as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(EXIT_DATAERR)
    except SafetyError as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(EXIT_SAFETY)
    except PortalError as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(EXIT_PORTAL)
    except Ics2b24Error as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(EXIT_PORTAL)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    sys.exit(EXIT_OK)
