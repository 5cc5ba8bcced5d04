"""Property-based tests of the question-bank importers and exporters.

Whatever bytes a user uploads, parse() returns records or located errors and never
raises; every record it returns is valid and NFC; documents built to be valid parse into
exactly the questions they hold; and export() then parse() gives back the same records.
Hypothesis runs derandomized (the same examples on every run) and without an example
database, so CI runs are reproducible. Bugs found are pinned by tests with explicit examples
at the end of the round-trip section (strict xfail while open, plain tests once fixed).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

import pytest
from hypothesis import Phase, assume, example, given, settings
from hypothesis import strategies as st

from question_bank.formats import (
    BLANK,
    FORMATS,
    MATCH_MODES,
    Answer,
    ExportError,
    ImportErrorRecord,
    Option,
    ParseResult,
    QuestionRecord,
    export,
    parse,
    true_false_options,
    validate_record,
)
from question_bank.formats import messages as msg
from question_bank.formats.csv_format import _guard, _unguard
from question_bank.formats.html_text import html_to_plain, sanitize_html
from question_bank.formats.metadata import normalise_category
from scoring.rules import score_blank
from scoring.types import AcceptedAnswer, BlankKey

ALL_FORMATS = ["auto", *FORMATS]  # xlsx, csv, gift, moodle-xml, aiken, qti
EXPORT_FORMATS = [name for name, fmt in FORMATS.items() if fmt.exporter is not None]
FILENAMES = {
    "xlsx": "bank.xlsx",
    "csv": "bank.csv",
    "gift": "bank.gift",
    "moodle-xml": "bank.xml",
    "qti": "bank.zip",
    "aiken": "bank.txt",
}
JSON_KEYS = {"file", "line", "field", "message"}


def fuzz_settings(examples: int) -> settings:
    """Return reproducible settings: fixed seed, no example database, no deadline."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None)


# ---------------------------------------------------------------------------------------
# Invariants every parse result must satisfy.


def is_nfc(text: str | None) -> bool:
    return text is None or unicodedata.is_normalized("NFC", text)


def check_error(error: ImportErrorRecord, filename: str, max_line: int | None) -> None:
    assert isinstance(error, ImportErrorRecord)
    shown = error.to_json()
    assert set(shown) == JSON_KEYS
    # QTI packages name the item inside the archive as "bank.zip/item.xml".
    assert shown["file"] == filename or shown["file"].startswith(filename + "/"), shown
    line = shown["line"]
    assert line is None or (isinstance(line, int) and line >= 1), shown
    if line is not None and max_line is not None:
        assert line <= max_line, shown
    assert shown["field"] is None or (isinstance(shown["field"], str) and shown["field"]), shown
    message = shown["message"]
    assert isinstance(message, str) and message.strip(), shown
    assert "%(" not in message, shown  # every placeholder was filled in


def check_record(record: QuestionRecord) -> None:
    assert isinstance(record, QuestionRecord)
    assert validate_record(record) == [], record
    texts = [record.stem, *(o.text for o in record.options)]
    texts += [a.text for blank in record.blanks for a in blank]
    texts += [record.category, record.source, *record.tags, *record.media]
    assert all(is_nfc(text) for text in texts), record
    assert record.location is None or record.location >= 1, record


