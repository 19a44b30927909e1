"""What a user keeps of a real-world calendar: each UID's occurrences as the converter's lines
make them in a portal, against those `recurring-ical-events` reads from the same file.

Our side expands every part of a series (each `series` line, with or without recurrence id)
with the test portal's own expander (`ics2b24.portal.rrule_contract.expand`), written apart from
the converter, so that a wrong proof in the converter cannot hide behind itself; overrides move
occurrences of the part that holds them. The same lines expanded the way a real portal's
source expands them (`checked_rule` → `read_rule` → `parse_recursion`) must give the same
occurrences: the converter sends no rule a real portal reads otherwise. And every series line
is added to an in-process current (generation 3) test portal and read back in the views a
user opens (`ics2b24.portal.views`): it must show the same starts in each as generation 1,
which walks the line's COUNT form from its start.

An occurrence is compared whole: a timed one as its (start, end) instants, an all-day one as
(first day, number of days). A file the converter rejects while `recurring-ical-events` reads
it loses every UID in it.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from ics2b24.errors import ParseError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.fields import is_cancelled
from ics2b24.ical.options import ConvertOptions
from ics2b24.model import DesiredEvent, PortalTraits, Rrule, parse_recurrence_id
from ics2b24.portal.recurrence import parse_recursion
from ics2b24.portal.rrule_contract import expand
from ics2b24.portal.stored_rule import checked_rule, read_rule
from ics2b24.portal.views import Viewer, views

HORIZON = date(2030, 1, 1)
FLOATING = "Europe/Berlin"
MAX_OCCURRENCES = 2_000
EARLIEST = date(1900, 1, 1)
HORIZON_END_OF_WORLD = HORIZON + timedelta(days=2)
UTC = ZoneInfo("UTC")
OLDER = PortalTraits(reads_iso_until=False, honours_recurrence_mode=False)
VIEW_YEARS = 4
"""How many years of month views the suite opens per series line (bench/generations.py opens
them all, up to 2038)."""

Occurrence = date | datetime
Key = tuple[date, int] | tuple[datetime, datetime]
"""An occurrence: (first day, number of days) all-day, else (start, end) as naive UTC."""
Occurrences = Counter[Key]
REPORT: list[str] = []
"""The corpus summary of this run, for pytest's terminal summary (tests/ical/conftest.py)."""


def corpus_dir() -> Path | None:
    """`$ICS2B24_CORPUS`, else `../shared/corpus/ics` beside the repository."""
    configured = os.environ.get("ICS2B24_CORPUS")
    path = Path(configured) if configured else Path(__file__).parents[3] / "shared/corpus/ics"
    return path if path.is_dir() else None


@dataclass(frozen=True)
class FileOutcome:
    """One file's comparison. `readable`: recurring-ical-events reads it (else nothing is
    counted); `mismatched` lists the UIDs whose occurrences differ, each with why."""

    readable: bool
    uids: int
    mismatched: dict[str, str]
    views_differ: tuple[str, ...] = ()

    @property
    def matched(self) -> int:
        return self.uids - len(self.mismatched)


def options() -> ConvertOptions:
    choices = ConvertChoices(tz=FLOATING, horizon_end=HORIZON, max_occurrences=MAX_OCCURRENCES)
    return ConvertOptions.build(choices, system_zone="UTC")


@cache
def compare_file(path: Path) -> FileOutcome:
    """Cached: the per-file tests and the corpus summary share one conversion of each file."""
    data = path.read_bytes()
    try:
        result = convert_inputs([(path.name, data)], options())
    except ParseError as exc:
        expected = reference(data, {})
        if expected is None:
            return FileOutcome(False, 0, {})
        return FileOutcome(True, len(expected), {uid: f"file rejected: {exc}"
                                                 for uid in expected})
    actual = implied(result, as_spec)
    assert implied(result, as_portal) == actual, "a real portal reads a rule unlike the model"
    capped = {e.uid for e in result.events if any("--max-occurrences" in w for w in e.warnings)}
    ends = {uid: max(_instant(key[0]) for key in actual[uid]) for uid in capped
            if actual.get(uid)}
    expected = reference(data, {uid: end + _margin(actual[uid]) for uid, end in ends.items()})
    if expected is None:
        return FileOutcome(False, 0, {})
    for uid, end in ends.items():
        expected[uid] = Counter({k: n for k, n in expected.get(uid, Counter()).items()
                                 if _instant(k[0]) <= end})
    uids = set(expected) | set(actual)
    mismatched = {uid: _explain(expected.get(uid, Counter()), actual.get(uid, Counter()))
                  for uid in sorted(uids)
                  if expected.get(uid, Counter()) != actual.get(uid, Counter())}
    return FileOutcome(True, len(uids), mismatched, tuple(_views_differ(result)))


