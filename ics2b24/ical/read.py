"""Bytes → icalendar components, with every date in a zone the rest of the converter can name.

Producers disagree on almost everything below the RFC: BOMs, bare LF, UTF-16 exports, Google's
X-WR-TIMEZONE, Outlook's Windows zone names and home-made VTIMEZONEs. This module absorbs those
differences once, so that downstream code only ever sees `date`, naive (floating) `datetime`, or
`datetime` aware in a `ZoneInfo` (UTC included).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar
import x_wr_timezone
from icalendar.parser.content_line import Contentline
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ics2b24.errors import ParseError

UTC = ZoneInfo("UTC")
DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"})
_BEGIN_END = re.compile(r"^(BEGIN|END):([^\r\n]*?)[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)


@dataclass
class SourceEvent:
    """A VEVENT with where it came from, so every message can point the user at it."""

    component: icalendar.Event
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass
class ReadInput:
    calendars: list[icalendar.Calendar]
    events: list[SourceEvent]


def decode(name: str, data: bytes) -> str:
    """Text of one input; UTF-16 exports (Windows Calendar) are accepted by their BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-16 text", file=name) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            file=name, line=line,
        ) from exc


def read_input(name: str, data: bytes) -> ReadInput:
    """Parse one input (one or more VCALENDARs) or raise ParseError naming file and line."""
    text = decode(name, data)
    if not text.strip():
        raise ParseError("empty input, no calendar in it", file=name)
    lines = _vevent_lines(name, text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            components = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        raise ParseError(_first_line_of(str(exc)), file=name, line=_locate_error(text)) from exc
    except (AttributeError, TypeError) as exc:
        # icalendar builds VTIMEZONEs while parsing and trips over malformed ones (a
        # property given twice becomes a list where it expects text).
        raise ParseError(f"a VTIMEZONE cannot be read ({exc})", file=name) from exc
    if not components:
        raise ParseError("not iCalendar data: no BEGIN:VCALENDAR", file=name)
    calendars = [_standardise(name, c) for c in _as_calendars(components)]
    events = [e for c in calendars for e in c.walk("VEVENT") if isinstance(e, icalendar.Event)]
    if len(lines) != len(events):
        return ReadInput(calendars, [SourceEvent(e, name, None) for e in events])
    located = zip(events, lines, strict=True)
    return ReadInput(calendars, [SourceEvent(e, name, n) for e, n in located])


def _vevent_lines(name: str, text: str) -> list[int]:
    """Line numbers of each BEGIN:VEVENT, in document order (the order of `walk`), found in
    the one pass that checks every BEGIN has its END: icalendar silently drops what a
    truncated file leaves open."""
    out = []
    stack: list[tuple[str, int]] = []
    line, pos = 1, 0
    for match in _BEGIN_END.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        kind, component = match.group(1).upper(), match.group(2).upper()
        if kind == "BEGIN":
            stack.append((component, line))
            if component == "VEVENT":
                out.append(line)
        elif stack and stack[-1][0] == component:
            stack.pop()
        else:
            raise ParseError(f"END:{component} without a matching BEGIN", file=name, line=line)
    if stack:
        component, opened = stack[-1]
        raise ParseError(f"truncated: BEGIN:{component} is never closed", file=name,
                         line=opened)
    return out


def _as_calendars(components: Sequence[icalendar.Component]) -> list[icalendar.Calendar]:
    """Bare VEVENTs (as some tools export single events) are read as a calendar of their own,
    in input order, so that line numbers still follow `walk`."""
    out: list[icalendar.Calendar] = []
    wrapper: icalendar.Calendar | None = None
    for component in components:
        if isinstance(component, icalendar.Calendar):
            out.append(component)
            wrapper = None
            continue
        if wrapper is None:
            wrapper = icalendar.Calendar()
            out.append(wrapper)
        wrapper.add_component(component)
    return out


def _standardise(name: str, calendar: icalendar.Calendar) -> icalendar.Calendar:
    """Apply X-WR-TIMEZONE the way Google means it (UTC times are shown in that zone)."""
    if "X-WR-TIMEZONE" not in calendar:
        return calendar
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            standard: icalendar.Calendar = x_wr_timezone.to_standard(calendar)
    except Exception as exc:  # the library raises its own types for unknown zones
        raise ParseError(f"X-WR-TIMEZONE cannot be applied: {exc}", file=name) from exc
    return standard


def _first_line_of(message: str) -> str:
    return message.splitlines()[0] if message else "cannot be parsed"


def _locate_error(text: str) -> int | None:
    """Where a whole-file parse error is: only run on failure, so it may take a second pass."""
    depth = 0
    start = 0
    logical = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t"):
            logical += raw[1:]
            continue
        if logical and not _line_is_valid(logical, depth):
            return start
        depth += _depth_change(logical)
        if depth < 0:
            return start
        logical, start = raw, number
    if logical and not _line_is_valid(logical, depth):
        return start
    return None


def _depth_change(line: str) -> int:
    upper = line.upper()
    if upper.startswith("BEGIN:"):
        return 1
    if upper.startswith("END:"):
        return -1
    return 0


def _line_is_valid(line: str, depth: int) -> bool:
    try:
        Contentline(line).parts()
    except ValueError:
        return False
    return depth > 0 or line.upper().startswith(("BEGIN:", "END:"))


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def iana_name_for_tzid(tzid: str) -> str | None:
    """The IANA name a TZID stands for: itself, a Windows name, or a vendor-prefixed IANA name."""
    cleaned = tzid.strip().strip("/")
    if cleaned in _UTC_NAMES:
        return "UTC"
    if cleaned in _iana_names():
        return cleaned
    if cleaned in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[cleaned]
    parts = cleaned.split("/")
    for first in range(1, len(parts)):
        candidate = "/".join(parts[first:])
        if candidate in _iana_names():
            return candidate
    return None


def zone_of(tz: tzinfo) -> ZoneInfo | None:
    """The ZoneInfo a tzinfo stands for, or None when no IANA zone is known to match it."""
    return _zone_match(tz)[0]


def _zone_match(tz: tzinfo) -> tuple[ZoneInfo | None, bool]:
    """(zone, exact): a custom VTIMEZONE that only resembles an IANA zone is not exact."""
    if isinstance(tz, ZoneInfo):
        return (UTC if tz.key in _UTC_NAMES else tz), True
    if tz is timezone.utc or (isinstance(tz, timezone) and tz.utcoffset(None) == timedelta(0)):
        return UTC, True
    tzid = getattr(tz, "_tzid", None) or getattr(tz, "zone", None) or getattr(tz, "key", None)
    if isinstance(tzid, str):
        name = iana_name_for_tzid(tzid)
        if name is not None:
            return _zoneinfo(name), True
    if tz not in _MATCHES:
        _MATCHES[tz] = _equivalent_zone(tz)
    return _MATCHES[tz]


def _zoneinfo(name: str) -> ZoneInfo:
    return UTC if name == "UTC" else ZoneInfo(name)


_PROBES = tuple(datetime(year, month, 15, 12) for year in (2015, 2020, 2025) for month in
                (1, 4, 7, 10))
_DAILY = tuple(datetime(2008, 1, 1, 12) + timedelta(days=n) for n in range(23 * 366))
_CANDIDATES = ("Europe/London", "Europe/Berlin", "Europe/Helsinki", "Europe/Moscow",
               "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
               "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo",
               "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
               "Australia/Brisbane", "Pacific/Auckland", "Asia/Dubai", "Africa/Johannesburg")
_MATCHES: dict[tzinfo, tuple[ZoneInfo | None, bool]] = {}


def _equivalent_zone(tz: tzinfo) -> tuple[ZoneInfo | None, bool]:
    """A common IANA zone with the offsets of a custom VTIMEZONE: exact when they agree on
    every day of 2008–2030 (current rules), else the zone that agrees in recent years."""
    try:
        offsets = tuple(tz.utcoffset(p) for p in _PROBES)
    except Exception:  # a broken custom zone has no usable offsets at all
        return None, False
    resembling = [ZoneInfo(name) for name in _CANDIDATES
                  if tuple(ZoneInfo(name).utcoffset(p) for p in _PROBES) == offsets]
    if not resembling:
        return None, False
    daily = [tz.utcoffset(p) for p in _DAILY]
    for zone in resembling:
        if all(zone.utcoffset(p) == offset for p, offset in zip(_DAILY, daily, strict=True)):
            return zone, True
    return resembling[0], False


def resolve_zone(name: str) -> ZoneInfo:
    """The zone of a --tz value: IANA or Windows name; KeyError when there is none."""
    iana = iana_name_for_tzid(name)
    if iana is None:
        raise KeyError(name)
    try:
        return _zoneinfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyError(name) from exc


def zone_name(tz: ZoneInfo) -> str:
    return "UTC" if tz.key in _UTC_NAMES else tz.key


def prop(component: icalendar.Component, name: str) -> Any:
    """The property `name` (given in upper case), or None.

    icalendar keeps property names upper-cased (its CaselessDict), so the plain dict lookup
    finds what `Component.get` finds without case-folding the name and raising KeyError on
    every miss; the converter reads some twenty mostly absent properties per VEVENT.
    """
    return dict.get(component, name)


def normalise_event(event: icalendar.Component, floating: ZoneInfo) -> list[str]:
    """Rewrite the VEVENT's dates so each is a date, floating, or aware in a ZoneInfo.

    A TZID that nobody defines leaves icalendar with a naive time: it is read in `floating`
    (the --tz zone), as SPEC §2 says, and said so. A custom zone with no IANA equivalent is
    converted to UTC, which keeps every instant right.
    """
    notes: list[str] = []
    for name in DATE_PROPERTIES:
        value = prop(event, name)
        if value is None:
            continue
        for entry in value if isinstance(value, list) else [value]:
            for item in getattr(entry, "dts", None) or [entry]:
                _normalise_item(item, floating, notes)
    return notes


def _normalise_item(item: object, floating: ZoneInfo, notes: list[str]) -> None:
    dt = getattr(item, "dt", None)
    params = getattr(item, "params", None)
    if isinstance(dt, tuple):
        return
    if not isinstance(dt, datetime):
        return
    if dt.tzinfo is None:
        tzid = params.get("TZID") if params is not None else None
        if tzid:
            note = f"time zone {tzid!r} is not defined; read in {zone_name(floating)}"
            if note not in notes:
                notes.append(note)
            _set(item, dt.replace(tzinfo=floating))
        return
    if isinstance(dt.tzinfo, ZoneInfo) and dt.tzinfo.key not in _UTC_NAMES:
        return
    zone, exact = _zone_match(dt.tzinfo)
    if zone is not None and not exact:
        tzid = params.get("TZID") if params is not None else None
        note = (f"time zone {tzid!r} defined in the input differs from {zone.key} on some "
                f"dates; read as {zone.key}")
        if note not in notes:
            notes.append(note)
    if zone is None:
        note = "a custom time zone matches no IANA zone; its times are given in UTC"
        if note not in notes:
            notes.append(note)
        _set(item, dt.astimezone(UTC))
    elif zone is not dt.tzinfo:
        _set(item, dt.replace(tzinfo=zone))


def _set(item: object, dt: datetime) -> None:
    item.dt = dt  # type: ignore[attr-defined]
    params = getattr(item, "params", None)
    if params is not None:
        params.update_tzid_from(dt)


def as_aware(value: datetime, floating: ZoneInfo) -> datetime:
    return value.replace(tzinfo=floating) if value.tzinfo is None else value


def day_start(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)
