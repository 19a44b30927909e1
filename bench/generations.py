"""How the corpus's series fare on each portal generation: every series line `convert` writes
for the 473 corpus calendars is added to an in-process test portal of generation 1 and of
generation 3 (server and user in one zone, so only the expansion differs) and read back, in one
window from before the series and in each month view of its first two years. A line is *exact*
when the portal shows the same days in every window as generation 1 walking from the start
(which counts COUNT exactly); the figures say how many lines the current portal shows otherwise,
by behaviour — what `push` still has to write in other forms.

    python -m bench.generations [--corpus DIR]   (default: $ICS2B24_CORPUS, else
    /work/shared/corpus/ics; skipped with a reason when there is none)
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.convert_speed import options
from ics2b24.errors import ParseError
from ics2b24.ical.convert import convert_inputs
from ics2b24.model import DesiredEvent
from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.profile import Profile
from ics2b24.portal.store import Store, User

DEFAULT_CORPUS = Path("/work/shared/corpus/ics")
ZONE = "Europe/Berlin"
MONTHS = 24


def _api(generation: int) -> tuple[CalendarApi, User]:
    store = Store()
    store.seed({"users": [{"id": 1, "admin": True, "time_zone": ZONE}]})
    api = CalendarApi(store, profile=Profile(generation=generation, server_zone=ZONE))
    user = store.user(1)
    assert user is not None
    return api, user


def _days(api: CalendarApi, user: User, event_id: int, first: date, last: date) -> list[str]:
    rows = api.call(user, "calendar.event.get", {"type": "user", "ownerId": 1,
                                                 "from": first.isoformat(),
                                                 "to": last.isoformat()})
    return sorted(r["DATE_FROM"][:10] for r in rows if r["ID"] == str(event_id))


def _month_starts(first: date) -> list[date]:
    out, month = [], date(first.year, first.month, 1)
    for _ in range(MONTHS):
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def _shown(api: CalendarApi, user: User, params: dict[str, Any], first: date) -> list[list[str]]:
    event_id = api.call(user, "calendar.event.add", {"type": "user", "ownerId": 1, **params})
    whole = _days(api, user, event_id, first - timedelta(days=7), date(2037, 12, 31))
    months = [_days(api, user, event_id, m, (m + timedelta(days=32)).replace(day=1)
                    - timedelta(days=1)) for m in _month_starts(first)]
    api.call(user, "calendar.event.delete", {"id": event_id})
    return [whole, *months]


def _reason(line: DesiredEvent, whole_differs: bool) -> str:
    rule = line.params.rrule
    assert rule is not None
    days = len(rule.byday)
    if whole_differs:
        return f"{rule.freq} COUNT, {days} day(s): last occurrences lost (17)" if rule.count \
            else f"{rule.freq}: whole window differs"
    return (f"{rule.freq} INTERVAL {rule.interval}{f', {days} days' if days > 1 else ''}"
            f"{' COUNT' if rule.count else ''}: month views differ (18/19)")


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
    old, old_user = _api(1)
    new, new_user = _api(3)
    lines = exact = 0
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
            params = line.params.to_call()
            first = date.fromisoformat(line.params.date_from[:10])
            expected = _shown(old, old_user, params, first)
            seen = _shown(new, new_user, params, first)
            if seen == expected:
                exact += 1
            else:
                reasons[_reason(line, seen[0] != expected[0])] += 1
    print(f"- series lines: **{lines:,}** from {len(files)} files; shown exactly by "
          f"generation 3 in every window: **{exact:,}** ({exact / max(lines, 1):.1%})")
    for reason, count in reasons.most_common():
        print(f"  - {count:,}: {reason}")


if __name__ == "__main__":
    main()
