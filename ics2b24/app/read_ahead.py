"""A company's calendars converted in the waits of the ones before them (`migrate`).

A migration pushes one calendar after another through one pacer. Once the webhooks'
operating time is spent, a push waits for the portal's window and the machine idles; every
calendar after it was then converted only when its turn came, seconds of CPU each on the path
after the wait (bench/RESULTS.md, bench/company.py). So the client hands each long wait to
`ReadAhead.use` (`Hooks.idle`), which converts the calendars to come in it, as many as fit,
and the client sleeps what is left. The work runs on the client's own thread, inside its
wait: a thread of its own would share the interpreter with the run's HTTP round trips and
slow the writes it is meant to leave alone (measured: bench/RESULTS.md).

A conversion is looked up by its inputs and its options, so a push, or verify, that asks with
other options converts anew, as it would without this module; push and verify of one calendar
share one conversion. What is held converted ahead is bounded by events, so a company of large
calendars does not fill memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.options import ConvertOptions

Inputs = list[tuple[str, bytes]]

DEFAULT_BUDGET = 20_000
"""Events held converted ahead at most (tens of megabytes)."""
FIRST_GUESS = 0.005
"""Seconds per event a conversion is taken to need before one has been timed."""
MARGIN = 0.8
"""The share of a wait that conversions may fill: the estimate is of the last calendars."""


@dataclass
class _Entry:
    inputs: Inputs
    options: ConvertOptions
    events: int
    result: ConvertResult | None = None


class ReadAhead:
    """The calendars to come, converted in the client's waits, each kept until `done`."""

    def __init__(self, budget: int = DEFAULT_BUDGET,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._budget = budget
        self._clock = clock
        self._entries: list[_Entry] = []
        self._per_event = FIRST_GUESS
        self.conversions = 0
        """Conversions made: one per calendar when every lookup finds its own."""

    def expect(self, inputs: Inputs, options: ConvertOptions, events: int) -> None:
        """A calendar to come, with the options its push will convert it with."""
        if self._find(inputs, options) is None:
            self._entries.append(_Entry(inputs, options, events))

    def use(self, seconds: float) -> float:
        """Convert calendars to come, in order, as long as the next one is expected to end
        within `seconds` and the budget holds it; the seconds it took."""
        started = self._clock()
        for entry in self._entries:
            if entry.result is not None:
                continue
            spent = self._clock() - started
            if (spent + entry.events * self._per_event > seconds * MARGIN
                    or self._held() + entry.events > self._budget):
                break
            self._convert(entry)
        return self._clock() - started

    def convert(self, inputs: Inputs, options: ConvertOptions) -> ConvertResult:
        """The conversion made ahead, else one made now (and kept for the calendar's verify)."""
        entry = self._find(inputs, options)
        if entry is None:
            entry = _Entry(inputs, options, 0)
            self._entries.append(entry)
        return entry.result if entry.result is not None else self._convert(entry)

    def done(self, inputs: Inputs) -> None:
        """The calendar is written and verified: what was converted of it is let go."""
        self._entries = [e for e in self._entries if not _same(e.inputs, inputs)]

    def _convert(self, entry: _Entry) -> ConvertResult:
        started = self._clock()
        entry.result = convert_inputs(entry.inputs, entry.options)
        self.conversions += 1
        if entry.events:
            self._per_event = (self._clock() - started) / entry.events
        return entry.result

    def _held(self) -> int:
        return sum(e.events for e in self._entries if e.result is not None)

    def _find(self, inputs: Inputs, options: ConvertOptions) -> _Entry | None:
        return next((e for e in self._entries
                     if _same(e.inputs, inputs) and e.options == options), None)


def _same(one: Inputs, other: Inputs) -> bool:
    """The same files: by name and by the very bytes read (a calendar's data is read once and
    held by its job, so comparing contents would only cost time)."""
    return len(one) == len(other) and all(
        a[0] == b[0] and a[1] is b[1] for a, b in zip(one, other, strict=True))
