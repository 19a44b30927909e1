"""The BEGIN/END structure of an input, checked line by line before icalendar parses it: a
component never closed, closed by a misspelled END or a stray END is found with its line, so
`read_input` (ical/read.py) can skip it with a warning and still read every good VEVENT.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import icalendar

from ics2b24.errors import ParseError

_BEGIN_END = re.compile(r"^(BEGIN|END):([^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


def reason(exc: Exception) -> str:
    """icalendar's own sentence about a value; its Python errors mean a malformed property."""
    return plain_reason(exc, "a property is given twice or has the wrong kind of value")


@dataclass(frozen=True)
class Problem:
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
class Structure:
    """What one pass over the BEGIN/END lines found: each BEGIN:VEVENT's line in document
    order (the order of `walk`) and the other components' lines, and, where the nesting is broken
    (icalendar silently drops what a truncated file leaves open), the problems and the lines
    to skip or the END:VCALENDAR to add that repair it."""

    vevent_lines: list[int] = field(default_factory=list)
    blocks: list[tuple[str, int, int]] = field(default_factory=list)
    """(name, first line, last line) of each component icalendar fails on whole when one of
    its values is bad: every one but VEVENT (and a VTIMEZONE's own parts), inner ones first."""
    problems: list[Problem] = field(default_factory=list)
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


def scan(text: str) -> Structure:
    """One pass over the BEGIN/END lines (the fast path does nothing else)."""
    found = Structure()
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
            _skip(found, opened, line, Problem(
                opened, f"BEGIN:{top} ends with END:{component} (line {line})", f"{top} skipped"))
        else:
            found.problems.append(Problem(line, f"END:{component} without a matching BEGIN",
                                           "line skipped"))
            found.skipped.append((line, line))
    if stack:
        _never_closed(found, stack, text.count("\n") + 2, True, at_end=True)
    return found


def _close(found: Structure, stack: list[tuple[str, int]], line: int) -> int:
    """Pop the innermost component, ended at `line`; the line it began on."""
    component, opened = stack.pop()
    if component not in _NOT_BLOCKS:
        found.blocks.append((component, opened, line))
    return opened


def _reopen(found: Structure, stack: list[tuple[str, int]], ended: tuple[int, int]) -> None:
    """A component after the end of the calendar: that END:VCALENDAR was stray, and what
    follows still belongs to the calendar (its time zone, its name)."""
    opened, line = ended
    found.problems.append(Problem(line, "END:VCALENDAR before the end of the calendar",
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


def _never_closed(found: Structure, stack: list[tuple[str, int]], line: int,
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
            found.problems.append(Problem(
                opened, "BEGIN:VCALENDAR is never closed",
                "read up to " + ("the end of the input" if at_end else f"line {line}")))
            found.closed_before.append(0 if at_end else line)
            continue
        stack.pop()
        _skip(found, opened, line - 1, Problem(opened, f"BEGIN:{component} is never closed",
                                                f"{component} skipped"))


def _skip(found: Structure, first: int, last: int, problem: Problem) -> None:
    found.problems.append(problem)
    found.skipped.append((first, last))
    found.vevent_lines = [n for n in found.vevent_lines if not first <= n <= last]


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


def broken_lines(text: str) -> list[tuple[int, str]]:
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
        return f"a line cannot be read ({reason(exc)})"
    return None
