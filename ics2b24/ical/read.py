"""Bytes → icalendar components, with every date in a zone the rest of the converter can name.

Producers disagree on almost everything below the RFC: BOMs, bare LF or CR, UTF-16 and
Windows-1252 exports, Google's X-WR-TIMEZONE, Outlook's Windows zone names and home-made
VTIMEZONEs. This module absorbs those differences once, so that downstream code only ever sees
`date`, naive (floating) `datetime`, or `datetime` aware in a `ZoneInfo` (UTC included). What is
broken beyond reading (a component never closed, a VTIMEZONE with a bad value) is skipped with
a warning naming its line, so one broken part never costs the rest of a calendar.
"""

from __future__ import annotations

import codecs
import importlib.resources
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar
import x_wr_timezone
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ics2b24.errors import ParseError

UTC = ZoneInfo("UTC")
DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"})
_BEGIN_END = re.compile(r"^(BEGIN|END):([^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


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


def decode(name: str, data: bytes, *, strict: bool = False) -> tuple[str, str | None]:
    """Text of one input and, when it is not all UTF-8, a note saying how it was read.

    UTF-16 exports (Windows Calendar) are recognised by their BOM or, without one, by their
    BEGIN lines. Old Outlook, Lotus and many web exports are Windows-1252 or Latin-1: bytes that
    are not UTF-8 are read as Windows-1252 (Latin-1 where it has no character), line by line
    unchanged where a file mixes them; `strict` refuses them instead.
    """
    utf16 = _utf16_codec(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), None
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-16 text", file=name) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = f"byte 0x{data[exc.start]:02x}"
        if strict:
            raise ParseError(f"invalid UTF-8 ({byte}); save the file as UTF-8 (without "
                             "--strict it is read as Windows-1252)", file=name,
                             line=line) from exc
    text = data.decode("utf-8", errors=_WINDOWS_1252)
    return text, (f"{name}:{line}: not UTF-8 ({byte}): read as Windows-1252 (Latin-1); save "
                  "the file as UTF-8 to be sure of its accented letters")


_WINDOWS_1252 = "ics2b24-windows-1252"


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes that are not UTF-8, as Windows-1252 (Latin-1 for the five
    bytes Windows-1252 leaves undefined)."""
    assert isinstance(error, UnicodeDecodeError)
    raw = error.object[error.start:error.end]
    return "".join(_byte_text(b) for b in raw), error.end


def _byte_text(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


codecs.register_error(_WINDOWS_1252, _as_windows_1252)


def _utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec of data with a BOM or, without one, of data holding a BEGIN line in
    UTF-16 on a code unit's boundary; None for anything else. Only the BEGIN line is sure to be
    ASCII: the text before and around it may be any language, so the share of NUL bytes at
    the start of a file tells nothing (UTF-8 and Windows-1252 text holds no NUL at all)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" not in data:
        return None
    upper = data.upper()
    return next((codec for codec, marker in _UTF16_BEGIN if _aligned(upper, marker)), None)


_UTF16_BEGIN = tuple((codec, "BEGIN:".encode(codec)) for codec in ("utf-16-le", "utf-16-be"))


def _aligned(data: bytes, marker: bytes) -> bool:
    """Whether `marker` occurs at an even offset, where a UTF-16 code unit starts."""
    at = data.find(marker)
    while at % 2 and at != -1:
        at = data.find(marker, at + 1)
    return at != -1


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
    structure = _scan(text)
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


def _parse(name: str, text: str, structure: _Structure,
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
                    f"a line cannot be read ({_reason(exc)})", file=name)) from exc
            structure.problems += problems
            text = _blank(text, problems)
    raise ParseError(f"more than {_MAX_REPAIRS} parts of it cannot be read", file=name)


def _culprits(text: str, blocks: list[tuple[str, int, int]], checked: int,
              exc: Exception) -> tuple[int, list[_Problem]]:
    """What made the parse fail: the calendar-level lines icalendar cannot take, else the
    first component that fails on its own (icalendar builds VTIMEZONEs while parsing and trips
    over malformed ones, e.g. a property given twice becomes a list where it expects text)."""
    lines = [_Problem(line, why, "line skipped") for line, why in _broken_lines(text)]
    if lines:
        return checked, lines
    checked, block = _broken_block(text, blocks, checked)
    if block is None:
        return checked, []
    what, first, last = block
    return checked, [_Problem(first, f"a {what} cannot be read ({_reason(exc)})",
                              f"{what} skipped", last)]


def _reason(exc: Exception) -> str:
    """icalendar's own sentence about a value; its Python errors mean a malformed property."""
    return plain_reason(exc, "a property is given twice or has the wrong kind of value")


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


def _blank(text: str, problems: list[_Problem]) -> str:
    """The text with each problem's lines emptied, so later line numbers still hold."""
    lines = text.split("\n")
    for problem in problems:
        for index in range(problem.line - 1, min(problem.last or problem.line, len(lines))):
            lines[index] = ""
    return "\n".join(lines)


@dataclass(frozen=True)
class _Problem:
    """A broken part of an input: where, what is wrong, and what reading it anyway did."""

    line: int
    reason: str
    effect: str
    last: int | None = None
    """The last line of a component skipped for a value in it."""

    def error(self, name: str) -> ParseError:
        return ParseError(self.reason, file=name, line=self.line)


_NOT_BLOCKS = frozenset({"VEVENT", "VCALENDAR", "STANDARD", "DAYLIGHT"})
_TOP_LEVEL = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE",
                        "VAVAILABILITY"})


