"""Small PNG bar charts drawn with Pillow (already needed by fpdf2), in the shipped font.

Enough for the form-equivalence report: a histogram with an optional band and marker line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from exam_server.setup.pdfs import FONT_DIR

WIDTH, HEIGHT = 720, 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 20, 40, 64
BAR = (11, 92, 173)
BAND = (216, 240, 221)
MARK = (179, 38, 30)
INK = (27, 31, 36)
GRID = (201, 209, 219)


@dataclass(frozen=True)
class Histogram:
    edges: list[float]  # len(counts) + 1 bin edges
    counts: list[int]


def histogram(values: Sequence[float], low: float, high: float, bins: int) -> Histogram:
    """Count values into `bins` equal bins over [low, high] (the last bin includes `high`)."""
    if high <= low:
        high = low + 1.0
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        index = int((value - low) / width)
        counts[min(max(index, 0), bins - 1)] += 1
    return Histogram([low + i * width for i in range(bins + 1)], counts)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def histogram_png(
    data: Histogram,
    *,
    title: str,
    x_label: str,
    y_label: str,
    band: tuple[float, float] | None = None,
    mark: float | None = None,
) -> bytes:
    """Draw the histogram; `band` shades an x range (the tolerance), `mark` a line (the target)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    low, high = data.edges[0], data.edges[-1]
    tallest = max(data.counts or [0]) or 1
    tallest = -(-tallest // 4) * 4  # whole-number grid lines

    def x_at(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    def y_at(count: float) -> float:
        return bottom - count / tallest * (bottom - top)

    if band is not None:
        draw.rectangle(
            [max(left, x_at(band[0])), top, min(right, x_at(band[1])), bottom], fill=BAND
        )
    for step in range(5):
        count = tallest * step / 4
        y = y_at(count)
        draw.line([left, y, right, y], fill=GRID)
        draw.text((left - 6, y), _fmt(count), fill=INK, font=_font(11), anchor="rm")
    for index, count in enumerate(data.counts):
        x0, x1 = x_at(data.edges[index]) + 1, x_at(data.edges[index + 1]) - 1
        if count:
            draw.rectangle([x0, y_at(count), x1, bottom], fill=BAR)
    for edge in data.edges[:: max(1, len(data.edges) // 8)]:
        draw.text((x_at(edge), bottom + 6), _fmt(edge), fill=INK, font=_font(11), anchor="mt")
    if mark is not None and low <= mark <= high:
        draw.line([x_at(mark), top, x_at(mark), bottom], fill=MARK, width=2)
    draw.line([left, bottom, right, bottom], fill=INK)
    draw.line([left, top, left, bottom], fill=INK)
    draw.text((WIDTH / 2, 12), title, fill=INK, font=_font(14, bold=True), anchor="mt")
    draw.text((WIDTH / 2, HEIGHT - 22), x_label, fill=INK, font=_font(12), anchor="mm")
    label = Image.new("RGBA", (bottom - top, 18), (255, 255, 255, 0))
    ImageDraw.Draw(label).text(
        ((bottom - top) / 2, 9), y_label, fill=INK, font=_font(12), anchor="mm"
    )
    rotated = label.rotate(90, expand=True)
    image.paste(rotated, (6, top), rotated)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
