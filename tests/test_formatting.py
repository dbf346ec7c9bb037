"""finestats.formatting: amounts, conventions, footnotes and tables written for people."""

from __future__ import annotations

import pandas as pd
import pytest

from finestats import formatting
from finestats.query import Query, ResultMeta


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
        (None, "EUR", "n/a"),
    ],
)
def test_format_amount(x: float, currency: str, expected: str) -> None:
    assert formatting.format_amount(x, currency) == expected


def test_format_amount_decimals() -> None:
    assert formatting.format_amount(1_250_000, "EUR", decimals=2) == "EUR 1.25M"
    assert formatting.format_amount(1_250_000, "EUR", decimals=0) == "EUR 1M"


def test_convention_and_footnote() -> None:
    q = Query(currency="eur")
    assert formatting.convention(q) == "EUR at ECB rate of decision date"
    assert formatting.convention(q.replace(at="2024-12-31")) == "EUR at ECB rate of 2024-12-31"
    assert "annual average" in formatting.convention(q.replace(at="year-average"))
    assert "announcement date" in formatting.convention(q.replace(on="announced_date"))
    assert formatting.convention(q.replace(real=2024)) == "EUR at ECB rate of decision date"
    meta = ResultMeta(
        q.replace(years=(2020, 2021), regulators=("ICO",)),
        "t",
        rate_snapshot="2024-12-31",
        scope="Complete for X.",
    )
    foot = formatting.footnote_text(meta)
    assert "snapshot 2024-12-31" in foot and "imposed" in foot
    assert "Filters: decided 2020-2021; regulators ICO." in foot
    assert foot.endswith("Scope: Complete for X.")
    eff = formatting.view_text(q.replace(view="effective", as_of="2024-12-31"))
    assert eff.startswith("effective as of 2024-12-31")


def test_markdown_escapes_everything_from_the_data() -> None:
    head = {
        "currency": "EUR",
        "total": 1e6,
        "n_fines": 1,
        "convention": "EUR at ECB rate",
        "view": "imposed",
        "rate_snapshot": "2026-10-30",
        "max": 1e6,
        "scope": "",
        "largest": {
            "regulator": "ICO",
            "defendant": 'Meta <img src=x onerror="alert(1)">',
            "decision_date": "2021-01-01",
        },
    }
    text = formatting.headline_markdown(head)
    assert "<img" not in text and "&#60;img" in text


def test_readable_tables() -> None:
    t = pd.DataFrame(
        {
            "fine_id": ["a"],
            "amount_eur": [1234567.891],
            "fx_rate": [0.123456789],
            "notes": ["x" * 100],
            "announced_date": [pd.NaT],
            "supersedes": [None],
        }
    )
    r = formatting.readable(t)
    assert r.loc[0, "amount_eur"] == "1,234,568" and r.loc[0, "fx_rate"] == "0.123457"
    assert r.loc[0, "announced_date"] == "" and r.loc[0, "supersedes"] == ""
    assert len(r.loc[0, "notes"]) == 60 and r.loc[0, "notes"].endswith("…")


def test_pivot_for_reading_puts_total_first() -> None:
    wide = pd.DataFrame(
        {"2020": [1.0, 5.0, 6.0], "2021": [9.0, 0.0, 9.0]},
        index=pd.Index(["A", "B", "Total"], name="regulator"),
    )
    wide["Total"] = wide.sum(axis=1)
    r = formatting.pivot_for_reading(wide)
    assert list(r.columns) == ["Total", "2020", "2021"]
    assert list(r.index) == ["Total", "A", "B"]  # A (10) before B (5)
