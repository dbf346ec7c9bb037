"""finestats.plots: amount formatting, regulator colours, chart conventions, deterministic files."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from finestats import plots

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(
    ("x", "currency", "expected"),
    [
        (1_500_000, "EUR", "EUR 1.5M"),
        (2_500_000_000, "EUR", "EUR 2.5bn"),
        (7_500, "EUR", "EUR 7.5k"),
        (20_000_000, "eur", "EUR 20M"),
        (1_000, "GBP", "GBP 1k"),
        (999, "SEK", "SEK 999"),
        (0, "EUR", "EUR 0"),
        (0.4, "EUR", "EUR 0"),
        (-1_500_000, "USD", "USD -1.5M"),
        (999_950, "EUR", "EUR 1M"),  # rounds up into the next unit, never "1000k"
        (1_234_567, "EUR", "EUR 1.2M"),
        (746_000_000, "EUR", "EUR 746M"),
        (1_200_000_000, "", "1.2bn"),
        (float("nan"), "EUR", "n/a"),
    ],
)
def test_format_amount(x: float, currency: str, expected: str) -> None:
    assert plots.format_amount(x, currency) == expected


def test_format_amount_decimals() -> None:
    assert plots.format_amount(1_250_000, "EUR", decimals=2) == "EUR 1.25M"
    assert plots.format_amount(1_250_000, "EUR", decimals=0) == "EUR 1M"


def test_convention_and_footnote() -> None:
    meta = {"currency": "eur", "on": "decision_date", "at": None, "rate_snapshot": "2024-12-31",
            "view": "imposed", "include_penalties": True}  # fmt: skip
    assert plots.convention(meta) == "EUR at ECB rate of decision date"
    assert plots.convention({**meta, "at": "2024-12-31"}) == "EUR at ECB rate of 2024-12-31"
    assert "annual average" in plots.convention({**meta, "at": "year-average"})
    assert "announcement date" in plots.convention({**meta, "on": "announced_date"})
    foot = plots.footnote_text(meta)
    assert "snapshot 2024-12-31" in foot and "imposed" in foot
    assert "provisional" in plots.footnote_text({**meta, "include_provisional": True})


def test_regulator_colors_are_stable_and_order_free() -> None:
    a = plots.regulator_colors(["ICO", "CNIL", "AP", "ICO"])
    b = plots.regulator_colors(["AP", "ICO", "CNIL"])
    assert a == b
    assert list(a) == ["AP", "CNIL", "ICO"]
    assert len(set(a.values())) == 3
    assert plots.OTHER_COLOR not in plots.PALETTE
    # the same in a fresh process (no hash seeds, no state)
    code = "from finestats import plots; print(plots.regulator_colors(['ICO', 'CNIL', 'AP']))"
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
    from finestats.summary import totals

    df = finestats.load_fines()
    return df, totals(df, ("regulator", "year")), totals(df, "regulator")


def test_same_colour_for_a_regulator_in_every_chart(tables) -> None:
    from matplotlib.colors import to_hex

    df, by_year, by_reg = tables
    colors = plots.regulator_colors(df["regulator"])
    stacked = plots.stacked_by_year(by_year, colors=colors)
    seen = _facecolors(stacked.axes[0])
    named = {k: v for k, v in seen.items() if not k.startswith("Other")}
    assert named and all(colors[k] == v for k, v in named.items())

    bars = plots.bar_by_regulator(by_reg, colors=colors)
    ax = bars.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for label, patch in zip(labels, ax.patches, strict=False):
        assert to_hex(patch.get_facecolor()) == colors[label]
    # without an explicit mapping the colours come from the regulators in the table, still sorted
    default = plots.bar_by_regulator(by_reg)
    ax = default.axes[0]
    expected = plots.regulator_colors(by_reg["regulator"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for label, patch in zip(labels, ax.patches, strict=False):
        assert to_hex(patch.get_facecolor()) == expected[label]


def test_every_chart_has_title_currency_axis_and_footnote(tables) -> None:
    from finestats.rates import convert
    from finestats.summary import totals

    df, by_year, by_reg = tables
    ico = totals(df, "year", regulators=["ICO"])
    clear = convert(df[df["defendant"].str.contains("Clearview")], "EUR")
    wide = pd.DataFrame({"a": [1e6, 2e6], "b": [1.1e6, float("nan")]}, index=[2020, 2021])
    effect = pd.DataFrame(
        {"year": [2020, 2021], "total_gbp": [1e6, 2e6], "total_eur": [1.1e6, 2.3e6]}
    )
    meta = dict(by_year.attrs["finestats"])
    figs = [
        plots.stacked_by_year(by_year),
        plots.bar_by_regulator(by_reg),
        plots.regulator_over_time(ico, "ICO"),
        plots.own_vs_target(effect, "GBP", "EUR", regulator="ICO", meta=meta),
        plots.compare_by_year(wide, "EUR", meta=meta),
        plots.defendant_timeline(clear, "EUR", defendant="Clearview AI", meta=meta),
    ]
    for fig in figs:
        texts = [t.get_text() for t in fig.texts]
        assert any("snapshot" in t and "Counting view" in t for t in texts), texts
        titles = [ax.get_title(loc="left") or ax.get_title() for ax in fig.axes]
        assert any(titles) or fig._suptitle is not None
        labels = " ".join(ax.get_ylabel() + ax.get_xlabel() for ax in fig.axes)
        assert "EUR" in labels and "ECB" in labels, labels


def test_timeline_marks_statuses_distinctly(tables) -> None:
    from finestats.rates import convert

    df = tables[0]
    clear = convert(df[df["defendant"].str.contains("Clearview")], "EUR")
    fig = plots.defendant_timeline(clear, "EUR", defendant="Clearview AI")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "provisional notice (not final)" in legend
    assert "penalty payment" in legend and "final fine" in legend
    assert "ICO" in legend and "AEPD" not in legend  # only regulators shown
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "ICO\nEUR 20.1M" in labels  # the GBP 17m notice, labelled in EUR


def test_save_figure_writes_png_and_svg_deterministically(tmp_path, tables) -> None:
    by_year = tables[1]
    fig = plots.stacked_by_year(by_year)
    first = plots.save_figure(fig, tmp_path / "a" / "nested", "chart")
    second = plots.save_figure(plots.stacked_by_year(by_year), tmp_path / "b", "chart")
    assert set(first) == {"png", "svg"}
    for fmt in ("png", "svg"):
        assert first[fmt].name == f"chart.{fmt}"
        assert first[fmt].read_bytes() == second[fmt].read_bytes()
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = first["svg"].read_text()
    assert "<dc:date>" not in svg and "EUR" in svg
    assert not [p for p in (tmp_path / "a" / "nested").iterdir() if p.name.startswith(".")]


def test_import_finestats_does_not_import_matplotlib() -> None:
    code = (
        "import sys, finestats, finestats.plots, finestats.report; "
        "heavy = ('matplotlib', 'papermill', 'nbconvert'); "
        "print(any(m.split('.')[0] in heavy for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
