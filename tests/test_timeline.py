"""finestats.timeline: the matter timeline of every matter in data/raw/fines.csv, drawn and
measured: no two labels overlap, none touches the title, ticks, legend or footnote, none leaves
the figure."""

from __future__ import annotations

import csv
import itertools
from typing import Any

import pytest

import finestats
from finestats import charts
from finestats.analyses import matter_decisions, matter_events
from finestats.query import Query
from finestats.timeline import matter_timeline
from tests.conftest import SHIPPED, records_csv

#: Every matter of the shipped records, read with the csv module.
MATTERS = sorted({r["matter"] for r in csv.DictReader(SHIPPED.open(encoding="utf-8"))} - {""})


@pytest.fixture(scope="module")
def shipped() -> finestats.Collection:
    return finestats.load(SHIPPED)


def clashes(fig: Any) -> tuple[list, list, list, int]:
    """(labels overlapping each other, labels overlapping the chart's other text, labels outside
    the figure, number of labels) of a drawn figure."""
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text()]
    others = [
        t
        for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))
        if t.get_visible() and t.get_text().strip() and t not in labels
    ]
    box = {t: t.get_window_extent() for t in labels + others}
    pairs = [
        (a.get_text(), b.get_text())
        for a, b in itertools.combinations(labels, 2)
        if box[a].overlaps(box[b])
    ]
    decor = [
        (a.get_text(), b.get_text()) for a in labels for b in others if box[a].overlaps(box[b])
    ]
    f = fig.bbox
    out = [
        t.get_text()
        for t in labels
        if box[t].x0 < f.x0 or box[t].y0 < f.y0 or box[t].x1 > f.x1 or box[t].y1 > f.y1
    ]
    return pairs, decor, out, len(labels)


def close(fig: Any) -> None:
    charts.pyplot().close(fig)


@pytest.mark.parametrize("matter", MATTERS)
def test_no_label_overlaps_another_or_leaves_the_figure(shipped, matter: str) -> None:
    decisions = matter_decisions(shipped, Query(), matter=matter)
    events = matter_events(shipped, decisions)
    fig = matter_timeline(decisions, events, name=matter)
    pairs, decor, out, n = clashes(fig)
    close(fig)
    assert n == len(decisions) + len(events)  # every decision and court event is labelled
    assert pairs == [] and decor == [] and out == []


def test_the_saved_chart_keeps_the_labels_apart(shipped, tmp_path) -> None:
    """Saving lays the chart out again (PNG, then SVG): the labels stay where they were put."""
    decisions = matter_decisions(shipped, Query(currency="GBP"), matter="clearview-ai")
    fig = matter_timeline(decisions, matter_events(shipped, decisions), name="clearview-ai")
    fig.canvas.draw()
    before = [v for t in fig.axes[0].texts for v in t.get_window_extent().bounds]
    charts.save_figure(fig, tmp_path, "timeline")
    fig.canvas.draw()  # measured on the screen canvas again (the SVG measures in points)
    after = [v for t in fig.axes[0].texts for v in t.get_window_extent().bounds]
    assert after == pytest.approx(before, abs=0.5)
    pairs, decor, out, _ = clashes(fig)
    close(fig)
    assert pairs == [] and decor == [] and out == []


@pytest.mark.parametrize("n", [6, 14])
def test_a_crowd_of_decisions_on_one_day(tmp_path, n: int) -> None:
    """``n`` fines of one matter decided the same day, of nearly the same amount, each against
    another defendant: every label finds a place of its own."""
    rows = [
        {"matter": "crowd", "defendant": f"Defendant number {i} AB", "amount": str(100_000 + i)}
        for i in range(n)
    ]
    data = finestats.load(records_csv(tmp_path, *rows))
    decisions = matter_decisions(data, Query(), matter="crowd")
    fig = matter_timeline(decisions, matter_events(data, decisions), name="crowd")
    pairs, decor, out, count = clashes(fig)
    close(fig)
    assert count == n and pairs == [] and decor == [] and out == []
