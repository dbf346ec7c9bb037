"""Counting rules and totals on the lifecycle fixture, with every expected figure worked by hand.

The fixture (tests/data/lifecycle.csv, fictional records):
  ICO   2019 provisional GBP 100,000,000  superseded by
  ICO   2020 final       GBP  20,000,000  (2020-10-16, EUR/GBP 0.90915)
  IMY   2021 final       SEK  10,086,800  (2021-02-11, EUR/SEK 10.0868 -> exactly EUR 1,000,000)
  CNIL  2021 final       EUR   5,000,000  reduced by a court (2022) to EUR 2,000,000
  CNIL  2021 final       EUR   3,000,000  annulled by a court (2022)
  CNIL  2022 penalty     EUR     500,000
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from finestats import FinestatsError, RatesError, UsageError, load_fines
from finestats.rates import load_rates
from finestats.summary import counted, headline, pivot, totals

ICO_EUR = 20_000_000 / 0.90915  # ECB EUR/GBP fixing of 2020-10-16


@pytest.fixture
def fines(lifecycle_csv: Path) -> pd.DataFrame:
    return load_fines(lifecycle_csv)


def rows(table: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in table.itertuples(index=False)]


def test_imposed_view_counts_final_and_penalty_only(fines: pd.DataFrame) -> None:
    t = totals(fines)
    assert list(t.columns) == ["regulator", "year", "n_fines", "total_eur", "median_eur", "max_eur"]
    assert t[["regulator", "year", "n_fines"]].values.tolist() == [
        ["CNIL", 2021, 2],
        ["CNIL", 2022, 1],
        ["ICO", 2020, 1],
        ["IMY", 2021, 1],
    ]
    assert t["total_eur"].tolist() == pytest.approx([8_000_000, 500_000, ICO_EUR, 1_000_000])
    assert t["median_eur"].tolist() == pytest.approx([4_000_000, 500_000, ICO_EUR, 1_000_000])
    assert t["max_eur"].tolist() == pytest.approx([5_000_000, 500_000, ICO_EUR, 1_000_000])
    assert ICO_EUR == pytest.approx(21_998_570.09, abs=0.01)


def test_effective_view_applies_court_outcomes(fines: pd.DataFrame) -> None:
    t = totals(fines, view="effective")
    # Gamma's 5m counts as the reduced 2m (in 2021, its decision year); annulled Delta drops out.
    assert t[["regulator", "year", "n_fines"]].values.tolist() == [
        ["CNIL", 2021, 1],
        ["CNIL", 2022, 1],
        ["ICO", 2020, 1],
        ["IMY", 2021, 1],
    ]
    assert t["total_eur"].tolist() == pytest.approx([2_000_000, 500_000, ICO_EUR, 1_000_000])


def test_provisional_never_counted_beside_its_final(fines: pd.DataFrame) -> None:
    with_prov = totals(fines, by="regulator", include_provisional=True)
    assert with_prov.set_index("regulator").loc["ICO", "n_fines"] == 1
    assert with_prov.set_index("regulator").loc["ICO", "total_eur"] == pytest.approx(ICO_EUR)


def test_unsuperseded_provisional_counts_only_when_asked(edited_csv) -> None:
    df = load_fines(edited_csv({(3, "supersedes"): ""}))
    assert totals(df, by="regulator").set_index("regulator").loc["ICO", "n_fines"] == 1
    t = totals(df, by="regulator", include_provisional=True).set_index("regulator")
    # 100m at EUR/GBP 0.89625 (2019-07-08) + 20m at 0.90915 (2020-10-16)
    assert t.loc["ICO", "n_fines"] == 2
    assert t.loc["ICO", "total_eur"] == pytest.approx(100e6 / 0.89625 + ICO_EUR)


def test_penalties_can_be_excluded(fines: pd.DataFrame) -> None:
    t = totals(fines, by=("regulator",), include_penalties=False).set_index("regulator")
    assert t.loc["CNIL", "n_fines"] == 2
    assert t.loc["CNIL", "total_eur"] == pytest.approx(8_000_000)


def test_counted_effective_rows_carry_outcome_status(fines: pd.DataFrame) -> None:
    eff = counted(fines, view="effective")
    got = dict(
        zip(eff["fine_id"], zip(eff["status"].astype(str), eff["amount"], strict=True), strict=True)
    )
    assert got == {
        "ico-2020-alpha": ("final", 20_000_000.0),
        "imy-2021-beta": ("final", 10_086_800.0),
        "cnil-2021-gamma": ("reduced", 2_000_000.0),
        "cnil-2022-gamma-penalty": ("penalty", 500_000.0),
    }


def test_other_currency_and_keys(fines: pd.DataFrame) -> None:
    t = totals(fines, by=("currency", "status"), currency="SEK")
    assert t[["currency", "status", "n_fines"]].values.tolist() == [
        ["EUR", "final", 2],
        ["EUR", "penalty", 1],
        ["GBP", "final", 1],
        ["SEK", "final", 1],
    ]
    sek = t.set_index(["currency", "status"])["total_sek"]
    # EUR fines at the EUR/SEK fixing of their own decision dates: 2021-06-01 and 2021-09-01.
    assert sek[("EUR", "final")] == pytest.approx(5e6 * 10.0955 + 3e6 * 10.1961)
    assert sek[("SEK", "final")] == 10_086_800.0
    assert sek[("GBP", "final")] == pytest.approx(20e6 * 10.3593 / 0.90915)


def test_filters(fines: pd.DataFrame) -> None:
    assert rows(totals(fines, by="regulator", years="2021-2021")[["regulator", "n_fines"]]) == [
        ("CNIL", 2),
        ("IMY", 1),
    ]
    assert rows(totals(fines, by="regulator", regulators=["imy"])[["regulator", "n_fines"]]) == [
        ("IMY", 1)
    ]
    assert rows(totals(fines, by="country", countries=["fr", "GB"])[["country", "n_fines"]]) == [
        ("FR", 3),
        ("GB", 1),
    ]
    assert rows(totals(fines, by="defendant", defendant="gamma")[["defendant", "n_fines"]]) == [
        ("Gamma SA", 2)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"years": "2022-2020"}, "start year 2022 is after end year 2020"),
        ({"years": "20x0"}, "bad year range '20x0'"),
        ({"regulators": ["XYZ"]}, "unknown regulator XYZ: known regulators are CNIL, ICO, IMY"),
        ({"countries": ["DE"]}, "unknown country DE: known countries are FR, GB, SE"),
        ({"defendant": "Nobody"}, "no defendant matches 'Nobody'"),
        ({"by": "planet"}, "cannot group by planet"),
        ({"view": "imagined"}, "unknown view 'imagined'"),
    ],
)
def test_bad_arguments(fines: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        totals(fines, **kwargs)


def test_unknown_currency_is_an_error_even_with_no_rows(fines: pd.DataFrame) -> None:
    with pytest.raises(RatesError, match="XYZ"):
        totals(fines, currency="XYZ")
    with pytest.raises(FinestatsError, match="XYZ"):
        totals(fines, currency="XYZ", years="1999")


def test_pivot_has_totals_both_ways(fines: pd.DataFrame) -> None:
    p = pivot(fines, "EUR")
    assert list(p.columns) == ["2020", "2021", "2022", "Total"]
    assert list(p.index) == ["CNIL", "ICO", "IMY", "Total"]
    assert p.loc["CNIL", "2020"] == 0.0
    assert p.loc["CNIL", "Total"] == pytest.approx(8_500_000)
    assert p.loc["Total", "2021"] == pytest.approx(9_000_000)
    assert p.loc["Total", "Total"] == pytest.approx(9_500_000 + ICO_EUR)


def test_headline(fines: pd.DataFrame) -> None:
    h = headline(totals(fines))
    assert h["n_fines"] == 5
    assert h["total"] == pytest.approx(9_500_000 + ICO_EUR)
    assert h["max"] == pytest.approx(ICO_EUR)


def test_conventions_at_fixed_date_and_year_average(fines: pd.DataFrame) -> None:
    fixed = totals(fines, by="regulator", at="2024-12-28").set_index("regulator")
    ann = totals(fines, by="regulator", on="announced_date", regulators=["IMY", "ICO"])
    assert fixed.attrs["finestats"]["at"] == "2024-12-28"
    # Saturday 2024-12-28: the fixing of Friday 2024-12-27 applies (EUR/SEK 11.4795).
    assert fixed.loc["IMY", "total_eur"] == pytest.approx(10_086_800 / 11.4795)
    # IMY's announcement 2021-02-12: EUR/SEK 10.0818.
    assert ann.set_index("regulator").loc["IMY", "total_eur"] == pytest.approx(10_086_800 / 10.0818)
    # Year average: the mean of 2021's daily EUR/SEK fixings (10.146463 to six places).
    avg = totals(fines, by="regulator", at="year-average", regulators=["IMY"])
    mean_2021 = load_rates().frame.loc["2021", "SEK"].mean()
    assert mean_2021 == pytest.approx(10.146463, abs=1e-6)
    assert avg.loc[0, "total_eur"] == pytest.approx(10_086_800 / mean_2021)


def test_selection_metadata(fines: pd.DataFrame) -> None:
    meta = totals(fines, currency="usd", years=2021).attrs["finestats"]
    assert meta["currency"] == "USD"
    assert meta["years"] == [2021, 2021]
    assert meta["view"] == "imposed"
    assert meta["rate_snapshot"] == "2026-10-30"
    assert meta["n_records"] == 3
