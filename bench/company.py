"""A company migrated in one process: P people's generated calendars pushed one after another
through the library into the embedded portal with its real limits, time-scaled K times, once
per size n of a pool of one user's webhooks; wall time against the bound the limits set.

Where the calendars go. Each person gets a section of their own, all of them in user 1's
calendar ("Person 001", ...), each created by its own push: the measurement in
bench/RESULTS.md was made so. (The test portal now lets an administrator's webhook write
every user's calendar, as `migrate` does; the limits and the pacing, which this script
measures, are the same whichever calendar a section is in.)

The pool and the one pacer. The request bucket is the portal's (and the source address's):
every push of the run fills the same one; operating time is kept per method per webhook. So
every person's connection carries ONE `Pacer` (`Connection.pacer`), with the portal's limits
scaled like the portal (`Rate(2K, 50)`, 480/K s per 600/K s window) and a ledger per webhook
of the pool (`Credentials(webhook=" ".join(urls))`; the client sends each request through the
webhook whose ledger lets it go soonest). A pacer per person would start each push believing
the bucket empty and the ledgers unspent, and run into 503s and 429s.

The bound. For R requests the bucket accepted, W adds costing C = 0.3·W s, burst X = 50,
Y = 2/s, L = 480 s per window of 600 s, and n webhooks, each spending at most L per window:
max((R − X)/Y, ⌈(C/n − L)/L⌉·600 if C/n > L else 0) in unscaled seconds (the exact staircase
of `bench/migration.py`, whose docstring says why it is not (C − L)·W/L); /K in wall seconds.
The target is wall ≤ 1.05 × bound: 10 webhooks about 10× faster than one (at 50 × 400, the
converter writes out some series as occurrences, 21,442 adds, and the staircase makes the
bound's own speed-up 13×: 13, 3 and 1 windows, 7,800, 1,800 and 600 s).

The default scale. The portal's and the client's own work (21,442 adds in 50 pushes: the
converter, the HTTP round trips, the portal's calendar code, the state DB, all in one process)
takes about 60 s with the limits lifted (`--lifted` measures it: 63.3 s and 59.8 s). The
10-webhook bound is 600/K s, so K = 4 keeps it 2.5 times that (150 s); at K = 20 it would be
30 s, below the processing time, and the ratio would measure CPU, not pacing. The price is
the 1-webhook run: 7,800/K s, so the three runs take about 45 minutes, not 10–15. A smaller
company does not help: below 16,000 adds (C/10 ≤ L) ten webhooks never wait for operating
time at all, and the processing time grows with the adds as the bound does.

After each run the portal must equal the input: every person's events stored exactly once in
their section (by name, start and end), nothing in any other section, no failed write, and a
fresh plan per person with no write left; a run that is not equal makes the script exit 1.

    python -m bench.company [--people 50] [--events 400] [--scale K] [--webhooks 1,4,10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from bench.harness import LIFTED, convert_options, section_equality, start_portal
from bench.migration import ADD, Run, calendar, measured
from ics2b24.app import run
from ics2b24.app.session import Connection, SyncOptions
from ics2b24.app.target import Target
from ics2b24.bitrix.connect import Credentials
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.ical.convert import ConvertResult
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal

DEFAULT_SCALE = 4.0
TARGET_RATIO = 1.05
PAUSE = 1.0
"""Seconds between two writes that `timeline` counts as a wait for operating time."""
OWNER = 1


@dataclass(frozen=True)
class Person:
    """One person's calendar: the section it goes to, the .ics and what it converts to."""

    section: str
    data: bytes
    converted: ConvertResult

    @property
    def inputs(self) -> list[tuple[str, bytes]]:
        return [(f"{self.section}.ics", self.data)]


def company(people: int, events: int) -> list[Person]:
    """`people` calendars of `events` adds each, every one with a seed of its own."""
    return [Person(f"Person {index:03d}", *calendar(events, seed=index))
            for index in range(1, people + 1)]


def shared_pacer(limits: LimitSettings) -> Pacer:
    """One pacer for the whole run, for a portal running `time_scale` times faster."""
    scale = limits.time_scale
    return Pacer(Rate(limits.rate * scale, limits.burst), limits.operating_limit / scale,
                 window=limits.operating_window / scale)


def connection(portal: Portal, person: Person, state: Path, pacer: Pacer) -> Connection:
    """The person's section of user 1, through the whole pool, paced by the shared pacer."""
    return Connection(Credentials(webhook=" ".join(portal.webhook_urls)),
                          Target("user", OWNER, section_name=person.section), state,
                          pacer=pacer)


@dataclass(frozen=True)
class Row:
    """One pool size's run: what `bench.migration` measures of a run, and the people."""

    webhooks: int
    people: int
    run: Run

    def line(self, single: Row | None) -> str:
        run, wall = self.run, self.run.exact_wall
        ratio = run.seconds / wall if wall else None
        verdict = ("bound 0" if ratio is None
                   else f"{ratio:.3f} ({'ok' if ratio <= TARGET_RATIO else 'OVER'})")
        if single is None:
            speed_up = "–"
        else:
            bounds = f"{single.run.exact_wall / wall:.2f}×" if wall else "–"
            speed_up = f"{single.run.seconds / run.seconds:.2f}× (bound's {bounds})"
        return (f"| {self.webhooks} | {self.people} | {run.events:,} | {run.writes:,} | "
                f"{run.requests:,} | {run.limited_503} / {run.limited_429} | "
                f"{run.seconds:.1f} | {wall:.1f} | {verdict} | {speed_up} | "
                f"{'yes' if run.equal else 'NO'} |")


