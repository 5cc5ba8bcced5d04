"""Pure import/export formats of the question bank: bytes in, records and errors out.

    result = parse(data, "bank.xlsx")          # fmt="auto" detects the format
    records, errors = result                   # every error found, each located
    data = export(records, "qti", media=...)   # xlsx, csv, gift, moodle-xml, qti

No Flask and no database here; the caller decides all-or-nothing, stores
media (result.media) and checks duplicate_key() against the bank.
"""

from .detect import UnknownFormatError, detect_format
from .duplicates import duplicate_key, duplicate_text, find_duplicates
from .errors import ExportError, ImportErrorRecord
from .i18n import N_
from .records import (
    BLANK,
    FALSE_TEXT,
    FILL_BLANK,
    MATCH_MODES,
    MULTIPLE_RESPONSE,
    QUESTION_TYPES,
    SINGLE_CHOICE,
    TRUE_FALSE,
    TRUE_TEXT,
    Answer,
    Option,
    ParseResult,
    QuestionRecord,
    true_false_options,
)
from .registry import FORMATS, Format, export, parse
from .templates import TEMPLATE_DOC, template_csv, template_records, template_xlsx
from .validation import validate_record

__all__ = [
    "BLANK",
    "FALSE_TEXT",
    "FILL_BLANK",
    "FORMATS",
    "MATCH_MODES",
    "MULTIPLE_RESPONSE",
    "N_",
    "QUESTION_TYPES",
    "SINGLE_CHOICE",
    "TEMPLATE_DOC",
    "TRUE_FALSE",
    "TRUE_TEXT",
    "Answer",
    "ExportError",
    "Format",
    "ImportErrorRecord",
    "Option",
    "ParseResult",
    "QuestionRecord",
    "UnknownFormatError",
    "detect_format",
    "duplicate_key",
    "duplicate_text",
    "export",
    "find_duplicates",
    "parse",
    "template_csv",
    "template_records",
    "template_xlsx",
    "true_false_options",
    "validate_record",
]
