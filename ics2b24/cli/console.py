"""What a run says on standard error while it works, at a terminal and under cron.

At a terminal (and without `-q` or `-v`) one line is redrawn in place: what the run is busy
with before there is progress ("reading FILE…"), then the progress bar, whose label says so
while the portal's operating-time limit holds the run ("waiting for the portal's
operating-time limit, resumes at 06:13"). Its ETA adds the waits the limits will still
cause to the time the work itself takes, so a bar does not sit at "ETA 00:00:00" for ten
minutes. Without a terminal, or with `-v`, there is no bar: each such wait is one line, and
`-v` adds one line per HTTP request (method and status, never a token). `-q` keeps all of it
quiet; errors are the CLI's business, not this module's.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from datetime import datetime, timedelta
from typing import TextIO

import click

from ics2b24.bitrix.connect import Hooks

_BAR_WIDTH = 30
_WAITING = "waiting for the portal's operating-time limit"


class _EchoHandler(logging.Handler):
    """Log records as `ics2b24: message` on whatever stderr is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"ics2b24: {self.format(record)}", err=True)


_HANDLER = _EchoHandler()
_LOGGERS = ("ics2b24.bitrix",)
"""The loggers `-v` shows: the client's one line per HTTP request. urllib3's own debug log
is never turned on: it prints request paths, and a webhook's path holds its token."""


def set_verbosity(verbose: int, quiet: bool) -> None:
    """`-v` shows each HTTP request; `-q` or no `-v` shows none."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if verbose and not quiet:
            if _HANDLER not in logger.handlers:
                logger.addHandler(_HANDLER)
            logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
            logger.propagate = False
        else:
            if _HANDLER in logger.handlers:
                logger.removeHandler(_HANDLER)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True


def clock_time(seconds_from_now: float) -> str:
    """HH:MM of the local clock after that many seconds."""
    return (datetime.now() + timedelta(seconds=seconds_from_now)).strftime("%H:%M")


def duration(seconds: float) -> str:
    """`2 h 5 min`, `9 min 58 s`, `12 s`: how long, for a person."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class Console:
    """The stderr of one command: notes, status, waits and the progress bar."""

    def __init__(self, *, quiet: bool, verbose: int, label: str = "pushing",
                 stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._label = label
        self._bar = not quiet and not verbose and self._stream.isatty()
        self._line = False
        self._started: float | None = None
        self._waited = 0.0
        self._done = 0
        self._total = 0
        self._ahead = 0.0
        self.drawn = False

    def hooks(self) -> Hooks:
        return Hooks(on_wait=self.waiting, notify=self.note, status=self.status)

    @property
    def done(self) -> int:
        return self._done

    @property
    def total(self) -> int:
        return self._total

    def note(self, text: str) -> None:
        """One line, unless -q."""
        if self._quiet:
            return
        self._clear()
        click.echo(f"ics2b24: {text}", file=self._stream)

    def status(self, text: str) -> None:
        """What the run is busy with, on the bar's line at a terminal; nothing elsewhere."""
        if self._bar:
            self._draw(text)

    def waiting(self, seconds: float, method: str) -> None:
        """The client is about to wait `seconds` for the operating-time limit of `method`."""
        self._waited += seconds
        resumes = clock_time(seconds)
        if self._bar:
            self._ahead = max(self._ahead, seconds)
            self._draw(self._bar_text(f"{_WAITING}, resumes at {resumes}"))
        elif not self._quiet:
            click.echo(f"ics2b24: {_WAITING} ({method}), resumes at {resumes} "
                       f"(in {duration(seconds)})", file=self._stream)

    def progress(self, done: int, total: int, ahead: float) -> None:
        """After each batch: `ahead` is the seconds of waiting the limits will still add."""
        if self._started is None:
            self._started = time.monotonic()
        self._done, self._total, self._ahead = done, total, ahead
        if self._bar and total:
            self._draw(self._bar_text(self._label))
            self.drawn = True

    def eta(self) -> float | None:
        """Seconds left: the remaining writes at the pace of the work so far (waits left
        out), plus the waits ahead; None before the first write has been timed."""
        if self._started is None:
            return None
        working = time.monotonic() - self._started - self._waited
        if self._done == 0:
            return self._ahead if self._ahead else None
        return working / self._done * (self._total - self._done) + self._ahead

    def close(self) -> None:
        """End the bar's line, so what follows starts on a line of its own; a status line
        alone is wiped, its work done."""
        if self._line and self.drawn:
            click.echo("", file=self._stream)
            self._line = False
        self._clear()

    def _bar_text(self, label: str) -> str:
        share = self._done / self._total if self._total else 1.0
        filled = int(share * _BAR_WIDTH)
        eta = self.eta()
        shown = "--:--:--" if eta is None else str(timedelta(seconds=round(eta)))
        return (f"{label}  [{'#' * filled}{'-' * (_BAR_WIDTH - filled)}]  "
                f"{int(share * 100):3d}%  {self._done}/{self._total}  ETA {shown}")

    def _draw(self, text: str) -> None:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        self._stream.write("\r" + text[:width].ljust(width))
        self._stream.flush()
        self._line = True

    def _clear(self) -> None:
        if self._line:
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self._stream.write("\r" + " " * width + "\r")
            self._stream.flush()
            self._line = False
