"""`convert` against `icalendar.Calendar.from_ical` alone on the same bytes (at most
1.5× the time, 3× the peak memory), at 1k, 10k and 50k generated events.

Both sides run in this one process, interleaved, best of several runs for time; peak memory is
the tracemalloc peak of each call measured the same way (tracemalloc slows both sides, so time is
measured in separate runs without it). `--profile` adds the converter's cProfile top functions.

    python -m bench.convert_speed [--sizes 1000,10000,50000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import icalendar

from bench.gen import generate
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.options import ConvertOptions

TIME_TARGET = 1.5
MEMORY_TARGET = 3.0


def options() -> ConvertOptions:
    """Fixed options, so runs on different days expand the same occurrences."""
    return ConvertOptions(
        tz=ZoneInfo("Europe/Berlin"), tz_name="Europe/Berlin", horizon_end=date(2028, 1, 1),
        since=None, max_occurrences=10_000,
        user_map={f"p{i}@example.org": 1 + i % 3 for i in range(0, 97, 2)},
        no_attendees=False, strict=False,
    )


def parse_only(data: bytes) -> object:
    return icalendar.Calendar.from_ical(data)


def convert(data: bytes) -> ConvertResult:
    return convert_inputs([("generated.ics", data)], options())


@dataclass
class Row:
    events: int
    size_mb: float
    lines: int
    parse_s: float
    convert_s: float
    parse_peak_mb: float
    convert_peak_mb: float

    @property
    def time_ratio(self) -> float:
        return self.convert_s / self.parse_s

    @property
    def memory_ratio(self) -> float:
        return self.convert_peak_mb / self.parse_peak_mb


def timed(func: Callable[[bytes], object], data: bytes) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = func(data)
    return time.perf_counter() - started, result


def peak_mb(func: Callable[[bytes], object], data: bytes) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func(data)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(events: int, repeats: int) -> Row:
    data = generate(events, seed=events)
    parse_times: list[float] = []
    convert_times: list[float] = []
    lines = 0
    for _ in range(repeats):
        parse_times.append(timed(parse_only, data)[0])
        seconds, result = timed(convert, data)
        convert_times.append(seconds)
        lines = len(result.events) if isinstance(result, ConvertResult) else 0
    return Row(events=events, size_mb=len(data) / 2**20, lines=lines,
               parse_s=min(parse_times), convert_s=min(convert_times),
               parse_peak_mb=peak_mb(parse_only, data), convert_peak_mb=peak_mb(convert, data))


def profile(events: int, top: int = 25) -> str:
    data = generate(events, seed=events)
    profiler = cProfile.Profile()
    profiler.runcall(convert, data)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats("ics2b24/", top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(rows: list[Row]) -> list[str]:
    out = [
        "| events | MB | lines out | from_ical s | convert s | time ratio | from_ical peak MB "
        "| convert peak MB | memory ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(f"| {r.events:,} | {r.size_mb:.1f} | {r.lines:,} | {r.parse_s:.3f} | "
                   f"{r.convert_s:.3f} | **{r.time_ratio:.2f}×** | {r.parse_peak_mb:.1f} | "
                   f"{r.convert_peak_mb:.1f} | **{r.memory_ratio:.2f}×** |")
    first = rows[0]
    out.append("")
    out.append("Growth per event, relative to the smallest size (1.00 = linear):")
    for r in rows[1:]:
        scale = r.events / first.events
        out.append(f"- {r.events:,}: from_ical {r.parse_s / first.parse_s / scale:.2f}, "
                   f"convert {r.convert_s / first.convert_s / scale:.2f}; peak memory "
                   f"from_ical {r.parse_peak_mb / first.parse_peak_mb / scale:.2f}, "
                   f"convert {r.convert_peak_mb / first.convert_peak_mb / scale:.2f}")
    worst_time = max(r.time_ratio for r in rows)
    worst_memory = max(r.memory_ratio for r in rows)
    out.append("")
    out.append(f"Target time ≤ {TIME_TARGET}×: {'met' if worst_time <= TIME_TARGET else 'MISSED'}"
               f" (worst {worst_time:.2f}×); memory ≤ {MEMORY_TARGET}×: "
               f"{'met' if worst_memory <= MEMORY_TARGET else 'MISSED'} "
               f"(worst {worst_memory:.2f}×)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for events in sizes:
        repeats = 5 if events <= 1000 else 3 if events <= 10_000 else 2
        rows.append(measure(events, repeats))
        print(f"measured {events:,} events", flush=True)
    print("\n## convert vs icalendar.Calendar.from_ical\n")
    print("\n".join(report(rows)))
    if args.profile:
        print(f"\n### cProfile of convert, {sizes[min(1, len(sizes) - 1)]:,} events "
              "(the converter's functions by cumulative time, then everything by own time)\n\n```")
        print(profile(sizes[min(1, len(sizes) - 1)]))
        print("```")


if __name__ == "__main__":
    main()
