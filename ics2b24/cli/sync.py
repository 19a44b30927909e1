"""`plan`, `push` and `undo`: the commands that change a section (or show how they would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ics2b24.bitrix.limits import DEFAULT_RATE, OPERATING_LIMIT
from ics2b24.cli.options import (
    FEED_AUTH_OPTION,
    STATE_OPTION,
    CredentialFlags,
    FeedAuthFlags,
    SyncFlags,
    TargetFlags,
    connection_of,
    convert_options,
    credential_options,
    feeds_of,
    sync_options,
    sync_options_of,
    target_options,
)
from ics2b24.cli.proof import verify_inputs
from ics2b24.cli.root import (
    cli,
    console_of,
    one_calendar,
    read_files,
    show_warnings,
    stdin_is_terminal,
)
from ics2b24.cli.signals import hold, interruption
from ics2b24.errors import PortalError, UsageError

if TYPE_CHECKING:
    from ics2b24.app.run import PlanReport, Summary
    from ics2b24.app.sections import PortalSection
    from ics2b24.app.session import Connection, SyncOptions
    from ics2b24.app.undo import UndoPreview
    from ics2b24.bitrix.connect import Hooks
    from ics2b24.cli.console import Console
    from ics2b24.ical.choices import ConvertChoices


def _print_plan(report: PlanReport, as_json: bool) -> None:
    """The table of write calls (a delete names the portal event it removes), then what
    they cost: requests, and the waiting the portal's limits add."""

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
    click.echo(f"{len(writes)} write call(s) in {report.requests} request(s); "
               f"{limits_said(report.waits, 'them')}; {unchanged} event(s) "
               f"unchanged{recovered}.")
    show_invitations(plan.invitations)
    deletes = sum(1 for op in writes if op.rule.deletes)
    if deletes:
        click.echo(f"Before these {deletes} delete(s): push --backup FILE saves what the "
                   "section holds first (as `backup` writes it).")


def limits_said(seconds: float, what: str) -> str:
    """How long the portal's limits make `what` (the writes planned) take."""
    from ics2b24.cli.console import duration

    return (f"the portal's limits make {what} take at least {duration(seconds)}"
            if seconds >= 1 else "the portal's limits add no waiting")


def show_invitations(count: int) -> None:
    if count:
        click.echo(f"The portal would send {count} invitation(s) to attendees of meetings "
                   "still to come.")


RATE_OPTION = click.option(
    "--rate", default=DEFAULT_RATE, show_default=True, metavar="Y/X",
    help="Portal request limit: Y per second, burst X (Enterprise: 5/250).")
OPERATING_LIMIT_OPTION = click.option(
    "--operating-limit", type=float, default=OPERATING_LIMIT, show_default=True,
    metavar="SECONDS",
    help="Portal operating time per method per 10 minutes, for each webhook.")

@cli.command()
@click.argument("files", nargs=-1)
@credential_options
@target_options
@convert_options
@sync_options
@FEED_AUTH_OPTION
@click.pass_context
def plan(ctx: click.Context, files: tuple[str, ...], as_json: bool, feed_auth: FeedAuthFlags,
         credentials: CredentialFlags, target: TargetFlags, conversion: ConvertChoices,
         sync: SyncFlags) -> None:
    """Show what push would change in TARGET for FILE… (or -, or a URL); sends no write
    call."""
    feeds = feeds_of(credentials, feed_auth)
    inputs = read_files(files, feeds)
    connection = connection_of(credentials, target, state=sync.state)
    show_plan(ctx, inputs, connection, sync_options_of(conversion, sync, feeds=feeds),
               as_json)


def show_plan(ctx: click.Context, inputs: list[tuple[str, bytes]], connection: Connection,
               options: SyncOptions, as_json: bool) -> None:
    from ics2b24.app.run import make_plan

    report = make_plan(inputs, connection, options)
    show_warnings(ctx, report.warnings)
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
              help="Name, describe and colour the section like the VCALENDAR (the input "
              "must be one calendar).")
@RATE_OPTION
@OPERATING_LIMIT_OPTION
@click.option("--verify", "then_verify", is_flag=True,
              help="After pushing, read the section back and compare it with the input "
              "(as `verify` does).")
