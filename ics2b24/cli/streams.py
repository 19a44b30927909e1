"""Standard output and error made safe to write, whatever the shell gave the process.

- A stream the shell closed (`>&-`, `2>&-`) is None in Python and its descriptor is free:
  the next file opened (the state DB) would take it, and a stray write to it would land in
  that file. /dev/null holds the descriptor. A closed stderr is then a quiet run that does
  its work; a closed stdout is output that cannot be written: the first write raises
  `OutputError` (exit 74), so `convert` stops and `push --json` pushes, then says so.
- An encoding that cannot write every character (`PYTHONIOENCODING=ascii`, a C locale):
  stderr shows the rest as backslash escapes (Python's own choice for it), and stdout writes
  them as JSON's `\\uXXXX`, which keeps every JSON line valid JSON meaning the same text
  (outside JSON, non-ASCII text appears only in names, where an escape reads as well).
"""

from __future__ import annotations

import codecs
import io
import os
import sys

from ics2b24.errors import OutputError

_JSON_ESCAPE = "ics2b24-json-escape"


def prepare() -> None:
    """Once, before any command runs."""
    codecs.register_error(_JSON_ESCAPE, _json_escape)
    for fd in (1, 2):
        _hold(fd)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process)
    if sys.stdout is None:
        sys.stdout = _Closed()
    elif isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors=_JSON_ESCAPE)


def _hold(fd: int) -> None:
    """Give a closed descriptor to /dev/null, so no file opened later takes it."""
    try:
        os.fstat(fd)
    except OSError:
        held = os.open(os.devnull, os.O_WRONLY)
        if held != fd:
            os.dup2(held, fd)
            os.close(held)


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Each character the encoding lacks as JSON writes it: `\\uXXXX` per UTF-16 unit."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    units = text.encode("utf-16-be")
    escaped = "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}"
                      for i in range(0, len(units), 2))
    return escaped, error.end


class _Closed(io.TextIOBase):
    """stdout the shell closed: nothing can be written to it."""

    encoding = "utf-8"
    errors = "strict"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OutputError("cannot write the output: standard output is closed")

    def fileno(self) -> int:
        return 1