def _margin(occurrences: Occurrences) -> timedelta:
    """How far past a capped series' last written occurrence recurring-ical-events is asked
    to read. It compares a floating start with the stop as if it were UTC, and FLOATING
    (Berlin) is at most two hours ahead of UTC, so three hours cover a timed series (a
    SECONDLY one read two days further is 172,800 occurrences, most of a minute); an
    all-day day's instant depends on the zone it is read in, so two days cover any."""
    timed = any(isinstance(key[1], datetime) for key in occurrences)
    return timedelta(hours=3) if timed else timedelta(days=2)


@cache
def _viewers() -> tuple[Viewer, Viewer]:
    return Viewer(1, FLOATING), Viewer(3, FLOATING)


def _views_differ(result: ConvertResult) -> Iterable[str]:
    """The series lines that the current portal shows otherwise than generation 1 shows
    their COUNT form, in some month view: each with the first such view."""
    older, current = _viewers()
    for line in result.events:
        if line.params.rrule is None:
            continue
        windows = views(date.fromisoformat(line.params.date_from[:10]), VIEW_YEARS)
        expected = older.shown(line.params.to_call(OLDER), windows)
        seen = current.shown(line.params.to_call(), windows)
        for window, want, got in zip(windows, expected, seen, strict=True):
            if want != got:
                yield (f"UID {line.uid} part {line.recurrence_id}: {window[0]}..{window[1]} "
                       f"shows {got[:3]}… instead of {want[:3]}…")
                break


def _explain(expected: Occurrences, actual: Occurrences) -> str:
    missing = sorted((expected - actual).elements(), key=str)
    extra = sorted((actual - expected).elements(), key=str)
    return f"missing {missing[:3]} extra {extra[:3]}"


def _instant(value: Occurrence, zone: ZoneInfo | None = None) -> datetime:
    """All-day dates at midnight, times as naive UTC (floating ones read in `zone`)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone or UTC)
    return aware.astimezone(UTC).replace(tzinfo=None)


def occurrence_key(start: Occurrence, end: Occurrence, floating: ZoneInfo) -> Key:
    """An all-day occurrence lasts at least its first day (Bitrix24 has no shorter one)."""
    if not isinstance(start, datetime):
        days = (_instant(end) - _instant(start)).days if isinstance(end, date) else 1
        return (start, max(1, days))
    return (_instant(start, floating), _instant(end, floating))


def reference(data: bytes, ends: dict[str, datetime]) -> dict[str, Occurrences] | None:
    """recurring-ical-events' occurrences per UID up to the horizon, cancelled ones left out;
    None when it cannot read the file.

    A UID the converter capped at --max-occurrences is only promised up to its last written
    occurrence, so `ends` (UTC) bounds it there. icalendar keeps the first VTIMEZONE it meets
    under a TZID for the whole process, so its zones are forgotten first, as the converter
    does (ics2b24/ical/read.py): the file is read with its own zones, whatever this process
    read before, and the comparison does not depend on which tests ran first.
    """
    floating = ZoneInfo(FLOATING)
    icalendar.use_zoneinfo()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calendars = icalendar.Calendar.from_ical(data, multiple=True)
            out: dict[str, Occurrences] = defaultdict(Counter)
            for calendar in calendars:
                for uid, sub in _per_uid(calendar).items():
                    end = ends.get(uid)
                    stop = end.replace(tzinfo=UTC) if end else HORIZON_END_OF_WORLD
                    for occurrence in recurring_ical_events.of(sub).between(EARLIEST, stop):
                        start = occurrence["DTSTART"].dt
                        if _own_day(start) >= HORIZON or is_cancelled(occurrence):
                            continue
                        key = occurrence_key(start, occurrence["DTEND"].dt, floating)
                        out[uid][key] += 1
    except Exception:  # recurring-ical-events cannot read it: nothing to compare against
        return None
    return out


def _own_day(value: Occurrence) -> date:
    return value.date() if isinstance(value, datetime) else value


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


Expander = Callable[[Occurrence, Rrule, str | None, Occurrence], Iterable[Occurrence]]


def as_spec(first: Occurrence, rrule: Rrule, zone: str | None,
            end: Occurrence) -> Iterable[Occurrence]:
    """A part's starts as the recurrence model has them (the test portal's `expand`), in the
    form the converter writes."""
    return expand(first, rrule.to_params(), timezone=zone, before=HORIZON)


def as_portal(first: Occurrence, rrule: Rrule, zone: str | None,
              end: Occurrence) -> Iterable[Occurrence]:
    """A part's starts as an older portal's source makes them from the form push sends it
    (COUNT): the rule stored as checkRecurringRuleField stores it, read back by ParseRRULE,
    expanded by ParseRecursion (UNTIL in the display format, WEEKLY without BYDAY on Monday,
    the 29th-31st rolled over)."""
    stored = checked_rule(rrule.to_params(OLDER), end)
    rule = read_rule(stored) if stored is not None else None
    assert rule is not None, f"a real portal keeps no rule for {rrule}"
    return (start for _, start in parse_recursion(first, rule, timezone=zone, before=HORIZON))


def implied(result: ConvertResult, expander: Expander) -> dict[str, Occurrences]:
    """The occurrences the output lines make, as a Bitrix24 portal would expand them."""
    floating = ZoneInfo(FLOATING)
    by_uid: dict[str, list[DesiredEvent]] = defaultdict(list)
    for event in result.events:
        key = "" if event.uid.startswith("ics2b24-") else event.uid
        by_uid[key].append(event)
    out: dict[str, Occurrences] = {}
    for uid, events in by_uid.items():
        counter: Occurrences = Counter()
        for event in events:
            assert not event.exdate, "no series carries skipped days"
            if event.kind in ("single", "occurrence") and _before_horizon(event):
                counter[_line_key(event, floating)] += 1
        for own in sorted({e.uid for e in events}):  # stand-in UIDs share the key ""
            parts = [e for e in events if e.kind == "series" and e.uid == own]
            overrides = [e for e in events if e.kind == "override" and e.uid == own]
            counter.update(_parts_occurrences(own, parts, overrides, floating, expander))
        out[uid] = counter
    return out


def _before_horizon(event: DesiredEvent) -> bool:
    """The reference is read up to the horizon, in each event's own zone: so is the output."""
    return date.fromisoformat(event.params.date_from[:10]) < HORIZON


