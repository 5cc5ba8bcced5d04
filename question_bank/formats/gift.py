"""GIFT (Moodle's text format) import.

Supported: // comments, $CATEGORY:, ::title:: (ignored), escapes \\~ \\= \\# \\{
\\} \\: \\\\ and \\n, [html]/[moodle]/[markdown]/[plain] text formats, =right
~wrong, ~%50% partial and ~%-100% negative weights, #feedback (ignored),
####general feedback (ignored), {T}/{TRUE}/{F}/{FALSE} (any case), short answer
{=a =b} as fill_blank, and the missing-word form (text after the braces: the
stem keeps BLANK "____" where the answer block was). Markdown is kept as plain
text. Numerical {#...}, matching (->), essay {} and description (no braces)
questions are reported as unsupported.

Metadata comment (our extension, ignored by Moodle except [tag:] and [id:]):
a comment line in the same block as the question holding bracket tokens
    // [tag:grammar] [tag:tenses] [difficulty:2] [source:Đề 2023] [match:exact]
    //   [pinned:D] [media:map.png]
(values escape "]" and "\\" with a backslash). Tags of the form
"difficulty:2" etc. work too (see metadata.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import messages as msg
from .duplicates import find_duplicates
from .encoding import decode_text
from .errors import ImportErrorRecord, Problem, ProblemError
from .html_text import cell_to_html, clean_plain, collect_media, plain_to_html, sanitize_html
from .metadata import normalise_category, read_metadata_tags
from .records import (
    BLANK,
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Option,
    ParseResult,
    QuestionRecord,
    true_false_options,
)
from .validation import letter, validate_record

_ESCAPED = "~=#{}:\\"
_PLACEHOLDER = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPED)}
_RESTORE = {ord(value): key for key, value in _PLACEHOLDER.items()}
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")
_BAD_WEIGHT = re.compile(r"^%[^%]*%")
_META_TOKEN = re.compile(r"\[([A-Za-z_]+):((?:\\.|[^\]\\])*)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    """Replace escape sequences by placeholders (\\n becomes a newline)."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in _PLACEHOLDER:
                out.append(_PLACEHOLDER[following])
                index += 2
                continue
            if following == "n":
                out.append("\n")
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _to_html(text: str, default_format: str) -> str:
    text = text.strip()
    found = _FORMAT.match(text)
    fmt = default_format
    if found:
        fmt, text = found.group(1).lower(), text[found.end() :]
    text = _restore(text).strip()
    if fmt == "html":
        return sanitize_html(text)
    if fmt == "plain":
        return plain_to_html(text)
    return cell_to_html(text)


@dataclass
class _Block:
    line: int
    lines: list[tuple[int, str]]
    comments: list[str]


def _blocks(text: str) -> list[_Block]:
    blocks, current, comments = [], [], []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if current:
                blocks.append(_Block(current[0][0], current, comments))
            current, comments = [], []
        elif stripped.startswith("//"):
            comments.append(stripped[2:])
        else:
            current.append((number, line))
    if current:
        blocks.append(_Block(current[0][0], current, comments))
    return blocks


def _metadata_tags(comments: list[str]) -> list[str]:
    tags = []
    for comment in comments:
        for key, value in _META_TOKEN.findall(comment):
            value = re.sub(r"\\(.)", r"\1", value)
            key = key.lower()
            if key == "tag":
                tags.append(value)
            elif key != "id":
                tags.append(f"{key}:{value}")
    return tags


