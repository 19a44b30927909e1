"""Injected faults as a client meets them: 503s, 500s, dropped connections before or
after the change was applied, and latency — reproducible with a seed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from ics2b24.portal.faults import Fault, Faults, parse_faults
from ics2b24.portal.server import Portal

SECTION = {"type": "user", "ownerId": 1, "name": "Faulty"}


def _sections(portal: Portal) -> int:
    """Count sections in-process, past the faults, to see what was really applied."""
    found = portal.api.call(portal.first_user, "calendar.section.get",
                            {"type": "user", "ownerId": 1})
    return sum(1 for section in found if section["NAME"] == "Faulty")


def _expected(spec_text: str, n: int) -> list[Fault]:
    faults = Faults(parse_faults(spec_text))
    return [faults.draw().fault for _ in range(n)]


def test_rate_fault_answers_query_limit_exceeded(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(faults=parse_faults("rate=1,seed=1"))
    answer = requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    assert answer.status_code == 503
    assert answer.json()["error"] == "QUERY_LIMIT_EXCEEDED"
    assert _sections(portal) == 0


def test_error_fault_answers_internal_server_error(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(faults=parse_faults("error=1,seed=1"))
    answer = requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    assert answer.status_code == 500
    assert answer.json() == {"error": "INTERNAL_SERVER_ERROR",
                             "error_description": "Internal server error"}


def test_error_after_the_change_leaves_the_change_applied(
        make_portal: Callable[..., Portal]) -> None:
    spec = "error=1,seed=11"
    portal = make_portal(faults=parse_faults(spec))
    for _ in range(20):
        requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    applied = _expected(spec, 20).count(Fault.ERROR_AFTER)
    assert 0 < applied < 20
    assert _sections(portal) == applied


def test_dropped_connection_gives_the_client_no_answer(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(faults=parse_faults("reset=1,seed=2"))
    with pytest.raises(requests.ConnectionError):
        requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    assert portal.counters().dropped == 1


def test_dropped_connection_after_the_change_leaves_it_applied(
        make_portal: Callable[..., Portal]) -> None:
    spec = "reset=1,seed=12"
    portal = make_portal(faults=parse_faults(spec))
    for _ in range(20):
        with pytest.raises(requests.ConnectionError):
            requests.post(portal.webhook_url + "calendar.section.add", json=SECTION, timeout=5)
    applied = _expected(spec, 20).count(Fault.RESET_AFTER)
    assert 0 < applied < 20
    assert _sections(portal) == applied


def test_latency_delays_the_answer(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(faults=parse_faults("latency=80-100ms,seed=3"))
    started = time.monotonic()
    requests.post(portal.webhook_url + "calendar.section.get",
                  json={"type": "user", "ownerId": 1}, timeout=5)
    assert time.monotonic() - started >= 0.08


def test_same_seed_gives_the_same_answers(make_portal: Callable[..., Portal]) -> None:
    def statuses() -> list[int]:
        portal = make_portal(faults=parse_faults("rate=0.3,error=0.3,seed=5"))
        return [requests.post(portal.webhook_url + "calendar.section.get",
                              json={"type": "user", "ownerId": 1}, timeout=5).status_code
                for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 500, 503} <= set(first)


def test_faults_leave_the_oauth_server_alone(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(faults=parse_faults("error=1,seed=1"))
    grant = portal.mint_tokens()
    answer = requests.get(f"{portal.base_url}/oauth/token/", params={
        "grant_type": "refresh_token", "client_id": grant.client_id,
        "client_secret": grant.client_secret, "refresh_token": grant.refresh_token,
    }, timeout=5)
    assert answer.status_code == 200
