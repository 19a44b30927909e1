"""A group calendar of a group the portal does not have: a real portal takes its sections and
events and shows them to nobody, so push, plan, `section add` and doctor refuse it in one line
(exit 2) before anything is written — and go on, with one warning, where the portal cannot
say (credentials without the sonet_group scope, a portal without the method)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from tests.helpers import Cli, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))
NO_GROUP = ("no group 999 on this portal that these credentials can see (sonet_group.get "
            "finds none): nothing was written; check --owner")
UNCHECKED = "group 7 could not be checked"


def group_args(portal: Portal, state: Path, group: int) -> list[str]:
    return ["--webhook", portal.webhook_url, "--type", "group", "--owner", str(group),
            "--section-name", "Imported", "--state", str(state)]


def nothing_in(portal: Portal, group: int) -> bool:
    return portal.store.sections("group", group) == [] and portal.store.events(
        "group", group) == []


def test_push_to_a_missing_group_is_one_line_exit_2_and_writes_nothing(
        portal: Portal, state: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state.parent.mkdir()
    done = subprocess.run([sys.executable, "-m", "ics2b24", "push", str(source),
                           *group_args(portal, state, 999)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == f"ics2b24: {NO_GROUP}\n"
    assert nothing_in(portal, 999)


def test_plan_for_a_missing_group_is_exit_2(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli("plan", str(source), *group_args(portal, state, 999))
    assert (code, err.strip()) == (2, f"ics2b24: {NO_GROUP}")


def test_section_add_to_a_missing_group_is_exit_2_and_adds_nothing(
        portal: Portal, cli: Cli) -> None:
    code, out, err = cli("section", "add", "--webhook", portal.webhook_url, "--type", "group",
                         "--owner", "999", "--name", "Sprints")
    assert (code, out, err.strip()) == (2, "", f"ics2b24: {NO_GROUP}")
    assert nothing_in(portal, 999)


def test_doctor_in_a_missing_group_is_exit_2_and_leaves_no_scratch_section(
        portal: Portal, cli: Cli) -> None:
    code, out, err = cli("doctor", "--webhook", portal.webhook_url, "--type", "group",
                         "--owner", "999")
    assert (code, out, err.strip()) == (2, "", f"ics2b24: {NO_GROUP}")
    assert nothing_in(portal, 999)


def test_push_to_a_group_the_portal_has_writes_without_a_warning(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli("push", str(source), *group_args(portal, state, 7))
    assert code == 0, err
    assert "could not be checked" not in err
    assert [e["name"] for e in portal.store.events("group", 7)] == ["One"]


def test_credentials_without_the_sonet_group_scope_warn_and_push(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    grant = portal.mint_tokens(scope="calendar,basic,user")
    for name, value in (("B24_PORTAL", portal.base_url), ("B24_ACCESS_TOKEN", grant.access_token),
                        ("B24_REFRESH_TOKEN", grant.refresh_token),
                        ("B24_CLIENT_ID", grant.client_id),
                        ("B24_CLIENT_SECRET", grant.client_secret)):
        monkeypatch.setenv(name, value)
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli("push", str(source), "--oauth-server", portal.base_url, "--type",
                       "group", "--owner", "7", "--section-name", "Imported", "--state",
                       str(state))
    assert code == 0, err
    (warning,) = [line for line in err.splitlines() if UNCHECKED in line]
    assert "insufficient_scope" in warning
    assert grant.access_token not in err
    assert [e["name"] for e in portal.store.events("group", 7)] == ["One"]


def test_a_portal_without_the_method_warns_once_and_section_add_proceeds(
        make_portal: Callable[..., Portal], cli: Cli) -> None:
    portal = make_portal(profile=Profile(socialnetwork=False))
    code, _, err = cli("section", "add", "--webhook", portal.webhook_url, "--type", "group",
                       "--owner", "7", "--name", "Sprints")
    assert code == 0, err
    (warning,) = err.splitlines()
    assert UNCHECKED in warning and "ERROR_METHOD_NOT_FOUND" in warning
    assert portal.first_user.webhook_token not in err
    assert [s["name"] for s in portal.store.sections("group", 7)] == ["Sprints"]


def test_undo_takes_back_what_push_wrote_into_a_group_the_portal_does_not_have(
        make_portal: Callable[..., Portal], state: Path, cli: Cli, tmp_path: Path) -> None:
    """Pushed where the group could not be checked; undo is how those events come back out."""
    data = str(tmp_path / "portal.sqlite3")
    unaskable = make_portal(data=data, profile=Profile(socialnetwork=False))
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli("push", str(source), *group_args(unaskable, state, 999))
    assert code == 0, err
    port = unaskable.port
    unaskable.stop()
    portal = make_portal(data=data, port=port)
    code, _, err = cli("undo", "--yes", *group_args(portal, state, 999))
    assert code == 0, err
    assert portal.store.events("group", 999) == []