def text_line_count(data: bytes) -> int | None:
    """Return an upper bound on the lines of a UTF-8 text upload, None for other input."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # splitlines() breaks on more characters than the parsers do, so this is an upper bound.
    return len(text.splitlines()) + 1


def check_result(result: ParseResult, data: bytes, filename: str, fmt: str) -> None:
    assert isinstance(result, ParseResult)
    # Any input gives records or at least one clear error, never silence.
    assert result.records or result.errors
    max_line = text_line_count(data) if fmt in ("gift", "aiken", "csv") else None
    for error in result.errors:
        check_error(error, filename, max_line)
    for record in result.records:
        check_record(record)
    for name, content in dict(result.media).items():
        assert isinstance(name, str) and isinstance(content, bytes)


def parse_checked(data: bytes, fmt: str, filename: str | None = None) -> ParseResult:
    filename = filename or FILENAMES.get(fmt, "upload.bin")
    result = parse(data, filename, fmt=fmt)
    check_result(result, data, filename, fmt)
    return result


# ---------------------------------------------------------------------------------------
# Text material: Vietnamese letters (NFC and NFD), the characters each format treats
# specially, and fragments of every format's syntax.

VI_LOWER = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
VI_LETTERS = VI_LOWER + VI_LOWER.upper()
NFD_LETTERS = unicodedata.normalize("NFD", VI_LETTERS)
SYNTAX_FRAGMENTS = [
    "{", "}", "~", "=", "#", ":", "::", "\\", "%", "%50%", "%-100%", "->", "____", "[html]",
    "$CATEGORY:", "//", "// [tag:x] [difficulty:2]", "{T}", "{FALSE}", "{=a =b}", "{~a =b}",
    "ANSWER: B", "ĐÁP ÁN: A, C", "A. ", "B) ", "Z.", "\n", "\r\n", "\r", "\n\n", "\t", ",",
    ";", '"', "'", "|", "||", "<p>", "</p>", "<b>", "<br>", "<img src=\"a.png\">", "&amp;",
    "&lt;", "<?xml version=\"1.0\"?>", "<quiz>", "</quiz>", '<question type="multichoice">',
    '<question type="shortanswer">', '<question type="truefalse">', "<questiontext>",
    "<text>", "</text>", '<answer fraction="100">', "</answer>", "<![CDATA[", "]]>",
    "<!DOCTYPE x [<!ENTITY e \"e\">]>", "&e;", "<qti-assessment-item>",
    "<qti-choice-interaction>", "<manifest>", "Câu hỏi", "Loại", "Phương án A", "Đáp án",
    "stem,option_a,option_b,correct", "type;stem;a;b;correct", "single_choice", "fill_blank",
    "true_false", "Đúng", "Sai", "Hà Nội", "\ufeff", "\x00", "\u200b", "\xa0",
    "PK\x03\x04",
]  # fmt: skip
SYNTAX_FRAGMENTS += [unicodedata.normalize("NFD", text) for text in ("Hà Nội", "Đáp án", "Đúng")]

chunks = st.one_of(
    st.sampled_from(SYNTAX_FRAGMENTS),
    st.text(alphabet=VI_LETTERS, min_size=1, max_size=6),
    st.text(alphabet=NFD_LETTERS, min_size=1, max_size=6),
    st.text(max_size=4),
)
messy_text = st.lists(chunks, max_size=40).map("".join)


@st.composite
def encoded(draw, text_strategy=messy_text) -> bytes:
    """Return text in an encoding an upload may use (or a broken one)."""
    text = draw(text_strategy)
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "broken"]))
    if how == "cp1258":
        return text.encode("cp1258", errors="replace")
    if how == "broken":
        raw = text.encode("utf-8")
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + draw(st.binary(max_size=4)) + raw[cut:]
    return text.encode(how, errors="surrogatepass")


ZIP_MEMBERS = [
    "xl/workbook.xml",
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
    "imsmanifest.xml",
    "item-00001.xml",
    "images/a.png",
    "../evil.txt",
    "/abs.xml",
    "dir/",
]


@st.composite
def zip_bytes(draw) -> bytes:
    """Return a small zip archive whose members bear workbook or QTI names."""
    buffer = io.BytesIO()
    names = draw(st.lists(st.sampled_from(ZIP_MEMBERS), max_size=5, unique=True))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            content = draw(st.one_of(messy_text.map(str.encode), st.binary(max_size=40)))
            archive.writestr(name, content)
    data = buffer.getvalue()
    if draw(st.booleans()):
        return data
    cut = draw(st.integers(0, len(data)))
    return data[:cut] + draw(st.binary(max_size=8))  # a truncated or damaged archive


any_upload = st.one_of(
    st.binary(max_size=300),
    encoded(),
    zip_bytes(),
    st.binary(max_size=60).map(lambda tail: b"PK\x03\x04" + tail),
    st.binary(max_size=60).map(lambda tail: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + tail),
)


# ---------------------------------------------------------------------------------------
# 1. Arbitrary input never crashes any parser.


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@fuzz_settings(200)
@given(data=any_upload)
def test_any_upload_gives_records_or_located_errors(fmt, data):
    parse_checked(data, fmt)


@fuzz_settings(200)
@given(
    data=any_upload,
    filename=st.sampled_from(
        ["q.gift", "q.txt", "q.csv", "q.tsv", "q.xml", "q.zip", "q.xlsx", "q.xls", "q", ""]
    ),
)
def test_auto_detection_with_any_name_never_crashes(data, filename):
    result = parse(data, filename)
    check_result(result, data, filename, "auto")


@given(fmt=st.text(max_size=12).filter(lambda name: name not in FORMATS and name != "auto"))
@fuzz_settings(50)
def test_an_unknown_format_name_is_the_only_exception(fmt):
    with pytest.raises(ValueError, match="unknown format"):
        parse(b"anything", "x.gift", fmt=fmt)


# ---------------------------------------------------------------------------------------
# Structured documents: generated questions written in GIFT, Aiken and CSV by this test
# (not by the exporters), so the parsers are checked against an independent writer.

# Plain text without the characters that make a cell HTML (< > &) or change a format's
# meaning in ways a writer cannot escape ("_" could form a blank marker, "[" a GIFT text
# format, "'" a CSV formula guard).
SAFE_PUNCTUATION = ' .,;?!()-/%"0123456789'
GIFT_SPECIAL = "~=#{}:\\"


@functools.cache
def text_of(alphabet: str, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Return a text strategy, built once per alphabet (building one is not free)."""
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


