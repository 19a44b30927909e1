"""Inputs as users have them: Google's .zip export, .ics.gz, folders, UTF-16 without BOM, each
calendar named in messages by its path or archive member."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ics2b24.app.inputs import MAX_UNPACKED, read_inputs
from ics2b24.cli import main
from ics2b24.errors import ParseError
from tests.ical.ics import calendar

WORK = calendar("UID:work-1\nDTSTART:20240617T100000Z\nSUMMARY:Standup")
HOME = calendar("UID:home-1\nDTSTART:20240618T100000Z\nSUMMARY:Dentist",
                "UID:home-2\nDTSTART:20240619T100000Z\nRRULE:FREQ=DAILY;COUNT=2\n"
                "EXDATE:20240625T100000Z")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    with pytest.raises(SystemExit) as info:
        main(["convert", "--tz", "UTC", *args])
    out = capsys.readouterr()
    return int(info.value.code or 0), [json.loads(line)["uid"] for line in
                                       out.out.splitlines()], out.err


def test_google_export_zip_converts_every_calendar_in_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    export.write_bytes(_zip({"work@gmail.com.ics": WORK, "home@gmail.com.ics": HOME,
                             "__MACOSX/._work@gmail.com.ics": b"\x00\x05", "notes.txt": b"x"}))
    code, uids, err = _run(capsys, str(export))
    assert (code, uids) == (0, ["home-1", "home-2", "work-1"])
    assert f"{export}:home@gmail.com.ics:9: UID home-2: EXDATE 2024-06-25T10:00:00 UTC " \
           "matches no occurrence" in err


def test_gzipped_calendar_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "calendar.ics.gz"
    path.write_bytes(gzip.compress(WORK))
    assert _run(capsys, str(path))[:2] == (0, ["work-1"])


def test_folder_of_calendars_is_read_file_by_file_with_their_paths(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "work.ics").write_bytes(WORK)
    (tmp_path / "sub" / "home.ics").write_bytes(HOME)
    (tmp_path / "README.txt").write_text("not a calendar")
    code, uids, err = _run(capsys, str(tmp_path))
    assert (code, uids) == (0, ["home-1", "home-2", "work-1"])
    assert f"{tmp_path / 'sub' / 'home.ics'}:9: UID home-2" in err


def test_zip_on_standard_input_is_read_with_member_names() -> None:
    stdin = io.BytesIO(_zip({"work@gmail.com.ics": WORK}))
    assert read_inputs(["-"], stdin) == [("<stdin>:work@gmail.com.ics", WORK)]


def test_utf16_file_without_bom_is_read(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    path = tmp_path / "windows.ics"
    path.write_bytes(WORK.decode("utf-8").encode("utf-16-le"))
    assert _run(capsys, str(path)) == (0, ["work-1"], "")


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04broken", "a zip archive that cannot be unpacked (damaged, encrypted or in "
                          "an unsupported format)"),
    (_zip({"notes.txt": b"x"}), "a zip archive with no .ics file in it"),
    (b"\x1f\x8bbroken", "a gzip file that cannot be unpacked (damaged or cut short)"),
], ids=["damaged zip", "zip without .ics", "damaged gzip"])
def test_archive_that_cannot_be_read_is_one_line_naming_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    code, uids, err = _run(capsys, str(path))
    assert (code, uids) == (65, [])
    assert err.strip().splitlines() == [f"ics2b24: {path}: {message}"]


def test_folder_without_calendars_and_missing_file_are_parse_errors(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"a folder with no \.ics file in it"):
        read_inputs([str(tmp_path)], io.BytesIO())
    with pytest.raises(ParseError, match="No such file"):
        read_inputs([str(tmp_path / "missing.ics")], io.BytesIO())


BOMB_SIZE = 200_000_000
"""What a zip bomb unpacks to: twice the bound (MAX_UNPACKED), from an archive of about 1 MB."""


def _calendar_bomb(size: int) -> Iterator[bytes]:
    """A calendar's text, `size` bytes of it in 1 MB chunks: a VEVENT over and over."""
    unit = b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101T100000Z\r\nSUMMARY:bomb\r\nEND:VEVENT\r\n"
    chunk = unit * ((1 << 20) // len(unit))
    yield b"BEGIN:VCALENDAR\r\n"
    for _ in range(size // len(chunk)):
        yield chunk


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("work@gmail.com.ics", "w") as member:
        for chunk in _calendar_bomb(BOMB_SIZE):
            member.write(chunk)
    return path


def _gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    return b"".join([*(packer.compress(chunk) for chunk in _calendar_bomb(size)),
                     packer.flush()])


def test_zip_that_unpacks_to_200_mb_is_refused_at_once_with_one_line(zip_bomb: Path) -> None:
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "ics2b24", "convert", "--tz", "UTC",
                             str(zip_bomb)], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - began < 5
    assert (result.returncode, result.stdout) == (65, "")
    assert result.stderr.splitlines() == [
        f"ics2b24: {zip_bomb}: unpacks to more than 100 MB: refused (no calendar export is "
        "that large; unpack it and name the .ics files if this one is)"]


def test_gzip_that_unpacks_to_200_mb_is_refused_by_the_bytes_it_unpacks() -> None:
    bomb = _gzip_bomb(BOMB_SIZE)
    with pytest.raises(ParseError, match="<stdin>: unpacks to more than 100 MB"):
        read_inputs(["-"], io.BytesIO(bomb))


def test_gzipped_members_of_a_zip_count_together_against_the_bound() -> None:
    """Each member's declared size is that of its gzip, a few hundred KB; what counts is
    what they unpack to, together."""
    member = _gzip_bomb(MAX_UNPACKED // 3 + 1_000_000)
    archive = _zip({f"part{n}.ics.gz": member for n in range(3)})
    assert len(archive) < MAX_UNPACKED // 50
    with pytest.raises(ParseError, match="<stdin>: unpacks to more than 100 MB"):
        read_inputs(["-"], io.BytesIO(archive))


def test_zip_member_whose_declared_size_lies_is_refused() -> None:
    """A member declaring 1,000 bytes while holding 20 MB: read as what it holds, it does not
    check out, and nothing past its declared size is unpacked."""
    member = b"".join(_calendar_bomb(20_000_000))
    archive = bytearray(_zip({"work.ics": member}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.index(signature) + offset
        archive[at:at + 4] = (1000).to_bytes(4, "little")
    with pytest.raises(ParseError, match="a zip archive that cannot be unpacked"):
        read_inputs(["-"], io.BytesIO(bytes(archive)))


def test_archives_nested_deeper_than_three_are_not_unpacked_further() -> None:
    """A zip that holds itself would otherwise be unpacked until the stack runs out."""
    nested = WORK
    for level in range(4):
        nested = _zip({f"level{level}.ics": nested})
    [(name, data)] = read_inputs(["-"], io.BytesIO(nested))
    assert name == "<stdin>:level3.ics:level2.ics:level1.ics"
    assert data.startswith(b"PK\x03\x04")