HEADER = [
    "| webhooks | people | events | writes | HTTP requests | 503 / 429 | wall s | bound s "
    f"| wall / bound (target ≤ {TARGET_RATIO}) | speed-up over 1 webhook | equal |",
    "|---:|---:|---:|---:|---:|---|---:|---:|---|---|---|",
]


def migrate(people: list[Person], events: int, webhooks: int, limits: LimitSettings) -> Row:
    """Every person pushed in turn on a fresh portal with `webhooks` webhooks of user 1."""
    portal = start_portal(limits, webhooks=webhooks)
    log = MethodLog(portal)
    stamps: list[float] = []
    log.on_write = lambda _count: stamps.append(time.monotonic())
    pacer = shared_pacer(limits)
    options = SyncOptions(convert=convert_options())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state.sqlite3"
            failed = 0
            started = time.monotonic()
            for done, person in enumerate(people, 1):
                summary = run.push(person.inputs, connection(portal, person, state, pacer),
                                   options)
                failed += summary.failed
                if done % 10 == 0 or done == len(people):
                    print(f"  {webhooks} webhook(s): {done}/{len(people)} people pushed, "
                          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
            seconds = time.monotonic() - started
            print(f"  {webhooks} webhook(s): {timeline(stamps, started, seconds)}",
                  file=sys.stderr, flush=True)
            counters = portal.counters()
            writes = log.calls.count(ADD)
            equal = failed == 0 and all_equal(portal, people, state, pacer, options)
    finally:
        portal.stop()
    return Row(webhooks, len(people),
               measured("ics2b24", f"{webhooks} webhooks", len(people) * events, writes,
                        counters, seconds, limits, equal, webhooks))


def timeline(stamps: list[float], started: float, seconds: float) -> str:
    """Where a run's time went, from the moment of each write the portal ran: the pauses
    between writes longer than `PAUSE` s (the operating-time waits), the writes' time before
    the first and after the last of them, and the run's time after its last write."""
    if not stamps:
        return "no writes"
    gaps = [(b - a, a - started) for a, b in pairwise(stamps)
            if b - a > PAUSE]
    paused = sum(gap for gap, _ in gaps)
    first = f"{gaps[0][1]:.1f}" if gaps else "–"
    after = f"{stamps[-1] - (gaps[-1][1] + gaps[-1][0]) - started:.1f}" if gaps else "–"
    return (f"{len(gaps)} pauses > {PAUSE:g} s between writes, {paused:.1f} s in all; writes "
            f"until the first pause {first} s, after the last {after} s; run after its last "
            f"write {started + seconds - stamps[-1]:.1f} s")


def all_equal(portal: Portal, people: list[Person], state: Path, pacer: Pacer,
              options: SyncOptions) -> bool:
    """Each person's section equals their input, with no write left in a fresh plan, and
    user 1's calendar holds nothing besides (no event outside the people's sections)."""
    sections = {s["name"]: int(s["id"]) for s in portal.store.sections("user", OWNER)}
    equal = True
    for person in people:
        section = sections.get(person.section)
        if section is None:
            print(f"  {person.section}: no section", file=sys.stderr)
            equal = False
            continue
        plan = run.make_plan(person.inputs, connection(portal, person, state, pacer), options)
        found = section_equality(portal, person.converted, section, len(plan.plan.writes))
        if not found.equal:
            print(f"  {person.section}: {found}", file=sys.stderr)
            equal = False
    stored = len(portal.store.events("user", OWNER))
    expected = sum(len(p.converted.events) for p in people)
    if stored != expected:
        print(f"  user {OWNER}'s calendar holds {stored} events, the input {expected}",
              file=sys.stderr)
        equal = False
    return equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--events", type=int, default=400, help="Events per person.")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help="K: the portal's limits run K times faster.")
    parser.add_argument("--webhooks", default="1,4,10", help="Pool sizes, one run each.")
    parser.add_argument("--lifted", action="store_true",
                        help="Limits lifted: the portal's and the client's own processing time.")
    args = parser.parse_args()
    pools = [int(n) for n in args.webhooks.split(",")]
    limits = LIFTED if args.lifted else LimitSettings(time_scale=args.scale)
    started = time.monotonic()
    people = company(args.people, args.events)
    print(f"  generated and converted {args.people} × {args.events} events in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    label = "limits lifted" if args.lifted else f"real limits, ×{args.scale:g}"
    print(f"\n## A company migration with a pool of webhooks ({label})\n")
    print("\n".join(HEADER), flush=True)
    rows: list[Row] = []
    for webhooks in pools:
        rows.append(migrate(people, args.events, webhooks, limits))
        single = next((r for r in rows if r.webhooks == 1), None)
        print(rows[-1].line(single if rows[-1].webhooks != 1 else None), flush=True)
    print("\nWall and bound in wall-clock seconds of that run (unscaled bound / K); R in the "
          "bound counts the requests the bucket accepted (a 503 does not fill it).")
    if not all(r.run.equal for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
