"""The sync never loses an event, whatever the input's next version looks like: each case a
user met and each failure the state machine (tests/sync_machine.py) found, pushed through the
test portal over HTTP and judged by what the section shows (tests/sync_model.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from tests.helpers import Cli, Killer, target_args, write
from tests.sync_model import Event, Rule, calendar, ics_view, portal_view, row_occurrence

SECTION = 1


def _push(cli: Cli, portal: Portal, state: Path, events: list[Event], *extra: str) -> str:
    path = write(state.parent.parent / "calendar.ics", calendar(events))
    code, _, err = cli("push", str(path), *target_args(portal, state), *extra)
    assert code == 0, err
    return err


def _shows_exactly(portal: Portal, events: list[Event]) -> None:
    assert portal_view(portal, SECTION) == ics_view(calendar(events))


def _single(uid: str = "a@test", **fields: object) -> Event:
    base = Event(uid=uid, name="Review", start=datetime(2025, 3, 4, 10), zone="Europe/Berlin",
                 all_day=False, length=60, description="Agenda", location="Room 1")
    return base.edited(**fields) if fields else base


def _users_review(portal: Portal, description: str, location: str) -> int:
    """An event the user writes in the section with the name and times of `_single()`."""
    return int(portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": SECTION, "name": "Review",
        "from": "2025-03-04T10:00:00", "to": "2025-03-04T11:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "description": description, "location": location}))


def test_an_event_under_a_new_uid_stays_in_the_portal_with_prune(
        portal: Portal, state: Path, cli: Cli) -> None:
    """Outlook-published feeds give an event a new UID now and then: the event is the same,
    so it is kept (not adopted under the new UID and pruned under the old one)."""
    _push(cli, portal, state, [_single()], "--prune")
    renamed = [_single().edited(uid="b@test")]
    err = _push(cli, portal, state, renamed, "--prune", "--force-delete")
    _shows_exactly(portal, renamed)
    assert "0 deleted" in err
    assert "0 added, 0 updated, 0 deleted" in _push(cli, portal, state, renamed, "--prune")


def test_a_series_that_turns_from_all_day_to_timed_keeps_each_occurrence_an_hour_long(
        portal: Portal, state: Path, cli: Cli) -> None:
    """An `all` update keeps the old end date: a three-day all-day series made timed lasted
    two days and an hour (behaviour 7)."""
    series = Event(uid="s@test", name="Offsite", start=datetime(2026, 4, 11), zone="Europe/Berlin",
                   all_day=True, length=3, rule=Rule("MONTHLY", 1, (), 4, True))
    _push(cli, portal, state, [series])
    timed = [series.edited(all_day=False, start=datetime(2026, 4, 11, 9), length=60)]
    _push(cli, portal, state, timed)
    _shows_exactly(portal, timed)


def test_the_users_own_event_that_looks_like_an_input_event_keeps_its_words(
        portal: Portal, state: Path, cli: Cli) -> None:
    """An event the user wrote with the name and times of an input event is not adopted
    and rewritten: it keeps its description and location, and the input's event is added."""
    own_id = _users_review(portal, "my notes", "Main St")
    before = row_occurrence(portal.api.call(portal.first_user, "calendar.event.getbyid",
                                            {"id": own_id}))
    err = _push(cli, portal, state, [_single()], "--prune")
    assert "1 added" in err
    after = portal.api.call(portal.first_user, "calendar.event.getbyid", {"id": own_id})
    assert row_occurrence(after) == before
    assert portal_view(portal, SECTION) - ics_view(calendar([_single()])) == {before: 1}


def test_the_users_own_event_equal_to_an_input_event_is_adopted_without_a_write(
        portal: Portal, state: Path, cli: Cli) -> None:
    _users_review(portal, "Agenda", "Room 1")
    assert "0 added, 0 updated" in _push(cli, portal, state, [_single()], "--prune")
    _shows_exactly(portal, [_single()])


