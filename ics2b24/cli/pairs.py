"""`sync`: every pair of a pairs file (app/pairs.py) pushed, or planned, one after another;
one summary line per pair and an exit code that says whether any failed."""

from __future__ import annotations

import glob
import os
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from ics2b24.cli.options import (
    CredentialFlags,
    FeedAuthFlags,
    TargetFlags,
    connection_of,
    credential_options,
    feeds_of,
)
from ics2b24.cli.root import cli, console_of, read_files, show_warnings
from ics2b24.cli.sync import (
    OPERATING_LIMIT_OPTION,
    PUSHED,
    RATE_OPTION,
    hooks_of,
    running,
    show_plan,
)
from ics2b24.errors import Ics2b24Error, Interrupted, PairsFailed, PortalError, UsageError

if TYPE_CHECKING:
    from ics2b24.app.pairs import Pair
    from ics2b24.bitrix.limits import Pacer

_GLOB = frozenset("*?[")


@cli.command()
@click.argument("names", nargs=-1, metavar="[PAIR]...")
@click.option("--config", metavar="FILE", help="The pairs file (default: $ICS2B24_CONFIG, "
              "else ~/.config/ics2b24/pairs.toml).")
@click.option("--dry-run", is_flag=True, help="Plan every pair (as `plan`); write nothing.")
@RATE_OPTION
@OPERATING_LIMIT_OPTION
@credential_options
@click.pass_context
def sync(ctx: click.Context, names: tuple[str, ...], config: str | None, dry_run: bool,
         rate: str, operating_limit: float, credentials: CredentialFlags) -> None:
    """Push every pair of the pairs file (or the PAIRs named): its sources into its target,
    each with its own state DB. Credentials come from the pair (webhook_env,
    webhook_command), else from these flags and the B24_* variables. Pairs on one portal
    share one pacer: its request limit is the portal's, whatever pair sends."""
    from ics2b24.app.pairs import config_path, load_pairs
    from ics2b24.bitrix.connect import make_pacer

    path = config_path(config, os.environ)
    pairs = load_pairs(path)
    unknown = [n for n in names if n not in {p.name for p in pairs}]
    if unknown:
        raise UsageError(f"{path}: no pair named {unknown[0]!r} (it has "
                         f"{', '.join(p.name for p in pairs)})")
    chosen = [p for p in pairs if not names or p.name in names]
    failed: dict[str, Ics2b24Error] = {}
    pacers: dict[str, Pacer] = {}
    for pair in chosen:
        try:
            flags = _credentials_of(pair, credentials)
            address = flags.credentials().address
            pacer = pacers.setdefault(address, make_pacer(rate, operating_limit))
            _run_pair(ctx, pair, flags, pacer, dry_run)
        except Interrupted:
            raise
        except Ics2b24Error as exc:
            click.echo(f"ics2b24: [{pair.name}] {exc}", err=True)
            failed[pair.name] = exc
    if failed:
        raise PairsFailed(failed, len(chosen))


def _credentials_of(pair: Pair, credentials: CredentialFlags) -> CredentialFlags:
    """The pair's own webhook (webhook_env, webhook_command), else the command's."""
    from ics2b24.app.pairs import webhook_of

    return replace(credentials, webhook=webhook_of(pair, os.environ) or credentials.webhook)


def _run_pair(ctx: click.Context, pair: Pair, flags: CredentialFlags, pacer: Pacer,
              dry_run: bool) -> None:
    from ics2b24.app import run
    from ics2b24.app.session import SyncOptions

    target = TargetFlags(pair.calendar_type, pair.owner, pair.section_id, pair.section_name)
    sources = tuple(_sources(pair))
    feeds = feeds_of(flags, FeedAuthFlags(pair.feed_auth_env, pair.feed_auth_command), target)
    if not dry_run and feeds.unchanged(sources, pair.state):
        if not ctx.obj["quiet"]:
            click.echo(f"ics2b24: [{pair.name}] not modified since the last sync (304); "
                       "nothing to do", err=True)
        return
    inputs = read_files(sources, feeds)
    options = SyncOptions(convert=pair.convert, prune=pair.prune,
                              force_delete=pair.force_delete, only=pair.only,
                              prune_future=pair.prune_future, feeds=dict(feeds.answers))
    state = str(pair.state) if pair.state else None
    if dry_run:
        click.echo(f"[{pair.name}]")
        show_plan(ctx, inputs, connection_of(flags, target, state=state, pacer=pacer),
                  options, False)
        return
    console = console_of(ctx)
    connection = connection_of(flags, target, state=state, hooks=hooks_of(console),
                               pacer=pacer)
    with running(console, connection, PUSHED, False):
        summary = run.push(inputs, connection, options, progress=console.progress)
    show_warnings(ctx, summary.warnings)
    if not ctx.obj["quiet"]:
        click.echo(f"ics2b24: [{pair.name}] {summary.line()}", err=True)
    if summary.failures:
        raise PortalError("", f"the portal refused {summary.failed} change(s)")


def _sources(pair: Pair) -> list[str]:
    """Each source as `push` reads it; a glob is expanded (sorted), and one that matches
    nothing is an error rather than an empty input (which would prune everything)."""
    out: list[str] = []
    for source in pair.sources:
        if "://" in source or source == "-":
            out.append(source)
            continue
        expanded = os.path.expanduser(source)
        if _GLOB & set(expanded):
            found = sorted(glob.glob(expanded))
            if not found:
                raise UsageError(f"pair {pair.name}: {source} matches no file")
            out += found
        else:
            out.append(expanded)
    return out
