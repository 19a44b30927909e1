"""What the bench scripts and the robustness tests share: a portal to push to, a count of what
it executed, the library push with a client paced for a time-scaled portal, and the check that
the portal ended equal to the input."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ics2b24.app import run
from ics2b24.app.session import Connection, SyncOptions
from ics2b24.app.target import Target
from ics2b24.bitrix.connect import Credentials
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.convert import ConvertResult
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal, PortalConfig

TZ = "Europe/Berlin"
HORIZON_END = date(2028, 1, 1)
LIFTED = LimitSettings(rate=100_000, burst=100_000, operating_limit=1e9)
"""Limits nothing reaches: for runs about something else than the limits."""


def start_portal(limits: LimitSettings, **fields: Any) -> Portal:
    return Portal(PortalConfig(limits=limits, **fields)).start()


def convert_options() -> ConvertChoices:
    """Fixed convert choices, so every run expands the same occurrences."""
    return ConvertChoices(tz=TZ, horizon_end=HORIZON_END)


def connection(portal: Portal, state: Path, limits: LimitSettings) -> Connection:
    """The target every run uses: user 1's first section; paced for the portal's limits,
    `time_scale` times faster (`push` has no flag for the window, 600 s on every real
    portal, so the library call gets a pacer made for it)."""
    scale = limits.time_scale
    pacer = Pacer(Rate(limits.rate * scale, limits.burst), limits.operating_limit / scale,
                  window=limits.operating_window / scale)
    return Connection(Credentials(webhook=portal.webhook_url), Target("user", 1, section_id=1),
                      state, pacer=pacer)


@dataclass
class Pushed:
    summary: run.Summary
    seconds: float


def push(portal: Portal, data: bytes, state: Path, limits: LimitSettings) -> Pushed:
    """One `push` of `data` through the library, as the CLI would run it."""
    options = SyncOptions(convert=convert_options())
    started = time.monotonic()
    summary = run.push([("generated.ics", data)], connection(portal, state, limits), options)
    return Pushed(summary, time.monotonic() - started)


def planned_writes(portal: Portal, data: bytes, state: Path, limits: LimitSettings) -> int:
    """The write calls a push would send now: 0 when the portal equals the input."""
    options = SyncOptions(convert=convert_options())
    plan = run.make_plan([("generated.ics", data)], connection(portal, state, limits),
                         options).plan
    return len(plan.writes)


@dataclass(frozen=True)
class Equality:
    """How the portal's section compares with what the input says must exist."""

    expected: int
    stored: int
    duplicates: int
    missing: int
    planned_writes: int

    @property
    def equal(self) -> bool:
        return (self.stored == self.expected and self.duplicates == 0 and self.missing == 0
                and self.planned_writes == 0)


def compare(portal: Portal, converted: ConvertResult, data: bytes, state: Path,
            limits: LimitSettings) -> Equality:
    """Equal to the input: every desired event stored exactly once (by name, start and
    end), nothing else stored, and a fresh plan with no write left to send.

    Only for inputs whose events are all adds (no overrides or exclusions), where one desired
    line is one stored event."""
    return section_equality(portal, converted, 1, planned_writes(portal, data, state, limits))


def section_equality(portal: Portal, converted: ConvertResult, section: int,
                     planned: int, *, owner: int = 1) -> Equality:
    """`compare` for one section of a user's calendar (user 1's unless `owner`), given the
    writes a fresh plan for it still has."""
    wanted = Counter(_desired_key(e.params.to_params()) for e in converted.events)
    stored = Counter(_stored_key(row) for row in portal.store.events("user", owner, [section]))
    return Equality(
        expected=sum(wanted.values()),
        stored=sum(stored.values()),
        duplicates=sum(n - 1 for n in stored.values() if n > 1),
        missing=sum((wanted - stored).values()),
        planned_writes=planned,
    )


def _desired_key(params: dict[str, Any]) -> tuple[str, str, str]:
    return (params["name"], params["from"], params["to"])


def _stored_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["name"], row["from"], row["to"])


@contextmanager
def filled_portal(data: bytes) -> Iterator[tuple[Portal, Path, Pushed]]:
    """A portal that `data` was pushed into with the limits lifted (seconds instead of the
    half hour the real operating limit needs), restarted on the same SQLite file with the
    real, unscaled limits; with the state DB of that push and the push itself."""
    with tempfile.TemporaryDirectory() as tmp:
        store, state = str(Path(tmp) / "portal.sqlite3"), Path(tmp) / "state.sqlite3"
        portal = start_portal(LIFTED, data=store)
        try:
            first = push(portal, data, state, LIFTED)
        finally:
            portal.stop()
        portal = start_portal(LimitSettings(), data=store)
        try:
            yield portal, state, first
        finally:
            portal.stop()

