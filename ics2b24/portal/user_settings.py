"""`calendar.user.settings.*`: the documented keys, their defaults, and what `set` does with them.

`set` follows Bitrix\\Calendar\\UserSettings::set (modules/calendar/lib/usersettings.php): the
given keys are merged into the stored settings, keys the portal does not know are dropped, and
nothing is validated. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ics2b24.portal.dates import zone
from ics2b24.portal.wire import php_bool

EXTRA_KEYS = ("CalendarSelCont", "SPCalendarSelCont")
"""Keys UserSettings knows beyond those `get` shows by default."""
BOOLEAN_KEYS = ("showDeclined", "denyBusyInvitation")
"""Keys UserSettings::get casts with `!!` when they are set."""


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


def merged(stored: Mapping[str, Any], given: Any, default: Mapping[str, Any]) -> dict[str, Any]:
    """What a `set` stores, after UserSettings::set: `false` resets to the defaults, anything
    else that is not an array changes nothing, and each known key of an array replaces the
    stored value as given (no check of type or range)."""
    if given is False:
        return dict(default)
    out = dict(stored)
    if not isinstance(given, Mapping):
        return out
    for key, value in given.items():
        if key in default or key in EXTRA_KEYS:
            out[key] = value
    return out


def shown(stored: Mapping[str, Any], time_zone: str) -> dict[str, Any]:
    """What `get` answers: the stored object plus the user's zone and work hours
    (UserSettings::get casts showDeclined and denyBusyInvitation with `!!`)."""
    offset = datetime.now(zone(time_zone)).utcoffset()
    out = dict(stored)
    for key in BOOLEAN_KEYS:
        if key in out:
            out[key] = php_bool(out[key])
    return {
        **out,
        "timezoneName": time_zone,
        "timezoneOffsetUTC": int(offset.total_seconds()) if offset else 0,
        "timezoneDefaultName": "",
        "work_time_start": "9.00",
        "work_time_end": "19.00",
    }
