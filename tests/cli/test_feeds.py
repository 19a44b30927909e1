"""A URL as the input of push, plan and verify: conditional GET against the validators of the
last completed push, answers that are no whole calendar refused without pruning, credentials
from the environment never shown, redirects, a size limit and --timeout. The feed is the
standard library's http.server on loopback; the target, the test portal."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ics2b24.app import feeds
from ics2b24.errors import ParseError
from ics2b24.portal.server import Portal
from tests.helpers import BOTH, Cli, Feed, closed_port, portal_rows, target_args, vcalendar, vevent

ONE = vevent("one@test", "20250303T090000", "One")
TWO = vevent("two@test", "20250304T090000", "Two")
SECRET = "pa55w0rd-feed"


def names(portal: Portal) -> list[str]:
    return sorted(row["NAME"] for row in portal_rows(portal))


def push(cli: Cli, portal: Portal, state: Path, url: str, *extra: str) -> tuple[int, str, str]:
    return cli("push", url, *target_args(portal, state), *extra)


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


def test_a_feed_is_pushed_like_a_file(feed: Feed, portal: Portal, state: Path,
                                      cli: Cli) -> None:
    code, _, err = push(cli, portal, state, feed.url)
    assert code == 0, err
    assert names(portal) == ["One", "Two"]


def test_a_webcal_address_is_fetched_over_https() -> None:
    assert feeds._fetched_url("webcal://calendar.example/a.ics") == (
        "https://calendar.example/a.ics")


def test_an_unchanged_feed_costs_one_conditional_request_and_nothing_of_the_portal(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.asked.clear()
    before = portal.counters().requests
    code, out, err = push(cli, portal, state, feed.url)
    assert code == 0
    assert one_line(err) == (f"ics2b24: {feed.url}: not modified since the last push (304); "
                             "nothing to do\n")
    assert out == ""
    assert [ask.get("If-None-Match") for ask in feed.asked] == ['"v1"']
    assert feed.asked[0].get("If-Modified-Since") == feed.last_modified
    assert portal.counters().requests == before


def test_force_fetches_an_unchanged_feed_whole(feed: Feed, portal: Portal, state: Path,
                                                cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.asked.clear()
    assert push(cli, portal, state, feed.url, "--force")[0] == 0
    assert [ask.get("If-None-Match") for ask in feed.asked] == [None]


def test_a_changed_etag_pushes_the_change(feed: Feed, portal: Portal, state: Path,
                                          cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.body, feed.etag = vcalendar(ONE, TWO.replace("Two", "Two moved")).encode(), '"v2"'
    code, _, err = push(cli, portal, state, feed.url)
    assert code == 0, err
    assert "1 updated" in err
    assert names(portal) == ["One", "Two moved"]
    feed.asked.clear()
    assert "not modified" in push(cli, portal, state, feed.url)[2]
    assert [ask.get("If-None-Match") for ask in feed.asked] == ['"v2"']


def test_a_push_that_failed_asks_with_the_validators_of_the_last_one_that_completed(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.body, feed.etag = vcalendar(ONE).encode(), '"v2"'
    gone = ["--webhook", f"http://127.0.0.1:{closed_port()}/rest/1/s3cr3ttoken/"]
    assert push(cli, portal, state, feed.url, "--prune", *gone)[0] == 2
    feed.asked.clear()
    code, _, err = push(cli, portal, state, feed.url, "--prune")
    assert code == 0, err
    assert [ask.get("If-None-Match") for ask in feed.asked] == ['"v1"']
    assert names(portal) == ["One"]


@pytest.mark.parametrize(("status", "content_type", "body", "said"), [
    (500, "text/plain", b"Internal Server Error", "HTTP 500, text/plain, 21 bytes"),
    (200, "text/html", b"<!DOCTYPE html><html><body>Sign in</body></html>",
     "HTTP 200, text/html, 48 bytes: an HTML page"),
    (200, "text/calendar", b"<html><body>Sign in</body></html>",
     "HTTP 200, text/calendar, 33 bytes: an HTML page"),
    (200, "text/calendar", b"", "HTTP 200, text/calendar, 0 bytes: an empty answer"),
], ids=["error", "html", "html-as-calendar", "empty"])
def test_a_feed_answer_that_is_no_calendar_deletes_nothing_and_says_what_came_back(
        feed: Feed, portal: Portal, state: Path, cli: Cli, status: int, content_type: str,
        body: bytes, said: str) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.status, feed.content_type, feed.body, feed.etag = status, content_type, body, '"v2"'
    before = portal.counters().requests
    code, _, err = push(cli, portal, state, feed.url, "--prune")
    assert code == 65
    assert one_line(err).startswith(f"ics2b24: {feed.url}: {said}")
    assert portal.counters().requests == before
    assert names(portal) == ["One", "Two"]


def test_a_feed_cut_short_prunes_nothing_says_what_came_back_and_is_read_again_next_time(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    cut = vcalendar(ONE, TWO).replace("END:VCALENDAR\n", "")
    feed.body, feed.etag = cut[:cut.index("BEGIN:VEVENT", 80)].encode(), '"v2"'
    code, _, err = push(cli, portal, state, feed.url, "--prune")
    assert code == 0, err
    assert (f"{feed.url} (HTTP 200, text/calendar, {len(feed.body):,} bytes) ends before "
            "END:VCALENDAR") in err
    assert "--prune deletes nothing" in err
    assert names(portal) == ["One", "Two"]
    feed.asked.clear()
    push(cli, portal, state, feed.url, "--prune")
    assert [ask.get("If-None-Match") for ask in feed.asked] == ['"v1"']


def stored_files(state: Path) -> bytes:
    return b"".join(path.read_bytes() for path in state.parent.iterdir() if path.is_file())


def test_basic_auth_from_the_named_variable_reaches_the_feed_and_is_never_shown(
        feed: Feed, portal: Portal, state: Path, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    feed.authorization = "Basic dXNlcjpwYTU1dzByZC1mZWVk"  # user:pa55w0rd-feed
    monkeypatch.setenv("MY_FEED", f"user:{SECRET}")
    code, out, err = push(cli, portal, state, feed.url, "--feed-auth-env", "MY_FEED", "-v")
    assert code == 0, err
    assert names(portal) == ["One", "Two"]
    assert SECRET not in out + err
    assert SECRET.encode() not in stored_files(state)


def test_a_bearer_token_from_ics2b24_feed_auth_reaches_the_feed_and_is_never_shown(
        feed: Feed, portal: Portal, state: Path, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    feed.authorization = f"Bearer {SECRET}"
    monkeypatch.setenv("ICS2B24_FEED_AUTH", f"Bearer {SECRET}")
    code, out, err = push(cli, portal, state, feed.url, "-v")
    assert code == 0, err
    assert SECRET not in out + err
    assert SECRET.encode() not in stored_files(state)


def test_credentials_printed_by_feed_auth_command_reach_the_feed_and_are_never_shown(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    feed.authorization = f"Bearer {SECRET}"
    command = f"{sys.executable} -c \"print('Bearer {SECRET}')\""
    code, out, err = push(cli, portal, state, feed.url, "--feed-auth-command", command, "-v")
    assert code == 0, err
    assert names(portal) == ["One", "Two"]
    assert SECRET not in out + err
    assert SECRET.encode() not in stored_files(state)


def test_a_feed_auth_command_that_fails_is_a_usage_error_and_fetches_nothing(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    command = f"{sys.executable} -c \"print('user:{SECRET}'); raise SystemExit(3)\""
    code, _, err = push(cli, portal, state, feed.url, "--feed-auth-command", command)
    assert code == 2
    assert "exited 3 without printing a secret" in one_line(err)
    assert SECRET not in err
    assert feed.asked == []


def test_feed_auth_env_and_feed_auth_command_together_are_a_usage_error(
        feed: Feed, portal: Portal, state: Path, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_FEED", f"user:{SECRET}")
    code, _, err = push(cli, portal, state, feed.url, "--feed-auth-env", "MY_FEED",
                        "--feed-auth-command", "true")
    assert code == 2
    assert "not both" in one_line(err)


def test_a_login_in_the_url_is_sent_as_basic_auth_and_never_shown(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    feed.authorization = "Basic dXNlcjpwYTU1dzByZC1mZWVk"
    url = feed.url.replace("http://", f"http://user:{SECRET}@")
    code, out, err = push(cli, portal, state, url, "-v")
    assert code == 0, err
    assert "not modified" in push(cli, portal, state, url)[2]
    assert SECRET not in out + err
    assert SECRET.encode() not in stored_files(state)


def test_a_feed_that_asks_for_credentials_none_were_given_for_says_401(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    feed.authorization = "Basic dXNlcjpwYTU1dzByZC1mZWVk"
    code, _, err = push(cli, portal, state, feed.url)
    assert code == 65
    assert one_line(err).startswith(f"ics2b24: {feed.url}: HTTP 401")


def test_a_variable_named_for_feed_auth_but_unset_is_a_usage_error(
        feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    code, _, err = push(cli, portal, state, feed.url, "--feed-auth-env", "NO_SUCH_VARIABLE")
    assert code == 2
    assert "NO_SUCH_VARIABLE is not set" in one_line(err)
    assert feed.asked == []


def test_a_redirect_is_followed(feed: Feed, portal: Portal, state: Path, cli: Cli) -> None:
    feed.redirects = {"/old.ics": "/feed.ics"}
    code, _, err = push(cli, portal, state, feed.url.replace("feed.ics", "old.ics"))
    assert code == 0, err
    assert names(portal) == ["One", "Two"]


def test_endless_redirects_are_refused(feed: Feed, portal: Portal, state: Path,
                                       cli: Cli) -> None:
    feed.redirects = {"/feed.ics": "/feed.ics"}
    code, _, err = push(cli, portal, state, feed.url)
    assert code == 65
    assert "redirects more than 5 times" in one_line(err)
    assert len(feed.asked) == 6


def test_a_redirect_from_https_down_to_http_is_refused() -> None:
    with pytest.raises(ParseError, match="from https:// to plain http://"):
        feeds._check_redirect("feed", "https://a.example/x.ics", "http://a.example/x.ics")


@pytest.mark.parametrize("declares_length", [True, False], ids=["declared", "streamed"])
def test_a_feed_larger_than_the_limit_is_refused(
        feed: Feed, portal: Portal, state: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
        declares_length: bool) -> None:
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", len(BOTH) - 1)
    feed.declares_length = declares_length
    code, _, err = push(cli, portal, state, feed.url)
    assert code == 65
    assert "refused (no calendar is that large)" in one_line(err)
    assert names(portal) == []


def test_a_trickling_feed_is_bounded_by_timeout(feed: Feed, portal: Portal, state: Path,
                                                cli: Cli) -> None:
    feed.trickle = 0.05
    started = time.monotonic()
    code, _, err = push(cli, portal, state, feed.url, "--timeout", "1")
    assert code == 65
    assert "did not answer within 1 s (--timeout)" in one_line(err)
    assert time.monotonic() - started < 5
    assert names(portal) == []


def test_plan_reads_a_feed_whole_and_keeps_no_validators(feed: Feed, portal: Portal,
                                                          state: Path, cli: Cli) -> None:
    assert push(cli, portal, state, feed.url)[0] == 0
    feed.asked.clear()
    code, out, _ = cli("plan", feed.url, *target_args(portal, state))
    assert code == 0
    assert "Nothing to do" in out
    assert [ask.get("If-None-Match") for ask in feed.asked] == [None]


def test_a_feed_nothing_listens_at_is_one_line_and_exit_65(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.ics"
    done = subprocess.run([sys.executable, "-m", "ics2b24", "convert", url],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 65
    assert one_line(done.stderr) == (f"ics2b24: {url}: the feed cannot be fetched: connection "
                                     "refused (nothing listens there)\n")


def test_verbose_shows_each_feed_request_without_its_login(feed: Feed, portal: Portal,
                                                           state: Path, cli: Cli) -> None:
    feed.authorization = "Basic dXNlcjpwYTU1dzByZC1mZWVk"
    url = feed.url.replace("http://", f"http://user:{SECRET}@")
    _, _, err = push(cli, portal, state, url, "-v")
    assert f"GET {feed.url} -> HTTP 200, text/calendar, {len(BOTH):,} bytes" in err
    assert SECRET not in err
