"""What a CSV's bytes say before DuckDB reads them: the header (read here, so the reader never
guesses the dialect from a sample that may hold the bad row), and whether the file is UTF-8.

DuckDB's sniffer fails a whole file with "Error when sniffing file" (no line) when a row in its
sample has an extra field, and its reader replaces invalid UTF-8 silently when rejects are
stored. Both are checked here, streaming, at memory speed.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from finance_pack.errors import ValidationError

_CHUNK = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_RE_EXPORT = "re-export the file as UTF-8"


def decompressed_chunks(path: Path, chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """The file's bytes (gzip members decompressed); a corrupt or truncated gzip is an error:
    DuckDB reads a truncated gzip up to the cut without one, which would load half a month."""
    if not path.name.lower().endswith(".gz"):
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
        return
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield decompressor.decompress(chunk)
                while decompressor.eof and decompressor.unused_data:  # next gzip member
                    rest = decompressor.unused_data
                    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
                    yield decompressor.decompress(rest)
    except zlib.error as exc:
        raise ValidationError(
            f"cannot read the file: corrupt gzip ({exc})", location=str(path)
        ) from exc
    if not decompressor.eof:
        raise ValidationError(
            "cannot read the file: the gzip stream is truncated",
            location=str(path),
            hint="a truncated download or an interrupted export; fetch the file again",
        )


def check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8, naming the line and the first offending byte."""
    pending = b""
    lines_before = 0
    for chunk in decompressed_chunks(path):
        data = pending + chunk
        try:
            data.decode("utf-8")
            pending = b""
        except UnicodeDecodeError as exc:
            if exc.end == len(data) and exc.reason == "unexpected end of data":
                pending = data[exc.start :]  # a character split across chunks
                data = data[: exc.start]
            else:
                _raise_not_utf8(path, lines_before + data.count(b"\n", 0, exc.start) + 1, data, exc)
        lines_before += data.count(b"\n")
    if pending:
        _raise_not_utf8(path, lines_before + 1, pending, None)


def _raise_not_utf8(path: Path, line: int, data: bytes, exc: UnicodeDecodeError | None) -> None:
    byte = data[exc.start] if exc else data[0]
    raise ValidationError(
        f"not UTF-8 at line {line}, byte 0x{byte:02X}",
        location=f"{path}:{line}",
        hint=f"{_RE_EXPORT} (a spreadsheet may have saved it as Latin-1 or Windows-1252)",
    )


def read_header(path: Path) -> list[str]:
    """The header row's names, as csv (RFC 4180 quoting) reads them; a BOM is dropped."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"not UTF-8 in the header row, byte 0x{exc.object[exc.start]:02X}",
            location=f"{path}:1",
            hint=_RE_EXPORT,
        ) from exc
    except (OSError, EOFError, csv.Error) as exc:
        raise ValidationError(f"cannot read the file: {exc}", location=str(path)) from exc
    if not header or not any(name.strip() for name in header):
        raise ValidationError("the file has no header row", location=f"{path}:1")
    names = [name.removeprefix(_UTF8_BOM.decode("utf-8")).strip() for name in header]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationError(
            f"the header names {', '.join(duplicates)} more than once", location=f"{path}:1"
        )
    return names
