"""QTI import: a single item or test XML file, or an IMS content package (zip).

In a package, imsmanifest.xml lists the item resources (type imsqti_item_*);
each item file is read, image sources are rewritten to package paths (the
media names), and media found in the package are returned in
ParseResult.media. Fields QTI items lack (category, difficulty, tags, source,
ignore_accents matching, unreferenced media) are read from our metadata
element in the resource's <metadata> (see qti_export.QB_NAMESPACE).
Referenced media missing from the package are not errors: compare
record.media with the keys of ParseResult.media.
"""

from __future__ import annotations

import dataclasses
import posixpath
from urllib.parse import unquote

from . import messages as msg
from .duplicates import find_duplicates
from .errors import ImportErrorRecord, ProblemError
from .html_text import clean_plain, collect_media
from .metadata import normalise_category, read_metadata_tags
from .qti_item import read_item
from .qti_xml import QTI_NAMESPACES, normalise
from .records import FILL_BLANK, ParseResult, QuestionRecord
from .safe_xml import Node, parse_xml
from .safe_zip import SafeZip, is_zip, open_zip, safe_name
from .validation import validate_record

QB_NAMESPACE = "urn:exam-platform:question-bank:1"
MANIFEST = "imsmanifest.xml"


def _relative(src: str) -> bool:
    return bool(src) and "://" not in src and not src.startswith(("/", "data:", "#"))


def _resolver(item_path: str):
    base = posixpath.dirname(item_path)

    def resolve(src: str) -> str:
        if not _relative(src):
            return src
        joined = posixpath.normpath(posixpath.join(base, unquote(src)))
        return joined if safe_name(joined) else src

    return resolve


def _metadata(resource: Node | None) -> tuple[dict, list[str]]:
    """Return field overrides and extra media from our metadata element."""
    found: dict = {}
    element = next(
        (
            node
            for node in (resource.iter() if resource is not None else [])
            if node.namespace == QB_NAMESPACE and node.local == "question"
        ),
        None,
    )
    if element is None:
        return found, []
    values = {child.local: [] for child in element.children}
    for child in element.children:
        values[child.local].append(clean_plain(child.text_content()))
    tags = values.get("tag", [])
    for key in ("difficulty", "source", "match"):
        tags += [f"{key}:{value}" for value in values.get(key, [])]
    meta = read_metadata_tags(tags)
    if values.get("type"):
        found["type"] = values["type"][0]
    found.update(
        category=normalise_category((values.get("category") or [None])[0]),
        difficulty=meta.difficulty,
        tags=tuple(meta.tags),
        source=meta.source,
    )
    if meta.match:
        found["match"] = meta.match
    return found, values.get("media", [])


class _QtiReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.records: list[QuestionRecord] = []
        self.errors: list[ImportErrorRecord] = []
        self.media: dict[str, bytes] = {}

    def item(
        self,
        data: bytes,
        label: str,
        path: str | None = None,
        resource: Node | None = None,
        archive: SafeZip | None = None,
    ) -> None:
        try:
            root = parse_xml(data)
        except ProblemError as exc:
            self.errors.append(exc.at(label))
            return
        if root.namespace not in QTI_NAMESPACES:
            self.errors.append(ImportErrorRecord(label, root.line, "xml", msg.QTI_NOT_QTI))
            return
        tree = normalise(root)
        if tree.local == "assessmentTest":
            self.test_refs(tree, label)
            return
        if tree.local != "assessmentItem":
            self.errors.append(ImportErrorRecord(label, root.line, "xml", msg.QTI_NOT_QTI))
            return
        resolve = _resolver(path) if path else (lambda src: src)
        overrides, extra_media = _metadata(resource)
        stored_type = overrides.pop("type", None)
        record, problems = read_item(tree, resolve, stored_type != "single_choice")
        if record is not None:
            if record.type != FILL_BLANK:
                overrides.pop("match", None)
            texts = [record.stem, *(option.text for option in record.options)]
            record = dataclasses.replace(
                record,
                media=collect_media(texts, extra_media),
                location_file=path,
                **overrides,
            )
            problems = validate_record(record)
        self.errors += [problem.at(label, root.line) for problem in problems]
        if record is not None and not problems:
            self.records.append(record)
            if archive is not None:
                self.collect_media(record, archive, label, root.line)

    def collect_media(self, record: QuestionRecord, archive: SafeZip, label: str, line: int):
        for name in record.media:
            if _relative(name) and safe_name(name) and archive.has(name):
                content = archive.read(name)
                if self.media.setdefault(name, content) != content:
                    self.errors.append(
                        ImportErrorRecord(label, line, "media", msg.MEDIA_CONFLICT, {"name": name})
                    )

    def test_refs(self, tree: Node, label: str) -> None:
        for ref in tree.iter():
            if ref.local == "assessmentItemRef":
                self.errors.append(
                    ImportErrorRecord(
                        label, ref.line, "href", msg.QTI_TEST_ITEM_REF, {"href": ref.get("href")}
                    )
                )

    def package(self, data: bytes) -> None:
        archive = open_zip(data)
        manifest_label = f"{self.filename}/{MANIFEST}"
        if not archive.has(MANIFEST):
            self.errors.append(
                ImportErrorRecord(self.filename, None, "file", msg.QTI_MANIFEST_MISSING)
            )
            return
        try:
            manifest = parse_xml(archive.read(MANIFEST))
        except ProblemError as exc:
            self.errors.append(exc.at(manifest_label))
            return
        resources = [
            node
            for node in manifest.iter()
            if node.local == "resource" and (node.get("type") or "").startswith("imsqti_item")
        ]
        if not resources:
            self.errors.append(ImportErrorRecord(self.filename, None, "file", msg.QTI_NO_ITEMS))
        for resource in resources:
            href = resource.get("href") or next(
                (f.get("href") for f in resource.findall("file") if f.get("href")), ""
            )
            path = posixpath.normpath(unquote(href)) if href else ""
            if not path or not safe_name(path) or not archive.has(path):
                self.errors.append(
                    ImportErrorRecord(
                        manifest_label,
                        resource.line,
                        "href",
                        msg.QTI_RESOURCE_MISSING,
                        {"href": href},
                    )
                )
                continue
            label = f"{self.filename}/{path}"
            self.item(archive.read(path), label, path, resource, archive)


def parse_qti(data: bytes, filename: str) -> ParseResult:
    """Parse a QTI 2.1/3.0 item or test XML, or a content package zip."""
    reader = _QtiReader(filename)
    try:
        if is_zip(data):
            reader.package(data)
        else:
            reader.item(data, filename)
    except ProblemError as exc:
        reader.errors.append(exc.at(filename))
    errors = reader.errors + find_duplicates(reader.records, filename)
    if not reader.records and not errors:
        errors.append(ImportErrorRecord(filename, None, None, msg.NO_QUESTIONS))
    return ParseResult(tuple(reader.records), tuple(errors), dict(reader.media))
