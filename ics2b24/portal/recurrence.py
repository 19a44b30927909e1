"""Recurrence, twice: the model of docs/convert-contract.md and the portal's own (Bitrix24
source) behaviour.

`parse_rule`/`expand` are that model written from its description alone, apart from the
converter's proof in `ics2b24.ical`: two implementations that must agree are a test of
both, so this module must never import the converter. The converter's tests use them.

`checked_rule`/`read_rule`/`parse_recursion`/`count_past_events` are what the portal itself
does with a `rrule` (the calendar methods use these), following Bitrix24's PHP source where it
differs from that model and RFC 5545: UNTIL read in the display format (unreadable: no end), WEEKLY
without BYDAY on Mondays, MONTHLY 29–31 and 29 February rolled over to the 1st, COUNT for a
`next` split computed by day arithmetic.

Occurrences are naive wall-clock values: a series keeps the wall-clock time of its start across
DST changes, so the arithmetic is done on wall-clock values and a time zone is only needed to
compare against an absolute (aware) bound.
"""

from __future__ import annotations

import calendar as _calendar
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.portal.dates import display_date, short_date
from ics2b24.portal.dates import parse as parse_date
from ics2b24.portal.wire import php_int, php_string

FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_UTC = timezone.utc
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Rule:
    """A REST `rrule` read once, so that generation does not re-parse loosely typed input."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | None = None
    byday: tuple[int, ...] = ()


def parse_rule(rrule: Mapping[str, Any]) -> Rule:
    """Read the REST form, which arrives typed from JSON or as strings from form/query input.

    Raises ValueError with a sentence naming the bad key, for the caller to turn into the
    portal's error.
    """
    freq = str(rrule.get("FREQ") or "").strip().upper()
    if freq not in FREQS:
        raise ValueError(f"FREQ must be one of {', '.join(FREQS)}")
    interval = _positive_int(rrule.get("INTERVAL"), "INTERVAL", default=1)
    count = _positive_int(rrule.get("COUNT"), "COUNT", default=None)
    return Rule(
        freq=freq,
        interval=interval if interval is not None else 1,
        count=count,
        until=_until(rrule.get("UNTIL")),
        byday=_byday(rrule.get("BYDAY")),
    )


def _positive_int(value: Any, key: str, *, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a positive integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a positive integer") from None
    if number < 1:
        raise ValueError(f"{key} must be a positive integer")
    return number


def _until(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError("UNTIL must be a date YYYY-MM-DD") from None


def _byday(value: Any) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, Mapping):
        items = value.values()
    elif isinstance(value, Iterable):
        items = value
    else:
        raise ValueError("BYDAY must be a list of week days MO..SU")
    days: set[int] = set()
    for item in items:
        name = str(item).strip().upper()
        if name not in WEEKDAYS:
            raise ValueError("BYDAY must be a list of week days MO..SU")
        days.add(WEEKDAYS.index(name))
    return tuple(sorted(days))


def expand(
    date_from: date | datetime,
    rrule: Mapping[str, Any],
    *,
    timezone: str | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[date | datetime]:
    """Occurrence starts of a series, ascending, same type as `date_from`, strictly before
    `before`.

    COUNT counts from `date_from` (included) and EXDATE days still count towards it: RFC 5545
    removes excluded instances from the set, it does not extend it. Endless rules are produced
    lazily, so a caller may stop wherever it wants.
    """
    rule = parse_rule(rrule)
    excluded = frozenset(exdates)
    is_before = _bound(before, timezone)
    return _filtered(_candidates(date_from, rule), rule, excluded, is_before)


def _filtered(
    candidates: Iterator[date | datetime],
    rule: Rule,
    excluded: frozenset[date],
    is_before: Callable[[date | datetime], bool],
) -> Iterator[date | datetime]:
    for produced, start in enumerate(candidates, start=1):
        day = _day(start)
        if rule.until is not None and day > rule.until:
            return
        if not is_before(start):
            return
        if day not in excluded:
            yield start
        if rule.count is not None and produced >= rule.count:
            return


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _bound(before: date | datetime, tz_name: str | None) -> Callable[[date | datetime], bool]:
    """A predicate `start < before` that compares like with like: wall-clock with wall-clock,
    or absolute instants when `before` is aware (then the series' zone places each start)."""
    if isinstance(before, datetime) and before.tzinfo is not None:
        zone = ZoneInfo(tz_name) if tz_name else _UTC

        def aware_before(start: date | datetime) -> bool:
            wall = start if isinstance(start, datetime) else datetime.combine(start, time())
            return wall.replace(tzinfo=zone) < before

        return aware_before
    limit = before if isinstance(before, datetime) else datetime.combine(before, time())

    def naive_before(start: date | datetime) -> bool:
        wall = start if isinstance(start, datetime) else datetime.combine(start, time())
        return wall < limit

    return naive_before


def _candidates(start: date | datetime, rule: Rule) -> Iterator[date | datetime]:
    """Every start the rule yields, ignoring COUNT/UNTIL/EXDATE; stops only at year 9999."""
    try:
        if rule.freq == "DAILY":
            step = timedelta(days=rule.interval)
            current = start
            while True:
                yield current
                current = current + step
        elif rule.freq == "WEEKLY":
            days = rule.byday or (start.weekday(),)
            monday = start - timedelta(days=start.weekday())
            week = 0
            while True:
                base = monday + timedelta(weeks=week * rule.interval)
                for weekday in days:
                    candidate = base + timedelta(days=weekday)
                    if candidate >= start:
                        yield candidate
                week += 1
        elif rule.freq == "MONTHLY":
            step_index = 0
            while True:
                months = start.month - 1 + step_index * rule.interval
                year, month = start.year + months // 12, months % 12 + 1
                if year > 9999:
                    return
                if start.day <= _calendar.monthrange(year, month)[1]:
                    yield start.replace(year=year, month=month)
                step_index += 1
        else:
            year = start.year
            while year <= 9999:
                if start.day <= _calendar.monthrange(year, start.month)[1]:
                    yield start.replace(year=year)
                year += rule.interval
    except OverflowError:
        return


# --- the portal's own behaviour (Bitrix24 source) ---------------------------------------------

MAX_DATE = date(2038, 1, 1)
"""CCalendar::GetMaxDate (modules/calendar/classes/general/calendar.php): the UNTIL of a series
that never ends."""
_BYDAY = re.compile(r"((?:-|\+)?\d+)?(MO|TU|WE|TH|FR|SA|SU)")
_PHP_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


class PortalFault(RuntimeError):
    """A PHP error (TypeError, DivisionByZeroError) in the portal's own code: the request fails
    with an internal server error instead of an answer."""


@dataclass(frozen=True)
class BitrixRule:
    """A stored rule as CCalendarEvent::ParseRRULE reads it back."""

    freq: str
    interval: int
    count: int | None
    until: date
    byday: dict[str, str]

    def as_array(self) -> dict[str, Any]:
        """The PHP array ParseRRULE answers (what `calendar.event.get` rows show as RRULE, and
        what SaveEventEx saves again when an update does not send `rrule`)."""
        out: dict[str, Any] = {"FREQ": self.freq}
        if self.byday:
            out["BYDAY"] = dict(self.byday)
        out["INTERVAL"] = self.interval
        if self.count is not None:
            out["COUNT"] = self.count
        out["UNTIL"] = display_date(self.until)
        out["~UNTIL"] = "" if self.until == MAX_DATE else display_date(self.until)
        return out


def checked_rule(value: Any, first_end: date | datetime, *,
                 current: bool = False) -> dict[str, Any] | None:
    """The rule a save stores, or None for "no recurrence".

    With `current` (the current generation's CCalendarRestService::EventAdd/EventUpdate) the
    request's UNTIL first goes through CRestUtil::unConvertDate (`rest_until`), so ISO dates
    are read as well as the display format.

    CCalendarEvent::CheckRRULE and CCalendarEvent::checkRecurringRuleField
    (modules/calendar/classes/general/calendar_event.php): anything but an array whose FREQ is
    exactly DAILY/WEEKLY/MONTHLY/YEARLY means no rule; INTERVAL and COUNT are cast with (int);
    UNTIL goes through CCalendar::Timestamp in the short display format and, unreadable, becomes
    GetMaxDate (the series never ends); an UNTIL before the first occurrence's end becomes that
    end's date; BYDAY (WEEKLY only) is an array's values or a comma string's known days, stored
    as a comma string. The stored form mirrors the packed RRULE string of the portal's table.
    """
    if not isinstance(value, Mapping):
        return None
    freq = value.get("FREQ")
    if not isinstance(freq, str) or freq not in FREQS:
        # HOURLY passes checkRecurringRuleField but ParseRRULE cannot read it back; the test
        # portal stores no rule for it rather than repeat the first occurrence forever.
        return None
    out: dict[str, Any] = {"FREQ": freq}
    interval = php_int(value.get("INTERVAL"))
    out["INTERVAL"] = interval if interval > 1 else 1
    until = rest_until(value.get("UNTIL")) if current else short_date(value.get("UNTIL"))
    if until is None:
        until = MAX_DATE
    else:
        end = first_end if isinstance(first_end, datetime) else datetime.combine(first_end, time())
        if datetime.combine(until, time()) + timedelta(days=1) < end:
            until = end.date()
    out["UNTIL"] = display_date(until)
    if value.get("COUNT") is not None:
        out["COUNT"] = php_int(value["COUNT"])
    if freq == "WEEKLY" and value.get("BYDAY") is not None:
        out["BYDAY"] = _stored_byday(value["BYDAY"])
    return out


def rest_until(value: Any) -> date | None:
    """CRestUtil::unConvertDate (rest/classes/general/rest_util.php): `strtotime` of the value
    turned into the short display date, or false. `strtotime` reads ISO dates and date-times
    (an offset moves the value to the server's zone, UTC here) and the US `m/d/Y` display form;
    anything else is unreadable (None), and the series then has no end."""
    if value is None or isinstance(value, (bool, list, tuple, dict)):
        return None
    try:
        parsed = parse_date(php_string(value), tz=ZoneInfo("UTC"))
    except ValueError:
        return None
    return parsed.date() if isinstance(parsed, datetime) else parsed


def _stored_byday(value: Any) -> str:
    if isinstance(value, Mapping):
        return ",".join(php_string(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return ",".join(php_string(v) for v in value)
    days = [day.upper() for day in php_string(value).split(",")]
    return ",".join(day for day in days if day in _PHP_WEEKDAYS)


def read_rule(stored: Mapping[str, Any]) -> BitrixRule | None:
    """CCalendarEvent::ParseRRULE (calendar_event.php) on a stored rule: COUNT and INTERVAL kept
    when positive (INTERVAL at least 1), BYDAY matched day by day against
    `((-|+)?\\d+)?(MO|…|SU)`, and a WEEKLY rule without a readable BYDAY read as `BYDAY=MO`."""
    freq = stored.get("FREQ")
    if freq not in FREQS:
        return None
    count = php_int(stored.get("COUNT"))
    interval = php_int(stored.get("INTERVAL"))
    until = short_date(stored.get("UNTIL")) or MAX_DATE
    byday: dict[str, str] = {}
    if freq == "WEEKLY":
        raw = stored.get("BYDAY")
        text = ",".join(php_string(v) for v in raw) if isinstance(raw, list) else php_string(raw)
        for part in text.split(","):
            match = _BYDAY.search(part)
            if match:
                byday[match.group(2)] = match.group(1) or match.group(2)
        if not byday:
            byday = {"MO": "MO"}
    return BitrixRule(freq=str(freq), interval=max(interval, 1), count=count if count > 0 else None,
                      until=until, byday=byday)


def reparsed(stored: Mapping[str, Any], first_end: date | datetime) -> dict[str, Any] | None:
    """What an update that does not send `rrule` saves: CCalendar::SaveEventEx passes
    ParseRRULE(current RRULE) through checkRecurringRuleField again."""
    rule = read_rule(stored)
    return checked_rule(rule.as_array(), first_end) if rule else None


def parse_recursion(
    first: date | datetime,
    rule: BitrixRule,
    *,
    timezone: str | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[tuple[int, date | datetime]]:
    """(RINDEX, start) of each occurrence, as CCalendarEvent::ParseRecursion
    (calendar_event.php) produces them, strictly before `before`.

    WEEKLY walks day by day from the start and takes the days in BYDAY (the start itself only
    when its weekday is one of them), jumping INTERVAL-1 weeks after each Sunday. MONTHLY adds
    RINDEX×INTERVAL months to the start's month; a start on the 29th–31st lands on the 1st of the
    following month when the month is shorter. YEARLY is `mktime` on the start's month and day,
    so 29 February becomes 1 March in other years. RINDEX counts excluded days too, so does
    COUNT; the last start is on or before UNTIL.
    """
    excluded = frozenset(exdates)
    is_before = _bound(before, timezone)
    origin = _day(first)
    clock = first.time() if isinstance(first, datetime) else None
    current = origin
    index = 0
    while True:
        if rule.count is not None and index >= rule.count:
            return
        if current > rule.until:
            return
        start: date | datetime = datetime.combine(current, clock) if clock else current
        if not is_before(start):
            return
        if rule.freq == "WEEKLY":
            weekday = WEEKDAYS[current.weekday()]
            if rule.byday.get(weekday):
                if current not in excluded:
                    yield index, start
                index += 1
            step = (rule.interval - 1) * 7 + 1 if weekday == "SU" else 1
            nxt: date | None = _plus_days(current, step)
        else:
            if current not in excluded:
                yield index, start
            index += 1
            if rule.freq == "DAILY":
                nxt = _plus_days(current, rule.interval)
            elif rule.freq == "MONTHLY":
                nxt = _monthly(origin, index * rule.interval)
            else:
                nxt = _mktime_date(current.year + rule.interval, origin.month, origin.day)
        if nxt is None:
            return
        current = nxt


def _plus_days(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _monthly(origin: date, months: int) -> date | None:
    total = origin.month - 1 + months
    year, month = origin.year + total // 12, total % 12 + 1
    if year > 9999:
        return None
    if origin.day > 28 and origin.day > _calendar.monthrange(year, month)[1]:
        return _mktime_date(year, month + 1, 1)
    return date(year, month, origin.day)


def _mktime_date(year: int, month: int, day: int) -> date | None:
    """PHP's `mktime` for a date: months and days past their end roll over."""
    moved = _mktime(year, month, day)
    return moved.date() if moved is not None else None


def _at_clock(day: date | None, clock: time) -> datetime | None:
    return datetime.combine(day, clock) if day is not None else None


def count_past_events(rule: Mapping[str, Any], series_start: date | datetime,
                      new_start: date | datetime) -> float:
    """CCalendar::CountPastEvents (calendar.php), which CountNumberFollowEvents subtracts from
    the COUNT of a `next` split: DAILY whole days / INTERVAL; WEEKLY the days from the series'
    start up to the split whose weekday is in BYDAY (INTERVAL ignored); MONTHLY the months part
    of the difference (years dropped) / INTERVAL; YEARLY the years / INTERVAL.

    Raises PortalFault where PHP fails: a rule without INTERVAL (division by zero) or a WEEKLY
    rule whose BYDAY is not an array (`in_array` on a string)."""
    first, split = _day(series_start), _day(new_start)
    days = (split - first).days
    freq = rule.get("FREQ")
    interval = php_int(rule.get("INTERVAL"))
    if freq == "WEEKLY":
        byday = rule.get("BYDAY")
        if days <= 0:
            return 0
        if isinstance(byday, Mapping):
            wanted = [php_string(v) for v in byday.values()]
        elif isinstance(byday, (list, tuple)):
            wanted = [php_string(v) for v in byday]
        else:
            raise PortalFault("in_array(): Argument #2 ($haystack) must be of type array")
        return sum(1 for i in range(days)
                   if WEEKDAYS[(first + timedelta(days=i)).weekday()] in wanted)
    if freq not in ("DAILY", "MONTHLY", "YEARLY"):
        return 0
    if interval == 0:
        raise PortalFault("Division by zero")
    months = (split.year - first.year) * 12 + split.month - first.month
    if split.day < first.day:
        months -= 1
    if freq == "DAILY":
        return days / interval
    if freq == "MONTHLY":
        return (months % 12) / interval
    return (months // 12) / interval


# --- the current generation (G3): the COUNT end estimate and the window-start estimate -------

DAY_SECONDS = 86400


def php_round(value: float) -> float:
    """PHP's `round()` to an integer: halves go away from zero (`round(-0.5)` is -1), unlike
    Python's `round`, which rounds halves to even."""
    magnitude = math.floor(abs(value) + 0.5)
    return float(-magnitude if value < 0 else magnitude)


def _php_mod(value: float, divisor: int) -> int:
    """PHP's `%`: both sides cast to integers, the remainder takes the dividend's sign."""
    return int(math.fmod(int(value), divisor))


def naive_ts(value: date | datetime) -> int:
    """A wall-clock value as the portal's `CCalendar::Timestamp` makes it: seconds of that wall
    clock read in the server's zone, which the test portal takes to be UTC (see
    `render.series_to_ts`). All-day values are their midnight."""
    wall = value if isinstance(value, datetime) else datetime.combine(value, time())
    return int(wall.replace(tzinfo=_UTC).timestamp())


def _from_naive_ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, _UTC).replace(tzinfo=None)


def _mktime(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
            second: int = 0) -> datetime | None:
    """PHP's `mktime` on the server's (UTC) clock: months, days and seconds past their range
    roll over into the next unit; None past year 9999 or before year 1."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    if not 1 <= year <= 9999:
        return None
    try:
        return datetime(year, month, 1) + timedelta(days=day - 1, hours=hour, minutes=minute,
                                                     seconds=second)
    except OverflowError:
        return None


def freq_duration(freq: str) -> int:
    """CCalendarEvent::getFreqDuration (calendar_event.php): the seconds the estimates take
    for one step: a day for DAILY and WEEKLY, 30 days for MONTHLY, 365 days for YEARLY."""
    if freq in ("DAILY", "WEEKLY"):
        return DAY_SECONDS
    if freq == "MONTHLY":
        return 30 * DAY_SECONDS
    if freq == "YEARLY":
        return 365 * DAY_SECONDS
    return 0


def until_for_count(freq: str, interval: int, count: int, days: int,
                    first: date | datetime, last: date | datetime, offset: int = 0) -> int:
    """CCalendarEvent::calculateUntilForCountRRule (calendar_event.php): where a COUNT series
    is taken to end, as a server timestamp, for a series whose first occurrence runs from
    `first` to `last`, both moved by `offset` seconds.

    The end of the first occurrence (its minutes, seconds dropped) is moved by COUNT×INTERVAL
    days (DAILY), months (MONTHLY) or years (YEARLY), with `mktime`'s roll-over. WEEKLY does not
    walk the week days: it adds round((COUNT−1)/`days`·7·INTERVAL) days, `days` being the
    number of BYDAY days, and the occurrence's length once more; no BYDAY days gives 0.
    """
    start_ts, end_ts = naive_ts(first) + offset, naive_ts(last) + offset
    length = end_ts - start_ts
    end = _from_naive_ts(end_ts)
    steps = count * interval
    moved: datetime | None
    if freq == "DAILY":
        moved = _mktime(end.year, end.month, end.day + steps, end.hour, end.minute)
    elif freq == "MONTHLY":
        moved = _mktime(end.year, end.month + steps, end.day, end.hour, end.minute)
    elif freq == "YEARLY":
        moved = _mktime(end.year + steps, end.month, end.day, end.hour, end.minute)
    elif freq == "WEEKLY":
        if days <= 0:
            return 0
        shift = int(php_round((count - 1) / days * 7 * interval))
        moved = _mktime(end.year, end.month, end.day + shift, end.hour, end.minute, length)
    else:
        return 0
    return naive_ts(moved) if moved is not None else naive_ts(datetime(9999, 12, 31))


def stored_count_end(stored: Mapping[str, Any], first: date | datetime,
                     last: date | datetime) -> int | None:
    """DATE_TO_TS_UTC that CCalendarEvent::checkRecurringRuleField (calendar_event.php) stores
    for a COUNT rule on the current generation: `calculateUntilForCountRRule` of the rule being
    saved (a WEEKLY rule saved without BYDAY has no days, so 0); None for a rule without COUNT,
    whose DATE_TO_TS_UTC stays UNTIL plus a day (`render.series_to_ts`)."""
    if stored.get("COUNT") is None:
        return None
    freq = str(stored.get("FREQ"))
    raw = stored.get("BYDAY")
    days = len([d for d in php_string(raw).split(",") if d]) if raw is not None else 0
    return until_for_count(freq, max(php_int(stored.get("INTERVAL")), 1),
                           php_int(stored["COUNT"]), days, first, last)


def closest_repetition_ts(limit_from_ts: int, ev_from_ts: int, rule: BitrixRule) -> int:
    """CCalendarEvent::getClosestRepetitionTs (calendar_event.php): the start ParseRecursion
    walks from when the view window starts at `limit_from_ts`, estimated from the series start
    `ev_from_ts` (both server timestamps).

    DAILY, MONTHLY and YEARLY round the distance in days, 30-day months or 365-day years, take
    off its remainder modulo INTERVAL (PHP's `%`, sign of the distance) and move the start by
    that many days, months or years (`mktime`). WEEKLY rounds the distance in days `d`, takes
    `count = round(d/(n·7·INTERVAL) + 1)` for n BYDAY days and moves the start by
    round((count−1)/n·7·INTERVAL) days, which need not be a day of the rule nor a week of the
    series. The result keeps the start's time of day.
    """
    start = _from_naive_ts(ev_from_ts)
    hour, minute, second = start.hour, start.minute, start.second
    distance = php_round((limit_from_ts - ev_from_ts) / freq_duration(rule.freq))
    moved: datetime | None
    if rule.freq == "WEEKLY":
        days = len(rule.byday)
        count = php_round(distance / (days * 7 * rule.interval) + 1)
        shift = int(php_round((count - 1) / days * 7 * rule.interval))
        moved = _mktime(start.year, start.month, start.day + shift, hour, minute, second)
    else:
        steps = int(distance) - _php_mod(distance, rule.interval)
        if rule.freq == "DAILY":
            moved = _mktime(start.year, start.month, start.day + steps, hour, minute, second)
        elif rule.freq == "MONTHLY":
            moved = _mktime(start.year, start.month + steps, start.day, hour, minute, second)
        else:
            moved = _mktime(start.year + steps, start.month, start.day, hour, minute, second)
    return naive_ts(moved) if moved is not None else ev_from_ts


def parse_recursion_current(
    first: date | datetime,
    last: date | datetime,
    rule: BitrixRule,
    *,
    timezone: str | None,
    from_ts_utc: int,
    offset_from: int,
    length: int,
    window_start: date | None,
    exdates: Iterable[date] = (),
    before: date | datetime,
) -> Iterator[tuple[int, date | datetime]]:
    """(RINDEX, start) of each occurrence as the current CCalendarEvent::ParseRecursion
    (calendar_event.php) produces them, strictly before `before`.

    The window's first day (`window_start`; None: CCalendar::GetMinDate, before any series)
    is read as a server timestamp, moved by the series' TZ_OFFSET_FROM (`offset_from`) and
    raised to DATE_FROM_TS_UTC (`from_ts_utc`) when earlier. The walk starts at
    `closest_repetition_ts` of that limit. A COUNT rule ends at `calculateUntilForCountRRule`
    (`until_for_count`): no start after it is shown. For COUNT-bounded DAILY/MONTHLY/YEARLY a
    `countOffset` is the whole number of steps (INTERVAL×getFreqDuration, truncated) between
    that end estimated from the walk's start and the last occurrence's start (the end less
    `length`, DT_LENGTH, for timed events); the walk stops when the occurrences it counted
    plus countOffset reach COUNT. RINDEX is that sum, or for the very first start 1 when it
    lies more than a day after the series start, else 0. The walk itself is the old one
    (`parse_recursion`) from the new start: WEEKLY day by day with the INTERVAL jump after each
    Sunday, MONTHLY months added to the walk's first start's month with the 29–31 roll-over,
    YEARLY `mktime` of that start's month and day. A start more than a day before the series
    start ends the walk.
    """
    excluded = frozenset(exdates)
    is_before = _bound(before, timezone)
    skip = not isinstance(first, datetime)
    ev_from = naive_ts(first)
    limit_from = naive_ts(window_start) if window_start is not None else naive_ts(date(1970, 1, 1))
    cursor = closest_repetition_ts(max(limit_from + offset_from, from_ts_utc), ev_from, rule)
    limit_to, count_offset = _count_limits(first, last, rule, length, cursor)
    walk_first = _from_naive_ts(cursor)
    current: datetime | None = walk_first
    real = 0
    while current is not None:
        current_ts = naive_ts(current)
        if rule.count is not None and real + count_offset >= rule.count:
            return
        if limit_to is not None and current_ts > limit_to:
            return
        if current_ts < ev_from - DAY_SECONDS:
            return
        day = current.date()
        if day > rule.until:
            return
        start: date | datetime = day if skip else current
        if not is_before(start):
            return
        if real > 0 or count_offset > 0:
            rindex = real + count_offset
        else:
            rindex = 1 if (current_ts - ev_from) / DAY_SECONDS > 1 else 0
        if rule.freq != "WEEKLY" or rule.byday.get(WEEKDAYS[day.weekday()]):
            real += 1
            if day not in excluded:
                yield rindex, start
        current = _next_walk_start(rule, day, walk_first, real)


def _count_limits(first: date | datetime, last: date | datetime, rule: BitrixRule,
                  length: int, cursor: int) -> tuple[int | None, int]:
    """The last start a COUNT rule shows (None: no COUNT) and the countOffset of a walk
    starting at `cursor`: see `parse_recursion_current`."""
    if rule.count is None:
        return None, 0
    days = len(rule.byday)
    limit_to = until_for_count(rule.freq, rule.interval, rule.count, days, first, last)
    if rule.freq == "WEEKLY":
        return limit_to, 0
    last_start = limit_to if not isinstance(first, datetime) else limit_to - length
    estimate = until_for_count(rule.freq, rule.interval, rule.count, days, first, last,
                               cursor - naive_ts(first))
    step = freq_duration(rule.freq) * rule.interval
    return limit_to, int((estimate - last_start) / step)


def _next_walk_start(rule: BitrixRule, day: date, walk_first: datetime,
                     real: int) -> datetime | None:
    """The walk's next start after `day` (`real` occurrences counted so far), at the walk's
    first start's time of day: WEEKLY day by day with the INTERVAL jump after each Sunday."""
    clock = walk_first.time()
    if rule.freq == "WEEKLY":
        step_days = (rule.interval - 1) * 7 + 1 if WEEKDAYS[day.weekday()] == "SU" else 1
        return _mktime(day.year, day.month, day.day + step_days, clock.hour, clock.minute,
                       clock.second)
    if rule.freq == "DAILY":
        return _mktime(day.year, day.month, day.day + rule.interval, clock.hour,
                       clock.minute, clock.second)
    if rule.freq == "MONTHLY":
        return _at_clock(_monthly(walk_first.date(), real * rule.interval), clock)
    return _at_clock(_mktime_date(day.year + rule.interval, walk_first.month,
                                  walk_first.day), clock)
