"""CSV exports: tidy, rounded to cents, deterministic, atomic, with a provenance sidecar."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import finestats
from finestats import fileio
from finestats.export import export_csv, meta_path, neutralise, to_csv_text
from finestats.fileio import atomic_write, file_sha256
from finestats.totals import pivot, totals
from finestats.workbook import export_xlsx
from tests.conftest import records_csv


@pytest.fixture
def table(lifecycle_csv: Path) -> pd.DataFrame:
    return totals(finestats.load_fines(lifecycle_csv), currency="USD", years="2020-2022")


def test_csv_text_is_tidy_and_rounded(table: pd.DataFrame) -> None:
    text = to_csv_text(table)
    lines = text.split("\n")
    assert lines[0] == "regulator,year,n_fines,total_usd,median_usd,max_usd"
    # ICO 2020: GBP 20m at EUR/GBP 0.90915 and EUR/USD 1.1741 on 2020-10-16 = USD 25,828,521.15
    assert lines[3] == "ICO,2020,1,25828521.15,25828521.15,25828521.15"
    assert "\r" not in text and text.endswith("\n")


def test_dates_are_iso(lifecycle_csv: Path) -> None:
    conv = finestats.load_fines(lifecycle_csv).fines.convert("EUR")
    text = to_csv_text(conv[["fine_id", "decision_date", "fx_date", "amount_eur", "fx_rate"]])
    line = next(x for x in text.split("\n") if x.startswith("imy-2021-beta,"))
    *head, rate = line.split(",")
    assert head == ["imy-2021-beta", "2021-02-11", "2021-02-11", "1000000.0"]
    assert float(rate) == pytest.approx(1 / 10.0868, rel=1e-15)  # full precision, not cents


def test_pivot_csv_keeps_its_index(lifecycle_csv: Path) -> None:
    text = to_csv_text(pivot(finestats.load_fines(lifecycle_csv), "EUR"))
    assert text.split("\n")[0] == "regulator,2020,2021,2022,Total"
    assert text.split("\n")[1] == "CNIL,0.0,8000000.0,500000.0,8500000.0"


def test_pivot_by_status_rounds_every_money_cell(tmp_path: Path) -> None:
    """A pivot's cells are money whatever its columns are named (final, provisional, a regulator):
    SEK 1,000 on 2021-02-11 is EUR 1000 / 10.0868 = 99.13946940556 (ECB file), written 99.14."""
    fines = finestats.load(records_csv(tmp_path, {}, {"status": "provisional"}))
    table = pivot(fines, "EUR", columns="status", include_provisional=True)
    assert table.loc["IMY", "final"] == pytest.approx(1000 / 10.0868, rel=1e-12)
    lines = to_csv_text(table).split("\n")
    assert lines[0] == "regulator,final,provisional,Total"
    assert lines[1] == "IMY,99.14,99.14,198.28"
    out = export_xlsx(table, tmp_path / "p.xlsx")
    sheet = openpyxl.load_workbook(out)["data"]
    assert [c.number_format for c in sheet[2]][1:] == ["#,##0.00"] * 3


def test_export_writes_sidecar(tmp_path: Path, table: pd.DataFrame, lifecycle_csv: Path) -> None:
    out = export_csv(table, tmp_path / "sub" / "totals.csv")
    meta = json.loads(meta_path(out).read_text(encoding="utf-8"))
    assert meta["currency"] == "USD"
    assert meta["rows"] == 4
    assert meta["view"] == "imposed"
    assert meta["on"] == "decision_date"
    assert meta["years"] == [2020, 2022]
    assert meta["rate_snapshot"] == "2026-10-30"
    assert "eurofxref" in meta["rate_source"]
    assert meta["data_file"] == "lifecycle.csv"
    assert meta["data_sha256"] == file_sha256(lifecycle_csv)
    assert meta["finestats_version"] == finestats.__version__


def test_same_inputs_same_bytes(tmp_path: Path, lifecycle_csv: Path) -> None:
    def run(folder: str) -> tuple[bytes, bytes]:
        t = totals(finestats.load_fines(lifecycle_csv), currency="SEK", view="effective")
        p = export_csv(t, tmp_path / folder / "t.csv")
        return p.read_bytes(), meta_path(p).read_bytes()

    assert run("a") == run("b")


def test_interrupted_write_leaves_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n", encoding="utf-8")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half a fi", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_crash)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(start: str) -> None:
    t = pd.DataFrame({"defendant": [f'{start}HYPERLINK("x")', "Meta"], "total_eur": [-5.0, 1.0]})
    text = to_csv_text(t)
    line = text.split("\n")[1]
    assert line.startswith(f"\"'{start}HYPERLINK") or line.startswith(f"'{start}HYPERLINK")
    assert line.endswith(",-5.0")  # numbers are never touched
    plain = to_csv_text(t, neutralise_formulas=False)
    assert f"'{start}HYPERLINK" not in plain and f"{start}HYPERLINK" in plain


def test_neutralise_leaves_safe_cells_and_numbers(lifecycle_csv: Path) -> None:
    df = finestats.load_fines(lifecycle_csv).fines.convert("EUR")
    df.loc[2, "defendant"] = "=1+1"
    df.loc[3, "notes"] = "\t=cmd|' /C calc'!A0"
    out = neutralise(df)
    assert out.loc[2, "defendant"] == "'=1+1" and out.loc[3, "notes"].startswith("'\t=")
    assert out.loc[4, "defendant"] == df.loc[4, "defendant"]
    pd.testing.assert_series_equal(out["amount_eur"], df["amount_eur"])


def test_sidecar_says_formulas_were_neutralised(tmp_path: Path, table: pd.DataFrame) -> None:
    out = export_csv(table, tmp_path / "t.csv")
    meta = json.loads(meta_path(out).read_text())
    assert "apostrophe" in meta["formulas_neutralised"]
    assert meta["csv_sha256"] == file_sha256(out)
    plain = export_csv(table, tmp_path / "p.csv", neutralise_formulas=False)
    assert json.loads(meta_path(plain).read_text())["formulas_neutralised"] is False


def test_csv_and_sidecar_are_replaced_together(tmp_path: Path, table, monkeypatch) -> None:
    out = export_csv(table, tmp_path / "t.csv")
    before = (out.read_bytes(), meta_path(out).read_bytes())
    real = fileio.text_writer
    calls = []

    def full_disk_on_the_sidecar(text: str):
        write = real(text)
        calls.append(1)
        if len(calls) == 2:

            def fail(tmp: Path) -> None:
                raise OSError(errno.ENOSPC, "No space left on device")

            return fail
        return write

    monkeypatch.setattr("finestats.export.text_writer", full_disk_on_the_sidecar)
    with pytest.raises(finestats.UsageError, match="no space left on the device"):
        export_csv(table.assign(n_fines=table["n_fines"] + 1), out)
    assert (out.read_bytes(), meta_path(out).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.meta.json"]


def test_os_errors_are_one_line_naming_the_path(tmp_path: Path, table) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(
        finestats.UsageError, match=f"{blocker}.*a file of that name exists|not a folder"
    ):
        export_csv(table, blocker / "t.csv")
    with pytest.raises(finestats.UsageError, match="empty path"):
        export_csv(table, "")
