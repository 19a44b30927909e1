"""`push` against a portal that answers like Bitrix24's own code (the test portal follows it):
one regression test per path that would destroy or corrupt a user's calendar, through real
HTTP, and the calls a real portal turns into data loss never sent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.hooks import Call
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from ics2b24.store.keys import portal_identity, target_key
from ics2b24.store.state import StateDB
from tests.helpers import (
    BERLIN,
    MEETING,
    Cli,
    MethodLog,
    ics_occurrences,
    meeting,
    meeting_expected,
    portal_occurrences,
    portal_rows,
    target_args,
    vcalendar,
    vevent,
    write,
)


def expected(text: str) -> Counter[tuple[str, str]]:
    return ics_occurrences(text.encode(), datetime(2024, 1, 1).date(),
                           datetime(2027, 1, 1).date())


def push(cli: Cli, portal: Portal, state: Path, path: Path, *flags: str) -> str:
    code, _, err = cli("push", str(path), *target_args(portal, state), *flags)
    assert code == 0, err
    return err


def weekly(*extra: str, start: str = "20250303T090000") -> str:
    return vcalendar(vevent("weekly@test", start, "Weekly", *extra))


def test_an_exclusion_never_deletes_the_series(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = weekly("RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20250310T090000")
    push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert portal_occurrences(portal) == expected(text)
    assert sum(portal_occurrences(portal).values()) == 5
    assert "calendar.event.delete" not in spy.calls


def test_a_series_with_k_skipped_days_costs_k_plus_one_writes(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    skipped = ["20250310T090000", "20250324T090000", "20250414T090000"]
    text = weekly("RRULE:FREQ=WEEKLY;COUNT=10",
                  *(f"EXDATE;TZID=Europe/Berlin:{day}" for day in skipped))
    push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert sum(spy.writes().values()) == len(skipped) + 1
    assert portal_occurrences(portal) == expected(text)


def test_a_new_skipped_day_costs_two_writes_and_deletes_nothing(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", weekly("RRULE:FREQ=WEEKLY;COUNT=10"))
    push(cli, portal, state, source)
    text = weekly("RRULE:FREQ=WEEKLY;COUNT=10", "EXDATE;TZID=Europe/Berlin:20250317T090000")
    write(source, text)
    spy.clear()
    push(cli, portal, state, source)
    assert spy.writes() == Counter({"calendar.event.update": 1, "calendar.event.add": 1})
    assert portal_occurrences(portal) == expected(text)


def test_a_single_event_moved_to_another_day_moves(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", vcalendar(vevent("one@test", "20250305T140000", "One")))
    push(cli, portal, state, source)
    moved = vcalendar(vevent("one@test", "20250307T160000", "One"))
    write(source, moved)
    spy.clear()
    push(cli, portal, state, source)
    (update,) = spy.sent("calendar.event.update")
    assert "recurrence_mode" not in update
    assert portal_occurrences(portal) == expected(moved)


def test_a_series_moved_to_another_day_moves(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", weekly("RRULE:FREQ=WEEKLY;COUNT=4"))
    push(cli, portal, state, source)
    moved = weekly("RRULE:FREQ=WEEKLY;COUNT=4", start="20250305T090000")
    write(source, moved)
    spy.clear()
    push(cli, portal, state, source)
    assert spy.writes() == Counter({"calendar.event.delete": 1, "calendar.event.add": 1})
    assert portal_occurrences(portal) == expected(moved)


def test_a_bounded_series_ends(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = weekly("RRULE:FREQ=WEEKLY;UNTIL=20250331T235959Z")
    push(cli, portal, state, write(tmp_path / "a.ics", text))
    (add,) = spy.sent("calendar.event.add")
    assert add["rrule"].get("UNTIL") == "2025-03-31" and "COUNT" not in add["rrule"]
    assert portal_occurrences(portal) == expected(text)


def test_a_weekly_series_without_byday_keeps_its_weekday(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = weekly("RRULE:FREQ=WEEKLY;COUNT=3", start="20250305T090000")
    push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert portal_occurrences(portal) == expected(text)


def test_a_monthly_series_on_the_31st_skips_the_short_months(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    text = vcalendar(vevent("month-end@test", "20250131T090000", "Month end",
                            "RRULE:FREQ=MONTHLY;COUNT=4"))
    push(cli, portal, state, write(tmp_path / "a.ics", text))
    assert portal_occurrences(portal) == expected(text)


def test_a_moved_occurrence_is_pushed_with_this_and_nothing_read_from_its_answer(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    push(cli, portal, state, source)
    assert portal_occurrences(portal) == meeting_expected()
    assert not any("$result" in json.dumps(p) for p in spy.params)
    assert "calendar.event.delete" not in spy.calls
    spy.clear()
    push(cli, portal, state, source)
    assert spy.writes() == Counter()


def test_every_update_carries_a_name_and_recurrence_mode_only_goes_to_series(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    push(cli, portal, state, source)
    for edited in (meeting(moved=False), meeting(exdate=False), meeting(later=False)):
        series = {int(row["ID"]) for row in portal_rows(portal) if row.get("RRULE")}
        write(source, edited.replace("SUMMARY:Standup\n", "SUMMARY:Standup (renamed)\n"))
        spy.clear()
        push(cli, portal, state, source)
        series |= {int(row["ID"]) for row in portal_rows(portal) if row.get("RRULE")}
        for update in spy.sent("calendar.event.update"):
            assert isinstance(update.get("name"), str) and update["name"]
            if "recurrence_mode" in update:
                assert int(update["id"]) in series


def test_a_dropped_description_is_cleared_in_the_portal(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", vcalendar(
        vevent("one@test", "20250305T140000", "One", "DESCRIPTION:Agenda")))
    push(cli, portal, state, source)
    write(source, vcalendar(vevent("one@test", "20250305T140000", "One")))
    push(cli, portal, state, source)
    (row,) = portal_rows(portal)
    full = portal.api.call(portal.first_user, "calendar.event.getbyid", {"id": row["ID"]})
    assert not full.get("DESCRIPTION")


def test_an_unchanged_description_is_not_rewritten(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", vcalendar(
        vevent("one@test", "20250305T140000", "One", "DESCRIPTION:Agenda")))
    push(cli, portal, state, source)
    spy.clear()
    push(cli, portal, state, source)
    push(cli, portal, state, source, "--state", str(tmp_path / "fresh.sqlite3"))
    assert spy.writes() == Counter()


@pytest.mark.parametrize("answer", [{"id": 5}, [7], "ok", None, True])
def test_an_add_answered_in_an_unexpected_shape_is_one_line_and_exit_1(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli, answer: Any) -> None:
    def odd(call_next: Call, user: User, method: str, params: Any) -> Any:
        result = call_next(user, method, params)
        return answer if method == "calendar.event.add" else result

    portal.api.hook(odd)
    source = write(tmp_path / "a.ics", vcalendar(vevent("one@test", "20250305T140000", "One")))
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 1
    assert "Traceback" not in err and "instead of the new event's id" in err


def test_an_update_answered_in_an_unexpected_shape_still_counts_as_done(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "a.ics", vcalendar(vevent("one@test", "20250305T140000", "One")))
    push(cli, portal, state, source)

    def odd(call_next: Call, user: User, method: str, params: Any) -> Any:
        result = call_next(user, method, params)
        return {"unexpected": [result]} if method == "calendar.event.update" else result

    portal.api.hook(odd)
    write(source, vcalendar(vevent("one@test", "20250305T140000", "One (renamed)")))
    push(cli, portal, state, source)
    assert {row["NAME"] for row in portal_rows(portal)} == {"One (renamed)"}


# --- what earlier versions left in a portal keeps working ---------------------------------


def _old_series_with_exclusion(portal: Portal, state: Path, *, copy_left: bool) -> int:
    """What an earlier version made of a weekly series with one EXDATE: the series, its day
    excluded by a `this` detach, the detached copy deleted (or, if that delete never ran,
    still there), and a state row whose fingerprint no longer matches the input."""
    user = portal.first_user
    series = int(portal.api.call(user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Weekly",
        "from": "2025-03-03T09:00:00", "to": "2025-03-03T10:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 6, "BYDAY": ["MO"]}}))
    portal.api.call(user, "calendar.event.update", {
        "id": series, "type": "user", "ownerId": 1, "name": "Weekly",
        "recurrence_mode": "this", "current_date_from": "2025-03-10"})
    if not copy_left:
        for copy in portal.api.store.detached(series):
            portal.api.store.delete_event(int(copy["id"]))
    with StateDB.open(state) as db, db.scoped(portal_identity(portal.base_url, 1),
                                              target_key("user", 1, 1)).transaction() as tx:
        tx.record(("weekly@test", None), series, "from an earlier version", True)
    return series


@pytest.mark.parametrize("copy_left", [False, True], ids=["copy-deleted", "copy-left"])
def test_a_series_an_earlier_version_excluded_a_day_from_ends_as_the_input(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli,
        copy_left: bool) -> None:
    _old_series_with_exclusion(portal, state, copy_left=copy_left)
    text = weekly("RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20250310T090000")
    source = write(tmp_path / "a.ics", text)
    spy.clear()
    push(cli, portal, state, source)
    assert portal_occurrences(portal) == expected(text)
    detached = {int(row["ID"]) for row in portal_rows(portal) if row.get("RECURRENCE_ID")}
    for delete in spy.sent("calendar.event.delete"):
        assert int(delete["id"]) not in detached
    spy.clear()
    push(cli, portal, state, source)
    assert spy.writes() == Counter()


def test_the_whole_calendar_survives_every_edit_of_a_recurring_meeting(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """Other events in the section are never collateral damage of a series' rebuild."""
    other = vevent("other@test", "20250312T150000", "Other")
    source = write(tmp_path / "meeting.ics", MEETING.replace("END:VCALENDAR", other +
                                                             "END:VCALENDAR"))
    push(cli, portal, state, source)
    for edited in (meeting(moved=False), meeting(cancelled=False), meeting(later=False),
                   meeting(exdate=False)):
        write(source, edited.replace("END:VCALENDAR", other + "END:VCALENDAR"))
        push(cli, portal, state, source)
        got = portal_occurrences(portal)
        assert got == meeting_expected(edited) + Counter([("Other", str(int(
            (datetime(2025, 3, 12, 15, tzinfo=BERLIN)).timestamp())))])
        assert all(count == 1 for count in got.values())


