"""Client-side pacing that keeps a run under both portal limits instead of running into them.

`limits.md` describes two limits. The request counter is a leaky bucket: each HTTP request
adds one, it drains by Y per second, and a request that lifts it above X is refused with 503.
Each method's operating time is summed in one-minute baskets (a basket opens at the first call
not covered by the previous one and leaves the sum `window` seconds after it opened); a call
is refused with 429 once the sum already exceeds the limit.

The pacer mirrors both: the bucket from the requests it is told about, the baskets from the
`time` blocks the portal reports (`operating`, `operating_reset_at`, each command's `start`),
placed on the portal's clock and translated to ours. It answers one question — how long to
wait before a request that will cost about C seconds of each method's time — with the least
wait that keeps both limits, because a migration must finish close to the bound the limits
set (bench/RESULTS.md). Where it must guess (usage by other clients of the same webhook), it guesses
on the side of waiting.

The bucket is the portal's and the source address's, shared by every credential a machine
uses; operating time is kept per webhook or application. So a pacer for a pool of webhooks of
one portal keeps one bucket and one ledger of baskets per webhook, and sends each request
through the webhook whose ledger lets it go soonest (`choose`).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ics2b24.errors import UsageError

Clock = Callable[[], float]

OPERATING_WINDOW = 600.0
DEFAULT_RATE = "2/50"
"""`--rate`: a cloud portal's request limit (`limits.md`), 2 a second with a burst of 50
(Enterprise plans: 5/250)."""
OPERATING_LIMIT = 480.0
"""`--operating-limit`: seconds of one method's operating time a webhook or app may spend
per `OPERATING_WINDOW` (`limits.md`)."""
BASKETS_PER_WINDOW = 10
_SLACK = 1e-6
"""Seconds of operating time below which a sum of many small float costs counts as equal."""


@dataclass(frozen=True)
class Rate:
    """`--rate Y/X`: Y requests per second drain the counter, X is the burst."""

    per_second: float
    burst: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Y and X finite, X at least one request: a smaller burst lets no request through."""
        left, slash, right = text.partition("/")
        try:
            per_second, burst = float(left), float(right)
        except ValueError:
            slash = ""
        if not slash:
            raise UsageError(f"--rate must be Y/X (requests per second / burst), got {text!r}")
        if not (math.isfinite(per_second) and per_second > 0):
            raise UsageError(f"--rate {text!r}: Y must be a positive number of requests per "
                             "second")
        if not (math.isfinite(burst) and burst >= 1):
            raise UsageError(f"--rate {text!r}: the burst X must be at least 1 request")
        return cls(per_second, burst)


