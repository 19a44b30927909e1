"""Which generation of Bitrix24's calendar code a portal runs, found by trying it.

Two writes push makes depend on it (docs/test-portal.md, "Generations and zones"): a bounded
part goes out as an ISO `UNTIL` where the portal reads one and as `COUNT` where it does not,
and a moved occurrence goes out with `recurrence_mode=this` only where the portal honours it
(an older one rewrites the whole series). A portal's answers to ordinary reads do not say
which code it runs, so one batch request tries both in a scratch section of the target
calendar and deletes it again; the state DB keeps the result per portal, so this happens once.
"""

from __future__ import annotations

from typing import Any

from ics2b24.app.target import CalendarType, access_denied, may_add_section, no_access
from ics2b24.bitrix.client import Client
from ics2b24.errors import PortalError
from ics2b24.model import PortalTraits

PROBE = "ics2b24 probe"
"""How every name the probe writes begins."""
PROBE_SECTION = f"{PROBE} (safe to delete)"
_UNTIL = f"{PROBE}: until"
_SERIES = f"{PROBE}: series"
_MOVED = f"{PROBE}: moved"
_DAY = "2030-01-07"
"""A Monday far from anything a user looks at, in the probe's own section."""


def probe_traits(client: Client, cal_type: CalendarType, owner: int) -> PortalTraits:
    """One batch: a scratch section; in it a weekly series bounded by an ISO `UNTIL` a week
    after its start (two occurrences where the portal reads it, one a week until 2038 where
    it does not) and a daily series of three whose second occurrence is moved with
    `recurrence_mode=this` (an older portal moves the whole series instead); a read of the
    section; the section deleted with everything in it. In another user's calendar that the
    credentials may not add a section to, the probe runs in the caller's own: the calendar
    code is the portal's, whichever calendar shows it."""
    if not may_add_section(client, cal_type, owner):
        cal_type, owner = "user", client.user_id()
    calendar = {"type": cal_type, "ownerId": owner}
    section = "$result[section]"
    timed = {"timezone_from": "UTC", "timezone_to": "UTC", "skip_time": "N",
             "section": section, **calendar}
    answer = client.batch({
        "section": ("calendar.section.add", {**calendar, "name": PROBE_SECTION}),
        "until": ("calendar.event.add", {
            **timed, "name": _UNTIL, "from": f"{_DAY}T09:00:00", "to": f"{_DAY}T10:00:00",
            "rrule": {"FREQ": "WEEKLY", "INTERVAL": 1, "BYDAY": ["MO"],
                      "UNTIL": "2030-01-14"}}),
        "series": ("calendar.event.add", {
            **timed, "name": _SERIES, "from": "2030-01-08T09:00:00",
            "to": "2030-01-08T10:00:00", "rrule": {"FREQ": "DAILY", "INTERVAL": 1,
                                                  "COUNT": 3}}),
        "moved": ("calendar.event.update", {
            **timed, "id": "$result[series]", "name": _MOVED, "recurrence_mode": "this",
            "current_date_from": "2030-01-09", "from": "2030-01-09T15:00:00",
            "to": "2030-01-09T16:00:00"}),
        "read": ("calendar.event.get", {**calendar, "section": [section],
                                        "from": "2030-01-01", "to": "2030-03-31"}),
        "delete": ("calendar.section.delete", {**calendar, "id": section}),
    })
    if "section" in answer.errors and access_denied(answer.errors["section"]):
        raise no_access(cal_type, owner, answer.errors["section"])
    for key in ("section", "until", "series", "read"):
        if key in answer.errors:
            raise PortalError(answer.errors[key].error,
                              "could not find out which calendar code the portal runs: the "
                              f"probe's {key} step answered {answer.errors[key].description}")
    if "delete" in answer.errors:
        client.call("calendar.section.delete", {**calendar, "id": answer.results["section"]})
    rows = answer.results.get("read")
    return traits_shown(rows if isinstance(rows, list) else [])


def traits_shown(rows: list[Any]) -> PortalTraits:
    """What the probe's section shows says what the portal did: the UNTIL series once a week
    up to its UNTIL only, and the moved occurrence beside the series' other two."""
    names = [str(row.get("NAME")) for row in rows if isinstance(row, dict)]
    return PortalTraits(
        reads_iso_until=names.count(_UNTIL) == 2,
        honours_recurrence_mode=names.count(_SERIES) == 2 and names.count(_MOVED) == 1)
