"""A migration against the embedded portal with the real limits: HTTP requests used
against ⌈W/50⌉, wall time against the bound the two limits set, and 503/429 answers; and the
same adds sent by `fast-bitrix24`, the reference client, side by side.

The bound. For R requests, a bucket of burst X draining Y per second, C seconds of operating
cost of one method and a limit of L seconds per window, the bound is
max((R − X)/Y, (C − L)·window/L, 0). The operating term assumes cost can be spread evenly, but
no schedule spends more than L inside one window: the first L may be spent at once, and each
further L only once a whole window has passed, so the least time is ⌈(C − L)/L⌉·window (to
within one call). The two agree when (C − L)/L is a whole number; elsewhere the spec's number
cannot be reached by any client. Times are compared against the exact bound; both are printed,
and W = 4,800 (C = 1,440 s = 3·L) is added as the size where they coincide.

Our client runs on a portal scaled K times faster (`--time-scale`), its pacing scaled alike;
the bound in wall-clock seconds is then bound/K. fast-bitrix24 throttles in wall-clock seconds
(a 600 s window it cannot be told to shorten), so it runs on an unscaled portal: 500 events
under the real limits, and 5,000 with the real bucket but the operating limit lifted (unscaled,
the operating limit alone would take 30 minutes per client); ours runs there too, so those rows
compare time as well.

    python -m bench.migration [--scale 20] [--sizes 500,4800,5000]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.gen import Mix, generate
from bench.harness import LIFTED, compare, convert_options, push, start_portal
from ics2b24.app.conversion import convert_options as options_for
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.portal.limits import DEFAULT_COSTS, LimitSettings
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Counters

REAL = LimitSettings()
ADD = "calendar.event.add"
MIX = Mix(exceptions=False, expanded=False)
"""Every VEVENT one add: W is then the event count, and one method's budget binds."""


@dataclass(frozen=True)
class Bound:
    requests: float
    spec_operating: float
    exact_operating: float

    @property
    def spec(self) -> float:
        return max(self.requests, self.spec_operating, 0.0)

    @property
    def exact(self) -> float:
        return max(self.requests, self.exact_operating, 0.0)


def bound(requests: int, writes: int, limits: LimitSettings, webhooks: int = 1) -> Bound:
    """In unscaled seconds, for `writes` adds and `requests` HTTP requests; the adds' cost
    spread over a pool of `webhooks` (each its own operating-time ledger, one shared bucket)."""
    cost = writes * DEFAULT_COSTS[ADD] / webhooks
    limit, window = limits.operating_limit, limits.operating_window
    over = cost - limit
    return Bound(
        requests=(requests - limits.burst) / limits.rate,
        spec_operating=over * window / limit,
        exact_operating=math.ceil(over / limit - 1e-9) * window if over > 0 else 0.0,
    )


@dataclass
class Run:
    client: str
    portal: str
    events: int
    writes: int
    requests: int
    limited_503: int
    limited_429: int
    seconds: float
    bound: Bound
    scale: float
    equal: bool

    @property
    def exact_wall(self) -> float:
        """The exact bound in wall-clock seconds of this run."""
        return self.bound.exact / self.scale

    def line(self) -> str:
        target_requests = math.ceil(self.writes / 50) + 3
        exact_wall = self.exact_wall
        target_time = 1.1 * exact_wall + 2
        time_ok = self.seconds <= target_time
        return (f"| {self.client} | {self.portal} | {self.events:,} | {self.writes:,} | "
                f"{self.requests} (⌈W/50⌉ = {math.ceil(self.writes / 50)}; "
                f"{'ok' if self.requests <= target_requests else 'OVER'}) | "
                f"{self.limited_503} / {self.limited_429} | {self.seconds:.1f} | "
                f"{self.bound.spec / self.scale:.1f} | {exact_wall:.1f} | "
                f"{f'{self.seconds / exact_wall:.2f}×' if exact_wall else 'bound 0'} "
                f"({'ok' if time_ok else 'OVER'}: ≤ {target_time:.1f} s) | "
                f"{'yes' if self.equal else 'NO'} |")


