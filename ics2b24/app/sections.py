"""Calendar sections (`calendar.section.get/add/update`): the target a push writes into, and the
`ics2b24 section` commands.

Every write is decided from a fresh `calendar.section.get` of the calendar, so that a section id
that does not exist is named before anything is sent, and an update sends only what differs
(an unchanged `--section-from-ics` costs no write call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ics2b24.app.target import (
    CalendarType,
    Target,
    access_denied,
    calendar_name,
    no_access,
    require_section_writer,
)
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.rows import listed_rows
from ics2b24.errors import PortalError, UsageError
from ics2b24.ical.colors import to_hex
from ics2b24.ical.read import read_input
from ics2b24.ical.section import section_of
from ics2b24.model import Section

EXPORT_PERIODS = ("all", "3_9", "6_12")
"""`export.SET` as calendar.section.add/update document it: everything, 3 months back and 9
ahead, 6 back and 12 ahead."""


@dataclass(frozen=True)
class PortalSection:
    """One row of `calendar.section.get`, with the fields this tool reads or writes."""

    id: int
    name: str
    description: str
    color: str
    text_color: str
    export_allow: bool
    export_set: str | None
    cal_type: str
    owner_id: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PortalSection:
        export = row.get("EXPORT")
        export = export if isinstance(export, Mapping) else {}
        export_set = export.get("SET")
        return cls(
            id=int(row["ID"]),
            name=str(row.get("NAME") or ""),
            description=str(row.get("DESCRIPTION") or ""),
            color=str(row.get("COLOR") or ""),
            text_color=str(row.get("TEXT_COLOR") or ""),
            export_allow=_truthy(export.get("ALLOW", True)),
            export_set=str(export_set) if export_set else None,
            cal_type=str(row.get("CAL_TYPE") or ""),
            owner_id=int(row.get("OWNER_ID") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "color": self.color,
            "text_color": self.text_color,
            "export": {"ALLOW": self.export_allow, "SET": self.export_set},
            "type": self.cal_type,
            "owner": self.owner_id,
        }


@dataclass(frozen=True)
class SectionFields:
    """What a user asks a section to be; None leaves a field as the portal has it."""

    name: str | None = None
    description: str | None = None
    color: str | None = None
    text_color: str | None = None
    export_allow: bool | None = None
    export_set: str | None = None

    @classmethod
    def build(cls, *, name: str | None = None, description: str | None = None,
              color: str | None = None, text_color: str | None = None,
              export_allow: bool | None = None, export_set: str | None = None
              ) -> SectionFields:
        """Checked and normalised (colours to `#rrggbb`), so nothing invalid is ever sent."""
        if name is not None and not name.strip():
            raise UsageError("--name must not be empty")
        if export_set is not None and export_set not in EXPORT_PERIODS:
            raise UsageError(f"--export-period must be one of {', '.join(EXPORT_PERIODS)}")
        return cls(
            name=name.strip() if name is not None else None,
            description=description,
            color=_colour("--color", color),
            text_color=_colour("--text-color", text_color),
            export_allow=export_allow,
            export_set=export_set,
        )

    @classmethod
    def from_metadata(cls, meta: Section) -> SectionFields:
        """VCALENDAR metadata (already normalised by the converter) as fields to set."""
        return cls(name=meta.name, description=meta.description, color=to_hex(meta.color)
                   if meta.color else None)

    def over(self, base: SectionFields) -> SectionFields:
        """These fields where given, else `base`'s: explicit flags win over an .ics file."""
        return SectionFields(
            name=_pick(self.name, base.name),
            description=_pick(self.description, base.description),
            color=_pick(self.color, base.color),
            text_color=_pick(self.text_color, base.text_color),
            export_allow=_pick(self.export_allow, base.export_allow),
            export_set=_pick(self.export_set, base.export_set),
        )

    @property
    def empty(self) -> bool:
        return self == SectionFields()

    def add_params(self) -> dict[str, Any]:
        """calendar.section.add's optional parameters for the fields given."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.description is not None:
            out["description"] = self.description
        if self.color is not None:
            out["color"] = self.color
        if self.text_color is not None:
            out["text_color"] = self.text_color
        if self.export_allow is not None or self.export_set is not None:
            out["export"] = {
                "ALLOW": True if self.export_allow is None else self.export_allow,
                "SET": self.export_set or "all",
            }
        return out

    def changes(self, current: PortalSection) -> dict[str, Any]:
        """calendar.section.update's parameters for what differs from `current`. `export` is
        not among them: a real portal's SectionUpdate never reads it (see `update_refusals`)."""
        out: dict[str, Any] = {}
        if self.name is not None and self.name != current.name:
            out["name"] = self.name
        if self.description is not None and self.description != current.description:
            out["description"] = self.description
        if self.color is not None and self.color != _normal(current.color):
            out["color"] = self.color
        if self.text_color is not None and self.text_color != _normal(current.text_color):
            out["text_color"] = self.text_color
        return out

    def update_refusals(self) -> str | None:
        """Why calendar.section.update cannot do what these fields ask, if it cannot: a real
        portal ignores `export` there and an empty name or description (SectionUpdate in
        calendar_restservice.php changes those only when non-empty)."""
        if self.export_allow is not None or self.export_set is not None:
            return ("a Bitrix24 portal ignores --export/--no-export/--export-period when a "
                    "section is updated; set them with `section add`, or in the portal")
        if self.description == "":
            return ("a Bitrix24 portal ignores an empty --description when a section is "
                    "updated; clear it in the portal")
        return None


