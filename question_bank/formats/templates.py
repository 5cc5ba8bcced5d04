"""The downloadable spreadsheet templates and their documentation."""

from __future__ import annotations

from .csv_format import write_csv
from .records import Answer, Option, QuestionRecord, true_false_options
from .tabular_export import record_row
from .xlsx import write_workbook

TEMPLATE_DOC = """\
# Question spreadsheet template (xlsx or csv)

Row 1 holds the column names; every following row is one question (empty rows
are skipped). Column names may be written in English or Vietnamese, in any
case, with or without accents ("Đáp án", "dap an" and "DAP_AN" are the same).
Columns may come in any order; unknown columns are errors, except STT, ID and
Ghi chú / Notes, which are ignored. Errors name the spreadsheet row (the header
is row 1) and the column as written.

Columns (English name / Vietnamese name: content):

- type / loai: single_choice, multiple_response, true_false or fill_blank;
  also "Một đáp án" (mot_dap_an, trắc nghiệm một đáp án), "Nhiều đáp án"
  (nhieu_dap_an), "Đúng/Sai" (dung_sai), "Điền khuyết" (dien_khuyet).
  Empty: guessed from the row.
- stem / cau_hoi, noi_dung: the question text (required).
- option_a … option_h / phuong_an_a … phuong_an_h: up to 8 options, filled
  from A without gaps.
- correct / dap_an: choice questions: letters, e.g. "B" or "A, C".
  True/false: Đúng/Sai or True/False (or A/B). Fill in the blank: accepted
  answers separated by "|", e.g. "Hà Nội|Ha Noi".
- weights / trong_so (optional): credit per option in option order,
  separated by ";": fractions (0.5, 0,5, 1/3) or percentages (50%); negative
  values are penalties. Without it a single-choice question gives 100% to its
  correct option and a multiple-response question shares 100% equally among
  its correct options.
- pinned / co_dinh: letters of options that shuffling never moves, e.g. "D"
  for "All of the above".
- category / chu_de: topic path with "/" between levels, e.g. "Ngữ pháp/Thì".
- difficulty / do_kho: 1, 2, 3 or Dễ / Trung bình / Khó (easy / medium /
  hard), with or without accents.
- tags / the: tags separated by commas (or semicolons); write "\\," or "\\;"
  for a comma or semicolon inside a tag, e.g. "Luật\\, nghị định".
- match / kieu_so_khop: fill in the blank only: ignore_case (default),
  exact, or ignore_accents.
- source / nguon: where the question comes from.
- media / tep_dinh_kem: extra media file names separated by "|" (images
  shown in the text are found automatically).

Fill in the blank: mark the blank in the question with "____" (four
underscores). Several blanks: one "____" per blank in the text and one group of
answers per blank in `correct`, groups separated by "||", e.g. "1945||2/9". An
answer worth partial credit starts with its percentage: "%50%Sài Gòn". Write
"\\|", "\\%" or "\\\\" for a literal "|", "%" or backslash.

Text may use simple HTML (b, i, u, em, strong, sub, sup, br, p, lists, tables,
code, img with src and alt); anything else, including scripts, is removed. Text
without HTML tags is taken literally (a "<" stays a "<"); line breaks inside a
cell are kept.

CSV files are UTF-8 (with or without BOM) or UTF-16 with BOM, separated by
commas, semicolons or tabs. Files in legacy encodings (TCVN3, VNI,
Windows-1258) are refused: save them as "CSV UTF-8" first.
"""

_NOTES_VI = [
    "Hướng dẫn điền mẫu câu hỏi",
    "Mỗi dòng là một câu hỏi; dòng 1 là tên cột (tiếng Việt hoặc tiếng Anh, "
    "có dấu hay không dấu đều được).",
    "Loại: Một đáp án, Nhiều đáp án, Đúng/Sai, Điền khuyết.",
    "Phương án A…H: điền liên tục từ A, không bỏ trống ở giữa.",
    "Đáp án: chữ cái của phương án đúng, ví dụ B hoặc A, C; câu Đúng/Sai ghi Đúng hoặc Sai; "
    "câu điền khuyết ghi các đáp án chấp nhận, ngăn cách bằng dấu |.",
    "Câu điền khuyết nhiều chỗ trống: mỗi chỗ trống ghi ____ (4 dấu gạch dưới) "
    "trong câu hỏi, các nhóm đáp án ngăn cách bằng ||.",
    "Trọng số (không bắt buộc): điểm từng phương án theo thứ tự, ngăn cách bằng "
    "dấu ;, ví dụ 50%;0%;50%;-100%.",
    'Cố định: chữ cái của phương án không được đảo vị trí, ví dụ D ("Tất cả các phương án trên").',
    "Chủ đề: các cấp ngăn cách bằng /, ví dụ Pháp luật/Cán bộ, công chức.",
    "Độ khó: Dễ, Trung bình, Khó (hoặc 1, 2, 3).",
    "Thẻ: ngăn cách bằng dấu phẩy; dấu phẩy hoặc dấu chấm phẩy nằm trong một thẻ ghi là \\, "
    "hoặc \\; (ví dụ Luật\\, nghị định).",
    "Kiểu so khớp (điền khuyết): ignore_case (mặc định), exact, ignore_accents.",
    "Tệp CSV phải lưu dạng UTF-8 (CSV UTF-8); tệp mã TCVN3, VNI, Windows-1258 sẽ bị từ chối.",
]


