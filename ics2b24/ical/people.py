"""ATTENDEE / ORGANIZER → portal users, and the people no portal user stands for.

Bitrix24 attendees are portal user ids, so a person only becomes an attendee through the
--user-map; everyone else is named in the description so the information is not lost.
A real portal invites the attendees of every meeting that has not ended, whatever
`meeting.notify` says, so mapped attendees become portal attendees only when the user asks
for it (`invite`); otherwise they too are named in the description.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import icalendar

from ics2b24.errors import ParseError
from ics2b24.ical.read import prop


@dataclass
class People:
    attendees: tuple[int, ...] = ()
    description_lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uninvited: int = 0
    """Portal users named in the description instead of invited."""


def parse_user_map(path: str, text: str) -> dict[str, int]:
    """`email,user_id` CSV (with that header) or JSON `{email: id}`, as the file at `path`
    holds it (app/conversion.py reads it); keys lower-cased."""
    if text.lstrip().startswith(("{", "[")):
        return parse_json_user_map(path, text)
    return parse_csv_user_map(path, text)


def parse_json_user_map(path: str, text: str) -> dict[str, int]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    if not isinstance(data, dict):
        shown = "an array" if isinstance(data, list) else type(data).__name__
        raise ParseError(f"expected a JSON object {{email: user_id}}, not {shown}", file=path)
    out = {}
    for email, user_id in data.items():
        out[_email_key(email)] = _user_id(user_id, path, None, email)
    return out


def parse_csv_user_map(path: str, text: str) -> dict[str, int]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["email", "user_id"]:
        raise ParseError("a CSV user map starts with the header email,user_id", file=path,
                         line=1)
    out = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise ParseError("expected email,user_id", file=path, line=number)
        out[_email_key(row[0])] = _user_id(row[1], path, number, row[0])
    return out


def organizer_address(event: icalendar.Component) -> str | None:
    """The ORGANIZER's address as the user map keys it (lower case, no `mailto:`)."""
    organizer = prop(event, "ORGANIZER")
    key = _email_key(str(organizer)) if organizer is not None else ""
    return key or None


def attendee_addresses(event: icalendar.Component) -> frozenset[str]:
    """Every ATTENDEE's address as the user map keys it."""
    return frozenset(key for key in (_email_key(str(a)) for a in
                                     _addresses(prop(event, "ATTENDEE"))) if key)


def _email_key(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.lower()


def _user_id(value: object, path: str, line: int | None, email: str) -> int:
    try:
        user_id = int(str(value).strip())
    except ValueError:
        user_id = 0
    if user_id <= 0:
        raise ParseError(f"user id for {email!r} must be a positive integer", file=path,
                         line=line)
    return user_id


def people(event: icalendar.Component, user_map: dict[str, int], no_attendees: bool,
           invite: bool) -> People:
    """Mapped attendees become the meeting when `invite`; everyone else, and an organizer,
    is named in the description."""
    if no_attendees:
        return People()
    attendees: list[int] = []
    named: list[str] = []
    unmapped: list[str] = []
    for address in _addresses(prop(event, "ATTENDEE")):
        user_id = user_map.get(_email_key(str(address)))
        if user_id is None:
            unmapped.append(_label(address))
            named.append(_label(address))
        elif user_id not in attendees:
            attendees.append(user_id)
            if not invite:
                named.append(_label(address))
    out = People(attendees=tuple(attendees) if invite else (),
                 uninvited=0 if invite else len(attendees))
    organizer = prop(event, "ORGANIZER")
    if organizer is not None and str(organizer).strip():
        out.description_lines.append(f"Organizer: {_label(organizer)}")
    if named:
        out.description_lines.append("Attendees: " + ", ".join(named))
    if unmapped:
        names = ", ".join(unmapped)
        out.warnings.append(f"no portal user for {names}: named in the description")
    return out


def _addresses(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _label(address: object) -> str:
    email = _email_key(str(address))
    params = getattr(address, "params", {})
    name = str(params.get("CN", "")).strip().strip('"')
    if name and email:
        return f"{name} <{email}>"
    return name or email
