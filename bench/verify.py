"""`verify` on a 5,000-event calendar against the embedded portal with its real, unscaled
limits: HTTP requests and seconds, and whether it finds the portal equal to the input (it must,
right after a push) and names an occurrence dropped behind the tool's back.

The portal is filled by a push with the limits lifted and restarted with the real ones
(bench.harness.filled_portal).

    python -m bench.verify [--events 5000]
"""

from __future__ import annotations

import argparse
import time

from bench.gen import generate
from bench.harness import convert_options, filled_portal
from ics2b24.app.session import Connection
from ics2b24.app.target import Target
from ics2b24.app.verify import verify
from ics2b24.bitrix.connect import Credentials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    data = generate(args.events, seed=args.events)
    inputs = [("bench.ics", data)]
    with filled_portal(data) as (portal, _, _):
        connection = Connection(Credentials(webhook=portal.webhook_url),
                                Target("user", 1, section_id=1))
        started = time.monotonic()
        report, _, requests = verify(inputs, connection, convert_options())
        seconds = time.monotonic() - started
        series = next(e for e in portal.api.store.events("user", 1) if e.get("rrule"))
        portal.api.store.put_event({**series, "exdate": [
            *series.get("exdate", []), series["from"][:10]]})
        dropped, _, _ = verify(inputs, connection, convert_options())
    print("\n## verify\n")
    print(f"- {args.events:,} VEVENTs: {report.uids:,} UIDs, {report.occurrences:,} occurrences "
          f"from {report.window.first} to {report.window.last}")
    print(f"- equal after the push: **{report.equal}**; HTTP requests: **{requests}**; "
          f"seconds: **{seconds:.1f}** (real limits, unscaled)")
    named = [r.uid for r in dropped.differing]
    print(f"- one occurrence dropped in the portal: {len(named)} UID named ({', '.join(named)})")


if __name__ == "__main__":
    main()
