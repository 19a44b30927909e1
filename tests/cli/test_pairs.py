"""`ics2b24 sync`: a file of pairs, each pushed into its own target with its own state DB,
against the test portal over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal
from tests.helpers import Cli, Feed, MethodLog, vcalendar, vevent, write

TEAM = vcalendar(vevent("t1@test", "20250310T090000", "Team call"),
                 vevent("t2@test", "20250311T090000", "Team lunch"))
HOME = vcalendar(vevent("h1@test", "20250312T180000", "Dentist"))


def _section_names(portal: Portal) -> dict[str, int]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return {row["NAME"]: int(row["ID"]) for row in rows}


def _events(portal: Portal, section: str) -> list[str]:
    section_id = _section_names(portal)[section]
    return sorted(e["name"] for e in portal.store.events("user", 1, [section_id]))


def _pairs(tmp_path: Path, body: str, *, sources: bool = True) -> Path:
    if sources:
        (tmp_path / "home").mkdir(exist_ok=True)
        write(tmp_path / "team.ics", TEAM)
        write(tmp_path / "home" / "home.ics", HOME)
    return write(tmp_path / "pairs.toml", body)


TWO_PAIRS = """
[defaults]
webhook_env = "MY_PORTAL"
type = "user"
owner = 1

[pairs.team]
sources = ["{tmp}/team.ics"]
section_name = "Team"
prune = true

[pairs.home]
sources = ["{tmp}/home/*.ics"]
section_name = "Home"
"""


@pytest.fixture
def two_pairs(tmp_path: Path, portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MY_PORTAL", portal.webhook_url)
    return _pairs(tmp_path, TWO_PAIRS.format(tmp=tmp_path))


def test_every_pair_is_pushed_into_its_own_section_with_one_line_each(
        portal: Portal, two_pairs: Path, cli: Cli) -> None:
    code, _, err = cli("sync", "--config", str(two_pairs))
    assert code == 0, err
    assert _events(portal, "Team") == ["Team call", "Team lunch"]
    assert _events(portal, "Home") == ["Dentist"]
    summaries = [line for line in err.splitlines() if line.startswith("ics2b24: [")]
    assert summaries[0].startswith("ics2b24: [team] 2 added")
    assert summaries[1].startswith("ics2b24: [home] 1 added")


def test_a_second_sync_writes_nothing_and_each_pair_keeps_its_own_state_db(
        portal: Portal, two_pairs: Path, cli: Cli, spy: MethodLog) -> None:
    cli("sync", "--config", str(two_pairs))
    spy.clear()
    code, _, err = cli("sync", "--config", str(two_pairs))
    assert code == 0, err
    assert not spy.writes()
    data = Path(os.environ["XDG_DATA_HOME"]) / "ics2b24" / "pairs"
    assert sorted(p.name for p in data.glob("*.sqlite3")) == ["home.sqlite3", "team.sqlite3"]


def test_a_named_pair_runs_alone(portal: Portal, two_pairs: Path, cli: Cli) -> None:
    code, _, err = cli("sync", "home", "--config", str(two_pairs))
    assert code == 0, err
    assert "Home" in _section_names(portal) and "Team" not in _section_names(portal)


def test_a_pair_that_fails_leaves_the_others_done_and_sets_the_exit_code(
        portal: Portal, two_pairs: Path, cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "team.ics", "BEGIN:VCALENDAR\r\nnot a calendar")
    code, _, err = cli("sync", "--config", str(two_pairs))
    assert code == 65
    assert _events(portal, "Home") == ["Dentist"]
    assert "ics2b24: [team] " in err
    assert err.strip().splitlines()[-1] == "ics2b24: 1 of 2 pair(s) failed: team"


def test_dry_run_plans_every_pair_and_writes_nothing(
        portal: Portal, two_pairs: Path, cli: Cli, spy: MethodLog) -> None:
    code, out, err = cli("sync", "--config", str(two_pairs), "--dry-run")
    assert code == 0, err
    assert "[team]" in out and "[home]" in out
    assert not spy.writes()


def test_a_glob_that_matches_nothing_is_that_pairs_error_not_an_empty_input(
        portal: Portal, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty input with prune would delete every event the pair manages."""
    monkeypatch.setenv("MY_PORTAL", portal.webhook_url)
    path = _pairs(tmp_path, TWO_PAIRS.format(tmp=tmp_path).replace("home/*.ics", "none/*.ics"))
    code, _, err = cli("sync", "--config", str(path))
    assert code == 2
    assert "none/*.ics matches no file" in err


