"""The `ics2b24` group itself and what every command shares: -v/-q anywhere, reading
the input files, the console, warnings."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ics2b24 import __version__
from ics2b24.errors import UsageError

if TYPE_CHECKING:
    from ics2b24.app.feeds import Feeds
    from ics2b24.cli.console import Console


def read_files(paths: tuple[str, ...], feeds: Feeds | None = None) -> list[tuple[str, bytes]]:
    """Read every FILE (or `-` for stdin, or a URL, fetched by `feeds`) up front, so a
    missing file fails before any work; a .zip, .ics.gz or folder gives every calendar in it
    (ics2b24.app.inputs)."""
    from ics2b24.app.inputs import read_inputs

    if not paths:
        raise UsageError("no input: give one or more .ics files, or - for standard input")
    return read_inputs(paths, sys.stdin.buffer if sys.stdin is not None else None, feeds)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question on standard input; a closed one (`<&-`), which
    Python gives as None, is no terminal."""
    return sys.stdin is not None and sys.stdin.isatty()


def read_one(path: str) -> tuple[str, bytes]:
    """The one calendar a `--from-ics` names."""
    return one_calendar("--from-ics", (path,), read_files((path,)))


def one_calendar(flag: str, paths: tuple[str, ...],
                 found: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """The one calendar `flag` takes a section's or the settings' values from: an archive
    or folder holding several is refused rather than one of them picked."""
    if len(found) != 1:
        raise UsageError(f"{flag}: {' '.join(paths)} holds {len(found)} calendars; name one "
                         ".ics file")
    return found[0]


def _output_flag(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """`-v`/`-q` given after a subcommand count as if given before it."""
    from ics2b24.cli.console import set_verbosity

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


class ReaderGone(Exception):
    """Standard output's reader stopped reading (`| head -1`): no error, the run is over."""


class _Group(click.Group):
    command_class = _Command
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        """A closed pipe leaves here as `ReaderGone`, before click's own handling turns it
        into exit 1."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise ReaderGone() from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="ics2b24")
@click.option("-v", "--verbose", count=True, help="More detail on stderr: each HTTP request.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Bring iCalendar (.ics) data into a Bitrix24 portal's calendar."""
    from ics2b24.cli.console import set_verbosity

    ctx.obj = {"verbose": verbose, "quiet": quiet}
    set_verbosity(verbose, quiet)


def console_of(ctx: click.Context, label: str = "pushing") -> Console:
    from ics2b24.cli.console import Console

    return Console(quiet=ctx.obj["quiet"], verbose=ctx.obj["verbose"], label=label)


def show_warnings(ctx: click.Context, warnings: list[str]) -> None:
    if not ctx.obj["quiet"] and warnings:
        click.echo(f"ics2b24: {len(warnings)} warning(s):", err=True)
        for warning in warnings:
            click.echo(f"  {warning}", err=True)
