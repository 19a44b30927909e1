"""Real-world calendars: no traceback, and every UID's occurrences equal recurring-ical-events'.

Our side of the comparison expands every part of a series (each `series` line, with or without
recurrence id) with the test portal's own §3 expander (`ics2b24.portal.recurrence.expand`),
written apart from the converter, so that a wrong proof in the converter cannot hide behind
itself; overrides move occurrences of the part that holds them. The same lines expanded the way
a real portal's source expands them (`checked_rule` → `read_rule` → `parse_recursion`) must
give the same occurrences: the converter sends no rule a real portal reads otherwise.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from ics2b24.errors import ParseError
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import DesiredEvent
from ics2b24.portal.recurrence import checked_rule, expand, parse_recursion, read_rule

HORIZON = date(2030, 1, 1)
FLOATING = "Europe/Berlin"
MAX_OCCURRENCES = 2_000
EARLIEST = date(1900, 1, 1)
HORIZON_END_OF_WORLD = HORIZON + timedelta(days=2)
Occurrence = date | datetime

# file (relative to the corpus) → why recurring-ical-events and the converter differ there
_OLD_RULES = ("its VTIMEZONE has pre-2007 US DST rules: read as America/New_York (today's "
              "rules) with a warning, where recurring-ical-events applies the literal rules")
KNOWN_DIFFERENCES: dict[str, str] = {
    "ical-net/ALARM4.ics": _OLD_RULES,
    "ical-net/ALARM6.ics": _OLD_RULES,
    "ical-net/ByMonthDay1.ics": _OLD_RULES,
    "ical-net/Daily1.ics": _OLD_RULES,
    "ical-net/MonthlyByDay1.ics": _OLD_RULES,
    "ical-net/MonthlyByMonthDay1.ics": _OLD_RULES,
    "ical-net/MonthlyBySetPos2.ics": _OLD_RULES,
    "ical-net/WeeklyWkst1.ics": _OLD_RULES,
    "ical-net/YearlyByMonth2.ics": _OLD_RULES,
    "ical4j/calconnect2.ics": _OLD_RULES,
    "ical4j/calconnect4.ics": _OLD_RULES,
    "ical-net/Categories1.ics": _OLD_RULES,
    "ical4j/classify.ics": "two versions with equal SEQUENCE: SPEC §2 takes the last, "
                           "recurring-ical-events 3.8 the first",
    "icalendar/tutorials__example.ics": "two versions with equal SEQUENCE: SPEC §2 takes the "
                                        "last, recurring-ical-events 3.8 the first",
    "ical-net/DateTime2.ics": "DATE DTSTART with DATE-TIME DTEND: read as all-day (the "
                              "DTSTART's type), recurring-ical-events makes it timed",
    "node-ical/windows-quoted-tz-rrule.ics": "TZID '(UTC-05:00) Eastern Time (US and Canada)' "
                                             "is defined nowhere: read in --tz (SPEC §2)",
}


def _corpus_dir() -> Path | None:
    configured = os.environ.get("ICS2B24_CORPUS")
    path = Path(configured) if configured else Path(__file__).parents[3] / "shared/corpus/ics"
    return path if path.is_dir() else None


CORPUS = _corpus_dir()
FILES = sorted(CORPUS.rglob("*.ics")) if CORPUS else []


def _options() -> ConvertOptions:
    return ConvertOptions.build(tz=FLOATING, horizon_end=HORIZON, since=None,
                                max_occurrences=MAX_OCCURRENCES, user_map=None,
                                no_attendees=False, strict=False)


@pytest.mark.skipif(CORPUS is None, reason="no corpus: set ICS2B24_CORPUS or provide "
                    "../shared/corpus/ics beside the repository")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS or p.parent)))
def test_corpus_file_converts_and_matches_recurring_ical_events(path: Path) -> None:
    data = path.read_bytes()
    try:
        result = convert_inputs([(path.name, data)], _options())
    except ParseError:
        return
    actual = _implied(result, _as_spec)
    assert _implied(result, _as_portal) == actual, "a real portal reads a rule unlike SPEC §3"
    capped = {e.uid for e in result.events if any("--max-occurrences" in w for w in e.warnings)}
    ends = {uid: max(actual[uid]) for uid in capped if actual.get(uid)}
    expected = _reference(data, {uid: end + timedelta(days=2) for uid, end in ends.items()})
    if expected is None:
        return
    for uid, end in ends.items():
        expected[uid] = Counter({k: n for k, n in expected.get(uid, Counter()).items() if k <= end})
    mismatched = sorted(uid for uid in set(expected) | set(actual)
                        if expected.get(uid, Counter()) != actual.get(uid, Counter()))
    relative = str(path.relative_to(CORPUS or path.parent))
    if relative in KNOWN_DIFFERENCES:
        assert mismatched, f"{relative} now matches: take it off KNOWN_DIFFERENCES"
        pytest.xfail(KNOWN_DIFFERENCES[relative])
    assert not mismatched, _explain(mismatched, expected, actual)


def _explain(uids: list[str], expected: dict[str, Counter[datetime]],
             actual: dict[str, Counter[datetime]]) -> str:
    lines = []
    for uid in uids[:5]:
        missing = sorted((expected.get(uid, Counter()) - actual.get(uid, Counter())).elements())
        extra = sorted((actual.get(uid, Counter()) - expected.get(uid, Counter())).elements())
        lines.append(f"UID {uid}: missing {missing[:4]} extra {extra[:4]}")
    return "\n".join(lines)


def _instant(value: Occurrence, zone: ZoneInfo) -> datetime:
    """One comparable key: all-day dates at midnight UTC-naive, times as UTC instants."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _own_day(value: Occurrence) -> date:
    return value.date() if isinstance(value, datetime) else value


