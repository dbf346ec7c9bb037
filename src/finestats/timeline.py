"""The history of one matter as a chart: its decisions on a time axis, in one currency, with
the court events on the fines they concern, drawn in the shared look of
:mod:`finestats.charts`.

Labels never overlap and never leave the plotting area: once the chart is laid out, each label
(decisions first, in date order, then court events) takes the nearest free spot to its point,
above or below it first, then further away or beside it; a label moved away from its point
is joined to it by a thin grey line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from finestats.charts import chart_meta, colors_for, finish, new_figure
from finestats.formatting import format_amount
from finestats.query import ResultMeta

__all__ = ["EVENT_STYLE", "STATUS_STYLE", "matter_timeline"]

#: How each decision status is drawn on a timeline: marker, filled?, legend label.
STATUS_STYLE: dict[str, tuple[str, bool, str]] = {
    "final": ("o", True, "final fine"),
    "provisional": ("D", False, "provisional notice (not a fine)"),
    "penalty": ("^", True, "penalty payment"),
    "reduced": ("v", True, "court: reduced"),
    "annulled": ("X", True, "court: annulled"),
}
#: How each court event is drawn on the fine it concerns.
EVENT_STYLE: dict[str, tuple[str, str]] = {
    "set-aside": ("x", "court: set aside"),
    "reinstated": ("P", "court: reinstated"),
    "appeal-dismissed": ("|", "court: appeal dismissed / upheld"),
    "upheld": ("|", "court: appeal dismissed / upheld"),
    "appeal-lodged": ("1", "appeal lodged / other step"),
    "appeal-withdrawn": ("1", "appeal lodged / other step"),
    "remitted": ("1", "appeal lodged / other step"),
    "leave-refused": ("1", "appeal lodged / other step"),
}


def matter_timeline(
    decisions: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    name: str = "",
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    meta: ResultMeta | None = None,
) -> Any:
    """Every decision of a matter (or defendant) on a time axis, in the query's currency, with
    the court events on the fines they concern.

    ``decisions`` is :func:`finestats.analyses.matter_decisions` output; ``events`` is
    :func:`finestats.analyses.matter_events`. Colour = regulator; marker = status; each decision is
    labelled with its regulator (and its defendant where it differs from the most common one) and
    amount; dotted lines join a decision to the record that superseded it; a grey band shows
    the time a fine stood set aside.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    m = chart_meta(decisions, meta)
    cur = m.query.currency
    col = f"amount_{cur.lower()}"
    d = decisions.sort_values(["decision_date", "fine_id"], kind="stable").reset_index(drop=True)
    cmap = colors_for(d["regulator"].astype(str).unique(), colors)
    fig, ax = new_figure(11, 5.8)
    main = d["defendant"].astype(str).mode().iat[0] if len(d) else ""
    labels: list[tuple[Any, float]] = []
    pos = _draw_decisions(ax, d, col, cur, cmap, main, labels)
    _draw_supersedes(ax, d, pos)
    handles = _status_handles(d, Line2D)
    if events is not None and len(events):
        handles += _draw_events(ax, events, d, pos, Line2D, labels)
    present = sorted(d["regulator"].astype(str).unique(), key=str.casefold)
    handles += [Patch(color=cmap[r], label=r) for r in present]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False
    )
    ax.margins(x=0.08, y=0.25)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Decision date")
    finish(fig, ax, title or f"Decisions in the {name or main} matter ({cur})", m, horizontal=False)
    _place_labels(fig, ax, labels)
    return fig


def _draw_decisions(
    ax: Any, d: pd.DataFrame, col: str, cur: str, cmap: dict, main: str, labels: list
) -> dict:
    pos: dict[str, tuple[Any, float]] = {}
    for i, r in d.iterrows():
        marker, filled, _ = STATUS_STYLE.get(str(r["status"]), ("s", True, str(r["status"])))
        c = cmap[str(r["regulator"])]
        x, y = r["decision_date"], float(r[col])
        ax.scatter(
            [x],
            [y],
            s=80,
            marker=marker,
            zorder=3,
            facecolors=c if filled else "white",
            edgecolors=c,
            linewidths=1.8,
        )
        who = str(r["regulator"])
        if str(r["defendant"]) != main:
            who += f" v {r['defendant']}"
        above = i % 2 == 0  # alternate above/below so that neighbours stay legible
        label = ax.annotate(
            f"{who}\n{format_amount(y, cur, significant=3)}",
            (x, y),
            xytext=(0, 9 if above else -10),
            textcoords="offset points",
            ha="center",
            va="bottom" if above else "top",
            fontsize=7.5,
            color="#333333",
        )
        labels.append((label, 9 if above else -10))
        pos[str(r["fine_id"])] = (x, y)
    return pos


def _draw_supersedes(ax: Any, d: pd.DataFrame, pos: dict) -> None:
    for _, r in d.iterrows():
        sup = r.get("supersedes")
        if isinstance(sup, str) and sup in pos:
            (x0, y0), (x1, y1) = pos[sup], pos[str(r["fine_id"])]
            ax.plot([x0, x1], [y0, y1], linestyle=":", color="#777777", linewidth=1, zorder=2)


def _status_handles(d: pd.DataFrame, line: Any) -> list:
    statuses = [s for s in STATUS_STYLE if s in set(d["status"].astype(str))]
    handles = [
        line(
            [],
            [],
            linestyle="",
            marker=STATUS_STYLE[s][0],
            markersize=8,
            markerfacecolor="#444444" if STATUS_STYLE[s][1] else "white",
            markeredgecolor="#444444",
            label=STATUS_STYLE[s][2],
        )
        for s in statuses
    ]
    if d["supersedes"].notna().any():
        handles.append(line([], [], linestyle=":", color="#777777", label="superseded by"))
    return handles


