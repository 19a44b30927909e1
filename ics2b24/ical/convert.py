"""The converter: inputs → the Bitrix24 events that must exist (docs/convert-contract.md).

Pure (the options arrive as values: ical/options.py), so the sync part can call
`convert_inputs` the same way the `convert` command does.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import icalendar

from ics2b24.errors import ParseError, UsageError
from ics2b24.ical.alarms import reminders
from ics2b24.ical.columns import fitted
from ics2b24.ical.fields import (
    BrokenEvent,
    Details,
    Span,
    categories,
    date_params,
    details,
    event_span,
    is_cancelled,
    seconds_note,
    write_span,
)
from ics2b24.ical.identity import (
    excludes,
    recurrence_id_of,
    recurrence_id_text,
    same_instant,
    sequence_of,
    uid_of,
)
from ics2b24.ical.options import ConvertOptions
from ics2b24.ical.people import organizer_address, people
from ics2b24.ical.read import SourceEvent, as_aware, day_start, normalise_event, read_input
from ics2b24.ical.recurrence import (
    OccurrencesPlan,
    RecurrenceContext,
    SeriesPlan,
    UnreadableRecurrence,
    drop_rules_ending_before_start,
    plan_recurrence,
    recurrence_key,
)
from ics2b24.ical.section import section_of
from ics2b24.model import (
    DesiredEvent,
    EventParams,
    Kind,
    Meeting,
    Reminder,
    Rrule,
    Section,
)

_CRITICAL = frozenset({"DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "RRULE", "RDATE",
                       "EXDATE"})


@dataclass
class ConvertResult:
    events: list[DesiredEvent] = field(default_factory=list)
    cancelled: list[tuple[str, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    section: Section = field(default_factory=Section)
    uninvited: int = 0
    """Attendees with a portal user named in descriptions instead (no --invite-attendees)."""
    truncated: list[str] = field(default_factory=list)
    """The inputs that end inside a calendar (ical/read.py, `ReadInput.truncated`)."""
    since: date | None = None
    """`--since`: what ends before it was left out of `events`."""
    floating_at: str | None = None
    """Where the first floating time of the input is (`file:line: UID …`)."""


LAST_HOLDABLE = date(9999, 12, 30)
"""The last day an event may start or end on: a day inside year 9999, so that a server's
zone east of UTC does not take it out of the range (a portal failed on 9999-12-31 with an
overflow inside `calendar.event.get`, and no event of the section could be read). Year 1 is
held (tests/cli/test_no_traceback.py)."""


def _holdable(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return day <= LAST_HOLDABLE


@dataclass
class _Group:
    """The VEVENTs that share one UID, in input order."""

    masters: list[SourceEvent] = field(default_factory=list)
    overrides: list[SourceEvent] = field(default_factory=list)


@dataclass
class _Static:
    """What every line made from one component shares; computed once per component."""

    details: Details
    remind: tuple[Reminder, ...]
    attendees: tuple[int, ...]
    warnings: list[str]


def convert_inputs(inputs: list[tuple[str, bytes]], options: ConvertOptions) -> ConvertResult:
    result = ConvertResult(since=options.since)
    section: Section | None = None
    groups: dict[str, _Group] = {}
    for name, data in inputs:
        read = read_input(name, data, strict=options.strict)
        result.warnings += read.warnings
        if read.truncated:
            result.truncated.append(name)
        for calendar in read.calendars:
            section = section or section_of(calendar)
        for source in read.events:
            group = groups.setdefault(uid_of(source.component, groups), _Group())
            target = group.overrides if "RECURRENCE-ID" in source.component else group.masters
            target.append(source)
    if section is not None:
        result.section = section
    with _parsed_input_frozen():
        for uid, group in groups.items():
            _UidConverter(uid, options, result).convert(group)
    _say_floating(result, options)
    result.events.sort(key=lambda event: event.key)
    result.cancelled.sort(key=lambda item: (item[0], item[1] or ""))
    if result.uninvited:
        result.warnings.append(
            f"{result.uninvited} attendee(s) with a portal user are named in the events' "
            "descriptions, not invited: add --invite-attendees to make them meeting "
            "participants (a real portal then invites those of meetings that have not ended)")
    return result


def _say_floating(result: ConvertResult, options: ConvertOptions) -> None:
    """Name the zone floating times were taken in when no flag named it, or refuse them
    when nothing does."""
    at, rule = result.floating_at, options.floating
    if at is None or rule.given:
        return
    if rule.refusal is not None:
        raise UsageError(f"{at}: a time without a zone (floating), and nothing names the zone "
                         f"it is in ({rule.refusal}): give --tz ZONE")
    result.warnings.append(f"{at}: floating times (without a zone) taken in {options.tz_name} "
                           f"({rule.source}; --tz ZONE sets another)")


@contextlib.contextmanager
def _parsed_input_frozen() -> Iterator[None]:
    """Keep the cyclic GC from walking the parsed input again while it is converted.

    The parsed components are millions of long-lived objects that conversion only reads; the
    lines it builds would otherwise set off a full collection over all of them (a quarter of
    the conversion's time at 50k events). Undone on the way out; a caller's own freeze is
    left alone.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()




class _UidConverter:
    """All lines of one UID, with the warnings that belong to it."""

    def __init__(self, uid: str, options: ConvertOptions, result: ConvertResult) -> None:
        self.uid = uid
        self.options = options
        self.result = result
        self.statics: dict[int, _Static] = {}
        self.where: dict[int, str] = {}
        self.seen_warnings: set[str] = set()
        self.notes: dict[int, list[str]] = {}
        self.backwards: set[int] = set()
        """Changed occurrences whose end is before their start: they get their series' length."""

    def convert(self, group: _Group) -> None:
        masters = [s for s in group.masters if self._usable(s)]
        overrides = [s for s in group.overrides if self._usable(s)]
        master = self._latest_version(masters)
        overrides = self._latest_overrides(overrides)
        for override in overrides:
            if id(override.component) in self.backwards:
                self._end_like_the_series(override.component, master)
        if master is not None and is_cancelled(master.component):
            self.result.cancelled.append((self.uid, None))
            return
        if master is not None:
            for note in drop_rules_ending_before_start(master.component):
                self._warn(master.component, note)
        if master is not None and _is_recurring(master.component):
            self._recurring(master, overrides)
            return
        if master is not None:
            overrides = self._single(master, overrides)
        for override in overrides:
            self._orphan_override(override)

    def _usable(self, source: SourceEvent) -> bool:
        """Readable enough to convert; otherwise skipped and said, or fatal with --strict."""
        component = source.component
        self.where[id(component)] = source.where
        reason = self._unreadable(component)
        if reason is None:
            return True
        message = f"VEVENT skipped: {reason}"
        if self.options.strict:
            raise ParseError(f"UID {self.uid}: {message}", file=source.file, line=source.line)
        self._report(source.where, message)
        return False

    def _unreadable(self, component: icalendar.Component) -> str | None:
        """Why the VEVENT cannot be converted; None once its dates are read and settled."""
        broken = sorted({name for name, _ in component.errors if name in _CRITICAL})
        if broken:
            return f"{', '.join(broken)} cannot be read"
        try:
            notes = normalise_event(component, self.options.tz)
            span = event_span(component)
            if "RECURRENCE-ID" in component:
                recurrence_id_of(component)
        except BrokenEvent as exc:
            return str(exc)
        except (ValueError, OverflowError):
            return "a date is out of the range a calendar can hold"
        if not all(_holdable(value) for value in (span.start, span.end)):
            return "a date is out of the range a calendar can hold"
        lost = sorted({name or "a line" for name, _ in component.errors})
        if lost:
            self._warn(component, f"{', '.join(lost)} could not be read and was left out")
        for note in notes:
            self._warn(component, note)
        if self.result.floating_at is None and _is_floating(span.start):
            self.result.floating_at = f"{self.where[id(component)]}: UID {self.uid}"
        self._settle(component, span)
        return None

    def _settle(self, component: icalendar.Component, span: Span) -> None:
        """Write the end as read back into the VEVENT, so the recurrence expansion reads it
        too; an end before the start of a changed occurrence waits for its series' length."""
        if span.backwards and "RECURRENCE-ID" in component:
            self.backwards.add(id(component))
            return
        if span.backwards:
            self._warn(component, "its end is before its start: it ends at its start")
        if span.settled:
            write_span(component, span)

    def _end_like_the_series(self, component: icalendar.Component,
                             master: SourceEvent | None) -> None:
        start = event_span(component).start
        if master is None:
            self._warn(component, "its end is before its start: it ends at its start")
            write_span(component, Span(start, start))
            return
        length = event_span(master.component).length
        self._warn(component, "its end is before its start: it lasts as long as its series")
        write_span(component, Span(start, start + length))

    def _latest_version(self, sources: list[SourceEvent]) -> SourceEvent | None:
        """The version of an event that counts: the highest SEQUENCE, then the first in the
        input. This is how recurring-ical-events picks both a series and each changed
        occurrence, so the converter writes what the reference (recurring-ical-events) reads."""
        if not sources:
            return None
        winner = max(sources, key=sequence_of)
        if len(sources) > 1:
            sequence = sequence_of(winner)
            which = "no SEQUENCE" if sequence < 0 else f"SEQUENCE {sequence}"
            self._warn(winner.component, f"{len(sources)} versions of this event; the one at "
                       f"{winner.where} ({which}) is used")
        return winner

    def _latest_overrides(self, sources: list[SourceEvent]) -> list[SourceEvent]:
        """One version per changed occurrence, RECURRENCE-IDs matched as the reference does."""
        by_id: dict[datetime, list[SourceEvent]] = {}
        for source in sources:
            key = recurrence_key(recurrence_id_of(source.component))
            by_id.setdefault(key, []).append(source)
        out = []
        for versions in by_id.values():
            latest = self._latest_version(versions)
            if latest is not None:
                out.append(latest)
        return out

    def _recurring(self, master: SourceEvent, overrides: list[SourceEvent]) -> None:
        ctx = RecurrenceContext(floating_zone=self.options.tz,
                                horizon_end=self.options.horizon_end,
                                max_occurrences=self.options.max_occurrences,
                                since=self.options.since,
                                moves_detached=self.options.moves_detached)
        try:
            plan = plan_recurrence(master.component, [o.component for o in overrides], ctx)
        except UnreadableRecurrence as exc:
            message = f"VEVENT skipped: {exc}"
            if self.options.strict:
                raise ParseError(f"UID {self.uid}: {message}", file=master.file,
                                 line=master.line) from exc
            self._report(master.where, message)
            return
        if plan is None:
            return
        for note in plan.warnings:
            self._warn(master.component, note)
        for rid in plan.cancelled:
            self.result.cancelled.append((self.uid, self._rid_text(rid)))
        if plan.writes_nothing:
            # Every occurrence skipped or cancelled: as a cancelled event, it must not exist.
            self.result.cancelled.append((self.uid, None))
            return
        if isinstance(plan, SeriesPlan):
            self._series(plan)
        else:
            self._occurrences(plan)

    def _series(self, plan: SeriesPlan) -> None:
        """Consecutive COUNT-bounded parts, none generating a skipped day."""
        for part in plan.parts:
            rid = None if part.recurrence_id is None else self._rid_text(part.recurrence_id)
            self._emit("series", rid, part.component, part.start, part.end, rrule=part.rrule)
        for override in plan.overrides:
            self._emit("override", self._rid_text(override.recurrence_id), override.component,
                       override.start, override.end)
        for override in plan.standalone:
            self._emit("occurrence", self._rid_text(override.recurrence_id),
                       override.component, override.start, override.end)

    def _occurrences(self, plan: OccurrencesPlan) -> None:
        for instance in plan.instances:
            self._emit("occurrence", self._rid_text(instance.recurrence_id), instance.component,
                       instance.start, instance.end)

    def _single(self, master: SourceEvent, overrides: list[SourceEvent]) -> list[SourceEvent]:
        """A non-recurring event; an override of its only occurrence takes its place, and an
        EXDATE on its start removes it (as recurring-ical-events reads it)."""
        span = event_span(master.component)
        if excludes(master.component, span.start):
            self.result.cancelled.append((self.uid, None))
            return [o for o in overrides
                    if not same_instant(recurrence_id_of(o.component), span.start,
                                         self.options.tz)]
        rest = []
        replacement = master
        for override in overrides:
            if same_instant(recurrence_id_of(override.component), span.start, self.options.tz):
                replacement = override
            else:
                rest.append(override)
        if is_cancelled(replacement.component):
            self.result.cancelled.append((self.uid, None))
        else:
            span = event_span(replacement.component)
            if not self._ends_before_since(span.end):
                self._emit("single", None, replacement.component, span.start, span.end)
        return rest

    def _orphan_override(self, source: SourceEvent) -> None:
        """A RECURRENCE-ID without its series: written as that one occurrence."""
        rid = self._rid_text(recurrence_id_of(source.component))
        if is_cancelled(source.component):
            self.result.cancelled.append((self.uid, rid))
            return
        span = event_span(source.component)
        if not self._ends_before_since(span.end):
            self._emit("occurrence", rid, source.component, span.start, span.end)

    def _ends_before_since(self, end: date | datetime) -> bool:
        since = self.options.since
        if since is None:
            return False
        if not isinstance(end, datetime):
            return end <= since
        return as_aware(end, self.options.tz) <= day_start(since, end.tzinfo or self.options.tz)

    def _emit(self, kind: Kind, rid: str | None, component: icalendar.Component,
              start: date | datetime, end: date | datetime, *,
              rrule: Rrule | None = None) -> None:
        static = self._static(component)
        dates = date_params(start, end, self.options.tz)
        params = EventParams(
            # Each of `Details`' fields is the `EventParams` field of the same name.
            **asdict(static.details), date_from=dates.date_from, date_to=dates.date_to,
            skip_time=dates.skip_time, timezone_from=dates.timezone_from,
            timezone_to=dates.timezone_to, remind=static.remind, rrule=rrule,
            is_meeting=bool(static.attendees), attendees=static.attendees,
            meeting=Meeting() if static.attendees else None,
        )
        self.result.events.append(DesiredEvent(
            uid=self.uid, recurrence_id=rid, kind=kind, params=params, exdate=[],
            warnings=list(static.warnings), source=self.where.get(id(component)),
            categories=categories(component),
        ))

    def _invites(self, component: icalendar.Component) -> bool:
        organizer = self.options.invite_organizer
        return self.options.invite_attendees and (
            organizer is None or organizer_address(component) == organizer)

    def _static(self, component: icalendar.Component) -> _Static:
        cached = self.statics.get(id(component))
        if cached is not None:
            return cached
        span = event_span(component)
        who = people(component, self.options.user_map, self.options.no_attendees,
                     self._invites(component))
        self.result.uninvited += who.uninvited
        alarms = reminders(component, span.start, span.end, self.options.tz)
        fit = fitted(details(component, who.description_lines), alarms.reminders)
        timing = seconds_note(span.start, span.end)
        for note in who.warnings + alarms.warnings + fit.warnings + ([timing] if timing else []):
            self._warn(component, note)
        static = _Static(fit.details, fit.remind, who.attendees,
                         self.notes.setdefault(id(component), []))
        self.statics[id(component)] = static
        return static

    def _warn(self, component: icalendar.Component, note: str) -> None:
        """A warning that rides on the component's lines and in the run's summary."""
        notes = self.notes.setdefault(id(component), [])
        if note not in notes:
            notes.append(note)
        self._report(self.where.get(id(component), "<input>"), note)

    def _report(self, where: str, note: str) -> None:
        line = f"{where}: UID {self.uid}: {note}"
        if line not in self.seen_warnings:
            self.seen_warnings.add(line)
            self.result.warnings.append(line)

    def _rid_text(self, value: date | datetime) -> str:
        return recurrence_id_text(value, self.options.tz)


def _is_floating(start: date | datetime) -> bool:
    return isinstance(start, datetime) and start.tzinfo is None


def _is_recurring(event: icalendar.Component) -> bool:
    return "RRULE" in event or "RDATE" in event

