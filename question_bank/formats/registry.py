"""The registry of import/export formats, keyed by the stored format name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import messages as msg
from .aiken import parse_aiken
from .csv_format import export_csv, parse_csv
from .detect import UnknownFormatError, detect_format
from .errors import ExportError, ImportErrorRecord
from .gift import parse_gift
from .gift_export import export_gift
from .moodle_xml import parse_moodle_xml
from .moodle_xml_export import export_moodle_xml
from .qti_export import export_qti
from .qti_package import parse_qti
from .records import ParseResult, QuestionRecord
from .validation import validate_record
from .xlsx import export_xlsx, parse_xlsx

Parser = Callable[[bytes, str], ParseResult]
Exporter = Callable[[Sequence[QuestionRecord], Mapping[str, bytes], str], bytes]


@dataclass(frozen=True)
class Format:
    """One import/export format."""

    name: str
    label: str
    parser: Parser
    exporter: Exporter | None = None
    extension: str = ""
    media_type: str = "application/octet-stream"


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format(
            "xlsx",
            "Excel",
            parse_xlsx,
            lambda records, media, lang: export_xlsx(records, lang),
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format(
            "csv",
            "CSV",
            parse_csv,
            lambda records, media, lang: export_csv(records, lang),
            ".csv",
            "text/csv; charset=utf-8",
        ),
        Format(
            "gift",
            "GIFT",
            parse_gift,
            lambda records, media, lang: export_gift(records),
            ".gift.txt",
            "text/plain; charset=utf-8",
        ),
        Format(
            "moodle-xml",
            "Moodle XML",
            parse_moodle_xml,
            lambda records, media, lang: export_moodle_xml(records, media),
            ".xml",
            "application/xml",
        ),
        Format("aiken", "Aiken", parse_aiken),
        Format(
            "qti",
            "QTI 3.0",
            parse_qti,
            lambda records, media, lang: export_qti(records, media),
            ".zip",
            "application/zip",
        ),
    )
}


def parse(data: bytes, filename: str, fmt: str = "auto") -> ParseResult:
    """Parse an upload into records and every error found; never raises for bad data."""
    if fmt == "auto":
        try:
            fmt = detect_format(filename, data)
        except UnknownFormatError:
            return ParseResult(
                errors=(ImportErrorRecord(filename, None, "file", msg.UNKNOWN_FORMAT),)
            )
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt].parser(data, filename)


def export(
    records: Sequence[QuestionRecord],
    fmt: str,
    *,
    media: Mapping[str, bytes] | None = None,
    lang: str = "vi",
) -> bytes:
    """Write records in a format; raise ExportError if some cannot be written."""
    target = FORMATS.get(fmt)
    if target is None or target.exporter is None:
        exportable = [name for name, known in FORMATS.items() if known.exporter]
        raise ValueError(f"cannot export {fmt!r}; exportable: {', '.join(exportable)}")
    errors = [
        problem.at(fmt, index)
        for index, record in enumerate(records, start=1)
        for problem in validate_record(record)
    ]
    if errors:
        raise ExportError(errors)
    return target.exporter(list(records), media or {}, lang)
