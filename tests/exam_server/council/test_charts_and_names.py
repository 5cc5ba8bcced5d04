"""Charts draw whatever the data, and name order follows the Vietnamese alphabet."""

from __future__ import annotations

from exam_server.council.charts import histogram_png, item_map_png
from exam_server.setup.vnsort import candidate_key
from scoring import histogram


def test_a_histogram_with_no_score_still_draws():
    png = histogram_png(histogram([]), title="Phần 1", xlabel="Điểm", ylabel="Thí sinh")
    assert png.startswith(b"\x89PNG")


def test_a_histogram_with_a_pass_mark_and_an_item_map():
    png = histogram_png(
        histogram([10, 55, 55, 100]),
        title="Phần 1",
        xlabel="Điểm",
        ylabel="Thí sinh",
        pass_mark=50,
        pass_label="Điểm đạt",
    )
    assert png.startswith(b"\x89PNG")
    assert item_map_png(
        [("#1", 0.5, -0.3, True), ("#2", 1.0, 1.0, False)], title="t", xlabel="x", ylabel="y"
    ).startswith(b"\x89PNG")
    assert item_map_png([], title="t", xlabel="x", ylabel="y").startswith(b"\x89PNG")


def test_vietnamese_name_order_is_given_name_first_then_letters_then_tones():
    names = ["Nguyễn Văn Bình", "Trần Thị An", "Lê Ánh", "Phạm Đức Anh", "Đỗ Đạt", "Vũ Dũng"]
    ordered = sorted(names, key=lambda n: candidate_key(n, ""))
    assert ordered == [
        "Trần Thị An",
        "Phạm Đức Anh",
        "Lê Ánh",
        "Nguyễn Văn Bình",
        "Vũ Dũng",
        "Đỗ Đạt",
    ]
