"""A file of pairs read into typed values (app/pairs.py): the convert choices a pair sets."""

from __future__ import annotations

import tomllib
from datetime import date

from ics2b24.app.pairs import parse_pairs
from ics2b24.ical.choices import ConvertChoices


def _choices(body: str) -> ConvertChoices:
    data = tomllib.loads(f'[pairs.a]\nsources = ["x.ics"]\nsection = 1\n{body}')
    return parse_pairs(data, "pairs.toml")[0].convert


def test_a_pair_without_convert_keys_converts_as_push_without_flags() -> None:
    assert _choices("") == ConvertChoices()


def test_a_pairs_convert_keys_are_its_choices() -> None:
    assert _choices('since = 2025-01-01\nhorizon_end = "2026-06-30"\nmax_occurrences = 5\n'
                    'tz = "Europe/Berlin"\nno_attendees = true\n') == ConvertChoices(
        tz="Europe/Berlin", since=date(2025, 1, 1), horizon_end=date(2026, 6, 30),
        max_occurrences=5, no_attendees=True)
