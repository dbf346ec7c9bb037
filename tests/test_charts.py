"""finestats.charts: amount formatting, regulator colours, chart conventions, deterministic files"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from finestats import charts
from finestats.query import Query, meta_of
from finestats.timeline import matter_timeline

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_regulator_colors_are_stable_and_order_free() -> None:
    a = charts.regulator_colors(["ICO", "CNIL", "AP", "ICO"])
    b = charts.regulator_colors(["AP", "ICO", "CNIL"])
    assert a == b
    assert list(a) == ["AP", "CNIL", "ICO"]
    assert len(set(a.values())) == 3
    assert charts.OTHER_COLOR not in charts.PALETTE
    # the same in a fresh process (no hash seeds, no state)
    code = "from finestats import charts; print(charts.regulator_colors(['ICO', 'CNIL', 'AP']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(a)


def _facecolors(ax) -> dict[str, str]:
    from matplotlib.colors import to_hex

    return {
        container.get_label(): to_hex(container.patches[0].get_facecolor())
        for container in ax.containers
        if container.patches
    }


@pytest.fixture(scope="module")
def tables():
    import finestats
    from finestats.totals import totals

    df = finestats.load_fines()
    return df, totals(df, ("regulator", "year")), totals(df, "regulator")


def test_same_colour_for_a_regulator_in_every_chart(tables) -> None:
    from matplotlib.colors import to_hex

    df, by_year, by_reg = tables
    colors = charts.regulator_colors(df["regulator"])
    stacked = charts.stacked_by_year(by_year, colors=colors)
    seen = _facecolors(stacked.axes[0])
    named = {k: v for k, v in seen.items() if not k.startswith("Other")}
    assert named and all(colors[k] == v for k, v in named.items())

    bars = charts.bar_by_regulator(by_reg, colors=colors)
    ax = bars.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for label, patch in zip(labels, ax.patches, strict=False):
        assert to_hex(patch.get_facecolor()) == colors[label]
    # without an explicit mapping the colours come from the regulators in the table, still sorted
    default = charts.bar_by_regulator(by_reg)
    ax = default.axes[0]
    expected = charts.regulator_colors(by_reg["regulator"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for label, patch in zip(labels, ax.patches, strict=False):
        assert to_hex(patch.get_facecolor()) == expected[label]


def test_every_chart_has_title_currency_axis_and_footnote(tables) -> None:
    from finestats.analyses import matter_decisions, matter_events
    from finestats.totals import totals

    df, by_year, by_reg = tables
    ico = totals(df, "year", regulators=["ICO"])
    clear = matter_decisions(df, Query(matter="clearview-ai"))
    wide = pd.DataFrame({"a": [1e6, 2e6], "b": [1.1e6, float("nan")]}, index=[2020, 2021])
    effect = pd.DataFrame(
        {"year": [2020, 2021], "total_gbp": [1e6, 2e6], "total_eur": [1.1e6, 2.3e6]}
    )
    meta = meta_of(by_year)
    figs = [
        charts.stacked_by_year(by_year),
        charts.bar_by_regulator(by_reg),
        charts.regulator_over_time(ico, "ICO"),
        charts.own_vs_target(effect, "GBP", "EUR", regulator="ICO", meta=meta),
        charts.compare_by_year(wide, meta=meta),
        matter_timeline(clear, matter_events(df, clear), name="clearview-ai"),
    ]
    for fig in figs:
        texts = [t.get_text() for t in fig.texts]
        assert any("snapshot" in t and "Counting view" in t for t in texts), texts
        titles = [ax.get_title(loc="left") or ax.get_title() for ax in fig.axes]
        assert any(titles) or fig._suptitle is not None
        labels = " ".join(ax.get_ylabel() + ax.get_xlabel() for ax in fig.axes)
        assert "EUR" in labels and "ECB" in labels, labels


def test_matter_timeline_shows_every_decision_and_the_court_events(tables) -> None:
    from finestats.analyses import matter_decisions, matter_events

    df = tables[0]
    clear = matter_decisions(df, Query(matter="clearview-ai"))
    events = matter_events(df, clear)
    fig = matter_timeline(clear, events, name="clearview-ai")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "provisional notice (not a fine)" in legend
    assert "penalty payment" in legend and "final fine" in legend
    assert "court: set aside" in legend and "court: reinstated" in legend
    assert "fine set aside (not counting)" in legend
    assert {"ICO", "IMY", "CNIL", "Garante", "HDPA", "AP"} <= set(legend)
    assert "AEPD" not in legend
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "ICO\nEUR 20.1M" in labels  # the GBP 17m notice, labelled in EUR
    assert any(t.startswith("IMY v Polismyndigheten") for t in labels)  # another defendant
    assert "set aside" in labels and "reinstated" in labels


def test_save_figure_writes_png_and_svg_deterministically(tmp_path, tables) -> None:
    by_year = tables[1]
    # vector charts by default (SVG beside PNG); svg=False for a PNG alone
    assert set(charts.save_figure(charts.stacked_by_year(by_year), tmp_path / "p", "c")) == {
        "png",
        "svg",
    }
    assert set(
        charts.save_figure(charts.stacked_by_year(by_year), tmp_path / "q", "c", svg=False)
    ) == {"png"}
    first = charts.save_figure(
        charts.stacked_by_year(by_year), tmp_path / "a" / "nested", "chart", svg=True
    )
    second = charts.save_figure(charts.stacked_by_year(by_year), tmp_path / "b", "chart", svg=True)
    assert set(first) == {"png", "svg"}
    for fmt in ("png", "svg"):
        assert first[fmt].name == f"chart.{fmt}"
        assert first[fmt].read_bytes() == second[fmt].read_bytes()
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = first["svg"].read_text()
    assert "<dc:date>" not in svg and "EUR" in svg
    assert not [p for p in (tmp_path / "a" / "nested").iterdir() if p.name.startswith(".")]


def test_svg_is_the_same_in_another_process(tmp_path, tables) -> None:
    """Clip-path and other ids come from a fixed salt, so a fresh process writes the same bytes."""
    code = (
        "import matplotlib; matplotlib.use('Agg'); import finestats; from finestats import charts; "
        "t = finestats.totals(finestats.load_fines(), ('regulator', 'year')); "
        f"charts.save_figure(charts.stacked_by_year(t), {str(tmp_path / 'sub')!r}, 'c', svg=True)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    here = charts.save_figure(charts.stacked_by_year(tables[1]), tmp_path / "here", "c", svg=True)
    assert (tmp_path / "sub" / "c.svg").read_bytes() == here["svg"].read_bytes()
    assert b"clip-path" in here["svg"].read_bytes()


def test_import_finestats_does_not_import_matplotlib() -> None:
    code = (
        "import sys, finestats, finestats.charts, finestats.report, finestats.cli; "
        "heavy = ('matplotlib', 'papermill', 'nbconvert'); "
        "print(any(m.split('.')[0] in heavy for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_published_vs_finestats_pairs_each_reproducible_total(tmp_path) -> None:
    """One pair of bars per total for all countries in EUR that finestats could reproduce; a
    count, a country figure and a figure it could not reproduce are left out."""
    import finestats
    from finestats import charts

    table = finestats.crosscheck(finestats.load(), publisher="DLA Piper", edition="January 2026")
    fig = charts.published_vs_finestats(table)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "DLA Piper, 2025-01-28 to 2026-01-10",
        "DLA Piper, 2018-05-25 to 2026-01-10",
    ]
    widths = sorted(round(p.get_width()) for p in ax.patches)
    total = table.set_index("figure_id").loc["dla-piper-2026-01-total-eur"]
    assert 7_100_000_000 in widths
    assert round(total["finestats"]) in widths
    assert len(ax.patches) == 4


def test_bar_labels_show_three_significant_digits_like_the_headline() -> None:
    """One precision for every label of a chart: not "EUR 45bn" beside "EUR 593.8M"."""
    table = pd.DataFrame(
        {"regulator": ["DPC", "CNIL", "ICO"], "total_eur": [45.0e9, 593.8e6, 740.0e6]}
    )
    fig = charts.bar_by_regulator(table, meta=Query())
    labels = sorted(t.get_text() for t in fig.axes[0].texts)
    assert labels == ["EUR 45.0bn", "EUR 594M", "EUR 740M"]