def _draw_events(
    ax: Any, events: pd.DataFrame, d: pd.DataFrame, pos: dict, line: Any, labels: list
) -> list:
    """Court events as black markers at the height of the fine they concern; set-aside periods as
    grey bands from the set-aside to the reinstatement (or to the right edge)."""
    shown: dict[str, str] = {}
    ev = events.sort_values("date", kind="stable")
    for fine_id, group in ev.groupby("fine_id", sort=False):
        if fine_id not in pos:
            continue
        _, y = pos[fine_id]
        aside = None
        for e in group.itertuples():
            marker, label = EVENT_STYLE.get(e.outcome, ("1", "court step"))
            ax.scatter([e.date], [y], s=90, marker=marker, color="black", zorder=4, linewidths=1.5)
            text = ax.annotate(
                e.outcome.replace("-", " "),
                (e.date, y),
                xytext=(0, -14),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7,
                color="#222222",
                style="italic",
            )
            labels.append((text, -14))
            shown[marker] = label
            if e.outcome == "set-aside":
                aside = e.date
            elif e.outcome == "reinstated" and aside is not None:
                ax.axvspan(aside, e.date, color="#bbbbbb", alpha=0.25, zorder=1)
                aside = None
        if aside is not None:
            ax.axvspan(aside, ax.get_xlim()[1], color="#bbbbbb", alpha=0.25, zorder=1)
    handles = [
        line([], [], linestyle="", marker=mk, color="black", markersize=8, label=lb)
        for mk, lb in shown.items()
    ]
    if any(e == "set-aside" for e in ev["outcome"]):
        from matplotlib.patches import Patch

        handles.append(Patch(color="#bbbbbb", alpha=0.5, label="fine set aside (not counting)"))
    return handles


#: Points between two labels, and between a label and the edge of the plotting area.
LABEL_GAP = 2.0


def _place_labels(fig: Any, ax: Any, labels: list[tuple[Any, float]]) -> None:
    """Give each label (in order) the nearest spot to its point where it overlaps no label
    placed before it and stays inside the axes: its own offset first (``dy`` points above or
    below), then the other side, then further away and beside the point. Labels take no part
    in the layout, so the layout computed here is the one the chart is saved with."""
    for label, _ in labels:
        label.set_in_layout(False)
    fig.draw_without_rendering()  # lays the chart out: where the axes and the points are
    area = ax.get_window_extent()
    points = fig.dpi / 72
    placed: list[Any] = []
    for label, dy in labels:
        box = label.get_window_extent()
        step = box.height / points + LABEL_GAP  # one label's height, in points
        best, fewest = None, None
        for dx_try, dy_try in _spots(dy, step, box.width / points + LABEL_GAP):
            spot, ext = _try_spot(label, dx_try, dy_try, area, points)
            if ext is None:
                continue
            clashes = sum(ext.overlaps(other) for other in placed)
            if fewest is None or clashes < fewest:
                best, fewest = (spot, ext), clashes
            if clashes == 0:
                break
        if best is None:  # nothing fits inside the axes: keep its own spot
            best = ((0.0, dy), label.get_window_extent())
        (dx_new, dy_new), ext = best
        _move(label, dx_new, dy_new)
        placed.append(ext.expanded(1 + LABEL_GAP * points / max(ext.width, 1), 1))
        if (dx_new, dy_new) != (0.0, dy):
            _leader(ax, label, dx_new, dy_new)


def _spots(dy: float, step: float, width: float, rings: int = 12) -> list[tuple[float, float]]:
    """Offsets to try, nearest first: the label's own, the other side, then ring by ring further
    above and below, straight or beside the point (half and one label's width aside)."""
    side = 1 if dy > 0 else -1
    out = [(0.0, dy), (0.0, -side * abs(dy))]
    for ring in range(1, rings + 1):
        for sign in (side, -side):
            level = sign * (abs(dy) + ring * step)
            out += [(0.0, level)]
            out += [(k * width / 2, level) for k in (1, -1, 2, -2)]
    return out


def _move(label: Any, dx: float, dy: float) -> None:
    label.xyann = (dx, dy)
    label.set_verticalalignment("bottom" if dy > 0 else "top")


def _try_spot(label: Any, dx: float, dy: float, area: Any, points: float) -> tuple:
    """The label at offset (dx, dy) points, pushed sideways into the axes if it sticks out;
    ((dx, dy), its box) or (None, None) when it cannot fit inside the axes."""
    _move(label, dx, dy)
    ext = label.get_window_extent()
    shift = max(area.x0 - ext.x0, 0) - max(ext.x1 - area.x1, 0)
    if shift:
        dx += shift / points
        _move(label, dx, dy)
        ext = label.get_window_extent()
    inside = (
        ext.x0 >= area.x0 - 0.5
        and ext.x1 <= area.x1 + 0.5
        and ext.y0 >= area.y0 + LABEL_GAP
        and ext.y1 <= area.y1 - LABEL_GAP
    )
    return ((dx, dy), ext) if inside else (None, None)


def _leader(ax: Any, label: Any, dx: float, dy: float) -> None:
    """A thin grey line from a moved label to its point."""
    leader = ax.annotate(
        "",
        label.xy,
        xytext=(dx, dy),
        textcoords="offset points",
        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6, "shrinkA": 0, "shrinkB": 4},
        zorder=1,
    )
    leader.set_in_layout(False)
