"""Charts of fine totals in one look: one palette, one colour per regulator, titles, amount axes
that name the currency and the conversion convention, amounts written as ``EUR 1.5M``, a
footnote with the ECB rate snapshot, the counting view, the filters and the scope; and
deterministic saving.

Every chart function takes a table from :mod:`finestats.totals` or :mod:`finestats.analyses`
(with its :class:`ResultMeta`) and returns a matplotlib figure; :func:`save_figure` writes it as
PNG and SVG. A regulator keeps its colour across charts and runs (:func:`regulator_colors`).
Text from the data is drawn as text, never as mathtext (a defendant named ``$\\frac$`` is shown as
written). matplotlib is imported inside the functions, so ``import finestats`` stays light.
"""

from __future__ import annotations

import math
import os
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finestats.fileio import atomic_write
from finestats.formatting import amount_axis_label, convention, footnote_text, format_amount
from finestats.query import Query, ResultMeta, meta_of

__all__ = [
    "DPI",
    "OTHER_COLOR",
    "PALETTE",
    "articles_chart",
    "bar_by_key",
    "bar_by_regulator",
    "compare_by_year",
    "real_terms_title",
    "own_vs_target",
    "regulator_colors",
    "regulator_over_time",
    "save_figure",
    "stacked_by_year",
]


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
    # Labels come from the data: a defendant named "$\\frac$" is text, not mathtext.
    matplotlib.rcParams["text.parse_math"] = False
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


def footnote(fig: Any, meta: ResultMeta | str) -> None:
    """The footnote (what ``meta`` counted, or a text), wrapped to the figure's width, with room
    made for it below the axes."""
    width_in, height_in = fig.get_size_inches()
    text = meta if isinstance(meta, str) else footnote_text(meta)
    lines = textwrap.wrap(text, width=int(width_in * 17))
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


