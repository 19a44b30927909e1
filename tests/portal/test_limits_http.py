"""The two limits of `limits.md` as a client meets them over HTTP: 503 QUERY_LIMIT_EXCEEDED from
the leaky bucket, 429 OPERATION_TIME_LIMIT from per-method operating time, and the `time` block
that lets a client stay under both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal
from tests.clock import FakeClock

GET = "calendar.section.get"
PARAMS = {"type": "user", "ownerId": 1}
TWO_USERS = {"users": [{"id": 1, "name": "A", "admin": True, "webhook_token": "tokenone"},
                       {"id": 2, "name": "B", "webhook_token": "tokentwo"}]}


def _post(url: str, method: str, **params: Any) -> requests.Response:
    return requests.post(url + method, json={**PARAMS, **params}, timeout=5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def bucket_portal(make_portal: Callable[..., Portal], clock: FakeClock) -> Portal:
    return make_portal(clock=clock, limits=LimitSettings(rate=2, burst=3))


@pytest.fixture
def operating_portal(make_portal: Callable[..., Portal], clock: FakeClock) -> Portal:
    settings = LimitSettings(operating_limit=0.5, costs={GET: 0.3, "user.current": 0.0})
    return make_portal(clock=clock, limits=settings, users=TWO_USERS)


def test_request_past_the_burst_is_query_limit_exceeded(bucket_portal: Portal) -> None:
    statuses = [_post(bucket_portal.webhook_url, GET).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 503]


def test_query_limit_answer_is_the_documented_error(bucket_portal: Portal) -> None:
    for _ in range(3):
        _post(bucket_portal.webhook_url, GET)
    assert _post(bucket_portal.webhook_url, GET).json() == {
        "error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}


def test_bucket_drains_with_time(bucket_portal: Portal, clock: FakeClock) -> None:
    for _ in range(4):
        _post(bucket_portal.webhook_url, GET)
    clock.now += 0.5
    assert _post(bucket_portal.webhook_url, GET).status_code == 200


def test_bucket_is_per_portal_across_credentials(bucket_portal: Portal) -> None:
    grant = bucket_portal.mint_tokens()
    for _ in range(3):
        _post(bucket_portal.webhook_url, GET)
    answer = _post(f"{bucket_portal.base_url}/rest/", GET, auth=grant.access_token)
    assert answer.status_code == 503


def test_batch_counts_as_one_request(bucket_portal: Portal) -> None:
    cmd = {str(i): "calendar.section.get?type=user&ownerId=1" for i in range(10)}
    answers = [_post(bucket_portal.webhook_url, "batch", cmd=cmd) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]


def test_counters_count_query_limit_answers(bucket_portal: Portal) -> None:
    for _ in range(5):
        _post(bucket_portal.webhook_url, GET)
    counters = bucket_portal.counters()
    assert counters.requests == 5
    assert counters.query_limit_exceeded == 2
    assert counters.statuses == {200: 3, 503: 2}


def test_time_operating_reports_the_methods_accumulated_cost(operating_portal: Portal) -> None:
    first = _post(operating_portal.webhook_url, GET).json()["time"]
    second = _post(operating_portal.webhook_url, GET).json()["time"]
    assert first["operating"] == pytest.approx(0.3)
    assert second["operating"] == pytest.approx(0.6)


def test_operating_reset_at_is_ten_minutes_after_the_first_call(
        operating_portal: Portal, clock: FakeClock) -> None:
    first_call = clock.now
    _post(operating_portal.webhook_url, GET)
    clock.now += 30
    answer = _post(operating_portal.webhook_url, GET).json()["time"]
    assert answer["operating_reset_at"] == int(first_call + 600)


def test_call_after_the_limit_is_operation_time_limit(operating_portal: Portal) -> None:
    statuses = [_post(operating_portal.webhook_url, GET).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_operation_time_limit_answer(operating_portal: Portal) -> None:
    for _ in range(2):
        _post(operating_portal.webhook_url, GET)
    body = _post(operating_portal.webhook_url, GET).json()
    assert body["error"] == "OPERATION_TIME_LIMIT"
    assert operating_portal.counters().operation_time_limit == 1


def test_blocked_method_is_free_after_the_window(operating_portal: Portal,
                                                 clock: FakeClock) -> None:
    for _ in range(3):
        _post(operating_portal.webhook_url, GET)
    clock.now += 600
    assert _post(operating_portal.webhook_url, GET).status_code == 200


def test_other_methods_go_on_while_one_is_blocked(operating_portal: Portal) -> None:
    for _ in range(3):
        _post(operating_portal.webhook_url, GET)
    assert _post(operating_portal.webhook_url, "user.current").status_code == 200


def test_other_webhooks_go_on_while_one_is_blocked(operating_portal: Portal) -> None:
    for _ in range(3):
        _post(operating_portal.webhook_url, GET)
    assert _post(operating_portal.webhook_url_for(2), GET).status_code == 200


def test_batch_commands_are_charged_to_their_own_methods(operating_portal: Portal) -> None:
    body = _post(operating_portal.webhook_url, "batch", cmd={
        "a": "calendar.section.get?type=user&ownerId=1",
        "b": "calendar.section.get?type=user&ownerId=1",
    }).json()
    times = body["result"]["result_time"]
    assert times["a"]["operating"] == pytest.approx(0.3)
    assert times["b"]["operating"] == pytest.approx(0.6)
    assert body["time"]["operating"] == 0


def test_blocked_command_inside_batch_ends_in_result_error(operating_portal: Portal) -> None:
    cmd = {str(i): "calendar.section.get?type=user&ownerId=1" for i in range(3)}
    answer = _post(operating_portal.webhook_url, "batch", cmd=cmd)
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert isinstance(result["result"], list) and len(result["result"]) == 2
    assert result["result_error"]["2"]["error"] == "OPERATION_TIME_LIMIT"
    assert operating_portal.counters().operation_time_limit == 1


def test_time_scale_runs_costs_k_times_faster(make_portal: Callable[..., Portal],
                                              clock: FakeClock) -> None:
    portal = make_portal(clock=clock, limits=LimitSettings(
        time_scale=100, operating_limit=480, costs={GET: 0.3}))
    body = _post(portal.webhook_url, GET).json()["time"]
    assert body["operating"] == pytest.approx(0.003)
    assert body["operating_reset_at"] == pytest.approx(clock.now + 6)
