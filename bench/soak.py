"""Pushes that must end with the portal equal to the input: under injected faults
(10% 503, 2% 500, 1% dropped connections, before or after the method ran), and killed with
SIGKILL at random moments and run again.

The calendar has the full generated mix (series with EXDATEs and moved occurrences, rules
written out as occurrences); "equal" is checked by the portal's stored events against the
converter's lines (name, start, end: every line stored once, nothing else) and by a fresh plan
with no write left to send.

    python -m bench.soak [--runs 20] [--events 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.gen import generate
from bench.harness import (
    HORIZON_END,
    LIFTED,
    TZ,
    Equality,
    compare,
    convert_options,
    push,
    start_portal,
)
from ics2b24.app.conversion import convert_options as options_for
from ics2b24.errors import PortalError
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.portal.faults import FaultSpec
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal

FAULTS = "rate=0.1,error=0.02,reset=0.01"
MAX_RERUNS = 5


def converted(data: bytes) -> ConvertResult:
    return convert_inputs([("generated.ics", data)], options_for(convert_options()))


@dataclass
class SoakReport:
    runs: int = 0
    equal: int = 0
    first_push_finished: int = 0
    reruns: int = 0
    duplicates: int = 0
    missing: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def add(self, label: str, result: Equality) -> None:
        self.runs += 1
        self.duplicates += result.duplicates
        self.missing += result.missing
        if result.equal:
            self.equal += 1
        else:
            self.problems.append(f"{label}: {result}")


def fault_soak(runs: int, events: int, *, seed: int = 0) -> SoakReport:
    """`runs` pushes, each of a fresh calendar to a fresh portal with its own fault seed. A push
    that stops (the client gives up after its recovery rounds) is run again, as its message
    says; the count of those re-runs is reported. The check runs on the same portal data
    served again without faults."""
    report = SoakReport()
    picker = random.Random(seed)
    for run in range(runs):
        fault_seed = picker.randrange(2**31)
        data = generate(events, seed=fault_seed)
        label = f"run {run} (faults seed {fault_seed})"
        with tempfile.TemporaryDirectory() as tmp:
            store, state = str(Path(tmp) / "portal.sqlite3"), Path(tmp) / "state.sqlite3"
            spec = FaultSpec(rate=0.1, error=0.02, reset=0.01, seed=fault_seed)
            portal = start_portal(LIFTED, faults=spec, data=store)
            try:
                _push_until_done(report, portal, data, state, label)
                counters = portal.counters()
            finally:
                portal.stop()
            report.injected.update({
                "requests": counters.requests, "503": counters.query_limit_exceeded,
                "500": counters.statuses.get(500, 0), "dropped": counters.dropped,
            })
            portal = start_portal(LIFTED, data=store)
            try:
                report.add(label, compare(portal, converted(data), data, state, LIFTED))
            finally:
                portal.stop()
    return report


def _push_until_done(report: SoakReport, portal: Portal, data: bytes, state: Path,
                     label: str) -> None:
    for attempt in range(MAX_RERUNS + 1):
        try:
            push(portal, data, state, LIFTED)
        except PortalError as exc:
            report.reruns += 1
            if attempt == MAX_RERUNS:
                report.problems.append(f"{label}: never finished: {exc}")
            continue
        report.first_push_finished += attempt == 0
        return


@dataclass
class CrashReport(SoakReport):
    killed_before_any_write: int = 0
    killed_mid_run: int = 0
    killed_after_all_writes: int = 0
    rerun_exits: Counter[int] = field(default_factory=Counter)
    whole_push_seconds: float = 0.0


def _push_command(path: Path, webhook: str, state: Path) -> list[str]:
    return [sys.executable, "-m", "ics2b24", "-q", "push", str(path), "--webhook", webhook,
            "--type", "user", "--owner", "1", "--section", "1", "--state", str(state),
            "--tz", TZ, "--horizon-end", HORIZON_END.isoformat(),
            "--rate", f"{LIFTED.rate:g}/{LIFTED.burst:g}"]


def crash_resume(runs: int, events: int, *, seed: int = 0,
                 at_write: bool = False) -> CrashReport:
    """`runs` times: `python -m ics2b24 push` killed with SIGKILL, then the same command again
    to the end; the portal must equal the input.

    Kills land at a random moment of a whole push's duration (timed by one more,
    uninterrupted push first), or with `at_write` right after the portal carried out a
    randomly chosen write, before its answer could leave: the run dies between "sent" and
    "recorded", the case the diff's recovery rule exists for."""
    report = CrashReport()
    picker = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    whole = 0.0 if at_write else _uninterrupted_seconds(report, generate(events, seed=seed), env)
    for run in range(runs):
        data = generate(events, seed=picker.randrange(2**31))
        expected = converted(data)
        with tempfile.TemporaryDirectory() as tmp:
            path, state = Path(tmp) / "input.ics", Path(tmp) / "state.sqlite3"
            path.write_bytes(data)
            portal = start_portal(LIFTED)
            log = MethodLog(portal)
            try:
                command = _push_command(path, portal.webhook_url, state)
                child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                if at_write:
                    fatal = picker.randrange(1, len(expected.events))
                    where = f"write {fatal}"
                    log.on_write = _kill_at(child, fatal)
                    child.wait()
                else:
                    delay = picker.uniform(0.1, 1.0) * whole
                    where = f"{delay:.2f} s"
                    time.sleep(delay)
                    child.send_signal(signal.SIGKILL)
                    child.wait()
                log.on_write = None
                _count_kill(report, log.writes().total(), expected)
                finished = subprocess.run(command, env=env, capture_output=True, text=True,
                                          check=False)
                report.rerun_exits[finished.returncode] += 1
                if finished.returncode != 0:
                    report.problems.append(f"run {run}: re-run exit {finished.returncode}: "
                                           f"{finished.stderr.strip()[-1200:]}")
                report.add(f"run {run} (killed at {where})",
                           compare(portal, expected, data, state, LIFTED))
            finally:
                portal.stop()
    return report


