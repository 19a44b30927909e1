from __future__ import annotations

import json
from pathlib import Path

import pytest

from ics2b24.cli import main
from tests.ical.ics import calendar

SAMPLES = Path(__file__).parents[2] / "samples"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_convert_writes_one_json_object_per_line_sorted(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "convert", str(SAMPLES / "outlook-export.ics"), "--tz", "UTC")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["uid"] for line in lines] == sorted(line["uid"] for line in lines)
    assert {line["params"]["timezone_from"] for line in lines} == {"Europe/Berlin"}


def test_every_sample_converts_without_error(capsys: pytest.CaptureFixture[str]) -> None:
    samples = sorted(str(p) for p in SAMPLES.glob("*.ics"))
    assert len(samples) >= 6
    code, out, _ = _run(capsys, "convert", *samples, "--tz", "Europe/Berlin",
                        "--horizon-end", "2027-01-01", "--user-map", str(SAMPLES / "users.csv"))
    kinds = {json.loads(line)["kind"] for line in out.splitlines()}
    assert code == 0
    assert kinds == {"single", "series", "override", "occurrence"}


def test_warnings_are_summarised_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "convert", str(SAMPLES / "attendees.ics"), "--tz", "UTC")
    assert code == 0
    assert "warning(s):" in err
    assert "UID kickoff-2025@example.org" in err


def test_unreadable_file_exits_65_with_one_line(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n")
    code, out, err = _run(capsys, "convert", str(bad))
    assert (code, out) == (65, "")
    assert err.strip().splitlines() == [f"ics2b24: {bad}:2: BEGIN:VEVENT is never closed"]


def test_strict_exits_65_on_a_broken_vevent(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:2024\r\n"
                    b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert _run(capsys, "convert", str(bad))[0] == 0
    code, _, err = _run(capsys, "convert", "--strict", str(bad))
    assert code == 65
    assert "UID a: VEVENT skipped: DTSTART cannot be read" in err


def test_unknown_tz_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "convert", str(SAMPLES / "all-day.ics"), "--tz", "Mars/Base")
    assert code == 2
    assert "unknown time zone" in err


def test_stdin_is_read_with_a_dash(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (SAMPLES / "all-day.ics").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = _run(capsys, "convert", "-", "--horizon-end", "2027-01-01")
    assert code == 0
    assert "trip-lisbon@example.org" in out


def test_rule_in_another_calendar_system_skips_only_that_event(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lunar = tmp_path / "a.ics"
    lunar.write_bytes(calendar("UID:lunar\nDTSTART;VALUE=DATE:20240210\n"
                               "RRULE:RSCALE=CHINESE;FREQ=YEARLY",
                               "UID:a\nDTSTART:20240210T100000Z"))
    other = tmp_path / "b.ics"
    other.write_bytes(calendar("UID:b\nDTSTART:20240211T100000Z"))
    code, out, err = _run(capsys, "convert", str(lunar), str(other), "--tz", "UTC")
    assert (code, [json.loads(line)["uid"] for line in out.splitlines()]) == (0, ["a", "b"])
    assert f"{lunar}:4: UID lunar: VEVENT skipped: its RRULE counts in the CHINESE calendar " \
           "(RSCALE), which cannot be converted to dates" in err


FLOATING = calendar("UID:f\nDTSTART:20250310T090000\nDTEND:20250310T100000\nSUMMARY:Floating")


def test_floating_times_with_no_zone_named_anywhere_are_refused_with_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """convert knows no portal: reading them in the system's zone printed what push, which
    takes the portal user's zone, would not send."""
    source = tmp_path / "floating.ics"
    source.write_bytes(FLOATING)
    code, out, err = _run(capsys, "convert", str(source))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"ics2b24: {source}:4: UID f: a time without a zone (floating), and nothing names the "
        "zone it is in (convert knows no portal; plan and push would take the portal user's "
        "zone): give --tz ZONE"]


def test_a_calendars_x_wr_timezone_places_its_floating_times_before_tz(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "floating.ics"
    source.write_bytes(FLOATING.replace(b"VERSION:2.0", b"VERSION:2.0\r\n"
                                                         b"X-WR-TIMEZONE:America/New_York"))
    zones = []
    for flags in ([], ["--tz", "Asia/Tokyo"]):
        code, out, err = _run(capsys, "convert", str(source), *flags)
        assert (code, err) == (0, "")
        zones.append(json.loads(out)["params"]["timezone_from"])
    assert zones == ["America/New_York", "America/New_York"]


def test_convert_help_states_the_rule_for_floating_times(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "convert", "--help")
    assert code == 0
    assert "in a calendar without X-WR-TIMEZONE (which wins: it speaks for its own calendar). " \
        "Without --tz, plan and push take the portal user's zone" in " ".join(out.split())
