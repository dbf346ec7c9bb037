"""Charts of fine totals, each drawn in the shared look of :mod:`finestats.chart_style`.

Every function takes a table from :mod:`finestats.summary` (with its :class:`ResultMeta`) and
returns a matplotlib figure; :func:`save_figure` writes it. A regulator keeps its colour across
charts (:func:`regulator_colors`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from finestats.chart_style import (
    DPI,
    OTHER_COLOR,
    PALETTE,
    amount_formatter,
    bar_label,
    colors_for,
    crowded,
    finish,
    footnote,
    new_figure,
    pyplot,
    regulator_colors,
    result_meta,
    save_figure,
)
from finestats.formatting import amount_axis_label, convention, format_amount
from finestats.query import Query, ResultMeta
from finestats.timeline import matter_timeline

__all__ = [
    "OTHER_COLOR",
    "PALETTE",
    "articles_chart",
    "bar_by_key",
    "bar_by_regulator",
    "compare_by_year",
    "matter_timeline",
    "own_vs_target",
    "regulator_colors",
    "regulator_over_time",
    "save_figure",
    "stacked_by_year",
]


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
    m = result_meta(table, meta)
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
        bar_label(ax, format_amount(total, cur), (x, total), rotate=rotate)
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
    m = result_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    t = table.groupby("regulator", observed=True, sort=False)[value].sum()
    t = t.sort_values(ascending=True, kind="stable")
    cmap = colors_for(t.index, colors)
    fig, ax = new_figure(9, max(3.0, 0.32 * len(t) + 1.6))
    names = [str(n) for n in t.index]
    ax.barh(names, t.to_numpy(), color=[cmap[n] for n in names], height=0.7)
    for name, v in zip(names, t.to_numpy(), strict=True):
        bar_label(ax, format_amount(v, cur), (v, name), horizontal=True)
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
    m = result_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    t = table.sort_values(value, ascending=True, kind="stable")
    fig, ax = new_figure(9, max(3.0, 0.34 * len(t) + 1.6))
    names = [str(n) for n in t[key]]
    ax.barh(names, t[value].to_numpy(), color=PALETTE[0], height=0.7)
    for name, v, n in zip(names, t[value].to_numpy(), t["n_fines"], strict=True):
        bar_label(ax, f"{format_amount(v, cur)} ({n})", (v, name), horizontal=True)
    ax.set_ylabel(key.replace("_", " ").capitalize())
    ax.margins(x=0.15)
    finish(fig, ax, title or f"Total fines per {key} ({cur})", m, horizontal=True)
    return fig


def articles_chart(table: pd.DataFrame, *, top: int = 15, meta: ResultMeta | None = None) -> Any:
    """Two panels for the ``top`` most cited articles: number of fines citing each (left) and
    the total of those fines (right); ``table`` is :func:`finestats.analyses.articles_cited`."""
    plt = pyplot()
    m = result_meta(table, meta)
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
        bar_label(axes[1], format_amount(v, cur), (v, y), horizontal=True)
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
    m = result_meta(table, meta)
    cur = m.query.currency
    value = f"total_{cur.lower()}"
    cmap = colors_for([regulator], colors)
    fig, ax = new_figure(9, 4.8)
    years = [str(y) for y in table["year"]]
    ax.bar(years, table[value], color=cmap[regulator], width=0.65, label=regulator)
    rotate = crowded(len(years), 8.0)
    sep = " · " if rotate else "\n"
    for x, v, n in zip(years, table[value], table["n_fines"], strict=True):
        label = f"{format_amount(v, cur)}{sep}{n} fine{'s' if n != 1 else ''}"
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
    m = result_meta(table, meta)
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
            bar_label(ax, format_amount(v, cur), (x, v), rotate=rotate)
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