def chart_meta(table: pd.DataFrame, meta: ResultMeta | Query | None) -> ResultMeta:
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
    svg: bool = True,
) -> dict[str, Path]:
    """Write ``fig`` as ``<stem>.png`` in ``output_dir`` (created if needed) and, unless
    ``svg=False``, as the vector ``<stem>.svg``, each atomically, with deterministic bytes (no
    dates, fixed SVG id salt, SVG text kept as text). Returns the paths by format.

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


def stacked_by_year(
    table: pd.DataFrame,
    *,
    colors: Mapping[str, str] | None = None,
    top: int = 10,
    title: str | None = None,
    meta: ResultMeta | Query | None = None,
) -> Any:
    """Stacked bars of totals per year, one segment per regulator.

    ``table`` is ``totals(df, ("regulator", "year"), cur)``. The ``top`` regulators by overall
    total keep their colour; the rest are stacked together as "Other" in grey.
    """
    m = chart_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    wide = table.pivot_table(
        index="year",
        columns="regulator",
        values=value,
        aggfunc="sum",
        fill_value=0.0,
        observed=True,
    )
    order = wide.sum().sort_values(ascending=False, kind="stable").index.tolist()
    keep, rest = order[:top], order[top:]
    if rest:
        wide["Other"] = wide[rest].sum(axis=1)
        keep = [*keep, "Other"]
    wide = wide[keep] if keep else wide
    cmap = colors_for([k for k in keep if k != "Other"], colors)
    fig, ax = new_figure(10, 5.6)
    years = [str(y) for y in wide.index]
    bottom = pd.Series(0.0, index=wide.index)
    for name in keep:
        color = OTHER_COLOR if name == "Other" and name not in cmap else cmap[name]
        label = f"Other ({len(rest)} regulators)" if name == "Other" else name
        ax.bar(
            years,
            wide[name],
            bottom=bottom,
            color=color,
            label=label,
            width=0.7,
            edgecolor="white",
            linewidth=0.4,
        )
        bottom = bottom + wide[name]
    rotate = crowded(len(years), 8.0)
    for x, total in zip(years, bottom, strict=True):
        bar_label(ax, format_amount(total, cur, significant=3), (x, total), rotate=rotate)
    ax.set_xlabel("Year of decision" if m.query.on == "decision_date" else "Year of announcement")
    if keep:
        ax.legend(
            title="Regulator", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False
        )
    ax.margins(y=0.08)
    finish(fig, ax, title or f"Fines per year by regulator ({cur})", m, horizontal=False)
    return fig


def bar_by_regulator(
    table: pd.DataFrame,
    *,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    meta: ResultMeta | Query | None = None,
) -> Any:
    """Horizontal bars of totals per regulator, largest on top, each labelled with its amount.

    ``table`` is ``totals(df, "regulator", cur)``.
    """
    m = chart_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    t = table.groupby("regulator", observed=True, sort=False)[value].sum()
    t = t.sort_values(ascending=True, kind="stable")
    cmap = colors_for(t.index, colors)
    fig, ax = new_figure(9, max(3.0, 0.32 * len(t) + 1.6))
    names = [str(n) for n in t.index]
    ax.barh(names, t.to_numpy(), color=[cmap[n] for n in names], height=0.7)
    for name, v in zip(names, t.to_numpy(), strict=True):
        bar_label(ax, format_amount(v, cur, significant=3), (v, name), horizontal=True)
    ax.set_ylabel("Regulator")
    ax.margins(x=0.12)
    finish(fig, ax, title or f"Total fines per regulator ({cur})", m, horizontal=True)
    return fig


def bar_by_key(
    table: pd.DataFrame,
    key: str,
    *,
    title: str | None = None,
    meta: ResultMeta | Query | None = None,
) -> Any:
    """Horizontal bars of totals per value of ``key`` (e.g. sector), largest on top, labelled
    with the amount and the number of fines; ``table`` is ``totals(df, key, cur)``."""
    m = chart_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    t = table.sort_values(value, ascending=True, kind="stable")
    fig, ax = new_figure(9, max(3.0, 0.34 * len(t) + 1.6))
    names = [str(n) for n in t[key]]
    ax.barh(names, t[value].to_numpy(), color=PALETTE[0], height=0.7)
    for name, v, n in zip(names, t[value].to_numpy(), t["n_fines"], strict=True):
        bar_label(ax, f"{format_amount(v, cur, significant=3)} ({n})", (v, name), horizontal=True)
    ax.set_ylabel(key.replace("_", " ").capitalize())
    ax.margins(x=0.15)
    finish(fig, ax, title or f"Total fines per {key} ({cur})", m, horizontal=True)
    return fig


def articles_chart(table: pd.DataFrame, *, top: int = 15, meta: ResultMeta | None = None) -> Any:
    """Two panels for the ``top`` most cited articles: number of fines citing each (left) and
    the total of those fines (right); ``table`` is :func:`finestats.analyses.articles_cited`."""
    plt = pyplot()
    m = chart_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    t = table.head(top).iloc[::-1]
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(11, max(3.5, 0.32 * len(t) + 1.8)),
        sharey=True,
        layout="constrained",
        dpi=DPI,
    )
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    labels = [f"Art. {a}" if ":" not in a else a for a in t["article"]]
    axes[0].barh(labels, t["n_fines"], color=PALETTE[0], height=0.7)
    axes[1].barh(labels, t[value], color=PALETTE[1], height=0.7)
    for y, n, v in zip(labels, t["n_fines"], t[value], strict=True):
        bar_label(axes[0], str(n), (n, y), horizontal=True)
        bar_label(axes[1], format_amount(v, cur, significant=3), (v, y), horizontal=True)
    axes[0].set_xlabel("Fines citing the article")
    axes[1].set_xlabel(amount_axis_label(m))
    axes[1].xaxis.set_major_formatter(amount_formatter(cur))
    for ax in axes:
        ax.margins(x=0.18)
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(
        f"The {len(t)} most cited articles", x=0.01, ha="left", fontsize=12, fontweight="bold"
    )
    footnote(fig, m)
    return fig


def regulator_over_time(
    table: pd.DataFrame,
    regulator: str,
    *,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    meta: ResultMeta | Query | None = None,
) -> Any:
    """One regulator's totals per year as bars in its colour, labelled with amount and count.

    ``table`` is ``totals(df, "year", cur, regulators=[regulator])``.
    """
    m = chart_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    cmap = colors_for([regulator], colors)
    fig, ax = new_figure(9, 4.8)
    years = [str(y) for y in table["year"]]
    ax.bar(years, table[value], color=cmap[regulator], width=0.65, label=regulator)
    rotate = crowded(len(years), 8.0)
    sep = " · " if rotate else "\n"
    for x, v, n in zip(years, table[value], table["n_fines"], strict=True):
        label = f"{format_amount(v, cur, significant=3)}{sep}{n} fine{'s' if n != 1 else ''}"
        bar_label(ax, label, (x, v), rotate=rotate)
    ax.set_xlabel("Year of decision")
    ax.margins(y=0.18)
    finish(fig, ax, title or f"{regulator}: fines per year ({cur})", m, horizontal=False)
    return fig


def own_vs_target(
    table: pd.DataFrame,
    own: str,
    target: str,
    *,
    regulator: str = "",
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    meta: ResultMeta | Query | None = None,
) -> Any:
    """Two panels over the same years: totals in the regulator's own currency (left, as decided)
    and in the target currency (right).

    ``table`` has columns ``year``, ``total_<own>`` and ``total_<target>``.
    """
    plt = pyplot()
    m = chart_meta(table, meta)
    m = m.replace(query=m.query.replace(currency=target))
    own_col, tgt_col = f"total_{own.lower()}", f"total_{target.lower()}"
    color = colors_for([regulator or "?"], colors)[regulator or "?"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained", dpi=DPI)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    years = [str(y) for y in table["year"]]
    rotate = crowded(len(years), 5.0)
    for ax, col, cur, hatch in (
        (axes[0], own_col, own.upper(), "//"),
        (axes[1], tgt_col, target.upper(), None),
    ):
        ax.bar(years, table[col], color=color, hatch=hatch, edgecolor="white", width=0.65)
        for x, v in zip(years, table[col], strict=True):
            bar_label(ax, format_amount(v, cur, significant=3), (x, v), rotate=rotate)
        ax.yaxis.set_major_formatter(amount_formatter(cur))
        ax.set_xlabel("Year of decision")
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.margins(y=0.25 if rotate else 0.15)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel(f"Amount ({own.upper()} as decided, no conversion)")
    axes[0].set_title(f"In {own.upper()} (as decided)", fontsize=10)
    axes[1].set_ylabel(amount_axis_label(m))
    axes[1].set_title(f"In {target.upper()} ({convention(m).split(' at ', 1)[1]})", fontsize=10)
    fig.suptitle(
        title or f"{regulator}: totals in {own.upper()} and in {target.upper()}",
        x=0.01,
        ha="left",
        fontsize=12,
        fontweight="bold",
    )
    footnote(fig, m)
    return fig


def compare_by_year(
    wide: pd.DataFrame,
    *,
    title: str | None = None,
    meta: ResultMeta,
    axis_label: str | None = None,
) -> Any:
    """Grouped bars per year, one bar per column of ``wide`` (index: year; columns: e.g. rate
    conventions or nominal/real), and below them each column's difference from the first, in
    percent. NaN values are left out and marked "n/a"."""
    plt = pyplot()
    cur = meta.query.currency
    fig, (ax, diff_ax) = plt.subplots(
        2, 1, figsize=(10, 6.6), sharex=True, height_ratios=(3, 1.4), layout="constrained", dpi=DPI
    )
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    n = max(len(wide.columns), 1)
    width = 0.8 / n
    series_colors = plt.get_cmap("Dark2").colors
    xs = list(range(len(wide.index)))
    first = wide.iloc[:, 0].astype("float64") if len(wide.columns) else None
    for j, col in enumerate(wide.columns):
        pos = [x - 0.4 + width * (j + 0.5) for x in xs]
        vals = wide[col].astype("float64")
        color = series_colors[j % len(series_colors)]
        ax.bar(pos, vals.fillna(0.0), width=width * 0.95, label=str(col), color=color)
        pct = (vals / first - 1.0) * 100.0
        diff_ax.bar(pos, pct.fillna(0.0), width=width * 0.95, color=color)
        for p, v in zip(pos, vals, strict=True):
            if math.isnan(v):
                for a in (ax, diff_ax):
                    a.annotate(
                        "n/a",
                        (p, 0),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        rotation=90,
                        xytext=(0, 2),
                        textcoords="offset points",
                    )
    diff_ax.axhline(0, color="#444444", linewidth=0.8)
    diff_ax.set_xticks(xs, [str(y) for y in wide.index])
    diff_ax.set_xlabel("Year of decision")
    diff_ax.set_ylabel(f"vs {wide.columns[0] if n else ''}"[:40] + " (%)", fontsize=8)
    diff_ax.yaxis.set_major_formatter(lambda x, _pos: f"{x:+.1f}%")
    diff_ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    diff_ax.set_axisbelow(True)
    for side in ("top", "right"):
        diff_ax.spines[side].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    finish(fig, ax, title or f"Totals per year in {cur}", meta, horizontal=False)
    ax.set_ylabel(axis_label or f"Amount ({cur} at ECB rates; see legend)")
    return fig


def real_terms_title(query: Query) -> str:
    """The title of the nominal / constant-prices chart (nominal only without ``real``)."""
    if query.real is None:
        return f"Fines per year in {query.currency} (nominal)"
    return f"Fines per year in {query.currency}: nominal and in {query.real} prices"


def published_vs_finestats(table: pd.DataFrame, *, currency: str = "EUR") -> Any:
    """Paired horizontal bars: each published total in ``currency`` for all countries beside
    finestats' own at the same cut-off and method (``table`` is :func:`finestats.crosscheck`),
    one pair per figure, in the table's order from the top; figures finestats could not
    reproduce are left out (the table says why)."""

    t = table[
        (table["measure"] == "total")
        & (table["currency"] == currency)
        & (table["area"] == "all")
        & table["finestats"].notna()
    ]
    fig, ax = new_figure(9, max(3.0, 0.5 * len(t) + 1.8))
    labels = [
        f"{r.publisher}, {r.window_start:%Y-%m-%d} to "
        + (
            f"{r.cutoff_date:%Y-%m-%d}"
            if not pd.isna(r.cutoff_date)
            else f"publication ({r.published_date:%Y-%m-%d})"
        )
        for r in t.itertuples()
    ]
    y = np.arange(len(t))[::-1]
    ax.barh(y + 0.2, t["published"], height=0.38, color=PALETTE[1], label="published")
    ax.barh(y - 0.2, t["finestats"], height=0.38, color=PALETTE[0], label="finestats")
    for yy, pub, ours in zip(y, t["published"], t["finestats"], strict=True):
        bar_label(ax, format_amount(pub, currency, significant=3), (pub, yy + 0.2), horizontal=True)
        bar_label(
            ax, format_amount(ours, currency, significant=3), (ours, yy - 0.2), horizontal=True
        )
    ax.set_yticks(y, labels)
    ax.margins(x=0.15)
    ax.legend(loc="lower right", frameon=False)
    fig.suptitle(
        f"Published totals of GDPR fines beside finestats' ({currency}, all countries)",
        x=0.01,
        ha="left",
        fontsize=12,
        fontweight="bold",
    )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(amount_formatter(currency))
    ax.set_xlabel(f"Total fines ({currency})")
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    footnote(
        fig,
        "finestats at each figure's cut-off, window and stated method (each fine at its decision "
        "date's ECB rate, unless the edition's fixed rates cover every currency); the gaps and "
        "what explains them are in the table.",
    )
    return fig
