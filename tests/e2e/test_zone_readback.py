"""Zone names a portal does not keep (behaviour 21), over HTTP: push reads back which name the
portal kept for each zone the input uses, once per portal, and writes the events of a replaced
zone again under a name it keeps, so they are shown at the input's times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from ics2b24.store.keys import portal_identity
from ics2b24.store.state import StateDB
from tests.helpers import (
    Cli,
    ics_occurrences,
    portal_occurrences,
    portal_rows,
    spy_on,
    target_args,
    vcalendar,
    write,
)

KYIV = vcalendar(
    "BEGIN:VEVENT\nUID:call\nDTSTAMP:20250101T000000Z\n"
    "DTSTART;TZID=Europe/Kyiv:20250701T100000\nDTEND;TZID=Europe/Kyiv:20250701T110000\n"
    "SUMMARY:Call\nEND:VEVENT\n",
    "BEGIN:VEVENT\nUID:weekly\nDTSTAMP:20250101T000000Z\n"
    "DTSTART;TZID=Europe/Kyiv:20250303T090000\nDTEND;TZID=Europe/Kyiv:20250303T093000\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8\nSUMMARY:Standup\nEND:VEVENT\n")


def older_zone_data(make_portal: Callable[..., Portal]) -> Portal:
    """A current portal whose PHP zone data predates Europe/Kyiv (tzdata 2022b)."""
    return make_portal(profile=Profile(unlisted_zones=frozenset({"Europe/Kyiv"})))


def push(cli: Cli, portal: Portal, state: Path, path: Path) -> str:
    code, _, err = cli("push", str(path), *target_args(portal, state))
    assert code == 0, err
    return err


def kept_zones(portal: Portal, state: Path) -> dict[str, str]:
    with StateDB.open(state, readonly=True) as db:
        return db.zones(portal_identity(portal.base_url, 1))


def test_events_in_a_zone_the_portal_replaces_are_shown_at_the_input_times(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_zone_data(make_portal)
    err = push(cli, portal, state, write(tmp_path / "a.ics", KYIV))
    assert "the portal replaced the time zone Europe/Kyiv by Europe/Moscow" in err
    assert portal_occurrences(portal) == ics_occurrences(
        KYIV.encode(), date(2024, 1, 1), date(2027, 1, 1))
    assert {row["TZ_FROM"] for row in portal_rows(portal)} == {"Europe/Athens"}


def test_a_second_push_after_a_replaced_zone_writes_nothing(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_zone_data(make_portal)
    path = write(tmp_path / "a.ics", KYIV)
    push(cli, portal, state, path)
    assert kept_zones(portal, state) == {"Europe/Kyiv": "Europe/Moscow",
                                         "Europe/Athens": "Europe/Athens"}
    spy = spy_on(portal)
    err = push(cli, portal, state, path)
    assert spy.writes() == {}
    assert "replaced" not in err


def test_a_zone_the_portal_keeps_is_read_back_once_per_portal(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """The first push reads one event back; the second only reads what any push reads
    (the series by its id), since the zone is known."""
    spy = spy_on(portal)
    path = write(tmp_path / "a.ics", KYIV)
    err = push(cli, portal, state, path)
    assert spy.writes() == {"calendar.event.add": 2} and "replaced" not in err
    (read_back,) = spy.sent("calendar.event.getbyid")
    call = next(row for row in portal_rows(portal) if row["NAME"] == "Call")
    assert read_back == {"id": call["ID"]}
    assert kept_zones(portal, state) == {"Europe/Kyiv": "Europe/Kyiv"}
    spy.clear()
    push(cli, portal, state, path)
    series = next(row for row in portal_rows(portal) if row["NAME"] == "Standup")
    assert spy.sent("calendar.event.getbyid") == [{"id": series["ID"]}]


def test_portal_serve_takes_unlisted_zones() -> None:
    from ics2b24.portal.config import config_from_cli
    config = config_from_cli(
        host="127.0.0.1", port=0, data=None, users=None, tls=False, faults=None,
        rate="2/50", operating="480/600", time_scale=1.0, token_ttl=3600, generation=3,
        server_zone="Europe/Moscow", user_zone="Europe/Berlin",
        unlisted_zones=("Europe/Kyiv",))
    assert config.profile.unlisted_zones == {"Europe/Kyiv"}
