"""Settings as data: parsing the flags, merging into the current object, and the default alarms
an .ics file suggests. No portal needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ics2b24.app.settings import (
    SettingsRequest,
    alarms_of_ics,
    merge,
    parse_default_section,
    parse_reminder,
    parse_reminders,
    with_proposed,
)
from ics2b24.errors import UsageError
from ics2b24.ical.default_alarms import DefaultAlarm, DefaultAlarms
from ics2b24.model import Reminder

SAMPLES = Path(__file__).parents[2] / "samples"
DATA = Path(__file__).parents[1] / "data"


def alarms_of(path: Path) -> DefaultAlarms:
    return alarms_of_ics(str(path), path.read_bytes())


@pytest.mark.parametrize(("text", "expected"), [
    ("15m", Reminder("min", 15)), ("15 min", Reminder("min", 15)),
    ("0m", Reminder("min", 0)), ("2h", Reminder("hour", 2)), ("2 hours", Reminder("hour", 2)),
    ("1d", Reminder("day", 1)), ("3 days", Reminder("day", 3)), ("1D", Reminder("day", 1)),
])
def test_reminder_is_a_count_and_a_unit(text: str, expected: Reminder) -> None:
    assert parse_reminder(text, "--reminder-with-time") == expected


@pytest.mark.parametrize("text", ["15", "m", "1w", "-5m", "1.5h", "15 minutes before"])
def test_reminder_that_is_not_a_count_and_a_unit_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="give a count and a unit"):
        parse_reminder(text, "--reminder-full-day")


def test_none_alone_means_no_reminders() -> None:
    assert parse_reminders(["none"], "--reminder-with-time") == ()


def test_no_reminder_flag_leaves_reminders_unchanged() -> None:
    assert parse_reminders([], "--reminder-with-time") is None


def test_repeated_reminders_keep_their_order_without_duplicates() -> None:
    assert parse_reminders(["1d", "15m", "1 day"], "--reminder-with-time") == (
        Reminder("day", 1), Reminder("min", 15))


def test_none_mixed_with_reminders_is_refused() -> None:
    with pytest.raises(UsageError, match="'none'"):
        parse_reminders(["none", "15m"], "--reminder-with-time")


def test_default_section_names_a_user_or_group_calendar() -> None:
    assert parse_default_section("user12=4") == ("user12", 4)
    assert parse_default_section("group36 = 49") == ("group36", 49)


@pytest.mark.parametrize("text", ["user12", "12=4", "team3=4", "user12=x", "user12=0"])
def test_default_section_of_another_shape_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="give userID=SECTION or groupID=SECTION"):
        parse_default_section(text)


def test_booleans_are_sent_as_the_reference_types_each_key() -> None:
    wire = SettingsRequest(show_declined=True, deny_busy_invitation=False,
                           collapse_off_hours=False, show_week_numbers=True).wire()
    assert wire == {"showDeclined": True, "denyBusyInvitation": False,
                    "collapseOffHours": "N", "showWeekNumbers": "Y"}


def test_merge_keeps_every_key_not_asked_for_and_drops_read_only_ones() -> None:
    current = {"view": "month", "showTasks": "Y", "syncPeriodPast": "3",
               "timezoneName": "Europe/Berlin", "work_time_start": "9.00"}
    assert merge(current, {"view": "week"}) == {"view": "week", "showTasks": "Y",
                                                "syncPeriodPast": "3"}


def test_merge_lays_default_sections_over_the_current_ones() -> None:
    current = {"defaultSections": {"user1": "4", "group6": "49"}}
    merged = merge(current, {"defaultSections": {"group6": "50", "group7": "51"}})
    assert merged["defaultSections"] == {"user1": "4", "group6": "50", "group7": "51"}


def test_merge_replaces_only_the_reminder_kind_asked_for() -> None:
    current = {"defaultReminders": {"fullDay": [{"type": "day", "count": 1}],
                                    "withTime": [{"type": "min", "count": 15}]}}
    merged = merge(current, {"defaultReminders": {"withTime": []}})
    assert merged["defaultReminders"] == {"fullDay": [{"type": "day", "count": 1}],
                                          "withTime": []}


def test_apple_default_alarms_are_read_for_timed_and_all_day_events() -> None:
    alarms = alarms_of(SAMPLES / "icloud-export.ics")
    assert alarms.with_time is not None and alarms.full_day is not None
    assert alarms.with_time.reminders == (Reminder("hour", 1),)
    assert alarms.full_day.reminders == (Reminder("hour", 15),)
    assert "X-APPLE-DEFAULT-ALARM" in alarms.with_time.source


def test_without_apple_flags_the_most_common_alarm_set_is_proposed_as_such() -> None:
    alarms = alarms_of(DATA / "most-common-alarms.ics")
    assert alarms.with_time == DefaultAlarm(
        (Reminder("min", 30), Reminder("day", 1)),
        "the most common alarm of timed events, a guess: set on 2 of the 3 timed events "
        "that have alarms (4 in all)")


def test_silent_alarms_propose_nothing() -> None:
    assert alarms_of(DATA / "most-common-alarms.ics").full_day is None


def test_a_tie_goes_to_the_alarm_seen_first() -> None:
    alarms = alarms_of(DATA / "tied-alarms.ics")
    assert alarms.full_day is not None
    assert alarms.full_day.reminders == (Reminder("hour", 2),)


@pytest.mark.parametrize(("sample", "with_time", "full_day"), [
    ("google-export.ics", (Reminder("min", 10),), None),
    ("outlook-export.ics", (Reminder("min", 15),), None),
    ("recurring-meeting.ics", (Reminder("min", 5),), None),
    ("all-day.ics", None, (Reminder("day", 1),)),
    ("attendees.ics", None, None),
])
def test_samples_propose_their_most_common_alarms(
        sample: str, with_time: tuple[Reminder, ...] | None,
        full_day: tuple[Reminder, ...] | None) -> None:
    alarms = alarms_of(SAMPLES / sample)
    assert (alarms.with_time.reminders if alarms.with_time else None) == with_time
    assert (alarms.full_day.reminders if alarms.full_day else None) == full_day


def test_reminders_given_on_the_command_line_win_over_the_file() -> None:
    request = SettingsRequest(reminders_with_time=(Reminder("min", 5),))
    proposed, notes = with_proposed(request, alarms_of(SAMPLES / "icloud-export.ics"))
    assert proposed.reminders_with_time == (Reminder("min", 5),)
    assert proposed.reminders_full_day == (Reminder("hour", 15),)
    assert notes[0] == "defaultReminders.withTime: kept as given on the command line"
