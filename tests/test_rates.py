"""Reading ECB rate files strictly: a whole file or a RatesError naming file, line and column."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finestats.conversion import convert
from finestats.errors import RatesError
from finestats.rates import EURO_LEGACY, RateTable, read_ecb_bytes, read_ecb_file
from finestats.snapshots import load_rates

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
