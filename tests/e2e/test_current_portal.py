"""`push` against the portal Bitrix24 runs today (the test portal's default generation 3) in
the setups that lose or move occurrences there: one regression test per loss, through real
HTTP (docs/test-portal.md, behaviours 3, 17, 20, 21)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from tests.helpers import (
    Cli,
    ics_occurrences,
    portal_occurrences,
    target_args,
    vcalendar,
    vevent,
    write,
)

NEW_YORK = {"users": [{"id": 1, "admin": True, "time_zone": "America/New_York"}]}


def _push(cli: Cli, portal: Portal, state: Path, path: Path) -> str:
    code, _, err = cli("push", str(path), *target_args(portal, state))
    assert code == 0, err
    return err


def _expected(text: str) -> Counter[tuple[str, str]]:
    return ics_occurrences(text.encode(), date(2024, 1, 1), date(2027, 1, 1))


def _all_day(uid: str, first: str, after_last: str, *extra: str) -> str:
    lines = [f"UID:{uid}", "DTSTAMP:20250101T000000Z", f"DTSTART;VALUE=DATE:{first}",
             f"DTEND;VALUE=DATE:{after_last}", f"SUMMARY:{uid}", *extra]
    return "BEGIN:VEVENT\n" + "".join(line + "\n" for line in lines) + "END:VEVENT\n"


def test_all_day_events_keep_their_day_for_a_user_west_of_the_server(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = make_portal(users=NEW_YORK)
    text = vcalendar(_all_day("day", "20250304", "20250305"),
                     _all_day("trip", "20250519", "20250524"),
                     _all_day("yearly", "20251003", "20251004", "RRULE:FREQ=YEARLY;COUNT=2"))
    _push(cli, portal, state, write(tmp_path / "a.ics", text))
    rows = portal.api.call(portal.first_user, "calendar.event.get",
                           {"type": "user", "ownerId": 1, "from": "2025-01-01",
                            "to": "2026-12-31"})
    assert sorted((r["NAME"], r["DATE_FROM"], r["DATE_TO"]) for r in rows) == [
        ("day", "03/04/2025", "03/04/2025"), ("trip", "05/19/2025", "05/23/2025"),
        ("yearly", "10/03/2025", "10/03/2025"), ("yearly", "10/03/2026", "10/03/2026")]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_all_day_events_end_as_the_input_reads_in_a_negative_offset_setup(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli,
        zone: str) -> None:
    portal = make_portal(users={"users": [{"id": 1, "admin": True, "time_zone": zone}]})
    text = vcalendar(_all_day("holiday", "20251225", "20251227",
                              "RRULE:FREQ=YEARLY;COUNT=2"))
    _push(cli, portal, state, write(tmp_path / "a.ics", text))
    shown = {day for (_, day) in portal_occurrences(portal)}
    assert shown == {day for (_, day) in _expected(text)}


def test_an_event_in_a_zone_php_does_not_list_keeps_its_time(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = vcalendar("BEGIN:VEVENT\nUID:call\nDTSTAMP:20250101T000000Z\n"
                     "DTSTART;TZID=Asia/Calcutta:20250304T100000\n"
                     "DTEND;TZID=Asia/Calcutta:20250304T110000\nSUMMARY:Call\nEND:VEVENT\n")
    _push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert portal_occurrences(portal) == _expected(text)
    [row] = portal.api.call(portal.first_user, "calendar.event.get",
                            {"type": "user", "ownerId": 1, "from": "2025-03-01",
                             "to": "2025-03-31"})
    assert row["TZ_FROM"] == "Asia/Kolkata"


def test_a_description_holding_a_batch_reference_reaches_the_portal_as_written(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = vcalendar(
        "BEGIN:VEVENT\nUID:bill\nDTSTAMP:20250101T000000Z\n"
        "DTSTART;TZID=Europe/Berlin:20250304T100000\n"
        "DTEND;TZID=Europe/Berlin:20250304T110000\nSUMMARY:Bill\n"
        "DESCRIPTION:Pay $result[c0] now\\, or $RESULT_error[x][y]\nEND:VEVENT\n",
        "BEGIN:VEVENT\nUID:other\nDTSTAMP:20250101T000000Z\n"
        "DTSTART;TZID=Europe/Berlin:20250305T100000\n"
        "DTEND;TZID=Europe/Berlin:20250305T110000\nSUMMARY:Other\nEND:VEVENT\n")
    _push(cli, portal, state, write(tmp_path / "a.ics", text))
    descriptions = {e["name"]: e["description"] for e in portal.store.events("user", 1, [1])}
    assert descriptions == {"Bill": "Pay $result[c0] now, or $RESULT_error[x][y]",
                            "Other": ""}


def test_an_event_with_six_reminders_keeps_five_and_a_second_run_sends_nothing(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    alarms = "".join(f"BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT{m}M\nEND:VALARM\n"
                     for m in (5, 10, 15, 20, 30, 45))
    text = vcalendar("BEGIN:VEVENT\nUID:many\nDTSTAMP:20250101T000000Z\n"
                     "DTSTART;TZID=Europe/Berlin:20250304T100000\n"
                     f"DTEND;TZID=Europe/Berlin:20250304T110000\nSUMMARY:Many\n{alarms}"
                     "END:VEVENT\n")
    path = write(tmp_path / "a.ics", text)
    err = _push(cli, portal, state, path)
    assert "6 reminders" in err
    [stored] = portal.store.events("user", 1, [1])
    assert [r["count"] for r in stored["remind"]] == [5, 10, 15, 20, 30]
    assert "0 added, 0 updated, 0 deleted, 1 unchanged" in _push(cli, portal, state, path)


def test_an_occurrence_moved_onto_its_series_first_day_stays_where_the_input_moved_it(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """The portal puts a copy dated on its series' first day on the occurrence's own day
    (behaviour 8), so push writes that move as a skipped day and an event of its own."""
    text = vcalendar(
        "BEGIN:VEVENT\nUID:w\nDTSTAMP:20250101T000000Z\n"
        "DTSTART;TZID=Europe/Berlin:20250303T100000\n"
        "DTEND;TZID=Europe/Berlin:20250303T110000\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\nSUMMARY:Weekly\nEND:VEVENT\n",
        "BEGIN:VEVENT\nUID:w\nDTSTAMP:20250101T000000Z\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20250310T100000\n"
        "DTSTART;TZID=Europe/Berlin:20250303T150000\n"
        "DTEND;TZID=Europe/Berlin:20250303T160000\nSUMMARY:Weekly (moved)\nEND:VEVENT\n")
    path = write(tmp_path / "a.ics", text)
    _push(cli, portal, state, path)
    assert portal_occurrences(portal) == _expected(text)
    assert "0 added, 0 updated, 0 deleted" in _push(cli, portal, state, path)


def test_a_moved_all_day_occurrence_of_several_days_keeps_its_last_day(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = vcalendar(_all_day("trip", "20250303", "20250305", "RRULE:FREQ=WEEKLY;COUNT=4"),
                     _all_day("trip", "20250311", "20250314",
                              "RECURRENCE-ID;VALUE=DATE:20250310"))
    _push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert portal_occurrences(portal) == _expected(text)


def test_a_group_calendar_whose_portal_hosts_its_events_by_the_group_stays_in_sync(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    """The portal names the group as the host of a plain event and the caller as the host of
    a meeting, whatever was asked (behaviour 14): a later edit, a re-run and verify all work."""
    portal = make_portal(users={"users": [{"id": 1, "admin": True, "time_zone": "Europe/Berlin"},
                                          {"id": 2}, {"id": 3}]})
    users = write(tmp_path / "users.csv", "email,user_id\nann@example.org,2\nbob@example.org,3\n")
    people = ("ORGANIZER:mailto:boss@example.org", "ATTENDEE;CN=Ann:mailto:ann@example.org",
              "ATTENDEE;CN=Bob:mailto:bob@example.org")
    plain = vevent("plain@test", "20300305T100000", "Plain")

    def calendar(description: str) -> str:
        return vcalendar(vevent("meet@test", "20300304T100000", "Meet", *people,
                                f"DESCRIPTION:{description}"), plain)

    source = write(tmp_path / "a.ics", calendar("first"))
    target = ["--webhook", portal.webhook_url, "--type", "group", "--owner", "7",
              "--section-name", "Team"]
    options = ["--state", str(state), "--user-map", str(users), "--invite-attendees"]
    for description, summary in (("first", "2 added"), ("second", "1 updated"),
                                 ("second", "0 added, 0 updated, 0 deleted, 2 unchanged")):
        write(source, calendar(description))
        code, _, err = cli("push", str(source), *target, *options)
        assert code == 0, err
        assert summary in err
    hosts = {e["name"]: (e["meeting_host"], e["description"])
             for e in portal.store.events("group", 7, [s["id"] for s in
                                                        portal.store.sections("group", 7)])}
    assert hosts["Plain"][0] == 7
    assert hosts["Meet"][0] == 1 and hosts["Meet"][1].startswith("second")
    code, _, err = cli("verify", str(source), *target, "--user-map", str(users))
    assert code == 0, err