@dataclass(frozen=True)
class TimeReport:
    """The portal's `time` block of one response, or of one batch command in `result_time`.

    A call is placed at its `finish`: the portal can only account for a call once it has run,
    and a later placement never lets the model free time before the portal does."""

    start: float
    finish: float
    duration: float
    operating: float | None = None
    reset_at: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimeReport | None:
        """None when the block lacks the timestamps the pacer needs (a portal that reports no
        times cannot be mirrored; the retry on 503/429 is then the only guard)."""
        try:
            start = float(data["start"])
            finish = float(data.get("finish", start))
            duration = float(data.get("duration", finish - start))
            operating = data.get("operating")
            reset_at = data.get("operating_reset_at")
            return cls(
                start=start,
                finish=finish,
                duration=duration,
                operating=None if operating is None else float(operating),
                reset_at=None if reset_at is None else float(reset_at),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Wait:
    """How long to wait before a request, and whether the operating-time limit is what makes
    it that long (such waits last minutes, so the user is told of them)."""

    seconds: float
    operating: bool = False
    method: str | None = None
    """The method whose operating time decides the wait, when it is that limit."""


@dataclass
class _Basket:
    start: float
    total: float


@dataclass
class _Method:
    """One method's baskets, on the portal's clock."""

    baskets: list[_Basket] = field(default_factory=list)
    reported: bool = False
    blocked_until: float = -math.inf


class Pacer:
    """Tells the client how long to wait before each request; never sleeps itself.

    `clock` must be wall-clock seconds (the portal's timestamps are Unix times); tests pass a
    fake one. `headroom` requests of the bucket are left unused: the portal drains its counter
    in whole steps once per second, so a smooth model may run up to one second's drain ahead
    of it (default: one second of drain, at most a tenth of the burst). There is one bucket
    for every request the pacer is told of, and one operating-time ledger per webhook or
    application, named by a key that is no secret (`Client` uses a digest of the token):
    `ledgers` names those a pool starts with, others open when first chosen.
    """

    def __init__(
        self,
        rate: Rate | None = None,
        operating_limit: float = OPERATING_LIMIT,
        *,
        window: float = OPERATING_WINDOW,
        headroom: float | None = None,
        clock: Clock = time.time,
        ledgers: Sequence[str] = ("",),
    ) -> None:
        self.rate = rate or Rate.parse(DEFAULT_RATE)
        if operating_limit <= 0:
            raise UsageError(f"--operating-limit must be positive, got {operating_limit}")
        self.operating_limit = operating_limit
        self.window = window
        self._basket_length = window / BASKETS_PER_WINDOW
        self._headroom = (
            min(self.rate.per_second, self.rate.burst / 10) if headroom is None else headroom
        )
        self._clock = clock
        self._level = 0.0
        self._level_at = clock()
        self._offset = 0.0
        if not ledgers:
            raise UsageError("a pacer needs at least one webhook's ledger")
        self._ledgers: dict[str, dict[str, _Method]] = {key: {} for key in ledgers}
        self._costs: dict[str, float] = {}
        """What the last call of each method accounted for cost, through any webhook: a
        call costs the same whichever token it carries."""
        self.ledger = ledgers[0]
        """The ledger (webhook of the pool) the next request goes through, and whose
        answers `record` and `operation_limited` learn from."""

    @property
    def _methods(self) -> dict[str, _Method]:
        return self._ledgers.setdefault(self.ledger, {})

    def choose(self, costs: Mapping[str, float], among: Sequence[str] | None = None) -> str:
        """Make the ledger of `among` (default: every ledger) whose operating time lets these
        calls go soonest the current one (the first of equals, so one webhook is used until
        another would go sooner)."""
        now = self._clock()
        keys = list(among if among is not None else self._ledgers)
        waits = []
        for key in keys:
            self.ledger = key
            waits.append(max((self._operating_wait(method, cost, now)
                              for method, cost in costs.items()), default=0.0))
        self.ledger = keys[waits.index(min(waits))]
        return self.ledger

    def delay(self, costs: Mapping[str, float]) -> float:
        """Seconds to wait before one HTTP request whose calls will cost about `costs[method]`
        seconds of each method's operating time (an empty mapping: a request that costs none)."""
        return self.wait(costs).seconds

    def wait(self, costs: Mapping[str, float]) -> Wait:
        """`delay`, saying whether the operating-time limit decides it."""
        now = self._clock()
        bucket = self._bucket_wait(now)
        waits = {method: self._operating_wait(method, cost, now)
                 for method, cost in costs.items()}
        method = max(waits, key=lambda m: waits[m], default=None)
        operating = waits[method] if method is not None else 0.0
        if operating > bucket:
            return Wait(operating, True, method)
        return Wait(bucket)

    def estimate(self, requests: Sequence[Mapping[str, float]],
                 among: Sequence[str] | None = None) -> float:
        """Seconds of waiting both limits add to these requests sent one after another (each
        a mapping method → its calls' operating seconds), from what the pacer knows now. The
        requests are taken to cost no time of their own: this is the part of a run's length
        the limits decide (what `plan` shows, and what a progress ETA must add). The pacer is
        not changed: the requests are played on a copy with a clock of its own, each through
        the ledger of `among` (default: all) that lets it go soonest."""
        now = self._clock()
        clock = [now]
        sim = Pacer(self.rate, self.operating_limit, window=self.window,
                    headroom=self._headroom, clock=lambda: clock[0])
        sim._level, sim._level_at, sim._offset = self._level, self._level_at, self._offset
        sim._ledgers, sim._costs = copy.deepcopy(self._ledgers), dict(self._costs)
        for costs in requests:
            sim.choose(costs, among)
            clock[0] += sim.delay(costs)
            sim.sent()
            for method, cost in costs.items():
                state = sim._method(method)
                portal_now = clock[0] - sim._offset
                sim._expire(state, portal_now)
                sim._charge(state, portal_now, cost)
        return clock[0] - now

    def sent(self) -> None:
        """Count one HTTP request into the bucket, just before it goes out."""
        now = self._clock()
        self._level = self._level_now(now) + 1
        self._level_at = now

    def query_limited(self) -> None:
        """The portal answered QUERY_LIMIT_EXCEEDED: its counter is at least full."""
        now = self._clock()
        self._level = max(self._level_now(now), self.rate.burst)
        self._level_at = now

    def operation_limited(self, method: str, reset_at: float | None) -> None:
        """The portal answered OPERATION_TIME_LIMIT for `method`: no call before `reset_at`
        (portal clock), or before the next basket could leave when the portal did not say."""
        state = self._method(method)
        if reset_at is not None:
            until = reset_at + self._offset
        else:
            until = self._clock() + self._basket_length
        state.blocked_until = max(state.blocked_until, until)

    def record(self, method: str, report: TimeReport) -> None:
        """Learn from what the portal reported about one call of `method`."""
        self._offset = self._clock() - report.finish
        state = self._method(method)
        self._expire(state, report.finish)
        if report.operating is None:
            cost = report.duration
        else:
            cost = report.operating - sum(b.total for b in state.baskets)
            if cost < 0:
                self._forget(state, -cost)
                cost = 0.0
            if state.reported:
                self._costs[method] = cost
            state.reported = True
        self._charge(state, report.finish, max(cost, 0.0))
        if report.reset_at is not None:
            earliest_start = report.reset_at - self.window
            for basket in state.baskets:
                basket.start = max(basket.start, earliest_start)

    def expected_cost(self, method: str, default: float) -> float:
        """The cost of the last call of `method` the portal accounted for, else `default`.
        The first report of a run is not used: it may include other clients' usage."""
        return self._costs.get(method, default)

    def _method(self, method: str) -> _Method:
        return self._methods.setdefault(method, _Method())

    def _level_now(self, now: float) -> float:
        return max(0.0, self._level - (now - self._level_at) * self.rate.per_second)

    def _bucket_wait(self, now: float) -> float:
        ceiling = max(1.0, self.rate.burst - self._headroom)
        excess = self._level_now(now) + 1 - ceiling
        return max(0.0, excess / self.rate.per_second)

    def _expire(self, state: _Method, portal_now: float) -> None:
        state.baskets = [b for b in state.baskets if b.start + self.window > portal_now]

    def _forget(self, state: _Method, amount: float) -> None:
        """The portal counts less than the model: the oldest baskets have left it already."""
        for basket in state.baskets:
            taken = min(basket.total, amount)
            basket.total -= taken
            amount -= taken
        state.baskets = [b for b in state.baskets if b.total > 0]

    def _charge(self, state: _Method, start: float, cost: float) -> None:
        last = state.baskets[-1] if state.baskets else None
        if last is None or start >= last.start + self._basket_length:
            state.baskets.append(_Basket(start=start, total=cost))
        else:
            last.total += cost

    def _operating_wait(self, method: str, cost: float, now: float) -> float:
        state = self._methods.get(method)
        if state is None:
            return 0.0
        wait = max(0.0, state.blocked_until - now)
        portal_now = now - self._offset
        self._expire(state, portal_now)
        need = sum(b.total for b in state.baskets) + cost - self.operating_limit
        for basket in state.baskets:
            if need <= _SLACK:
                break
            need -= basket.total
            wait = max(wait, basket.start + self.window + self._offset - now)
        return wait