@click.option("--backup", "backup_file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Before changing anything, save what the section holds to PATH as .ics "
              "(as `backup` writes it).")
@FEED_AUTH_OPTION
@click.pass_context
def push(ctx: click.Context, files: tuple[str, ...], as_json: bool, dry_run: bool,
         reject_file: str | None, force_delete: bool, section_from_ics: bool, rate: str,
         operating_limit: float, then_verify: bool, backup_file: str | None,
         feed_auth: FeedAuthFlags, credentials: CredentialFlags, target: TargetFlags,
         conversion: ConvertChoices, sync: SyncFlags) -> None:
    """Make TARGET match FILE… (or -, or a URL), recording every confirmed change. A URL
    unchanged since the last push (HTTP 304) ends the run with nothing asked of the portal
    (--force fetches it whole)."""
    from ics2b24.app import run

    feeds = feeds_of(credentials, feed_auth, target)
    if not dry_run and not sync.force and feeds.unchanged(
            files, Path(sync.state) if sync.state else None):
        _not_modified(ctx, files, as_json)
        return
    inputs = read_files(files, feeds)
    if section_from_ics:
        one_calendar("--section-from-ics", files, inputs)
    if dry_run:
        connection = connection_of(credentials, target, state=sync.state, rate=rate,
                                   operating_limit=operating_limit)
        show_plan(ctx, inputs, connection, sync_options_of(
            conversion, sync, force_delete=force_delete, section_from_ics=section_from_ics,
            feeds=feeds), as_json)
        return
    console = console_of(ctx)
    connection = connection_of(credentials, target, state=sync.state, rate=rate,
                               operating_limit=operating_limit, hooks=hooks_of(console))
    options = sync_options_of(conversion, sync, force_delete=force_delete,
                              section_from_ics=section_from_ics, feeds=feeds)
    if backup_file:
        _save_backup(ctx, connection, Path(backup_file))
    with running(console, connection, PUSHED, as_json):
        summary = run.push(inputs, connection, options, progress=console.progress)
    _finish(ctx, summary, as_json, reject_file)
    if then_verify:
        verify_inputs(ctx, inputs, connection, conversion, None, None,
                      as_json=False, warn=False)


def _save_backup(ctx: click.Context, connection: Connection, path: Path) -> None:
    from datetime import date

    from ics2b24.app.backup import default_window, save_before_push
    from ics2b24.cli.backup import AHEAD_YEARS, BACK_YEARS

    made = save_before_push(connection, path,
                            default_window(date.today(), BACK_YEARS, AHEAD_YEARS))
    if not ctx.obj["quiet"]:
        said = (f"saved the section's {made.events} event(s) to {path}" if made is not None
                else "the section does not exist yet: nothing to back up")
        click.echo(f"ics2b24: {said}", err=True)


def _not_modified(ctx: click.Context, feeds: tuple[str, ...], as_json: bool) -> None:
    """The one line of a push whose feeds all answered "not modified"."""
    from ics2b24.app.feeds import shown
    from ics2b24.app.run import Summary

    names = [shown(feed) for feed in feeds]
    if as_json:
        click.echo(json.dumps({**Summary().to_json(), "not_modified": names},
                              ensure_ascii=False))
    elif not ctx.obj["quiet"]:
        click.echo(f"ics2b24: {', '.join(names)}: not modified since the last push (304); "
                   "nothing to do", err=True)


@cli.command()
@credential_options
@target_options
@STATE_OPTION
@click.option("--yes", is_flag=True, help="Do not ask before deleting (nor delete the "
              "section push created, unless --delete-section).")
@click.option("--delete-section", is_flag=True, help="Also delete the section push created, "
              "if the undo leaves it empty.")
