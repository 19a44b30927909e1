"""Re-run of an unchanged 5,000-event calendar (an unchanged re-run sends no write
call): write calls the portal executed, HTTP read requests, seconds.

The first push fills a portal kept in a SQLite file with the limits lifted (so it takes
seconds, not the half hour the real operating limit needs); the portal is then restarted on
the same file with the real, unscaled limits and the same push is run again. The calendar has
the full mix: series with EXDATEs and moved occurrences, rules written out as occurrences.
The restarted portal listens at another address, which the state DB has not met, so the
re-run finds out its calendar code again (ics2b24/app/traits.py): those writes, in a scratch
section of their own, are counted apart, not as the re-run's.

    python -m bench.rerun [--events 5000]
"""

from __future__ import annotations

import argparse
from collections import Counter

from bench.gen import generate
from bench.harness import filled_portal, push
from ics2b24.app.traits import PROBE
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.method_log import MethodLog

REAL = LimitSettings()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    data = generate(args.events, seed=args.events)
    with filled_portal(data) as (portal, state, first):
        log = MethodLog(portal, apart=PROBE)
        again = push(portal, data, state, REAL)
        counters = portal.counters()
    reads = dict(sorted(Counter(log.calls).items()))
    writes = log.writes().total()
    print("\n## Unchanged re-run\n")
    print(f"- first push: {first.summary.line()}")
    print(f"- re-run (real limits, unscaled): {again.summary.line()}")
    print(f"- write calls executed by the portal on the re-run: **{writes}** "
          f"({'ok' if writes == 0 else 'NOT 0'}); the generation probe's calls, apart: "
          f"{len(log.probed)}")
    print(f"- HTTP requests: {counters.requests}; 503/429: {counters.query_limit_exceeded}/"
          f"{counters.operation_time_limit}; methods executed: {reads}")
    print(f"- seconds: {again.seconds:.1f} (first push: {first.seconds:.1f})")


if __name__ == "__main__":
    main()
