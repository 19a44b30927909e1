"""A clock the test moves by hand, for the pacer and the test portal's limits and tokens."""

from __future__ import annotations


class FakeClock:
    """`clock()` is `now`; a test sets or advances `now`."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
