"""`verify` through real HTTP against the test portal: equal after a push, and a portal that
drops an occurrence behind the tool's back, or shows one the input lacks, is named."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ics2b24.app.session import Connection
from ics2b24.app.target import Target
from ics2b24.app.verify import verify
from ics2b24.bitrix.connect import Credentials
from ics2b24.ical.choices import ConvertChoices
from ics2b24.portal.server import Portal
from tests.helpers import portal_rows, run_cli, sample_files, target_args

CONVERT = ConvertChoices(tz="Europe/Berlin", horizon_end=date(2027, 1, 1))


def samples() -> list[tuple[str, bytes]]:
    return [(path, Path(path).read_bytes()) for path in sample_files()]


def check(portal: Portal) -> Any:
    connection = Connection(Credentials(webhook=portal.webhook_url),
                            Target("user", 1, section_id=1))
    report, _, _ = verify(samples(), connection, CONVERT)
    return report


@pytest.fixture
def pushed(portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Portal:
    code, _, err = run_cli(capsys, "push", *sample_files(),
                           *target_args(portal, tmp_path / "state.sqlite3"),
                           "--tz", "Europe/Berlin", "--horizon-end", "2027-01-01")
    assert code == 0, err
    return portal


def series_row(portal: Portal, name: str) -> dict[str, Any]:
    event_id = next(int(row["ID"]) for row in portal_rows(portal)
                    if row["NAME"] == name and row.get("RRULE"))
    stored = portal.api.store.event(event_id)
    assert stored is not None
    return stored


def test_verify_after_a_push_finds_the_portal_equal_to_the_input(pushed: Portal) -> None:
    report = check(pushed)
    assert report.equal, [r.line() for r in report.differing]
    assert report.occurrences > 20 and report.other_events == 0


def test_verify_before_a_push_names_every_uid_as_missing(portal: Portal) -> None:
    report = check(portal)
    assert not report.equal
    assert all(r.missing and not r.extra for r in report.differing)


def test_an_occurrence_the_portal_dropped_is_named(pushed: Portal) -> None:
    stored = series_row(pushed, "Apollo weekly")
    pushed.api.store.put_event({**stored, "exdate": [*stored.get("exdate", []), "2025-03-11"]})
    (differs,) = check(pushed).differing
    assert differs.uid == "apollo-weekly@example.org"
    assert [o.start for o in differs.missing] == ["2025-03-11T13:00:00Z"] and not differs.extra


def test_an_occurrence_the_portal_generates_that_the_input_lacks_is_named(
        pushed: Portal) -> None:
    stored = series_row(pushed, "Apollo weekly")
    rule = dict(stored["rrule"])
    until = datetime.strptime(rule["UNTIL"], "%m/%d/%Y") + timedelta(weeks=1)  # display form
    rule["UNTIL"] = until.strftime("%m/%d/%Y")
    pushed.api.store.put_event({**stored, "rrule": rule})
    (differs,) = check(pushed).differing
    assert differs.uid == "apollo-weekly@example.org"
    assert not differs.missing and len(differs.extra) == 1


def test_events_of_others_in_the_section_do_not_fail_verify(pushed: Portal) -> None:
    pushed.api.call(pushed.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Dentist",
        "from": "2025-03-05T08:00:00", "to": "2025-03-05T09:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin"})
    report = check(pushed)
    assert report.equal and report.other_events == 1


BIWEEKLY = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:biweekly@example.org\r\nDTSTAMP:20240101T000000Z\r\n"
    b"DTSTART;TZID=Europe/Berlin:20240102T090000\r\nDTEND;TZID=Europe/Berlin:20240102T100000\r\n"
    b"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=40\r\nSUMMARY:Review\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_month_view_the_portal_shows_on_other_days_is_named_though_the_whole_window_is_equal(
        portal: Portal) -> None:
    """The rule every two weeks on two days as one event, as a tool writing the RFC's rule
    would: from before the series the current portal shows all 40 days, but the view of
    February 2024 starts its walk from an estimate and shows the weeks in between
    (behaviour 18)."""
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Review",
        "from": "2024-01-02T09:00:00", "to": "2024-01-02T10:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": 2, "BYDAY": ["TU", "TH"], "COUNT": 40}})
    connection = Connection(Credentials(webhook=portal.webhook_url),
                            Target("user", 1, section_id=1))
    report, _, _ = verify([("biweekly.ics", BIWEEKLY)], connection, CONVERT)
    assert report.differing == [] and report.occurrences == 40
    assert not report.equal
    february = next(v for v in report.views if v.month == date(2024, 2, 1))
    (differs,) = february.differing
    assert differs.uid == "biweekly@example.org"
    assert [o.start[:10] for o in differs.missing] == [
        "2024-01-30", "2024-02-01", "2024-02-13", "2024-02-15", "2024-02-27", "2024-02-29"]
    assert [o.start[:10] for o in differs.extra] == [
        "2024-02-06", "2024-02-08", "2024-02-20", "2024-02-22", "2024-03-05", "2024-03-07"]


def test_a_push_is_exact_in_every_month_view_and_reads_them_in_batches(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "biweekly.ics"
    source.write_bytes(BIWEEKLY)
    code, _, err = run_cli(capsys, "push", str(source),
                           *target_args(portal, tmp_path / "state.sqlite3"))
    assert code == 0, err
    connection = Connection(Credentials(webhook=portal.webhook_url),
                            Target("user", 1, section_id=1))
    report, _, requests = verify([("biweekly.ics", BIWEEKLY)], connection, CONVERT,
                                 first=date(2024, 1, 1), last=date(2028, 12, 31))
    assert report.equal, [v.name() for v in report.views]
    assert report.months == 60
    assert requests == 4  # the sections, the window, two batches of month views (50 + 10)