def test_a_webhook_written_in_the_file_needs_a_private_file_that_says_so(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    body = (f'[pairs.team]\nsources = ["{tmp_path}/team.ics"]\nowner = 1\n'
            f'section_name = "Team"\nwebhook = "{portal.webhook_url}"\n')
    path = _pairs(tmp_path, body)
    path.chmod(0o644)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 2 and "chmod 600" in err
    assert portal.first_user.webhook_token not in err
    path.write_text("secrets_in_file = true\n" + body, encoding="utf-8")
    code, _, err = cli("sync", "--config", str(path))
    assert code == 2, "readable by others: still refused"
    path.chmod(0o600)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert _events(portal, "Team") == ["Team call", "Team lunch"]


def test_a_webhook_command_gives_the_pair_its_credentials(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    body = (f'[pairs.team]\nsources = ["{tmp_path}/team.ics"]\nowner = 1\n'
            f'section_name = "Team"\nwebhook_command = "echo {portal.webhook_url}"\n')
    code, _, err = cli("sync", "--config", str(_pairs(tmp_path, body)))
    assert code == 0, err
    assert portal.first_user.webhook_token not in err


@pytest.mark.parametrize(("body", "says"), [
    ('[pairs.a]\nsources = ["x.ics"]\nsection = 1\ncolour = "red"\n', "unknown key 'colour'"),
    ('[pairs.a]\nsources = []\nsection = 1\n', "sources must name"),
    ('[pairs.a]\nsources = ["x.ics"]\n', "give section (an id) or section_name"),
    ('[pairs.a]\nsources = ["x.ics"]\nsection = 1\nsince = "soon"\n', "since must be a date"),
    ('[pairs."a b"]\nsources = ["x.ics"]\nsection = 1\n', "a pair's name is"),
    ("[pairs.a\n", "not valid TOML"),
    ("", "no [pairs.NAME] table"),
])
def test_a_pairs_file_that_cannot_be_used_is_one_line_and_exit_2(
        tmp_path: Path, cli: Cli, body: str, says: str) -> None:
    path = _pairs(tmp_path, body, sources=False)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and says in err and str(path) in err


def test_the_pairs_file_is_found_through_ics2b24_config(
        portal: Portal, two_pairs: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICS2B24_CONFIG", str(two_pairs))
    code, _, err = cli("sync", "team")
    assert code == 0, err
    assert _events(portal, "Team") == ["Team call", "Team lunch"]


def _pair_of(tmp_path: Path, portal: Portal, extra: str, calendar: str) -> Path:
    write(tmp_path / "feed.ics", calendar)
    return write(tmp_path / "pairs.toml", (
        f'[pairs.feed]\nsources = ["{tmp_path}/feed.ics"]\nowner = 1\nsection_name = "Feed"\n'
        f'webhook_command = "echo {portal.webhook_url}"\n{extra}'))


MIXED = vcalendar(
    vevent("w@test", "20250310T090000", "Work sync", "CATEGORIES:Work"),
    vevent("p@test", "20250311T090000", "Private: gym", "CATEGORIES:Home,Work"),
    vevent("f@test", "20250312T090000", "Out of office", "TRANSP:TRANSPARENT"))


@pytest.mark.parametrize(("extra", "kept"), [
    ('exclude = "^Private"\n', ["Out of office", "Work sync"]),
    ('include = "sync|office"\n', ["Out of office", "Work sync"]),
    ('categories = ["work"]\n', ["Private: gym", "Work sync"]),
    ("skip_free = true\n", ["Private: gym", "Work sync"]),
])
def test_a_pairs_filter_decides_which_events_reach_its_section(
        portal: Portal, tmp_path: Path, cli: Cli, extra: str, kept: list[str]) -> None:
    code, _, err = cli("sync", "--config", str(_pair_of(tmp_path, portal, extra, MIXED)))
    assert code == 0, err
    assert _events(portal, "Feed") == kept


def test_an_event_the_filter_now_leaves_out_is_pruned_like_one_the_input_dropped(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    cli("sync", "--config", str(_pair_of(tmp_path, portal, "prune = true\n", MIXED)))
    path = _pair_of(tmp_path, portal, 'prune = true\nexclude = "^Private"\n', MIXED)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert _events(portal, "Feed") == ["Out of office", "Work sync"]


def test_prune_future_never_deletes_what_has_ended(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    both = vcalendar(vevent("old@test", "20200310T090000", "Long ago"),
                     vevent("new@test", "20990310T090000", "Far ahead"))
    cli("sync", "--config", str(_pair_of(tmp_path, portal, 'prune = "future"\n', both)))
    empty_but_one = vcalendar(vevent("x@test", "20990311T090000", "Other"))
    path = _pair_of(tmp_path, portal, 'prune = "future"\nforce_delete = true\n', empty_but_one)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert _events(portal, "Feed") == ["Long ago", "Other"]


def test_a_pair_whose_feed_is_unchanged_costs_one_request_and_nothing_of_the_portal(
        portal: Portal, tmp_path: Path, cli: Cli, feed: Feed, spy: MethodLog) -> None:
    path = write(tmp_path / "pairs.toml", (
        f'[pairs.feed]\nsources = ["{feed.url}"]\nowner = 1\nsection_name = "Feed"\n'
        f'webhook_command = "echo {portal.webhook_url}"\nprune = true\n'))
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert _events(portal, "Feed") == ["One", "Two"]
    spy.clear()
    asked = len(feed.asked)
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert "ics2b24: [feed] not modified since the last sync (304); nothing to do" in err
    assert len(feed.asked) == asked + 1 and feed.asked[-1]["If-None-Match"] == feed.etag
    assert spy.calls == []


def test_a_pair_fetches_its_feed_with_the_credentials_its_feed_auth_command_prints(
        portal: Portal, tmp_path: Path, cli: Cli, feed: Feed) -> None:
    feed.authorization = "Bearer feed-token-9"
    path = write(tmp_path / "pairs.toml", (
        f'[pairs.feed]\nsources = ["{feed.url}"]\nowner = 1\nsection_name = "Feed"\n'
        f'webhook_command = "echo {portal.webhook_url}"\n'
        'feed_auth_command = "echo Bearer feed-token-9"\n'))
    code, out, err = cli("sync", "--config", str(path))
    assert code == 0, err
    assert _events(portal, "Feed") == ["One", "Two"]
    assert "feed-token-9" not in out + err


THREE_PAIRS = TWO_PAIRS + """
[pairs.again]
sources = ["{tmp}/team.ics"]
section_name = "Again"
"""


def test_pairs_on_one_portal_share_its_request_limit(
        make_portal: Callable[..., Portal], tmp_path: Path, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A burst of 10: three pairs send more than that between them, so pacers that each knew
    # only their own pair's requests would run into the portal's 503.
    portal = make_portal(limits=LimitSettings(rate=2, burst=10))
    monkeypatch.setenv("MY_PORTAL", portal.webhook_url)
    code, _, err = cli("sync", "--config", str(_pairs(tmp_path, THREE_PAIRS.format(
        tmp=tmp_path))), "--rate", "2/10")
    assert code == 0, err
    counters = portal.counters()
    assert counters.requests > 10
    assert counters.query_limit_exceeded == 0