def measured(client: str, label: str, events: int, writes: int, counters: Counters,
             seconds: float, limits: LimitSettings, equal: bool, webhooks: int = 1) -> Run:
    """A run's row from what the portal counted; R in the bound counts the requests the
    bucket accepted (a 503 does not fill it)."""
    accepted = counters.requests - counters.query_limit_exceeded
    return Run(client, label, events, writes, counters.requests,
               counters.query_limit_exceeded, counters.operation_time_limit, seconds,
               bound(accepted, writes, limits, webhooks), limits.time_scale, equal)


def calendar(events: int, seed: int | None = None) -> tuple[bytes, ConvertResult]:
    """A generated calendar of `events` adds (seeded by its size unless `seed` is given), and
    what the converter makes of it."""
    data = generate(events, seed=events if seed is None else seed, mix=MIX)
    return data, convert_inputs([("generated.ics", data)],
                                options_for(convert_options()))


def ours(events: int, limits: LimitSettings, label: str) -> Run:
    data, converted = calendar(events)
    portal = start_portal(limits)
    log = MethodLog(portal)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state.sqlite3"
            pushed = push(portal, data, state, limits)
            counters = portal.counters()
            writes = log.writes().total()
            equal = compare(portal, converted, data, state, limits).equal
    finally:
        portal.stop()
    return measured("ics2b24", label, events, writes, counters, pushed.seconds, limits, equal)


def fast_bitrix24(events: int, limits: LimitSettings, label: str) -> Run:
    """The same adds through fast-bitrix24's documented `call` with a list of items."""
    from fast_bitrix24 import Bitrix

    _, converted = calendar(events)
    items: list[dict[str, Any]] = [
        {"type": "user", "ownerId": 1, "section": 1, **e.params.to_params()}
        for e in converted.events
    ]
    portal = start_portal(limits)
    log = MethodLog(portal)
    try:
        client = Bitrix(portal.webhook_url, verbose=False)
        started = time.monotonic()
        try:
            ids = client.call(ADD, items)
        except Exception as exc:
            ids = []
            label += f"; GAVE UP: {type(exc).__name__}: {str(exc)[:80]}"
        seconds = time.monotonic() - started
        counters = portal.counters()
        stored = len(portal.store.events("user", 1, [1]))
        equal = stored == len(items) and len(set(ids)) == len(items)
    finally:
        portal.stop()
    return measured("fast-bitrix24", label, events, log.writes().total(), counters, seconds, limits,
                    equal)


HEADER = [
    "| client | portal | events | W (writes) | HTTP requests | 503 / 429 | wall s "
    "| spec bound s | exact bound s | wall / exact (target ≤ 1.1× + 2 s) | equal |",
    "|---|---|---:|---:|---|---|---:|---:|---:|---|---|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--sizes", default="500,4800,5000")
    parser.add_argument("--no-reference", action="store_true",
                        help="Leave fast-bitrix24 out.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    scaled = LimitSettings(time_scale=args.scale)
    bucket_only = LimitSettings(operating_limit=LIFTED.operating_limit)
    rows: list[Run] = []
    for events in sizes:
        if events <= 1000:
            rows.append(ours(events, REAL, "real limits, unscaled"))
        else:
            rows.append(ours(events, scaled, f"real limits, ×{args.scale:g}"))
        print(rows[-1].line(), flush=True)
    if not args.no_reference:
        small, large = min(sizes), max(sizes)
        rows.append(fast_bitrix24(small, REAL, "real limits, unscaled"))
        print(rows[-1].line(), flush=True)
        for client in (fast_bitrix24, ours):
            rows.append(client(large, bucket_only, "real bucket, operating limit lifted"))
            print(rows[-1].line(), flush=True)
    print("\n## Migration against the embedded portal\n")
    print("\n".join(HEADER + [r.line() for r in rows]))
    print("\nBounds and wall times are in wall-clock seconds of that run (unscaled bound / K); "
          "R in the bound counts the requests the bucket accepted (a 503 does not fill it).")


if __name__ == "__main__":
    main()