# --- meetings: a real portal invites whatever meeting.notify says -------------------------

FUTURE_MEETING = vcalendar(vevent(
    "planning@test", "20300304T100000", "Planning", "ORGANIZER:mailto:boss@example.org",
    "ATTENDEE;CN=Ann:mailto:ann@example.org", "ATTENDEE;CN=Bob:mailto:bob@example.org"))


@pytest.fixture
def team(make_portal: Callable[..., Portal]) -> Portal:
    """A portal with the admin and the two attendees as users."""
    return make_portal(users={"users": [{"id": 1, "admin": True, "time_zone": "Europe/Berlin"},
                                        {"id": 2}, {"id": 3}]})


def _users(tmp_path: Path) -> str:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nann@example.org,2\nbob@example.org,3\n")
    return str(path)


def test_without_invite_attendees_nobody_is_invited_and_people_are_named(
        team: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = team
    source = write(tmp_path / "a.ics", FUTURE_MEETING)
    err = push(cli, portal, state, source, "--user-map", _users(tmp_path))
    assert portal.invitations() == []
    assert "add --invite-attendees" in err
    (row,) = portal_rows(portal)
    full = portal.api.call(portal.first_user, "calendar.event.getbyid", {"id": row["ID"]})
    assert "Attendees: Ann <ann@example.org>, Bob <bob@example.org>" in full["DESCRIPTION"]


def test_plan_says_how_many_invitations_invite_attendees_causes(
        team: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = team
    source = write(tmp_path / "a.ics", FUTURE_MEETING)
    flags = ["--user-map", _users(tmp_path), "--invite-attendees"]
    code, out, err = cli("plan", str(source), *target_args(portal, state), *flags)
    assert code == 0, err
    assert "The portal would send 2 invitation(s)" in out
    push(cli, portal, state, source, *flags)
    assert sorted((n.user_id, n.kind) for n in portal.invitations()) == [
        (2, "invite"), (3, "invite")]


@pytest.mark.parametrize("method", ["calendar.event.get", "calendar.event.getbyid"])
def test_a_read_answered_in_an_unexpected_shape_stops_before_any_write(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli,
        method: str) -> None:
    """Read as "no events", an odd answer would make every event be added again."""
    source = write(tmp_path / "a.ics", weekly("RRULE:FREQ=WEEKLY;COUNT=3"))
    push(cli, portal, state, source)
    before = portal_occurrences(portal)

    def odd(call_next: Call, user: User, call: str, params: Any) -> Any:
        result = call_next(user, call, params)
        return {"rows": result} if call == method else result

    spy.clear()
    with portal.api.hook(odd):
        code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "instead of" in err
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == before
