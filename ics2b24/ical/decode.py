"""Bytes → text as exporters really write it: UTF-8 with or without a BOM, UTF-16 (Outlook),
and Windows-1252 where UTF-8 fails, said in one warning rather than refused.
"""

from __future__ import annotations

import codecs

from ics2b24.errors import ParseError


def decode(name: str, data: bytes, *, strict: bool = False) -> tuple[str, str | None]:
    """Text of one input and, when it is not all UTF-8, a note saying how it was read.

    UTF-16 exports (Windows Calendar) are recognised by their BOM or, without one, by their
    BEGIN lines. Old Outlook, Lotus and many web exports are Windows-1252 or Latin-1: bytes that
    are not UTF-8 are read as Windows-1252 (Latin-1 where it has no character), line by line
    unchanged where a file mixes them; `strict` refuses them instead.
    """
    utf16 = _utf16_codec(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), None
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-16 text", file=name) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = f"byte 0x{data[exc.start]:02x}"
        if strict:
            raise ParseError(f"invalid UTF-8 ({byte}); save the file as UTF-8 (without "
                             "--strict it is read as Windows-1252)", file=name,
                             line=line) from exc
    text = data.decode("utf-8", errors=_WINDOWS_1252)
    return text, (f"{name}:{line}: not UTF-8 ({byte}): read as Windows-1252 (Latin-1); save "
                  "the file as UTF-8 to be sure of its accented letters")


_WINDOWS_1252 = "ics2b24-windows-1252"


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes that are not UTF-8, as Windows-1252 (Latin-1 for the five
    bytes Windows-1252 leaves undefined)."""
    assert isinstance(error, UnicodeDecodeError)
    raw = error.object[error.start:error.end]
    return "".join(_byte_text(b) for b in raw), error.end


codecs.register_error(_WINDOWS_1252, _as_windows_1252)


def _byte_text(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


def _utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec of data with a BOM or, without one, of data holding a BEGIN line in
    UTF-16 on a code unit's boundary; None for anything else. Only the BEGIN line is sure to be
    ASCII: the text before and around it may be any language, so the share of NUL bytes at
    the start of a file tells nothing (UTF-8 and Windows-1252 text holds no NUL at all)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" not in data:
        return None
    upper = data.upper()
    return next((codec for codec, marker in _UTF16_BEGIN if _aligned(upper, marker)), None)


_UTF16_BEGIN = tuple((codec, "BEGIN:".encode(codec)) for codec in ("utf-16-le", "utf-16-be"))


def _aligned(data: bytes, marker: bytes) -> bool:
    """Whether `marker` occurs at an even offset, where a UTF-16 code unit starts."""
    at = data.find(marker)
    while at % 2 and at != -1:
        at = data.find(marker, at + 1)
    return at != -1
