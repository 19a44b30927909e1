"""`backup` writes what a section holds so that pushing the file into an empty section gives
the same calendar back: judged by what both sections show (tests/sync_model.py), over HTTP."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal, PortalConfig
from tests.sync_machine import LIMITS, events
from tests.sync_model import FIRST, LAST, Event, Occurrence, Rule, calendar, portal_view, run


def _target(portal: Portal, *section: str) -> list[str]:
    return ["--webhook", portal.webhook_url, "--type", "user", "--owner", "1",
            *(section or ("--section", "1"))]


def _pushed(portal: Portal, tmp: Path, evs: list[Event]) -> None:
    path = tmp / "calendar.ics"
    path.write_text(calendar(evs), encoding="utf-8")
    code, _, err = run("push", str(path), *_target(portal), "--state", str(tmp / "s.sqlite3"))
    assert code == 0, err


def _restored(portal: Portal, tmp: Path) -> tuple[Counter[Occurrence], Counter[Occurrence],
                                                  str]:
    """(what section 1 shows, what a new section the backup was pushed into shows, what
    backup said)."""
    code, out, said = run("backup", *_target(portal), "--from", f"{FIRST}", "--to", f"{LAST}")
    assert code == 0, said
    path = tmp / "backup.ics"
    path.write_text(out, encoding="utf-8")
    code, _, err = run("push", str(path), *_target(portal, "--section-name", "Restored"),
                       "--state", str(tmp / "restore.sqlite3"))
    assert code == 0, err
    return portal_view(portal, 1), _shown_in(portal, "Restored"), said


def _shown_in(portal: Portal, name: str) -> Counter[Occurrence]:
    sections = portal.api.call(portal.first_user, "calendar.section.get",
                               {"type": "user", "ownerId": 1})
    return portal_view(portal, next(int(s["ID"]) for s in sections if s["NAME"] == name))


def _weekly(**fields: object) -> Event:
    base = Event(uid="w@test", name="Standup", start=datetime(2025, 3, 3, 9),
                 zone="Europe/Berlin", all_day=False, length=30,
                 rule=Rule("WEEKLY", 1, ("MO", "WE"), 8, False), description="Notes",
                 location="Room 2", alarm=15, color="red")
    return base.edited(**fields) if fields else base


def test_a_series_with_a_skipped_day_and_a_moved_occurrence_comes_back_the_same(
        portal: Portal, tmp_path: Path) -> None:
    """Written in the portal as a user does: a weekly series, one Monday moved to Tuesday
    afternoon with its own words (`this`), another skipped (its copy deleted)."""
    user = portal.first_user
    series = int(portal.api.call(user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Weekly",
        "from": "2025-03-03T09:00:00", "to": "2025-03-03T10:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "description": "Notes", "color": "#ff0000", "remind": [{"type": "min", "count": 15}],
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 6, "BYDAY": ["MO"]}}))
    portal.api.call(user, "calendar.event.update", {
        "id": series, "type": "user", "ownerId": 1, "name": "Weekly",
        "recurrence_mode": "this", "current_date_from": "2025-03-24"})
    for copy in portal.api.store.detached(series):
        portal.api.store.delete_event(int(copy["id"]))  # the day is left skipped
    portal.api.call(user, "calendar.event.update", {
        "id": series, "type": "user", "ownerId": 1, "name": "Weekly",
        "from": "2025-03-11T15:00:00", "to": "2025-03-11T16:00:00",
        "description": "Moved notes", "recurrence_mode": "this",
        "current_date_from": "2025-03-10"})
    shown, restored, _ = _restored(portal, tmp_path)
    assert sum(shown.values()) == 5
    assert restored == shown
    written = (tmp_path / "backup.ics").read_text(encoding="utf-8")
    for line in ("RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20250324T090000",
                 "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000", "TRIGGER:-PT15M",
                 "DESCRIPTION:Moved notes", "COLOR:#ff0000"):
        assert line in written


def test_a_series_whose_rule_the_portal_shows_otherwise_is_written_as_its_occurrences(
        portal: Portal, tmp_path: Path) -> None:
    """The user's own rule, written in the portal: a monthly series on the 31st the portal
    expands its own way. The file says what the section shows, not what the rule says."""
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Rent",
        "from": "2025-01-31T10:00:00", "to": "2025-01-31T11:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "rrule": {"FREQ": "MONTHLY", "INTERVAL": 1, "COUNT": 6}})
    shown, restored, said = _restored(portal, tmp_path)
    assert shown
    assert restored == shown
    assert "1 series written as the occurrences the section shows" in said


@pytest.mark.parametrize("generation", [3, 1])
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=4, unique=True).flatmap(
    lambda ids: st.tuples(*(events(f"e{i}@backup.test") for i in ids))))
def test_any_calendar_pushed_and_backed_up_comes_back_the_same(
        generation: int, evs: tuple[Event, ...]) -> None:
    portal = Portal(PortalConfig(limits=LIMITS, profile=Profile(generation=generation))).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _pushed(portal, Path(tmp), list(evs))
            shown, restored, _ = _restored(portal, Path(tmp))
            assert restored == shown
    finally:
        portal.stop()


def test_push_with_backup_saves_the_section_before_prune_deletes_from_it(
        portal: Portal, tmp_path: Path) -> None:
    both = [_weekly(), _weekly(uid="x@test", name="Review", rule=None)]
    _pushed(portal, tmp_path, both)
    before = portal_view(portal, 1)
    path = tmp_path / "calendar.ics"
    path.write_text(calendar(both[:1]), encoding="utf-8")
    saved = tmp_path / "before.ics"
    code, _, err = run("push", str(path), *_target(portal), "--state",
                       str(tmp_path / "s.sqlite3"), "--prune", "--backup", str(saved))
    assert code == 0, err
    assert "1 deleted" in err and f"saved the section's 2 event(s) to {saved}" in err
    code, _, err = run("push", str(saved), *_target(portal, "--section-name", "Restored"),
                       "--state", str(tmp_path / "restore.sqlite3"))
    assert code == 0, err
    assert _shown_in(portal, "Restored") == before


def test_push_with_backup_into_a_section_not_made_yet_saves_nothing(
        portal: Portal, tmp_path: Path) -> None:
    path = tmp_path / "calendar.ics"
    path.write_text(calendar([_weekly()]), encoding="utf-8")
    saved = tmp_path / "before.ics"
    code, _, err = run("push", str(path), *_target(portal, "--section-name", "New"),
                       "--state", str(tmp_path / "s.sqlite3"), "--backup", str(saved))
    assert code == 0, err
    assert "the section does not exist yet: nothing to back up" in err
    assert not saved.exists()