@st.composite
def words(draw, max_words: int = 5, specials: str = "", punctuation: bool = True) -> str:
    """Return NFC words (Vietnamese letters and punctuation) joined by single spaces."""
    alphabet = VI_LETTERS + (SAFE_PUNCTUATION.strip() if punctuation else "0123456789") + specials
    head = draw(text_of(VI_LETTERS, 1, 8))
    tail = draw(st.lists(text_of(alphabet, 1, 8), max_size=max_words))
    return " ".join([head, *tail])


def collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def unique_key(text: str) -> str:
    return collapse(text).casefold()


@dataclass
class Spec:
    """One generated question and what the parser must make of it."""

    kind: str
    stem: str
    options: list[tuple[str, float]] = field(default_factory=list)
    answers: list[tuple[str, float]] = field(default_factory=list)
    truth: bool = True
    tail: str = ""  # GIFT missing-word form: text after the answer block
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    difficulty: int | None = None
    nfd: bool = False

    def raw(self, text: str) -> str:
        """Return text as written in the file (decomposed when the spec asks for NFD)."""
        return unicodedata.normalize("NFD", text) if self.nfd else text


@st.composite
def specs(draw, number: int, specials: str = "", kinds=None) -> Spec:
    kind = draw(
        st.sampled_from(kinds or ["single_choice", "multiple_response", "true_false", "fill_blank"])
    )
    stem = f"Câu {number}. " + draw(words(max_words=8, specials=specials))
    spec = Spec(kind=kind, stem=stem, nfd=draw(st.booleans()))
    texts = st.lists(words(specials=specials), min_size=2, max_size=8, unique_by=unique_key)
    if kind == "single_choice":
        options = draw(texts)
        right = draw(st.integers(0, len(options) - 1))
        spec.options = [(text, 1.0 if i == right else 0.0) for i, text in enumerate(options)]
    elif kind == "multiple_response":
        options = draw(texts)
        count = draw(st.integers(1, min(4, len(options))))
        chosen = draw(st.permutations(range(len(options))))[:count]
        share = {1: 1.0, 2: 0.5, 3: 0.3333333, 4: 0.25}[count]
        spec.options = [
            (text, share if i in chosen else draw(st.sampled_from([0.0, -1.0, -0.5])))
            for i, text in enumerate(options)
        ]
    elif kind == "true_false":
        spec.truth = draw(st.booleans())
    else:
        # Accepted answers differ under the default matching (ignore_case), so none repeats.
        answers = st.lists(
            words(max_words=2, specials=specials), min_size=1, max_size=3, unique_by=unique_key
        )
        first, *more = draw(answers)
        spec.answers = [(first, 1.0)] + [(text, draw(st.sampled_from([1.0, 0.5]))) for text in more]
    return spec


def check_detected(data: bytes, fmt: str, result: ParseResult) -> None:
    """Uploaded as .txt (how Moodle users save GIFT and Aiken), the content decides."""
    detected = parse(data, "upload.txt")
    assert detected.records == result.records
    assert detected.errors == tuple(
        dataclasses.replace(error, file="upload.txt") for error in result.errors
    )


def check_against_specs(result: ParseResult, expected: list[Spec]) -> None:
    assert result.errors == (), [error.to_json() for error in result.errors]
    assert len(result.records) == len(expected)
    for record, spec in zip(result.records, expected, strict=True):
        check_record(record)
        assert record.type == spec.kind
        assert html_to_plain(record.stem) == collapse(spec.stem)
        if spec.kind == "true_false":
            assert record.options == true_false_options(spec.truth)
        elif spec.kind == "fill_blank":
            got = [(answer.text, answer.fraction) for answer in record.answers]
            want = [(unicodedata.normalize("NFC", t).strip(), f) for t, f in spec.answers]
            assert got == want
        else:
            got = [(html_to_plain(o.text), o.fraction) for o in record.options]
            assert got == [(collapse(text), fraction) for text, fraction in spec.options]


# --- GIFT -----------------------------------------------------------------------------


def gift_escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out


def percent(fraction: float) -> str:
    """Write a generated fraction as a percentage the way a person would type it."""
    return {0.3333333: "33.33333"}.get(fraction, f"{fraction * 100:g}")


def gift_block(spec: Spec, truth_word: str) -> str:
    if spec.kind == "true_false":
        return "{" + truth_word + "}"
    parts = []
    if spec.kind == "fill_blank":
        for text, fraction in spec.answers:
            weight = (
                "" if fraction == 1.0 and not text.startswith("%") else (f"%{percent(fraction)}%")
            )
            parts.append("=" + weight + gift_escape(spec.raw(text)))
    else:
        for text, fraction in spec.options:
            if spec.kind == "single_choice" and fraction == 1.0:
                parts.append("=" + gift_escape(spec.raw(text)))
            else:
                parts.append(f"~%{percent(fraction)}%" + gift_escape(spec.raw(text)))
    return "{" + " ".join(parts) + "}"


