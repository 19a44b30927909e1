"""A company's sections found and made before its pushes (app/company_sections.py): in one
batch request each for a small company, as push would choose and add them, and left to the
push wherever it cannot be decided here."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from ics2b24.app.company import Job, jobs, read_export
from ics2b24.app.company_sections import sections_ahead
from ics2b24.app.sections import Resolved
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.connect import Credentials, make_client
from ics2b24.ical.choices import ConvertChoices
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal
from tests.helpers import COMPANY_USERS, company_export, vevent, write

ANN, BOB, CY = 2, 3, 4
REFERENCE = "Pay $result[s0] now"
"""A calendar name a real portal would rewrite inside `batch` (docs/test-portal.md, 3)."""


@pytest.fixture
def company(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(users=COMPANY_USERS)


@pytest.fixture
def work(tmp_path: Path) -> list[Job]:
    return company_jobs(company_export(tmp_path / "export"), tmp_path / "state")


def company_jobs(export: Path, state: Path) -> list[Job]:
    owners = {"ann@example.com": ANN, "bob@example.com": BOB, "cy@example.com": CY}
    return jobs(read_export(export), owners, "copies", ConvertChoices(tz="Europe/Berlin"),
                state)


def ahead(portal: Portal, work: list[Job]) -> tuple[dict[Path, Resolved], Client]:
    with closing(make_client(Credentials(webhook=portal.webhook_url))) as client:
        return sections_ahead(client, work), client


def names(portal: Portal, owner: int) -> dict[str, int]:
    return {s["name"]: int(s["id"]) for s in portal.store.sections("user", owner)}


def every_name(portal: Portal, owner: int) -> list[str]:
    return sorted(s["name"] for s in portal.store.sections("user", owner))


def test_every_persons_sections_are_listed_and_the_missing_added_in_one_request_each(
        company: Portal, work: list[Job]) -> None:
    log = MethodLog(company)
    found, client = ahead(company, work)
    assert client.requests_sent == 2
    assert sorted(log.calls) == ["calendar.section.add"] * 4 + ["calendar.section.get"] * 3
    assert found == {job.state: Resolved(names(company, job.target.owner)[
        job.target.section_name or ""], created=True) for job in work}


def test_a_section_that_has_the_calendars_name_already_is_found_not_added(
        company: Portal, work: list[Job]) -> None:
    team = company.api.call(company.first_user, "calendar.section.add",
                            {"type": "user", "ownerId": ANN, "name": "Team"})
    found, _ = ahead(company, work)
    (job,) = [j for j in work if j.target.section_name == "Team"]
    assert found[job.state] == Resolved(int(team), created=False)
    assert every_name(company, ANN).count("Team") == 1


def test_a_calendar_with_a_state_db_is_left_to_its_push(
        company: Portal, work: list[Job]) -> None:
    earlier = work[0].state
    earlier.parent.mkdir(parents=True)
    earlier.touch()
    found, _ = ahead(company, work)
    assert earlier not in found
    assert work[0].target.section_name not in every_name(company, work[0].target.owner)


def test_a_name_two_sections_carry_is_left_to_its_push(
        company: Portal, work: list[Job]) -> None:
    for _ in range(2):
        company.api.call(company.first_user, "calendar.section.add",
                         {"type": "user", "ownerId": BOB, "name": "bob@example.com"})
    found, _ = ahead(company, work)
    assert {job.target.owner for job in work if job.state in found} == {ANN, CY}
    assert every_name(company, BOB) == ["Bob", "bob@example.com", "bob@example.com"]


def test_a_name_a_portal_reads_as_a_batch_reference_is_left_to_its_push(
        company: Portal, tmp_path: Path) -> None:
    export = company_export(tmp_path / "export")
    write(export / "ann@example.com" / "Calendar" / "pay.ics",
          "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nX-WR-CALNAME:" + REFERENCE
          + "\n" + vevent("pay@x", "20250303T090000", "Pay") + "END:VCALENDAR\n")
    work = company_jobs(export, tmp_path / "state")
    found, _ = ahead(company, work)
    (pay,) = [job for job in work if job.target.section_name == REFERENCE]
    assert pay.state not in found
    assert len(found) == len(work) - 1
    assert REFERENCE not in every_name(company, ANN)
    assert not any(name.startswith("Pay ") for name in every_name(company, ANN))
