"""Shared fixtures: a fresh embedded portal on a free loopback port for each test that asks, a
state DB path, a log of the portal's calls, the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal, PortalConfig
from tests.helpers import Cli, Feed, MethodLog, run_cli, spy_on

FAST_LIMITS = LimitSettings(rate=100_000, burst=100_000, operating_limit=1e9)
"""Limits no ordinary test reaches; tests about limits pass their own."""


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test keeps its default state DB and OAuth token files out of the user's home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def make_portal() -> Iterator[Callable[..., Portal]]:
    """Start portals with PortalConfig fields (and `clock=`); all are stopped after the test."""
    started: list[Portal] = []

    def make(clock: Callable[[], float] | None = None, **fields: Any) -> Portal:
        config = PortalConfig(**{"limits": FAST_LIMITS, **fields})
        portal = Portal(config, clock=clock) if clock else Portal(config)
        started.append(portal.start())
        return portal

    yield make
    for portal in started:
        portal.stop()


@pytest.fixture
def portal(make_portal: Callable[..., Portal]) -> Portal:
    """A fresh in-memory portal with the default seed (admin user 1, one OAuth app)."""
    return make_portal()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.sqlite3"


@pytest.fixture
def spy(portal: Portal) -> Iterator[MethodLog]:
    yield spy_on(portal)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_cli(capsys, *args)


@pytest.fixture
def feed() -> Iterator[Feed]:
    """A calendar feed on loopback (tests.helpers.Feed), stopped after the test."""
    served = Feed()
    server = ThreadingHTTPServer(("127.0.0.1", 0), served.handler())
    server.daemon_threads = True
    served.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
