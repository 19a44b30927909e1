"""Inputs the full fuzz run (`python -m bench.fuzz`) found ending in a traceback or a hang,
reduced to a few lines each: like every input, each must end in exit 0 (with warnings) or in
exit 65 with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fuzz import mutate, run_convert


def _calendar(event: str, head: str = "") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//findings//EN\r\n" + head
            + "BEGIN:VEVENT\r\n" + event + "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


_ZONE_WITH_TWO_TZIDS = (
    "BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\n"
    "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)

FINDINGS = {
    "unreadable DTSTART on an event without UID": _calendar(
        "DTSTART:2011051A\r\nSUMMARY:no uid\r\n"),
    "unreadable EXDATE in a calendar with X-WR-TIMEZONE": _calendar(
        "UID:a\r\nDTSTART:20240101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:notadate\r\n",
        "X-WR-TIMEZONE:Europe/Berlin\r\n"),
    "VTIMEZONE with two TZID lines": _calendar(
        "UID:a\r\nDTSTART:20240101T100000Z\r\n", _ZONE_WITH_TWO_TZIDS),
    "RRULE with INTERVAL=0": _calendar(
        "UID:a\r\nDTSTART:20240101T100000Z\r\nRRULE:FREQ=WEEKLY;INTERVAL=0\r\n"),
    "the Google sample with bytes that are not UTF-8 inside its first BYDAY": mutate(
        (Path(__file__).parents[2] / "samples" / "google-export.ics").read_bytes(),
        [("bad-utf8", 126027, 0, "")], b""),
}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_fuzz_finding_ends_in_exit_0_or_one_clear_line_with_exit_65(
        name: str, tmp_path: Path) -> None:
    path = tmp_path / "finding.ics"
    path.write_bytes(FINDINGS[name])
    outcome = run_convert(path)
    assert outcome.crash is None, outcome.crash
    assert outcome.code in (0, 65)
    if outcome.code == 65:
        assert len(outcome.stderr.strip().splitlines()) == 1
