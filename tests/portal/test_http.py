"""The portal's HTTP surface (`settings/how-to-call-rest-api/`, `_includes/system-errors.md`),
over real loopback HTTP."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
import requests

from ics2b24.portal.server import Portal

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish",
             "operating", "operating_reset_at"}
SECTION = {"type": "user", "ownerId": 1, "name": "Imported"}


def _event(section: int, name: str = "Standup", **extra: Any) -> dict[str, Any]:
    return {"type": "user", "ownerId": 1, "section": section, "name": name,
            "from": "2024-06-17T10:00:00", "to": "2024-06-17T10:30:00",
            "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin", **extra}


def _section(portal: Portal) -> int:
    answer = requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    return int(answer.json()["result"])


def test_webhook_call_answers_result_and_time(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body["result"], int)
    assert set(body["time"]) == TIME_KEYS


def test_time_block_dates_are_iso_with_offset(portal: Portal) -> None:
    body = requests.post(portal.webhook_url + "calendar.section.add", json=SECTION,
                         timeout=5).json()
    assert body["time"]["date_start"].endswith("+00:00")
    assert body["time"]["finish"] >= body["time"]["start"]


def test_json_suffix_on_the_method_is_accepted(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "calendar.section.add.json", json=SECTION,
                           timeout=5)
    assert answer.status_code == 200


def test_query_string_parameters_reach_the_method(portal: Portal) -> None:
    requests.get(portal.webhook_url + "calendar.section.add?type=user&ownerId=1&name=From%20GET",
                 timeout=5)
    sections = requests.get(portal.webhook_url + "calendar.section.get?type=user&ownerId=1",
                            timeout=5).json()["result"]
    assert "From GET" in [s["NAME"] for s in sections]


def test_form_body_with_nested_keys_reaches_the_method(portal: Portal) -> None:
    section = _section(portal)
    form = {**_event(section), "rrule[FREQ]": "WEEKLY", "rrule[BYDAY][0]": "MO",
            "rrule[BYDAY][1]": "WE"}
    event_id = requests.post(portal.webhook_url + "calendar.event.add", data=form,
                             timeout=5).json()["result"]
    event = requests.post(portal.webhook_url + "calendar.event.getbyid", data={"id": event_id},
                          timeout=5).json()["result"]
    assert event["RRULE"]["FREQ"] == "WEEKLY"


def test_multipart_body_reaches_the_method(portal: Portal) -> None:
    files = {k: (None, str(v)) for k, v in SECTION.items()}
    files["name"] = (None, "Multipart")
    requests.post(portal.webhook_url + "calendar.section.add", files=files, timeout=5)
    sections = requests.get(portal.webhook_url + "calendar.section.get?type=user&ownerId=1",
                            timeout=5).json()["result"]
    assert "Multipart" in [s["NAME"] for s in sections]


def test_json_body_with_nested_objects_reaches_the_method(portal: Portal) -> None:
    section = _section(portal)
    event_id = requests.post(
        portal.webhook_url + "calendar.event.add",
        json=_event(section, rrule={"FREQ": "DAILY", "COUNT": 3}), timeout=5,
    ).json()["result"]
    event = requests.post(portal.webhook_url + "calendar.event.getbyid", json={"id": event_id},
                          timeout=5).json()["result"]
    assert event["RRULE"]["FREQ"] == "DAILY"


def test_wrong_webhook_token_is_no_auth_found(portal: Portal) -> None:
    url = portal.webhook_url.replace(portal.first_user.webhook_token, "wrongtoken")
    answer = requests.post(url + "calendar.section.get", json={"type": "user", "ownerId": 1},
                           timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"error": "NO_AUTH_FOUND",
                             "error_description": "Wrong authorization data"}


def test_webhook_of_an_unknown_user_is_no_auth_found(portal: Portal) -> None:
    token = portal.first_user.webhook_token
    answer = requests.post(f"{portal.base_url}/rest/999/{token}/calendar.section.get", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "NO_AUTH_FOUND"


def test_oauth_call_without_auth_is_no_auth_found(portal: Portal) -> None:
    answer = requests.post(f"{portal.base_url}/rest/calendar.section.get", json={}, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "NO_AUTH_FOUND"


def test_unknown_method_is_method_not_found(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "crm.lead.add", json={}, timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {"error": "ERROR_METHOD_NOT_FOUND",
                             "error_description": "Method not found!"}


def test_calendar_error_keeps_empty_code_and_its_status(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "calendar.section.add", json={"name": "x"},
                           timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "" and body["error_description"]


def test_malformed_json_body_is_a_400(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "calendar.section.get", data=b"{not json",
                           headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "INVALID_REQUEST"


def test_unknown_path_is_not_found(portal: Portal) -> None:
    assert requests.get(portal.base_url + "/index.php", timeout=5).status_code == 404


def test_tokens_never_reach_the_log(portal: Portal, caplog: pytest.LogCaptureFixture) -> None:
    grant = portal.mint_tokens()
    with caplog.at_level(logging.DEBUG, logger="ics2b24"):
        requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
        requests.post(portal.webhook_url + "nope", json=SECTION, timeout=5)
        requests.post(f"{portal.base_url}/rest/calendar.section.get",
                      json={"auth": grant.access_token, "type": "user", "ownerId": 1},
                      timeout=5)
        requests.get(f"{portal.base_url}/oauth/token/", params={
            "grant_type": "refresh_token", "client_id": grant.client_id,
            "client_secret": grant.client_secret, "refresh_token": grant.refresh_token,
        }, timeout=5)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("ics2b24"))
    assert "calendar.section.add 200" in text
    for secret in (portal.first_user.webhook_token, grant.access_token, grant.refresh_token,
                   grant.client_secret):
        assert secret not in text


def test_parallel_requests_each_get_their_own_event(portal: Portal) -> None:
    section = _section(portal)
    ids: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with requests.Session() as session:
            for i in range(10):
                answer = session.post(portal.webhook_url + "calendar.event.add",
                                      json=_event(section, name=f"t{n}-{i}"), timeout=10)
                with lock:
                    ids.append(answer.json()["result"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 60
    names = {requests.post(portal.webhook_url + "calendar.event.getbyid", json={"id": i},
                           timeout=5).json()["result"]["NAME"] for i in ids}
    assert len(names) == 60


def test_counters_count_requests_and_statuses(portal: Portal) -> None:
    requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    requests.post(portal.webhook_url + "nope", json={}, timeout=5)
    counters = portal.counters()
    assert counters.requests == 2
    assert counters.statuses == {200: 1, 404: 1}


def test_answers_are_utf8_json(portal: Portal) -> None:
    requests.post(portal.webhook_url + "calendar.section.add",
                  json={**SECTION, "name": "Kalender für Zoë"}, timeout=5)
    answer = requests.get(portal.webhook_url + "calendar.section.get?type=user&ownerId=1",
                          timeout=5)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert "Kalender für Zoë" in [s["NAME"] for s in json.loads(answer.content)["result"]]
