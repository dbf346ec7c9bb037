"""finestats.formatting: amounts, conventions, footnotes and tables written for people."""

from __future__ import annotations

import datetime as dt

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


@pytest.mark.parametrize(
    ("outside", "n", "text"),
    [
        (3, 5, "3 of the 5 fines counted lie outside it: a sample, not a complete count."),
        (12, 12, "All 12 fines counted lie outside it: a sample, not a complete count."),
        (0, 216, "All 216 fines counted lie inside it."),
        (1, 1, "The one fine counted lies outside it: a sample, not a complete count."),
        (0, 1, "The one fine counted lies inside it."),
        (0, 0, ""),  # no fine: nothing to say
        (None, 5, ""),  # no declared scope to judge by
    ],
)
def test_outside_scope_text(outside, n, text) -> None:
    assert formatting.outside_scope_text(outside, n) == text


def test_footnote_and_headline_say_how_many_fines_lie_outside_the_scope() -> None:
    meta = ResultMeta(
        Query(), "t", rate_snapshot="2026-10-30", scope="Complete for X.", n_records=5
    )
    assert formatting.footnote_text(meta).endswith("Scope: Complete for X.")  # not judged
    foot = formatting.footnote_text(meta.replace(n_outside_scope=3))
    assert foot.endswith(
        "Scope: Complete for X. 3 of the 5 fines counted lie outside it: a sample, not a "
        "complete count."
    )
    head = {
        "currency": "EUR",
        "total": 1e6,
        "n_fines": 5,
        "convention": "EUR at ECB rate",
        "view": "imposed",
        "rate_snapshot": "2026-10-30",
        "scope": "Complete for X.",
        "n_outside_scope": 3,
    }
    assert formatting.headline_markdown(head).endswith(
        "Scope: Complete for X&#46; 3 of the 5 fines counted lie outside it: a sample, not a "
        "complete count&#46;"
    )


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


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (7_044_123_456, "EUR 7.04bn"),  # the issue's headline: not "EUR 7bn"
        (346_200_000, "EUR 346M"),  # not "EUR 346.2M" beside it
        (20_000_000 / 0.90915, "EUR 22.0M"),  # GBP 20m at 0.90915: the zero is a digit
        (9_999_000, "EUR 10.0M"),  # rounding up gains a digit: not "EUR 10.00M"
        (99_960_000, "EUR 100M"),  # not "EUR 100.0M"
        (999_960_000, "EUR 1.00bn"),  # into the next unit
        (12_345, "EUR 12.3k"),
        (-1_234_567, "EUR -1.23M"),
    ],
)
def test_format_amount_to_three_significant_digits(x: float, expected: str) -> None:
    assert formatting.format_amount(x, "EUR", significant=3) == expected


def _headline(lifecycle_csv, query: Query) -> dict:
    import finestats
    from finestats.analyses import headline_figures
    from finestats.totals import totals

    data = finestats.load(lifecycle_csv)
    return headline_figures(data, query, totals(data, query=query))


def test_headline_markdown_three_significant_digits_and_the_filters(lifecycle_csv) -> None:
    """Lifecycle fixture in SEK, ICO and IMY decided 2020-2021, at the bundled ECB fixings
    (read from the file: GBP 0.90915 and SEK 10.3593 per EUR on 2020-10-16): ICO GBP 20m =
    20e6 * 10.3593 / 0.90915 = SEK 227,889,787; IMY SEK 10,086,800 as decided. Total SEK
    237,976,587 -> "SEK 238M"; largest SEK 227,889,787 -> "SEK 228M"."""
    import html

    from finestats.snapshots import bundled_snapshot
    from tests.reference import Rates

    ecb = Rates(bundled_snapshot().path)
    day = dt.date(2020, 10, 16)
    assert (ecb.fixing("GBP", day).rate, ecb.fixing("SEK", day).rate) == (0.90915, 10.3593)
    ico = 20e6 * 10.3593 / 0.90915
    assert round(ico) == 227_889_787
    q = Query(currency="SEK", years=(2020, 2021), regulators=("ICO", "IMY"))
    head = _headline(lifecycle_csv, q)
    assert head["total"] == pytest.approx(ico + 10_086_800, rel=1e-12)
    lines = html.unescape(formatting.headline_markdown(head)).split("\n\n")
    assert lines[0] == (
        "**Total: SEK 238M** across **2 fines** (SEK at ECB rate of decision date)."
    )
    assert lines[1].startswith("Largest fine: **SEK 228M**, ICO against Alpha Airways (2020-10-16)")
    assert lines[2] == "Filters: decided 2020-2021; regulators ICO, IMY."
    assert lines[3].startswith("Counting view: imposed")


def test_headline_markdown_of_the_issue_figures_without_filters() -> None:
    head = {
        "currency": "EUR",
        "total": 7_044_123_456.0,
        "n_fines": 243,
        "max": 346_200_000.0,
        "convention": "EUR at ECB rate of decision date",
        "view": "imposed",
        "rate_snapshot": "2026-10-30",
        "filters": "",
        "largest": {"regulator": "X", "defendant": "Y", "decision_date": "2021-01-01"},
    }
    text = formatting.headline_markdown(head)
    assert text.startswith("**Total: EUR 7.04bn** across **243 fines**")
    assert "Largest fine: **EUR 346M**," in text
    assert "Filters" not in text  # no line for filters when there are none


def test_is_money_by_name() -> None:
    money = ["amount", "amount_eur", "total_sek_real_2024", "median_gbp", "notice_eur", "2021"]
    money += ["total_eur_decision_date", "total_gbp_announced_date", "final_eur"]
    other = ["notice_id", "final_id", "final_date", "final_share", "fx_rate", "n_fines", "year"]
    assert [formatting.is_money(c) for c in money] == [True] * len(money)
    assert [formatting.is_money(c) for c in other] == [False] * len(other)


def test_readable_shows_every_rate_and_ratio_to_six_digits() -> None:
    table = pd.DataFrame(
        {
            "fx_rate": [1 / 353.39],
            "implied_rate": [10.0868],
            "real_factor": [126.07 / 116.82],
            "final_share": [2 / 3],
            "total_eur": [1234.5],
        }
    )
    assert formatting.readable(table).iloc[0].tolist() == [
        "0.00282973",
        "10.0868",
        "1.07918",
        "0.666667",
        "1,234",
    ]
