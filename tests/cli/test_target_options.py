"""The options a target needs are spelled as `push` spells them on every command that takes a
target (docs/proof.md: "It takes the target options `push` takes"), and the credentials on every
command that talks to a portal: a user who learnt them once need not look them up again, and
a command added later cannot drift, since the commands are found from the CLI itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import click
import pytest

from ics2b24.cli import cli
from ics2b24.cli.options import STATE_OPTION, credential_options, target_options

TARGET_COMMANDS = ("plan", "undo", "verify", "events list", "backup")
"""Besides push, every command that takes a TARGET."""


def declared(*decorators: Callable[[Any], Any]) -> set[str]:
    """The parameter names the shared decorators add."""
    def command() -> None: ...

    for decorate in decorators:
        command = decorate(command)
    return {param.name for param in getattr(command, "__click_params__", []) if param.name}


CREDENTIALS = declared(credential_options)
TARGET = declared(credential_options, target_options, STATE_OPTION)


def commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def spelled(command: click.Command, names: set[str]) -> dict[str, tuple[Any, ...]]:
    """How the command spells each of these options: flags, type, metavar, default, whether
    required, help."""
    return {param.name: (tuple(param.opts), tuple(param.secondary_opts), repr(param.type),
                         param.metavar, param.default, param.required,
                         getattr(param, "help", None))
            for param in command.params if param.name in names}


PUSH = dict(commands())["push"]


@pytest.mark.parametrize("name", TARGET_COMMANDS)
def test_a_target_command_takes_every_target_option_push_takes_spelled_alike(name: str) -> None:
    assert spelled(dict(commands())[name], TARGET) == spelled(PUSH, TARGET)


def test_every_command_taking_a_section_is_one_of_the_target_commands() -> None:
    taking = {name for name, command in commands()
              if any("--section-name" in param.opts for param in command.params)}
    assert taking == {"push", *TARGET_COMMANDS}


def test_every_command_that_talks_to_a_portal_spells_the_credentials_as_push_does() -> None:
    talking = [name for name, command in commands()
               if any("--webhook" in param.opts for param in command.params)]
    assert len(talking) > len(TARGET_COMMANDS) + 1
    differing = [name for name in talking
                 if spelled(dict(commands())[name], CREDENTIALS) != spelled(PUSH, CREDENTIALS)]
    assert differing == []
