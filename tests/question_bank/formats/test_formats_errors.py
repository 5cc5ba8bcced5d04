"""Errors: rendering through gettext, JSON shape, message catalogue hygiene."""

import re

from question_bank.formats import N_, ImportErrorRecord
from question_bank.formats import messages as msg


def _message_ids() -> list[str]:
    return [value for name, value in vars(msg).items() if name.isupper() and isinstance(value, str)]


def test_render_uses_gettext_and_fills_parameters():
    error = ImportErrorRecord("a.csv", 4, "Đáp án", msg.LETTER_NOT_OPTION, {"letter": "E"})
    catalogue = {msg.LETTER_NOT_OPTION: "%(letter)s không phải là phương án đã điền."}
    assert error.render(lambda text: catalogue.get(text, text)) == (
        "E không phải là phương án đã điền."
    )
    assert error.render() == "E is not one of the filled options."
    assert error.row == 4


def test_render_falls_back_to_english_on_a_broken_translation():
    error = ImportErrorRecord("a.csv", 4, "correct", msg.LETTER_NOT_OPTION, {"letter": "E"})
    assert error.render(lambda text: "%(wrong)s") == "E is not one of the filled options."


def test_to_json_shape():
    error = ImportErrorRecord("q.gift", 7, "answers", msg.GIFT_NO_ANSWERS)
    assert error.to_json() == {
        "file": "q.gift",
        "line": 7,
        "field": "answers",
        "message": "The answer block has no answers.",
    }


def test_marker_returns_its_argument():
    assert N_("Hello %(name)s") == "Hello %(name)s"


def test_every_message_renders_with_its_placeholders():
    for message_id in _message_ids():
        names = re.findall(r"%\((\w+)\)s", message_id)
        rendered = message_id % dict.fromkeys(names, "X")
        assert "%(" not in rendered
        assert message_id[:1].isupper() or message_id[:1] in "“$%"


def test_message_ids_are_unique():
    ids = _message_ids()
    assert len(ids) == len(set(ids))
