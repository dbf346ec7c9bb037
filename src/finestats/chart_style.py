"""The look shared by every chart: one palette, one colour per regulator, titles, amount axes,
footnotes, bar labels, and deterministic saving.

A regulator keeps its colour across charts and runs: :func:`regulator_colors` assigns a fixed
palette to the sorted list of the regulators in the data. Every chart has a title, an amount axis
that names the currency and the conversion convention (e.g. "EUR at ECB rate of decision date"),
amounts written as ``EUR 1.5M``, and a footnote with the ECB rate snapshot date and the counting
view (:func:`finish`).

matplotlib is imported inside the functions, so ``import finestats`` stays light. Figures are made
with pyplot (inline display in Jupyter); outside Jupyter, with no backend configured and no
display, the non-interactive Agg backend is selected. :func:`save_figure` writes PNG (and SVG on
request) atomically with deterministic bytes (no creation date, fixed SVG id salt).
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from finestats.fileio import atomic_write
from finestats.formatting import amount_axis_label, footnote_text, format_amount
from finestats.query import Query, ResultMeta, meta_of

__all__ = ["DPI", "OTHER_COLOR", "PALETTE", "regulator_colors", "save_figure"]

#: Fixed colours, handed out in this order to the regulators sorted case-insensitively: the strong
#: tab20 hues, the dark tab20b ones, then the light variants. Grey is kept for "Other".
PALETTE: tuple[str, ...] = (
    # tab20, strong (no grey)
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    # tab20b, dark
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#5254a3",
    "#8ca252",
    "#bd9e39",
    "#ad494a",
    "#a55194",
    # tab20, light (no grey)
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    # tab20b, light
    "#6b6ecf",
    "#b5cf6b",
    "#e7ba52",
    "#d6616b",
    "#ce6dbd",
    "#9c9ede",
    "#cedb9c",
    "#e7cb94",
    "#e7969c",
    "#de9ed6",
)
OTHER_COLOR = "#9a9a9a"
SVG_HASHSALT = "finestats"
DPI = 120


def regulator_colors(regulators: Iterable[str]) -> dict[str, str]:
    """A fixed colour per regulator: the sorted (case-insensitive) unique names get
    :data:`PALETTE` in order (cycling if there are more). Pass every regulator in the data, not
    just the ones in one chart, so that each keeps its colour in every chart."""
    names = sorted({str(r) for r in regulators if pd.notna(r)}, key=lambda s: (s.casefold(), s))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def colors_for(names: Iterable[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    names = [str(n) for n in names]
    if colors is None:
        return regulator_colors(names)
    out = dict(colors)
    missing = [n for n in names if n not in out]
    if missing:  # not in the mapping given: extend it deterministically after the known ones
        extra = regulator_colors(missing)
        for i, n in enumerate(sorted(extra, key=str.casefold)):
            out[n] = PALETTE[(len(colors) + i) % len(PALETTE)]
    return out


# --------------------------------------------------------------------------------------------
# matplotlib plumbing


def pyplot() -> Any:
    """pyplot, with the Agg backend when nothing else is configured and there is no display."""
    import matplotlib

    if (
        not os.environ.get("MPLBACKEND")
        and "ipykernel" not in sys.modules
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and sys.platform.startswith("linux")
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained", dpi=DPI)
    # leave room at the bottom for the footnote
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    return fig, ax


def amount_formatter(currency: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: format_amount(x, currency, decimals=2))


def finish(fig: Any, ax: Any, title: str, meta: ResultMeta, *, horizontal: bool) -> None:
    cur = meta.query.currency
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    axis = ax.xaxis if horizontal else ax.yaxis
    axis.set_major_formatter(amount_formatter(cur))
    (ax.set_xlabel if horizontal else ax.set_ylabel)(amount_axis_label(meta))
    ax.grid(axis="x" if horizontal else "y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    footnote(fig, meta)


def footnote(fig: Any, meta: ResultMeta) -> None:
    """The footnote, wrapped to the figure's width, with room made for it below the axes."""
    width_in, height_in = fig.get_size_inches()
    lines = textwrap.wrap(footnote_text(meta), width=int(width_in * 17))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color="#555555", ha="left", va="bottom")
    bottom = min(0.3, (0.14 + 0.125 * len(lines)) / height_in)
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))


def bar_label(
    ax: Any, text: str, xy: tuple[Any, Any], *, horizontal: bool = False, rotate: bool = False
) -> None:
    """Write ``text`` just past the end of a bar: above it (turned upright when bars are many
    and narrow, so that neighbours never overlap), or right of it when ``horizontal``."""
    ax.annotate(
        text,
        xy,
        ha="left" if horizontal else "center",
        va="center" if horizontal else "bottom",
        fontsize=7.5 if rotate else 8,
        rotation=90 if rotate else 0,
        xytext=(3, 0) if horizontal else (0, 2),
        textcoords="offset points",
    )


def crowded(n_bars: int, width_inches: float) -> bool:
    """Whether labels of this many bars across this width would collide written flat."""
    return n_bars > 0 and width_inches / n_bars < 0.75


def result_meta(table: pd.DataFrame, meta: ResultMeta | Query | None) -> ResultMeta:
    if isinstance(meta, ResultMeta):
        return meta
    found = meta_of(table)
    if isinstance(meta, Query):
        return found.replace(query=meta) if found else ResultMeta(query=meta, what="")
    if found is None:
        col = next(c for c in table.columns if str(c).startswith("total_"))
        return ResultMeta(query=Query(currency=str(col).removeprefix("total_").upper()), what="")
    return found


# --------------------------------------------------------------------------------------------
# Saving


def save_figure(
    fig: Any,
    output_dir: str | os.PathLike[str],
    stem: str,
    *,
    show: bool = False,
    svg: bool = False,
) -> dict[str, Path]:
    """Write ``fig`` as ``<stem>.png`` in ``output_dir`` (created if needed), and with
    ``svg=True`` also as ``<stem>.svg``, each atomically, with deterministic bytes (no dates,
    fixed SVG id salt, SVG text kept as text). Returns the paths by format.

    The chart is laid out once: the PNG render computes the layout, which the SVG then reuses.
    ``show=True`` (in a notebook) displays the PNG just written and closes the figure, so the
    notebook shows exactly the saved chart and the inline backend does not render it again.
    """
    import matplotlib

    out = Path(output_dir)
    formats = [("png", {"Software": None})] + ([("svg", {"Date": None})] if svg else [])
    paths: dict[str, Path] = {}
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        for fmt, metadata in formats:
            target = out / f"{stem}.{fmt}"

            def write(tmp: Path, f: str = fmt, md: dict[str, Any] = metadata) -> None:
                fig.savefig(tmp, format=f, dpi=DPI, metadata=md, facecolor="white")

            atomic_write(target, write)
            paths[fmt] = target
            fig.set_layout_engine("none")  # keep the layout just computed
    if show:
        from IPython.display import Image, display

        title = next((t for ax in fig.axes for t in [ax.get_title(loc="left")] if t), stem)
        display(Image(data=paths["png"].read_bytes(), format="png", alt=title))
        pyplot().close(fig)
    return paths
