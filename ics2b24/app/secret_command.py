"""Secrets printed by a command the user names (`pass show b24`, a vault client), so they
never have to sit in a file or in the environment of every process the user starts.

One rule for every such command: it runs without a shell, for at most a minute; what it
prints (stripped) is the secret; a command that cannot run, fails, or prints nothing is a
UsageError that names the setting and shows neither the command (it may hold a token
itself) nor its output (it may be half a secret).
"""

from __future__ import annotations

import shlex
import subprocess

from ics2b24.errors import UsageError

COMMAND_TIMEOUT = 60.0


def printed_secret(command: str, setting: str) -> str:
    """What `command` prints; `setting` names where the command was given, for the error."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{setting} could not run: {type(exc).__name__}") from None
    value = done.stdout.strip()
    if done.returncode != 0 or not value:
        raise UsageError(f"{setting} exited {done.returncode} without printing a secret")
    return value
