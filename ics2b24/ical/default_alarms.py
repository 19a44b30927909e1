"""A calendar's default alarms → the `defaultReminders` a Bitrix24 user could take over.

iCalendar has no calendar-wide default alarm. Apple marks the alarms it added from the
calendar's default with `X-APPLE-DEFAULT-ALARM:TRUE`, which says it exactly; other producers
leave only a guess, the alarms most events of a kind carry, and the result says which it is.
Timed and all-day events are read apart, as Bitrix24 keeps `withTime` and `fullDay` apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

from ics2b24.ical.alarms import reminders
from ics2b24.ical.fields import BrokenEvent, event_span, is_all_day
from ics2b24.model import Reminder

APPLE_FLAG = "X-APPLE-DEFAULT-ALARM"
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class DefaultAlarm:
    """Reminders for one kind of event, and a sentence saying where they come from."""

    reminders: tuple[Reminder, ...]
    source: str


@dataclass(frozen=True)
class DefaultAlarms:
    with_time: DefaultAlarm | None
    full_day: DefaultAlarm | None


def default_alarms(events: Iterable[icalendar.Component]) -> DefaultAlarms:
    """Apple's flagged alarms where there are any, else the most common set of alarms among
    the events of that kind that have alarms; None for a kind with no alarm at all.

    Each VEVENT counts once (a series is one event); overrides (RECURRENCE-ID) and VEVENTs
    without a readable start are left out.
    """
    timed: list[_Alarms] = []
    all_day: list[_Alarms] = []
    for event in events:
        if event.get("RECURRENCE-ID") is not None:
            continue
        found = _alarms_of(event)
        if found is not None:
            (all_day if found.all_day else timed).append(found)
    return DefaultAlarms(_choose(timed, "timed"), _choose(all_day, "all-day"))


@dataclass(frozen=True)
class _Alarms:
    all_day: bool
    flagged: tuple[Reminder, ...]
    every: tuple[Reminder, ...]


def _alarms_of(event: icalendar.Component) -> _Alarms | None:
    try:
        span = event_span(event)
    except BrokenEvent:
        return None
    flagged_only = icalendar.Event()
    flagged_only.subcomponents = [
        alarm for alarm in event.subcomponents
        if alarm.name == "VALARM" and str(alarm.get(APPLE_FLAG, "")).upper() == "TRUE"
    ]
    return _Alarms(
        all_day=is_all_day(span.start),
        flagged=reminders(flagged_only, span.start, span.end, _UTC).reminders,
        every=reminders(event, span.start, span.end, _UTC).reminders,
    )


def _choose(found: list[_Alarms], kind: str) -> DefaultAlarm | None:
    flagged = [f.flagged for f in found if f.flagged]
    if flagged:
        chosen, count = _most_common(flagged)
        return DefaultAlarm(chosen, f"Apple's default alarm ({APPLE_FLAG}) of {kind} events, "
                                    f"set on {count} of the {len(found)} {kind} events")
    with_alarms = [f.every for f in found if f.every]
    if not with_alarms:
        return None
    chosen, count = _most_common(with_alarms)
    return DefaultAlarm(chosen, f"the most common alarm of {kind} events, a guess: set on "
                                f"{count} of the {len(with_alarms)} {kind} events that have "
                                f"alarms ({len(found)} in all)")


def _most_common(sets: list[tuple[Reminder, ...]]) -> tuple[tuple[Reminder, ...], int]:
    """Ties go to the set seen first, so the same file always proposes the same thing."""
    counts = Counter(tuple(sorted(s, key=_minutes)) for s in sets)
    best = max(counts.values())
    chosen = next(k for k in counts if counts[k] == best)
    return chosen, best


def _minutes(reminder: Reminder) -> int:
    return reminder.count * {"min": 1, "hour": 60, "day": 1440}[reminder.type]
