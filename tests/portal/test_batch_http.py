"""`batch` through the portal over HTTP, in the wire forms of batch.md and data-encoding.md."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from ics2b24.portal.server import Portal

SECTION_ADD = "calendar.section.add?type=user&ownerId=1&name=Batch"
EVENT = ("calendar.event.add?type=user&ownerId=1&section=$result[s]&name=Linked"
         "&from=2024-06-17T10:00:00&to=2024-06-17T11:00:00"
         "&timezone_from=Europe%2FBerlin&timezone_to=Europe%2FBerlin")


def _batch(portal: Portal, **body: Any) -> dict[str, Any]:
    answer = requests.post(portal.webhook_url + "batch", json=body, timeout=10)
    assert answer.status_code == 200
    return dict(answer.json())


def test_linked_commands_pass_results_on(portal: Portal) -> None:
    body = _batch(portal, halt=0, cmd={
        "s": SECTION_ADD, "e": EVENT, "read": "calendar.event.getbyid?id=$result[e]",
    })["result"]
    assert body["result_error"] == []
    assert body["result"]["read"]["NAME"] == "Linked"


def test_batch_in_a_query_string_is_double_encoded(portal: Portal) -> None:
    url = f"{portal.webhook_url}batch?halt=0&cmd[a]={quote(SECTION_ADD, safe='')}"
    body = requests.get(url, timeout=5).json()["result"]
    assert isinstance(body["result"]["a"], int)


def test_batch_as_form_body(portal: Portal) -> None:
    answer = requests.post(portal.webhook_url + "batch",
                           data={"halt": "0", "cmd[0]": SECTION_ADD, "cmd[1]": SECTION_ADD},
                           timeout=5)
    body = answer.json()["result"]
    assert isinstance(body["result"], list) and len(body["result"]) == 2


def test_response_has_every_documented_part(portal: Portal) -> None:
    answer = _batch(portal, cmd={"s": SECTION_ADD})
    assert set(answer["result"]) == {"result", "result_error", "result_total", "result_next",
                                     "result_time"}
    assert set(answer["result"]["result_time"]["s"]) >= {"start", "finish", "duration",
                                                         "operating", "operating_reset_at"}
    assert "time" in answer


def test_error_in_one_command_leaves_the_others(portal: Portal) -> None:
    body = _batch(portal, halt=0, cmd={
        "bad": "calendar.section.add?name=NoType", "good": SECTION_ADD,
    })["result"]
    assert "good" in body["result"]
    assert body["result_error"]["bad"]["error"] == ""


def test_halt_stops_after_the_first_error(portal: Portal) -> None:
    body = _batch(portal, halt=1, cmd={
        "bad": "calendar.section.add?name=NoType", "never": SECTION_ADD,
    })["result"]
    assert body["result"] == []
    assert list(body["result_error"]) == ["bad"]


def test_unknown_method_inside_batch(portal: Portal) -> None:
    body = _batch(portal, cmd={"x": "crm.lead.add?fields[TITLE]=a"})["result"]
    assert body["result_error"]["x"] == {"error": "ERROR_METHOD_NOT_FOUND",
                                         "error_description": "Method not found!"}


def test_nested_batch_is_refused(portal: Portal) -> None:
    inner = "batch?cmd[0]=" + quote(SECTION_ADD, safe="")
    body = _batch(portal, cmd={"inner": inner})["result"]
    assert body["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_fifty_first_command_is_batch_length_exceeded(portal: Portal) -> None:
    body = _batch(portal, cmd=[SECTION_ADD] * 51)["result"]
    assert len(body["result"]) == 50
    assert body["result_error"] == {"50": {"error": "ERROR_BATCH_LENGTH_EXCEEDED",
                                           "error_description": "Max batch length exceeded"}}
