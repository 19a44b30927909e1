"""Command line: parse flags, call one function, map errors to exit codes.

Exit codes live in `_EXIT_CODES` and `main()` alone: 0 success, 1 portal refused some work,
2 bad usage (flags, credentials, an address that is no working Bitrix24 endpoint, a state DB
that cannot be used), 3 refused for safety, 65 unreadable input, 74 output that cannot be
written, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP).
"""

from __future__ import annotations

import errno
import os
import sys

import click

from ics2b24.cli import (
    backup,
    convert,
    events,
    migrate,
    pairs,
    portal,
    proof,
    section,
    settings,
    streams,
    sync,
)
from ics2b24.cli.root import ReaderGone, cli
from ics2b24.cli.signals import caught, interruption
from ics2b24.errors import (
    EndpointError,
    HungUp,
    Ics2b24Error,
    Interrupted,
    Mismatch,
    OutputError,
    PairsFailed,
    ParseError,
    PortalError,
    SafetyError,
    Terminated,
    UsageError,
)

COMMANDS = (convert, sync, pairs, migrate, proof, events, backup, section, settings, portal)
"""The modules whose import adds each command group to `cli`."""

EXIT_OK = 0
EXIT_PORTAL = 1
EXIT_USAGE = 2
EXIT_SAFETY = 3
EXIT_DATAERR = 65
EXIT_IOERR = 74
EXIT_HUNG_UP = 129
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


_EXIT_CODES: tuple[tuple[type[Ics2b24Error], int], ...] = (
    (UsageError, EXIT_USAGE),
    (EndpointError, EXIT_USAGE),
    (ParseError, EXIT_DATAERR),
    (SafetyError, EXIT_SAFETY),
    (PortalError, EXIT_PORTAL),
    (Mismatch, EXIT_PORTAL),
    (OutputError, EXIT_IOERR),
    (Terminated, EXIT_TERMINATED),
    (HungUp, EXIT_HUNG_UP),
    (Interrupted, EXIT_INTERRUPTED),
)
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Write errors that mean the output (stdout, a file named for output) cannot take more."""


def exit_code(error: Ics2b24Error) -> int:
    """The one place an error type becomes an exit code; `sync`'s is its worst pair's."""
    if isinstance(error, PairsFailed):
        return max(exit_code(e) for e in error.failed.values())
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), EXIT_PORTAL)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every known error into one line and its exit code. Standard
    output is flushed here, so a full disk is reported rather than lost at exit; a reader
    that stopped reading (`| head -1`) is no error. SIGTERM and SIGHUP stop a run as Ctrl-C
    does (cli/signals.py)."""
    streams.prepare()
    try:
        with caught():
            cli.main(args=argv, prog_name="ics2b24", standalone_mode=False)
            sys.stdout.flush()
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        stopped = interruption(exc.__context__ if isinstance(exc, click.exceptions.Abort)
                               else exc)
        click.echo(f"ics2b24: {stopped}", err=True)
        sys.exit(exit_code(stopped))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except Ics2b24Error as exc:
        click.echo(f"ics2b24: {exc}", err=True)
        sys.exit(exit_code(exc))
    except (BrokenPipeError, ReaderGone):
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
