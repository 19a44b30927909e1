"""What the converter reads (`ConvertOptions`), made from the user's choices
(ical/choices.py) once the zone of floating times is settled.

Values only: the --user-map file and the machine's zone are read by the app layer
(app/conversion.py) and handed to `ConvertOptions.build`, so that ical/ stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ics2b24.errors import UsageError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.tz import resolve_zone, zone_name

DEFAULT_HORIZON_DAYS = 2 * 365 + 1


@dataclass(frozen=True)
class FloatingZone:
    """Where the zone of floating times (DTSTART without TZID and without Z) came from, as
    `floating_zone` decides it."""

    source: str | None = None
    """Why they are read in `ConvertOptions.tz`, said in a warning; None: --tz named it."""
    refusal: str | None = None
    """Why nothing names their zone, when nothing does: a floating time is then refused."""

    @property
    def given(self) -> bool:
        return self.source is None and self.refusal is None


def floating_zone(tz: str | None, user_zone: str | None, *, portal: bool) -> FloatingZone:
    """The one rule for the zone of floating times, for convert, plan, push and verify alike
    (docs/convert.md, "Floating times"): the calendar's own X-WR-TIMEZONE (applied as it is read,
    `read_input`: it speaks for that calendar alone, where --tz speaks for every input, and
    it is how the reference, recurring-ical-events with x-wr-timezone, reads them); else
    `--tz`; else the portal user's zone; else none, and a floating time is refused rather
    than read in a zone that `convert` and `push` could guess differently."""
    if tz is not None:
        return FloatingZone()
    if user_zone is not None and _known_zone(user_zone):
        return FloatingZone(source="the portal user's zone")
    return FloatingZone(refusal="the portal does not tell its user's zone" if portal else
                        "convert knows no portal; plan and push would take the portal "
                        "user's zone")


def _known_zone(name: str) -> bool:
    try:
        resolve_zone(name)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class ConvertOptions:
    tz: ZoneInfo
    """The zone of floating times (`floating`), and of TZIDs no one defines."""
    tz_name: str
    horizon_end: date
    since: date | None
    max_occurrences: int
    user_map: dict[str, int]
    no_attendees: bool
    strict: bool
    invite_attendees: bool = False
    invite_organizer: str | None = None
    """See `ConvertChoices.invite_organizer`."""
    moves_detached: bool = True
    """False for a portal that ignores `recurrence_mode` (ical/recurrence/)."""
    floating: FloatingZone = field(default_factory=FloatingZone)

    @classmethod
    def build(cls, choices: ConvertChoices, *, system_zone: str,
              read_map: Mapping[str, int] | None = None, user_zone: str | None = None,
              portal: bool = False) -> ConvertOptions:
        """The options for `choices` and, for a run against a `portal`, its user's zone:
        resolves the zone (`floating_zone`); without a zone for floating times, TZIDs no one
        defines are read in `system_zone`, the machine's. `read_map` is what the
        `choices.user_map` file holds."""
        if choices.no_attendees and choices.invite_attendees:
            raise UsageError("--no-attendees and --invite-attendees contradict each other: "
                             "leave people out, or invite them, not both")
        floating = floating_zone(choices.tz, user_zone, portal=portal)
        if choices.tz is not None:
            name = choices.tz
        elif floating.source is not None and user_zone is not None:
            name = user_zone
        else:
            name = system_zone
        try:
            zone = resolve_zone(name)
        except KeyError:
            raise UsageError(f"--tz {name}: unknown time zone (use an IANA name such as "
                             "Europe/Berlin)") from None
        return cls(
            tz=zone,
            tz_name=zone_name(zone),
            horizon_end=(_as_date(choices.horizon_end)
                         or date.today() + timedelta(DEFAULT_HORIZON_DAYS)),
            since=_as_date(choices.since),
            max_occurrences=choices.max_occurrences,
            user_map={**(read_map or {}), **choices.mapped},
            no_attendees=choices.no_attendees,
            strict=choices.strict,
            invite_attendees=choices.invite_attendees,
            invite_organizer=choices.invite_organizer,
            floating=floating,
        )


def _as_date(value: date | None) -> date | None:
    """A date given as a date-time (a click option, a TOML date-time) is its date."""
    return value.date() if isinstance(value, datetime) else value
