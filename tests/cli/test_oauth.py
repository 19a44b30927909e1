"""OAuth as a user meets it: the refresh token rotates, so the renewed pair is kept (by
default in the data dir, 0600, and the user is told where) and the next run given the first
pair continues with the kept one; and the whole flow can be rehearsed on the test portal,
from the authorization code to a push."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests

from ics2b24.portal.server import OAuthGrant, Portal
from tests.helpers import Cli, portal_rows, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))


def oauth_env(monkeypatch: pytest.MonkeyPatch, portal: Portal, grant: OAuthGrant) -> None:
    for name, value in (("B24_PORTAL", portal.base_url), ("B24_ACCESS_TOKEN", grant.access_token),
                        ("B24_REFRESH_TOKEN", grant.refresh_token),
                        ("B24_CLIENT_ID", grant.client_id),
                        ("B24_CLIENT_SECRET", grant.client_secret)):
        monkeypatch.setenv(name, value)


def push_args(portal: Portal, source: Path, tmp_path: Path) -> list[str]:
    return ["push", str(source), "--oauth-server", portal.base_url, "--type", "user",
            "--section", "1", "--state", str(tmp_path / "state.sqlite3")]


def kept_files() -> list[Path]:
    return sorted((Path(os.environ["XDG_DATA_HOME"]) / "ics2b24" / "tokens").glob("*.json"))


def test_without_a_token_file_the_renewed_pair_is_kept_in_the_data_dir_and_used_next_run(
        portal: Portal, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grant = portal.mint_tokens(ttl=-1)
    oauth_env(monkeypatch, portal, grant)
    source = write(tmp_path / "one.ics", ONE)
    code, out, err = cli(*push_args(portal, source, tmp_path))
    assert code == 0, err
    (kept,) = kept_files()
    assert f"the new pair is kept in {kept} (0600)" in err
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    pair = json.loads(kept.read_text())
    for secret in (grant.access_token, grant.refresh_token, pair["access_token"],
                   pair["refresh_token"], grant.client_secret):
        assert secret not in out + err
    code, _, err = cli(*push_args(portal, source, tmp_path))
    assert code == 0, err
    assert "1 unchanged" in err
    assert [r["NAME"] for r in portal_rows(portal)] == ["One"]


def test_a_new_authorisation_wins_over_the_kept_pair(
        portal: Portal, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    oauth_env(monkeypatch, portal, portal.mint_tokens(ttl=-1))
    source = write(tmp_path / "one.ics", ONE)
    assert cli(*push_args(portal, source, tmp_path))[0] == 0
    (kept,) = kept_files()
    stale = {**json.loads(kept.read_text()), "access_token": "x" * 64, "refresh_token": "y"}
    kept.write_text(json.dumps(stale))
    oauth_env(monkeypatch, portal, portal.mint_tokens())
    code, _, err = cli(*push_args(portal, source, tmp_path))
    assert code == 0, err


def test_a_used_up_refresh_token_says_what_to_do(
        portal: Portal, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grant = portal.mint_tokens(ttl=-1)
    oauth_env(monkeypatch, portal, grant)
    requests.get(f"{portal.base_url}/oauth/token/", timeout=5, params={
        "grant_type": "refresh_token", "client_id": grant.client_id,
        "client_secret": grant.client_secret, "refresh_token": grant.refresh_token})
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli(*push_args(portal, source, tmp_path))
    assert code == 2
    assert "invalid_grant" in err and "a refresh token works once" in err
    assert grant.refresh_token not in err


def test_oauth_can_be_rehearsed_end_to_end_on_the_test_portal(
        portal: Portal, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As docs/connect.md shows it: authorize, exchange the code, save the answer as the token
    file, push — with a webhook still in the environment, which the --portal flag wins
    over."""
    monkeypatch.setenv("B24_WEBHOOK", portal.webhook_url)
    ((client_id, client_secret),) = portal.store.apps()
    code = requests.get(f"{portal.base_url}/oauth/authorize/",
                        params={"client_id": client_id}, timeout=5).json()["code"]
    answer = requests.get(f"{portal.base_url}/oauth/token/", timeout=5, params={
        "grant_type": "authorization_code", "client_id": client_id,
        "client_secret": client_secret, "code": code})
    tokens = tmp_path / "tokens.json"
    tokens.write_text(answer.text)
    source = write(tmp_path / "one.ics", ONE)
    code_, _, err = cli("push", str(source), "--portal", portal.base_url, "--oauth-server",
                        portal.base_url, "--client-id", client_id, "--client-secret",
                        client_secret, "--token-file", str(tokens), "--type", "user",
                        "--section", "1", "--state", str(tmp_path / "state.sqlite3"))
    assert code_ == 0, err
    assert [r["NAME"] for r in portal_rows(portal)] == ["One"]