@st.composite
def gift_documents(draw) -> tuple[bytes, list[Spec]]:
    count = draw(st.integers(1, 5))
    expected, blocks, category = [], [], None
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    for number in range(1, count + 1):
        spec = draw(specs(number, specials=GIFT_SPECIAL))
        lines = []
        if draw(st.integers(0, 3)) == 0:
            segments = draw(st.lists(words(max_words=1, punctuation=False), min_size=1, max_size=2))
            category = "/".join(segments)
            lines.append("$CATEGORY: $course$/top/" + "/".join(spec.raw(s) for s in segments))
        if draw(st.booleans()):
            spec.tags = draw(
                st.lists(words(max_words=1, punctuation=False), max_size=2, unique=True)
            )
            spec.difficulty = draw(st.sampled_from([None, 1, 2, 3]))
            tokens = [f"[tag:{spec.raw(tag)}]" for tag in spec.tags]
            if spec.difficulty:
                tokens.append(f"[difficulty:{spec.difficulty}]")
            lines.append("// " + " ".join(tokens))
        spec.category = category
        title = draw(st.sampled_from(["", f"::Q{number}:: "]))
        truth_word = draw(st.sampled_from(["T", "TRUE", "true"] if spec.truth else ["F", "FALSE"]))
        block = gift_block(spec, truth_word)
        question = title + gift_escape(spec.raw(spec.stem)) + " " + block
        if spec.kind == "fill_blank" and draw(st.booleans()):
            spec.tail = draw(words(max_words=3, specials=GIFT_SPECIAL))
            question += " " + gift_escape(spec.raw(spec.tail))
            spec.stem = f"{spec.stem} {BLANK} {spec.tail}"
        lines.append(question)
        blocks.append(newline.join(lines))
        expected.append(spec)
    text = (newline * draw(st.integers(2, 3))).join(blocks)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(encoding), expected


@fuzz_settings(150)
@given(document=gift_documents())
def test_valid_gift_documents_parse_into_their_questions(document):
    data, expected = document
    result = parse_checked(data, "gift")
    check_against_specs(result, expected)
    check_detected(data, "gift", result)
    for record, spec in zip(result.records, expected, strict=True):
        assert record.category == (collapse_path(spec.category))
        assert list(record.tags) == [unicodedata.normalize("NFC", tag) for tag in spec.tags]
        assert record.difficulty == spec.difficulty


def collapse_path(path: str | None) -> str | None:
    if path is None:
        return None
    return "/".join(unicodedata.normalize("NFC", part).strip() for part in path.split("/"))


# --- Aiken ----------------------------------------------------------------------------


@st.composite
def aiken_documents(draw) -> tuple[bytes, list[Spec]]:
    count = draw(st.integers(1, 5))
    expected, chunks_ = [], []
    for number in range(1, count + 1):
        spec = draw(specs(number, specials=":", kinds=["single_choice", "multiple_response"]))
        # Aiken has no weights: multiple response shares the credit equally, nothing negative.
        spec.options = [(text, max(fraction, 0.0)) for text, fraction in spec.options]
        lines = [spec.raw(spec.stem)]
        extra = draw(st.lists(words(max_words=3), max_size=2))
        for line in extra:  # a stem may run over several lines
            lines.append(spec.raw("(tiếp) " + line))
        spec.stem = " ".join([spec.stem, *("(tiếp) " + line for line in extra)])
        separator = draw(st.sampled_from([". ", ") ", ".  "]))
        letters = "ABCDEFGH"
        for index, (text, _) in enumerate(spec.options):
            lines.append(letters[index] + separator + spec.raw(text))
        right = [letters[i] for i, (_, f) in enumerate(spec.options) if f > 0]
        label = draw(st.sampled_from(["ANSWER: ", "Answer:", "ĐÁP ÁN: ", "đáp án : "]))
        lines.append(label + ", ".join(right))
        chunks_.append("\n".join(lines))
        expected.append(spec)
    text = "".join(chunk + "\n" * draw(st.integers(1, 3)) for chunk in chunks_)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))), expected


@fuzz_settings(150)
@given(document=aiken_documents())
def test_valid_aiken_documents_parse_into_their_questions(document):
    data, expected = document
    for spec in expected:
        positive = [f for _, f in spec.options if f > 0]
        if len(positive) == 1:
            spec.kind = "single_choice"  # one letter after ANSWER: is a single choice
        spec.options = [(t, round(1 / len(positive), 7) if f > 0 else 0.0) for t, f in spec.options]
    result = parse_checked(data, "aiken")
    check_against_specs(result, expected)
    check_detected(data, "aiken", result)


# --- CSV ------------------------------------------------------------------------------

CSV_HEADERS = {
    "en": {
        "type": "type", "stem": "stem", "correct": "correct", "weights": "weights",
        "category": "category", "difficulty": "difficulty", "tags": "tags",
        **{f"option_{x.lower()}": f"option_{x.lower()}" for x in "ABCDEFGH"},
    },
    "vi": {
        "type": "Loại", "stem": "Câu hỏi", "correct": "Đáp án", "weights": "Trọng số",
        "category": "Chủ đề", "difficulty": "Độ khó", "tags": "Thẻ",
        **{f"option_{x.lower()}": f"Phương án {x}" for x in "ABCDEFGH"},
    },
}  # fmt: skip
TYPE_WORDS = {
    "single_choice": ["single_choice", "Một đáp án", "trắc nghiệm"],
    "multiple_response": ["multiple_response", "Nhiều đáp án"],
    "true_false": ["true_false", "Đúng/Sai"],
    "fill_blank": ["fill_blank", "Điền khuyết", "short answer"],
}


