"""A `rrule` as the portal stores it and reads it back (Bitrix24's PHP source, where it differs
from docs/convert-contract.md and RFC 5545): UNTIL read in the display format (unreadable: no
end), WEEKLY without BYDAY on Mondays. The calendar methods save through `checked_rule` and
expand what `read_rule` answers (`recurrence.py`, `recurrence_current.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ics2b24.portal.dates import display_date, short_date
from ics2b24.portal.dates import parse as parse_date
from ics2b24.portal.rrule_terms import FREQS
from ics2b24.portal.wire import php_int, php_string

MAX_DATE = date(2038, 1, 1)
"""CCalendar::GetMaxDate (modules/calendar/classes/general/calendar.php): the UNTIL of a series
that never ends."""
_BYDAY = re.compile(r"((?:-|\+)?\d+)?(MO|TU|WE|TH|FR|SA|SU)")
_PHP_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


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