@dataclass
class _Structure:
    """What one pass over the BEGIN/END lines found: each BEGIN:VEVENT's line in document
    order (the order of `walk`) and the other components' lines, and, where the nesting is broken
    (icalendar silently drops what a truncated file leaves open), the problems and the lines
    to skip or the END:VCALENDAR to add that repair it."""

    vevent_lines: list[int] = field(default_factory=list)
    blocks: list[tuple[str, int, int]] = field(default_factory=list)
    """(name, first line, last line) of each component icalendar fails on whole when one of
    its values is bad: every one but VEVENT (and a VTIMEZONE's own parts), inner ones first."""
    problems: list[_Problem] = field(default_factory=list)
    skipped: list[tuple[int, int]] = field(default_factory=list)
    closed_before: list[int] = field(default_factory=list)
    """Lines before which a VCALENDAR never closed gets its END:VCALENDAR (0: at the end)."""

    def repaired(self, text: str) -> str:
        lines = text.split("\n")
        for first, last in self.skipped:
            for index in range(first - 1, min(last, len(lines))):
                lines[index] = ""
        for line in sorted(self.closed_before, reverse=True):
            if line == 0:
                lines.append("END:VCALENDAR")
            else:
                lines[line - 1] = "END:VCALENDAR\n" + lines[line - 1]
        return "\n".join(lines)


def _scan(text: str) -> _Structure:
    """One pass over the BEGIN/END lines (the fast path does nothing else)."""
    found = _Structure()
    stack: list[tuple[str, int]] = []
    ended: tuple[int, int] | None = None  # (BEGIN, END) lines of the last VCALENDAR closed
    line, pos = 1, 0
    for match in _BEGIN_END.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        kind, component = match.group(1).upper(), match.group(2).upper()
        if kind == "BEGIN" and not stack and ended is not None and component != "VCALENDAR":
            _reopen(found, stack, ended)
        if component == "VCALENDAR":
            ended = None
        if kind == "BEGIN":
            if stack and (component in _TOP_LEVEL or component == "VCALENDAR") and (
                    stack[-1][0] != "VCALENDAR" or component == "VCALENDAR"):
                _never_closed(found, stack, line, component == "VCALENDAR")
            stack.append((component, line))
            if component == "VEVENT":
                found.vevent_lines.append(line)
        elif stack and stack[-1][0] == component:
            opened = _close(found, stack, line)
            if component == "VCALENDAR" and not stack:
                ended = (opened, line)
        elif _closes_an_outer(stack, component):
            _never_closed(found, stack, line, component == "VCALENDAR", until=component)
            _close(found, stack, line)
        elif stack and stack[-1][0] != "VCALENDAR":
            top, opened = stack.pop()
            _skip(found, opened, line, _Problem(
                opened, f"BEGIN:{top} ends with END:{component} (line {line})", f"{top} skipped"))
        else:
            found.problems.append(_Problem(line, f"END:{component} without a matching BEGIN",
                                           "line skipped"))
            found.skipped.append((line, line))
    if stack:
        _never_closed(found, stack, text.count("\n") + 2, True, at_end=True)
    return found


