"""What the user names on the command line → the calendars in it, as (name, bytes).

Users have calendars as they were handed to them: Google Calendar's export is a .zip of .ics
files, others come as .ics.gz or as a folder of .ics files. Each calendar found is named so
that a warning or an error points at it: a file by its path, an archive member as
`export.zip:work@gmail.com.ics`, a folder's file by its path. What an input is comes from its
first bytes, not its name, so standard input may be an archive too. A URL is fetched
(app/feeds.py) and read like a file. The converter reads the bytes; nothing here parses
iCalendar.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Protocol

from ics2b24.app.feeds import Feeds, feed_auth, is_feed
from ics2b24.errors import ParseError

STDIN_NAME = "<stdin>"
MAX_UNPACKED = 100_000_000
"""Bytes one archive may unpack to, nested archives in it included (100 MB): some 200,000
events, four times the largest calendar measured (bench/RESULTS.md: 50,000 events are 22 MB),
and refused before reading when the archive declares more. A zip bomb of 200 KB that unpacks
to 200 MB is otherwise read whole, then parsed for most of a minute in 1.5 GB."""
_TOO_BIG = (f"unpacks to more than {MAX_UNPACKED // 1_000_000} MB: refused (no calendar export "
            "is that large; unpack it and name the .ics files if this one is)")
_GZIP = b"\x1f\x8b"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_CALENDAR_SUFFIXES = (".ics", ".ics.gz", ".zip")

Input = tuple[str, bytes]


def read_inputs(paths: Iterable[str], stdin: BinaryIO | None,
                feeds: Feeds | None = None) -> list[Input]:
    """Every calendar in `paths` (`-`: standard input, None when it is closed; a URL:
    fetched by `feeds`, by default with the credentials in ICS2B24_FEED_AUTH), read up front
    so that a missing file fails before any work; ParseError names the path that cannot be
    read."""
    inputs: list[Input] = []
    for path in paths:
        if path == "-":
            if stdin is None:
                raise ParseError("standard input is closed: nothing to read", file=STDIN_NAME)
            inputs += unpacked(STDIN_NAME, stdin.read())
        elif is_feed(path):
            feeds = feeds or Feeds(auth=feed_auth(os.environ))
            inputs += unpacked(*feeds.read(path))
        else:
            inputs += read_path(Path(path), path)
    return inputs


def read_path(path: Path, name: str) -> list[Input]:
    """A file (plain, gzip or zip) or a folder of them."""
    if path.is_dir():
        return _read_folder(path, name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(exc.strerror or "cannot be read", file=name) from exc
    return unpacked(name, data)


def _read_folder(folder: Path, name: str) -> list[Input]:
    """Every calendar file in the folder and below it, in name order."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and _is_calendar_name(p.name))
    if not found:
        raise ParseError("a folder with no .ics file in it", file=name)
    inputs: list[Input] = []
    for path in found:
        inputs += read_path(path, str(Path(name) / path.relative_to(folder)))
    return inputs


def _is_calendar_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(_CALENDAR_SUFFIXES) and not lower.startswith(".")


def unpacked(name: str, data: bytes) -> list[Input]:
    """The calendars in one input's bytes: itself, or what its gzip or zip wrapping holds,
    at most MAX_UNPACKED bytes of it."""
    return _unpacked(name, data, _Budget(name))


class _Stream(Protocol):
    """What unpacks: a gzip stream or a zip member."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Budget:
    """What is left of MAX_UNPACKED for one input: every byte an archive in it unpacks counts,
    as read, since the sizes an archive declares are only what it claims."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = MAX_UNPACKED

    def claim(self, size: int) -> None:
        """Refuse before reading what declares more than is left."""
        if size > self.left:
            raise ParseError(_TOO_BIG, file=self.name)

    def read(self, stream: _Stream) -> bytes:
        out = stream.read(self.left + 1)
        self.claim(len(out))
        self.left -= len(out)
        return out


_MAX_NESTING = 3
"""Archives in archives unpacked (a zip of .ics.gz files is two); deeper, the bytes are read
as they are, so a zip that holds itself ends rather than recursing."""


def _unpacked(name: str, data: bytes, budget: _Budget, depth: int = 0) -> list[Input]:
    if depth >= _MAX_NESTING:
        return [(name, data)]
    if data.startswith(_GZIP):
        return _unpacked(name, _gunzipped(name, data, budget), budget, depth + 1)
    if data.startswith(_ZIP):
        return [found for member, content in _zip_members(name, data, budget)
                for found in _unpacked(member, content, budget, depth + 1)]
    return [(name, data)]


def _gunzipped(name: str, data: bytes, budget: _Budget) -> bytes:
    try:
        with gzip.GzipFile(fileobj=BytesIO(data)) as stream:
            return budget.read(stream)
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError("a gzip file that cannot be unpacked (damaged or cut short)",
                         file=name) from exc


def _zip_members(name: str, data: bytes, budget: _Budget) -> list[Input]:
    """Every .ics member of a zip archive, named `archive:member`, in archive order (macOS
    resource forks and folders left out)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = [m for m in archive.infolist() if _is_calendar_member(m)]
        budget.claim(sum(m.file_size for m in members))
        read = []
        for member in members:
            with archive.open(member) as stream:
                read.append((f"{name}:{member.filename}", budget.read(stream)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as exc:
        raise ParseError("a zip archive that cannot be unpacked (damaged, encrypted or in "
                         "an unsupported format)", file=name) from exc
    if not read:
        raise ParseError("a zip archive with no .ics file in it", file=name)
    return read


def _is_calendar_member(member: zipfile.ZipInfo) -> bool:
    parts = member.filename.split("/")
    return (not member.is_dir() and "__MACOSX" not in parts
            and not parts[-1].startswith("._") and parts[-1].lower().endswith((".ics",
                                                                               ".ics.gz")))
