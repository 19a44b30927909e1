"""Several inbound webhooks of one user (`portal serve --webhooks N`): each has its own
operating-time ledger, all share the portal's one request bucket (`limits.md`: operating time
is per method per webhook or application, the request rate per portal and source IP)."""

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
SCALE = 100.0
COST = 25.0
SCALED_LIMITS = LimitSettings(time_scale=SCALE, costs={GET: COST})
"""The real limits (2/50, 480 s per 600 s) 100× faster, and a method that costs 25 s a call
(limits.md's example has 20 s): the 20th call takes it past 480 s, so the 21st is refused
(costs exact in binary, so no rounding moves that call)."""
CALLS_TO_EXHAUST = 20


def _post(url: str, method: str = GET) -> requests.Response:
    return requests.post(url + method, json=PARAMS, timeout=5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def two_webhooks(make_portal: Callable[..., Portal], clock: FakeClock) -> Portal:
    return make_portal(clock=clock, limits=SCALED_LIMITS, webhooks=2)


def _exhaust(url: str) -> list[int]:
    return [_post(url).status_code for _ in range(CALLS_TO_EXHAUST + 1)]


def test_the_first_user_gets_n_webhooks_the_first_being_webhook_url(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(webhooks=3)
    urls = portal.webhook_urls
    assert len(set(urls)) == 3 and urls[0] == portal.webhook_url
    assert all(url.startswith(f"{portal.base_url}/rest/1/") for url in urls)


def test_every_webhook_of_the_user_answers(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(webhooks=3)
    answers: list[Any] = [_post(url, "user.current").json()["result"]["ID"]
                          for url in portal.webhook_urls]
    assert answers == ["1", "1", "1"]


def test_a_portal_serves_one_webhook_by_default(portal: Portal) -> None:
    assert portal.webhook_urls == [portal.webhook_url]


def test_exhausting_one_webhook_blocks_its_method(two_webhooks: Portal) -> None:
    assert _exhaust(two_webhooks.webhook_urls[0])[-2:] == [200, 429]


def test_exhausting_one_webhook_leaves_the_other_webhook_free(two_webhooks: Portal) -> None:
    _exhaust(two_webhooks.webhook_urls[0])
    assert _post(two_webhooks.webhook_urls[1]).status_code == 200


def test_each_webhook_reports_its_own_operating_time(two_webhooks: Portal,
                                                     clock: FakeClock) -> None:
    first, second = two_webhooks.webhook_urls
    for _ in range(3):
        _post(first)
    clock.now += 30 / SCALE
    answer = _post(second).json()["time"]
    assert answer["operating"] == pytest.approx(COST / SCALE)
    assert answer["operating_reset_at"] == pytest.approx(clock.now + 600 / SCALE, abs=1e-3)


def test_the_other_webhook_is_blocked_only_by_its_own_calls(two_webhooks: Portal) -> None:
    _exhaust(two_webhooks.webhook_urls[0])
    assert _exhaust(two_webhooks.webhook_urls[1])[-2:] == [200, 429]


def test_webhooks_share_one_request_bucket(make_portal: Callable[..., Portal],
                                           clock: FakeClock) -> None:
    """A burst of 51 through two webhooks is refused as 51 through one would be."""
    portal = make_portal(clock=clock, limits=LimitSettings(time_scale=SCALE), webhooks=2)
    first, second = portal.webhook_urls
    statuses = [_post(first if n % 2 else second).status_code for n in range(51)]
    assert statuses == [200] * 50 + [503]
    assert _post(first).json()["error"] == "QUERY_LIMIT_EXCEEDED"