def answer_cell(answers: list[tuple[str, float]]) -> str:
    items = []
    for text, fraction in answers:
        escaped = text.replace("\\", "\\\\").replace("|", "\\|")
        if escaped.startswith("%"):
            escaped = "\\" + escaped
        prefix = "" if fraction == 1.0 else f"%{percent(fraction)}%"
        items.append(prefix + escaped)
    return "|".join(items)


@st.composite
def csv_documents(draw) -> tuple[bytes, list[Spec]]:
    count = draw(st.integers(1, 5))
    expected = [draw(specs(number, specials="|\\=+@~#{}:")) for number in range(1, count + 1)]
    lang = draw(st.sampled_from(["en", "vi"]))
    columns = ["type", "stem", *(f"option_{x}" for x in "abcdefgh"), "correct", "weights"]
    columns += ["category", "difficulty", "tags"]
    columns = list(draw(st.permutations(columns)))
    nfd_header = draw(st.booleans())
    header = [CSV_HEADERS[lang][column] for column in columns]
    if nfd_header:
        header = [unicodedata.normalize("NFD", name) for name in header]
    rows = [header]
    for spec in expected:
        cells = dict.fromkeys(columns, "")
        cells["type"] = spec.raw(draw(st.sampled_from(TYPE_WORDS[spec.kind])))
        cells["stem"] = spec.raw(spec.stem)
        if spec.kind == "true_false":
            cells["correct"] = spec.raw(
                draw(st.sampled_from(["Đúng", "TRUE", "đúng"] if spec.truth else ["Sai", "false"]))
            )
        elif spec.kind == "fill_blank":
            cells["correct"] = spec.raw(answer_cell(spec.answers))
        else:
            for index, (text, _) in enumerate(spec.options):
                cells[f"option_{'abcdefgh'[index]}"] = spec.raw(text)
            right = [i for i, (_, f) in enumerate(spec.options) if f > 0]
            if spec.kind == "single_choice":
                right = [i for i, (_, f) in enumerate(spec.options) if f == 1.0]
            cells["correct"] = ", ".join("ABCDEFGH"[i] for i in right)
            if spec.kind == "multiple_response":
                cells["weights"] = ";".join(f"{percent(f)}%" for _, f in spec.options)
        spec.difficulty = draw(st.sampled_from([None, 1, 2, 3]))
        if spec.difficulty:
            cells["difficulty"] = draw(
                st.sampled_from(
                    [str(spec.difficulty), ["Dễ", "Trung bình", "Khó"][spec.difficulty - 1]]
                )
            )
        spec.tags = draw(st.lists(words(max_words=1, punctuation=False), max_size=2, unique=True))
        cells["tags"] = ", ".join(spec.raw(tag) for tag in spec.tags)
        rows.append([cells[column] for column in columns])
        if draw(st.integers(0, 4)) == 0:
            rows.append([""] * len(columns))  # blank rows are skipped
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return buffer.getvalue().encode(encoding), expected


@fuzz_settings(150)
@given(document=csv_documents())
def test_valid_csv_documents_parse_into_their_questions(document):
    data, expected = document
    for spec in expected:
        if spec.kind == "multiple_response":
            # Weights written as "%g" percentages come back rounded to 7 decimals.
            spec.options = [(t, round(f, 7)) for t, f in spec.options]
    result = parse_checked(data, "csv")
    check_against_specs(result, expected)
    check_detected(data, "csv", result)
    for record, spec in zip(result.records, expected, strict=True):
        assert record.difficulty == spec.difficulty
        assert list(record.tags) == [unicodedata.normalize("NFC", tag) for tag in spec.tags]


# --- Damaged documents -----------------------------------------------------------------


def damage(draw, text: str) -> str:
    """Return text after a few random edits: deletions, insertions, repeats, a cut."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        span = draw(st.integers(0, 12))
        edit = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "truncate"]))
        if edit == "delete":
            text = text[:at] + text[at + span :]
        elif edit == "insert":
            text = text[:at] + draw(chunks) + text[at:]
        elif edit == "replace":
            text = text[:at] + draw(chunks) + text[at + span :]
        elif edit == "duplicate":
            text = text[:at] + text[at : at + span] * 2 + text[at + span :]
        else:
            text = text[:at]
    return text


@st.composite
def damaged(draw, documents) -> str:
    """Return a valid document's text after a few random edits."""
    data, _ = draw(documents)
    return damage(
        draw, data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    )