class _GiftReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.category: str | None = None
        self.records: list[QuestionRecord] = []
        self.errors: list[ImportErrorRecord] = []

    def error(self, line: int, field_name: str | None, message_id: str, **params) -> None:
        self.errors.append(ImportErrorRecord(self.filename, line, field_name, message_id, params))

    def read_block(self, block: _Block) -> None:
        lines = block.lines
        first = lines[0][1].strip()
        if first.startswith("$CATEGORY:"):
            name = normalise_category(first[len("$CATEGORY:") :])
            if not first[len("$CATEGORY:") :].strip():
                self.error(block.line, "category", msg.GIFT_CATEGORY_EMPTY)
            self.category = name
            lines = lines[1:]
            if not lines:
                return
        text = _protect("\n".join(line for _, line in lines).strip())
        self.read_question(lines[0][0], text, block.comments)

    def read_question(self, line: int, text: str, comments: list[str]) -> None:
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                self.error(line, "title", msg.GIFT_TITLE_UNCLOSED)
                return
            text = text[end + 2 :].strip()
        found = _FORMAT.match(text)
        default_format = found.group(1).lower() if found else "moodle"
        start, close = text.find("{"), text.find("}")
        if start < 0 and close < 0:
            self.error(line, "type", msg.TYPE_UNSUPPORTED, type="description")
            return
        if start < 0 or close < start:
            self.error(line, "answers", msg.GIFT_BRACES)
            return
        close = text.find("}", start)
        if close < 0 or "{" in text[start + 1 : close]:
            self.error(line, "answers", msg.GIFT_BRACES)
            return
        after = text[close + 1 :]
        if "{" in after or "}" in after:
            message = msg.GIFT_SEVERAL_BLOCKS if "{" in after else msg.GIFT_BRACES
            self.error(line, "answers", message)
            return
        before = text[:start]
        stem_text = before + BLANK + after if after.strip() else before
        answer_text = text[start + 1 : close].split("####", 1)[0].strip()
        self.build(line, stem_text, answer_text, default_format, comments)

    def build(
        self, line: int, stem_text: str, answer_text: str, default_format: str, comments: list[str]
    ) -> None:
        problems: list[Problem] = []
        kind, body = _answers(answer_text, default_format, problems)
        if kind is None:
            for problem in problems:
                self.errors.append(problem.at(self.filename, line))
            return
        meta = read_metadata_tags(_metadata_tags(comments))
        problems += meta.problems
        stem = _to_html(stem_text, default_format)
        options = body.get("options", ())
        if meta.pinned and kind != TRUE_FALSE and options:
            for index in meta.pinned:
                if index >= len(options):
                    problems.append(
                        Problem("pinned", msg.LETTER_NOT_OPTION, {"letter": letter(index)})
                    )
            body["options"] = tuple(
                Option(option.text, option.fraction, index in meta.pinned)
                for index, option in enumerate(options)
            )
        if kind == FILL_BLANK and meta.match:
            body["match"] = meta.match
        record = QuestionRecord(
            type=kind,
            stem=stem,
            category=self.category,
            difficulty=meta.difficulty,
            tags=tuple(meta.tags),
            source=meta.source,
            media=collect_media([stem, *(o.text for o in body.get("options", ()))], meta.media),
            location=line,
            **body,
        )
        if not problems:
            problems = validate_record(record)
        self.errors += [problem.at(self.filename, line) for problem in problems]
        if not problems:
            self.records.append(record)


def _weight(text: str, problems: list[Problem], default: float) -> tuple[float, str]:
    found = _WEIGHT.match(text)
    if found:
        value = float(found.group(1).replace(",", "."))
        if not -100 <= value <= 100:
            problems.append(Problem("answers", msg.GIFT_WEIGHT_INVALID, {"value": found.group(0)}))
        return value / 100, text[found.end() :]
    bad = _BAD_WEIGHT.match(text)
    if bad:
        problems.append(Problem("answers", msg.GIFT_WEIGHT_INVALID, {"value": _restore(bad[0])}))
    return default, text


def _answers(
    answer_text: str, default_format: str, problems: list[Problem]
) -> tuple[str | None, dict]:
    truth_word = answer_text.split("#", 1)[0].strip().upper()
    if answer_text == "":
        problems.append(Problem("type", msg.TYPE_UNSUPPORTED, {"type": "essay"}))
    elif answer_text.startswith("#"):
        problems.append(Problem("type", msg.TYPE_UNSUPPORTED, {"type": "numerical"}))
    elif "~" in answer_text:
        kind = SINGLE_CHOICE if "=" in answer_text else MULTIPLE_RESPONSE
        options = []
        parts = [part.strip() for part in answer_text.replace("=", "~=").split("~")]
        for part in (part for part in parts if part):
            if part.startswith("="):
                fraction, part = 1.0, part[1:]
            else:
                fraction, part = _weight(part, problems, 0.0)
            options.append(Option(_to_html(part.split("#", 1)[0], default_format), fraction))
        return (None if problems else kind), {"options": tuple(options)}
    elif "=" in answer_text and "->" in answer_text:
        problems.append(Problem("type", msg.TYPE_UNSUPPORTED, {"type": "matching"}))
    elif truth_word in _TRUE_FALSE:
        return TRUE_FALSE, {"options": true_false_options(_TRUE_FALSE[truth_word])}
    else:
        parts = [part.strip() for part in answer_text.split("=")]
        answers = []
        for part in (part for part in parts if part):
            fraction, part = _weight(part, problems, 1.0)
            answers.append(Answer(clean_plain(_restore(part.split("#", 1)[0])), fraction))
        if not answers:
            problems.append(Problem("answers", msg.GIFT_NO_ANSWERS))
        return (None if problems else FILL_BLANK), {"answers": tuple(answers)}
    return None, {}


def parse_gift(data: bytes, filename: str) -> ParseResult:
    """Parse a GIFT text file."""
    try:
        text = decode_text(data)
    except ProblemError as exc:
        return ParseResult(errors=(exc.at(filename),))
    reader = _GiftReader(filename)
    for block in _blocks(text):
        reader.read_block(block)
    errors = reader.errors + find_duplicates(reader.records, filename)
    if not reader.records and not errors:
        errors.append(ImportErrorRecord(filename, None, None, msg.NO_QUESTIONS))
    errors.sort(key=lambda error: error.line or 0)
    return ParseResult(tuple(reader.records), tuple(errors))
