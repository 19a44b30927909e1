"""`convert`: the events an input must become, as JSON Lines; no portal involved."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from ics2b24.cli.options import convert_options
from ics2b24.cli.root import cli, console_of, read_files, show_warnings

if TYPE_CHECKING:
    from ics2b24.ical.choices import ConvertChoices


@cli.command()
@click.argument("files", nargs=-1)
@convert_options
@click.pass_context
def convert(ctx: click.Context, files: tuple[str, ...], conversion: ConvertChoices) -> None:
    """Write the Bitrix24 events FILE… (or - for stdin) must become, as JSON Lines."""
    from ics2b24.app.conversion import convert_options as options_for
    from ics2b24.ical.convert import convert_inputs

    options = options_for(conversion)
    inputs = read_files(files)
    console = console_of(ctx)
    console.status(f"reading {inputs[0][0] if len(inputs) == 1 else f'{len(inputs)} files'}…")
    result = convert_inputs(inputs, options)
    console.close()
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
    show_warnings(ctx, result.warnings)
    if not result.events:
        console.note("no events in the input")
