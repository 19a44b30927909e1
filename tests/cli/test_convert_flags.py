"""The convert flags reach a command as one `ConvertChoices` (cli/options.py), with the
defaults a pair of `sync` has too."""

from __future__ import annotations

from datetime import date

import click
from click.testing import CliRunner

from ics2b24.cli.options import convert_options
from ics2b24.ical.choices import ConvertChoices


def _given(*args: str) -> ConvertChoices:
    seen: list[ConvertChoices] = []

    @click.command()
    @convert_options
    def command(conversion: ConvertChoices) -> None:
        seen.append(conversion)

    result = CliRunner().invoke(command, list(args))
    assert result.exit_code == 0, result.output
    return seen[0]


def test_no_convert_flags_are_the_default_choices() -> None:
    assert _given() == ConvertChoices()


def test_dates_of_the_convert_flags_are_dates() -> None:
    given = _given("--since", "2025-01-01", "--horizon-end", "2026-06-30")
    assert (given.since, given.horizon_end) == (date(2025, 1, 1), date(2026, 6, 30))
