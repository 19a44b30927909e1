"""A company migrated in one process, as `ics2b24 migrate` moves it: P people's generated
calendars, each pushed through the library into its own portal user's calendar on the
embedded portal with its real limits, time-scaled K times, once per size n of a pool of the
administrator's webhooks; wall time against two bounds the limits set.

Where the calendars go. The portal holds an administrator, user 1, whose webhooks the pool
is, and one user per person (`person001@example.com`, user 2, ...); an administrator's
webhook writes every user's calendar (ics2b24/portal/access.py). The people's calendars are
written out as an export (one folder per person) and made into pushes by migrate's own
`read_export` and `jobs` (ics2b24/app/company.py): each into a section named after it in its
person's calendar, with a state DB of its own; the portal's calendar code is found out once
for the run, as migrate does. Each push is `run.push`, the push of migrate's `move`, without
the `verify` that follows it there: on the test portal that read-back takes about 20 s per
400-event person on this 2-CPU machine (the portal expanding every month view), which would
measure the portal's calendar code, not the pacing; the equality check below stands in. As
in migrate, the calendars after the one being pushed are read ahead
(ics2b24/app/read_ahead.py): in each wait for a window the calendars still to come are
converted, so the wait is not followed by seconds of converting them; and every person's
section is found or made before the first push, in batches (ics2b24/app/company_sections.py).

The pool and the one pacer. The request bucket is the portal's (and the source address's):
every push of the run fills the same one; operating time is kept per method per webhook. So
every person's connection carries ONE `Pacer` (`Connection.pacer`), with the portal's limits
scaled like the portal (`Rate(2K, 50)`, 480/K s per 600/K s window) and a ledger per webhook
of the pool (`Credentials(webhook=" ".join(urls))`; the client sends each request through the
webhook whose ledger lets it go soonest). A pacer per person would start each push believing
the bucket empty and the ledgers unspent, and run into 503s and 429s.

The bounds. For R requests the bucket accepted, W adds costing C = 0.3·W s, burst X = 50,
Y = 2/s, L = 480 s per window of 600 s, and n webhooks, each spending at most L in any 600 s
(the portal's one-minute baskets can give time back up to a minute sooner; neither bound
counts that), in unscaled seconds, /K in wall seconds:

- the issue's: max((R − X)/Y, m·600), m = max(0, ⌈C/(nL)⌉ − 1) the windows past the first
  (the exact staircase of `bench/migration.py`, whose docstring says why it is not
  (C/n − L)·600/L);
- with the refill: max((R − X)/Y, max over j = 0…m of j·600 + ((⌈(W − j·A)/50⌉ − X)/Y)⁺),
  A = nL/0.3 the adds all ledgers take in one window. Why: any 600 s holds at most nL of
  cost, so the j·600 s before the last add hold at most j·A adds, and the W − j·A others
  went in batches of at most 50 (the portal's batch limit) before them, which the bucket
  lets through no sooner than (count − X)/Y. With one webhook A is 32 batches, inside the
  burst, and the two agree; with 10 the first window's 320 batches take 135 s, and the
  time they spent comes back at that pace. Each person's reads before their adds only add
  to it (bench/RESULTS.md, 2026-12-07, counts them for pushes one after another).

The target is wall ≤ 1.05 × the issue's bound: 10 webhooks about 10× faster than one (at
50 × 400, the converter writes out some series as occurrences, 21,442 adds, and the staircase
makes the bound's own speed-up 13×: 13, 3 and 1 windows, 7,800, 1,800 and 600 s; with the
refill 7,800, 1,800 and 629.5 s).

The default scale. The portal's and the client's own work (21,442 adds in 50 pushes: the
converter, the HTTP round trips, the portal's calendar code, the state DBs, all in one
process) takes about 60 s with the limits lifted (`--lifted` measures it: 63.3 s and 59.8 s
when the people were sections of user 1). The 10-webhook bound is 600/K s, so K = 4 keeps it
2.5 times that (150 s); at K = 20 it would be 30 s, below the processing time, and the ratio
would measure CPU, not pacing. The price is the 1-webhook run: 7,800/K s, so the three runs
take about 45 minutes, not 10–15. A smaller company does not help: below 16,000 adds
(C/10 ≤ L) ten webhooks never wait for operating time at all, and the processing time grows
with the adds as the bound does.

After each run the portal must equal the input: every person's events stored exactly once in
their section of their own calendar (by name, start and end), nothing in any other section
or calendar, no failed write, and a fresh plan per person with no write left; a run that is
not equal makes the script exit 1.

    python -m bench.company [--people 50] [--events 400] [--scale K] [--webhooks 1,4,10]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.harness import LIFTED, convert_options, section_equality, start_portal
from bench.migration import ADD, Run, calendar, measured
from ics2b24.app import run
from ics2b24.app.company import Job, jobs, read_ahead, read_export
from ics2b24.app.company_sections import sections_ahead
from ics2b24.app.read_ahead import ReadAhead
from ics2b24.app.session import Connection, current_user
from ics2b24.app.traits import probe_traits
from ics2b24.bitrix.connect import Credentials, Hooks, make_client
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.ical.convert import ConvertResult
from ics2b24.model import PortalTraits
from ics2b24.portal.batch import MAX_COMMANDS
from ics2b24.portal.limits import DEFAULT_COSTS, LimitSettings
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal

DEFAULT_SCALE = 4.0
TARGET_RATIO = 1.05
PAUSE = 1.0
"""Seconds between two writes that `timeline` counts as a wait for operating time."""
ADMIN = 1


@dataclass(frozen=True)
class Person:
    """One person: their portal user and address, their .ics and what it converts to."""

    user: int
    address: str
    data: bytes
    converted: ConvertResult


def company(people: int, events: int) -> list[Person]:
    """`people` calendars of `events` adds each, every one with a seed of its own."""
    return [Person(ADMIN + index, f"person{index:03d}@example.com",
                   *calendar(events, seed=index))
            for index in range(1, people + 1)]


def portal_users(people: Sequence[Person]) -> dict[str, Any]:
    """The portal's users config: the administrator, then one user per person."""
    return {"users": [{"id": ADMIN, "name": "Admin", "email": "admin@example.com",
                       "admin": True},
                      *({"id": p.user, "email": p.address} for p in people)]}


