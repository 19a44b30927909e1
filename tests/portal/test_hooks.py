"""The portal's one call hook (ics2b24/portal/hooks.py) and the method log built on it
(ics2b24/portal/method_log.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from ics2b24.portal.hooks import Call, Hook
from ics2b24.portal.method_log import MethodLog
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User

SECTIONS = {"type": "user", "ownerId": 1}


def _section_add(portal: Portal, name: str) -> int:
    return int(portal.api.call(portal.first_user, "calendar.section.add",
                               {**SECTIONS, "name": name}))


def test_each_batch_command_reaches_the_hook_with_its_references_resolved(
        portal: Portal) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(call_next: Call, user: User, method: str, params: Mapping[str, Any]) -> Any:
        seen.append((method, dict(params)))
        return call_next(user, method, params)

    portal.api.hook(record)
    answer = requests.post(portal.webhook_url + "batch", timeout=10, json={"cmd": {
        "s": "calendar.section.add?type=user&ownerId=1&name=Hooked",
        "read": "calendar.section.get?type=user&ownerId=1&id=$result[s]"}}).json()
    section = answer["result"]["result"]["s"]
    assert [m for m, _ in seen] == ["calendar.section.add", "calendar.section.get"]
    assert seen[1][1]["id"] == section


def test_the_newest_hook_runs_outermost(portal: Portal) -> None:
    order: list[str] = []

    def named(name: str) -> Hook:
        def hook(call_next: Call, user: User, method: str, params: Mapping[str, Any]) -> Any:
            order.append(name)
            return call_next(user, method, params)
        return hook

    portal.api.hook(named("older"))
    portal.api.hook(named("newer"))
    _section_add(portal, "Order")
    assert order == ["newer", "older"]


def test_a_hook_taken_away_by_its_with_block_sees_no_later_call(portal: Portal) -> None:
    seen: list[str] = []

    def record(call_next: Call, user: User, method: str, params: Mapping[str, Any]) -> Any:
        seen.append(method)
        return call_next(user, method, params)

    with portal.api.hook(record):
        _section_add(portal, "During")
    _section_add(portal, "After")
    assert seen == ["calendar.section.add"]


def test_a_hook_may_change_the_answer(portal: Portal) -> None:
    def answer_seven(call_next: Call, user: User, method: str,
                     params: Mapping[str, Any]) -> Any:
        call_next(user, method, params)
        return 7

    portal.api.hook(answer_seven)
    assert _section_add(portal, "Seven") == 7


def test_the_log_keeps_the_calls_of_a_scratch_section_apart(portal: Portal) -> None:
    log = MethodLog(portal, apart="scratch")
    scratch = _section_add(portal, "scratch work")
    portal.api.call(portal.first_user, "calendar.section.delete", {**SECTIONS, "id": scratch})
    _section_add(portal, "Mine")
    assert log.probed == ["calendar.section.add", "calendar.section.delete"]
    assert log.calls == ["calendar.section.add"]


def test_the_log_counts_writes_and_calls_on_write_with_the_count_so_far(
        portal: Portal) -> None:
    log = MethodLog(portal)
    counts: list[int] = []
    log.on_write = counts.append
    for name in ("One", "Two"):
        portal.api.call(portal.first_user, "calendar.event.add", {
            **SECTIONS, "section": 1, "name": name,
            "from": "2025-03-03T09:00:00", "to": "2025-03-03T10:00:00"})
    portal.api.call(portal.first_user, "calendar.section.get", SECTIONS)
    assert log.writes() == {"calendar.event.add": 2}
    assert counts == [1, 2]
    assert log.calls == ["calendar.event.add", "calendar.event.add", "calendar.section.get"]
