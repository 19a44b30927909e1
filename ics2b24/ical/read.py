"""Bytes → icalendar components, with every date in a zone the rest of the converter can name.

Producers disagree on almost everything below the RFC: BOMs, bare LF or CR, UTF-16 and
Windows-1252 exports, Google's X-WR-TIMEZONE, Outlook's Windows zone names and home-made
VTIMEZONEs. This module absorbs those differences once, so that downstream code only ever sees
`date`, naive (floating) `datetime`, or `datetime` aware in a `ZoneInfo` (UTC included). What is
broken beyond reading (a component never closed, a VTIMEZONE with a bad value) is skipped with
a warning naming its line, so one broken part never costs the rest of a calendar. The
pieces have their own homes: bytes → text in ical/decode.py, the BEGIN/END structure in
ical/structure.py, zone names in ical/tz.py.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone

from ics2b24.errors import ParseError
from ics2b24.ical.decode import decode
from ics2b24.ical.structure import Problem, Structure, broken_lines, plain_reason, reason, scan
from ics2b24.ical.tz import UTC, UTC_NAMES, zone_match, zone_name

DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


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
    warnings: list[str] = field(default_factory=list)
    """`file:line: what was wrong` for each part of the input read with a repair or skipped."""
    truncated: bool = False
    """The input ends inside a calendar (no END:VCALENDAR): a cut download or pipe, which
    may have lost any number of events after the last one read."""




def read_input(name: str, data: bytes, *, strict: bool = False) -> ReadInput:
    """Parse one input (one or more VCALENDARs) or raise ParseError naming file and line.

    What is broken is skipped with a warning naming its line (a component never closed or
    closed by a misspelled END, a stray END, a VTIMEZONE or a calendar-level line that cannot
    be read), so every good VEVENT still converts; `strict` refuses the input instead, and so
    does an input where nothing but broken parts is left.
    """
    text, encoding_note = decode(name, data, strict=strict)
    text = _from_first_line(_lf_lines(text))
    if not text.strip():
        raise ParseError("empty input, no calendar in it", file=name)
    structure = scan(text)
    problems = structure.problems
    if problems and strict:
        raise problems[0].error(name)
    if problems:
        text = structure.repaired(text)
    components = _parse(name, text, structure, strict)
    if not components:
        raise (problems[0].error(name) if problems
               else ParseError("not iCalendar data: no BEGIN:VCALENDAR", file=name))
    standardised = [_standardise(name, c, strict) for c in _as_calendars(components)]
    calendars = [calendar for calendar, _ in standardised]
    events = [e for c in calendars for e in c.walk("VEVENT") if isinstance(e, icalendar.Event)]
    if problems and not events:
        raise problems[0].error(name)
    warnings_ = [encoding_note] if encoding_note else []
    warnings_ += [note for _, note in standardised if note]
    warnings_ += [f"{name}:{p.line}: {p.reason}: {p.effect}" for p in problems]
    lines = structure.vevent_lines
    truncated = 0 in structure.closed_before
    if len(lines) != len(events):
        return ReadInput(calendars, [SourceEvent(e, name, None) for e in events], warnings_,
                         truncated)
    located = zip(events, lines, strict=True)
    return ReadInput(calendars, [SourceEvent(e, name, n) for e, n in located], warnings_,
                     truncated)


def _lf_lines(text: str) -> str:
    """Lines ended by LF alone: CRLF (the RFC's), LF, and the CR of old Mac exports are all
    read, and every line number below counts the lines an editor shows."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


_LEADING_SPACE = re.compile(r"\A\s+")


def _from_first_line(text: str) -> str:
    """The text with the blank lines before its first line emptied and that line's indent
    removed: a calendar pasted from a mail or a web page, or written by a script's heredoc,
    often starts so, and a line starting with a space would otherwise be read as the
    continuation of a line that is not there. Line numbers still count the file's lines."""
    lead = _LEADING_SPACE.match(text)
    if lead is None:
        return text
    return "\n" * lead.group().count("\n") + text[lead.end():]


_MAX_REPAIRS = 20
"""Lines or VTIMEZONEs one input may lose before it counts as unreadable: a file that is
mostly broken is better refused than converted with half of it missing."""


def _parse(name: str, text: str, structure: Structure,
           strict: bool) -> Sequence[icalendar.Component]:
    """icalendar's parse, skipping what it trips over: a component it does not forgive a bad
    value in (all but VEVENT: a VALARM, VTODO, VTIMEZONE…) or a calendar-level line.
    icalendar keeps the first VTIMEZONE it meets under a TZID for the whole process, so its
    zones are forgotten first: another input's VTIMEZONE of the same name (calendars define
    "US-Eastern" in several ways) must not decide this input's times."""
    icalendar.use_zoneinfo()
    checked = 0
    for _ in range(_MAX_REPAIRS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return icalendar.Calendar.from_ical(text, multiple=True)
        except (ValueError, AttributeError, TypeError) as exc:
            checked, problems = _culprits(text, structure.blocks, checked, exc)
            if strict or not problems:
                raise (problems[0].error(name) if problems else ParseError(
                    f"a line cannot be read ({reason(exc)})", file=name)) from exc
            structure.problems += problems
            text = _blank(text, problems)
    raise ParseError(f"more than {_MAX_REPAIRS} parts of it cannot be read", file=name)


def _culprits(text: str, blocks: list[tuple[str, int, int]], checked: int,
              exc: Exception) -> tuple[int, list[Problem]]:
    """What made the parse fail: the calendar-level lines icalendar cannot take, else the
    first component that fails on its own (icalendar builds VTIMEZONEs while parsing and trips
    over malformed ones, e.g. a property given twice becomes a list where it expects text)."""
    lines = [Problem(line, why, "line skipped") for line, why in broken_lines(text)]
    if lines:
        return checked, lines
    checked, block = _broken_block(text, blocks, checked)
    if block is None:
        return checked, []
    what, first, last = block
    return checked, [Problem(first, f"a {what} cannot be read ({reason(exc)})",
                              f"{what} skipped", last)]


def _broken_block(text: str, blocks: list[tuple[str, int, int]],
                  start: int) -> tuple[int, tuple[str, int, int] | None]:
    """The first component from `blocks[start]` on that icalendar cannot read on its own,
    and where to go on looking next time (the ones before it read)."""
    lines = text.split("\n") if len(blocks) > start else []
    for index in range(start, len(blocks)):
        _, first, last = blocks[index]
        block = "\n".join(["BEGIN:VCALENDAR", *lines[first - 1:last], "END:VCALENDAR"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                icalendar.Calendar.from_ical(block)
        except (ValueError, AttributeError, TypeError):
            return index + 1, blocks[index]
    return len(blocks), None


def _blank(text: str, problems: list[Problem]) -> str:
    """The text with each problem's lines emptied, so later line numbers still hold."""
    lines = text.split("\n")
    for problem in problems:
        for index in range(problem.line - 1, min(problem.last or problem.line, len(lines))):
            lines[index] = ""
    return "\n".join(lines)


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


def _standardise(name: str, calendar: icalendar.Calendar,
                 strict: bool) -> tuple[icalendar.Calendar, str | None]:
    """Apply X-WR-TIMEZONE the way Google means it (UTC times are shown in that zone); one
    that cannot be applied is left out with a note (its times keep their instants)."""
    if "X-WR-TIMEZONE" not in calendar:
        return calendar, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            standard: icalendar.Calendar = x_wr_timezone.to_standard(calendar)
    except Exception as exc:  # the library raises its own types for unknown zones
        zone = str(calendar.get("X-WR-TIMEZONE"))
        why = plain_reason(exc, "no known time zone, or a date it would move cannot be read")
        reason = f"X-WR-TIMEZONE {zone!r} cannot be applied ({why})"
        if strict:
            raise ParseError(reason, file=name) from exc
        return calendar, f"{name}: {reason}: its times are read as they are written"
    return standard, None


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
    (the --tz zone), as docs/convert-contract.md says, and said so. A custom zone with no IANA
    equivalent is converted to UTC, which keeps every instant right. A DTEND, EXDATE or RDATE
    without a zone beside a DTSTART with one is read in DTSTART's zone, as
    recurring-ical-events and khal read it (in --tz it would end hours before it starts).
    """
    notes: list[str] = []
    anchor: tzinfo | None = None
    for name in DATE_PROPERTIES:
        value = prop(event, name)
        if value is None:
            continue
        for entry in value if isinstance(value, list) else [value]:
            for item in getattr(entry, "dts", None) or [entry]:
                _normalise_item(item, floating, notes, anchor)
        if name == "DTSTART":
            anchor = _zone_of_start(value)
    return notes


def _zone_of_start(value: object) -> tzinfo | None:
    start = getattr(value, "dt", None)
    return start.tzinfo if isinstance(start, datetime) else None


def _normalise_item(item: object, floating: ZoneInfo, notes: list[str],
                    anchor: tzinfo | None) -> None:
    dt = getattr(item, "dt", None)
    params = getattr(item, "params", None)
    if isinstance(dt, tuple) and isinstance(item, icalendar.vDDDTypes):
        _set_period(item, tuple(_normalised(v, params, floating, notes, anchor) for v in dt))
    elif isinstance(dt, datetime):
        normalised = _normalised(dt, params, floating, notes, anchor)
        if normalised is not dt:
            _set(item, normalised)


def _normalised(dt: object, params: Any, floating: ZoneInfo, notes: list[str],
                anchor: tzinfo | None) -> Any:
    """One date-time (a period's start or end too) in a zone the converter can name."""
    if not isinstance(dt, datetime):
        return dt
    tzid = params.get("TZID") if params is not None else None
    if dt.tzinfo is None:
        if tzid:
            _note(notes, f"time zone {tzid!r} is not defined; read in {zone_name(floating)}")
            return dt.replace(tzinfo=floating)
        return dt if anchor is None else dt.replace(tzinfo=anchor)
    if isinstance(dt.tzinfo, ZoneInfo) and dt.tzinfo.key not in UTC_NAMES:
        return dt
    zone, exact = zone_match(dt.tzinfo)
    if zone is not None and not exact:
        _note(notes, f"time zone {tzid!r} defined in the input differs from {zone.key} on some "
                     f"dates; read as {zone.key}")
    if zone is None:
        _note(notes, "a custom time zone matches no IANA zone; its times are given in UTC")
        return dt.astimezone(UTC)
    return dt if zone is dt.tzinfo else dt.replace(tzinfo=zone)


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def _set_period(item: object, period: tuple[Any, ...]) -> None:
    item.dt = period  # type: ignore[attr-defined]
    params = getattr(item, "params", None)
    if params is not None and isinstance(period[0], datetime):
        params.update_tzid_from(period[0])


def _set(item: object, dt: datetime) -> None:
    item.dt = dt  # type: ignore[attr-defined]
    params = getattr(item, "params", None)
    if params is not None:
        params.update_tzid_from(dt)


def as_aware(value: datetime, floating: ZoneInfo) -> datetime:
    return value.replace(tzinfo=floating) if value.tzinfo is None else value


def day_start(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)
