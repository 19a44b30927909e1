"""VEVENT properties → the pieces of `EventParams`. Pure: component in, values out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import vBroken

from ics2b24.ical.colors import to_hex
from ics2b24.ical.read import prop
from ics2b24.ical.tz import zone_name

NO_TITLE = "(no title)"
DAY = timedelta(days=1)
_BUSY_STATUS = {"FREE": "free", "TENTATIVE": "quest", "BUSY": "busy", "OOF": "absent"}


class BrokenEvent(Exception):
    """A VEVENT that cannot become an event at all; the converter skips it with a warning."""


@dataclass(frozen=True)
class Span:
    """Start and RFC 5545 (exclusive) end, both dates or both datetimes, the end never before
    the start. `backwards`: the input's end was before its start (the end is then the start);
    `settled`: the input's end needed reading (backwards, or of the other kind than DTSTART),
    so what it literally says is not this end."""

    start: date | datetime
    end: date | datetime
    backwards: bool = False
    settled: bool = False

    @property
    def length(self) -> timedelta:
        return self.end - self.start  # type: ignore[operator]

@dataclass(frozen=True)
class DateParams:
    date_from: str
    date_to: str
    skip_time: bool
    timezone_from: str | None
    timezone_to: str | None


@dataclass(frozen=True)
class Details:
    """Everything of an event that does not depend on which occurrence it is."""

    name: str
    description: str | None
    location: str | None
    color: str | None
    accessibility: str
    importance: str
    private_event: bool


def is_all_day(value: date | datetime) -> bool:
    return not isinstance(value, datetime)


def event_span(event: icalendar.Component) -> Span:
    """The one reading of when an event starts and ends: DTSTART with DTEND, or DTSTART +
    DURATION, or RFC 5545's default length (a day all-day, nothing timed).

    DTSTART's type decides what the event is: a date makes it all-day, through the day its
    end reaches (a DTEND or DURATION with a time counts the day it falls in, unless it falls
    at midnight); a date-time makes it timed, and a DTEND that is a date ends it at that day's
    midnight in DTSTART's zone (as recurring-ical-events reads it). An end before the start
    is the start (`backwards`): a portal refuses such an event, and swapping the two would
    move its start.
    """
    start = _date_value(event, "DTSTART")
    if start is None:
        raise BrokenEvent("it has no DTSTART")
    end = _date_value(event, "DTEND")
    if end is None:
        duration = _duration(event)
        if duration is None:
            end = start + DAY if is_all_day(start) else start
        elif is_all_day(start) and duration.seconds:
            end = datetime.combine(start, time()) + duration
        else:
            end = start + duration
    settled = _of_start_kind(start, end)
    if settled < start:
        return Span(start, start, backwards=True, settled=True)
    return Span(start, settled, settled=_kind(settled) != _kind(end))


def _kind(value: date | datetime) -> tuple[bool, bool]:
    """All-day or timed, floating or zoned: what makes two values of one kind."""
    return isinstance(value, datetime), getattr(value, "tzinfo", None) is not None


def _through_day_reached(end: datetime) -> date:
    """An all-day event's exclusive end when its end has a time: after the day it falls in."""
    return end.date() if end.time() == time() else end.date() + DAY


def _of_start_kind(start: date | datetime, end: date | datetime) -> date | datetime:
    if is_all_day(start):
        return _through_day_reached(end) if isinstance(end, datetime) else end
    assert isinstance(start, datetime)
    if not isinstance(end, datetime):
        return datetime.combine(end, time(), tzinfo=start.tzinfo)
    if (start.tzinfo is None) != (end.tzinfo is None):
        return end.replace(tzinfo=start.tzinfo)
    return end


def write_span(event: icalendar.Component, span: Span) -> None:
    """Put `span` into the VEVENT as DTSTART/DTEND, so that whatever else reads it (the
    recurrence expansion, the reminders) reads the same start and end."""
    event.pop("DURATION", None)
    event.pop("DTEND", None)
    event.add("DTEND", span.end)


def _date_value(event: icalendar.Component, name: str) -> date | datetime | None:
    found = prop(event, name)
    if found is None:
        return None
    if isinstance(found, (list, vBroken)):
        raise BrokenEvent(f"its {name} cannot be read")
    value = getattr(found, "dt", None)
    if not isinstance(value, date):
        raise BrokenEvent(f"its {name} is not a date or date-time")
    return value


