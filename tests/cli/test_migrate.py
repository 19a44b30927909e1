"""`ics2b24 migrate`: a company's export (tests/helpers.py `company_export`: Ann, Bob and Cy,
Ann's meetings with both in every export) moved into the test portal over HTTP."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal
from tests.helpers import (
    COMPANY_MEETINGS,
    COMPANY_USERS,
    Cli,
    company_export,
    vevent,
    write,
)

ANN, BOB, CY = 2, 3, 4


@pytest.fixture
def company(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(users=COMPANY_USERS)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return company_export(tmp_path / "export")


def migrate(cli: Cli, portal: Portal, export: Path, tmp_path: Path, *args: str,
            webhook: str | None = None) -> tuple[int, str, str]:
    return cli("migrate", str(export), "--webhook", webhook or portal.webhook_url,
               "--state-dir", str(tmp_path / "state"), *args)


def sections(portal: Portal, owner: int) -> dict[str, list[str]]:
    """Each section of the user's calendar → the names of the events stored in it."""
    return {s["name"]: sorted(e["name"] for e in portal.store.events("user", owner, [s["id"]]))
            for s in portal.store.sections("user", owner)}


def shown(portal: Portal, owner: int) -> Counter[str]:
    """How often each event shows in the user's calendar (any section, as attendee too)."""
    rows = portal.api.call(portal.first_user, "calendar.event.get",
                           {"type": "user", "ownerId": owner, "from": "2025-01-01",
                            "to": "2031-01-01"})
    return Counter(row["NAME"] for row in rows)


