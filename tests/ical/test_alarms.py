from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ics2b24.ical.alarms import Reminders, reminders, to_reminder
from ics2b24.ical.fields import event_span
from ics2b24.ical.read import normalise_event
from ics2b24.model import Reminder
from tests.ical.ics import vevent

BERLIN = ZoneInfo("Europe/Berlin")


def _alarm(trigger: str, action: str = "DISPLAY") -> str:
    return f"BEGIN:VALARM\nACTION:{action}\nDESCRIPTION:x\nTRIGGER{trigger}\nEND:VALARM"


def _reminders(*alarms: str, when: str = "DTSTART;TZID=Europe/Berlin:20240617T100000\n"
               "DTEND;TZID=Europe/Berlin:20240617T110000") -> Reminders:
    event = vevent("UID:a\n" + when + "\n" + "\n".join(alarms))
    normalise_event(event, BERLIN)
    span = event_span(event)
    return reminders(event, span.start, span.end, BERLIN)


def test_relative_alarm_before_start_is_a_reminder() -> None:
    assert _reminders(_alarm(":-PT15M")).reminders == (Reminder("min", 15),)


def test_alarm_at_the_start_is_zero_minutes() -> None:
    assert _reminders(_alarm(":PT0S")).reminders == (Reminder("min", 0),)


@pytest.mark.parametrize(("trigger", "expected"), [
    (":-PT2H", Reminder("hour", 2)), (":-P1D", Reminder("day", 1)),
    (":-PT90M", Reminder("min", 90)), (":-P1W", Reminder("day", 7)),
    (":-PT1440M", Reminder("day", 1))])
def test_reminder_uses_the_largest_whole_unit(trigger: str, expected: Reminder) -> None:
    assert _reminders(_alarm(trigger)).reminders == (expected,)


def test_seconds_are_rounded_up_to_the_next_minute_with_a_warning() -> None:
    result = _reminders(_alarm(":-PT90S"))
    assert result.reminders == (Reminder("min", 2),)
    assert "rounded up" in result.warnings[0]


def test_alarm_related_to_end_counts_from_the_end() -> None:
    assert _reminders(_alarm(";RELATED=END:-PT90M")).reminders == (Reminder("min", 30),)


def test_alarm_related_to_end_after_the_start_is_a_warning() -> None:
    result = _reminders(_alarm(";RELATED=END:-PT15M"))
    assert result.reminders == ()
    assert "after the start" in result.warnings[0]


def test_absolute_alarm_counts_back_from_the_start() -> None:
    result = _reminders(_alarm(";VALUE=DATE-TIME:20240617T073000Z"))
    assert result.reminders == (Reminder("min", 30),)


def test_alarm_after_the_start_is_a_warning_not_a_reminder() -> None:
    result = _reminders(_alarm(":PT10M"))
    assert result.reminders == ()
    assert result.warnings == ["an alarm 10 min after the start was left out (Bitrix24 "
                               "reminds only before the start)"]


def test_action_none_alarm_is_ignored_without_warning() -> None:
    assert _reminders(_alarm(":-PT15M", action="NONE")) == Reminders((), [])


def test_duplicate_alarms_give_one_reminder() -> None:
    assert _reminders(_alarm(":-PT15M"), _alarm(":-PT15M", action="AUDIO")).reminders == (
        Reminder("min", 15),)


def test_all_day_alarm_counts_from_midnight() -> None:
    result = _reminders(_alarm(":-PT15H"), when="DTSTART;VALUE=DATE:20240617")
    assert result.reminders == (Reminder("hour", 15),)


def test_alarm_without_trigger_is_a_warning() -> None:
    result = _reminders("BEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM")
    assert result.reminders == ()
    assert "no readable TRIGGER" in result.warnings[0]


def test_to_reminder_zero_is_minutes() -> None:
    assert to_reminder(0) == Reminder("min", 0)