def test_an_occurrence_of_a_three_day_daily_series_moved_onto_its_first_day_is_shown_there(
        portal: Portal, state: Path, cli: Cli) -> None:
    """The part left before the move holds one occurrence; written as a series, the portal
    stretched it to the first occurrence's last day and showed two days twice."""
    series = Event(uid="s@test", name="Retreat", start=datetime(2026, 3, 15),
                   zone="Europe/Berlin", all_day=True, length=3, location="Agenda",
                   rule=Rule("DAILY", 1, (), 6, True))
    _push(cli, portal, state, [series])
    moved = [series.edited(moves={1: -1})]
    _push(cli, portal, state, moved)
    _shows_exactly(portal, moved)


def _many(count: int) -> list[Event]:
    return [_single(f"m{i}@test", start=datetime(2025, 3, 1 + i % 28, 8 + i % 9))
            for i in range(count)]


def test_an_input_cut_short_deletes_nothing_with_prune(
        portal: Portal, state: Path, cli: Cli) -> None:
    """A download cut at 70 %: no END:VCALENDAR, the last VEVENT cut. Under the "more than
    half" guard --prune would delete what the cut lost; it deletes nothing and says why."""
    events = _many(20)
    _push(cli, portal, state, events)
    text = calendar(events)
    cut = text[:int(len(text) * 0.7)]
    path = write(state.parent.parent / "cut.ics", cut)
    code, _, err = cli("push", str(path), *target_args(portal, state), "--prune")
    assert code == 0, err
    assert "ends before END:VCALENDAR" in err and "0 deleted" in err
    assert portal_view(portal, SECTION) == ics_view(text)


def test_prune_with_since_leaves_the_events_that_ended_before_it(
        portal: Portal, state: Path, cli: Cli) -> None:
    """The nightly cron line `push --since DATE --prune`: what ended before DATE is not in the
    input because of --since, not because it was deleted."""
    past = _single("past@test", start=datetime(2025, 1, 10, 9))
    weekly = Event(uid="w@test", name="Weekly", start=datetime(2025, 1, 6, 9),
                   zone="Europe/Berlin", all_day=False, length=60,
                   rule=Rule("WEEKLY", 1, ("MO",), 4, True))
    later = _single("later@test", start=datetime(2025, 6, 10, 9))
    _push(cli, portal, state, [past, weekly, later])
    err = _push(cli, portal, state, [past, weekly, later], "--since", "2025-03-01", "--prune")
    assert "0 deleted" in err
    _shows_exactly(portal, [past, weekly, later])
    err = _push(cli, portal, state, [past, weekly], "--since", "2025-03-01", "--prune",
                "--force-delete")
    assert "1 deleted" in err
    _shows_exactly(portal, [past, weekly])


def test_an_event_on_the_last_day_of_year_9999_is_skipped_and_the_rest_is_pushed(
        portal: Portal, state: Path, cli: Cli) -> None:
    """Moved into the server's zone it leaves year 9999: the portal failed inside
    `calendar.event.get` and nothing at all was pushed."""
    text = calendar([_single()]).replace("END:VCALENDAR", (
        "BEGIN:VEVENT\r\nUID:far@test\r\nDTSTAMP:20250101T000000Z\r\n"
        "DTSTART:99991231T100000Z\r\nSUMMARY:Far\r\nEND:VEVENT\r\nEND:VCALENDAR"))
    path = write(state.parent.parent / "far.ics", text)
    code, _, err = cli("push", str(path), *target_args(portal, state))
    assert code == 0, err
    assert "UID far@test: VEVENT skipped: a date is out of the range" in err
    assert portal_view(portal, SECTION) == ics_view(calendar([_single()]))


def _weekly(**fields: object) -> Event:
    base = Event(uid="w@test", name="Standup", start=datetime(2025, 3, 3, 9),
                 zone="Europe/Berlin", all_day=False, length=30, description="Notes",
                 rule=Rule("WEEKLY", 1, ("MO",), 6, False))
    return base.edited(**fields) if fields else base


def test_a_moved_occurrence_stays_moved_when_the_series_only_drops_its_description(
        portal: Portal, state: Path, cli: Cli) -> None:
    """The moved occurrence keeps its own copy of the description: an `all` update of the
    series rewrote the copy to the series' time."""
    moved = _weekly(moves={2: 3})
    _push(cli, portal, state, [moved])
    dropped = [moved.edited(description="", kept={2: "Notes"})]
    _push(cli, portal, state, dropped)
    _shows_exactly(portal, dropped)


