"""What the diff knows of an earlier run: one `Record` per paired event, as the state store
keeps it, and the fingerprint of the parameters last pushed. Pure, so the diff can read the
store's rows without reaching SQLite."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Key = tuple[str, "str | None"]
"""An event of the input, as every part of the tool names it: (uid, recurrence_id)."""


def params_fingerprint(params: Mapping[str, Any]) -> str:
    """A stable hash of the parameters last pushed, so a later run can tell whether the input
    changed without keeping event contents on disk."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Record:
    """One paired event. `recurrence_id` is None for singles and series; `created` says this
    tool added the event, the only events prune and undo may delete."""

    portal: str
    target: str
    uid: str
    recurrence_id: str | None
    event_id: int
    fingerprint: str
    created: bool

    @property
    def key(self) -> Key:
        return (self.uid, self.recurrence_id)
