"""Fixtures of the sync tests: a state DB path, a log of the portal's calls, the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from tests.sync.helpers import Cli, MethodLog, run_cli


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.sqlite3"


@pytest.fixture
def spy(portal: Portal) -> Iterator[MethodLog]:
    yield MethodLog(portal)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_cli(capsys, *args)