def _examples(lang: str) -> list[QuestionRecord]:
    if lang == "vi":
        return [
            QuestionRecord(
                type="single_choice",
                stem="Thủ đô của nước Cộng hòa xã hội chủ nghĩa Việt Nam là thành phố nào?",
                options=(
                    Option("Hà Nội", 1.0),
                    Option("Huế"),
                    Option("Đà Nẵng"),
                    Option("Thành phố Hồ Chí Minh"),
                ),
                category="Kiến thức chung/Địa lý",
                difficulty=1,
                tags=("địa lý",),
                source="Ví dụ",
            ),
            QuestionRecord(
                type="multiple_response",
                stem="Những cơ quan nào sau đây là cơ quan hành chính nhà nước?",
                options=(
                    Option("Chính phủ", 0.5),
                    Option("Tòa án nhân dân tối cao"),
                    Option("Ủy ban nhân dân tỉnh", 0.5),
                    Option("Tất cả các phương án trên", pinned=True),
                ),
                category="Quản lý nhà nước",
                difficulty=2,
            ),
            QuestionRecord(
                type="true_false",
                stem="Luật Cán bộ, công chức được Quốc hội thông qua năm 2008.",
                options=true_false_options(True),
                category="Pháp luật/Cán bộ, công chức",
                difficulty=1,
            ),
            QuestionRecord(
                type="fill_blank",
                stem="Hiến pháp hiện hành của Việt Nam được Quốc hội thông qua năm ____.",
                answers=(Answer("2013"),),
                category="Pháp luật/Hiến pháp",
                difficulty=2,
            ),
        ]
    return [
        QuestionRecord(
            type="single_choice",
            stem="What is the capital of Viet Nam?",
            options=(
                Option("Ha Noi", 1.0),
                Option("Hue"),
                Option("Da Nang"),
                Option("Ho Chi Minh City"),
            ),
            category="General knowledge/Geography",
            difficulty=1,
            tags=("geography",),
            source="Example",
        ),
        QuestionRecord(
            type="multiple_response",
            stem="Which of these numbers are prime?",
            options=(
                Option("2", 0.5),
                Option("4"),
                Option("5", 0.5),
                Option("None of the above", pinned=True),
            ),
            category="Mathematics",
            difficulty=2,
        ),
        QuestionRecord(
            type="true_false",
            stem="Water boils at 100 °C at sea level.",
            options=true_false_options(True),
            difficulty=1,
        ),
        QuestionRecord(
            type="fill_blank",
            stem="She ____ to work every day. (go)",
            answers=(Answer("goes"),),
            category="English/Grammar",
            difficulty=2,
        ),
    ]


def template_records(lang: str = "vi") -> list[QuestionRecord]:
    """Return the example questions shown in the template of a language."""
    return _examples(_check(lang))


def template_xlsx(lang: str = "vi") -> bytes:
    """Return the Excel template: header, example rows and an instructions sheet."""
    lang = _check(lang)
    notes = _NOTES_VI if lang == "vi" else TEMPLATE_DOC.splitlines()
    title = "Hướng dẫn" if lang == "vi" else "Instructions"
    rows = [record_row(record, lang) for record in _examples(lang)]
    return write_workbook(rows, lang, {title: notes})


def template_csv(lang: str = "vi") -> bytes:
    """Return the CSV template: header and example rows."""
    lang = _check(lang)
    return write_csv([record_row(record, lang) for record in _examples(lang)], lang)


def _check(lang: str) -> str:
    if lang not in ("vi", "en"):
        raise ValueError(f"unknown template language {lang!r}; use 'vi' or 'en'")
    return lang
