"""One event as its owner sees it on the test portal, window by window: the proof, used by the
corpus tests and `bench/generations.py`, that a form `push` writes is shown exactly by a
generation's own expansion in every view a user or `calendar.event.get` opens.

A current portal expands a series from an estimate of the occurrence nearest the window's
start (docs/test-portal.md, behaviour 18), so one wide window is not enough: the views are one
window from before the series to the portal's last day, the month grid (Monday before the
1st, six weeks) of each of the series' first 24 months, and then of every fifth month up to
the portal's end of endless series.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.profile import Profile
from ics2b24.portal.store import Store, User
from ics2b24.portal.stored_rule import MAX_DATE

Window = tuple[date, date]
FIRST_MONTHS = 24
LATER_STEP = 5


def views(first: date, years: int | None = None) -> list[Window]:
    """The windows the proof opens for a series whose first occurrence is on `first`: month
    grids up to the portal's last day, or for `years` years (the test suite's shorter look)."""
    out: list[Window] = [(first - timedelta(days=7), MAX_DATE - timedelta(days=1))]
    month, index = date(first.year, first.month, 1), 0
    last = MAX_DATE if years is None else min(MAX_DATE, date(first.year + years, 1, 1))
    while month < last:
        if index < FIRST_MONTHS or index % LATER_STEP == 0:
            grid = month - timedelta(days=month.weekday())
            out.append((grid, grid + timedelta(days=41)))
        month, index = (month + timedelta(days=32)).replace(day=1), index + 1
    return out


class Viewer:
    """An in-process test portal of one generation with one user, server and user in one
    zone (so only the expansion differs between generations)."""

    def __init__(self, generation: int, zone: str) -> None:
        store = Store()
        store.seed({"users": [{"id": 1, "admin": True, "time_zone": zone}]})
        self.api = CalendarApi(store, profile=Profile(generation=generation, server_zone=zone))
        user = store.user(1)
        assert user is not None
        self.user: User = user

    def shown(self, params: dict[str, Any], windows: list[Window]) -> list[list[str]]:
        """The start of each occurrence the event `params` shows in each window, sorted."""
        event_id = self._call("calendar.event.add", {"type": "user", "ownerId": 1, **params})
        try:
            return [self._starts(event_id, window) for window in windows]
        finally:
            self._call("calendar.event.delete", {"id": event_id})

    def _starts(self, event_id: int, window: Window) -> list[str]:
        rows = self._call("calendar.event.get", {"type": "user", "ownerId": 1,
                                                 "from": window[0].isoformat(),
                                                 "to": window[1].isoformat()})
        return sorted(str(row["DATE_FROM"]) for row in rows if row["ID"] == str(event_id))

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        return self.api.call(self.user, method, params)
