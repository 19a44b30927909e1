"""The two limits of `limits.md`: the per-portal leaky bucket and per-method operating time.

Both take the clock as a function so tests can move time instead of sleeping. `time_scale` K
runs the same scenario K× faster: the bucket drains K× faster and every second of cost, basket
and window is divided by K; the numbers reported (`operating`, `operating_reset_at`) are the
scaled, real-clock ones, so a client sees a consistent, faster portal.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ics2b24.errors import UsageError

Clock = Callable[[], float]

BASKETS_PER_WINDOW = 10

DEFAULT_COSTS: Mapping[str, float] = {
    "calendar.event.add": 0.3,
    "calendar.event.update": 0.3,
    "calendar.event.delete": 0.3,
    "calendar.section.add": 0.1,
    "calendar.section.update": 0.1,
    "calendar.section.delete": 0.1,
    "calendar.user.settings.set": 0.05,
    "calendar.event.get": 0.05,
}
"""Simulated seconds of server time per call; any other method costs `DEFAULT_READ_COST`."""

DEFAULT_READ_COST = 0.01


def parse_ratio(text: str, option: str) -> tuple[float, float]:
    """`2/50` → (2.0, 50.0); anything else is a usage error naming the option."""
    left, slash, right = text.partition("/")
    try:
        first, second = float(left), float(right)
    except ValueError:
        first = second = -1.0
    if not slash or not all(math.isfinite(n) and n > 0 for n in (first, second)):
        raise UsageError(f"{option} must look like N/M with positive numbers, got {text!r}")
    return first, second


def parse_rate(text: str) -> tuple[float, float]:
    """`--rate Y/X`: Y requests per second, and a burst X of at least one request (a smaller
    bucket lets no request through, so the portal would refuse everything)."""
    per_second, burst = parse_ratio(text, "--rate")
    if burst < 1:
        raise UsageError(f"--rate {text!r}: the burst X must be at least 1 request")
    return per_second, burst


class LeakyBucket:
    """Each accepted request adds one; the level drains by `rate` per second; a request that
    would lift it above `burst` is refused (and does not count)."""

    def __init__(self, rate: float, burst: float, clock: Clock) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._level = 0.0
        self._last = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            now = self._clock()
            self._level = max(0.0, self._level - (now - self._last) * self._rate)
            self._last = now
            if self._level + 1 > self._burst + 1e-9:
                return False
            self._level += 1
            return True


@dataclass
class _Basket:
    start: float
    total: float = 0.0


@dataclass(frozen=True)
class OperatingStatus:
    """What `time.operating` and `time.operating_reset_at` report for one method."""

    operating: float
    reset_at: float


@dataclass
class _Ledger:
    baskets: list[_Basket] = field(default_factory=list)


class OperatingTime:
    """Per (credential, method) accumulated cost in one-minute baskets over a window.

    A basket opens at the first call of its minute and leaves the sum `window` seconds later;
    a call is refused when the sum already exceeds `limit` before it runs (`limits.md`).
    """

    def __init__(self, limit: float, window: float, clock: Clock,
                 *, round_reset: Callable[[float], float] = math.ceil) -> None:
        self._limit = limit
        self._window = window
        self._basket = window / BASKETS_PER_WINDOW
        self._clock = clock
        self._round_reset = round_reset
        self._ledgers: dict[tuple[str, str], _Ledger] = {}
        self._lock = threading.Lock()

    def _live(self, key: tuple[str, str], now: float) -> _Ledger:
        ledger = self._ledgers.setdefault(key, _Ledger())
        ledger.baskets = [b for b in ledger.baskets if b.start + self._window > now]
        return ledger

    def allowed(self, key: tuple[str, str]) -> bool:
        with self._lock:
            ledger = self._live(key, self._clock())
            return sum(b.total for b in ledger.baskets) <= self._limit

    def record(self, key: tuple[str, str], cost: float) -> OperatingStatus:
        with self._lock:
            now = self._clock()
            ledger = self._live(key, now)
            if not ledger.baskets or now >= ledger.baskets[-1].start + self._basket:
                ledger.baskets.append(_Basket(start=now))
            ledger.baskets[-1].total += cost
            return self._status(ledger, now)

    def status(self, key: tuple[str, str]) -> OperatingStatus:
        with self._lock:
            now = self._clock()
            return self._status(self._live(key, now), now)

    def _status(self, ledger: _Ledger, now: float) -> OperatingStatus:
        oldest = ledger.baskets[0].start if ledger.baskets else now
        return OperatingStatus(
            operating=sum(b.total for b in ledger.baskets),
            reset_at=self._round_reset(oldest + self._window),
        )


def _ceil_ms(value: float) -> float:
    return math.ceil(value * 1000) / 1000


@dataclass(frozen=True)
class LimitSettings:
    """The portal's limits in unscaled units, as `portal serve` takes them."""

    rate: float = 2.0
    burst: float = 50.0
    operating_limit: float = 480.0
    operating_window: float = 600.0
    time_scale: float = 1.0
    costs: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    read_cost: float = DEFAULT_READ_COST


class Limits:
    """Both limits of one portal, scaled by `time_scale`."""

    def __init__(self, settings: LimitSettings, clock: Clock) -> None:
        scale = settings.time_scale
        if scale <= 0:
            raise UsageError(f"--time-scale must be positive, got {scale}")
        self._settings = settings
        self.bucket = LeakyBucket(settings.rate * scale, settings.burst, clock)
        self.operating = OperatingTime(
            settings.operating_limit / scale, settings.operating_window / scale, clock,
            round_reset=math.ceil if scale == 1 else _ceil_ms,
        )

    def cost(self, method: str) -> float:
        """Seconds of operating time one call of `method` is charged, already scaled."""
        base = self._settings.costs.get(method, self._settings.read_cost)
        return base / self._settings.time_scale
