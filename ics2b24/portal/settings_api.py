"""`calendar.user.settings.get/set` and `calendar.settings.get`: the handlers over the store,
apart from `user_settings.py`, which keeps the settings' keys and merge rules as pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ics2b24.portal import user_settings
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.store import Store, User


class SettingsMethods:
    """The settings methods over one `Store`: a user's calendar settings, stored per user, and
    the portal's fixed calendar settings."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_user_settings(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        stored = self.store.settings(user.id) or user_settings.defaults(self._personal(user))
        return user_settings.shown(stored, user.time_zone)

    def set_user_settings(self, user: User, p: Mapping[str, Any]) -> bool:
        if "settings" not in p or p["settings"] is None:
            raise MethodError("", 'The required parameter "settings" for the method '
                                  '"calendar.user.settings.set" is not set')
        defaults = user_settings.defaults(self._personal(user))
        stored = self.store.settings(user.id) or defaults
        self.store.put_settings(user.id, user_settings.merged(stored, p["settings"], defaults))
        return True

    def _personal(self, user: User) -> int | None:
        sections = self.store.sections("user", user.id)
        return int(sections[0]["id"]) if sections else None

    def get_settings(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "work_time_start": "9",
            "work_time_end": "19",
            "year_holidays": "1.01,25.12",
            "year_workdays": "",
            "week_holidays": ["SA", "SU"],
            "week_start": "MO",
            "user_name_template": "#NAME# #LAST_NAME#",
            "sync_by_push": False,
            "user_show_login": True,
            "path_to_user": "/company/personal/user/#user_id#/",
            "path_to_user_calendar": "/company/personal/user/#user_id#/calendar/",
            "path_to_group": "/workgroups/group/#group_id#/",
            "path_to_group_calendar": "/workgroups/group/#group_id#/calendar/",
            "path_to_vr": "",
            "path_to_rm": "",
            "rm_iblock_type": "",
            "rm_iblock_id": "",
            "dep_manager_sub": True,
            "denied_superpose_types": [],
            "pathes_for_sites": "",
            "forum_id": "8",
            "rm_for_sites": True,
            "path_to_type_company_calendar": "",
            "path_to_type_location": "",
            "path_to_type_open_event": "",
        }
