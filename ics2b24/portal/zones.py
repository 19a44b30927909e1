"""Time zones as the portal's PHP keeps them: the server's zone, the calling user's offset from
it, and which zone names survive a save (docs/test-portal.md, behaviours 20 and 21)."""

from __future__ import annotations

import importlib.resources
import time as _time
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from ics2b24.portal import dates

WINDOWS_MAP = {"US/Eastern": "America/New_York", "US/Pacific": "America/Los_Angeles",
               "US/Central": "America/Chicago", "US/Mountain": "America/Denver"}
"""The old names the portal's MsTimezoneConverter still turns into a canonical zone."""


@lru_cache(maxsize=1)
def canonical_zones() -> frozenset[str]:
    """What PHP's `timezone_identifiers_list()` answers on a current tzdata: the zones of
    zone.tab (no backward-compatible links such as Asia/Calcutta or Europe/Kiev, no Etc/GMT±N)
    and UTC."""
    table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    names = {line.split("\t")[2] for line in table.splitlines()
             if line and not line.startswith("#")}
    return frozenset(names | {"UTC"})


def kept_zone(name: str, server_zone: str, unlisted: frozenset[str] = frozenset()) -> str:
    """Util::prepareTimezone (calendar/lib/util.php), which CCalendar::SaveEventEx applies to
    TZ_FROM and TZ_TO: a canonical name is kept, a name the Windows map knows becomes its zone,
    and anything else becomes the server's zone - the wall clock stays as sent, so the event
    moves by the difference. `unlisted` are canonical names this portal's older zone data
    does not list yet."""
    if name in canonical_zones() and name not in unlisted:
        return name
    return WINDOWS_MAP.get(name, server_zone)


def user_offset(user_zone: str, server_zone: str, now: float | None = None) -> int:
    """CTimeZone::GetOffset: seconds the calling user's zone is ahead of the server's, now."""
    moment = datetime.fromtimestamp(_time.time() if now is None else now)
    user = dates.zone(user_zone).utcoffset(moment) or timedelta(0)
    server = dates.zone(server_zone).utcoffset(moment) or timedelta(0)
    return int((user - server).total_seconds())


def all_day_date(value: object, *, user_zone: str, server_zone: str) -> date:
    """The day an all-day `from`/`to` is stored on: CCalendarRestService::EventAdd/EventUpdate
    keep `$enableOffset = true` for all-day values, so CRestUtil::unConvertDateTime reads the
    value in the server's zone and adds GetOffset before CheckFields keeps the date part. A bare
    date (its midnight) moves to the day before whenever the user is west of the server; a
    value at midday keeps its day for any offset under twelve hours."""
    server = dates.zone(server_zone)
    parsed = dates.parse(value, tz=server)
    moment = parsed if isinstance(parsed, datetime) else datetime.combine(parsed, time())
    shifted = moment + timedelta(seconds=user_offset(user_zone, server_zone))
    return shifted.date()