_SECTIONS = "a list of sections"


def calendar_params(cal_type: CalendarType, owner: int) -> dict[str, Any]:
    return {"type": cal_type, "ownerId": owner}


def new_section_params(cal_type: CalendarType, owner: int, fields: SectionFields) -> dict[str, Any]:
    """calendar.section.add's parameters for a new section of the calendar."""
    return {**calendar_params(cal_type, owner), **fields.add_params()}


LIST_SECTIONS = "calendar.section.get"
ADD_SECTION = "calendar.section.add"


def list_sections(client: Client, cal_type: CalendarType, owner: int) -> list[PortalSection]:
    """The calendar's sections, ordered by id."""
    return sections_in(client.call(LIST_SECTIONS, calendar_params(cal_type, owner)))


def sections_in(result: Any) -> list[PortalSection]:
    """calendar.section.get's answer as sections, ordered by id."""
    try:
        sections = [PortalSection.from_row(row)
                    for row in answers.rows(LIST_SECTIONS, result, _SECTIONS)]
    except (KeyError, TypeError, ValueError):
        raise answers.unexpected(LIST_SECTIONS, result, _SECTIONS) from None
    return sorted(sections, key=lambda s: s.id)


def find_section(sections: list[PortalSection], section_id: int, cal_type: CalendarType,
                 owner: int) -> PortalSection:
    for section in sections:
        if section.id == section_id:
            return section
    raise UsageError(f"section {section_id} does not exist in the {calendar_name(cal_type, owner)}")


def choose_section(sections: list[PortalSection], target: Target,
                   remembered: int | None = None) -> PortalSection | None:
    """The target's section among the calendar's, decided the same way for `plan`, `push` and
    `undo`: the id given (which must exist); for a name, the section a state DB remembers for
    it (wherever it was renamed since), else the one section of that name. None when no
    section has the name yet (`push` creates it). A name several sections carry is refused,
    and so is a missing name in the company calendar, where REST cannot add a section."""
    if target.section_id is not None:
        return find_section(sections, target.section_id, target.type, target.owner)
    found = next((s for s in sections if s.id == remembered), None)
    if found is not None:
        return found
    assert target.section_name is not None
    name = target.section_name.strip()
    named = [s for s in sections if s.name.strip() == name]
    if len(named) > 1:
        ids = ", ".join(str(s.id) for s in named)
        raise UsageError(f"{len(named)} sections are named {name!r} in the "
                         f"{calendar_name(target.type, target.owner)} (ids {ids}); "
                         "choose one with --section ID")
    if named:
        return named[0]
    if target.type == "company_calendar":
        raise UsageError(f"no section named {name!r} in the company calendar, and the portal "
                         "cannot add one there through REST: create it in Bitrix24 or give "
                         "--section ID")
    return None


@dataclass(frozen=True)
class Resolved:
    """The target's section, and whether this run created it (what `undo` may later delete)."""

    id: int
    created: bool


def resolve_section(client: Client, target: Target, *, create: Section | None = None,
                    remembered: int | None = None) -> Resolved:
    """The target's section as `choose_section` finds it, created in `user` and `group`
    calendars when no section has the name (with `create`'s description and colour).
    The company calendar's sections are only found, since the reference allows
    `calendar.section.add` for `user` and `group` alone."""
    found = choose_section(list_sections(client, target.type, target.owner), target,
                           remembered)
    if found is not None:
        return Resolved(found.id, created=False)
    assert target.section_name is not None
    fields = SectionFields.from_metadata(create) if create else SectionFields()
    return Resolved(add_section(client, target.type, target.owner,
                                SectionFields(name=target.section_name.strip(),
                                              description=fields.description,
                                              color=fields.color)), created=True)