@click.option("--json", "as_json", is_flag=True, help="Summary as one JSON object.")
@click.pass_context
def undo(ctx: click.Context, yes: bool, delete_section: bool, as_json: bool,
         state: str | None, credentials: CredentialFlags, target: TargetFlags) -> None:
    """Delete every event this tool created in TARGET (as its state DB records); then offer
    to delete the section, if push created it and it is left empty."""
    from ics2b24.app import undo as undoing
    from ics2b24.app.run import SectionOutcome

    console = console_of(ctx, "deleting")
    connection = connection_of(credentials, target, state=state, hooks=hooks_of(console))
    preview = undoing.undo_preview(connection)
    if preview.total == 0:
        click.echo("Nothing to undo: the state DB records no event created in this target.",
                   err=True)
        deleted = undoing.delete_emptied_section(connection) if delete_section else None
        if deleted is not None:
            click.echo(f"ics2b24: {SectionOutcome(deleted, deleted=True).line()}",
                       err=True)
        return
    if not yes and not _confirm_undo(preview):
        click.echo("ics2b24: nothing deleted", err=True)
        return
    with running(console, connection, _UNDONE, as_json):
        summary = undoing.undo(connection, progress=console.progress)
    if summary.section is not None and _delete_emptied(summary.section.section, yes,
                                                       delete_section):
        summary.section = replace(summary.section, deleted=undoing.delete_emptied_section(
            connection) is not None)
    _finish(ctx, summary, as_json, None)


def _delete_emptied(section: PortalSection, yes: bool, delete_section: bool) -> bool:
    """Whether to delete the section push created that undo left empty: when told to; else
    the user at the terminal says (no by default: a section is not for undo to take unasked),
    and `--yes` alone keeps it. Without --yes, undo got this far only by asking at a
    terminal."""
    if delete_section or yes:
        return delete_section
    return click.confirm(f"Section {section.id} ({section.name!r}), which push created, holds "
                         "no event now. Delete it too?", default=False, err=True)


def _confirm_undo(preview: UndoPreview) -> bool:
    """Ask at a terminal, naming what would go; without one, refuse (exit 2), since no one
    can answer and deleting unasked is not for a script to assume."""
    what = f"{preview.total} event(s) ics2b24 created in this target ({preview.line()})"
    if not stdin_is_terminal():
        raise UsageError(f"undo would delete {what}; there is no terminal to ask: add --yes "
                         "to delete them")
    return click.confirm(f"Delete {what}?", err=True)


@dataclass(frozen=True)
class _Said:
    """How a stopped run says what it did and how to go on, by command."""

    done: str
    """`{done}` of `{total}`, what the portal confirmed."""
    rest: str
    """What is left where, `{left}` and `{state}` filled in."""


PUSHED = _Said("after {done} of {total} change(s)", "every change the portal confirmed is "
                "recorded in {state}: run the same command again to continue")
_UNDONE = _Said("after deleting {done} of {total} event(s)", "the other {left} are still in "
                "the portal and recorded in {state}: run the same undo again to delete them")


@contextmanager
def running(console: Console, connection: Connection, said: _Said,
             as_json: bool) -> Iterator[None]:
    """The bar's line is ended whatever happens. A stop (Ctrl-C, SIGTERM, SIGHUP) prints the
    JSON summary of what was done with `--json`, then says it and how to go on; so does a
    portal that fails once writing has begun (it died, it stopped answering)."""
    from ics2b24.app.run import Stopped

    try:
        yield
    except KeyboardInterrupt as stop:
        console.close()
        if isinstance(stop, Stopped) and as_json:
            click.echo(json.dumps(stop.summary.to_json(), ensure_ascii=False))
        line = f" {_so_far(console, connection, said)}" if console.total else (
            " before any change was sent")
        raise interruption(stop.stop if isinstance(stop, Stopped) else stop, line) from None
    except PortalError as exc:
        if not console.total:
            raise
        raise PortalError(exc.error, f"{exc.description}; stopped "
                          f"{_so_far(console, connection, said)}", status=exc.status) from None
    finally:
        console.close()


def _so_far(console: Console, connection: Connection, said: _Said) -> str:
    done, total = console.done, console.total
    return (f"{said.done.format(done=done, total=total)}; "
            + said.rest.format(left=total - done, state=connection.state_path))


def hooks_of(console: Console) -> Hooks:
    """What the user hears, and writes no signal cuts short (cli/signals.py)."""
    return replace(console.hooks(), hold=hold)


def _finish(ctx: click.Context, summary: Summary, as_json: bool,
            reject_file: str | None) -> None:
    from ics2b24.app.run import write_rejects

    show_warnings(ctx, summary.warnings)
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
