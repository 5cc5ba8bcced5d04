"""QTI 3.0 content package export (zip with imsmanifest.xml, one file per item).

Items: choice questions as one qti-choice-interaction (match_correct, or
map_response when any option has partial or negative credit, always for
multiple response), fill-in-the-blank as text-entry interactions (map_response;
several blanks sum their mapResponse). Category, difficulty, tags, source,
ignore_accents matching and unreferenced media go in our metadata element in
the manifest resource (namespace QB_NAMESPACE), which other tools ignore.
Media given as bytes are stored at their names (relative paths).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser

from .html_text import html_to_plain, media_refs
from .qti_package import QB_NAMESPACE, _relative
from .qti_xml import QTI3_NAMESPACE
from .records import (
    FILL_BLANK,
    MATCH_EXACT,
    MATCH_IGNORE_ACCENTS,
    MULTIPLE_RESPONSE,
    OPTION_LETTERS,
    QuestionRecord,
)
from .safe_zip import safe_name
from .validation import BLANK_MARKER, count_blank_markers

CP_NAMESPACE = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ITEM_SCHEMA = (
    f"{QTI3_NAMESPACE} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
)
TEMPLATE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{}.xml"
_VOID = frozenset({"img", "br", "hr", "col"})


def _q(tag: str) -> str:
    # Elements stay unqualified; the root carries the default xmlns attribute
    # (ElementTree's default_namespace option rejects unqualified attributes).
    return tag


def _append_text(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


class _HtmlToXml(HTMLParser):
    """Rebuild sanitised HTML as QTI-namespaced elements, turning BLANKs into inputs."""

    def __init__(self, parent: ET.Element, blank_ids: list[str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [parent]
        self.blank_ids = list(blank_ids) if blank_ids else None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        element = ET.SubElement(self.stack[-1], _q(tag), {k: v or "" for k, v in attrs})
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        ET.SubElement(self.stack[-1], _q(tag), {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == _q(tag):
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if self.blank_ids is None:
            _append_text(parent, data)
            return
        position = 0
        for match in BLANK_MARKER.finditer(data):
            _append_text(parent, data[position : match.start()])
            _text_entry(parent, self.blank_ids.pop(0))
            position = match.end()
        _append_text(parent, data[position:])


def _text_entry(parent: ET.Element, identifier: str) -> None:
    ET.SubElement(parent, _q("qti-text-entry-interaction"), {"response-identifier": identifier})


def _add_html(parent: ET.Element, value: str, blank_ids: list[str] | None = None) -> None:
    converter = _HtmlToXml(parent, blank_ids)
    converter.feed(value)
    converter.close()


def _declaration(root, identifier, cardinality, base_type, correct, mapping, case=None):
    declaration = ET.SubElement(
        root,
        _q("qti-response-declaration"),
        {"identifier": identifier, "cardinality": cardinality, "base-type": base_type},
    )
    if correct:
        correct_element = ET.SubElement(declaration, _q("qti-correct-response"))
        for value in correct:
            ET.SubElement(correct_element, _q("qti-value")).text = value
    if mapping:
        mapping_element = ET.SubElement(declaration, _q("qti-mapping"), {"default-value": "0"})
        for key, value in mapping:
            attributes = {"map-key": key, "mapped-value": repr(value)}
            if case is not None:
                attributes["case-sensitive"] = case
            ET.SubElement(mapping_element, _q("qti-map-entry"), attributes)


def _choice_item(root: ET.Element, record: QuestionRecord) -> str:
    ids = OPTION_LETTERS[: len(record.options)]
    multiple = record.type == MULTIPLE_RESPONSE
    fractions = [option.fraction for option in record.options]
    correct = [i for i, f in zip(ids, fractions, strict=True) if (f > 0 if multiple else f == 1.0)]
    partial = multiple or any(f not in (0.0, 1.0) for f in fractions)
    mapping = [(i, f) for i, f in zip(ids, fractions, strict=True) if f != 0] if partial else []
    _declaration(
        root, "RESPONSE", "multiple" if multiple else "single", "identifier", correct, mapping
    )
    _outcome(root)
    body = ET.SubElement(root, _q("qti-item-body"))
    _add_html(ET.SubElement(body, _q("div")), record.stem)
    all_pinned = all(option.pinned for option in record.options)
    interaction = ET.SubElement(
        body,
        _q("qti-choice-interaction"),
        {
            "response-identifier": "RESPONSE",
            "shuffle": "false" if all_pinned else "true",
            "max-choices": str(len(ids)) if multiple else "1",
        },
    )
    for identifier, option in zip(ids, record.options, strict=True):
        attributes = {"identifier": identifier}
        if option.pinned and not all_pinned:
            attributes["fixed"] = "true"
        _add_html(ET.SubElement(interaction, _q("qti-simple-choice"), attributes), option.text)
    return "map_response" if partial else "match_correct"


def _fill_item(root: ET.Element, record: QuestionRecord) -> None:
    count = len(record.blanks)
    ids = ["RESPONSE"] if count == 1 else [f"RESPONSE_{n}" for n in range(1, count + 1)]
    case = "true" if record.match == MATCH_EXACT else "false"
    for identifier, answers in zip(ids, record.blanks, strict=True):
        full = [answer.text for answer in answers if answer.fraction == 1.0][:1]
        mapping = [(answer.text, answer.fraction) for answer in answers]
        _declaration(root, identifier, "single", "string", full, mapping, case)
    _outcome(root)
    body = ET.SubElement(root, _q("qti-item-body"))
    stem = ET.SubElement(body, _q("div"))
    if count_blank_markers(record.stem) == count:
        _add_html(stem, record.stem, ids)
    else:
        _add_html(stem, record.stem)
        _text_entry(ET.SubElement(body, _q("p")), ids[0])


def _outcome(root: ET.Element) -> None:
    ET.SubElement(
        root,
        _q("qti-outcome-declaration"),
        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
    )


def item_xml(record: QuestionRecord, identifier: str) -> bytes:
    """Return one record as a QTI 3.0 assessment item document."""
    root = ET.Element(
        _q("qti-assessment-item"),
        {
            XSI: ITEM_SCHEMA,
            "identifier": identifier,
            "title": html_to_plain(record.stem)[:80] or identifier,
            "adaptive": "false",
            "time-dependent": "false",
            XML_LANG: "vi",
            "xmlns": QTI3_NAMESPACE,
        },
    )
    if record.type == FILL_BLANK:
        _fill_item(root, record)
        template = "map_response" if len(record.blanks) == 1 else None
    else:
        template = _choice_item(root, record)
    if template:
        ET.SubElement(root, _q("qti-response-processing"), {"template": TEMPLATE.format(template)})
    else:
        processing = ET.SubElement(root, _q("qti-response-processing"))
        rule = ET.SubElement(processing, _q("qti-set-outcome-value"), {"identifier": "SCORE"})
        total = ET.SubElement(rule, _q("qti-sum"))
        for number in range(1, len(record.blanks) + 1):
            ET.SubElement(total, _q("qti-map-response"), {"identifier": f"RESPONSE_{number}"})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _cp(tag: str) -> str:
    return tag


def _qb(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{QB_NAMESPACE}}}{tag}").text = text


def _resource_metadata(resource: ET.Element, record: QuestionRecord, unreferenced: list[str]):
    metadata = ET.SubElement(resource, _cp("metadata"))
    element = ET.SubElement(metadata, f"{{{QB_NAMESPACE}}}question")
    _qb(element, "type", record.type)
    if record.category:
        _qb(element, "category", record.category)
    if record.difficulty is not None:
        _qb(element, "difficulty", str(record.difficulty))
    for tag in record.tags:
        _qb(element, "tag", tag)
    if record.source:
        _qb(element, "source", record.source)
    if record.match == MATCH_IGNORE_ACCENTS:
        _qb(element, "match", record.match)
    for name in unreferenced:
        _qb(element, "media", name)


def export_qti(
    records: Sequence[QuestionRecord], media: Mapping[str, bytes] | None = None
) -> bytes:
    """Return records as a QTI 3.0 content package (zip bytes)."""
    media = media or {}
    manifest = ET.Element(
        _cp("manifest"), {"identifier": "MANIFEST-QUESTION-BANK", "xmlns": CP_NAMESPACE}
    )
    metadata = ET.SubElement(manifest, _cp("metadata"))
    ET.SubElement(metadata, _cp("schema")).text = "QTI Package"
    ET.SubElement(metadata, _cp("schemaversion")).text = "3.0.0"
    ET.SubElement(manifest, _cp("organizations"))
    resources = ET.SubElement(manifest, _cp("resources"))
    files: dict[str, bytes] = {}
    for number, record in enumerate(records, start=1):
        identifier = f"item-{number:05d}"
        href = f"{identifier}.xml"
        files[href] = item_xml(record, identifier)
        resource = ET.SubElement(
            resources,
            _cp("resource"),
            {"identifier": identifier, "type": "imsqti_item_xmlv3p0", "href": href},
        )
        texts = [record.stem, *(option.text for option in record.options)]
        referenced = {ref for text in texts for ref in media_refs(text)}
        _resource_metadata(resource, record, [n for n in record.media if n not in referenced])
        ET.SubElement(resource, _cp("file"), {"href": href})
        for name in record.media:
            if name in media and _relative(name) and safe_name(name) and name != href:
                files[name] = media[name]
                ET.SubElement(resource, _cp("file"), {"href": name})
    ET.indent(manifest, space="  ")
    files["imsmanifest.xml"] = ET.tostring(manifest, encoding="utf-8", xml_declaration=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", files.pop("imsmanifest.xml"))
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
