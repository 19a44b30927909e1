"""Fuzzing `ics2b24 convert` with corpus files mutated by hypothesis (every input ends
in exit 0, with warnings, or exit 65 with one clear line; never a traceback).

Each input is a seed file with one to four mutations: byte flips, invalid UTF-8, lines
deleted, doubled, swapped or cut short, two files spliced, and lines taken from a dictionary
of what producers get wrong (impossible dates, rules outside every subset, unknown zones, stray
BEGIN/END). The CLI runs in-process (`main()` with its exit-code mapping), so what is checked
is what a user would see.

    python -m bench.fuzz [--inputs 10000] [--corpus DIR]   (default: $ICS2B24_CORPUS, else
    /work/shared/corpus/ics; skipped with a reason when there is none)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ics2b24.cli import main as cli_main

DEFAULT_CORPUS = Path("/work/shared/corpus/ics")
MAX_SEED_BYTES = 64 * 1024
"""Larger files are left out as seeds: each input is converted whole, and ten thousand
megabyte-sized inputs would take hours without reaching different code."""

TRICKY = (
    "DTSTART:20240230T250000", "DTSTART;VALUE=DATE:2024", "DTSTART:99991231T235959Z",
    "DTSTART:00010101T000000", "DTEND:20000101T000000Z", "DURATION:P99999W", "DURATION:-PT1H",
    "DURATION:garbage", "RRULE:FREQ=SECONDLY;COUNT=100000", "RRULE:FREQ=MINUTELY",
    "RRULE:FREQ=YEARLY;BYMONTH=13", "RRULE:FREQ=WEEKLY;BYDAY=9XX", "RRULE:FREQ=DAILY;UNTIL=1900",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYSETPOS=-1", "RRULE:FREQ=WEEKLY;INTERVAL=0",
    "RRULE:FREQ=DAILY;COUNT=-5", "RRULE:", "RRULE:FREQ=MONTHLY;BYDAY=5FR;COUNT=3",
    "RRULE:FREQ=YEARLY;UNTIL=20991231T120000Z;BYWEEKNO=53",
    "EXDATE:notadate", "EXDATE;VALUE=DATE:20240101,20240102", "RDATE;VALUE=PERIOD:"
    "20240101T000000Z/PT1H", "RDATE:20240101T000000Z,garbage",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20240101T000000", "RECURRENCE-ID:20240101",
    "DTSTART;TZID=Nowhere/Zone:20240101T100000",
    "DTSTART;TZID=W. Europe Standard Time:20240101T100000", "TZID:",
    "X-WR-TIMEZONE:Mars/Olympus", "TRIGGER:-PT99999999M", "TRIGGER;RELATED=END:PT5M",
    "TRIGGER;VALUE=DATE-TIME:19700101T000000Z", "TRIGGER:soon", "ATTENDEE:mailto:",
    "ATTENDEE;CN=\"unterminated:mailto:a@b", "ORGANIZER:", "SEQUENCE:abc", "PRIORITY:99",
    "COLOR:notacolor", "CLASS:", "STATUS:CANCELLED", "TRANSP:", "UID:", "SUMMARY:",
    "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VALARM", "END:VCALENDAR", "BEGIN:VCALENDAR",
    "BEGIN:VTIMEZONE", "X-MICROSOFT-CDO-BUSYSTATUS:OOF", ";;;", ":", "DTSTART", "\x00",
    "DESCRIPTION:" + "x" * 5000, "SUMMARY;LANGUAGE=:=?UTF-8?Q?=C3=A9?=",
)
KINDS = ("flip", "bad-utf8", "delete", "double", "swap", "truncate", "splice", "insert",
         "replace-value")
_WEIGHTED_KINDS = (*KINDS, "insert", "insert", "replace-value", "replace-value", "replace-value",
                   "flip", "delete")
"""Mutations that keep the file's structure come up more often: a broken structure is refused
early (exit 65), and the deeper code is reached only by inputs that get past it."""

Mutation = tuple[str, int, int, str]
MUTATIONS = st.tuples(st.sampled_from(_WEIGHTED_KINDS), st.integers(0, 2**24),
                      st.integers(0, 2**24),
                      st.sampled_from(TRICKY))


def seed_files(root: Path) -> list[tuple[str, bytes]]:
    """Every .ics under `root` up to MAX_SEED_BYTES, in a stable order."""
    out = []
    for path in sorted(root.rglob("*.ics")):
        data = path.read_bytes()
        if len(data) <= MAX_SEED_BYTES:
            out.append((str(path.relative_to(root)), data))
    return out


def mutate(data: bytes, mutations: Sequence[Mutation], other: bytes) -> bytes:
    """Apply the mutations in order; positions are taken modulo the current length."""
    for kind, a, b, tricky in mutations:
        lines = data.split(b"\n")
        if kind == "flip" and data:
            # printable ASCII: invalid UTF-8 has its own, rarer mutation
            at = a % len(data)
            data = data[:at] + bytes([32 + b % 95]) + data[at + 1:]
        elif kind == "bad-utf8":
            at = a % (len(data) + 1)
            data = data[:at] + b"\xff\xc3(" + data[at:]
        elif kind == "delete" and lines:
            del lines[a % len(lines)]
            data = b"\n".join(lines)
        elif kind == "double" and lines:
            at = a % len(lines)
            lines.insert(at, lines[at])
            data = b"\n".join(lines)
        elif kind == "swap" and lines:
            i, j = a % len(lines), b % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif kind == "truncate":
            data = data[:a % (len(data) + 1)]
        elif kind == "splice":
            data = data[:a % (len(data) + 1)] + other[b % (len(other) + 1):]
        elif kind == "insert":
            lines.insert(a % (len(lines) + 1), tricky.encode("utf-8") + b"\r")
            data = b"\n".join(lines)
        elif kind == "replace-value" and lines:
            at = a % len(lines)
            name = lines[at].split(b":", 1)[0]
            value = tricky.split(":", 1)[-1].encode("utf-8")
            lines[at] = name + b":" + value + b"\r"
            data = b"\n".join(lines)
    return data


TIME_LIMIT = 10
"""Seconds one small input may take; longer is a failure (a user would see a hang)."""


class _TooSlow(BaseException):
    """Raised by the alarm inside a conversion that runs past TIME_LIMIT."""


@dataclass
class Outcome:
    code: int | None
    stderr: str
    crash: str | None = None


def _alarm(signum: int, frame: object) -> None:
    raise _TooSlow


def run_convert(path: Path) -> Outcome:
    """`ics2b24 convert` in-process: its exit code and stderr, or the escaped exception."""
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    crash = None
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(["convert", "--tz", "UTC", "--horizon-end", "2028-01-01", str(path)])
        except SystemExit as exc:
            code = int(exc.code or 0)
        except _TooSlow:
            crash = f"still converting after {TIME_LIMIT} s:\n{traceback.format_exc(limit=-6)}"
        except BaseException:
            crash = traceback.format_exc(limit=-3)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return Outcome(code, err.getvalue(), crash)


_FRAME = re.compile(r'File "[^"]*?(ics2b24/[^"]+)", line (\d+)')


def signature(problem: str) -> str:
    """Where a failure comes from: the innermost frame in ics2b24 and the exception's type,
    so that a thousand inputs hitting one bug count as one bug."""
    frames = _FRAME.findall(problem)
    where = f"{frames[-1][0]}:{frames[-1][1]}" if frames else "outside ics2b24"
    last = problem.strip().splitlines()[-1]
    return f"{where}: {last.split(':', 1)[0][:80]}"


@dataclass
class FuzzReport:
    inputs: int = 0
    exits: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0

    def judge(self, outcome: Outcome, where: str) -> str | None:
        """What is wrong with one outcome, or None: exit 0, or exit 65 with one clear line."""
        self.inputs += 1
        if outcome.crash is not None:
            return f"{where}: traceback:\n{outcome.crash}"
        if outcome.code is not None:
            self.exits[outcome.code] += 1
        if outcome.code == 0:
            return None
        lines = outcome.stderr.strip().splitlines()
        if outcome.code == 65 and len(lines) == 1 and lines[0].startswith("ics2b24: "):
            return None
        return f"{where}: exit {outcome.code}, stderr {outcome.stderr[:500]!r}"


def fuzz(seeds: Sequence[tuple[str, bytes]], inputs: int, *, run_seed: int = 0,
         raise_on_failure: bool = False) -> FuzzReport:
    """`inputs` mutated inputs through the CLI. With `raise_on_failure` the first failure is
    raised (and shrunk by hypothesis); otherwise every failure is collected."""
    report = FuzzReport()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.ics"

        @seed(run_seed)
        @settings(max_examples=inputs, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate, Phase.shrink] if raise_on_failure
                  else [Phase.generate])
        @given(st.integers(0, len(seeds) - 1), st.integers(0, len(seeds) - 1),
               st.lists(MUTATIONS, min_size=1, max_size=4))
        def one(index: int, other: int, mutations: list[Mutation]) -> None:
            name, data = seeds[index]
            path.write_bytes(mutate(data, mutations, seeds[other][1]))
            began = time.monotonic()
            outcome = run_convert(path)
            report.slowest = max(report.slowest, time.monotonic() - began)
            problem = report.judge(outcome, f"{name} {mutations!r}")
            if problem is None:
                return
            if raise_on_failure:
                raise AssertionError(problem)
            report.failures.append(problem)

        one()
    report.seconds = time.monotonic() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path,
                        default=Path(os.environ.get("ICS2B24_CORPUS", DEFAULT_CORPUS)))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("\n## Fuzzing convert\n")
    if not args.corpus.is_dir() or not seed_files(args.corpus):
        print(f"SKIPPED: no .ics corpus at {args.corpus} (set ICS2B24_CORPUS or --corpus)")
        return
    seeds = seed_files(args.corpus)
    report = fuzz(seeds, args.inputs, run_seed=args.seed)
    print(f"- seeds: {len(seeds)} files of {args.corpus} (≤ {MAX_SEED_BYTES // 1024} KB each)")
    print(f"- inputs: **{report.inputs:,}** in {report.seconds:.0f} s (slowest "
          f"{report.slowest:.2f} s); exit codes: "
          f"{', '.join(f'{c}: {n:,}' for c, n in sorted(report.exits.items()))}")
    print(f"- tracebacks, hangs or unclear failures: **{len(report.failures)}**")
    examples: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for failure in report.failures:
        counts[signature(failure)] += 1
        examples.setdefault(signature(failure), failure)
    for where, count in counts.most_common():
        print(f"  - {count} × {where}")
    for example in examples.values():
        print(f"\n```\n{example[-1500:]}\n```")
    if report.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
