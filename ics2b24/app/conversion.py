"""The user's convert choices as the converter's options (ical/options.py), read here because
ical/ is pure: the --user-map file, and the machine's zone (what TZIDs no one defines are
read in when nothing names the zone of floating times). Every command that converts builds
its options through `convert_options`, so `convert`, `plan`, `push` and `verify` read an
input alike."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ics2b24.errors import ParseError, UsageError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.options import ConvertOptions
from ics2b24.ical.people import parse_user_map
from ics2b24.ical.tz import resolve_zone


def convert_options(choices: ConvertChoices,
                    user: Mapping[str, Any] | None = None) -> ConvertOptions:
    """The options for `choices`; `user` is the portal's `user.current` answer (its zone
    decides floating times: `floating_zone`), None for a run that knows no portal."""
    read_map = read_user_map(choices.user_map) if choices.user_map else None
    return ConvertOptions.build(
        choices, system_zone=system_zone_name(), read_map=read_map,
        user_zone=(user or {}).get("TIME_ZONE") or None, portal=user is not None)


def read_user_map(path: str, option: str = "--user-map") -> dict[str, int]:
    """The user map in the file at `path` (ical/people.py, `parse_user_map`); a file that
    cannot be read is named with the `option` that gave it."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or 'cannot be read'}") from exc
    except UnicodeDecodeError as exc:
        raise ParseError("the user map is not UTF-8 text", file=path) from exc
    return parse_user_map(path, text)


def system_zone_name() -> str:
    """The system's zone: $TZ, /etc/timezone, the /etc/localtime link; else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    localtime = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in localtime:
        candidates.append(localtime.split("zoneinfo/", 1)[1])
    for candidate in candidates:
        if not candidate:
            continue
        try:
            resolve_zone(candidate)
        except KeyError:
            continue
        return candidate
    return "UTC"
