"""The spreadsheet template's columns, their English and Vietnamese headers."""

from __future__ import annotations

from .metadata import fold
from .records import (
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    OPTION_LETTERS,
    SINGLE_CHOICE,
    TRUE_FALSE,
)

OPTION_COLUMNS = tuple(f"option_{letter.lower()}" for letter in OPTION_LETTERS)
COLUMNS = (
    "type",
    "stem",
    *OPTION_COLUMNS,
    "correct",
    "weights",
    "pinned",
    "category",
    "difficulty",
    "tags",
    "match",
    "source",
    "media",
)
REQUIRED = ("stem",)

# Headers written by templates and exports, per language.
HEADERS = {
    "en": {column: column for column in COLUMNS},
    "vi": {
        "type": "Loại",
        "stem": "Câu hỏi",
        **{f"option_{x.lower()}": f"Phương án {x}" for x in OPTION_LETTERS},
        "correct": "Đáp án",
        "weights": "Trọng số",
        "pinned": "Cố định",
        "category": "Chủ đề",
        "difficulty": "Độ khó",
        "tags": "Thẻ",
        "match": "Kiểu so khớp",
        "source": "Nguồn",
        "media": "Tệp đính kèm",
    },
}

_ALIASES = {
    "type": ["type", "question_type", "qtype", "loai", "loai_cau_hoi", "kieu_cau_hoi"],
    "stem": ["stem", "question", "question_text", "text", "cau_hoi", "noi_dung",
             "noi_dung_cau_hoi", "de_bai"],
    "correct": ["correct", "correct_answer", "answer", "answers", "key", "dap_an",
                "dap_an_dung"],
    "weights": ["weights", "weight", "fractions", "points", "trong_so", "diem"],
    "pinned": ["pinned", "fixed", "co_dinh", "ghim"],
    "category": ["category", "topic", "chu_de", "danh_muc"],
    "difficulty": ["difficulty", "level", "do_kho", "muc_do"],
    "tags": ["tags", "tag", "the", "nhan"],
    "match": ["match", "matching", "kieu_so_khop", "so_khop"],
    "source": ["source", "nguon"],
    "media": ["media", "files", "tep", "tep_dinh_kem"],
}  # fmt: skip
for _letter in OPTION_LETTERS:
    _x = _letter.lower()
    _ALIASES[f"option_{_x}"] = [
        f"option_{_x}", _x, f"phuong_an_{_x}", f"lua_chon_{_x}", f"dap_an_{_x}", f"choice_{_x}",
    ]  # fmt: skip

# Columns people keep beside the data; accepted and ignored.
IGNORED = frozenset({"stt", "no", "id", "ghi_chu", "note", "notes", "#"})

HEADER_LOOKUP = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}

_TYPE_ALIASES = {
    SINGLE_CHOICE: ["single_choice", "single", "single_answer", "multichoice",
                    "multiple_choice", "mcq", "choice", "mot_dap_an", "trac_nghiem",
                    "trac_nghiem_mot_dap_an", "mot_lua_chon", "chon_mot"],
    MULTIPLE_RESPONSE: ["multiple_response", "multiple_answer", "multiple_answers", "multi",
                        "multiple", "checkbox", "nhieu_dap_an",
                        "trac_nghiem_nhieu_dap_an", "nhieu_lua_chon", "chon_nhieu"],
    TRUE_FALSE: ["true_false", "truefalse", "tf", "dung_sai", "dung_hay_sai"],
    FILL_BLANK: ["fill_blank", "fill_in_the_blank", "fill_in_blank", "short_answer",
                 "shortanswer", "dien_khuyet", "dien_tu", "dien_vao_cho_trong",
                 "tra_loi_ngan"],
}  # fmt: skip
TYPE_LOOKUP = {alias: kind for kind, aliases in _TYPE_ALIASES.items() for alias in aliases}
# Types people may write that exist elsewhere but are not supported here.
UNSUPPORTED_TYPES = frozenset(
    {"essay", "tu_luan", "matching", "match", "ghep_noi", "ghep_cap", "numerical",
     "numeric", "cloze", "ordering", "sap_xep", "description", "mo_ta"}
)  # fmt: skip

TYPE_LABELS = {
    "en": {kind: kind for kind in _TYPE_ALIASES},
    "vi": {
        SINGLE_CHOICE: "Một đáp án",
        MULTIPLE_RESPONSE: "Nhiều đáp án",
        TRUE_FALSE: "Đúng/Sai",
        FILL_BLANK: "Điền khuyết",
    },
}
DIFFICULTY_LABELS = {
    "en": {1: "easy", 2: "medium", 3: "hard"},
    "vi": {1: "Dễ", 2: "Trung bình", 3: "Khó"},
}
# Option titles that make a two-option QTI choice a true/false question.
TRUE_FALSE_TITLES = {"true": True, "dung": True, "false": False, "sai": False}
TRUE_WORDS = frozenset({"dung", "d", "true", "t", "yes", "y", "co"})
FALSE_WORDS = frozenset({"sai", "s", "false", "f", "no", "n", "khong"})


def column_for(header: object) -> str | None:
    """Return the column a header names, "" if it is an ignored column, else None."""
    key = fold(header)
    if key in IGNORED:
        return ""
    return HEADER_LOOKUP.get(key)


def type_for(value: object) -> str | None:
    """Return the question type a cell names, or None if unknown."""
    return TYPE_LOOKUP.get(fold(value))
