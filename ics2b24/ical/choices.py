"""What the user chose for a conversion (`ConvertChoices`: push's flags, a pair's keys in
app/pairs.py), as one typed value from the command line to the converter, before any portal
is known; app/conversion.py makes the converter's options of it (ical/options.py).

Apart from ical/options.py, which needs the zone tables, so that the command line can hold
the value without loading the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ics2b24.model import DEFAULT_MAX_OCCURRENCES

CHOICE_FLAGS = ("tz", "horizon_end", "since", "max_occurrences", "user_map", "no_attendees",
                "invite_attendees", "strict")
"""The choices a user states, each as `push` spells its flag (underscores for dashes) and a
pair its key; the other fields of `ConvertChoices` are set by a company migration."""


@dataclass(frozen=True)
class ConvertChoices:
    """How the user wants an input converted; every default of a convert flag or pair key
    is the default here."""

    tz: str | None = None
    horizon_end: date | None = None
    since: date | None = None
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES
    user_map: str | None = None
    """The --user-map file, read where the options are built (app/conversion.py)."""
    no_attendees: bool = False
    invite_attendees: bool = False
    strict: bool = False
    mapped: Mapping[str, int] = field(default_factory=dict)
    """Addresses mapped to portal users besides the file (a company migration's people:
    app/company.py); they win over the file's."""
    invite_organizer: str | None = None
    """With `invite_attendees`: only meetings this address organizes invite (a company
    migration writes each meeting once, from its organizer's calendar: plan/company.py)."""
