from __future__ import annotations

from ics2b24.ical.read import read_input
from ics2b24.ical.section import section_of
from ics2b24.model import Section
from tests.ical.ics import calendar


def _section(header: str) -> Section | None:
    return section_of(read_input("s.ics", calendar(header=header)).calendars[0])


def test_google_calendar_name_and_description_become_the_section() -> None:
    assert _section("X-WR-CALNAME:Team\nX-WR-CALDESC:Our team") == Section(
        "Team", "Our team", None)


def test_rfc7986_name_wins_over_x_wr_calname() -> None:
    assert _section("X-WR-CALNAME:Old\nNAME:New").name == "New"  # type: ignore[union-attr]


def test_apple_calendar_colour_becomes_hex_rgb() -> None:
    section = _section("X-WR-CALNAME:Home\nX-APPLE-CALENDAR-COLOR:#FF2968FF")
    assert section == Section("Home", None, "#ff2968")


def test_rfc7986_colour_name_becomes_hex_rgb() -> None:
    assert _section("COLOR:royalblue") == Section(None, None, "#4169e1")


def test_calendar_without_metadata_has_no_section() -> None:
    assert _section("") is None
