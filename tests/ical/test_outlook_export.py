"""An Outlook/Exchange export from the wild (tests/ical/data/ms_timezones.ics, node-ical)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.options import ConvertOptions

DATA = Path(__file__).parent / "data" / "ms_timezones.ics"


def _result() -> ConvertResult:
    options = ConvertOptions.build(ConvertChoices(tz="UTC", horizon_end=date(2030, 1, 1)),
                                   system_zone="UTC")
    return convert_inputs([("ms_timezones.ics", DATA.read_bytes())], options)


def test_outlook_windows_zone_names_become_iana_names() -> None:
    names = {e.params.name: e.params.timezone_from for e in _result().events}
    assert names["test"] == "Europe/Berlin"
    assert names["Not the actual summary 1"] == "America/Los_Angeles"


def test_outlook_event_with_a_mangled_tzid_is_skipped_and_named() -> None:
    result = _result()
    assert "Log Yesterday's Jira time" not in {e.params.name for e in result.events}
    assert result.warnings == [
        "ms_timezones.ics:145: UID 040000008200E00074C5B7101A82E008000000008001F1896B63D3010000"
        "000000000000100000005D0552D848712746896D6C8E2E066560: VEVENT skipped: DTSTART cannot "
        "be read"]


def test_outlook_event_keeps_its_wall_clock_busy_status_and_priority() -> None:
    params = {e.params.name: e.params for e in _result().events}["test"]
    assert (params.date_from, params.date_to, params.accessibility, params.importance) == (
        "2020-09-10T09:00:00", "2020-09-10T09:30:00", "busy", "normal")