def _close(found: _Structure, stack: list[tuple[str, int]], line: int) -> int:
    """Pop the innermost component, ended at `line`; the line it began on."""
    component, opened = stack.pop()
    if component not in _NOT_BLOCKS:
        found.blocks.append((component, opened, line))
    return opened


def _reopen(found: _Structure, stack: list[tuple[str, int]], ended: tuple[int, int]) -> None:
    """A component after the end of the calendar: that END:VCALENDAR was stray, and what
    follows still belongs to the calendar (its time zone, its name)."""
    opened, line = ended
    found.problems.append(_Problem(line, "END:VCALENDAR before the end of the calendar",
                                   "line skipped"))
    found.skipped.append((line, line))
    stack.append(("VCALENDAR", opened))


def _closes_an_outer(stack: list[tuple[str, int]], component: str) -> bool:
    """Whether END:`component` closes a component below the innermost one (those above it
    were never closed); only END:VCALENDAR reaches past a VCALENDAR."""
    for name, _ in reversed(stack):
        if name == component:
            return True
        if name == "VCALENDAR":
            return False
    return False


def _never_closed(found: _Structure, stack: list[tuple[str, int]], line: int,
                  calendars_too: bool, *, until: str | None = None,
                  at_end: bool = False) -> None:
    """Skip the components still open at `line` (down to the VCALENDAR, or to `until`); a
    VCALENDAR never closed is closed there, keeping what it holds."""
    while stack and stack[-1][0] != until:
        component, opened = stack[-1]
        if component == "VCALENDAR":
            if not calendars_too:
                return
            stack.pop()
            found.problems.append(_Problem(
                opened, "BEGIN:VCALENDAR is never closed",
                "read up to " + ("the end of the input" if at_end else f"line {line}")))
            found.closed_before.append(0 if at_end else line)
            continue
        stack.pop()
        _skip(found, opened, line - 1, _Problem(opened, f"BEGIN:{component} is never closed",
                                                f"{component} skipped"))


def _skip(found: _Structure, first: int, last: int, problem: _Problem) -> None:
    found.problems.append(problem)
    found.skipped.append((first, last))
    found.vevent_lines = [n for n in found.vevent_lines if not first <= n <= last]


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


_PYTHON_INTERNALS = re.compile(
    r"unpack|instances of|object|int\(\)|float\(\)|argument|NoneType|attribute|index|"
    r"iterable|subscriptable|^'|^\d+$", re.IGNORECASE)


def plain_reason(exc: BaseException,
                 fallback: str = "a value in it cannot be read") -> str:
    """The first line of an exception when it is a sentence about the input (the libraries'
    own about a value, a rule or a zone), else `fallback`: Python's words about its internals
    ("not enough values to unpack", "'>' not supported between instances of …") tell a user
    nothing."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if detail.startswith(_NOT_A_CONTENT_LINE):
        quoted = detail[len(_NOT_A_CONTENT_LINE):].split(": ", 1)[0]
        return f"{quoted[:80]} is not a NAME:VALUE line"
    if not detail or not isinstance(exc, ValueError) or _PYTHON_INTERNALS.search(detail):
        return fallback
    return detail[:160]


_NOT_A_CONTENT_LINE = "Content line could not be parsed into parts: "


def _broken_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside every component but the VCALENDAR that icalendar cannot take, each
    with why: a property outside any component, not a content line, or a calendar property
    whose value cannot be read. Only run on failure, so it may take a second pass."""
    broken = []
    depth = 0
    start = 0
    logical = ""
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        if raw[:1] in (" ", "\t") and logical:
            logical += raw[1:]
            continue
        problem = _line_problem(logical, depth) if logical and depth <= 1 else None
        if problem is not None:
            broken.append((start, problem))
        depth = max(0, depth + _depth_change(logical))
        logical, start = raw, number
    return broken


