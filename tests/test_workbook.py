"""finestats.workbook: xlsx exports read back with openpyxl, cell by cell.

Figures at the bundled ECB fixings (read from the file by tests/reference.py, which shares no
code with finestats): NAIH v Digi, HUF 100,000,000 decided 2020-05-18 at 353.39 HUF per EUR =
EUR 282,973.49 (rate 1 / 353.39 = 0.0028297...); NAIH v Budapest Bank, HUF 250,000,000 on
2022-02-08 at 353.09 = EUR 708,034.78.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import finestats
from finestats.analyses import all_converted, fines_behind, nominal_and_real
from finestats.conversion import convert
from finestats.export import export_csv, to_csv_text
from finestats.fileio import file_sha256
from finestats.query import Query, meta_of
from finestats.snapshots import bundled_snapshot
from finestats.totals import pivot, totals
from finestats.workbook import export_xlsx, read_export, report_workbook
from tests.conftest import SHIPPED, records_csv, run_cli
from tests.reference import Rates

MONEY, RATE, DATE = "#,##0.00", "0.0000000000", "yyyy-mm-dd"
FORMULAS = ("=1+1", "+SUM(A1)", "@x", "-2+3", '=HYPERLINK("http://x","y")')


@pytest.fixture(scope="module")
def shipped() -> finestats.Collection:
    return finestats.load(SHIPPED)


@pytest.fixture(scope="module")
def ecb() -> Rates:
    return Rates(bundled_snapshot().path)


def cells(path: Path, sheet: str = "data") -> tuple[list[str], list[list[Any]]]:
    """(header, rows of openpyxl cells) of one sheet."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows())
    return [c.value for c in rows[0]], [list(r) for r in rows[1:]]


def by_column(path: Path, key: str, sheet: str = "data") -> dict[Any, dict[str, Any]]:
    """Each data row's cells by column name, keyed by the value of column ``key``."""
    header, rows = cells(path, sheet)
    out = {}
    for row in rows:
        named = dict(zip(header, row, strict=True))
        out[named[key].value] = named
    return out


def about(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)["about"]
    return {k: v for k, v in ws.iter_rows(min_row=2, values_only=True)}


def huf_fines(data: finestats.Collection) -> pd.DataFrame:
    """The two HUF fines converted to EUR: a filtered frame (row labels 303 and 304, not 0-1)."""
    fines = data.fines
    return convert(fines[fines["currency"].astype(str).eq("HUF")], "EUR")


def test_numbers_dates_money_and_full_precision_rates(tmp_path, shipped, ecb) -> None:
    digi = ecb.fixing("HUF", dt.date(2020, 5, 18))
    assert digi.rate == 353.39
    table = huf_fines(shipped)
    assert list(table.index) != [0, 1]  # a filtered frame's leftover labels
    path = export_xlsx(table, tmp_path / "huf.xlsx")
    header, _ = cells(path)
    assert header[0] == "fine_id"  # no column of row labels
    row = by_column(path, "fine_id")["naih-2020-digi"]
    amount, eur, rate = row["amount"], row["amount_eur"], row["fx_rate"]
    assert (amount.data_type, amount.value, amount.number_format) == ("n", 100_000_000, MONEY)
    assert (eur.data_type, eur.number_format) == ("n", MONEY)
    assert eur.value == 282_973.49  # 1e8 / 353.39 = 282,973.4854, to the cent as in the CSV
    assert rate.data_type == "n" and rate.number_format == RATE
    assert rate.value == pytest.approx(1 / 353.39, rel=1e-15)  # not 0.0, not 0.00283
    for col in ("decision_date", "fx_date"):
        assert row[col].is_date and row[col].number_format == DATE
        assert row[col].value == dt.datetime(2020, 5, 18)
    assert (row["year"].data_type, row["year"].value) == ("n", 2020)
    assert row["announced_date"].value is None  # missing: an empty cell, not "NaT"
    bank = by_column(path, "fine_id")["naih-2022-budapest-bank"]
    assert bank["amount_eur"].value == 708_034.78  # 2.5e8 / 353.09 = 708,034.7787


def test_counts_and_totals_of_a_summary(tmp_path, shipped) -> None:
    """AP decided 2024, hand-added from data/raw/fines.csv: 600,000 + 30,500,000 + 4,750,000 +
    290,000,000 = EUR 325,850,000 in 4 fines (EUR fines: no conversion)."""
    path = export_xlsx(totals(shipped, regulators="AP", years="2024"), tmp_path / "ap.xlsx")
    row = by_column(path, "regulator")["AP"]
    assert (row["n_fines"].data_type, row["n_fines"].value) == ("n", 4)
    assert row["n_fines"].number_format == "#,##0"
    assert (row["total_eur"].value, row["total_eur"].number_format) == (325_850_000, MONEY)
    assert (row["year"].value, row["year"].number_format) == (2024, "General")  # not 2,024


