"""CSV exports: tidy, rounded to cents, deterministic, atomic, with a provenance sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import finestats
from finestats.export import atomic_write, export_csv, meta_path, to_csv_text
from finestats.records import file_sha256
from finestats.summary import pivot, totals


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
