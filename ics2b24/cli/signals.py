"""The signals that stop a run: Ctrl-C (SIGINT), SIGTERM (`kill`, a service manager, a
cron job's timeout) and SIGHUP (the terminal or the SSH session closed).

Each stops a run the same way, as Ctrl-C always did: a `Signalled` (a KeyboardInterrupt)
raised where the run is, so every `finally` runs (doctor deletes its scratch section), and
the command says what was kept. Without this, SIGTERM and SIGHUP end the process where it
stands. One thing is never cut off: a write in flight. While the pusher holds a batch (`hold`:
sent, its answer not yet recorded), a signal waits until the answer is in the state DB, so the
state DB holds what the portal holds and the line counts it; a second signal stops at once.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ics2b24.errors import HungUp, Interrupted, Terminated

STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_KINDS: dict[int, type[Interrupted]] = {signal.SIGTERM: Terminated, signal.SIGHUP: HungUp}


class Signalled(KeyboardInterrupt):
    """One of `STOPS` arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Stopper:
    """The handler of `STOPS`, and how many holds are open."""

    def __init__(self) -> None:
        self.holding = 0
        self.pending: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding and self.pending is None:
            self.pending = signum
            return
        raise Signalled(signum)


_STOPPER = _Stopper()


@contextmanager
def caught() -> Iterator[None]:
    """Every signal of `STOPS` stops the run with `Signalled` while the block runs."""
    previous = {signum: signal.signal(signum, _STOPPER.handle) for signum in STOPS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def hold() -> Iterator[None]:
    """A write in flight: a signal that arrives in the block stops the run at its end."""
    _STOPPER.holding += 1
    try:
        yield
    finally:
        _STOPPER.holding -= 1
        if not _STOPPER.holding and _STOPPER.pending is not None:
            signum, _STOPPER.pending = _STOPPER.pending, None
            raise Signalled(signum)


def interruption(stop: BaseException | None, done: str = "") -> Interrupted:
    """The error a stop becomes (a prompt's Abort carries the stop as its context; anything
    but `Signalled` is Ctrl-C): `interrupted` (by SIGTERM, SIGHUP), then `done`, what was
    kept and how to go on."""
    signum = stop.signum if isinstance(stop, Signalled) else signal.SIGINT
    by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    return _KINDS.get(signum, Interrupted)(f"interrupted{by}{done}")