def _reference(data: bytes, ends: dict[str, datetime]) -> dict[str, Counter[datetime]] | None:
    """recurring-ical-events' occurrences per UID up to the horizon, cancelled ones left out.

    A UID the converter capped at --max-occurrences is only promised up to its last written
    occurrence, so `ends` (UTC) bounds it there.
    """
    floating = ZoneInfo(FLOATING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calendars = icalendar.Calendar.from_ical(data, multiple=True)
            out: dict[str, Counter[datetime]] = defaultdict(Counter)
            for calendar in calendars:
                for uid, sub in _per_uid(calendar).items():
                    end = ends.get(uid)
                    stop = end.replace(tzinfo=ZoneInfo("UTC")) if end else HORIZON_END_OF_WORLD
                    for occurrence in recurring_ical_events.of(sub).between(EARLIEST, stop):
                        start = occurrence["DTSTART"].dt
                        if _own_day(start) >= HORIZON:
                            continue
                        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
                            continue
                        out[uid][_instant(start, floating)] += 1
    except Exception:  # recurring-ical-events cannot read it: nothing to compare against
        return None
    return out


def _per_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Calendar]:
    """One calendar per UID, so an endless high-frequency rule cannot starve the others."""
    out: dict[str, icalendar.Calendar] = {}
    shared = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        if uid not in out:
            sub = icalendar.Calendar()
            for name, value in calendar.property_items(recursive=False):
                if name not in ("BEGIN", "END"):
                    sub.add(name, value, encode=False)
            for timezone in shared:
                sub.add_component(timezone)
            out[uid] = sub
        out[uid].add_component(event)
    return out


Expander = Callable[[Occurrence, dict[str, Any], str | None, Occurrence], Iterable[Occurrence]]


def _as_spec(first: Occurrence, rrule: dict[str, Any], zone: str | None,
             end: Occurrence) -> Iterable[Occurrence]:
    """A part's starts as SPEC §3 models them (the test portal's `expand`)."""
    return expand(first, rrule, timezone=zone, before=HORIZON)


def _as_portal(first: Occurrence, rrule: dict[str, Any], zone: str | None,
               end: Occurrence) -> Iterable[Occurrence]:
    """A part's starts as a real portal's source makes them: the rule stored as
    checkRecurringRuleField stores it, read back by ParseRRULE, expanded by ParseRecursion (UNTIL
    in the display format, WEEKLY without BYDAY on Monday, the 29th-31st rolled over)."""
    stored = checked_rule(rrule, end)
    rule = read_rule(stored) if stored is not None else None
    assert rule is not None, f"a real portal keeps no rule for {rrule}"
    return (start for _, start in parse_recursion(first, rule, timezone=zone, before=HORIZON))