def migration_jobs(people: Sequence[Person], folder: Path) -> list[Job]:
    """The pushes `migrate` makes of the people's export, written to `folder` as one folder
    per person (a Google Workspace export), each person's user given as `--owners` gives it."""
    export = folder / "export"
    for person in people:
        (export / person.address).mkdir(parents=True)
        (export / person.address / "calendar.ics").write_bytes(person.data)
    return jobs(read_export(export), {p.address: p.user for p in people}, "copies",
                convert_options(), folder / "state")


def shared_pacer(limits: LimitSettings) -> Pacer:
    """One pacer for the whole run, for a portal running `time_scale` times faster."""
    scale = limits.time_scale
    return Pacer(Rate(limits.rate * scale, limits.burst), limits.operating_limit / scale,
                 window=limits.operating_window / scale)


def connection(portal: Portal, job: Job, pacer: Pacer, traits: PortalTraits,
               user: dict[str, Any] | None = None, ahead: ReadAhead | None = None
               ) -> Connection:
    """The job's section of its person's calendar, through the whole pool, paced by the
    shared pacer; its input converted ahead (app/read_ahead.py), the administrator's
    `user.current` and `user.admin` known, as migrate does."""
    return Connection(pool(portal), job.target, job.state, pacer=pacer, traits=traits,
                      read_ahead=ahead, hooks=Hooks(idle=ahead.use if ahead else None),
                      user=user, admin=True)


def pool(portal: Portal) -> Credentials:
    """Every webhook of the administrator, as one credential the client spreads over."""
    return Credentials(webhook=" ".join(portal.webhook_urls))


def portal_traits(portal: Portal, pacer: Pacer) -> tuple[PortalTraits, dict[str, Any]]:
    """The portal's calendar code, found out once in the administrator's calendar for every
    state DB of the run, as cli/migrate.py does (each would otherwise probe on its own), and
    the administrator's `user.current`, which migrate also asks once."""
    with closing(make_client(pool(portal), pacer=pacer)) as client:
        return probe_traits(client, "user", ADMIN), current_user(client)


def refill_bound(writes: int, webhooks: int, limits: LimitSettings) -> float:
    """The operating term of the bound with the bucket's refill (module docstring), in
    unscaled seconds."""
    per_window = webhooks * limits.operating_limit / DEFAULT_COSTS[ADD]
    windows = max(0, math.ceil(writes / per_window - 1e-9) - 1)
    return max(j * limits.operating_window
               + max(0.0, (math.ceil((writes - j * per_window) / MAX_COMMANDS - 1e-9)
                           - limits.burst) / limits.rate)
               for j in range(windows + 1))


@dataclass(frozen=True)
class Row:
    """One pool size's run: what `bench.migration` measures of a run, the people, and the
    bound with the refill in wall seconds."""

    webhooks: int
    people: int
    run: Run
    refill_wall: float

    def line(self, single: Row | None) -> str:
        run, wall = self.run, self.run.exact_wall
        if single is None:
            speed_up = "–"
        else:
            bounds = f"{single.run.exact_wall / wall:.2f}×" if wall else "–"
            speed_up = f"{single.run.seconds / run.seconds:.2f}× (bound's {bounds})"
        return (f"| {self.webhooks} | {self.people} | {run.events:,} | {run.writes:,} | "
                f"{run.requests:,} | {run.limited_503} / {run.limited_429} | "
                f"{run.seconds:.1f} | {wall:.1f} | {ratio(run.seconds, wall, target=True)} | "
                f"{self.refill_wall:.1f} | {ratio(run.seconds, self.refill_wall, target=False)} | "
                f"{speed_up} | {'yes' if run.equal else 'NO'} |")


