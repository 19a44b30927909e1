"""The user's convert choices made into the converter's options (app/conversion.py): the
--user-map file and the machine's zone are read here, ical/ only receives their values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ics2b24.app.conversion import convert_options, read_user_map, system_zone_name
from ics2b24.errors import ParseError, UsageError
from ics2b24.ical.choices import ConvertChoices


def test_csv_user_map_is_read(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nAnn@Example.org,7\n\nbob@example.org, 12\n")
    assert read_user_map(str(path)) == {"ann@example.org": 7, "bob@example.org": 12}


def test_json_user_map_is_read(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"ann@example.org": 7, "mailto:bob@example.org": "12"}')
    assert read_user_map(str(path)) == {"ann@example.org": 7, "bob@example.org": 12}


def test_csv_user_map_without_header_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("ann@example.org,7\n")
    with pytest.raises(ParseError, match="header email,user_id"):
        read_user_map(str(path))


def test_user_map_with_a_bad_id_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nann@example.org,7\nbob@example.org,bob\n")
    with pytest.raises(ParseError) as info:
        read_user_map(str(path))
    assert info.value.line == 3


def test_invalid_json_user_map_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"ann@example.org": 7,')
    with pytest.raises(ParseError, match="invalid JSON"):
        read_user_map(str(path))


def test_missing_user_map_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--user-map"):
        read_user_map(str(tmp_path / "nope.csv"))


def test_default_tz_is_the_systems_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")
    assert system_zone_name() == "America/Chicago"
    assert convert_options(ConvertChoices()).tz_name == "America/Chicago"


def test_a_runs_own_mapped_people_win_over_the_user_map_file(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nann@example.org,7\nbob@example.org,8\n")
    choices = ConvertChoices(tz="UTC", user_map=str(path), mapped={"ann@example.org": 9})
    assert convert_options(choices).user_map == {"ann@example.org": 9, "bob@example.org": 8}


def test_the_portal_users_zone_reads_floating_times_when_no_tz_is_given() -> None:
    options = convert_options(ConvertChoices(), {"TIME_ZONE": "Asia/Tokyo"})
    assert (options.tz_name, options.floating.source) == ("Asia/Tokyo",
                                                          "the portal user's zone")


def test_a_run_without_a_portal_refuses_floating_times_without_tz() -> None:
    assert convert_options(ConvertChoices()).floating.refusal == (
        "convert knows no portal; plan and push would take the portal user's zone")
