"""Moodle XML export: records as <quiz> XML that parse_moodle_xml() reads back equal.

Media given as bytes are embedded as base64 <file> elements in the text that
first references them (unreferenced ones in the question text); image sources
get the "@@PLUGINFILE@@/" prefix Moodle expects. Questions with several blanks
cannot be written.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from . import messages as msg
from .errors import ExportError, ImportErrorRecord
from .html_text import html_to_plain, media_refs
from .metadata import moodle_category, write_metadata_tags
from .numbers import format_percent
from .records import (
    FILL_BLANK,
    MATCH_EXACT,
    MATCH_IGNORE_ACCENTS,
    MULTIPLE_RESPONSE,
    TRUE_FALSE,
    QuestionRecord,
)

_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
_NAME_LENGTH = 80


def _is_relative(src: str) -> bool:
    return bool(src) and "://" not in src and not src.startswith(("/", "data:"))


def _plugin_sources(html_text: str) -> str:
    def replace(match: re.Match) -> str:
        src = match.group(2)
        if not _is_relative(src):
            return match.group(0)
        path = quote(src.replace("&amp;", "&"), safe="/")
        return f"{match.group(1)}@@PLUGINFILE@@/{path}{match.group(3)}"

    return _SRC.sub(replace, html_text)


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html") -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value
    return element


def _attach(element: ET.Element, names: list[str], media: Mapping[str, bytes]) -> None:
    for name in names:
        if name in media:
            folder, _, base = name.rpartition("/")
            path = f"/{folder}/" if folder else "/"
            file_element = ET.SubElement(
                element, "file", {"name": base, "path": path, "encoding": "base64"}
            )
            file_element.text = base64.b64encode(media[name]).decode("ascii")


def _question(record: QuestionRecord, number: int, media: Mapping[str, bytes]) -> ET.Element:
    qtype = {TRUE_FALSE: "truefalse", FILL_BLANK: "shortanswer"}.get(record.type, "multichoice")
    question = ET.Element("question", {"type": qtype})
    name = html_to_plain(record.stem)[:_NAME_LENGTH] or f"Question {number}"
    _text(question, "name", name, fmt=None)
    texts = [record.stem, *(option.text for option in record.options)]
    owners: dict[str, int] = {}
    for index, text in enumerate(texts):
        for ref in media_refs(text):
            owners.setdefault(ref, index)
    unreferenced = [name for name in record.media if name not in owners]
    stem = _text(question, "questiontext", _plugin_sources(record.stem))
    _attach(stem, [n for n, i in owners.items() if i == 0] + unreferenced, media)
    _text(question, "generalfeedback", "")
    ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "penalty").text = "0"
    ET.SubElement(question, "hidden").text = "0"
    pinned = [i for i, option in enumerate(record.options) if option.pinned]
    all_pinned = bool(record.options) and len(pinned) == len(record.options)
    if record.type == FILL_BLANK:
        exact = record.match == MATCH_EXACT
        ET.SubElement(question, "usecase").text = "1" if exact else "0"
        for answer in record.answers:
            element = _text(question, "answer", answer.text, fmt="moodle_auto_format")
            element.set("fraction", format_percent(answer.fraction))
            _text(element, "feedback", "")
    elif record.type == TRUE_FALSE:
        for word, option in zip(("true", "false"), record.options, strict=True):
            element = _text(question, "answer", word, fmt="moodle_auto_format")
            element.set("fraction", format_percent(option.fraction))
            _text(element, "feedback", "")
    else:
        single = record.type != MULTIPLE_RESPONSE
        ET.SubElement(question, "single").text = "true" if single else "false"
        ET.SubElement(question, "shuffleanswers").text = "false" if all_pinned else "true"
        ET.SubElement(question, "answernumbering").text = "ABCD"
        for index, option in enumerate(record.options, start=1):
            element = _text(question, "answer", _plugin_sources(option.text))
            element.set("fraction", format_percent(option.fraction))
            _attach(element, [n for n, i in owners.items() if i == index], media)
            _text(element, "feedback", "")
    meta = write_metadata_tags(
        difficulty=record.difficulty,
        source=record.source,
        match=record.match if record.match == MATCH_IGNORE_ACCENTS else None,
        pinned=None if all_pinned or record.type == TRUE_FALSE else pinned,
        media=unreferenced,
    )
    tags = [*record.tags, *meta]
    if tags:
        tags_element = ET.SubElement(question, "tags")
        for tag in tags:
            ET.SubElement(ET.SubElement(tags_element, "tag"), "text").text = tag
    return question


def _category(path: str | None) -> ET.Element:
    question = ET.Element("question", {"type": "category"})
    _text(question, "category", moodle_category(path), fmt=None)
    _text(question, "info", "")
    return question


def export_moodle_xml(
    records: Sequence[QuestionRecord], media: Mapping[str, bytes] | None = None
) -> bytes:
    """Return records as a Moodle XML <quiz> document (UTF-8)."""
    errors = [
        ImportErrorRecord(
            "moodle-xml", index, "answers", msg.EXPORT_MULTI_BLANK, {"format": "Moodle XML"}
        )
        for index, record in enumerate(records, start=1)
        if len(record.blanks) > 1
    ]
    if errors:
        raise ExportError(errors)
    quiz = ET.Element("quiz")
    category: str | None = None
    for number, record in enumerate(records, start=1):
        if number == 1 or record.category != category:
            quiz.append(_category(record.category))
            category = record.category
        quiz.append(_question(record, number, media or {}))
    ET.indent(quiz, space="  ")
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True)
