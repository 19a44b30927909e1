"""What a company migration asks of the portal about its people: `user.get` by e-mail, whether
the webhook is an administrator's (`user.admin`), and an administrator writing another user's
calendar (SectionAccessRule grants an admin every section action)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal

PEOPLE = {"users": [{"id": 1, "name": "Ada", "admin": True, "email": "ada@example.com"},
                    {"id": 2, "name": "Bob", "email": "Bob@Example.com"},
                    {"id": 3, "name": "Cy", "email": "cy@example.com"}]}
EVENT = {"type": "user", "ownerId": 2, "name": "Review", "from": "2025-03-03T10:00:00",
         "to": "2025-03-03T11:00:00", "timezone_from": "Europe/Berlin",
         "timezone_to": "Europe/Berlin"}


@pytest.fixture
def people(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(users=PEOPLE)


def _call(url: str, method: str, **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = requests.post(url + method, json=params, timeout=5).json()
    return answer


def _ids(answer: dict[str, Any]) -> list[str]:
    return [row["ID"] for row in answer["result"]]


def test_user_get_finds_a_user_by_email_in_filter_case_aside(people: Portal) -> None:
    assert _ids(_call(people.webhook_url, "user.get", FILTER={"EMAIL": "bob@example.COM"})) \
        == ["2"]


def test_user_get_takes_the_filter_beside_it_as_older_clients_send_it(people: Portal) -> None:
    assert _ids(_call(people.webhook_url, "user.get", EMAIL="cy@example.com")) == ["3"]


def test_user_get_with_an_unknown_email_finds_nobody(people: Portal) -> None:
    assert _call(people.webhook_url, "user.get", FILTER={"EMAIL": "eve@example.com"}) \
        ["result"] == []


def test_user_get_without_a_filter_lists_every_user_in_id_order(people: Portal) -> None:
    assert _ids(_call(people.webhook_url, "user.get")) == ["1", "2", "3"]


def test_user_admin_says_whether_the_caller_is_an_administrator(people: Portal) -> None:
    assert _call(people.webhook_url, "user.admin")["result"] is True
    assert _call(people.webhook_url_for(2), "user.admin")["result"] is False


def _section(url: str, owner: int) -> Any:
    return _call(url, "calendar.section.add", type="user", ownerId=owner, name="Moved")


def test_an_admin_adds_a_section_and_events_to_another_users_calendar(people: Portal) -> None:
    section = _section(people.webhook_url, 2)["result"]
    added = _call(people.webhook_url, "calendar.event.add", **EVENT, section=section)
    assert isinstance(added["result"], int)
    rows = people.store.events("user", 2, [int(section)])
    assert [row["name"] for row in rows] == ["Review"]


def test_another_user_may_add_a_section_to_a_calendar_but_not_write_events_in_it(
        people: Portal) -> None:
    # The current generation checks section.add against the caller's own calendar.
    section = _section(people.webhook_url_for(3), 2)["result"]
    added = _call(people.webhook_url_for(3), "calendar.event.add", **EVENT, section=section)
    assert "result" not in added and "denied" in added["error_description"].lower()


def test_the_older_generation_refuses_a_section_in_someone_elses_calendar(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=PEOPLE, profile=Profile(generation=1))
    assert "result" not in _section(portal.webhook_url_for(3), 2)
    assert "result" in _section(portal.webhook_url, 2)
