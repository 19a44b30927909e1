"""The portal's event rows (`calendar.event.get` / `getbyid`) as typed values the diff engine
can compare with the converter's output.

Rows speak the portal's dialect: dates in its display format (`12/11/2024 05:59:00 pm`) as
wall-clock times in TZ_FROM / TZ_TO next to a UTC timestamp, RRULE.BYDAY as an object, UNTIL
and EXDATE as display dates, flags as `Y`, `""`, `true`. Here they become an `EventParams`
written the way the converter writes one (`from`/`to` `YYYY-MM-DDTHH:MM:SS`, all-day `to`
inclusive and no zones, BYDAY in week order, keys without value left out).

Decisions:
- The wall clock comes from the display value: it is what the portal stores and shows. A
  display value that reads two ways (`03/04/2024` is 3 April or 4 March) is settled by the
  portal's date order, which is one for the whole answer: the order of any row that reads
  one way only, else of a row whose reading is exactly its DATE_FROM_TS_UTC (a series' own
  row, within a day whatever zone an all-day timestamp was taken in: two readings of one
  text are weeks apart; expanded rows all carry the series' timestamp, so a timestamp says
  nothing about them), else the UTC timestamp's nearest reading. EXDATE and UNTIL are read
  in that order.
- `calendar.event.get` returns one row per occurrence of a series, all with the series' ID.
  `parse_events` keeps one event per ID, built from the row that starts first (earliest
  DATE_FROM_TS_UTC), and lists every occurrence start it saw. That row is the series' own
  start only when the window reaches it and that day was not excluded or moved; the series
  row itself comes from `calendar.event.getbyid`, which `parse_event` reads unchanged.
- DESCRIPTION is the text as sent; `~DESCRIPTION` (getbyid) is it rendered as HTML and never
  read. Rows of a current portal carry DESCRIPTION, an older portal's rows do not: only then is
  the description unknown.
- A series without COUNT or UNTIL comes back from some portals with UNTIL 01/01/2038; that
  date is read as "no end". With COUNT, a computed UNTIL is dropped (the rule is the COUNT).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from ics2b24.bitrix import answers
from ics2b24.errors import PortalError
from ics2b24.model import (
    PLAIN_FIELDS,
    WEEKDAYS,
    EventParams,
    Freq,
    Meeting,
    Reminder,
    ReminderUnit,
    Rrule,
)
from ics2b24.plan.compare import Occurrence, Window, occurrence_of
from ics2b24.plan.remote import RemoteEvent

DateOrder = Literal["mdy", "dmy", "ymd"]

_NO_END = date(2038, 1, 1)
_SLASH = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([aApP][mM])?)?"
)
_DOTS = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]+(\d{2}):(\d{2})(?::(\d{2}))?)?")
_DAY_SECONDS = 86400
_UNITS = frozenset({"min", "hour", "day"})
_DEFAULTS = {f.name: f.default for f in fields(EventParams)}


def parse_event(row: Mapping[str, Any], order: DateOrder | None = None) -> RemoteEvent:
    """One row, as `calendar.event.getbyid` answers it (or one row of `calendar.event.get`,
    read in the answer's date `order`)."""
    try:
        return _parse(row, order)
    except (KeyError, TypeError, ValueError) as exc:
        raise PortalError(
            "ERROR_UNEXPECTED_ANSWER",
            f"cannot read calendar event {row.get('ID', '?')!s}: {exc}",
        ) from None


def listed_rows(result: Any) -> list[dict[str, Any]]:
    """A `calendar.event.get` answer as its rows, checked before anything is read from it."""
    return answers.rows("calendar.event.get", result, "a list of events")


def parse_events(rows: Iterable[Mapping[str, Any]]) -> list[RemoteEvent]:
    """The rows of `calendar.event.get`, one event per ID (see the module's decisions),
    ordered by ID."""
    listed = list(rows)
    order = date_order(listed)
    by_id: dict[int, list[RemoteEvent]] = {}
    described: dict[int, bool] = {}
    for row in listed:
        event = parse_event(row, order)
        by_id.setdefault(event.id, []).append(event)
        described[event.id] = described.get(event.id, True) and "DESCRIPTION" in row
    out = []
    for event_id in sorted(by_id):
        seen = by_id[event_id]
        first = min(seen, key=_start_key)
        starts = sorted({s for e in seen for s in e.occurrences})
        out.append(replace(first, occurrences=tuple(starts),
                           description_known=described[event_id]))
    return out


def shown(rows: Sequence[Mapping[str, Any]], window: Window,
          order: DateOrder | None = None) -> dict[int, Counter[Occurrence]]:
    """Per portal event ID, the occurrences its `calendar.event.get` rows show in the window
    (an expanded row keeps its series' ID and carries its own DATE_FROM/DATE_TO). The date
    `order` learnt from a wider read is given for a month view: its rows may all be expanded
    ones that read two ways, and their timestamp is their series' start, months away."""
    order = order or date_order(rows)
    out: dict[int, Counter[Occurrence]] = {}
    for row in rows:
        event = parse_event(row, order)
        if window.holds(date.fromisoformat(event.params.date_from[:10])):
            name = str(row.get("NAME") or "")
            out.setdefault(event.id, Counter())[occurrence_of(event.params, name)] += 1
    return out


def date_order(rows: Iterable[Mapping[str, Any]]) -> DateOrder | None:
    """The portal's date order, as far as these rows tell it (see the module's decisions)."""
    exact: DateOrder | None = None
    for row in rows:
        text = _text(row.get("DATE_FROM"))
        if text is None:
            continue
        readings = _candidates(text)
        orders = {reading[2] for reading in readings}
        if len(orders) == 1:
            return orders.pop()
        try:
            utc = _int(row.get("DATE_FROM_TS_UTC"))
        except ValueError:
            continue
        zone = None if _flag(row.get("DT_SKIP_TIME")) else _text(row.get("TZ_FROM"))
        matching = {r[2] for r in readings if utc is not None
                    and abs(_instant(r[0], zone) - utc) < _DAY_SECONDS}
        if exact is None and len(matching) == 1:
            exact = matching.pop()
    return exact


def _start_key(event: RemoteEvent) -> tuple[float, str]:
    utc = float(event.start_utc) if event.start_utc is not None else float("inf")
    return (utc, event.params.date_from)


def _parse(row: Mapping[str, Any], given: DateOrder | None) -> RemoteEvent:
    event_id = int(row["ID"])
    skip_time = _flag(row.get("DT_SKIP_TIME"))
    tz_from = _text(row.get("TZ_FROM"))
    tz_to = _text(row.get("TZ_TO")) or tz_from
    start_utc = _int(row.get("DATE_FROM_TS_UTC"))
    end_utc = _int(row.get("DATE_TO_TS_UTC"))
    start, order = _read_moment(row["DATE_FROM"], start_utc, tz_from, "DATE_FROM", given)
    end, _ = _read_moment(row["DATE_TO"], end_utc, tz_to, "DATE_TO", order)
    date_from, date_to = _wall(start, skip_time), _wall(end, skip_time)
    rrule = _rrule(row.get("RRULE"), order)
    is_meeting = _flag(row.get("IS_MEETING"))
    params = EventParams(
        name=_text(row.get("NAME")) or "",
        date_from=date_from,
        date_to=date_to,
        skip_time=skip_time,
        timezone_from=None if skip_time else tz_from,
        timezone_to=None if skip_time else tz_to,
        **_plain(row),
        rrule=rrule,
        is_meeting=is_meeting,
        attendees=_attendees(row.get("ATTENDEE_LIST")) if is_meeting else (),
        meeting=_meeting(row.get("MEETING")) if is_meeting else None,
    )
    raw_relations = row.get("RELATIONS")
    relations: Mapping[str, Any] = raw_relations if isinstance(raw_relations, Mapping) else {}
    original = row.get("ORIGINAL_DATE_FROM")
    return RemoteEvent(
        id=event_id,
        section_id=_int(row.get("SECTION_ID", row.get("SECT_ID"))),
        dav_xml_id=_text(row.get("DAV_XML_ID")),
        recurrence_id=_int(row.get("RECURRENCE_ID")),
        original_recursion_id=_int(relations.get("ORIGINAL_RECURSION_ID")),
        original_date_from=(
            _wall(_read_moment(original, None, tz_from, "ORIGINAL_DATE_FROM", order)[0], False)
            if _text(original) else None
        ),
        meeting_host=_int(row.get("MEETING_HOST")),
        start_utc=start_utc,
        params=params,
        exdate=_exdates(row.get("EXDATE"), order),
        occurrences=(date_from,),
    )


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """The plain fields (model.py `PLAIN_FIELDS`), each under its wire name in capitals; a
    choice the row leaves empty is `EventParams`' default."""
    out: dict[str, Any] = {}
    for plain in PLAIN_FIELDS:
        value = row.get(plain.wire.upper())
        if plain.kind == "choice":
            out[plain.name] = _text(value) or _DEFAULTS[plain.name]
        elif plain.kind == "flag":
            out[plain.name] = _flag(value)
        elif plain.kind == "reminders":
            out[plain.name] = _reminders(value)
        else:
            out[plain.name] = _text(value)
    return out


def _text(value: Any) -> str | None:
    if value is None or value is False:
        return None
    text = str(value)
    return text if text else None


def _int(value: Any) -> int | None:
    if value is None or value is False or value == "":
        return None
    return int(str(value).strip())


def _flag(value: Any) -> bool:
    """`Y`, `true`, `1` and true are yes; `N`, `""`, `0`, false and null are no."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("y", "1", "true") if value is not None else False


def _candidates(text: str) -> list[tuple[datetime, bool, DateOrder]]:
    """Every reading of `text`: (wall clock, has a time, the date order it implies)."""
    text = text.strip()
    out: list[tuple[datetime, bool, DateOrder]] = []
    match = _SLASH.fullmatch(text)
    if match:
        first, second, year, hour, minute, second_s, half = match.groups()
        clock = _clock(hour, minute, second_s, half)
        orders: list[DateOrder] = ["mdy"] if half else ["mdy", "dmy"]
        for order in orders:
            month, day = (first, second) if order == "mdy" else (second, first)
            try:
                out.append((datetime.combine(date(int(year), int(month), int(day)), clock),
                            hour is not None, order))
            except ValueError:
                continue
        return out
    for pattern, order in ((_DOTS, "dmy"), (_ISO, "ymd")):
        match = pattern.fullmatch(text)
        if match:
            a, b, c, hour, minute, second_s = match.groups()
            year, month, day = (c, b, a) if order == "dmy" else (a, b, c)
            clock = _clock(hour, minute, second_s, None)
            out.append((datetime.combine(date(int(year), int(month), int(day)), clock),
                        hour is not None, order))
    return out


def _clock(hour: str | None, minute: str | None, second: str | None,
           half: str | None) -> time:
    if hour is None:
        return time()
    hours = int(hour)
    if half:
        if not 1 <= hours <= 12:
            raise ValueError(f"hour {hours} with {half}")
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    return time(hours, int(minute or 0), int(second or 0))


def _instant(wall: datetime, zone_name: str | None) -> float:
    tz = ZoneInfo(zone_name) if zone_name else timezone.utc
    return wall.replace(tzinfo=tz).timestamp()


def _read_moment(value: Any, utc: int | None, zone_name: str | None, field: str,
                 order: DateOrder | None = None) -> tuple[datetime | date, DateOrder]:
    """A display value as a naive wall clock (a `date` when it carries no time)."""
    text = _text(value)
    if text is None:
        raise ValueError(f"{field} is empty")
    readings = _candidates(text)
    if order is not None and any(r[2] == order for r in readings):
        readings = [r for r in readings if r[2] == order]
    if not readings:
        raise ValueError(f"{field} {text!r} is not a date")
    if utc is not None and len(readings) > 1:
        readings.sort(key=lambda r: abs(_instant(r[0], zone_name) - utc))
    wall, has_time, found = readings[0]
    return (wall if has_time else wall.date()), found


def _wall(value: datetime | date, skip_time: bool) -> str:
    if skip_time:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.isoformat(timespec="seconds")


def _day(value: Any, order: DateOrder, hint: date | None = None) -> date:
    text = _text(value)
    if text is None:
        raise ValueError("empty date")
    readings = [r for r in _candidates(text) if r[2] == order] or _candidates(text)
    if not readings:
        raise ValueError(f"{text!r} is not a date")
    if hint is not None:
        readings.sort(key=lambda r: abs((r[0].date() - hint).days))
    return readings[0][0].date()


def _rrule(value: Any, order: DateOrder) -> Rrule | None:
    if not isinstance(value, Mapping) or not value.get("FREQ"):
        return None
    freq = str(value["FREQ"]).upper()
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValueError(f"RRULE FREQ {freq!r}")
    count = _int(value.get("COUNT")) or None
    until: date | None = None
    if count is None and _text(value.get("UNTIL")):
        hint = None
        until_ts = _int(value.get("UNTIL_TS"))
        if until_ts is not None:
            hint = (datetime(1970, 1, 1) + timedelta(seconds=until_ts)).date()
        until = _day(value["UNTIL"], order, hint)
        if until == _NO_END:
            until = None
    byday_raw = value.get("BYDAY") or ()
    days = set(byday_raw.values() if isinstance(byday_raw, Mapping) else byday_raw)
    byday = tuple(d for d in WEEKDAYS if d in {str(x).upper() for x in days})
    return Rrule(
        freq=cast(Freq, freq),
        interval=_int(value.get("INTERVAL")) or 1,
        count=count,
        until=until,
        byday=byday,
    )


def _exdates(value: Any, order: DateOrder) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = [part for part in value.split(";") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        items = []
    return tuple(sorted({_day(item, order).isoformat() for item in items}))


def _reminders(value: Any) -> tuple[Reminder, ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for item in value:
        if isinstance(item, Mapping) and str(item.get("type")) in _UNITS:
            unit = cast(ReminderUnit, str(item["type"]))
            out.append(Reminder(unit, int(item.get("count", 0))))
    return tuple(out)


def _attendees(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(int(item["id"]) for item in value if isinstance(item, Mapping) and "id" in item)


def _meeting(value: Any) -> Meeting:
    data = value if isinstance(value, Mapping) else {}
    return Meeting(
        notify=_flag(data.get("NOTIFY")),
        reinvite=_flag(data.get("REINVITE")),
        allow_invite=_flag(data.get("ALLOW_INVITE")),
        hide_guests=_flag(data.get("HIDE_GUESTS")),
    )