def test_totals_by_year_in_columns_are_money_and_the_years_are_not(tmp_path, shipped) -> None:
    """nominal_and_real: every cell a total (named in words, not total_...), indexed by year.
    Both exports round the cells to cents; the year stays a plain number."""
    table = nominal_and_real(totals(shipped, "year", query=Query(years=(2019, 2024), real=2024)))
    text = to_csv_text(table).split("\n")
    assert text[0] == "year,nominal (EUR of each year),in 2024 prices"
    path = export_xlsx(table, tmp_path / "real.xlsx")
    for line in text[1:-1]:
        year, nominal, real = line.split(",")
        row = by_column(path, "year")[int(year)]
        assert row["year"].number_format == "General"
        assert len(nominal.split(".")[-1]) <= 2 and len(real.split(".")[-1]) <= 2
        assert row["nominal (EUR of each year)"].value == float(nominal)
        assert row["in 2024 prices"].value == float(real)
        assert row["in 2024 prices"].number_format == MONEY


@pytest.mark.parametrize("text", FORMULAS)
def test_text_like_a_formula_is_a_text_cell(tmp_path, text) -> None:
    data = finestats.load(records_csv(tmp_path, {"defendant": text, "notes": text}))
    path = export_xlsx(fines_behind(data, Query()), tmp_path / "f.xlsx")
    row = by_column(path, "fine_id")["imy-2021-r0"]
    assert (row["defendant"].data_type, row["defendant"].value) == ("s", text)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    assert "apostrophe" not in json.dumps(about(path))  # nothing was prefixed, none is claimed
    assert "never as a formula" in about(path)["text_cells"]


def test_about_sheet_says_what_the_table_is(tmp_path, shipped) -> None:
    q = Query(currency="SEK", regulators=("IMY",), years=(2020, 2022), view="effective")
    table = totals(shipped, "year", query=q)
    info = about(export_xlsx(table, tmp_path / "imy.xlsx"))
    assert info["currency"] == "SEK" and info["view"] == "effective"
    assert info["rate_snapshot"] == "2026-10-30"
    assert info["rate_sha256"] == file_sha256(Path(bundled_snapshot().path))
    assert info["data_file"] == "fines.csv" and info["data_sha256"] == file_sha256(SHIPPED)
    assert json.loads(info["regulators"]) == ["IMY"] and json.loads(info["years"]) == [2020, 2022]
    assert info["scope"] == meta_of(table).scope and info["scope"].startswith("Complete for")
    assert info["finestats_version"] == finestats.__version__
    assert info["rows"] == "3" and json.loads(info["by"]) == ["year"]


def frames(data: finestats.Collection) -> dict[str, pd.DataFrame]:
    conv = convert(data.fines, "EUR")
    small = conv[conv["currency"].astype(str).isin(["HUF", "SEK", "GBP", "NOK"])]
    return {
        "filtered": small,
        "sorted": small.sort_values("amount_eur", ascending=False),
        "sampled": small.sample(frac=0.5, random_state=3),
        "concatenated": pd.concat([small.iloc[5:], small.iloc[:5]]),
        "pivot": pivot(data, "EUR"),
    }


@pytest.mark.parametrize("shape", ["filtered", "sorted", "sampled", "concatenated", "pivot"])
def test_the_workbook_holds_the_values_of_the_csv(tmp_path, shipped, shape) -> None:
    table = frames(shipped)[shape]
    csv = read_export(export_csv(table, tmp_path / "t.csv"))
    header, rows = cells(export_xlsx(table, tmp_path / "t.xlsx"))
    assert header == [str(c) for c in csv.columns]
    assert len(rows) == len(csv) > 0
    for i, row in enumerate(rows):
        for col, cell in zip(header, row, strict=True):
            want = csv[col].iloc[i]
            if pd.isna(want):
                assert cell.value is None, (shape, i, col)
            elif isinstance(want, pd.Timestamp):
                assert cell.value == want.to_pydatetime(), (shape, i, col)
            elif isinstance(want, float) and cell.number_format != MONEY:
                # XlsxWriter writes 16 significant digits: a rate may lose its 17th
                assert cell.value == pytest.approx(want, rel=1e-15), (shape, i, col)
            else:  # text, counts, and money to the cent in both
                assert cell.value == want, (shape, i, col, cell.value, want)


def test_same_inputs_same_bytes(tmp_path, shipped) -> None:
    """Twice the same table to the same file name (the about sheet names the file), in two
    folders, a second apart: the same bytes (fixed creation date, no clock in the zip)."""
    table = huf_fines(shipped)
    first = export_xlsx(table, tmp_path / "a" / "huf.xlsx").read_bytes()
    time.sleep(1.1)
    assert export_xlsx(table, tmp_path / "b" / "huf.xlsx").read_bytes() == first
    for folder in ("c", "d"):
        out = tmp_path / folder / "all.xlsx"
        assert run_cli("convert", "--to", "SEK", "--out", str(out)).returncode == 0
    assert (tmp_path / "c" / "all.xlsx").read_bytes() == (tmp_path / "d" / "all.xlsx").read_bytes()


