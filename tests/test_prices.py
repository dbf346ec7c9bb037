"""price_indices.csv and constant prices: factors from the bundled indices, errors by fine_id."""

from __future__ import annotations

import pandas as pd
import pytest

import finestats
from finestats import FineDataError, RatesError
from finestats.prices import index_for, load_prices


def fines(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["fine_id", "amount", "currency", "decision_date"])
    df["decision_date"] = pd.to_datetime(df["decision_date"])
    return df


def test_bundled_indices() -> None:
    p = load_prices()
    assert set(p["area"]) >= {"EA", "GB", "SE", "US"}
    ea = index_for("EUR", p)
    assert ea[2019] == 104.80 and ea[2024] == 126.07
    assert list(index_for("GBP", p).index) == list(range(2018, 2026))


def test_real_conversion_uses_the_ratio_of_annual_averages() -> None:
    df = fines([("a", 50_000_000, "EUR", "2019-01-21"), ("b", 20_000_000, "GBP", "2020-10-16")])
    out = finestats.convert(df, "EUR", real=2024)
    assert out["real_factor"].tolist() == pytest.approx(
        [126.07 / 104.80, 126.07 / 105.06], rel=1e-12
    )
    assert out["amount_eur_real_2024"].iloc[1] == pytest.approx(26_397_865.33, abs=0.01)
    gbp = finestats.convert(df, "GBP", real=2025)
    assert gbp["real_factor"].iloc[1] == pytest.approx(138.4 / 108.7, rel=1e-12)
    assert finestats.convert(df, "EUR", real=2019)["real_factor"].iloc[0] == 1.0


def test_no_index_or_year_outside_is_an_error_naming_the_fines() -> None:
    with pytest.raises(RatesError, match="no price index for JPY"):
        finestats.convert(fines([("a", 1.0, "EUR", "2020-01-02")]), "JPY", real=2024)
    with pytest.raises(RatesError, match="base year 2030 is outside the EUR price index"):
        finestats.convert(fines([("a", 1.0, "EUR", "2020-01-02")]), "EUR", real=2030)
    with pytest.raises(RatesError) as info:
        finestats.convert(
            fines([("old", 1.0, "EUR", "2017-05-02"), ("ok", 1.0, "EUR", "2020-01-02")]),
            "EUR",
            real=2024,
        )
    assert info.value.fine_ids == ["old"] and "2018-2025" in str(info.value)


def test_totals_add_a_real_column(lifecycle_csv) -> None:
    df = finestats.load_fines(lifecycle_csv)
    t = finestats.totals(df, "year", real=2024).set_index("year")
    assert list(t.columns) == [
        "n_fines",
        "total_eur",
        "total_eur_real_2024",
        "median_eur",
        "max_eur",
    ]
    assert t.loc[2021, "total_eur_real_2024"] == pytest.approx(
        t.loc[2021, "total_eur"] * 126.07 / 107.78
    )
    meta = finestats.meta_of(t)
    assert meta.extra["real_base_year"] == 2024 and "HICP" in meta.extra["price_index"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace(
                'EA,EUR,"HICP (Eurostat, euro area, changing composition)",2020,105.06',
                'EA,EUR,"HICP (Eurostat, euro area, changing composition)",2020,-1',
            ),
            "column 'value' value '-1'",
        ),
        (
            lambda t: (
                "\n".join(r for r in t.splitlines() if ",2021," not in r or not r.startswith("GB"))
                + "\n"
            ),
            "consecutive years for GB",
        ),
        (
            lambda t: t.replace(
                ",2015=100,https://github.com/SussexUCU",
                ",2010=100,https://github.com/SussexUCU",
                1,
            ),
            "the same value on every row of the area",
        ),
    ],
)
def test_bad_index_files(tmp_path, change, message) -> None:
    from finestats.paths import RAW, SOURCE_ROOT

    text = (SOURCE_ROOT / RAW / "price_indices.csv").read_text(encoding="utf-8")
    path = tmp_path / "price_indices.csv"
    path.write_text(change(text), encoding="utf-8")
    with pytest.raises(FineDataError, match=message):
        load_prices(path)
