"""Moodle XML import: multichoice, truefalse and shortanswer questions.

<question type="category"> sets the category of the questions after it.
Embedded files (<file encoding="base64"> in the question text or answers) are
returned in ParseResult.media and listed in record.media; "@@PLUGINFILE@@/"
is removed from image sources (and the path URL-decoded), so sources name the
media directly. shuffleanswers=false pins every option; metadata tags
(difficulty:2, source:..., match:..., pinned:..., media:...; see metadata.py)
fill the fields Moodle lacks. shortanswer usecase=1 means exact matching,
otherwise ignore_case. Every other question type is reported as unsupported.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

from . import messages as msg
from .columns import FALSE_WORDS, TRUE_WORDS
from .duplicates import find_duplicates
from .errors import ImportErrorRecord, Problem, ProblemError
from .html_text import cell_to_html, clean_plain, collect_media, plain_to_html, sanitize_html
from .metadata import Metadata, fold, normalise_category, read_metadata_tags
from .records import (
    FILL_BLANK,
    MATCH_EXACT,
    MATCH_IGNORE_CASE,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Option,
    ParseResult,
    QuestionRecord,
    true_false_options,
)
from .safe_xml import Node, parse_xml
from .safe_zip import safe_name
from .validation import letter, validate_record

PLUGINFILE = "@@PLUGINFILE@@/"
_PLUGIN_SRC = re.compile(r"""(src\s*=\s*["'])@@PLUGINFILE@@/([^"']*)""", re.IGNORECASE)
_SUPPORTED = frozenset({"multichoice", "truefalse", "shortanswer"})


def _child_text(node: Node | None, name: str = "text") -> str:
    if node is None:
        return ""
    child = node.find(name)
    return child.text_content() if child is not None else ""


def _flag(node: Node, name: str, default: bool) -> bool:
    child = node.find(name)
    if child is None or not child.text_content().strip():
        return default
    return child.text_content().strip().lower() in ("1", "true", "yes")


def rich_text(node: Node | None) -> str:
    """Return the sanitised HTML of a Moodle text element (<questiontext>, <answer>)."""
    if node is None:
        return ""
    raw = _PLUGIN_SRC.sub(lambda m: m.group(1) + unquote(m.group(2)), _child_text(node))
    fmt = (node.get("format") or "html").lower()
    if fmt == "html":
        return sanitize_html(raw)
    if fmt == "plain_text":
        return plain_to_html(raw)
    return cell_to_html(raw)


class _MoodleReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.category: str | None = None
        self.records: list[QuestionRecord] = []
        self.errors: list[ImportErrorRecord] = []
        self.media: dict[str, bytes] = {}

    def error(self, line: int, field_name: str | None, message_id: str, **params) -> None:
        self.errors.append(ImportErrorRecord(self.filename, line, field_name, message_id, params))

    def read(self, question: Node) -> None:
        qtype = (question.get("type") or "").strip()
        if not qtype:
            self.error(question.line, "type", msg.MOODLE_NO_TYPE)
        elif qtype == "category":
            self.category = normalise_category(_child_text(question.find("category")))
        elif qtype not in _SUPPORTED:
            self.error(question.line, "type", msg.TYPE_UNSUPPORTED, type=qtype)
        else:
            self.read_question(qtype, question)

    def files(self, node: Node | None) -> list[str]:
        names = []
        for file_node in node.findall("file") if node is not None else []:
            base = clean_plain(file_node.get("name"))
            folder = clean_plain(file_node.get("path") or "/").strip("/")
            name = f"{folder}/{base}" if folder else base
            if not base or "/" in base or not safe_name(name):
                self.error(file_node.line, "media", msg.MEDIA_NAME_INVALID, name=name)
                continue
            try:
                content = base64.b64decode("".join(file_node.text_content().split()), validate=True)
            except (binascii.Error, ValueError):
                self.error(file_node.line, "media", msg.MOODLE_FILE_INVALID, name=name)
                continue
            if self.media.setdefault(name, content) != content:
                self.error(file_node.line, "media", msg.MEDIA_CONFLICT, name=name)
            names.append(name)
        return names

    def read_question(self, qtype: str, question: Node) -> None:
        problems: list[Problem] = []
        stem_node = question.find("questiontext")
        stem = rich_text(stem_node)
        files = self.files(stem_node)
        tags = [
            _child_text(tag) for tag in (question.find("tags") or Node("", {}, 0)).findall("tag")
        ]
        meta = read_metadata_tags(tags)
        problems += meta.problems
        answers = question.findall("answer")
        for answer in answers:
            files += self.files(answer)
        body = self.body(qtype, question, answers, meta, problems)
        if body is None:
            self.errors += [problem.at(self.filename, question.line) for problem in problems]
            return
        texts = [stem, *(option.text for option in body.get("options", ()))]
        record = QuestionRecord(
            stem=stem,
            category=self.category,
            difficulty=meta.difficulty,
            tags=tuple(meta.tags),
            source=meta.source,
            media=collect_media(texts, [*meta.media, *files]),
            location=question.line,
            **body,
        )
        if not problems:
            problems = validate_record(record)
        self.errors += [problem.at(self.filename, question.line) for problem in problems]
        if not problems:
            self.records.append(record)

    def body(self, qtype, question, answers, meta: Metadata, problems) -> dict | None:
        fractions = []
        for answer in answers:
            raw = answer.get("fraction") or "0"
            try:
                fractions.append(float(raw) / 100)
            except ValueError:
                problems.append(Problem("answers", msg.FRACTION_INVALID, {"value": raw}))
                fractions.append(0.0)
        if qtype == "truefalse":
            return _true_false(answers, fractions, problems)
        if qtype == "shortanswer":
            match = MATCH_EXACT if _flag(question, "usecase", False) else MATCH_IGNORE_CASE
            return {
                "type": FILL_BLANK,
                "answers": tuple(
                    Answer(clean_plain(_child_text(answer)), fraction)
                    for answer, fraction in zip(answers, fractions, strict=True)
                ),
                "match": meta.match or match,
            }
        kind = SINGLE_CHOICE if _flag(question, "single", True) else MULTIPLE_RESPONSE
        shuffle = _flag(question, "shuffleanswers", True)
        pinned = set(range(len(answers))) if not shuffle else set(meta.pinned or ())
        for index in pinned:
            if index >= len(answers):
                problems.append(Problem("tags", msg.LETTER_NOT_OPTION, {"letter": letter(index)}))
        return {
            "type": kind,
            "options": tuple(
                Option(rich_text(answer), fraction, index in pinned)
                for index, (answer, fraction) in enumerate(zip(answers, fractions, strict=True))
            ),
        }


def _true_false(answers: list[Node], fractions: list[float], problems) -> dict | None:
    meanings = []
    for answer in answers:
        word = fold(_child_text(answer))
        meanings.append(True if word in TRUE_WORDS else False if word in FALSE_WORDS else None)
    if sorted(meanings, key=str) != [False, True] or fractions.count(1.0) != 1:
        problems.append(Problem("answers", msg.MOODLE_TRUE_FALSE_ANSWERS))
        return None
    return {"type": TRUE_FALSE, "options": true_false_options(meanings[fractions.index(1.0)])}


def parse_moodle_xml(data: bytes, filename: str) -> ParseResult:
    """Parse a Moodle XML question file."""
    try:
        root = parse_xml(data)
    except ProblemError as exc:
        return ParseResult(errors=(exc.at(filename),))
    if root.local != "quiz":
        error = ImportErrorRecord(
            filename, root.line, "xml", msg.XML_ROOT, {"expected": "quiz", "found": root.local}
        )
        return ParseResult(errors=(error,))
    reader = _MoodleReader(filename)
    for question in root.findall("question"):
        reader.read(question)
    errors = reader.errors + find_duplicates(reader.records, filename)
    if not reader.records and not errors:
        errors.append(ImportErrorRecord(filename, None, None, msg.NO_QUESTIONS))
    errors.sort(key=lambda error: error.line or 0)
    return ParseResult(tuple(reader.records), tuple(errors), dict(reader.media))
