"""What the `ics2b24` group itself offers every user: its version, and the completion script
a shell loads (docs/install.md, shell completion)."""

from __future__ import annotations

import os
import subprocess
import sys

from ics2b24 import __version__
from tests.helpers import Cli


def test_dash_v_capital_prints_the_version_as_version_does(cli: Cli) -> None:
    assert cli("-V") == cli("--version") == (0, f"ics2b24, version {__version__}\n", "")


def test_bash_completion_script_is_produced_for_the_ics2b24_command() -> None:
    done = subprocess.run([sys.executable, "-m", "ics2b24"], capture_output=True, text=True,
                          timeout=60, check=False,
                          env={**os.environ, "_ICS2B24_COMPLETE": "bash_source"})
    assert done.returncode == 0, done.stderr
    assert "complete -o nosort -F _ics2b24_completion ics2b24" in done.stdout
