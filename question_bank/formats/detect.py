"""Guess an upload's format from its name and its first bytes."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from .columns import column_for
from .safe_zip import is_zip

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 64 * 1024
_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".csv": "csv",
    ".tsv": "csv",
    ".gift": "gift",
    ".aiken": "aiken",
}
_XML_ROOT = re.compile(r"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", re.MULTILINE)
_QTI_ROOTS = frozenset(
    {
        "assessmentItem",
        "assessmentTest",
        "qti-assessment-item",
        "qti-assessment-test",
        "manifest",
    }
)
_AIKEN_ANSWER = re.compile(r"^\s*(?:ANSWER|ĐÁP\s*ÁN|DAP\s*AN)\s*:\s*[A-Z]", re.I | re.M)
_AIKEN_OPTION = re.compile(r"^\s*[A-Z][.)]\s", re.M)


class UnknownFormatError(ValueError):
    """The upload matches none of the supported formats."""


def _zip_format(data: bytes, extension: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        names = set()
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "imsmanifest.xml" in names or extension == ".zip":
        return "qti"
    if extension in (".xlsx", ".xlsm"):
        return "xlsx"
    raise UnknownFormatError("a zip archive that is neither a workbook nor a QTI package")


def _head_text(data: bytes) -> str:
    head = data[:_SNIFF_BYTES]
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def _xml_format(text: str) -> str | None:
    body = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    found = _XML_ROOT.search(body)
    if not found:
        return None
    root = found.group(1)
    if root == "quiz":
        return "moodle-xml"
    if root in _QTI_ROOTS or "imsqti" in body[:2000]:
        return "qti"
    return None


def _looks_like_csv(first_line: str) -> bool:
    for delimiter in ",;\t":
        cells = [cell.strip().strip('"') for cell in first_line.split(delimiter)]
        if len(cells) > 1 and sum(1 for cell in cells if column_for(cell)) >= 2:
            return True
    return False


def _text_format(text: str) -> str | None:
    if _AIKEN_ANSWER.search(text) and _AIKEN_OPTION.search(text) and "{" not in text:
        return "aiken"
    if _looks_like_csv(text.split("\n", 1)[0]):
        return "csv"
    if "{" in text and "}" in text or "$CATEGORY:" in text:
        return "gift"
    if _AIKEN_ANSWER.search(text):
        return "aiken"
    return None


def detect_format(filename: str, data: bytes) -> str:
    """Return the format name for an upload; raise UnknownFormatError if none fits."""
    extension = posixpath.splitext((filename or "").lower())[1]
    if is_zip(data):
        return _zip_format(data, extension)
    if data.startswith(_OLE_MAGIC):
        return "xlsx"
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    text = _head_text(data)
    if text.lstrip().startswith("<"):
        found = _xml_format(text)
        if found:
            return found
        raise UnknownFormatError("an XML file that is neither Moodle XML nor QTI")
    found = _text_format(text)
    if found:
        return found
    raise UnknownFormatError("no supported format recognised")
