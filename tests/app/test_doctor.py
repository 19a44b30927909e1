"""`doctor` through real HTTP against the test portal: every behaviour push relies on holds
on a faithful portal, a portal that differs is named, and no scratch section is left."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest

from ics2b24.app.doctor import run_doctor
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.connect import Credentials, make_client
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal


def sections(portal: Portal) -> list[str]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return [row["NAME"] for row in rows]


def doctor(portal: Portal) -> list[Any]:
    with closing(make_client(Credentials(webhook=portal.webhook_url))) as client:
        return run_doctor(client, "user", 1)


def test_on_the_current_portal_only_the_two_day_weekly_count_rule_differs(
        portal: Portal) -> None:
    before = sections(portal)
    findings = doctor(portal)
    assert len(findings) == 11
    assert [(f.behaviour, f.seen) for f in findings if not f.held] == [
        ("a weekly COUNT rule on two days, from its second day, shows its last occurrence",
         "missing 2030-01-08T12:00:00Z..2030-01-08T13:00:00Z (UTC) 'Doctor two days'")]
    assert sections(portal) == before


def test_an_older_portal_that_ignores_recurrence_mode_is_named(
        make_portal: Callable[..., Portal]) -> None:
    findings = {f.behaviour: f for f in doctor(make_portal(profile=Profile(generation=1)))}
    assert not findings["a moved occurrence (recurrence_mode this) moves; the rest of the "
                        "series stays"].held
    assert findings["a series in parts around a skipped day never shows that day"].held
    assert findings["a weekly COUNT rule on two days, from its second day, shows its last "
                    "occurrence"].held


def test_a_portal_that_keeps_a_single_events_old_date_is_named(
        portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a real portal would if its handler took every update as recurrence_mode all."""
    original = portal.api.call

    def keeps_dates(user: Any, method: str, params: Any) -> Any:
        if method == "calendar.event.update" and "recurrence_mode" not in params:
            params = {**params, "recurrence_mode": "all"}
        return original(user, method, params)

    monkeypatch.setattr(portal.api, "call", keeps_dates)
    findings = {f.behaviour: f for f in doctor(portal)}
    moved = findings["a single event updated to another day moves there"]
    assert not moved.held and "missing" in moved.seen
    assert findings["a series bounded by COUNT, weekly on its days, shows exactly its "
                    "occurrences"].held


def test_doctor_interrupted_mid_run_leaves_no_section_behind(
        portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C arrives while doctor waits for its third write."""
    before = sections(portal)
    original = Client.batch
    writes = 0

    def interrupted(self: Client, commands: Any) -> Any:
        nonlocal writes
        writes += 1
        if writes == 3:
            raise KeyboardInterrupt
        return original(self, commands)

    monkeypatch.setattr(Client, "batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        doctor(portal)
    assert writes == 3
    assert sections(portal) == before
