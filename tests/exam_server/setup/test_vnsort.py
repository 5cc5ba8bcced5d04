"""Vietnamese name order: given name, then family and middle names, letters then tones."""

from __future__ import annotations

import unicodedata

from exam_server.setup.vnsort import candidate_key, name_key, sort_candidates, word_key


def ordered(words):
    return sorted(words, key=word_key)


def test_letters_follow_the_vietnamese_alphabet():
    assert ordered(["đ", "e", "d", "â", "ă", "a", "b"]) == ["a", "ă", "â", "b", "d", "đ", "e"]
    assert ordered(["ơ", "o", "ô", "p"]) == ["o", "ô", "ơ", "p"]
    assert ordered(["ư", "u", "v", "y", "x"]) == ["u", "ư", "v", "x", "y"]
    assert ordered(["ê", "e", "g"]) == ["e", "ê", "g"]


def test_tones_come_after_letters_in_dictionary_order():
    assert ordered(["mạ", "má", "mã", "mả", "mà", "ma", "mác"]) == [
        "ma",
        "mà",
        "mả",
        "mã",
        "má",
        "mạ",
        "mác",
    ]
    assert ordered(["Anh", "An", "Ánh"]) == ["An", "Anh", "Ánh"]
    assert ordered(["Ánh", "Ăn"]) == ["Ánh", "Ăn"]  # the letter ă outranks any tone on a


def test_case_and_unicode_form_do_not_matter():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert name_key(decomposed) == name_key("NGUYỄN THỊ ÁNH".title())
    assert word_key("Đức") == word_key("đức")


def test_names_sort_by_given_name_then_family_and_middle_then_sbd():
    people = [
        ("Trần Văn Bình", "TS005"),
        ("Nguyễn Thị An", "TS004"),
        ("Lê An", "TS003"),
        ("Đỗ Đức Anh", "TS002"),
        ("Bùi Thị Ánh", "TS001"),
        ("Lê An", "TS000"),
        ("Phạm Văn Đức", "TS006"),
        ("Hoàng Dũng", "TS007"),
    ]
    result = sort_candidates(people, name=lambda p: p[0], sbd=lambda p: p[1])
    assert result == [
        ("Lê An", "TS000"),
        ("Lê An", "TS003"),
        ("Nguyễn Thị An", "TS004"),
        ("Đỗ Đức Anh", "TS002"),
        ("Bùi Thị Ánh", "TS001"),
        ("Trần Văn Bình", "TS005"),
        ("Hoàng Dũng", "TS007"),
        ("Phạm Văn Đức", "TS006"),
    ]


def test_the_key_is_total_on_odd_input():
    assert candidate_key("", "A") < candidate_key("An", "A")
    assert sorted(["Smith-Jones John", "Lê Z1"], key=name_key)
