"""The target section and `push --section-from-ics`, over loopback HTTP against
the embedded portal."""

from __future__ import annotations

from typing import Any

import pytest

from ics2b24.app.sections import (
    Resolved,
    SectionFields,
    add_section,
    list_sections,
    resolve_section,
    update_section,
    update_section_from_ics,
)
from ics2b24.app.target import Target
from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.errors import UsageError
from ics2b24.model import Section
from ics2b24.portal.server import Portal


def no_sleep(seconds: float) -> None:
    """The test portal's limits never bind here."""


@pytest.fixture
def client(portal: Portal) -> Client:
    return Client(WebhookAuth.parse(portal.webhook_url), sleep=no_sleep)


def requests_answered(portal: Portal) -> int:
    """Requests the portal has answered so far (each test's own client sends them all)."""
    return portal.counters().requests


def row(client: Client, cal_type: str, owner: int, section_id: int) -> dict[str, Any]:
    rows = client.call("calendar.section.get", {"type": cal_type, "ownerId": owner})
    return next(r for r in rows if r["ID"] == str(section_id))


def test_section_id_that_exists_is_the_target(client: Client) -> None:
    first = list_sections(client, "user", 1)[0].id
    assert resolve_section(client, Target("user", 1, section_id=first)).id == first


def test_section_id_missing_from_that_calendar_is_a_usage_error_naming_it(
        client: Client) -> None:
    with pytest.raises(UsageError, match="section 999 does not exist in the user calendar 1"):
        resolve_section(client, Target("user", 1, section_id=999))


def test_section_id_of_another_calendar_is_not_accepted(client: Client) -> None:
    group_section = add_section(client, "group", 7, SectionFields(name="Team"))
    with pytest.raises(UsageError, match=f"section {group_section} does not exist"):
        resolve_section(client, Target("user", 1, section_id=group_section))


def test_section_name_finds_the_existing_section(client: Client, portal: Portal) -> None:
    made = add_section(client, "user", 1, SectionFields(name="Imported"))
    before = requests_answered(portal)
    assert resolve_section(client, Target("user", 1, section_name="Imported")) == Resolved(
        made, created=False)
    assert requests_answered(portal) == before + 1


def test_section_name_missing_in_a_user_calendar_is_created(client: Client) -> None:
    made = resolve_section(client, Target("user", 1, section_name="From Google"))
    assert made.created and row(client, "user", 1, made.id)["NAME"] == "From Google"
    assert resolve_section(client, Target("user", 1, section_name="From Google")) == Resolved(
        made.id, created=False)


def test_section_name_missing_in_a_group_calendar_is_created(client: Client) -> None:
    made = resolve_section(client, Target("group", 12, section_name="Sprints")).id
    assert row(client, "group", 12, made)["NAME"] == "Sprints"


def test_created_section_takes_description_and_colour_from_the_calendar(
        client: Client) -> None:
    meta = Section(name="Other name", description="Berlin team", color="#ff2968")
    made = resolve_section(client, Target("user", 1, section_name="Team"), create=meta).id
    created = row(client, "user", 1, made)
    assert (created["NAME"], created["DESCRIPTION"], created["COLOR"]) == (
        "Team", "Berlin team", "#ff2968")


def test_company_calendar_section_is_only_found(client: Client) -> None:
    with pytest.raises(UsageError, match="no section named 'Holidays' in the company calendar"):
        resolve_section(client, Target("company_calendar", 0, section_name="Holidays"))
    assert client.call("calendar.section.get", {"type": "company_calendar", "ownerId": 0}) == []


def test_two_sections_with_the_name_are_ambiguous(client: Client) -> None:
    first = add_section(client, "user", 1, SectionFields(name="Twin"))
    second = add_section(client, "user", 1, SectionFields(name="Twin"))
    with pytest.raises(UsageError, match=f"ids {first}, {second}"):
        resolve_section(client, Target("user", 1, section_name="Twin"))


def test_section_from_ics_updates_name_description_and_colour(client: Client) -> None:
    made = add_section(client, "user", 1, SectionFields(name="Imported"))
    meta = Section(name="Home", description="Family things", color="#ff2968")
    assert update_section_from_ics(client, Target("user", 1, section_id=made), made, meta)
    updated = row(client, "user", 1, made)
    assert (updated["NAME"], updated["DESCRIPTION"], updated["COLOR"]) == (
        "Home", "Family things", "#ff2968")


def test_section_from_ics_sends_nothing_when_the_section_already_matches(
        client: Client, portal: Portal) -> None:
    made = add_section(client, "user", 1, SectionFields(
        name="Home", description="Family things", color="#FF2968"))
    before = requests_answered(portal)
    meta = Section(name="Home", description="Family things", color="#ff2968")
    assert not update_section_from_ics(client, Target("user", 1, section_id=made), made, meta)
    assert requests_answered(portal) == before + 1


def test_section_from_ics_leaves_fields_the_calendar_does_not_name(client: Client) -> None:
    made = add_section(client, "user", 1, SectionFields(
        name="Imported", description="kept", color="#112233"))
    assert update_section_from_ics(client, Target("user", 1, section_id=made), made,
                                   Section(name="Renamed"))
    updated = row(client, "user", 1, made)
    assert (updated["NAME"], updated["DESCRIPTION"], updated["COLOR"]) == (
        "Renamed", "kept", "#112233")


def test_update_sends_only_what_differs(client: Client) -> None:
    made = add_section(client, "user", 1, SectionFields(name="A", color="#112233"))
    changes = update_section(client, "user", 1, made,
                             SectionFields.build(name="A", color="#aabbcc"))
    assert changes == {"color": "#aabbcc"}
