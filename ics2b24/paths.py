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


def make_private_dirs(directory: Path) -> list[Path]:
    """Create `directory` and each missing parent, every one 0700 (`mkdir(parents=True)`
    gives the parents the umask's mode, often 0755); the directories created, top first,
    so what the user is told is what was done. Raises OSError."""
    missing = [d for d in (directory, *directory.parents) if not d.is_dir()]
    created = []
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        path.chmod(0o700)
        created.append(path)
    return created