def add_section(client: Client, cal_type: CalendarType, owner: int,
                fields: SectionFields) -> int:
    """calendar.section.add; refused here for the company calendar, before anything is sent."""
    if cal_type == "company_calendar":
        raise UsageError("sections cannot be added to the company calendar through REST "
                         "(calendar.section.add takes only user and group); create it in "
                         "Bitrix24")
    if not fields.name:
        raise UsageError("a new section needs a name (--name)")
    require_section_writer(client, cal_type, owner)
    try:
        answer = client.call(ADD_SECTION, new_section_params(cal_type, owner, fields))
    except PortalError as error:
        if access_denied(error):
            raise no_access(cal_type, owner, error) from None
        raise
    return answers.an_id(ADD_SECTION, answer, "the new section's id")


def events_in_section(client: Client, cal_type: CalendarType, owner: int,
                      section_id: int) -> int:
    """How many events a section holds (a series counts once), whoever wrote them: what
    deleting it deletes with it. Read from 1900 to 2038; a section that shows nothing there
    is read on to 9999 before it is called empty (one endless series started before 2038
    would fill that second read with rows, so it is made only when the first found none)."""
    ids: set[str] = set()
    for first, last in (("1900-01-01", "2038-01-01"), ("2038-01-01", "9999-12-31")):
        rows = listed_rows(client.call("calendar.event.get", {
            **calendar_params(cal_type, owner), "section": [section_id], "from": first,
            "to": last}))
        ids = {str(row.get("ID")) for row in rows}
        if ids:
            break
    return len(ids)


def delete_section(client: Client, cal_type: CalendarType, owner: int,
                   section_id: int) -> None:
    """`calendar.section.delete`: the section goes, and every event in it with it."""
    client.call("calendar.section.delete", {**calendar_params(cal_type, owner),
                                            "id": section_id})


def update_section(client: Client, cal_type: CalendarType, owner: int, section_id: int,
                   fields: SectionFields) -> dict[str, Any]:
    """Send calendar.section.update with what differs; the changed parameters ({} when the
    section already matches, and then nothing is sent)."""
    current = find_section(list_sections(client, cal_type, owner), section_id, cal_type, owner)
    changes = fields.changes(current)
    if changes:
        params = {**calendar_params(cal_type, owner), "id": section_id, **changes}
        client.call("calendar.section.update", params)
    return changes


def update_section_from_ics(client: Client, target: Target, section_id: int,
                            meta: Section) -> bool:
    """Name, describe and colour the section like the VCALENDAR (push --section-from-ics);
    True when an update was sent, False when the section already matched."""
    fields = SectionFields.from_metadata(meta)
    if fields.empty:
        return False
    return bool(update_section(client, target.type, target.owner, section_id, fields))


def metadata_of_ics(name: str, data: bytes) -> Section:
    """The first VCALENDAR's name, description and colour; UsageError when it has none."""
    for calendar in read_input(name, data).calendars:
        meta = section_of(calendar)
        if meta is not None:
            return meta
    raise UsageError(f"{name}: the calendar has no name, description or colour "
                     "(X-WR-CALNAME/NAME, X-WR-CALDESC/DESCRIPTION, "
                     "COLOR/X-APPLE-CALENDAR-COLOR)")


def table(sections: list[PortalSection]) -> list[str]:
    """Aligned columns for a terminal: id, name, colours, export, description."""
    head = ("ID", "NAME", "COLOR", "TEXT", "EXPORT", "DESCRIPTION")
    rows = [head] + [
        (str(s.id), s.name, s.color, s.text_color,
         f"{'yes' if s.export_allow else 'no'} ({s.export_set or 'all'})", s.description)
        for s in sections
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                   row[-1]]).rstrip()
        for row in rows
    ]


def _colour(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    hex_value = to_hex(value)
    if hex_value is None:
        raise UsageError(f"{option} {value!r} is not a colour: give #rrggbb, #rgb or a CSS "
                         "colour name")
    return hex_value


def _normal(colour: str) -> str | None:
    return to_hex(colour) if colour else None


def _pick(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("y", "1", "true")


