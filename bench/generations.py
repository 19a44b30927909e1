"""How the corpus's series fare on each portal generation: every series line `convert` writes
for the 473 corpus calendars is added to an in-process test portal of generation 1 (in the form
push sends there: COUNT) and of generation 3 (the form convert writes: UNTIL, and the parts of
docs/convert-contract.md) and read back in the views of `ics2b24/portal/views.py`. A line is
*exact* when generation 3 shows the same starts in every view as generation 1 walking from the
start (which counts COUNT exactly); the figures say how many lines the current portal shows
otherwise, by behaviour, and how many lines (= writes) the series take.

    python -m bench.generations [--corpus DIR]   (default: $ICS2B24_CORPUS, else
    /work/shared/corpus/ics; skipped with a reason when there is none)
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import date
from pathlib import Path

from bench.convert_speed import options
from ics2b24.errors import ParseError
from ics2b24.ical.convert import convert_inputs
from ics2b24.model import DesiredEvent, PortalTraits
from ics2b24.portal.views import Viewer, views

DEFAULT_CORPUS = Path("/work/shared/corpus/ics")
ZONE = "Europe/Berlin"
OLDER = PortalTraits(reads_iso_until=False, honours_recurrence_mode=False)


def _reason(line: DesiredEvent, whole_differs: bool) -> str:
    rule = line.params.rrule
    assert rule is not None
    days = len(rule.byday)
    bound = " bounded" if rule.count else ""
    if whole_differs:
        return f"{rule.freq}{bound}, {days} day(s): the whole window differs"
    return (f"{rule.freq} INTERVAL {rule.interval}{f', {days} days' if days > 1 else ''}"
            f"{bound}: views differ (18/19)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path,
                        default=Path(os.environ.get("ICS2B24_CORPUS", DEFAULT_CORPUS)))
    args = parser.parse_args()
    print("\n## The corpus's series on generation 1 and generation 3\n")
    files = sorted(args.corpus.rglob("*.ics")) if args.corpus.is_dir() else []
    if not files:
        print(f"SKIPPED: no .ics corpus at {args.corpus} (set ICS2B24_CORPUS or --corpus)")
        return
    old, new = Viewer(1, ZONE), Viewer(3, ZONE)
    lines = exact = 0
    series: set[tuple[str, str]] = set()
    reasons: Counter[str] = Counter()
    for path in files:
        try:
            result = convert_inputs([(path.name, path.read_bytes())], options())
        except ParseError:
            continue
        for line in result.events:
            if line.params.rrule is None:
                continue
            lines += 1
            series.add((path.name, line.uid))
            windows = views(date.fromisoformat(line.params.date_from[:10]))
            expected = old.shown(line.params.to_call(OLDER), windows)
            seen = new.shown(line.params.to_call(), windows)
            if seen == expected:
                exact += 1
            else:
                reasons[_reason(line, seen[0] != expected[0])] += 1
    print(f"- series lines: **{lines:,}** for {len(series):,} recurring UIDs from {len(files)} "
          f"files ({lines / max(len(series), 1):.2f} writes per series); shown exactly by "
          f"generation 3 in every view: **{exact:,}** ({exact / max(lines, 1):.1%})")
    for reason, count in reasons.most_common():
        print(f"  - {count:,}: {reason}")


if __name__ == "__main__":
    main()
