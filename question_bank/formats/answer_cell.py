"""The spreadsheet syntax for accepted answers of fill-in-the-blank questions.

Hà Nội|Ha Noi            two accepted answers of one blank
%50%Hanoi                an answer worth 50% (default 100%)
1945||2/9                two blanks (separated by "||"): 1945 and 2/9
a\\|b  \\%  \\\\           a literal "|", "%" and backslash
"""

from __future__ import annotations

import re

from . import messages as msg
from .errors import Problem
from .html_text import clean_plain
from .metadata import ProblemValue
from .numbers import format_percent
from .records import Answer

_WEIGHT = re.compile(r"^%(-?\d{1,3}(?:[.,]\d+)?)%")


def _split(text: str, separator: str) -> list[str]:
    """Split on unescaped separator, keeping escapes for the next step."""
    parts, current, index = [], [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
        elif text.startswith(separator, index):
            parts.append("".join(current))
            current = []
            index += len(separator)
        else:
            current.append(text[index])
            index += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_answer_cell(value: object, field_name: str) -> list[list[Answer]]:
    """Return the blanks of an answer cell; raise ProblemValue on a bad weight."""
    text = clean_plain(str(value or ""))
    if not text:
        return []
    blanks: list[list[Answer]] = []
    for blank_text in _split(text, "||"):
        answers: list[Answer] = []
        for raw in _split(blank_text, "|"):
            raw = raw.strip()
            fraction = 1.0
            match = _WEIGHT.match(raw)
            if match:
                fraction = float(match.group(1).replace(",", ".")) / 100
                raw = raw[match.end() :].strip()
            elif raw.startswith("%") and not raw.startswith("\\%"):
                raise ProblemValue(Problem(field_name, msg.ANSWER_WEIGHT_INVALID, {"value": raw}))
            answers.append(Answer(clean_plain(_unescape(raw)), fraction))
        blanks.append(answers)
    return blanks


def _escape(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("|", "\\|")
    return "\\" + escaped if escaped.startswith("%") else escaped


def format_answer_cell(blanks: tuple[tuple[Answer, ...], ...]) -> str:
    """Return the answer cell text for the given blanks."""
    groups = []
    for answers in blanks:
        items = []
        for answer in answers:
            prefix = "" if answer.fraction == 1.0 else f"%{format_percent(answer.fraction)}%"
            items.append(prefix + _escape(answer.text))
        groups.append("|".join(items))
    return "||".join(groups)