@pytest.mark.parametrize(
    ("fmt", "documents"),
    [("gift", gift_documents()), ("aiken", aiken_documents()), ("csv", csv_documents())],
    ids=["gift", "aiken", "csv"],
)
@fuzz_settings(120)
@given(data=st.data())
def test_damaged_documents_give_valid_records_or_located_errors(fmt, documents, data):
    text = data.draw(damaged(documents))
    raw = text.encode("utf-8", errors="surrogatepass")
    parse_checked(raw, fmt)
    # The same bytes through format detection.
    check_result(parse(raw, FILENAMES[fmt]), raw, FILENAMES[fmt], "auto")


# ---------------------------------------------------------------------------------------
# 2. Export then parse gives back the records, in every format that exports.

TEXT_SPECIALS = "~=#{}:\\|%[]'+-@*"
TAG_SPECIALS = ",;.-()"


# Whole texts and starts that formats read specially: true/false words, option letters,
# numbers, GIFT weights and operators, CSV formula starts and their guard.
TRICKY_WORDS = ["Đúng", "Sai", "TRUE", "FALSE", "T", "F", "A", "A, C", "1", "0", "1945", "%50%"]
TRICKY_STARTS = ["=", "+", "-", "@", "'", "'=", "'+", "%", "%0%", "[", "[html]", "~", "#", "::"]


@st.composite
def canonical_text(draw, max_words: int = 6) -> str:
    """Return stored-form text: NFC, sanitised HTML as the parsers would produce it."""
    pieces = []
    alphabet = VI_LETTERS + ".,?!()/0123456789" + TEXT_SPECIALS
    for _ in range(draw(st.integers(1, max_words))):
        word = draw(
            st.one_of(
                text_of(alphabet, 1, 8),
                st.sampled_from(TRICKY_WORDS),
            )
        )
        style = draw(st.sampled_from(["plain"] * 6 + ["b", "i", "entity", "br"]))
        if style in ("b", "i"):
            word = f"<{style}>{word}</{style}>"
        elif style == "entity":
            word = word + " &lt; " + draw(st.sampled_from(["&amp;", "&gt;", "x"]))
        elif style == "br" and pieces:
            pieces.append("<br>")
        pieces.append(word)
    start = draw(st.sampled_from([""] * 6 + TRICKY_STARTS))
    return start + " ".join(pieces).replace(" <br> ", "<br>")


@st.composite
def plain_value(draw, alphabet: str = "", starts: list[str] | None = None) -> str:
    start = draw(st.sampled_from([""] * 6 + (starts or [""])))
    head = draw(text_of(VI_LETTERS, 1, 6))
    rest = draw(text_of(VI_LETTERS + " 0123456789" + alphabet, 0, 10))
    return (start + head + rest).strip()


@st.composite
def records(draw, number: int, multi_blank: bool) -> QuestionRecord:
    kind = draw(st.sampled_from(["single_choice", "multiple_response", "true_false", "fill_blank"]))
    stem = f"Câu {number}. " + draw(canonical_text())
    common = {
        "category": draw(
            st.one_of(st.none(), st.lists(plain_value(), min_size=1, max_size=3).map("/".join))
        ),
        "difficulty": draw(st.sampled_from([None, 1, 2, 3])),
        "tags": tuple(draw(st.lists(plain_value(alphabet=TAG_SPECIALS), max_size=3, unique=True))),
        "source": draw(
            st.one_of(st.none(), plain_value(alphabet=".,:/()%|[]\\", starts=TRICKY_STARTS))
        ),
    }
    if kind == "true_false":
        return QuestionRecord(kind, stem, options=true_false_options(draw(st.booleans())), **common)
    if kind == "fill_blank":
        blank_count = draw(st.integers(1, 3)) if multi_blank else 1
        answer = plain_value(alphabet="|%=~#{}:\\", starts=TRICKY_STARTS)
        blanks = []
        for _ in range(blank_count):
            first = draw(answer)
            more = draw(st.lists(st.tuples(answer, st.sampled_from([1.0, 0.5, 0.25, 0.0]))))
            blanks.append((Answer(first), *(Answer(text, f) for text, f in more[:2])))
        if blank_count > 1 or draw(st.booleans()):
            parts = [draw(canonical_text(max_words=3)) for _ in range(blank_count)]
            stem = f"Câu {number}. " + " ".join(f"{part} {BLANK}" for part in parts)
            if draw(st.booleans()):
                stem += " " + draw(canonical_text(max_words=2))
        match = draw(st.sampled_from(["exact", "ignore_case", "ignore_accents"]))
        return QuestionRecord(kind, stem, blanks=tuple(blanks), match=match, **common)
    texts = draw(
        st.lists(
            canonical_text(max_words=3),
            min_size=2,
            max_size=8,
            unique_by=lambda text: html_to_plain(text).casefold(),
        )
    )
    if kind == "single_choice":
        right = draw(st.integers(0, len(texts) - 1))
        others = st.sampled_from([0.0, 0.0, 0.5, -0.25, -1.0, 0.3333333])
        fractions = [1.0 if i == right else draw(others) for i in range(len(texts))]
    else:
        weights = draw(st.lists(st.integers(0, 4), min_size=len(texts), max_size=len(texts)))
        if not any(weights):
            weights[0] = 1
        total = sum(weights)
        negatives = st.sampled_from([0.0, -0.5, -1.0, -0.3333333])
        fractions = [w / total if w else draw(negatives) for w in weights]
    options = tuple(
        Option(text, fraction, draw(st.booleans()))
        for text, fraction in zip(texts, fractions, strict=True)
    )
    return QuestionRecord(kind, stem, options=options, **common)


