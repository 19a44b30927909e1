"""A pool of webhooks at the command line: repeated --webhook, or B24_WEBHOOK holding several
URLs; the same user's on the same portal, never shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from tests.helpers import Cli, portal_rows, vcalendar, vevent, write

TARGET = ["--type", "user", "--owner", "1", "--section", "1"]
INPUT = vcalendar(vevent("one@test", "20250303T090000", "One"),
                  vevent("two@test", "20250304T090000", "Two"))


@pytest.fixture
def pool(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(webhooks=2, users={"users": [{"id": 1, "name": "A", "admin": True},
                                                    {"id": 2, "name": "B"}]})


def tokens(urls: list[str]) -> list[str]:
    return [url.rstrip("/").rsplit("/", 1)[1] for url in urls]


def test_push_through_a_repeated_webhook_writes_every_event(
        pool: Portal, cli: Cli, tmp_path: Path) -> None:
    first, second = pool.webhook_urls
    code, out, err = cli("push", str(write(tmp_path / "in.ics", INPUT)), "--webhook", first,
                         "--webhook", second, *TARGET, "--state", str(tmp_path / "s.db"))
    assert code == 0, err
    assert sorted(row["NAME"] for row in portal_rows(pool)) == ["One", "Two"]
    assert not any(token in out + err for token in tokens(pool.webhook_urls))


def test_push_through_a_pool_in_b24_webhook_writes_every_event(
        pool: Portal, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B24_WEBHOOK", "\n".join(pool.webhook_urls))
    code, _, err = cli("push", str(write(tmp_path / "in.ics", INPUT)), *TARGET,
                       "--state", str(tmp_path / "s.db"))
    assert code == 0, err
    assert sorted(row["NAME"] for row in portal_rows(pool)) == ["One", "Two"]


def test_a_pool_of_two_users_is_a_usage_error_that_writes_nothing(
        pool: Portal, cli: Cli, tmp_path: Path) -> None:
    other = pool.webhook_url_for(2)
    code, out, err = cli("push", str(write(tmp_path / "in.ics", INPUT)), "--webhook",
                         pool.webhook_url, "--webhook", other, *TARGET,
                         "--state", str(tmp_path / "s.db"))
    assert code == 2
    assert "one user's on one portal" in err and len(err.strip().splitlines()) == 1
    assert not any(token in out + err for token in tokens([pool.webhook_url, other]))
    assert portal_rows(pool) == []
