"""Which events of the input a pair keeps (`ics2b24 sync`, app/pairs.py): by summary,
CATEGORIES and busy status. A UID is kept or left out whole, as its first line (the series
or the single event) says, so no moved occurrence is ever kept without its series."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ics2b24.model import DesiredEvent


@dataclass(frozen=True)
class EventFilter:
    include: re.Pattern[str] | None = None
    """Keep only events whose summary matches (anywhere in it)."""
    exclude: re.Pattern[str] | None = None
    """Leave out events whose summary matches."""
    categories: frozenset[str] = frozenset()
    """Keep only events with one of these CATEGORIES (case aside); empty: any."""
    skip_free: bool = False
    """Leave out events that block no time (TRANSP:TRANSPARENT, Outlook's FREE)."""
    left_out: frozenset[str] = frozenset()
    """Leave out these UIDs: written from another calendar (plan/company.py)."""

    def keeps(self, event: DesiredEvent) -> bool:
        if event.uid in self.left_out:
            return False
        name = event.params.name
        if self.include is not None and not self.include.search(name):
            return False
        if self.exclude is not None and self.exclude.search(name):
            return False
        if self.categories and not self.categories & {c.casefold() for c in event.categories}:
            return False
        return not (self.skip_free and event.params.accessibility == "free")

    def apply(self, events: Sequence[DesiredEvent]) -> list[DesiredEvent]:
        heads: dict[str, DesiredEvent] = {}
        for event in events:
            if event.uid not in heads or (event.recurrence_id is None
                                          and heads[event.uid].recurrence_id is not None):
                heads[event.uid] = event
        kept = {uid for uid, head in heads.items() if self.keeps(head)}
        return [event for event in events if event.uid in kept]