def test_a_series_whose_start_time_changes_keeps_its_this_and_future_part(
        portal: Portal, state: Path, cli: Cli) -> None:
    split = _weekly(future=(3, 2))
    _push(cli, portal, state, [split])
    later = [split.edited(start=datetime(2025, 3, 3, 11))]
    _push(cli, portal, state, later)
    _shows_exactly(portal, later)


def test_a_series_moved_from_utc_to_tokyo_keeps_every_occurrence(
        portal: Portal, state: Path, cli: Cli) -> None:
    utc = _weekly(zone="UTC", moves={1: 2}, exdates=frozenset({4}), future=(5, 1))
    _push(cli, portal, state, [utc], "--prune")
    tokyo = [utc.edited(zone="Asia/Tokyo")]
    _push(cli, portal, state, tokyo, "--prune")
    _shows_exactly(portal, tokyo)
    assert "0 added, 0 updated, 0 deleted" in _push(cli, portal, state, tokyo, "--prune")


def test_the_same_portal_at_another_port_is_recognised_and_its_events_stay_managed(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    """docs/test-portal.md's `portal serve --data` portal restarted on another port: every event was
    "recovered", new EXDATEs and moves were not applied, --prune deleted nothing."""
    data = str(tmp_path / "portal.sqlite3")
    first = make_portal(data=data)
    series = _weekly()
    _push(cli, first, state, [series, _single()])
    address = first.webhook_url
    first.stop()
    again = make_portal(data=data)
    assert again.webhook_url != address
    edited = [series.edited(exdates=frozenset({2}), moves={3: 2})]
    err = _push(cli, again, state, edited, "--prune")
    assert "the same portal at a new address" in err
    assert "recovered" not in err
    _shows_exactly(again, edited)
    assert "0 added, 0 updated, 0 deleted" in _push(cli, again, state, edited, "--prune")


def test_another_portal_holding_other_events_is_not_taken_for_the_known_one(
        make_portal: Callable[..., Portal], state: Path, cli: Cli) -> None:
    first = make_portal()
    _push(cli, first, state, [_single()])
    other = make_portal()
    other.api.call(other.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": SECTION, "name": "Lunch",
        "from": "2025-03-04T12:00:00", "to": "2025-03-04T13:00:00"})
    err = _push(cli, other, state, [_single()])
    assert "new address" not in err and "1 added" in err
    assert len(first.store.events("user", 1, [SECTION])) == 1


