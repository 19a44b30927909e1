"""A pool of one user's webhooks (repeated --webhook): the client sends each request through
the webhook whose operating time lets it go soonest, over real HTTP against a portal that
keeps one ledger per webhook and one request bucket for them all (`limits.md`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.errors import UsageError
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal

GET = "calendar.section.get"
PARAMS = {"type": "user", "ownerId": 1}
SCALE = 100.0
LIMITS = LimitSettings(time_scale=SCALE, costs={GET: 25.0})
"""480 s per 600 s, 100× faster, and a read costing 25 s: 20 calls fill one webhook's window."""
CALLS_PER_WEBHOOK = 19
"""Calls the pacer lets through one webhook in a window: it never sends the call that would
take the sum past the limit (the portal would still run that one, and refuse the next)."""


def paced(limits: LimitSettings) -> Pacer:
    """A pacer for the scaled portal, as `bench/` makes them."""
    return Pacer(Rate(limits.rate * SCALE, limits.burst), limits.operating_limit / SCALE,
                 window=limits.operating_window / SCALE)


class Sleeps:
    """Records the client's waits without waiting: a pool that works needs none."""

    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        self.total += seconds


@pytest.fixture
def pool_portal(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(limits=LIMITS, webhooks=3)


def test_a_pool_parses_from_urls_separated_by_whitespace(pool_portal: Portal) -> None:
    auth = WebhookAuth.parse("\n ".join(pool_portal.webhook_urls))
    assert len(auth.tokens) == 3
    assert (auth.base_url, auth.user_id) == (pool_portal.base_url, 1)


def test_the_same_webhook_twice_is_one_webhook(portal: Portal) -> None:
    assert len(WebhookAuth.parse(f"{portal.webhook_url} {portal.webhook_url}").tokens) == 1


def test_a_pool_of_two_users_webhooks_is_refused_without_showing_a_token(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users={"users": [{"id": 1, "name": "A", "admin": True},
                                          {"id": 2, "name": "B"}]})
    other = portal.webhook_url_for(2)
    with pytest.raises(UsageError, match="one user's on one portal") as raised:
        WebhookAuth.parse(f"{portal.webhook_url} {other}")
    for url in (portal.webhook_url, other):
        assert url.rstrip("/").rsplit("/", 1)[1] not in str(raised.value)


def test_a_pool_of_two_portals_webhooks_is_refused() -> None:
    with pytest.raises(UsageError, match="one user's on one portal"):
        WebhookAuth.parse("https://a.example.com/rest/1/tok1/ https://b.example.com/rest/1/tok2/")


def test_a_pool_spends_each_webhooks_operating_time_without_waiting_or_refusals(
        pool_portal: Portal) -> None:
    sleeps = Sleeps()
    client = Client(WebhookAuth.parse(" ".join(pool_portal.webhook_urls)),
                    pacer=paced(LIMITS), sleep=sleeps)
    for _ in range(3 * CALLS_PER_WEBHOOK):
        client.call(GET, PARAMS)
    assert pool_portal.counters().operation_time_limit == 0
    assert sleeps.total < 1.0


def test_one_webhook_waits_where_a_pool_would_not(pool_portal: Portal) -> None:
    sleeps = Sleeps()
    client = Client(WebhookAuth.parse(pool_portal.webhook_url), pacer=paced(LIMITS),
                    sleep=sleeps)
    for _ in range(CALLS_PER_WEBHOOK + 1):
        client.call(GET, PARAMS)
    assert sleeps.total >= LIMITS.operating_window / SCALE / 2


def test_a_pool_uses_its_first_webhook_until_another_lets_calls_go_sooner(
        pool_portal: Portal) -> None:
    first, second, third = pool_portal.webhook_urls
    client = Client(WebhookAuth.parse(f"{first} {second} {third}"), pacer=paced(LIMITS),
                    sleep=Sleeps())
    for _ in range(CALLS_PER_WEBHOOK + 1):
        client.call(GET, PARAMS)
    assert _operating(first) == pytest.approx((CALLS_PER_WEBHOOK + 1) * 25.0 / SCALE)
    assert _operating(second) == pytest.approx(2 * 25.0 / SCALE)
    assert _operating(third) == pytest.approx(25.0 / SCALE)


def _operating(url: str) -> float:
    """Operating time the portal holds against this webhook's GET, after one more call."""
    import requests

    return float(requests.post(url + GET, json=PARAMS, timeout=5).json()["time"]["operating"])


def test_the_request_log_shows_no_token_of_the_pool(pool_portal: Portal,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    client = Client(WebhookAuth.parse(" ".join(pool_portal.webhook_urls)),
                    pacer=paced(LIMITS), sleep=Sleeps())
    with caplog.at_level(logging.INFO, logger="ics2b24.bitrix.client"):
        for _ in range(3 * CALLS_PER_WEBHOOK):
            client.call(GET, PARAMS)
    assert "***" in caplog.text
    for url in pool_portal.webhook_urls:
        assert url.rstrip("/").rsplit("/", 1)[1] not in caplog.text
