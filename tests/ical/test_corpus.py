"""Real-world calendars: no traceback, and every UID's occurrences equal recurring-ical-events'.

Our side of the comparison expands `series` lines with the test portal's own §3 expander
(`ics2b24.portal.recurrence.expand`), written apart from the converter, so that a wrong proof
in the converter cannot hide behind itself.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from ics2b24.errors import ParseError
from ics2b24.ical.convert import ConvertOptions, ConvertResult, convert_inputs
from ics2b24.model import DesiredEvent
from ics2b24.portal.recurrence import expand

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
    actual = _implied(result)
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


def _implied(result: ConvertResult) -> dict[str, Counter[datetime]]:
    """The occurrences the output lines make, as a Bitrix24 portal would expand them."""
    floating = ZoneInfo(FLOATING)
    by_uid: dict[str, list[DesiredEvent]] = defaultdict(list)
    for event in result.events:
        key = "" if event.uid.startswith("ics2b24-") else event.uid
        by_uid[key].append(event)
    out: dict[str, Counter[datetime]] = {}
    for uid, events in by_uid.items():
        counter: Counter[datetime] = Counter()
        series = [e for e in events if e.kind == "series"]
        overrides = [e for e in events if e.kind == "override"]
        for event in events:
            if event.kind in ("single", "occurrence") and _before_horizon(event):
                counter[_start_key(event, floating)] += 1
        for line in series:
            counter.update(_series_starts(line, overrides, floating))
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


def _series_starts(line: DesiredEvent, overrides: list[DesiredEvent],
                   floating: ZoneInfo) -> Counter[datetime]:
    """Expand one series, cut it where a this-and-future override takes over, move overrides."""
    params = line.params
    assert params.rrule is not None
    zone_name = params.timezone_from
    start = _wall(params.date_from, params.skip_time)
    exdates = [date.fromisoformat(d) for d in line.exdate]
    starts = list(expand(start, params.rrule.to_params(), timezone=zone_name, exdates=exdates,
                         before=HORIZON))
    zone = ZoneInfo(zone_name) if zone_name else floating
    keys = [_instant(s if not isinstance(s, datetime) else s.replace(tzinfo=zone), floating)
            for s in starts]
    counter: Counter[datetime] = Counter(keys)
    for override in overrides:
        rid = _rid_key(override.recurrence_id or "")
        if override.range == "thisandfuture":
            cut = next((k for k in keys if k >= rid), None)
            for key in keys:
                if cut is not None and key >= cut:
                    counter[key] -= 1
            tail = override.params
            assert tail.rrule is not None
            tail_zone = ZoneInfo(tail.timezone_from) if tail.timezone_from else floating
            for s in expand(_wall(tail.date_from, tail.skip_time), tail.rrule.to_params(),
                            timezone=tail.timezone_from, exdates=exdates, before=HORIZON):
                value = s if not isinstance(s, datetime) else s.replace(tzinfo=tail_zone)
                counter[_instant(value, floating)] += 1
            continue
        if counter[rid] > 0:
            counter[rid] -= 1
        if _before_horizon(override):
            counter[_start_key(override, floating)] += 1
    return +counter


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
