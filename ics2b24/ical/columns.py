"""What a portal's event table can hold: NAME and LOCATION are `varchar(255)` columns that a
portal cuts without a word, and the reminders are serialized into another one - six or more do
not fit, and the event then has no reminders at all (docs/test-portal.md, behaviour 24). The
converter writes what fits and says what it left out, so the portal keeps exactly what push
sends and the next run has nothing to correct."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ics2b24.ical.fields import Details
from ics2b24.model import Reminder

TEXT_COLUMN = 255
MAX_REMINDERS = 5


@dataclass(frozen=True)
class Fitted:
    details: Details
    remind: tuple[Reminder, ...]
    warnings: list[str]


def fitted(details: Details, remind: tuple[Reminder, ...]) -> Fitted:
    """The name and location cut at 255 characters and the five reminders nearest the start,
    each cut named in a warning."""
    warnings: list[str] = []
    name, location = details.name, details.location
    if len(name) > TEXT_COLUMN:
        warnings.append(f"SUMMARY has {len(name)} characters; Bitrix24 keeps {TEXT_COLUMN}, "
                        "the rest is left out")
        name = name[:TEXT_COLUMN]
    if location is not None and len(location) > TEXT_COLUMN:
        warnings.append(f"LOCATION has {len(location)} characters; Bitrix24 keeps "
                        f"{TEXT_COLUMN}, the rest is left out")
        location = location[:TEXT_COLUMN]
    if len(remind) > MAX_REMINDERS:
        kept = tuple(sorted(remind, key=_seconds_before)[:MAX_REMINDERS])
        warnings.append(f"{len(remind)} reminders; Bitrix24 keeps none when there are more "
                        f"than {MAX_REMINDERS}, so the {MAX_REMINDERS} nearest the start are "
                        "written")
        remind = tuple(r for r in remind if r in kept)
    return Fitted(replace(details, name=name, location=location), remind, warnings)


def _seconds_before(reminder: Reminder) -> int:
    return reminder.count * {"min": 60, "hour": 3600, "day": 86400}.get(reminder.type, 0)