def ratio(seconds: float, bound: float, *, target: bool) -> str:
    """Wall time over a bound, and against the target when it is the one held to it."""
    if not bound:
        return "bound 0"
    value = seconds / bound
    return (f"{value:.3f} ({'ok' if value <= TARGET_RATIO else 'OVER'})" if target
            else f"{value:.3f}")


HEADER = [
    "| webhooks | people | events | writes | HTTP requests | 503 / 429 | wall s | bound s "
    f"| wall / bound (target ≤ {TARGET_RATIO}) | bound with refill s | wall / it "
    "| speed-up over 1 webhook | equal |",
    "|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---|---|---|",
]


def migrate(people: list[Person], events: int, webhooks: int, limits: LimitSettings) -> Row:
    """Every person pushed in turn into their own user on a fresh portal with `webhooks`
    webhooks of the administrator."""
    portal = start_portal(limits, webhooks=webhooks, users=portal_users(people))
    log = MethodLog(portal)
    stamps: list[float] = []
    log.on_write = lambda _count: stamps.append(time.monotonic())
    pacer = shared_pacer(limits)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = migration_jobs(people, Path(tmp))
            failed = 0
            started = time.monotonic()
            traits, user = portal_traits(portal, pacer)
            ahead = ReadAhead()
            read_ahead(ahead, work, user, traits)
            with closing(make_client(pool(portal), pacer=pacer)) as client:
                sections = sections_ahead(client, work)
            for done, job in enumerate(work, 1):
                summary = run.push(job.inputs,
                                   replace(connection(portal, job, pacer, traits, user, ahead),
                                           section=sections.get(job.state)),
                                   job.options)
                ahead.done(job.inputs)
                failed += summary.failed
                if done % 10 == 0 or done == len(work):
                    print(f"  {webhooks} webhook(s): {done}/{len(work)} people pushed, "
                          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
            seconds = time.monotonic() - started
            print(f"  {webhooks} webhook(s): {timeline(stamps, started, seconds)}",
                  file=sys.stderr, flush=True)
            counters = portal.counters()
            writes = log.calls.count(ADD)
            equal = failed == 0 and all_equal(portal, people, work, pacer, traits)
    finally:
        portal.stop()
    measure = measured("ics2b24", f"{webhooks} webhooks", len(people) * events, writes,
                       counters, seconds, limits, equal, webhooks)
    refill = max(measure.bound.requests, refill_bound(writes, webhooks, limits))
    return Row(webhooks, len(people), measure, refill / limits.time_scale)


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


def all_equal(portal: Portal, people: list[Person], work: list[Job], pacer: Pacer,
              traits: PortalTraits) -> bool:
    """Each person's section of their own calendar equals their input, with no write left
    in a fresh plan, and the portal holds no event besides (in no other section, no other
    user's or group's calendar)."""
    equal = True
    by_user = {job.target.owner: job for job in work}
    for person in people:
        where = f"{person.address} (user {person.user})"
        job = by_user.get(person.user)
        section = None if job is None else section_of(portal, job)
        if job is None or section is None:
            print(f"  {where}: no section of theirs", file=sys.stderr)
            equal = False
            continue
        plan = run.make_plan(job.inputs, connection(portal, job, pacer, traits), job.options)
        found = section_equality(portal, person.converted, section, len(plan.plan.writes),
                                 owner=person.user)
        if not found.equal:
            print(f"  {where}: {found}", file=sys.stderr)
            equal = False
    stored = stored_events(portal)
    expected = sum(len(p.converted.events) for p in people)
    if stored != expected:
        print(f"  the portal holds {stored} events, the input {expected}", file=sys.stderr)
        equal = False
    return equal


def section_of(portal: Portal, job: Job) -> int | None:
    """The id of the section the job's push made in its person's calendar."""
    return next((int(s["id"]) for s in portal.store.sections("user", job.target.owner)
                 if s["name"] == job.target.section_name), None)


def stored_events(portal: Portal) -> int:
    """Every event of every user's and every group's calendar."""
    store = portal.store
    return (sum(len(store.events("user", user.id)) for user in store.users())
            + sum(len(store.events("group", group.id)) for group in store.groups()))


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
    print("\nWall and bounds in wall-clock seconds of that run (unscaled bound / K); R in the "
          "bounds counts the requests the bucket accepted (a 503 does not fill it); the "
          "bound with refill also counts the bucket's pace within each window (the module's "
          "docstring derives it).")
    if not all(r.run.equal for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