def is_canonical(record: QuestionRecord) -> bool:
    """Return True for a record in the stored form every parser produces."""
    texts = [record.stem, *(option.text for option in record.options)]
    return (
        not validate_record(record)
        and all(sanitize_html(text) == text for text in texts)
        and normalise_category(record.category) == record.category
    )


@st.composite
def record_lists(draw, multi_blank: bool) -> list[QuestionRecord]:
    count = draw(st.integers(1, 4))
    made = [draw(records(number, multi_blank)) for number in range(1, count + 1)]
    return [record for record in made if is_canonical(record)]


# xlsx and QTI packages cost ~10 ms each to write and read, hence fewer examples.
EXAMPLES_PER_FORMAT = {"xlsx": 50, "csv": 100, "gift": 100, "moodle-xml": 100, "qti": 60}


def assert_round_trip(items: list[QuestionRecord], fmt: str) -> None:
    data = export(items, fmt)
    result = parse_checked(data, fmt)
    assert [error.to_json() for error in result.errors] == []
    assert list(result.records) == items
    assert [r.to_json() for r in result.records] == [r.to_json() for r in items]


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_then_parse_gives_back_the_records(fmt):
    multi_blank = fmt not in ("gift", "moodle-xml")  # these two cannot hold several blanks

    @fuzz_settings(EXAMPLES_PER_FORMAT.get(fmt, 100))
    @given(items=record_lists(multi_blank))
    def round_trip(items):
        assume(items)
        assert_round_trip(items, fmt)

    round_trip()


# Losses this round trip found, fixed since; each keeps the example that showed it.

EXPLICIT_ONLY = settings(phases=[Phase.explicit], deadline=None, database=None)


def choice(stem: str, *texts: str, **fields) -> QuestionRecord:
    """Return a single choice whose first option is correct."""
    options = tuple(Option(text, 1.0 if i == 0 else 0.0) for i, text in enumerate(texts))
    return QuestionRecord("single_choice", stem, options=options, **fields)


@EXPLICIT_ONLY
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("A"), Answer("B", 0.0))))
@example(
    item=QuestionRecord(
        "fill_blank",
        "Câu 1. ____ và ____",
        blanks=((Answer("A"), Answer("a", 0.0)), (Answer("B"), Answer("C", 0.0))),
        match="exact",
    )
)
@given(item=records(1, multi_blank=True))
def test_qti_keeps_a_zero_credit_answer(item):
    # The importer once kept only mapped values > 0 and dropped these answers.
    assert_round_trip([item], "qti")


@EXPLICIT_ONLY
@example(item=choice("Câu 1. x", "A", "'=B"))
@example(item=choice("Câu 1. x", "A", "''B", tags=("'x",), source="'=1"))
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("'=b"),)))
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("'"), Answer("''", 0.5))))
@given(item=records(1, multi_blank=True))
def test_csv_keeps_a_text_starting_with_an_apostrophe(item):
    # The formula guard once added an apostrophe before = + - @ only but removed one before
    # them on import, so "'=B" came back as "=B".
    assert_round_trip([item], "csv")


@fuzz_settings(300)
@given(value=st.text(alphabet=st.sampled_from("'=+-@\t\r a"), max_size=6) | st.text(max_size=8))
def test_the_csv_formula_guard_is_undone_exactly(value):
    guarded = _guard(value)
    assert _unguard(guarded) == value
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))  # Excel runs none of them


@EXPLICIT_ONLY
@example(item=choice("Câu 1. x", "A", "B", tags=("luật, nghị định",)), fmt="xlsx")
@example(item=choice("Câu 1. x", "A", "B", tags=("a;b",)), fmt="csv")
@example(item=choice("Câu 1. x", "A", "B", tags=("C\\C++", "x\\", ",", "\\;")), fmt="csv")
@given(item=records(1, multi_blank=True), fmt=st.sampled_from(["xlsx", "csv"]))
def test_spreadsheets_keep_a_tag_holding_a_comma(item, fmt):
    # Tags were once joined with ", " and split on , and ; without escaping.
    assert_round_trip([item], fmt)


@EXPLICIT_ONLY
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("[A"),)))
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("A"), Answer("[html]B"))))
@given(item=records(1, multi_blank=False))
def test_gift_keeps_an_answer_starting_with_a_bracket(item):
    # The exporter once wrote "[html]" before such an answer, which GIFT reads as plain text.
    assert_round_trip([item], "gift")


