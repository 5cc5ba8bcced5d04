"""Reading uploaded zip archives without trusting them (bombs, path tricks)."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from . import messages as msg
from .errors import ProblemError

MAX_ENTRIES = 5000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for entries over 1 MB
_RATIO_FLOOR = 1024 * 1024
_DRIVE = re.compile(r"^[a-zA-Z]:")


def is_zip(data: bytes) -> bool:
    """Return True if data starts like a zip archive."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def safe_name(name: str) -> bool:
    """Return True for a relative path without "..", backslashes or drive letters."""
    if not name or name.startswith("/") or "\\" in name or _DRIVE.match(name):
        return False
    if "\x00" in name:
        return False
    return all(part not in ("..",) for part in name.split("/"))


@dataclass
class SafeZip:
    """An archive whose names were checked; read() enforces the size limits."""

    archive: zipfile.ZipFile
    names: tuple[str, ...]
    read_total: int = 0

    def has(self, name: str) -> bool:
        """Return True if the archive holds the (normalised) name."""
        return normalise(name) in self.names

    def read(self, name: str) -> bytes:
        """Return an entry's bytes, refusing to unpack more than the limits."""
        info = self.archive.getinfo(normalise(name))
        try:
            with self.archive.open(info) as handle:
                data = handle.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise ProblemError(msg.ZIP_INVALID, field="file") from exc
        self.read_total += len(data)
        if len(data) > MAX_ENTRY_BYTES or self.read_total > MAX_TOTAL_BYTES:
            raise ProblemError(msg.ZIP_TOO_LARGE, field="file", limit=MAX_TOTAL_BYTES // 2**20)
        return data


def normalise(name: str) -> str:
    """Return a zip member name without "./" segments."""
    return posixpath.normpath(name).lstrip("/") if name else name


def open_zip(data: bytes) -> SafeZip:
    """Open an archive after checking entry names, count, sizes and ratios."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ProblemError(msg.ZIP_INVALID, field="file") from exc
    if len(infos) > MAX_ENTRIES:
        raise ProblemError(msg.ZIP_TOO_MANY, field="file", limit=MAX_ENTRIES)
    total, names = 0, []
    for info in infos:
        if not safe_name(info.filename):
            raise ProblemError(msg.ZIP_UNSAFE_NAME, field="file", name=info.filename)
        if info.flag_bits & 0x1:
            raise ProblemError(msg.ZIP_ENCRYPTED, field="file")
        total += info.file_size
        if info.file_size > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES:
            raise ProblemError(msg.ZIP_TOO_LARGE, field="file", limit=MAX_TOTAL_BYTES // 2**20)
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ProblemError(msg.ZIP_RATIO, field="file", name=info.filename)
        if not info.is_dir():
            names.append(normalise(info.filename))
    return SafeZip(archive, tuple(names))