def _depth_change(line: str) -> int:
    upper = line.upper()
    if upper.startswith("BEGIN:"):
        return 1
    if upper.startswith("END:"):
        return -1
    return 0


def _line_problem(line: str, depth: int) -> str | None:
    if line.upper().startswith(("BEGIN:", "END:")):
        return None
    if depth == 0:
        return "a line outside any component (is BEGIN:VCALENDAR missing?)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            icalendar.Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{line}\r\nEND:VCALENDAR\r\n")
    except (ValueError, AttributeError, TypeError) as exc:
        return f"a line cannot be read ({_reason(exc)})"
    return None


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
    """The zone's name as a portal keeps it (`portal_zone_name`)."""
    return "UTC" if tz.key in _UTC_NAMES else portal_zone_name(tz.key)


@cache
def _portal_names() -> frozenset[str]:
    """The names PHP's `timezone_identifiers_list()` answers on a current tzdata: the zones of
    zone.tab and UTC. A portal replaces any other name by its server's zone, keeping the wall
    clock (docs/test-portal.md, behaviour 21)."""
    table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    names = {line.split("\t")[2] for line in table.splitlines()
             if line and not line.startswith("#")}
    return frozenset(names | {"UTC"})


@lru_cache(maxsize=256)
def portal_zone_name(name: str) -> str:
    """A name the portal keeps for the zone `name`: itself when listed; else the listed zone
    whose tzdata is the same (`Asia/Calcutta` is `Asia/Kolkata`, `Europe/Kiev` is
    `Europe/Kyiv`); else a listed zone with the same offset on every day of 2008–2030
    (`Etc/GMT-2`); else the name itself, and `verify` shows what the portal made of it."""
    if name in _portal_names():
        return name
    listed = [other for other in _equivalents(name) if other in _portal_names()]
    return listed[0] if listed else name


def zone_instead(name: str, avoid: frozenset[str]) -> str | None:
    """Another name for the zone `name` when a portal replaced `name` and every name in
    `avoid` (its tzdata is older than ours: `Europe/Kyiv` was `Europe/Kiev` before 2022b):
    the first of its equivalents it has not replaced (`Europe/Athens`), or None."""
    return next((other for other in _equivalents(name)
                 if other != name and other not in avoid), None)


@lru_cache(maxsize=256)
def _equivalents(name: str) -> tuple[str, ...]:
    """The names with the rules of `name`, best first: listed zones of the same tzdata, listed
    zones with the same offset on every day of 2008–2030 (listed by older zone data too), then
    the other names of the same tzdata (links an older tzdata may list); in each, names of
    the same region first."""
    data = _tzdata(name)
    region = name.split("/")[0]

    def nearest(other: str) -> tuple[bool, str]:
        return other.split("/")[0] != region, other

    same = sorted((other for other in _iana_names()
                   if data is not None and other != name and _tzdata(other) == data),
                  key=nearest)
    out = [other for other in same if other in _portal_names()]
    zone = ZoneInfo(name)
    probes = tuple(zone.utcoffset(p) for p in _PROBES)
    daily = [zone.utcoffset(p) for p in _DAILY]
    for candidate in sorted(_portal_names() - {name, *out}, key=nearest):
        other = ZoneInfo(candidate)
        if tuple(other.utcoffset(p) for p in _PROBES) == probes and all(
                other.utcoffset(p) == offset for p, offset in zip(_DAILY, daily, strict=True)):
            out.append(candidate)
    return (*out, *(other for other in same if other not in _portal_names()))


@lru_cache(maxsize=1024)
def _tzdata(name: str) -> bytes | None:
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (OSError, ValueError):
        return None


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
    if isinstance(dt.tzinfo, ZoneInfo) and dt.tzinfo.key not in _UTC_NAMES:
        return dt
    zone, exact = _zone_match(dt.tzinfo)
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
