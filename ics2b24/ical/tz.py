"""Time zone names as calendars spell them (IANA, Windows, VTIMEZONE-defined) → zoneinfo, and
zoneinfo → the name a portal keeps: one home for every zone rule the converter and the
portal checks share.

Its one read, zone.tab in `_portal_names`, is data of the tzdata package (as zoneinfo reads
its zones), never a file of the user's or the machine's: ical/ stays pure.
"""

from __future__ import annotations

import importlib.resources
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

UTC = ZoneInfo("UTC")


UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"})


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def iana_name_for_tzid(tzid: str) -> str | None:
    """The IANA name a TZID stands for: itself, a Windows name, or a vendor-prefixed IANA name."""
    cleaned = tzid.strip().strip("/")
    if cleaned in UTC_NAMES:
        return "UTC"
    if cleaned in _iana_names():
        return cleaned
    if cleaned in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[cleaned]
    parts = cleaned.split("/")
    for first in range(1, len(parts)):
        candidate = "/".join(parts[first:])
        if candidate in _iana_names():
            return candidate
    return None


def zone_match(tz: tzinfo) -> tuple[ZoneInfo | None, bool]:
    """(zone, exact): a custom VTIMEZONE that only resembles an IANA zone is not exact."""
    if isinstance(tz, ZoneInfo):
        return (UTC if tz.key in UTC_NAMES else tz), True
    if tz is timezone.utc or (isinstance(tz, timezone) and tz.utcoffset(None) == timedelta(0)):
        return UTC, True
    tzid = getattr(tz, "_tzid", None) or getattr(tz, "zone", None) or getattr(tz, "key", None)
    if isinstance(tzid, str):
        name = iana_name_for_tzid(tzid)
        if name is not None:
            return _zoneinfo(name), True
    if tz not in _MATCHES:
        _MATCHES[tz] = _equivalent_zone(tz)
    return _MATCHES[tz]


def _zoneinfo(name: str) -> ZoneInfo:
    return UTC if name == "UTC" else ZoneInfo(name)


_PROBES = tuple(datetime(year, month, 15, 12) for year in (2015, 2020, 2025) for month in
                (1, 4, 7, 10))


_DAILY = tuple(datetime(2008, 1, 1, 12) + timedelta(days=n) for n in range(23 * 366))


_CANDIDATES = ("Europe/London", "Europe/Berlin", "Europe/Helsinki", "Europe/Moscow",
               "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
               "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo",
               "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
               "Australia/Brisbane", "Pacific/Auckland", "Asia/Dubai", "Africa/Johannesburg")


_MATCHES: dict[tzinfo, tuple[ZoneInfo | None, bool]] = {}


def _equivalent_zone(tz: tzinfo) -> tuple[ZoneInfo | None, bool]:
    """A common IANA zone with the offsets of a custom VTIMEZONE: exact when they agree on
    every day of 2008–2030 (current rules), else the zone that agrees in recent years."""
    try:
        offsets = tuple(tz.utcoffset(p) for p in _PROBES)
    except Exception:  # a broken custom zone has no usable offsets at all
        return None, False
    resembling = [ZoneInfo(name) for name in _CANDIDATES
                  if tuple(ZoneInfo(name).utcoffset(p) for p in _PROBES) == offsets]
    if not resembling:
        return None, False
    daily = [tz.utcoffset(p) for p in _DAILY]
    for zone in resembling:
        if all(zone.utcoffset(p) == offset for p, offset in zip(_DAILY, daily, strict=True)):
            return zone, True
    return resembling[0], False


def resolve_zone(name: str) -> ZoneInfo:
    """The zone of a --tz value: IANA or Windows name; KeyError when there is none."""
    iana = iana_name_for_tzid(name)
    if iana is None:
        raise KeyError(name)
    try:
        return _zoneinfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyError(name) from exc


def zone_name(tz: ZoneInfo) -> str:
    """The zone's name as a portal keeps it (`portal_zone_name`)."""
    return "UTC" if tz.key in UTC_NAMES else portal_zone_name(tz.key)


@cache
def _portal_names() -> frozenset[str]:
    """The names PHP's `timezone_identifiers_list()` answers on a current tzdata: the zones of
    zone.tab and UTC. A portal replaces any other name by its server's zone, keeping the wall
    clock (docs/test-portal.md, behaviour 21)."""
    table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    names = {line.split("\t")[2] for line in table.splitlines()
             if line and not line.startswith("#")}
    return frozenset(names | {"UTC"})


@lru_cache(maxsize=256)
def portal_zone_name(name: str) -> str:
    """A name the portal keeps for the zone `name`: itself when listed; else the listed zone
    whose tzdata is the same (`Asia/Calcutta` is `Asia/Kolkata`, `Europe/Kiev` is
    `Europe/Kyiv`); else a listed zone with the same offset on every day of 2008–2030
    (`Etc/GMT-2`); else the name itself, and `verify` shows what the portal made of it."""
    if name in _portal_names():
        return name
    listed = [other for other in _equivalents(name) if other in _portal_names()]
    return listed[0] if listed else name


def zone_instead(name: str, avoid: frozenset[str]) -> str | None:
    """Another name for the zone `name` when a portal replaced `name` and every name in
    `avoid` (its tzdata is older than ours: `Europe/Kyiv` was `Europe/Kiev` before 2022b):
    the first of its equivalents it has not replaced (`Europe/Athens`), or None."""
    return next((other for other in _equivalents(name)
                 if other != name and other not in avoid), None)


@lru_cache(maxsize=256)
def _equivalents(name: str) -> tuple[str, ...]:
    """The names with the rules of `name`, best first: listed zones of the same tzdata, listed
    zones with the same offset on every day of 2008–2030 (listed by older zone data too), then
    the other names of the same tzdata (links an older tzdata may list); in each, names of
    the same region first."""
    data = _tzdata(name)
    region = name.split("/")[0]

    def nearest(other: str) -> tuple[bool, str]:
        return other.split("/")[0] != region, other

    same = sorted((other for other in _iana_names()
                   if data is not None and other != name and _tzdata(other) == data),
                  key=nearest)
    out = [other for other in same if other in _portal_names()]
    zone = ZoneInfo(name)
    probes = tuple(zone.utcoffset(p) for p in _PROBES)
    daily = [zone.utcoffset(p) for p in _DAILY]
    for candidate in sorted(_portal_names() - {name, *out}, key=nearest):
        other = ZoneInfo(candidate)
        if tuple(other.utcoffset(p) for p in _PROBES) == probes and all(
                other.utcoffset(p) == offset for p, offset in zip(_DAILY, daily, strict=True)):
            out.append(candidate)
    return (*out, *(other for other in same if other not in _portal_names()))


@lru_cache(maxsize=1024)
def _tzdata(name: str) -> bytes | None:
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (OSError, ValueError):
        return None
