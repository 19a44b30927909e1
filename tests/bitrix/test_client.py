"""The HTTP client, over real loopback HTTP
against the embedded portal."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from ics2b24.bitrix.auth import OAuthAuth, WebhookAuth
from ics2b24.bitrix.client import Client, UncertainWriteError
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.bitrix.rows import parse_event
from ics2b24.bitrix.tokens import read_token_file
from ics2b24.errors import EndpointError, PortalError, UsageError
from ics2b24.portal.faults import FaultSpec
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal
from tests.clock import FakeClock


def no_sleep(seconds: float) -> None:
    """Tests against a portal whose limits never bind need not wait."""


def webhook_client(portal: Portal, **kwargs: Any) -> Client:
    kwargs.setdefault("sleep", no_sleep)
    return Client(WebhookAuth.parse(portal.webhook_url), **kwargs)


def section_id(client: Client) -> int:
    sections = client.call("calendar.section.get", {"type": "user", "ownerId": 1})
    return int(sections[0]["ID"])


def add_params(section: int, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "type": "user", "ownerId": 1, "section": section, "name": "Stand-up #1 & co",
        "from": "2024-06-17T10:00:00", "to": "2024-06-17T10:15:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin", "skip_time": "N",
    }
    params.update(more)
    return params


def test_webhook_call_returns_the_result(portal: Portal) -> None:
    client = webhook_client(portal)
    assert int(client.call("user.current")["ID"]) == 1


def test_webhook_user_id_comes_from_the_url(portal: Portal) -> None:
    assert webhook_client(portal).user_id() == 1


def test_batch_returns_each_commands_result(portal: Portal) -> None:
    client = webhook_client(portal)
    section = section_id(client)
    outcome = client.batch({
        "a": ("calendar.event.add", add_params(section)),
        "b": ("calendar.event.add", add_params(section, name="Ünïcode")),
    })
    assert outcome.errors == {}
    assert set(outcome.results) == {"a", "b"}
    assert set(outcome.times) == {"a", "b"}



def test_batch_keys_0_1_2_keep_their_results_though_the_portal_answers_them_as_a_list(
        portal: Portal) -> None:
    client = webhook_client(portal)
    section = section_id(client)
    outcome = client.batch({
        "0": ("calendar.event.add", add_params(section)),
        "1": ("calendar.event.add", add_params(section, name="Second")),
        "2": ("calendar.event.delete", {"id": 999_999}),
    })
    assert set(outcome.results) == {"0", "1"}
    assert all(isinstance(outcome.results[key], int) for key in ("0", "1"))
    assert set(outcome.times) == {"0", "1"}
    assert set(outcome.errors) == {"2"}


def test_nested_params_survive_the_batch_wire_form(portal: Portal) -> None:
    client = webhook_client(portal)
    section = section_id(client)
    outcome = client.batch({"a": ("calendar.event.add", add_params(
        section, color="#9dcf00",
        rrule={"FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 4, "BYDAY": ["MO", "WE"]},
        remind=[{"type": "min", "count": 15}],
    ))})
    event = parse_event(client.call("calendar.event.getbyid", {"id": outcome.results["a"]}))
    assert event.params.name == "Stand-up #1 & co"
    assert event.params.color == "#9dcf00"
    assert event.params.rrule is not None
    assert (event.params.rrule.count, event.params.rrule.byday) == (4, ("MO", "WE"))
    assert [(r.type, r.count) for r in event.params.remind] == [("min", 15)]


def test_calendar_error_keeps_empty_code_and_its_text(portal: Portal) -> None:
    client = webhook_client(portal)
    params = add_params(section_id(client))
    del params["name"]
    outcome = client.batch({"bad": ("calendar.event.add", params)})
    error = outcome.errors["bad"]
    assert error.error == ""
    assert "name" in error.description


def test_method_error_raises_portal_error_with_status(portal: Portal) -> None:
    client = webhook_client(portal)
    with pytest.raises(PortalError) as raised:
        client.call("calendar.event.get", {})
    assert raised.value.status == 400 and raised.value.error == ""


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(UsageError, match="loopback"):
        WebhookAuth.parse("http://example.bitrix24.com/rest/1/secret/")


def test_plain_http_to_loopback_is_allowed() -> None:
    assert WebhookAuth.parse("http://127.0.0.1:8000/rest/1/secret/").user_id == 1


def test_malformed_webhook_is_a_usage_error_without_the_token() -> None:
    with pytest.raises(UsageError) as raised:
        WebhookAuth.parse("https://example.bitrix24.com/rest/s3cr3t-token")
    assert "s3cr3t-token" not in str(raised.value)


def test_a_login_in_the_webhook_url_is_kept_apart_from_its_address() -> None:
    """Sent as HTTP basic auth, never part of the address every message shows."""
    auth = WebhookAuth.parse("http://someone:pa%40ss@127.0.0.1:8080/rest/1/s3cr3t/")
    assert (auth.base_url, auth.login) == ("http://127.0.0.1:8080", ("someone", "pa@ss"))
    assert "someone" not in repr(auth) and "pa@ss" not in repr(auth)


def test_plain_http_oauth_server_is_refused() -> None:
    with pytest.raises(UsageError, match="--oauth-server"):
        OAuthAuth("https://example.bitrix24.com", "a", "r", "id", "secret",
                  oauth_server="http://oauth.example.com")


def test_wrong_token_is_an_endpoint_error_that_does_not_show_it(portal: Portal) -> None:
    url = portal.webhook_url.rstrip("/").rsplit("/", 1)[0] + "/wrong-s3cr3t/"
    client = Client(WebhookAuth.parse(url), sleep=no_sleep)
    with pytest.raises(EndpointError) as raised:
        client.call("user.current")
    assert raised.value.error == "NO_AUTH_FOUND"
    assert "wrong-s3cr3t" not in str(raised.value)
    assert portal.counters().requests == 1


def test_reprs_never_show_credentials(portal: Portal) -> None:
    auth = WebhookAuth.parse(portal.webhook_url)
    oauth = OAuthAuth(portal.base_url, "acc-s3cr3t", "ref-s3cr3t", "cid-s3cr3t", "cs-s3cr3t")
    shown = repr(auth) + repr(Client(auth)) + repr(oauth)
    assert auth.tokens[0] not in shown
    assert "s3cr3t" not in shown


def oauth_client(portal: Portal, tmp_path: Path, ttl: float) -> tuple[Client, OAuthAuth]:
    grant = portal.mint_tokens(ttl=ttl)
    auth = OAuthAuth(portal.base_url, grant.access_token, grant.refresh_token,
                     grant.client_id, grant.client_secret, oauth_server=portal.base_url,
                     token_file=tmp_path / "tokens.json")
    return Client(auth, sleep=no_sleep), auth


def test_oauth_call_works_and_finds_its_user(portal: Portal, tmp_path: Path) -> None:
    client, _ = oauth_client(portal, tmp_path, ttl=3600)
    assert client.user_id() == 1


def test_expired_oauth_token_is_refreshed_once_and_the_call_resent(
        portal: Portal, tmp_path: Path) -> None:
    client, auth = oauth_client(portal, tmp_path, ttl=-1)
    old_refresh = auth.refresh_token
    assert int(client.call("user.current")["ID"]) == 1
    assert auth.refresh_token != old_refresh


def test_renewed_tokens_are_kept_in_a_private_token_file(portal: Portal, tmp_path: Path) -> None:
    client, auth = oauth_client(portal, tmp_path, ttl=-1)
    client.call("user.current")
    token_file = tmp_path / "tokens.json"
    assert read_token_file(token_file) == (auth.access_token, auth.refresh_token)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_refused_refresh_is_an_endpoint_error_with_a_hint_and_without_secrets(
        portal: Portal, tmp_path: Path) -> None:
    client, auth = oauth_client(portal, tmp_path, ttl=-1)
    auth.refresh_token = "not-a-real-refresh-s3cr3t"
    with pytest.raises(EndpointError) as raised:
        client.call("user.current")
    assert raised.value.error == "invalid_grant"
    assert "works once" in str(raised.value)
    assert "s3cr3t" not in str(raised.value) and auth.client_secret not in str(raised.value)


def test_missing_token_file_reads_as_none(tmp_path: Path) -> None:
    assert read_token_file(tmp_path / "absent.json") is None


def test_dropped_connection_on_a_write_is_uncertain(make_portal: Any) -> None:
    portal = make_portal(faults=FaultSpec(reset=1.0, seed=1))
    client = webhook_client(portal)
    with pytest.raises(UncertainWriteError):
        client.call("calendar.event.delete", {"type": "user", "ownerId": 1, "id": 1})
    assert portal.counters().requests == 1


def test_server_error_on_a_write_is_uncertain_and_not_resent(make_portal: Any) -> None:
    portal = make_portal(faults=FaultSpec(error=1.0, seed=1))
    client = webhook_client(portal)
    with pytest.raises(UncertainWriteError):
        client.batch({"a": ("calendar.event.delete", {"type": "user", "ownerId": 1, "id": 1})})
    assert portal.counters().requests == 1


def test_reads_are_retried_through_faults(make_portal: Any) -> None:
    portal = make_portal(faults=FaultSpec(error=0.3, reset=0.3, seed=7))
    client = webhook_client(portal, max_retries=20)
    for _ in range(5):
        assert int(client.call("user.current")["ID"]) == 1


def test_query_limit_answers_are_resent(make_portal: Any) -> None:
    portal = make_portal(faults=FaultSpec(rate=0.5, seed=3))
    client = webhook_client(portal, max_retries=20)
    for _ in range(5):
        assert int(client.call("user.current")["ID"]) == 1
    assert portal.counters().query_limit_exceeded > 0


def test_the_pacer_keeps_a_burst_under_the_request_limit(make_portal: Any) -> None:
    portal = make_portal(limits=LimitSettings(rate=50, burst=5, operating_limit=1e9))
    client = Client(WebhookAuth.parse(portal.webhook_url), pacer=Pacer(Rate(50, 5)))
    for _ in range(12):
        client.call("user.current")
    assert portal.counters().query_limit_exceeded == 0


def test_operation_time_limit_waits_for_the_reset_and_resends(make_portal: Any) -> None:
    # 0.3 s per add against 0.5 s per 1 s window: the third add is refused until a reset.
    portal = make_portal(limits=LimitSettings(rate=1000, burst=1000, operating_limit=0.5,
                                              operating_window=1.0))
    client = Client(WebhookAuth.parse(portal.webhook_url),
                    pacer=Pacer(Rate(1000, 1000), operating_limit=1e6, window=1.0))
    section = section_id(client)
    ids = [client.call("calendar.event.add", add_params(section)) for _ in range(4)]
    assert len(set(ids)) == 4
    assert portal.counters().operation_time_limit > 0


def test_a_paced_client_meets_no_operation_time_limit(make_portal: Any) -> None:
    portal = make_portal(limits=LimitSettings(rate=1000, burst=1000, operating_limit=0.5,
                                              operating_window=1.0))
    client = Client(WebhookAuth.parse(portal.webhook_url),
                    pacer=Pacer(Rate(1000, 1000), operating_limit=0.5, window=1.0))
    section = section_id(client)
    for _ in range(3):
        client.call("calendar.event.add", add_params(section))
    assert portal.counters().operation_time_limit == 0


def test_a_long_wait_is_lent_to_idle_work_and_only_what_is_left_is_slept() -> None:
    """migrate converts the calendars to come in such a wait (app/read_ahead.py)."""
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    slept: list[float] = []
    lent: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    def idle(seconds: float) -> float:
        lent.append(seconds)
        clock.now += 20.0
        return 20.0

    client = Client(WebhookAuth("http://127.0.0.1:1", 1, ("token",)), pacer=pacer, sleep=sleep,
                    idle=idle)
    pacer.operation_limited("calendar.event.add", None)
    client.wait_turn({"c": ("calendar.event.add", {})})
    assert lent == [60.0]
    assert slept == [40.0]


def test_a_short_wait_is_slept_without_idle_work() -> None:
    clock = FakeClock()
    slept: list[float] = []
    lent: list[float] = []
    client = Client(WebhookAuth("http://127.0.0.1:1", 1, ("token",)),
                    pacer=Pacer(Rate(1, 1), clock=clock), sleep=slept.append,
                    idle=lambda seconds: lent.append(seconds) or 0.0)
    for _ in range(2):
        client.wait_turn({})
        client.pacer.sent()
    assert lent == []
    assert slept and max(slept) < 2