def report(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "state" / "report.csv").open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def test_each_calendar_goes_into_a_section_named_after_it_in_its_persons_calendar(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    code, _, err = migrate(cli, company, export, tmp_path)
    assert code == 0, err
    assert sections(company, ANN)["ann@example.com"] == ["Ann's dentist", *COMPANY_MEETINGS]
    assert sections(company, ANN)["Team"] == ["Team lunch"]
    assert sections(company, BOB)["bob@example.com"] == ["Bob's gym", *COMPANY_MEETINGS]
    assert sections(company, CY)["cy@example.com"] == list(COMPANY_MEETINGS)


def test_by_default_everyone_keeps_their_own_copy_and_nobody_is_invited(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    migrate(cli, company, export, tmp_path)
    assert company.api.invitations() == []
    for person in (ANN, BOB, CY):
        assert [shown(company, person)[name] for name in COMPANY_MEETINGS] == [1, 1]


def test_with_organizer_meetings_each_is_one_meeting_shown_once_to_every_attendee(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    code, _, err = migrate(cli, company, export, tmp_path, "--meetings", "organizer")
    assert code == 0, err
    assert sections(company, BOB)["bob@example.com"] == ["Bob's gym"]
    assert sections(company, CY)["cy@example.com"] == []
    meetings = [e for e in company.store.events("user", ANN, [
        s["id"] for s in company.store.sections("user", ANN)]) if e["name"] in COMPANY_MEETINGS]
    assert sorted(e["name"] for e in meetings) == list(COMPANY_MEETINGS)
    assert all(e["is_meeting"] and set(e["attendees"]) >= {BOB, CY} for e in meetings)
    invited = Counter(notice.user_id for notice in company.api.invitations()
                      if notice.kind == "invite")
    assert invited == {BOB: 1, CY: 1}


def test_the_plan_counts_people_calendars_and_invitations_and_writes_nothing(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    code, out, err = migrate(cli, company, export, tmp_path, "--dry-run", "--meetings",
                             "organizer")
    assert code == 0, err
    assert "3 people, 4 calendar(s), 9 event(s): 5 write call(s) in 3 request(s)" in out
    assert "The portal would send 2 invitation(s)" in out
    assert all(len(sections(company, p)) == 1 for p in (ANN, BOB, CY))
    assert company.api.invitations() == []


@pytest.mark.parametrize("dry_run", [True, False], ids=["plan", "migration"])
def test_the_caller_is_asked_who_it_is_once_for_the_whole_company(
        company: Portal, export: Path, tmp_path: Path, cli: Cli, dry_run: bool) -> None:
    log = MethodLog(company)
    code, _, err = migrate(cli, company, export, tmp_path, *(["--dry-run"] if dry_run else []))
    assert code == 0, err
    assert (log.calls.count("user.current"), log.calls.count("user.admin")) == (1, 1)


def test_an_owners_file_that_cannot_be_read_is_one_line_naming_the_option(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    missing = tmp_path / "owners.csv"
    code, _, err = migrate(cli, company, export, tmp_path, "--owners", str(missing))
    assert code == 2
    assert err.strip().splitlines() == [f"ics2b24: --owners {missing}: No such file or directory"]
    assert all(len(sections(company, p)) == 1 for p in (ANN, BOB, CY))


def test_the_state_db_folders_are_made_up_front_and_said_once(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    code, _, err = migrate(cli, company, export, tmp_path)
    assert code == 0, err
    created = [line for line in err.splitlines() if "created" in line and "0700" in line]
    assert created == [f"ics2b24: created 4 folder(s) (0700) for the state DBs in "
                       f"{tmp_path / 'state'}"]
    assert sorted(p.name for p in (tmp_path / "state").iterdir() if p.is_dir()) == [
        "ann@example.com", "bob@example.com", "cy@example.com"]
    assert all((tmp_path / "state" / p).stat().st_mode & 0o777 == 0o700
               for p in ("", "ann@example.com", "bob@example.com", "cy@example.com"))



def test_a_calendar_named_like_a_batch_reference_keeps_its_name(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    name = "Pay $result[s0] now"
    write(export / "ann@example.com" / "Calendar" / "pay.ics",
          "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nX-WR-CALNAME:" + name + "\n"
          + vevent("pay@x", "20250303T090000", "Pay") + "END:VCALENDAR\n")
    code, _, err = migrate(cli, company, export, tmp_path)
    assert code == 0, err
    assert sections(company, ANN)[name] == ["Pay"]


def test_the_report_says_per_calendar_what_was_written_and_that_verify_found_it_equal(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    migrate(cli, company, export, tmp_path)
    rows = {(r["person"], r["calendar"]): r for r in report(tmp_path)}
    assert set(rows) == {("ann@example.com", "ann@example.com"), ("ann@example.com", "Team"),
                         ("bob@example.com", "bob@example.com"),
                         ("cy@example.com", "cy@example.com")}
    assert [(r["events"], r["written"], r["verdict"]) for _, r in sorted(rows.items())] == [
        ("1", "1", "equal"), ("3", "3", "equal"), ("3", "3", "equal"), ("2", "2", "equal")]
    data = json.loads((tmp_path / "state" / "report.json").read_text(encoding="utf-8"))
    assert {row["owner"] for row in data} == {ANN, BOB, CY}


def test_the_same_migration_again_writes_nothing(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    migrate(cli, company, export, tmp_path, "--meetings", "organizer")
    before = {p: sections(company, p) for p in (ANN, BOB, CY)}
    code, _, err = migrate(cli, company, export, tmp_path, "--meetings", "organizer")
    assert code == 0, err
    assert [r["written"] for r in report(tmp_path)] == ["0"] * 4
    assert {p: sections(company, p) for p in (ANN, BOB, CY)} == before


def test_owners_from_a_map_move_a_person_whose_address_the_portal_does_not_know(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    (export / "ann@example.com").rename(export / "ann.smith@old-domain.com")
    owners = write(tmp_path / "owners.csv", "email,user_id\nann.smith@old-domain.com,2\n"
                   "bob@example.com,3\ncy@example.com,4\n")
    code, _, err = migrate(cli, company, export, tmp_path, "--owners", str(owners))
    assert code == 0, err
    assert "Team" in sections(company, ANN)


def test_a_person_without_a_portal_user_is_reported_and_the_others_are_moved(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    (export / "bob@example.com").rename(export / "robert@example.com")
    code, _, err = migrate(cli, company, export, tmp_path)
    assert code == 1
    assert "1 of 4 calendar(s) not moved in full" in err
    assert sections(company, ANN)["Team"] == ["Team lunch"]
    assert [r["problem"] for r in report(tmp_path) if r["person"] == "robert@example.com"] \
        == ["no portal user has this address (add it to --owners)"]


def test_an_unreadable_calendar_is_reported_and_costs_nobody_else_theirs(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    write(export / "ann@example.com" / "Calendar" / "Team.ics", "not a calendar\n")
    code, _, _ = migrate(cli, company, export, tmp_path)
    assert code == 1
    assert "Team" not in sections(company, ANN)
    assert sections(company, BOB)["bob@example.com"] == ["Bob's gym", *COMPANY_MEETINGS]
    assert [r["problem"] != "" for r in report(tmp_path) if r["calendar"] == "Team"] == [True]


def test_credentials_that_are_no_administrators_write_nothing(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    code, _, err = migrate(cli, company, export, tmp_path,
                           webhook=company.webhook_url_for(ANN))
    assert code == 2
    assert "needs an administrator's credentials" in err
    assert all(len(sections(company, p)) == 1 for p in (ANN, BOB, CY))


def test_backup_saves_a_section_that_exists_before_it_is_changed(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    section = company.api.call(company.first_user, "calendar.section.add",
                               {"type": "user", "ownerId": ANN, "name": "Team"})
    company.api.call(company.first_user, "calendar.event.add", {
        "type": "user", "ownerId": ANN, "section": section, "name": "Already there",
        "from": "2025-03-20T10:00:00", "to": "2025-03-20T11:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin"})
    code, _, err = migrate(cli, company, export, tmp_path, "--backup", str(tmp_path / "saved"))
    assert code == 0, err
    saved = (tmp_path / "saved" / "ann@example.com" / "Team.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Already there" in saved
    assert not (tmp_path / "saved" / "bob@example.com").exists() or not any(
        (tmp_path / "saved" / "bob@example.com").iterdir())


def test_a_second_run_goes_on_where_the_first_stopped(
        company: Portal, export: Path, tmp_path: Path, cli: Cli) -> None:
    some = write(tmp_path / "some.csv", "email,user_id\nann@example.com,2\ncy@example.com,4\n")
    code, _, _ = migrate(cli, company, export, tmp_path, "--owners", str(some))
    assert code == 1
    code, _, err = migrate(cli, company, export, tmp_path)
    assert code == 0, err
    written = {(r["person"], r["calendar"]): r["written"] for r in report(tmp_path)}
    assert written == {("ann@example.com", "Team"): "0",
                       ("ann@example.com", "ann@example.com"): "0",
                       ("bob@example.com", "bob@example.com"): "3",
                       ("cy@example.com", "cy@example.com"): "0"}
