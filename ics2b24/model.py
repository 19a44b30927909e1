"""The data every part shares: what the parser says must exist in the portal.

`EventParams` mirrors the `calendar.event.add` parameters (less `type`, `ownerId`, `section`)
so that the converter's output, the diff engine's comparison and the pusher's payload are one
structure, and `to_params()` with `PLAIN_FIELDS` (the table of plain fields it, the portal-row
reader, the diff's comparison and its clearing all go through) are the only places that spell
the wire names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

ReminderUnit = Literal["min", "hour", "day"]
Freq = Literal["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
Kind = Literal["single", "series", "override", "occurrence"]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RECURRENCE_ID_UTC = "%Y-%m-%dT%H:%M:%SZ"


DEFAULT_MAX_OCCURRENCES = 10_000
"""The cap on occurrence lines of one UID unless `--max-occurrences` (or a pair) says."""


def format_recurrence_id(value: date | datetime) -> str:
    """A `recurrence_id` (docs/convert-contract.md): `YYYY-MM-DD` for all-day, else the UTC instant
    `YYYY-MM-DDTHH:MM:SSZ` of an aware date-time. Written here and read back by
    `parse_recurrence_id` only, so the converter, the diff engine and the pusher share one
    format."""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        raise ValueError("a timed recurrence id needs a time zone")
    return value.astimezone(UTC).strftime(_RECURRENCE_ID_UTC)


def parse_recurrence_id(text: str) -> date | datetime:
    """The original start a `recurrence_id` names: a date, or an aware UTC date-time.
    ValueError for any other text (a state DB or a hand-made line may hold anything)."""
    if "T" not in text:
        return date.fromisoformat(text)
    return datetime.strptime(text, _RECURRENCE_ID_UTC).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Reminder:
    type: ReminderUnit
    count: int

    def to_params(self) -> dict[str, Any]:
        return {"type": self.type, "count": self.count}


@dataclass(frozen=True)
class Rrule:
    """The subset of RFC 5545 that a Bitrix24 `rrule` object can hold (docs/convert-contract.md,
    "The recurrence model")."""

    freq: Freq
    interval: int = 1
    count: int | None = None
    until: date | None = None
    byday: tuple[str, ...] = ()

    def to_params(self, traits: PortalTraits | None = None) -> dict[str, Any]:
        """The `rrule` as sent to a portal with these traits (the current generation when
        None). A bounded part carries both its COUNT and its last day (`until`): the current
        generation gets UNTIL, since it estimates where a COUNT series ends and drops what
        lies beyond (docs/test-portal.md, behaviours 17 and 18); an older one gets COUNT,
        since it reads UNTIL in its display format and makes an ISO date endless (4). A rule
        known only by its last day (as a portal shows one) has no form for an older portal."""
        reads_until = (traits or CURRENT_PORTAL).reads_iso_until
        out: dict[str, Any] = {"FREQ": self.freq, "INTERVAL": self.interval}
        if self.until is not None and (reads_until or self.count is None):
            if not reads_until:
                raise ValueError("a rule bounded by a date must be sent with COUNT")
            out["UNTIL"] = self.until.isoformat()
        elif self.count is not None:
            out["COUNT"] = self.count
        if self.byday:
            out["BYDAY"] = list(self.byday)
        return out


@dataclass(frozen=True)
class PortalTraits:
    """What a portal's calendar code does with the two things whose handling changed between
    generations (docs/test-portal.md, "Generations and zones"): an ISO `UNTIL` (older code
    reads UNTIL in its display format, so an ISO date never ends) and `recurrence_mode`
    (older code ignores it and rewrites the whole series). `app/traits.py` finds them out
    once per portal."""

    reads_iso_until: bool = True
    honours_recurrence_mode: bool = True

    @property
    def generation(self) -> str:
        """How the traits are named to a user."""
        if self.reads_iso_until and self.honours_recurrence_mode:
            return "current (generation 2 or 3)"
        if not (self.reads_iso_until or self.honours_recurrence_mode):
            return "older self-hosted (generation 1)"
        return "between generations 1 and 2"


CURRENT_PORTAL = PortalTraits()


@dataclass(frozen=True)
class Meeting:
    """Defaults keep a migration from sending an invitation storm."""

    notify: bool = False
    reinvite: bool = False
    allow_invite: bool = False
    hide_guests: bool = False

    def to_params(self) -> dict[str, Any]:
        return {
            "notify": self.notify,
            "reinvite": self.reinvite,
            "allow_invite": self.allow_invite,
            "hide_guests": self.hide_guests,
        }


FieldKind = Literal["text", "choice", "flag", "reminders"]


@dataclass(frozen=True)
class PlainField:
    """One plain field of `EventParams`: a value sent as it is, with no bearing on dates or
    rules. Its `kind` says how it is sent (`wire_value`), read back from a portal row
    (bitrix/rows.py, under the wire name in capitals), compared (`normal`) and cleared
    (`empty`), so a new Bitrix24 field is a row of `PLAIN_FIELDS` and an `EventParams`
    attribute of the same name. `shape` makes two texts comparable; `cleared` says an update
    must send the field empty when the input drops it (an update that leaves a key out keeps
    the old value); `listed` is false for the field a `calendar.event.get` row leaves out."""

    name: str
    wire: str
    kind: FieldKind
    shape: Callable[[str], str] = str.strip
    cleared: bool = False
    listed: bool = True

    def wire_value(self, value: Any) -> Any:
        """The value as `to_params` sends it; None leaves the key out."""
        if self.kind == "flag":
            return "Y" if value else "N"
        if self.kind == "reminders":
            return [r.to_params() for r in value] or None
        if self.kind == "text":
            return value or None
        return value

    def normal(self, value: Any) -> Any:
        """The value as both sides can hold it: empty text is no text, reminders a set."""
        if self.kind == "text":
            return self.shape(value or "") or None
        if self.kind == "reminders":
            return tuple(sorted(set(value), key=lambda r: (r.type, r.count)))
        return value

    @property
    def empty(self) -> Any:
        """What an update sends to clear the field."""
        return [] if self.kind == "reminders" else ""


PLAIN_FIELDS = (
    PlainField("description", "description", "text", cleared=True, listed=False),
    PlainField("location", "location", "text", cleared=True),
    PlainField("color", "color", "text", shape=str.lower),
    PlainField("remind", "remind", "reminders", cleared=True),
    PlainField("accessibility", "accessibility", "choice"),
    PlainField("importance", "importance", "choice"),
    PlainField("private_event", "private_event", "flag"),
)
"""In the order `to_params` writes them (the order of `convert`'s output)."""


@dataclass(frozen=True)
class EventParams:
    """`date_from`/`date_to` are wall-clock `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` with
    `skip_time` (then `date_to` is the last day, inclusive)."""

    name: str
    date_from: str
    date_to: str
    skip_time: bool = False
    timezone_from: str | None = None
    timezone_to: str | None = None
    description: str | None = None
    location: str | None = None
    color: str | None = None
    remind: tuple[Reminder, ...] = ()
    accessibility: str = "busy"
    importance: str = "normal"
    private_event: bool = False
    rrule: Rrule | None = None
    is_meeting: bool = False
    attendees: tuple[int, ...] = ()
    meeting: Meeting | None = None

    def to_params(self, traits: PortalTraits | None = None) -> dict[str, Any]:
        """The JSON-ready parameters, keys without value left out (docs/convert-contract.md),
        in the form a portal with these traits shows exactly (the current generation when
        None)."""
        out: dict[str, Any] = {"name": self.name, "from": self.date_from, "to": self.date_to}
        if not self.skip_time:
            if self.timezone_from:
                out["timezone_from"] = self.timezone_from
            if self.timezone_to:
                out["timezone_to"] = self.timezone_to
        out["skip_time"] = "Y" if self.skip_time else "N"
        for plain in PLAIN_FIELDS:
            value = plain.wire_value(getattr(self, plain.name))
            if value is not None:
                out[plain.wire] = value
        if self.rrule is not None:
            out["rrule"] = self.rrule.to_params(traits)
        if self.is_meeting:
            out["is_meeting"] = "Y"
            out["attendees"] = list(self.attendees)
            out["meeting"] = (self.meeting or Meeting()).to_params()
        return out

    def to_call(self, traits: PortalTraits | None = None) -> dict[str, Any]:
        """The parameters push sends: `to_params` with all-day dates at midday. A portal reads
        an all-day value in its server's zone and moves it by the calling user's offset from
        the server before it keeps the date, so a bare date lands a day early for every user
        west of the server; midday keeps its day for any offset under twelve hours
        (docs/convert-contract.md, "What push sends")."""
        out = self.to_params(traits)
        if self.skip_time:
            out["from"], out["to"] = f"{self.date_from}T12:00:00", f"{self.date_to}T12:00:00"
        return out


@dataclass
class DesiredEvent:
    """One line of `ics2b24 convert`: one Bitrix24 event that must exist.

    `recurrence_id` is `YYYY-MM-DD` (all-day) or UTC `YYYY-MM-DDTHH:MM:SSZ` for overrides and
    occurrences; `source` is `file:line` of the VEVENT, for messages and the reject file;
    `ical` is the VEVENT's text, kept so refused events can be written back out.
    """

    uid: str
    recurrence_id: str | None
    kind: Kind
    params: EventParams
    exdate: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str | None = field(default=None, compare=False)
    ical: str | None = field(default=None, compare=False, repr=False)
    categories: tuple[str, ...] = field(default=(), compare=False)
    """The VEVENT's CATEGORIES, for a pair's filter (plan/filters.py); never sent."""

    @property
    def key(self) -> tuple[str, str]:
        """Sort and pairing key: (uid, recurrence_id) with null first."""
        return (self.uid, self.recurrence_id or "")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uid": self.uid,
            "recurrence_id": self.recurrence_id,
            "kind": self.kind,
        }
        out["params"] = self.params.to_params()
        out["exdate"] = list(self.exdate)
        out["warnings"] = list(self.warnings)
        return out


@dataclass
class Section:
    """Calendar metadata from VCALENDAR (X-WR-CALNAME, X-WR-CALDESC, COLOR...)."""

    name: str | None = None
    description: str | None = None
    color: str | None = None