def test_cli_workbooks_hold_what_the_library_computes(tmp_path, shipped) -> None:
    out = tmp_path / "ico.xlsx"
    args = ["--regulator", "ICO", "--currency", "GBP", "--years", "2020"]
    proc = run_cli("fines", *args, "--sort", "amount:asc", "--format", "xlsx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lib = fines_behind(shipped, Query(currency="GBP", regulators=("ICO",), years=(2020, 2020)))
    header, rows = cells(out)
    assert header == list(lib.columns)  # the source and court events too, unlike the table
    got = [(r[0].value, r[header.index("amount_gbp")].value) for r in rows]
    # ICO 2020 in GBP (no conversion), smallest first; the Ticketmaster notice is replaced
    assert got == [
        ("ico-2020-cathay-pacific", 500_000),
        ("ico-2020-dsg-retail", 500_000),
        ("ico-2020-ticketmaster", 1_250_000),
        ("ico-2020-marriott", 18_400_000),
        ("ico-2020-british-airways", 20_000_000),
    ]
    info = about(out)
    assert json.loads(info["regulators"]) == ["ICO"] and info["currency"] == "GBP"
    summary = tmp_path / "s.xlsx"
    proc = run_cli("summary", *args, "--by", "regulator", "--format", "xlsx", "--out", str(summary))
    assert proc.returncode == 0, proc.stderr
    row = by_column(summary, "regulator")["ICO"]
    assert (row["n_fines"].value, row["total_gbp"].value) == (5, 40_650_000)
    converted = tmp_path / "all.xlsx"
    assert run_cli("convert", "--to", "EUR", "--out", str(converted)).returncode == 0
    header, rows = cells(converted)
    assert header == list(all_converted(shipped, Query()).columns)
    assert len(rows) == len(shipped.fines)
    assert by_column(converted, "fine_id")["naih-2020-digi"]["amount_eur"].value == 282_973.49


def test_report_workbook_types_formats_and_about(tmp_path, shipped) -> None:
    """A report folder built by hand (the CSVs as the notebooks export them): the workbook has
    one sheet per CSV, typed and formatted as the CSV says."""
    weird = finestats.load(records_csv(tmp_path, {"defendant": "=1+1"}, {"defendant": "-2+3"}))
    real = Query(currency="EUR", years=(2019, 2024), real=2024)
    tables = {
        "pivot_regulator_year": pivot(shipped, "EUR"),
        "real_terms_by_year": nominal_and_real(totals(shipped, "year", query=real)),
        "fines_behind_totals": fines_behind(shipped, Query(regulators=("NAIH",))),
        "odd_names": fines_behind(weird, Query()),
    }
    folder = tmp_path / "report"
    for name, table in tables.items():
        export_csv(table, folder / f"{name}.csv")
    manifest = {
        "report": "2026-12-01-EUR",
        "notebooks": [{"files": [f"{n}.csv" for n in tables]}],
        "currency": "EUR",
        "filters": "decided 2019-2024",
        "scope": meta_of(tables["pivot_regulator_year"]).scope,
        "rate_snapshot": "2026-10-30",
        "data_file": str(SHIPPED),
        "data_sha256": file_sha256(SHIPPED),
        "versions": {"finestats": finestats.__version__},
    }
    path = report_workbook(folder, manifest)
    assert openpyxl.load_workbook(path).sheetnames == [*tables, "about"]
    wide = by_column(path, "year", "real_terms_by_year")[2020]
    assert wide["year"].number_format == "General"  # the row label is not money
    assert [wide[c].number_format for c in list(wide)[1:]] == [MONEY, MONEY]
    assert wide["in 2024 prices"].value == round(wide["in 2024 prices"].value, 2)
    total = by_column(path, "regulator", "pivot_regulator_year")["Total"]
    assert {c.number_format for k, c in total.items() if k != "regulator"} == {MONEY}
    digi = by_column(path, "fine_id", "fines_behind_totals")["naih-2020-digi"]
    assert digi["amount_eur"].value == 282_973.49
    assert digi["fx_rate"].value == pytest.approx(1 / 353.39, rel=1e-15)
    assert digi["decision_date"].is_date
    names = {
        r["defendant"].value: r["defendant"].data_type
        for r in by_column(path, "fine_id", "odd_names").values()
    }
    assert names == {"=1+1": "s", "-2+3": "s"}  # the CSV's apostrophes are taken off, as text
    info = about(path)
    assert info["currency"] == "EUR" and info["rate_snapshot"] == "2026-10-30"
    assert info["data_sha256"] == file_sha256(SHIPPED) and info["data_file"] == "fines.csv"
    assert info["filters"] == "decided 2019-2024" and info["scope"].startswith("Complete for")
    assert info["finestats_version"] == finestats.__version__
    assert report_workbook(folder, manifest).read_bytes() == path.read_bytes()
