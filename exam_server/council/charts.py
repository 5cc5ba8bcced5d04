"""PNG charts for the council pages and the PDF: score histograms and item maps.

Built on matplotlib's object API with the Agg canvas (no pyplot global state, safe in a
threaded worker, no display needed). Its bundled DejaVu Sans has Vietnamese glyphs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure

from scoring.distribution import Bin

BAR_COLOUR = "#2f6690"
PASS_COLOUR = "#b23a48"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def histogram_png(
    bins: Sequence[Bin],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    pass_mark: float | None = None,
    pass_label: str = "",
) -> bytes:
    """Draw the bins as bars with their counts on top, and the pass mark as a line."""
    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.add_subplot()
    lefts = [b.lower for b in bins]
    widths = [b.upper - b.lower for b in bins]
    counts = [b.count for b in bins]
    bars = axes.bar(lefts, counts, width=widths, align="edge", color=BAR_COLOUR, edgecolor="white")
    axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize=8)
    if pass_mark is not None:
        axes.axvline(pass_mark, color=PASS_COLOUR, linestyle="--", linewidth=1.5, label=pass_label)
        if pass_label:
            axes.legend(loc="upper left", fontsize=8, frameon=False)
    axes.set_xticks([bins[0].lower, *[b.upper for b in bins]] if bins else [])
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def item_map_png(
    points: Sequence[tuple[str, float, float, bool]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
) -> bytes:
    """Plot items by facility (x) and discrimination (y); flagged items in red, labelled."""
    figure = Figure(figsize=(6.4, 4.0))
    axes = figure.add_subplot()
    for label, facility, discrimination, flagged in points:
        axes.scatter(
            facility,
            discrimination,
            s=28,
            color=PASS_COLOUR if flagged else BAR_COLOUR,
            zorder=3,
        )
        if flagged:
            axes.annotate(
                label,
                (facility, discrimination),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    axes.axhline(0, color="#888888", linewidth=0.8)
    axes.axvspan(0.5, 0.75, color="#dfe7ee", zorder=0)  # the guidance's target band
    axes.set_xlim(-0.03, 1.03)  # room for points on the edges (facility 0 or 1, r = ±1)
    axes.set_ylim(-1.08, 1.08)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
