"""OAuth as `settings/oauth/auto-renewal.md` describes it: access tokens in `auth`, their expiry,
scopes, and the portal answering as the authorization server at `/oauth/token/`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from ics2b24.portal.server import OAuthGrant, Portal
from tests.clock import FakeClock

SECTION_GET = {"type": "user", "ownerId": 1}
REFRESH_FIELDS = {"access_token", "client_endpoint", "domain", "expires", "expires_in",
                  "member_id", "refresh_token", "scope", "server_endpoint", "status", "user_id"}


def _call(portal: Portal, method: str, auth: str, **params: Any) -> requests.Response:
    return requests.post(f"{portal.base_url}/rest/{method}", json={"auth": auth, **params},
                         timeout=5)


def _refresh(portal: Portal, grant: OAuthGrant, **override: str) -> requests.Response:
    params = {"grant_type": "refresh_token", "client_id": grant.client_id,
              "client_secret": grant.client_secret, "refresh_token": grant.refresh_token,
              **override}
    return requests.get(f"{portal.base_url}/oauth/token/", params=params, timeout=5)


def test_access_token_in_json_body_authorises(portal: Portal) -> None:
    grant = portal.mint_tokens()
    assert _call(portal, "calendar.section.get", grant.access_token, **SECTION_GET).ok


def test_access_token_in_query_string_authorises(portal: Portal) -> None:
    grant = portal.mint_tokens()
    answer = requests.get(f"{portal.base_url}/rest/calendar.section.get.json",
                          params={"auth": grant.access_token, **SECTION_GET}, timeout=5)
    assert answer.status_code == 200


def test_access_token_in_form_body_authorises(portal: Portal) -> None:
    grant = portal.mint_tokens()
    answer = requests.post(f"{portal.base_url}/rest/calendar.section.get",
                           data={"auth": grant.access_token, **SECTION_GET}, timeout=5)
    assert answer.status_code == 200


def test_unknown_access_token_is_no_auth_found(portal: Portal) -> None:
    answer = _call(portal, "calendar.section.get", "0" * 64, **SECTION_GET)
    assert answer.status_code == 401
    assert answer.json()["error"] == "NO_AUTH_FOUND"


def test_access_token_expires_after_its_ttl(make_portal: Callable[..., Portal]) -> None:
    clock = FakeClock(1_700_000_000.0)
    portal = make_portal(clock=clock, token_ttl=3600)
    grant = portal.mint_tokens()
    clock.now += 3600
    answer = _call(portal, "calendar.section.get", grant.access_token, **SECTION_GET)
    assert answer.status_code == 401
    assert answer.json() == {"error": "expired_token",
                             "error_description": "The access token provided has expired"}


def test_access_token_works_until_its_ttl(make_portal: Callable[..., Portal]) -> None:
    clock = FakeClock(1_700_000_000.0)
    portal = make_portal(clock=clock, token_ttl=3600)
    grant = portal.mint_tokens()
    clock.now += 3599
    assert _call(portal, "calendar.section.get", grant.access_token, **SECTION_GET).ok


def test_refresh_answers_the_documented_fields(portal: Portal) -> None:
    grant = portal.mint_tokens()
    body = _refresh(portal, grant).json()
    assert set(body) == REFRESH_FIELDS
    assert body["client_endpoint"] == f"{portal.base_url}/rest/"
    assert body["expires_in"] == 3600
    assert body["user_id"] == 1
    assert body["scope"] == grant.scope


def test_refresh_gives_new_access_and_refresh_tokens(portal: Portal) -> None:
    grant = portal.mint_tokens()
    body = _refresh(portal, grant).json()
    assert body["access_token"] != grant.access_token
    assert body["refresh_token"] != grant.refresh_token


def test_refreshed_access_token_works_after_the_old_one_expired(
        make_portal: Callable[..., Portal]) -> None:
    clock = FakeClock(1_700_000_000.0)
    portal = make_portal(clock=clock, token_ttl=60)
    grant = portal.mint_tokens()
    clock.now += 61
    assert _call(portal, "calendar.section.get", grant.access_token,
                 **SECTION_GET).status_code == 401
    body = _refresh(portal, grant).json()
    assert body["expires"] == int(clock.now + 60)
    assert _call(portal, "calendar.section.get", body["access_token"], **SECTION_GET).ok


def test_refresh_token_works_once(portal: Portal) -> None:
    grant = portal.mint_tokens()
    assert _refresh(portal, grant).ok
    again = _refresh(portal, grant)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_new_refresh_token_refreshes_again(portal: Portal) -> None:
    grant = portal.mint_tokens()
    body = _refresh(portal, grant).json()
    second = _refresh(portal, grant, refresh_token=body["refresh_token"])
    assert second.ok


def test_refresh_by_post_form(portal: Portal) -> None:
    grant = portal.mint_tokens()
    answer = requests.post(f"{portal.base_url}/oauth/token/", data={
        "grant_type": "refresh_token", "client_id": grant.client_id,
        "client_secret": grant.client_secret, "refresh_token": grant.refresh_token,
    }, timeout=5)
    assert answer.ok


def test_wrong_client_secret_is_invalid_client(portal: Portal) -> None:
    grant = portal.mint_tokens()
    answer = _refresh(portal, grant, client_secret="wrong")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_wrong_client_secret_does_not_use_up_the_refresh_token(portal: Portal) -> None:
    grant = portal.mint_tokens()
    _refresh(portal, grant, client_secret="wrong")
    assert _refresh(portal, grant).ok


def test_other_grant_types_are_invalid_request(portal: Portal) -> None:
    grant = portal.mint_tokens()
    answer = _refresh(portal, grant, grant_type="password")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_missing_refresh_token_is_invalid_request(portal: Portal) -> None:
    answer = requests.get(f"{portal.base_url}/oauth/token/",
                          params={"grant_type": "refresh_token"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_calendar_method_needs_calendar_scope(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="user,basic")
    answer = _call(portal, "calendar.section.get", grant.access_token, **SECTION_GET)
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"


def test_batch_needs_basic_scope(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="calendar")
    answer = _call(portal, "batch", grant.access_token,
                   cmd={"a": "calendar.section.get?type=user&ownerId=1"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"


def test_user_current_needs_user_scope(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="calendar,basic")
    answer = _call(portal, "user.current", grant.access_token)
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"


def test_user_current_with_user_scope(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="user")
    answer = _call(portal, "user.current", grant.access_token)
    assert answer.json()["result"]["ID"] in (1, "1")


def test_scope_is_checked_per_batch_command(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="basic,user")
    body = _call(portal, "batch", grant.access_token, halt=0, cmd={
        "me": "user.current", "cal": "calendar.section.get?type=user&ownerId=1",
    }).json()["result"]
    assert "me" in body["result"]
    assert body["result_error"]["cal"]["error"] == "insufficient_scope"


def test_refreshed_tokens_keep_the_scope(portal: Portal) -> None:
    grant = portal.mint_tokens(scope="calendar")
    body = _refresh(portal, grant).json()
    assert body["scope"] == "calendar"
    assert _call(portal, "user.current", body["access_token"]).status_code == 403


def _authorize(portal: Portal, client_id: str, **params: str) -> requests.Response:
    return requests.get(f"{portal.base_url}/oauth/authorize/",
                        params={"client_id": client_id, **params}, timeout=5)


def _exchange(portal: Portal, client_id: str, client_secret: str,
              code: str) -> requests.Response:
    return requests.get(f"{portal.base_url}/oauth/token/", params={
        "grant_type": "authorization_code", "client_id": client_id,
        "client_secret": client_secret, "code": code}, timeout=5)


def test_authorize_shows_a_code_the_token_endpoint_exchanges_once_for_a_pair(
        portal: Portal) -> None:
    ((client_id, client_secret),) = portal.store.apps()
    shown = _authorize(portal, client_id, state="xyz")
    assert shown.status_code == 200
    page = shown.json()
    assert set(page) == {"code", "state", "domain", "member_id", "scope", "server_domain"}
    assert page["state"] == "xyz"
    answer = _exchange(portal, client_id, client_secret, page["code"])
    assert answer.status_code == 200
    assert set(answer.json()) == REFRESH_FIELDS
    assert _call(portal, "calendar.section.get", answer.json()["access_token"],
                 **SECTION_GET).ok
    again = _exchange(portal, client_id, client_secret, page["code"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_an_authorization_code_lives_30_seconds(make_portal: Callable[..., Portal]) -> None:
    clock = FakeClock(1_700_000_000.0)
    portal = make_portal(clock=clock)
    ((client_id, client_secret),) = portal.store.apps()
    code = _authorize(portal, client_id).json()["code"]
    clock.now += 30
    answer = _exchange(portal, client_id, client_secret, code)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_authorize_refuses_an_unknown_app(portal: Portal) -> None:
    answer = _authorize(portal, "not-an-app")
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_client")