# Scoring compares a response with each accepted answer under the blank's matching and keeps
# the best credit. Validation refuses a blank that writes the same text twice (a QTI mapping,
# keyed by the text, cannot hold it) or lists two texts the matching counts as one answer
# with different credits (the lower credit is never earned); equivalent spellings with the
# same credit are allowed and come back from every format.

REPEAT_MESSAGES = {msg.ANSWER_REPEATED, msg.ANSWER_EQUIVALENT_CREDIT}
STROKE = str.maketrans("đĐ", "dD")


@st.composite
def blanks_that_may_repeat(draw) -> QuestionRecord:
    """Return a one-blank question, often with an answer repeated in another form."""
    match = draw(st.sampled_from(MATCH_MODES))
    texts = draw(st.lists(plain_value(), min_size=1, max_size=3))
    if draw(st.booleans()):
        original = draw(st.sampled_from(texts))
        variant = draw(
            st.sampled_from(
                [
                    original,
                    original.upper(),
                    original.lower(),
                    original.replace(" ", "  "),
                    unicodedata.normalize("NFD", original),
                    "".join(
                        ch
                        for ch in unicodedata.normalize("NFD", original.translate(STROKE))
                        if not unicodedata.combining(ch)
                    ),
                ]
            )
        )
        texts.insert(draw(st.integers(1, len(texts))), variant)
    fractions = [1.0] + [draw(st.sampled_from([1.0, 0.5, 0.0])) for _ in texts[1:]]
    answers = tuple(Answer(text, f) for text, f in zip(texts, fractions, strict=True))
    return QuestionRecord("fill_blank", "Câu 1. x", answers=answers, match=match)


def scoring_objects_to(record: QuestionRecord) -> bool:
    """Return True if a text is written twice or an answer typed as written misses its credit."""
    texts = [unicodedata.normalize("NFC", answer.text) for answer in record.answers]
    key = BlankKey(tuple(AcceptedAnswer(a.text, a.fraction) for a in record.answers), record.match)
    unreachable = any(score_blank(key, a.text) != a.fraction for a in record.answers)
    return len(set(texts)) != len(texts) or unreachable


@fuzz_settings(300)
@given(item=blanks_that_may_repeat())
def test_a_blank_is_refused_exactly_when_scoring_would_repeat_or_miss_a_credit(item):
    refused = [p for p in validate_record(item) if p.message_id in REPEAT_MESSAGES]
    assert bool(refused) == scoring_objects_to(item)
    for problem in refused:
        assert problem.field == "answers" and problem.params["blank"] == 1


@fuzz_settings(40)
@given(item=blanks_that_may_repeat())
def test_equivalent_spellings_with_the_same_credit_come_back_from_every_format(item):
    assume(not validate_record(item))
    item = dataclasses.replace(
        item,
        answers=tuple(
            Answer(unicodedata.normalize("NFC", a.text), a.fraction) for a in item.answers
        ),
    )
    for fmt in EXPORT_FORMATS:
        assert_round_trip([item], fmt)


@EXPLICIT_ONLY
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("A"), Answer("A", 0.0))))
@example(item=QuestionRecord("fill_blank", "Câu 1. x", answers=(Answer("A"), Answer("A"))))
@example(
    item=QuestionRecord(
        "fill_blank", "Câu 1. x", answers=(Answer("Hà Nội"), Answer("hà  nội", 0.5))
    )
)
@example(
    item=QuestionRecord(
        "fill_blank",
        "Câu 1. x",
        answers=(Answer("Hà Nội", 0.5), Answer("Ha Noi")),
        match="ignore_accents",
    )
)
@given(item=blanks_that_may_repeat())
def test_every_exporter_refuses_a_blank_that_repeats_an_answer(item):
    # QTI once wrote both map entries and read back only the last (0%): no correct answer.
    for fmt in EXPORT_FORMATS:
        with pytest.raises(ExportError) as caught:
            export([item], fmt)
        assert {(e.line, e.field, e.message_id) for e in caught.value.errors} <= {
            (1, "answers", message) for message in REPEAT_MESSAGES
        }


# ---------------------------------------------------------------------------------------
# 3. Damaged exports: mostly-valid XML, workbooks and QTI packages.


@st.composite
def damaged_exports(draw, fmt: str) -> bytes:
    """Return an export whose XML (inside the archive for xlsx and qti) was edited."""
    items = draw(record_lists(multi_blank=fmt != "moodle-xml"))
    assume(items)
    data = export(items, fmt)
    if fmt == "moodle-xml":
        return damage(draw, data.decode("utf-8")).encode("utf-8", errors="surrogatepass")
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    target = draw(st.sampled_from([name for name in names if name.endswith(".xml")]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            content = source.read(name)
            if name == target:
                text = damage(draw, content.decode("utf-8"))
                content = text.encode("utf-8", errors="surrogatepass")
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["moodle-xml", "qti", "xlsx"])
@fuzz_settings(50)
@given(data=st.data())
def test_damaged_exports_give_valid_records_or_located_errors(fmt, data):
    parse_checked(data.draw(damaged_exports(fmt)), fmt)
