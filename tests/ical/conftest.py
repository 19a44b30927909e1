"""The corpus summary ("UIDs matched / UIDs, files exact / files") at the end of the run."""

from __future__ import annotations

import pytest

from tests.ical.corpus import REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in REPORT:
        terminalreporter.write_line(line)
