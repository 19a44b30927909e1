"""A company's next calendars converted while the current one is written (`migrate`).

A migration pushes one calendar after another through one pacer. Once the webhooks' operating
time is spent, a push waits for the portal's window and the machine idles; every calendar
after it was then converted only when its turn came, seconds of CPU each on the path after
the wait (bench/RESULTS.md, bench/company.py). So the calendars ahead are converted in one
background thread while the current one is written: during a wait the thread has the machine,
and a calendar's turn finds its events ready.

Converting is pure (ical/), so the thread shares nothing with the push but the result. What
is held ahead is bounded by events, so a company of large calendars does not fill memory. A
conversion is looked up by its inputs and its options: a push, or verify, that asks with
other options converts anew, as it would without this module; push and verify of one calendar
share one conversion.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.options import ConvertOptions

Inputs = list[tuple[str, bytes]]

DEFAULT_BUDGET = 20_000
"""Events held converted ahead at most (tens of megabytes), beyond the calendar being written."""


@dataclass(frozen=True)
class _Ahead:
    inputs: Inputs
    options: ConvertOptions
    events: int
    result: Future[ConvertResult]


class ReadAhead:
    """Conversions made ahead in one background thread, each kept until `done`."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._budget = budget
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ics2b24-read-ahead")
        self._held: list[_Ahead] = []
        self.conversions = 0
        """Conversions made, ahead or not: one per calendar when every lookup finds its own."""

    def ahead(self, inputs: Inputs, options: ConvertOptions, events: int) -> bool:
        """Convert this input in the background, unless it is already; False, and nothing
        started, when it would hold more than the budget (the first one is always taken)."""
        if self._find(inputs, options) is not None:
            return True
        if self._held and sum(a.events for a in self._held) + events > self._budget:
            return False
        self.conversions += 1
        self._held.append(_Ahead(inputs, options, events,
                                 self._pool.submit(convert_inputs, inputs, options)))
        return True

    def convert(self, inputs: Inputs, options: ConvertOptions) -> ConvertResult:
        """The conversion made ahead (waiting for it if it is under way; its error raised
        here, as converting now would), else one made now."""
        found = self._find(inputs, options)
        if found is not None:
            return found.result.result()
        self.conversions += 1
        return convert_inputs(inputs, options)

    def done(self, inputs: Inputs) -> None:
        """The calendar is written and verified: what was converted of it is let go."""
        self._held = [a for a in self._held if not _same(a.inputs, inputs)]

    def close(self) -> None:
        """Stop what has not started; a conversion under way ends on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._held = []

    def _find(self, inputs: Inputs, options: ConvertOptions) -> _Ahead | None:
        return next((a for a in self._held
                     if _same(a.inputs, inputs) and a.options == options), None)


def _same(one: Inputs, other: Inputs) -> bool:
    """The same files: by name and by the very bytes read (a calendar's data is read once and
    held by its job, so comparing contents would only cost time)."""
    return len(one) == len(other) and all(
        a[0] == b[0] and a[1] is b[1] for a, b in zip(one, other, strict=True))
