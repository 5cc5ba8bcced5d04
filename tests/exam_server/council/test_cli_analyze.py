"""`examctl analyze` through the CLI runner: statistics out, translated errors for bad files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from exam_server.cli import main

# q1 is right 4 times of 5, q2 twice, q3 three times.
GOOD = "candidate,q1,q2,q3\nA,1,0,1\nB,1,1,1\nC,1,0,1\nD,1,1,0\nE,0,0,0\n"


def run(app, tmp_path, text, *args):
    path = tmp_path / "responses.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(
        main,
        ["analyze", str(path), *args],
        obj=ScriptInfo(create_app=lambda: app),
        catch_exceptions=False,
    )


def test_json_output_has_the_documented_fields(app, tmp_path):
    result = run(app, tmp_path, GOOD, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [item["item"] for item in report["items"]] == ["q1", "q2", "q3"]
    assert report["items"][0]["facility"] == pytest.approx(0.8)
    assert set(report["test"]) >= {"n", "mean", "cronbach_alpha", "kr20", "standard_error"}
    assert report["test"]["n"] == 5


def test_rasch_adds_difficulties_in_text_and_json(app, tmp_path):
    text = run(app, tmp_path, GOOD, "--rasch")
    assert text.exit_code == 0 and "rasch_b" in text.output and "rasch_loglik=" in text.output
    report = json.loads(run(app, tmp_path, GOOD, "--rasch", "--json").output)
    assert all("rasch_difficulty" in item for item in report["items"])
    b = {item["item"]: item["rasch_difficulty"] for item in report["items"]}
    assert b["q1"] < b["q3"] < b["q2"]  # the more often right, the easier


@pytest.mark.parametrize(
    ("text", "vietnamese", "english"),
    [
        (
            "q1,q2\n1,0\n1,x\n0,1\n",
            "Dòng 3, cột 2 (câu “q2”): “x” không phải là số.",
            "Line 3, column 2 (item “q2”): “x” is not a number.",
        ),
        (
            "q1,q2\n1,0\n1\n",
            "Dòng 3 có 1 ô nhưng dòng tiêu đề có 2 ô.",
            "Line 3 has 1 cells but the header has 2.",
        ),
        (
            "q1,q2\n1,0\n",
            "Tệp có 1 dòng thí sinh; cần ít nhất 2 dòng.",
            "The file has 1 candidate row(s); at least 2 are needed.",
        ),
        ("", "Tệp trống.", "The file is empty."),
        (
            "q1,q1\n1,0\n0,1\n",
            "Dòng 1, cột 2: câu “q1” đã có ở cột 1.",
            "Line 1, column 2: the item “q1” is already in column 1.",
        ),
    ],
)
def test_malformed_files_get_a_translated_message_and_exit_1(
    app, tmp_path, text, vietnamese, english
):
    result = run(app, tmp_path, text)
    assert result.exit_code == 1
    assert vietnamese in result.output
    result = run(app, tmp_path, text, "--lang", "en")
    assert result.exit_code == 1
    assert english in result.output


def test_rasch_refuses_partial_credit_with_a_message(app, tmp_path):
    result = run(app, tmp_path, "q1,q2\n1,0.5\n0,1\n1,1\n", "--rasch", "--lang", "en")
    assert result.exit_code == 1
    assert "Rasch model needs right-or-wrong scores" in result.output


def test_constant_columns_do_not_crash(app, tmp_path):
    result = run(app, tmp_path, "q1,q2,q3\n1,1,0\n1,0,0\n1,1,1\n", "--json")
    assert result.exit_code == 0
    first = json.loads(result.output)["items"][0]
    assert first["facility"] == 1.0 and first["discrimination_index"] is None
