"""What a run says on standard error while it works, at a terminal and under cron.

At a terminal (and without `-q` or `-v`) one line is redrawn in place: what the run is busy
with before there is progress ("reading FILE…"), then the progress bar, whose label says so
while the portal's operating-time limit holds the run ("waiting for the portal's
operating-time limit, resumes at 06:13"). Its ETA adds the waits the limits will still
cause to the time the work itself takes, so a bar does not sit at "ETA 00:00:00" for ten
minutes; while it waits, both are drawn again every second. Without a terminal, or with
`-v`, there is no bar: a line says how far the run is about once a minute, a wait is one
line (waits in a row are one), and `-v` adds one line per HTTP request (method and status,
never a token). `-q` keeps all of it quiet; errors are the CLI's business, not this
module's.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

import click

from ics2b24.bitrix.connect import Hooks

_BAR_WIDTH = 30
_LINE_EVERY = 60.0
"""Seconds between the progress lines printed without a terminal."""
_WAITING = "waiting for the portal's operating-time limit"
_WAITING_SHORT = "waiting for the limit"
"""What the bar says instead where the long form leaves no room for the ETA (80 columns)."""


class _EchoHandler(logging.Handler):
    """Log records as `ics2b24: message` on whatever stderr is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"ics2b24: {self.format(record)}", err=True)


_HANDLER = _EchoHandler()
_LOGGERS = ("ics2b24.bitrix", "ics2b24.app.feeds")
"""The loggers `-v` shows: the client's one line per HTTP request, and one per feed fetched
(its URL without a login). urllib3's own debug log
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
    """The stderr of one command: notes, status, waits and the progress bar. `clock` is
    monotonic seconds (tests pass a fake one)."""

    def __init__(self, *, quiet: bool, verbose: int, label: str = "pushing",
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._label = label
        self._bar = not quiet and not verbose and self._stream.isatty()
        self._clock = clock
        self._line = False
        self._started: float | None = None
        self._waited = 0.0
        self._wait: tuple[float, float] | None = None
        """(start, end) of the wait under way, by `clock`."""
        self._after_wait = 0.0
        """The waits the limits will add after the one under way."""
        self._said: float | None = None
        """When the last line without a terminal was printed."""
        self._done = 0
        self._total = 0
        self._ahead = 0.0
        self.drawn = False

    def hooks(self) -> Hooks:
        return Hooks(on_wait=self.waiting, on_tick=self.tick, notify=self.note,
                     status=self.status)

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
        """The client is about to wait `seconds` for the operating-time limit of `method`.
        Without a terminal that is one line, unless a line was printed in the last minute:
        waits that follow one another are one wait to the reader, and the line of every
        minute says it waits."""
        self._end_wait()
        now = self._clock()
        self._after_wait = max(0.0, self._ahead - seconds)
        self._wait = (now, now + seconds)
        if self._bar:
            self._draw(self._waiting_bar())
        elif not self._quiet and (self._said is None or now - self._said >= _LINE_EVERY):
            self._said = now
            click.echo(f"ics2b24: {_WAITING} ({method}), resumes at {clock_time(seconds)} "
                       f"(in {duration(seconds)})", file=self._stream)

    def tick(self, left: float) -> None:
        """About every second of a wait, `left` seconds before it ends: the ETA and the
        time it resumes are drawn again."""
        if self._wait is None:
            return
        self._wait = (self._wait[0], self._clock() + left)
        if self._bar:
            self._draw(self._waiting_bar())
        else:
            self._say_progress()

    def progress(self, done: int, total: int, ahead: float) -> None:
        """After each batch: `ahead` is the seconds of waiting the limits will still add.
        Without a terminal a line says it about once a minute."""
        self._end_wait()
        if self._started is None:
            self._started = self._clock()
        self._done, self._total, self._ahead = done, total, ahead
        if self._bar and total:
            self._draw(self._bar_text(self._label))
            self.drawn = True
        elif total:
            self._say_progress()

    def eta(self) -> float | None:
        """Seconds left: the remaining writes at the pace of the work so far (waits left
        out), plus the waits ahead; None before the first write has been timed."""
        if self._started is None:
            return None
        now = self._clock()
        waited, ahead = self._waited, self._ahead
        if self._wait is not None:
            waited += now - self._wait[0]
            ahead = max(0.0, self._wait[1] - now) + self._after_wait
        working = now - self._started - waited
        if self._done == 0:
            return ahead if ahead else None
        return working / self._done * (self._total - self._done) + ahead

    def close(self) -> None:
        """End the bar's line, so what follows starts on a line of its own; a status line
        alone is wiped, its work done."""
        if self._line and self.drawn:
            click.echo("", file=self._stream)
            self._line = False
        self._clear()

    def _end_wait(self) -> None:
        if self._wait is not None:
            start, end = self._wait
            self._waited += min(self._clock(), end) - start
            self._wait = None

    def _waiting_label(self, short: bool = False) -> str:
        assert self._wait is not None
        return (f"{_WAITING_SHORT if short else _WAITING}, resumes at "
                f"{clock_time(self._wait[1] - self._clock())}")

    def _waiting_bar(self) -> str:
        text = self._bar_text(self._waiting_label())
        return text if len(text) <= _columns() else self._bar_text(self._waiting_label(True))

    def _say_progress(self) -> None:
        """The line of every minute without a terminal (not with -q)."""
        now = self._clock()
        last = self._said if self._said is not None else self._started
        if self._quiet or last is None or now - last < _LINE_EVERY:
            return
        self._said = now
        waiting = f"; {self._waiting_label()}" if self._wait is not None else ""
        click.echo(f"ics2b24: {self._label} {self._progress_text()}{waiting}",
                   file=self._stream)

    def _bar_text(self, label: str) -> str:
        """The bar narrows to keep the ETA on a narrow terminal, behind a long label."""
        share = self._done / self._total if self._total else 1.0
        numbers = self._progress_text()
        width = max(0, min(_BAR_WIDTH, _columns() - len(label) - len(numbers) - 6))
        filled = int(share * width)
        return f"{label}  [{'#' * filled}{'-' * (width - filled)}]  {numbers}"

    def _progress_text(self) -> str:
        share = self._done / self._total if self._total else 1.0
        eta = self.eta()
        shown = "--:--:--" if eta is None else str(timedelta(seconds=round(eta)))
        return f"{int(share * 100):3d}%  {self._done}/{self._total}  ETA {shown}"

    def _draw(self, text: str) -> None:
        width = _columns()
        self._stream.write("\r" + text[:width].ljust(width))
        self._stream.flush()
        self._line = True

    def _clear(self) -> None:
        if self._line:
            width = _columns()
            self._stream.write("\r" + " " * width + "\r")
            self._stream.flush()
            self._line = False


def _columns() -> int:
    """The characters a line may hold without wrapping (the last column left free)."""
    return shutil.get_terminal_size((100, 24)).columns - 1