def _kill_at(child: subprocess.Popen[bytes], fatal: int) -> Callable[[int], None]:
    def on_write(count: int) -> None:
        if count == fatal:
            child.send_signal(signal.SIGKILL)

    return on_write


def _uninterrupted_seconds(report: CrashReport, data: bytes, env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path, state = Path(tmp) / "input.ics", Path(tmp) / "state.sqlite3"
        path.write_bytes(data)
        portal = start_portal(LIFTED)
        try:
            started = time.monotonic()
            done = subprocess.run(_push_command(path, portal.webhook_url, state), env=env,
                                  capture_output=True, text=True, check=False)
            seconds = time.monotonic() - started
        finally:
            portal.stop()
    if done.returncode != 0:
        report.problems.append(f"uninterrupted push: exit {done.returncode}: "
                               f"{done.stderr.strip()[:300]}")
    report.whole_push_seconds = seconds
    return seconds


def _count_kill(report: CrashReport, writes: int, expected: ConvertResult) -> None:
    if writes == 0:
        report.killed_before_any_write += 1
    elif writes < len(expected.events):
        report.killed_mid_run += 1
    else:
        report.killed_after_all_writes += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    started = time.monotonic()
    soak = fault_soak(args.runs, args.events, seed=args.seed)
    print(f"\n## Fault soak ({FAULTS}, seeds from {args.seed})\n")
    print(f"- pushes: {soak.runs} of {args.events:,} VEVENTs; ended equal to the input: "
          f"**{soak.equal}/{soak.runs}**; duplicates: **{soak.duplicates}**, lost: "
          f"**{soak.missing}**")
    print(f"- finished in one push: {soak.first_push_finished}; re-runs needed: {soak.reruns}")
    print(f"- injected over all runs: {dict(soak.injected)}")
    print(f"- {time.monotonic() - started:.0f} s")
    for problem in soak.problems:
        print(f"  - {problem}")
    started = time.monotonic()
    crash = crash_resume(args.runs, args.events, seed=args.seed)
    print("\n## Crash and resume (SIGKILL at a random moment, then the same command)\n")
    print(f"- killed runs: {crash.runs}; ended equal to the input: **{crash.equal}/{crash.runs}**"
          f"; duplicates: **{crash.duplicates}**, lost: **{crash.missing}**")
    print(f"- killed before any write: {crash.killed_before_any_write}, mid-run: "
          f"{crash.killed_mid_run}, after the last write: {crash.killed_after_all_writes}; "
          f"re-run exit codes: {dict(crash.rerun_exits)}; an uninterrupted push takes "
          f"{crash.whole_push_seconds:.1f} s")
    print(f"- {time.monotonic() - started:.0f} s")
    for problem in crash.problems:
        print(f"  - {problem}")
    started = time.monotonic()
    exact = crash_resume(args.runs, args.events, seed=args.seed, at_write=True)
    print("\n## Crash and resume (SIGKILL right after a random write ran, before its answer)\n")
    print(f"- killed runs: {exact.runs}; ended equal to the input: **{exact.equal}/{exact.runs}**"
          f"; duplicates: **{exact.duplicates}**, lost: **{exact.missing}**; re-run exit "
          f"codes: {dict(exact.rerun_exits)}")
    print(f"- {time.monotonic() - started:.0f} s")
    for problem in exact.problems:
        print(f"  - {problem}")
    if soak.problems or crash.problems or exact.problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
