"""`calendar.section.*`: the four section methods, apart from events because a section's rules
(who may add one, what `update` takes and ignores, which texts a refusal carries) share nothing
with an event's beyond access and parameter reading.

Each method checks its parameters in the reference's order and answers with its own page's
error texts; where the portal's PHP source differs, it follows CCalendarRestService
(calendar_restservice.php), as the docstrings below say.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from typing import Any

from ics2b24.portal.access import can_edit, may_add_section
from ics2b24.portal.params import as_int, bitrix_color, check_strings
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.render import render_section
from ics2b24.portal.store import Store, User
from ics2b24.portal.wire import php_bool

SECTION_COLOR = "#E6A469"
SECTION_TEXT_COLOR = "#000000"
EXPORT_SETS = ("all", "3_9", "6_12")


class SectionMethods:
    """calendar.section.get/add/update/delete over one `Store`."""

    def __init__(self, store: Store, profile: Profile) -> None:
        self.store = store
        self.profile = profile

    def get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        method = "calendar.section.get"
        text = 'The required parameter "{name}" for the method "{method}" is not set'
        cal_type, owner = self._calendar(user, p, method, text)
        editable = can_edit(user, cal_type, owner)
        return [render_section(s, viewer=user, editable=editable)
                for s in self.store.sections(cal_type, owner)]

    def add(self, user: User, p: Mapping[str, Any]) -> int:
        method = "calendar.section.add"
        text = 'The required parameter "{name}" for the method "{method}" is not set.'
        cal_type, owner = self._calendar(user, p, method, text)
        check_strings(p, name_required=True, invalid='Invalid value for the "{name}" parameter')
        if not may_add_section(user, cal_type, owner, current=self.profile.current):
            raise MethodError("", "Access denied")
        now = _time.time()
        data = {
            "name": p["name"].strip(),
            "description": str(p.get("description") or "").strip(),
            "color": (bitrix_color(p["color"], SECTION_COLOR) if p.get("color") is not None
                      else SECTION_COLOR),
            "text_color": (bitrix_color(p["text_color"], SECTION_TEXT_COLOR)
                           if p.get("text_color") is not None else SECTION_TEXT_COLOR),
            "export": _export(p.get("export")),
            "created_by": user.id,
            "created": now,
            "modified": now,
        }
        return self.store.add_section(cal_type, owner, data)

    def update(self, user: User, p: Mapping[str, Any]) -> int:
        method = "calendar.section.update"
        text = 'The required parameter "{name}" for the method "{method}" is not set'
        cal_type, owner = self._calendar(user, p, method, text)
        section_id = as_int(p.get("id"))
        if not section_id or section_id <= 0:
            raise MethodError("", "Section ID is not set")
        check_strings(p, name_required=False, invalid='Invalid value for the "{name}" parameter')
        with self.store.transaction():
            section = self._own(user, section_id, cal_type, owner, "Access denied")
            # CCalendarRestService::SectionUpdate (modules/calendar/classes/general/
            # calendar_restservice.php): name and description only when non-empty after trim,
            # colours through CCalendar::Color with its default (an unreadable colour becomes
            # #9dcf00), and `export` is not read at all (only SectionAdd reads it).
            if isinstance(p.get("name"), str) and p["name"].strip():
                section["name"] = p["name"].strip()
            if isinstance(p.get("description"), str) and p["description"].strip():
                section["description"] = p["description"].strip()
            for key in ("color", "text_color"):
                if p.get(key) is not None:
                    section[key] = bitrix_color(p[key])
            section["modified"] = _time.time()
            self.store.put_section(section)
        return section_id

    def delete(self, user: User, p: Mapping[str, Any]) -> bool:
        method = "calendar.section.delete"
        text = 'The required parameter "{name}" for the method "{method}" is not set.'
        cal_type, owner = self._calendar(user, p, method, text)
        section_id = as_int(p.get("id"))
        if not section_id or section_id <= 0:
            raise MethodError("", "Section ID is not set.")
        with self.store.transaction():
            self._own(user, section_id, cal_type, owner, "Access denied.")
            self.store.delete_section(section_id)
        return True

    def _calendar(self, user: User, p: Mapping[str, Any], method: str,
                  text: str) -> tuple[str, int]:
        """`type` and `ownerId` as the section methods read them: `ownerId` may be left out
        for a user calendar, meaning the caller's own."""
        if p.get("type") is None:
            raise MethodError("", text.format(name="type", method=method))
        cal_type = str(p["type"])
        if p.get("ownerId") is not None:
            return cal_type, as_int(p["ownerId"]) or 0
        if cal_type == "user":
            return cal_type, user.id
        raise MethodError("", text.format(name="ownerId", method=method))

    def _own(self, user: User, section_id: int, cal_type: str, owner: int,
             denied: str) -> dict[str, Any]:
        section = self.store.section(section_id)
        if (section is None or section["cal_type"] != cal_type or section["owner_id"] != owner
                or not can_edit(user, cal_type, owner)):
            raise MethodError("", denied)
        return section


def _export(value: Any) -> dict[str, Any]:
    """EXPORT of a new section: CCalendarRestService::SectionAdd takes it only when both ALLOW
    and SET are set, ALLOW through PHP's (bool), SET as given."""
    if isinstance(value, Mapping) and value.get("ALLOW") is not None \
            and value.get("SET") is not None:
        return {"ALLOW": php_bool(value["ALLOW"]), "SET": value["SET"]}
    return {"ALLOW": True, "SET": "all"}
