"""`calendar.user.settings.*`: the documented keys, their defaults and their checks.

`set` replaces the whole object (SPEC §8): keys left out go back to their defaults, so a client
that wants to change one key must read, merge and send all. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ics2b24.portal.dates import zone

VIEWS = ("day", "week", "month", "list")
YES_NO_KEYS = ("collapseOffHours", "showWeekNumbers", "showTasks", "syncTasks",
               "showCompletedTasks")
BOOLEAN_KEYS = ("showDeclined", "denyBusyInvitation")
REMINDER_TYPES = ("min", "hour", "day")
_SECTION_KEY = re.compile(r"^(user|group)\d+$")


class SettingsError(ValueError):
    """A value outside what the reference documents for `key`."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f'Invalid value for the "{key}" parameter')


def defaults(default_section: int | None) -> dict[str, Any]:
    section = str(default_section) if default_section is not None else ""
    return {
        "view": "month",
        "meetSection": section,
        "crmSection": section,
        "showDeclined": False,
        "denyBusyInvitation": False,
        "collapseOffHours": "Y",
        "showWeekNumbers": "N",
        "showTasks": "Y",
        "syncTasks": "N",
        "showCompletedTasks": "N",
        "lastUsedSection": "false",
        "sendFromEmail": "",
        "defaultSections": {},
        "syncPeriodPast": "3",
        "syncPeriodFuture": "12",
        "defaultReminders": {
            "fullDay": [{"type": "min", "count": 15}],
            "withTime": [{"type": "min", "count": 15}],
        },
    }


def validated(given: Mapping[str, Any], default_section: int | None) -> dict[str, Any]:
    """The full settings object a `set` stores: defaults overlaid with the checked values.

    Unknown keys are dropped, as the portal ignores them. Raises SettingsError.
    """
    out = defaults(default_section)
    for key, value in given.items():
        if key not in out:
            continue
        out[key] = _check(key, value)
    return out


def shown(stored: Mapping[str, Any], time_zone: str) -> dict[str, Any]:
    """What `get` answers: the stored object plus the user's zone and work hours."""
    offset = datetime.now(zone(time_zone)).utcoffset()
    return {
        **stored,
        "timezoneName": time_zone,
        "timezoneOffsetUTC": int(offset.total_seconds()) if offset else 0,
        "timezoneDefaultName": "",
        "work_time_start": "9.00",
        "work_time_end": "19.00",
    }


def _check(key: str, value: Any) -> Any:
    if key == "view":
        if value not in VIEWS:
            raise SettingsError(key)
        return value
    if key in YES_NO_KEYS:
        if value not in ("Y", "N"):
            raise SettingsError(key)
        return value
    if key in BOOLEAN_KEYS:
        return _boolean(key, value)
    if key in ("meetSection", "crmSection", "syncPeriodPast", "syncPeriodFuture"):
        return _digits(key, value)
    if key == "lastUsedSection":
        if value in (False, "false", "", None):
            return "false"
        return _digits(key, value)
    if key == "sendFromEmail":
        if not isinstance(value, str) or (value and "@" not in value):
            raise SettingsError(key)
        return value
    if key == "defaultSections":
        return _default_sections(value)
    return _default_reminders(value)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("Y", "true", "1", 1):
        return True
    if value in ("N", "false", "0", 0, ""):
        return False
    raise SettingsError(key)


def _digits(key: str, value: Any) -> str:
    text = ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
    if not text.isdigit():
        raise SettingsError(key)
    return text


def _default_sections(value: Any) -> dict[str, str]:
    if value in ("", None):
        return {}
    if not isinstance(value, Mapping):
        raise SettingsError("defaultSections")
    out: dict[str, str] = {}
    for name, section in value.items():
        if not _SECTION_KEY.match(str(name)):
            raise SettingsError("defaultSections")
        out[str(name)] = _digits("defaultSections", section)
    return out


def _default_reminders(value: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(value, Mapping) or set(value) - {"fullDay", "withTime"}:
        raise SettingsError("defaultReminders")
    out: dict[str, list[dict[str, Any]]] = {"fullDay": [], "withTime": []}
    for name in out:
        entries = value.get(name) or []
        if isinstance(entries, Mapping):
            entries = list(entries.values())
        if not isinstance(entries, list):
            raise SettingsError("defaultReminders")
        for entry in entries:
            out[name].append(reminder(entry, "defaultReminders"))
    return out


def reminder(entry: Any, key: str) -> dict[str, Any]:
    """One `{type, count}` reminder; SettingsError(key) when it is not one."""
    if not isinstance(entry, Mapping) or entry.get("type") not in REMINDER_TYPES:
        raise SettingsError(key)
    count = entry.get("count")
    if isinstance(count, bool):
        raise SettingsError(key)
    try:
        number = int(str(count).strip())
    except ValueError:
        raise SettingsError(key) from None
    if number < 0:
        raise SettingsError(key)
    return {"type": entry["type"], "count": number}
