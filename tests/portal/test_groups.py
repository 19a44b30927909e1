"""sonet_group.get: the workgroups a client asks about before it writes into a group calendar."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests

from ics2b24.errors import UsageError
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from ics2b24.portal.store import Store

GROUPS = {"users": [{"id": 1, "admin": True}],
          "groups": [{"id": 3, "name": "Sales"}, {"id": 12, "name": "Design"}]}


def _get(portal: Portal, method: str, **params: Any) -> requests.Response:
    return requests.post(portal.webhook_url + method, json=params, timeout=5)


def _ids(answer: requests.Response) -> list[str]:
    return [row["ID"] for row in answer.json()["result"]]


def test_without_groups_in_the_config_the_portal_has_groups_one_to_nine() -> None:
    store = Store()
    store.seed(None)
    assert [(g.id, g.name) for g in store.groups()] == [(n, f"Group {n}") for n in range(1, 10)]


def test_the_config_names_the_groups() -> None:
    store = Store()
    store.seed(GROUPS)
    assert [(g.id, g.name) for g in store.groups()] == [(3, "Sales"), (12, "Design")]


@pytest.mark.parametrize("groups", ["Sales", [{"name": "no id"}], [{"id": 0}],
                                    [{"id": 3}, {"id": 3}], [{"id": "3"}]])
def test_bad_groups_in_the_config_are_a_usage_error(groups: object) -> None:
    with pytest.raises(UsageError, match="groups"):
        Store().seed({"users": [{"id": 1}], "groups": groups})


def test_filter_by_id_answers_that_group(make_portal: Callable[..., Portal]) -> None:
    answer = _get(make_portal(users=GROUPS), "sonet_group.get", FILTER={"ID": 3})
    (row,) = answer.json()["result"]
    assert (row["ID"], row["NAME"], row["ACTIVE"]) == ("3", "Sales", "Y")


def test_filter_by_an_id_no_group_has_answers_an_empty_list(
        make_portal: Callable[..., Portal]) -> None:
    answer = _get(make_portal(users=GROUPS), "sonet_group.get", FILTER={"ID": 999})
    assert (answer.status_code, answer.json()["result"]) == (200, [])


def test_without_a_filter_every_group_is_listed_highest_id_first(
        make_portal: Callable[..., Portal]) -> None:
    assert _ids(_get(make_portal(users=GROUPS), "sonet_group.get")) == ["12", "3"]


def test_group_id_parameter_filters_as_the_id_does(make_portal: Callable[..., Portal]) -> None:
    assert _ids(_get(make_portal(users=GROUPS), "sonet_group.get", GROUP_ID=12)) == ["12"]


def test_filter_in_a_form_body_is_read(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=GROUPS)
    answer = requests.post(portal.webhook_url + "sonet_group.get", data={"FILTER[ID]": "12"},
                           timeout=5)
    assert _ids(answer) == ["12"]


def test_a_token_without_the_sonet_group_scope_is_refused(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="calendar,basic,user")
    answer = requests.post(f"{portal.base_url}/rest/sonet_group.get",
                           json={"auth": grant.access_token}, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (403, "insufficient_scope")


def test_a_portal_without_socialnetwork_has_no_such_method(
        make_portal: Callable[..., Portal]) -> None:
    answer = _get(make_portal(profile=Profile(socialnetwork=False)), "sonet_group.get")
    assert (answer.status_code, answer.json()["error"]) == (404, "ERROR_METHOD_NOT_FOUND")


def test_a_section_for_a_group_that_does_not_exist_is_still_added(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=GROUPS)
    answer = _get(portal, "calendar.section.add", type="group", ownerId=999, name="Nowhere")
    assert answer.status_code == 200
    assert [s["name"] for s in portal.store.sections("group", 999)] == ["Nowhere"]


def test_a_data_file_made_before_groups_gets_them_on_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "portal.sqlite3")
    old = Store(path)
    old.seed(None)
    old.close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TABLE workgroups")
        db.execute("DELETE FROM meta WHERE key = 'groups'")
    again = Store(path)
    again.seed(GROUPS)
    assert [g.id for g in again.groups()] == [3, 12]