def _line_start(event: DesiredEvent, floating: ZoneInfo) -> Occurrence:
    params = event.params
    if params.skip_time:
        return date.fromisoformat(params.date_from)
    zone = ZoneInfo(params.timezone_from) if params.timezone_from else floating
    return datetime.fromisoformat(params.date_from).replace(tzinfo=zone)


def _line_end(event: DesiredEvent, floating: ZoneInfo) -> Occurrence:
    """The RFC-exclusive end: an all-day `to` is the last day, inclusive."""
    params = event.params
    if params.skip_time:
        return date.fromisoformat(params.date_to) + timedelta(days=1)
    zone_name = params.timezone_to or params.timezone_from
    zone = ZoneInfo(zone_name) if zone_name else floating
    return datetime.fromisoformat(params.date_to).replace(tzinfo=zone)


def _line_key(event: DesiredEvent, floating: ZoneInfo) -> Key:
    return occurrence_key(_line_start(event, floating), _line_end(event, floating), floating)


def _parts_occurrences(uid: str, parts: list[DesiredEvent], overrides: list[DesiredEvent],
                       floating: ZoneInfo, expander: Expander) -> Occurrences:
    """Expand each part of a series (the line without recurrence id and those with one), then
    move each override within the part that generates its original occurrence. No two parts
    may generate one occurrence."""
    if not parts:
        assert not overrides, f"UID {uid}: overrides without a series"
        return Counter()
    ordered = sorted(parts, key=lambda p: _rid_key(p.recurrence_id))
    assert sum(1 for p in parts if p.recurrence_id is None) <= 1, f"UID {uid}: two first parts"
    expanded = [_part_occurrences(part, floating, expander) for part in ordered]
    union: Counter[datetime] = Counter()
    for by_start in expanded:
        union.update(by_start.keys())
    assert all(n == 1 for n in union.values()), f"UID {uid}: two parts make one occurrence"
    for override in overrides:
        rid = _rid_key(override.recurrence_id)
        holder = next((n for n, by_start in enumerate(expanded) if rid in by_start), None)
        if holder is None:  # past the horizon the parts are not expanded
            assert rid.date() >= HORIZON - timedelta(days=1), (
                f"UID {uid}: override {override.recurrence_id} of no part")
            continue
        expanded[holder].pop(rid, None)
        if _before_horizon(override):
            expanded[holder][rid] = _line_key(override, floating)
    return Counter(key for by_start in expanded for key in by_start.values())


def _part_occurrences(line: DesiredEvent, floating: ZoneInfo,
                      expander: Expander) -> dict[datetime, Key]:
    """A part's occurrences by their start (the key a recurrence id names): each ends the
    wall-clock length of the part's own `from`–`to` after its start, in `timezone_to`, as a
    real portal's ParseRecursion places it (`ics2b24.portal.render.event_end`)."""
    params = line.params
    assert params.rrule is not None
    first, last = _wall(params.date_from, params.skip_time), _wall(params.date_to,
                                                                   params.skip_time)
    length = last - first + (timedelta(days=1) if params.skip_time else timedelta(0))
    starts = expander(first, params.rrule, params.timezone_from, last)
    zone = ZoneInfo(params.timezone_from) if params.timezone_from else floating
    zone_to = ZoneInfo(params.timezone_to) if params.timezone_to else zone
    out: dict[datetime, Key] = {}
    for start in starts:
        if isinstance(start, datetime):
            begin: Occurrence = start.replace(tzinfo=zone)
            end: Occurrence = (start + length).replace(tzinfo=zone_to)
        else:
            begin, end = start, start + length
        out[_instant(begin, floating)] = occurrence_key(begin, end, floating)
    return out


def _wall(text: str, all_day: bool) -> Occurrence:
    return date.fromisoformat(text) if all_day else datetime.fromisoformat(text)


def _rid_key(text: str | None) -> datetime:
    """A part's or override's recurrence id as the naive UTC start its occurrence has."""
    if text is None:
        return datetime.min
    return _instant(parse_recurrence_id(text))