def _implied(result: ConvertResult, expander: Expander) -> dict[str, Counter[datetime]]:
    """The occurrences the output lines make, as a Bitrix24 portal would expand them."""
    floating = ZoneInfo(FLOATING)
    by_uid: dict[str, list[DesiredEvent]] = defaultdict(list)
    for event in result.events:
        key = "" if event.uid.startswith("ics2b24-") else event.uid
        by_uid[key].append(event)
    out: dict[str, Counter[datetime]] = {}
    for uid, events in by_uid.items():
        counter: Counter[datetime] = Counter()
        for event in events:
            assert not event.exdate, "no series carries skipped days"
            if event.kind in ("single", "occurrence") and _before_horizon(event):
                counter[_start_key(event, floating)] += 1
        for own in sorted({e.uid for e in events}):  # stand-in UIDs share the key ""
            parts = [e for e in events if e.kind == "series" and e.uid == own]
            overrides = [e for e in events if e.kind == "override" and e.uid == own]
            counter.update(_parts_starts(own, parts, overrides, floating, expander))
        out[uid] = counter
    return out


def _before_horizon(event: DesiredEvent) -> bool:
    """The reference is read up to the horizon, in each event's own zone: so is the output."""
    return date.fromisoformat(event.params.date_from[:10]) < HORIZON


def _start_key(event: DesiredEvent, floating: ZoneInfo) -> datetime:
    params = event.params
    if params.skip_time:
        return datetime.combine(date.fromisoformat(params.date_from), time())
    zone = ZoneInfo(params.timezone_from) if params.timezone_from else floating
    return _instant(datetime.fromisoformat(params.date_from).replace(tzinfo=zone), floating)


def _parts_starts(uid: str, parts: list[DesiredEvent], overrides: list[DesiredEvent],
                  floating: ZoneInfo, expander: Expander) -> Counter[datetime]:
    """Expand each part of a series (the line without recurrence id and those with one), then
    move each override within the part that holds it: the one with the greatest start at or
    before the override's recurrence id. No two parts may generate one occurrence."""
    if not parts:
        assert not overrides, f"UID {uid}: overrides without a series"
        return Counter()
    ordered = sorted(parts, key=lambda p: _rid_key(p.recurrence_id) if p.recurrence_id
                     else datetime.min)
    assert sum(1 for p in parts if p.recurrence_id is None) <= 1, f"UID {uid}: two first parts"
    counters = [_part_starts(part, floating, expander) for part in ordered]
    union: Counter[datetime] = Counter()
    for counter in counters:
        union.update(counter)
    assert all(n == 1 for n in union.values()), f"UID {uid}: two parts make one occurrence"
    starts = [_rid_key(p.recurrence_id) if p.recurrence_id else datetime.min for p in ordered]
    for override in overrides:
        rid = _rid_key(override.recurrence_id or "")
        holder = max((n for n, start in enumerate(starts) if start <= rid), default=None)
        assert holder is not None, f"UID {uid}: override {override.recurrence_id} before the series"
        if counters[holder][rid] > 0:
            counters[holder][rid] -= 1
        if _before_horizon(override):
            counters[holder][_start_key(override, floating)] += 1
    total: Counter[datetime] = Counter()
    for counter in counters:
        total.update(+counter)
    return total


def _part_starts(line: DesiredEvent, floating: ZoneInfo,
                 expander: Expander) -> Counter[datetime]:
    params = line.params
    assert params.rrule is not None
    zone_name = params.timezone_from
    start = _wall(params.date_from, params.skip_time)
    starts = expander(start, params.rrule.to_params(), zone_name,
                      _wall(params.date_to, params.skip_time))
    zone = ZoneInfo(zone_name) if zone_name else floating
    return Counter(_instant(s if not isinstance(s, datetime) else s.replace(tzinfo=zone),
                            floating) for s in starts)


def _wall(text: str, all_day: bool) -> Occurrence:
    return date.fromisoformat(text) if all_day else datetime.fromisoformat(text)


def _rid_key(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time())
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def test_corpus_keys_compare_all_day_dates_and_instants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert _instant(date(2024, 1, 2), berlin) == datetime(2024, 1, 2)
    assert _instant(datetime(2024, 1, 2, 10, tzinfo=berlin), berlin) == datetime(2024, 1, 2, 9)
    assert _rid_key("2024-01-02T09:00:00Z") == datetime(2024, 1, 2, 9)
    assert timedelta(0) == _instant(datetime(2024, 1, 2, 10), berlin) - datetime(2024, 1, 2, 9)
