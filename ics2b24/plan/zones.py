"""The input's zone names as one portal keeps them.

A portal replaces a zone name its PHP does not list by the server's zone, keeping the wall
clock (docs/test-portal.md, behaviour 21), so the event is shown hours off. Which names a
portal lists depends on its tzdata, which no documented call tells: push reads back what the
portal kept (app/zones.py) and remembers it per portal. From then on an event in a replaced
zone is written under another name with the same rules; a single event with none left is
written in UTC (the same instants, shown in each viewer's zone); a series with none left is
said, since UTC would move its occurrences by an hour across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ics2b24.ical.tz import zone_instead
from ics2b24.model import DesiredEvent, EventParams


def replaced(kept: Mapping[str, str]) -> frozenset[str]:
    """The names the portal did not keep, from what it kept for each name read back."""
    return frozenset(zone for zone, kept_as in kept.items() if kept_as != zone)


def respelled(events: Sequence[DesiredEvent], kept: Mapping[str, str]
              ) -> tuple[list[DesiredEvent], list[str]]:
    """The events with every replaced zone name written as the portal keeps it, and a
    warning per series left in a zone the portal shows hours off."""
    avoid = replaced(kept)
    if not avoid:
        return list(events), []
    out: list[DesiredEvent] = []
    warnings: list[str] = []
    for event in events:
        params = event.params
        names = {name for name in (params.timezone_from, params.timezone_to)
                 if name is not None and name in avoid}
        if params.skip_time or not names:
            out.append(event)
            continue
        instead = {name: zone_instead(name, avoid) for name in names}
        if all(instead.values()):
            out.append(replace(event, params=replace(
                params,
                timezone_from=_spelled(params.timezone_from, instead),
                timezone_to=_spelled(params.timezone_to, instead))))
        elif params.rrule is None:
            out.append(replace(event, params=_in_utc(params)))
        else:
            out.append(event)
            lost = ", ".join(sorted(name for name, other in instead.items() if other is None))
            warnings.append(
                f"{event.source or event.uid}: UID {event.uid}: the portal replaces the zone "
                f"{lost} and no other name for it is left to try: this series is shown "
                "hours off there")
    return out, warnings


def _spelled(name: str | None, instead: Mapping[str, str | None]) -> str | None:
    return (instead.get(name) or name) if name is not None else None


def _in_utc(params: EventParams) -> EventParams:
    def utc(wall: str, zone: str | None) -> str:
        moment = datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone) if zone else UTC)
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return replace(params, date_from=utc(params.date_from, params.timezone_from),
                   date_to=utc(params.date_to, params.timezone_to or params.timezone_from),
                   timezone_from="UTC", timezone_to="UTC")