def test_undo_at_a_new_address_stops_and_says_how_to_carry_the_events_over(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    data = str(tmp_path / "portal.sqlite3")
    first = make_portal(data=data)
    _push(cli, first, state, [_single()])
    first.stop()
    again = make_portal(data=data)
    code, _, err = cli("undo", *target_args(again, state), "--yes")
    assert code == 2, err
    assert "run push with the same input once here" in err
    assert portal_view(again, SECTION) == ics_view(calendar([_single()]))


def _named(portal: Portal, state: Path, name: str = "Team") -> list[str]:
    return ["--webhook", portal.webhook_url, "--type", "user", "--owner", "1",
            "--section-name", name, "--state", str(state)]


def test_verify_follows_the_section_the_state_db_remembers_after_a_rename(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """push follows the section it created when it is renamed; verify looked the name up and
    called a perfect push "2 UID(s) differ"."""
    path = write(tmp_path / "a.ics", calendar([_single(), _weekly()]))
    code, _, err = cli("push", str(path), *_named(portal, state))
    assert code == 0, err
    [section] = [s for s in portal.store.sections("user", 1) if s["name"] == "Team"]
    portal.api.call(portal.first_user, "calendar.section.update",
                    {"type": "user", "ownerId": 1, "id": section["id"], "name": "Team 2025"})
    code, _, err = cli("push", str(path), *_named(portal, state), "--verify")
    assert code == 0, err
    assert "0 added" in err and "the portal shows exactly what the input implies" in err
    code, _, err = cli("verify", str(path), *_named(portal, state))
    assert code == 0, err


def test_verify_of_a_name_no_section_has_says_so(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    path = write(tmp_path / "a.ics", calendar([_single()]))
    code, out, err = cli("verify", str(path), *_named(portal, state, "Nowhere"))
    assert code == 2
    assert "no section named 'Nowhere'" in err and not out


def test_verify_names_look_alike_copies_a_second_push_left_in_the_section(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """Two runs with two state DBs at once both add every event: verify said "equal" while
    the calendar showed each event twice."""
    path = write(tmp_path / "a.ics", calendar([_single()]))
    _push(cli, portal, state, [_single()])
    copy = _users_review(portal, "Agenda", "Room 1")
    code, out, err = cli("verify", str(path), *target_args(portal, state))
    assert code == 1, err
    assert "look-alike copies of input events" in out and f"event(s) {copy}" in out
    assert "1 event(s) are look-alike copies" in err


def test_a_series_sent_by_a_killed_push_is_found_after_the_input_changed_it(
        portal: Portal, state: Path, cli: Cli) -> None:
    """The run died after the portal added the series and before recording it; the next
    version moved it two hours later. Recovery compared the portal's series with the new
    input, found nothing, and left the series a stray that no --prune or undo knew."""
    known = _weekly().edited(uid="known@test", name="Known")
    _push(cli, portal, state, [known])  # the generation probe's writes are behind us
    killer = Killer(portal)
    series = _weekly(zone="UTC")
    path = write(state.parent.parent / "calendar.ics", calendar([known, series]))
    assert killer.run(["push", str(path), *target_args(portal, state)], after=1) < 0
    assert len(portal.store.events("user", 1, [SECTION])) == 2
    moved = [known, series.edited(start=datetime(2025, 3, 3, 11))]
    _push(cli, portal, state, moved, "--prune")
    _shows_exactly(portal, moved)
    assert "0 added, 0 updated, 0 deleted" in _push(cli, portal, state, moved, "--prune")
    code, _, err = cli("undo", *target_args(portal, state), "--yes")
    assert code == 0, err
    assert portal_view(portal, SECTION) == Counter()


def test_an_event_a_killed_push_added_is_pruned_once_the_input_drops_it(
        portal: Portal, state: Path, cli: Cli) -> None:
    """Never recorded and no longer in the input, it was adopted by nobody and stayed; a
    year after the rest of the input, it was not even read."""
    known = _weekly().edited(uid="known@test", name="Known")
    _push(cli, portal, state, [known])
    killer = Killer(portal)
    later = _single(start=datetime(2026, 9, 1, 10))
    path = write(state.parent.parent / "calendar.ics", calendar([known, later]))
    assert killer.run(["push", str(path), *target_args(portal, state)], after=1) < 0
    err = _push(cli, portal, state, [known])
    assert "a run that died added event" in err
    err = _push(cli, portal, state, [known], "--prune")
    assert "1 deleted" in err
    _shows_exactly(portal, [known])


def _split_weekly(hour: int, later_hour: int, named_hour: int) -> str:
    def at(day: str, h: int) -> str:
        return f"TZID=Europe/Berlin:{day}T{h:02d}0000"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n"
            "BEGIN:VEVENT\r\nUID:split@test\r\nDTSTAMP:20250101T000000Z\r\n"
            f"DTSTART;{at('20250303', hour)}\r\nDTEND;{at('20250303', hour + 1)}\r\n"
            "SUMMARY:Weekly\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:split@test\r\nDTSTAMP:20250101T000000Z\r\n"
            f"RECURRENCE-ID;RANGE=THISANDFUTURE;{at('20250331', named_hour)}\r\n"
            f"DTSTART;{at('20250331', later_hour)}\r\nDTEND;{at('20250331', later_hour + 1)}\r\n"
            "SUMMARY:Weekly later\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_series_whose_lines_change_shape_leaves_no_old_line_behind_without_prune(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """The series moved an hour while its THISANDFUTURE change still names the old time: it
    is written out as occurrences, and the old series stayed beside them (every day twice)
    unless --prune was given — which then refused, as if the input had been cut."""
    for text in (_split_weekly(9, 14, 9), _split_weekly(10, 15, 9)):
        path = write(tmp_path / "a.ics", text)
        code, _, err = cli("push", str(path), *target_args(portal, state))
        assert code == 0, err
        assert portal_view(portal, SECTION) == ics_view(text)


def test_a_killed_push_beside_the_users_look_alike_adopts_its_own_event_not_the_users(
        portal: Portal, state: Path, cli: Cli) -> None:
    """Both have the input's name and times: the next run took the user's (the older) for
    what it had sent and rewrote its words, and left its own copy as a look-alike."""
    known = _weekly().edited(uid="known@test", name="Known")
    _push(cli, portal, state, [known])
    own_id = _users_review(portal, "my notes", "Main St")
    mine = row_occurrence(portal.api.call(portal.first_user, "calendar.event.getbyid",
                                          {"id": own_id}))
    path = write(state.parent.parent / "calendar.ics", calendar([known, _single()]))
    assert Killer(portal).run(["push", str(path), *target_args(portal, state)], after=1) < 0
    err = _push(cli, portal, state, [known, _single()])
    assert "0 added, 0 updated, 0 deleted" in err and "1 recovered" in err
    assert row_occurrence(portal.api.call(portal.first_user, "calendar.event.getbyid",
                                          {"id": own_id})) == mine
    assert portal_view(portal, SECTION) - Counter({mine: 1}) == ics_view(
        calendar([known, _single()]))


def test_an_event_a_killed_push_sent_stays_one_event_when_the_next_killed_push_moved_it(
        portal: Portal, state: Path, cli: Cli) -> None:
    """The state machine's find: the second run took the first run's creation for its own
    and moved it, and died too; the third knew it only by what the first had sent (the old
    day): it took the event for the user's (undo then left it), or, where the portal does
    not show descriptions (generation 1), added it again beside a look-alike."""
    known = _weekly().edited(uid="known@test", name="Known")
    _push(cli, portal, state, [known])
    killer = Killer(portal)
    path = state.parent.parent / "calendar.ics"
    day = _single(all_day=True, length=1, start=datetime(2025, 3, 4))
    versions = [[known, day], [known, day.edited(start=datetime(2025, 3, 1))]]
    for version in versions:
        write(path, calendar(version))
        assert killer.run(["push", str(path), *target_args(portal, state)], after=1) < 0
    err = _push(cli, portal, state, versions[-1], "--prune")
    assert "0 added" in err and "look like" not in err
    _shows_exactly(portal, versions[-1])
    code, _, err = cli("undo", *target_args(portal, state), "--yes")
    assert code == 0, err
    assert portal_view(portal, SECTION) == Counter()


def test_undo_after_a_killed_push_deletes_what_that_push_added(
        portal: Portal, state: Path, cli: Cli) -> None:
    """undo deleted only what the state DB recorded: the event the dead run had added (its
    answer never recorded) stayed in the section, and a second undo found nothing."""
    known = _weekly().edited(uid="known@test", name="Known")
    _push(cli, portal, state, [known])
    path = write(state.parent.parent / "calendar.ics", calendar([known, _single()]))
    assert Killer(portal).run(["push", str(path), *target_args(portal, state)], after=1) < 0
    assert len(portal.store.events("user", 1, [SECTION])) == 2
    code, _, err = cli("undo", *target_args(portal, state), "--yes")
    assert code == 0, err
    assert portal_view(portal, SECTION) == Counter()
    _push(cli, portal, state, [known, _single()])
    _shows_exactly(portal, [known, _single()])


def test_a_series_whose_every_occurrence_is_skipped_leaves_the_section_without_prune(
        make_portal: Callable[..., Portal], state: Path, cli: Cli) -> None:
    """The state machine's find (generation 1): the user skipped each day of a two-day
    series, one after the other; the input still names the UID but has nothing of it, and
    push without --prune left the last day in the portal, as if the event had left the
    input. Every occurrence skipped is the event cancelled."""
    portal = make_portal(profile=Profile(generation=1))
    daily = Event(uid="d@test", name="Daily", start=datetime(2025, 1, 1, 7),
                  zone="Europe/Berlin", all_day=False, length=30,
                  rule=Rule("DAILY", 1, (), 2, False))
    for version in (daily, daily.edited(exdates=frozenset({0})),
                    daily.edited(exdates=frozenset({0, 1}))):
        _push(cli, portal, state, [version])
        _shows_exactly(portal, [version])
