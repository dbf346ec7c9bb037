"""finestats.report: parameter checks, the report folder, failures that keep the last good report,
and the ``finestats report`` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import finestats
from finestats.errors import FinestatsError, RatesError, UsageError
from finestats.records import file_sha256
from finestats.report import ReportError, _replace_dir, build_report, check_parameters

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
FINESTATS = REPO / ".venv" / "bin" / "finestats"
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- check_parameters ------------------------------------------------------------------------


def test_check_parameters_defaults_give_the_totals_arguments(tmp_path: Path) -> None:
    ctx = check_parameters(output_dir=tmp_path / "new" / "dir")
    assert ctx.output_dir.is_dir()
    assert ctx.currency == "EUR" and ctx.years is None and ctx.regulators == []
    kw = ctx.totals_kwargs
    assert kw["currency"] == "EUR" and kw["view"] == "imposed" and kw["regulators"] is None
    assert ctx.path("x.csv") == tmp_path / "new" / "dir" / "x.csv"


def test_check_parameters_normalises() -> None:
    ctx = check_parameters(currency="usd", start_year=2020, regulators=["ico", "CNIL"])
    assert ctx.currency == "USD"
    assert ctx.regulators == ["ICO", "CNIL"]
    assert ctx.years == (2020, int(finestats.load_fines()["year"].max()))
    assert check_parameters(end_year=2021).years[1] == 2021
    assert check_parameters(regulator="ico").regulator == "ICO"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"currency": "XYZ"}, RatesError, "unknown currency 'XYZ'"),
        ({"start_year": 2022, "end_year": 2019}, UsageError, "start year 2022 is after end year"),
        ({"regulators": ["ICO", "NOPE"]}, UsageError, "unknown regulator NOPE: known regulators"),
        ({"regulator": "NOPE"}, UsageError, "unknown regulator NOPE"),
        ({"defendant": "Nobody Inc"}, UsageError, "no defendant matches 'Nobody Inc'"),
        ({"view": "gross"}, UsageError, "unknown view 'gross'"),
        ({"on": "filed_date"}, UsageError, "on='filed_date'"),
        ({"at": "yesterday"}, UsageError, "at='yesterday': expected a date"),
        ({"start_year": "twenty"}, UsageError, "start_year must be a year"),
    ],
)
def test_check_parameters_fails_with_one_clear_message(kwargs, error, message) -> None:
    with pytest.raises(error) as info:
        check_parameters(**kwargs)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_report_error_reads_well() -> None:
    err = ReportError("02-x.ipynb", cell_index=5, exec_count=4, ename="ValueError",
                      evalue="bad\nthing", kept=Path("out/failed/02-x.ipynb"))  # fmt: skip
    assert isinstance(err, FinestatsError)
    assert str(err) == (
        "notebook 02-x.ipynb failed in cell 5 (In [4]): ValueError: bad thing; "
        "executed copy kept at out/failed/02-x.ipynb"
    )


def test_replace_dir_moves_the_old_one_aside(tmp_path: Path) -> None:
    final, build = tmp_path / "2024-01-01-EUR", tmp_path / ".build-x"
    final.mkdir()
    (final / "old.txt").write_text("old")
    build.mkdir()
    (build / "new.txt").write_text("new")
    _replace_dir(build, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["2024-01-01-EUR"]


# -- the report folder -----------------------------------------------------------------------


@pytest.mark.slow
def test_report_folder_contents(report: Path) -> None:
    today = dt.date.today()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-EUR", report.name)
    assert report.name[:10] in {today.isoformat(), (today - dt.timedelta(days=1)).isoformat()}
    names = {p.name for p in report.iterdir()}
    for stem in STEMS:
        assert f"{stem}.ipynb" in names and f"{stem}.html" in names
    assert {"index.html", "manifest.json", "headline.json"} <= names
    pngs = {n for n in names if n.endswith(".png")}
    assert len(pngs) >= 6
    assert {n.replace(".png", ".svg") for n in pngs} <= names
    csvs = ["totals_by_regulator_year.csv", "totals_by_regulator.csv", "pivot_regulator_year.csv",
            "conversion_audit.csv", "defendant_decisions.csv"]  # fmt: skip
    for csv in csvs:
        assert csv in names and csv.replace(".csv", ".meta.json") in names
    # nothing left over beside it
    siblings = [p.name for p in report.parent.iterdir()]
    assert siblings == [report.name]


@pytest.mark.slow
def test_report_csv_matches_the_library(report: Path) -> None:
    from finestats.summary import totals

    got = pd.read_csv(report / "totals_by_regulator_year.csv")
    expected = totals(finestats.load_fines(), ("regulator", "year"), "EUR")
    assert got["total_eur"].tolist() == pytest.approx(expected["total_eur"].round(2).tolist())


@pytest.mark.slow
def test_manifest(report: Path) -> None:
    from finestats.rates import load_rates

    m = json.loads((report / "manifest.json").read_text())
    assert m["currency"] == "EUR" and m["parameters"] == {"currency": "EUR"}
    assert m["rate_snapshot"] == f"{load_rates().snapshot_date:%Y-%m-%d}"
    assert m["data_sha256"] == file_sha256(REPO / "data" / "raw" / "fines.csv")
    assert set(m["versions"]) == {"finestats", "pandas", "matplotlib", "papermill", "nbconvert"}
    assert m["versions"]["finestats"] == finestats.__version__
    assert [nb["notebook"] for nb in m["notebooks"]] == [f"{s}.ipynb" for s in STEMS]
    for nb in m["notebooks"]:
        assert nb["status"] == "ok" and nb["duration_s"] > 0
        assert nb["parameters"]["currency"] == "EUR"
        assert nb["files"], nb


@pytest.mark.slow
def test_index_and_notebook_pages(report: Path) -> None:
    index = (report / "index.html").read_text()
    for stem in STEMS:
        assert f'href="{stem}.html"' in index
    srcs = re.findall(r'<img src="([^"]+)"', index)
    assert len(srcs) >= 6
    for src in srcs:
        assert "/" not in src and (report / src).is_file()
    head = json.loads((report / "headline.json").read_text())
    assert f"{head['n_fines']}" in index and "EUR" in index
    for stem in STEMS:
        page = (report / f"{stem}.html").read_text()
        assert "check_parameters(" not in page  # code hidden
        assert 'src="data:image/png;base64,' in page  # charts embedded
        assert not re.search(r'<script[^>]+src="https?:', page)  # self-contained
        executed = json.loads((report / f"{stem}.ipynb").read_text())
        assert all(c.get("execution_count") for c in executed["cells"] if c["cell_type"] == "code")


# -- failures --------------------------------------------------------------------------------


def _broken_notebooks(tmp_path: Path) -> Path:
    """A copy of notebooks/ whose 02 notebook raises in its fourth cell."""
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder)
    path = folder / "02-regulator-profile.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].insert(3, {"cell_type": "code", "execution_count": None, "id": "boom",
                           "metadata": {}, "outputs": [],
                           "source": ["raise RuntimeError('boom in the profile')"]})  # fmt: skip
    path.write_text(json.dumps(nb))
    return folder


@pytest.mark.slow
def test_failing_notebook_keeps_the_last_good_report(report: Path, tmp_path: Path) -> None:
    out = report.parent
    before = _digest(report)
    with pytest.raises(ReportError) as info:
        build_report("EUR", {}, out, progress=False, notebooks_dir=_broken_notebooks(tmp_path))
    err = info.value
    msg = str(err)
    assert "02-regulator-profile.ipynb" in msg
    assert err.cell_index == 4  # after the injected parameters cell
    assert "cell 4" in msg and "RuntimeError: boom in the profile" in msg
    assert err.kept is not None and err.kept.is_file()
    assert err.kept == out / f"failed-{report.name}" / "02-regulator-profile.ipynb"
    assert str(err.kept) in msg and "\n" not in msg
    kept = json.loads(err.kept.read_text())
    assert any(
        o.get("ename") == "RuntimeError" for c in kept["cells"] for o in c.get("outputs", [])
    )
    # the last good report is byte-identical; no build folders are left behind
    assert _digest(report) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([report.name, err.kept.parent.name])
    shutil.rmtree(err.kept.parent)


@pytest.mark.slow
def test_bad_parameters_fail_before_any_kernel_starts(tmp_path: Path) -> None:
    with pytest.raises(RatesError, match="unknown currency 'XYZ'"):
        build_report("EUR", {"currency": "XYZ"}, tmp_path / "out", progress=False)
    with pytest.raises(UsageError, match="unknown parameter colour"):
        build_report("EUR", {"colour": "red"}, tmp_path / "out", progress=False)
    with pytest.raises(UsageError, match="output_dir is set by the report"):
        build_report("EUR", {"output_dir": "x"}, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


# -- the command -----------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_report_with_parameters(tmp_path: Path) -> None:
    from finestats.summary import pivot

    out = tmp_path / "reports"
    proc = subprocess.run(  # a relative --out, as `make report` passes it
        [str(FINESTATS), "report", "--currency", "USD", "--out", "reports", "--quiet",
         "-p", "start_year=2020", "-p", "end_year=2022", "-p", "regulator=CNIL"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    folders = [p for p in out.iterdir()]
    assert len(folders) == 1 and folders[0].name.endswith("-USD")
    assert proc.stdout.strip() == f"report written to {folders[0].resolve()}"
    assert "[1/4]" not in proc.stderr  # --quiet
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["parameters"] == {"currency": "USD", "start_year": 2020, "end_year": 2022,
                                      "regulator": "CNIL"}  # fmt: skip
    by_nb = {nb["notebook"][:2]: nb["parameters"] for nb in manifest["notebooks"]}
    assert "regulator" in by_nb["02"] and "regulator" not in by_nb["01"]
    wide = pd.read_csv(folders[0] / "pivot_regulator_year.csv", index_col="regulator")
    expected = pivot(finestats.load_fines(), "USD", years=(2020, 2022)).round(2)
    pd.testing.assert_frame_equal(wide, expected, check_dtype=False, atol=0.011)


@pytest.mark.slow
def test_cli_report_bad_currency_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(FINESTATS), "report", "--currency", "XYZ", "--out", str(tmp_path / "r"), "--quiet"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown currency 'XYZ'" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()