def _duration(event: icalendar.Component) -> timedelta | None:
    found = prop(event, "DURATION")
    if found is None:
        return None
    value = getattr(found, "dt", None)
    if isinstance(found, vBroken) or not isinstance(value, timedelta):
        raise BrokenEvent("its DURATION cannot be read")
    return value


def date_params(start: date | datetime, end: date | datetime, floating: ZoneInfo) -> DateParams:
    """`from`/`to` as docs/convert-contract.md writes them: all-day `to` is the last day,
    inclusive."""
    if not isinstance(start, datetime):
        last = end - DAY if not isinstance(end, datetime) else end.date()
        return DateParams(start.isoformat(), max(start, last).isoformat(), True, None, None)
    end_dt = end if isinstance(end, datetime) else datetime.combine(end, start.timetz())
    return DateParams(_wall(start), _wall(end_dt), False, _zone_label(start, floating),
                      _zone_label(end_dt, floating))


def seconds_note(start: date | datetime, end: date | datetime) -> str | None:
    """A portal keeps times to the minute, half a minute and more rounding up
    (docs/test-portal.md, behaviour 23): say so when the event's times carry seconds."""
    odd = [(name, value) for name, value in (("DTSTART", start), ("DTEND", end))
           if isinstance(value, datetime) and value.second]
    if not odd:
        return None
    shown = ", ".join(f"{name} {value.time().isoformat(timespec='seconds')}"
                      for name, value in odd)
    return f"{shown}: Bitrix24 keeps times to the minute (half a minute and more rounds up)"


def _wall(value: datetime) -> str:
    """ISO `YYYY-MM-DDTHH:MM:SS` for every year (strftime writes year 1 as `1`)."""
    return value.replace(tzinfo=None).isoformat(timespec="seconds")


def _zone_label(value: datetime, floating: ZoneInfo) -> str:
    tz = value.tzinfo
    return zone_name(tz if isinstance(tz, ZoneInfo) else floating)


def details(event: icalendar.Component, extra_description: list[str]) -> Details:
    """Text, busy status, importance, privacy and colour, with URL and people folded into the
    description because Bitrix24 has no fields for them."""
    return Details(
        name=_text(event, "SUMMARY") or NO_TITLE,
        description=compose_description(_text(event, "DESCRIPTION"), _text(event, "URL"),
                                        extra_description),
        location=_text(event, "LOCATION"),
        color=to_hex(_text(event, "COLOR") or ""),
        accessibility=accessibility(event),
        importance=importance(event),
        private_event=_text(event, "CLASS").upper() in ("PRIVATE", "CONFIDENTIAL"),
    )


def _text(event: icalendar.Component, name: str) -> str:
    value = prop(event, name)
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def compose_description(description: str, url: str, extra: list[str]) -> str | None:
    parts = [description] if description else []
    if url and url not in description:
        parts.append(url)
    parts.extend(extra)
    return "\n\n".join(parts) or None


def accessibility(event: icalendar.Component) -> str:
    """Outlook's busy status is the most specific statement, so it wins; then an event that
    blocks no time is free whatever its status."""
    busy_status = _text(event, "X-MICROSOFT-CDO-BUSYSTATUS").upper()
    if busy_status in _BUSY_STATUS:
        return _BUSY_STATUS[busy_status]
    if _text(event, "TRANSP").upper() == "TRANSPARENT":
        return "free"
    if _text(event, "STATUS").upper() == "TENTATIVE":
        return "quest"
    return "busy"


def importance(event: icalendar.Component) -> str:
    """RFC 5545 PRIORITY: 1–4 high, 5 (or 0, undefined) normal, 6–9 low."""
    try:
        priority = int(_text(event, "PRIORITY") or 0)
    except ValueError:
        return "normal"
    if 1 <= priority <= 4:
        return "high"
    if 6 <= priority <= 9:
        return "low"
    return "normal"


def categories(event: icalendar.Component) -> tuple[str, ...]:
    """Every CATEGORIES value, over all its lines, as written (empty ones left out)."""
    value = event.get("CATEGORIES")
    lines = value if isinstance(value, list) else [value] if value is not None else []
    return tuple(text for line in lines for item in getattr(line, "cats", [])
                 if (text := str(item).strip()))


def is_cancelled(event: icalendar.Component) -> bool:
    """STATUS:CANCELLED: the event (or that occurrence) must not exist."""
    return _text(event, "STATUS").upper() == "CANCELLED"
