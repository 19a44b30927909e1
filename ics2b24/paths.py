"""Where the tool keeps its files on this machine, shared by the state store and the kept
OAuth tokens."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/ics2b24`, else `~/.local/share/ics2b24`: the state DB and kept tokens."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "ics2b24"
