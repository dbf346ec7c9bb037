"""finestats.report: the report folder and archive, failures that keep the last good report,
crash safety, what changed since the previous report, and the ``finestats report`` command."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import finestats
from finestats.errors import ReportError, UsageError
from finestats.fileio import file_sha256
from finestats.report import build_report, reports_in

from .conftest import NOTEBOOKS, RAW, rewrite

#: The notebooks a report runs: every one but the interactive explorer (numbered 00).
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("00-"))
CLI = [sys.executable, "-m", "finestats"]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- the report folder -----------------------------------------------------------------------


@pytest.mark.slow
def test_published_figures_page_writes_the_library_crosscheck(report: Path) -> None:
    """Notebook 06 writes what finestats.crosscheck computes, figure for figure; its page shows
    each figure in words and the explanations whole."""
    from finestats.workbook import read_export

    written = read_export(report / "published_figures_crosscheck.csv")
    want = finestats.crosscheck(finestats.load())
    assert written["figure_id"].tolist() == want["figure_id"].tolist()
    pd.testing.assert_series_equal(
        written["finestats"].astype("float64"), want["finestats"], check_names=False
    )
    assert written["explained"].tolist() == want["explained"].tolist()
    page = (report / "06-published-figures.html").read_text(encoding="utf-8")
    ie = want.set_index("figure_id").loc["dla-piper-2026-01-ie-total-eur"]
    assert "EUR 4.04bn" in page and ie["explained"] in page


def test_report_folder_contents(report: Path) -> None:
    today = dt.date.today()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-EUR", report.name)
    assert report.name[:10] in {today.isoformat(), (today - dt.timedelta(days=1)).isoformat()}
    names = {p.name for p in report.iterdir()}
    for stem in STEMS:
        assert f"{stem}.ipynb" in names and f"{stem}.html" in names
    assert not [n for n in names if n.startswith("00-")]  # the explorer is not run
    assert {"index.html", "manifest.json", "headline.json", "counted_fines.csv"} <= names
    pngs = {n for n in names if n.endswith(".png")}
    assert len(pngs) >= 6
    svgs = {n for n in names if n.endswith(".svg")}
    assert {p.removesuffix(".png") for p in pngs} == {s.removesuffix(".svg") for s in svgs}
    csvs = [
        "totals_by_regulator_year.csv",
        "totals_by_regulator.csv",
        "pivot_regulator_year.csv",
        "conversion_audit.csv",
        "matter_decisions.csv",
        "matter_timeline.csv",
    ]
    for csv in csvs:
        assert csv in names and csv.replace(".csv", ".meta.json") in names
    # beside it: the archive page and the link to the newest report, and the archive's own
    # lock and record of the names given (hidden files), nothing else
    archive = report.parent
    assert sorted(p.name for p in archive.iterdir()) == sorted(
        [report.name, "index.html", "latest", ".finestats.lock", ".finestats-archive.json"]
    )
    assert os.readlink(archive / "latest") == report.name


@pytest.mark.slow
def test_report_csv_matches_the_library(report: Path) -> None:
    from finestats.totals import totals

    got = pd.read_csv(report / "totals_by_regulator_year.csv")
    expected = totals(finestats.load_fines(), ("regulator", "year"), "EUR")
    assert got["total_eur"].tolist() == pytest.approx(expected["total_eur"].round(2).tolist())
    meta = json.loads((report / "totals_by_regulator_year.meta.json").read_text())
    assert meta["scope"].startswith("Complete for fines of EUR 1,000,000 or more")


@pytest.mark.slow
def test_manifest(report: Path) -> None:
    from finestats.rates import load_rates

    m = json.loads((report / "manifest.json").read_text())
    assert m["currency"] == "EUR"
    assert m["parameters"] == {"currency": "EUR", "data_path": str(RAW / "fines.csv")}
    assert m["rate_snapshot"] == load_rates().snapshot_label
    assert m["rate_sha256"] == load_rates().sha256
    assert m["data_sha256"] == file_sha256(RAW / "fines.csv")
    assert m["query"]["view"] == "imposed" and m["n_fines"] > 200
    assert set(m["versions"]) == {"finestats", "pandas", "matplotlib", "papermill", "nbconvert"}
    assert m["versions"]["finestats"] == finestats.__version__
    assert [nb["notebook"] for nb in m["notebooks"]] == [f"{s}.ipynb" for s in STEMS]
    for nb in m["notebooks"]:
        assert nb["status"] == "ok" and nb["duration_s"] > 0
        assert nb["parameters"]["currency"] == "EUR"
        assert nb["files"], nb
    assert m["changes"]["previous"] is None


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
    assert "Scope: Complete for fines of EUR 1,000,000 or more" in index
    assert "No earlier report of these settings" in index
    for stem in STEMS:
        page = (report / f"{stem}.html").read_text()
        assert "check_parameters(" not in page  # code hidden
        assert 'src="data:image/png;base64,' in page  # charts embedded
        assert not re.search(r'<script[^>]+src="https?:', page)  # self-contained
        executed = json.loads((report / f"{stem}.ipynb").read_text())
        assert all(c.get("execution_count") for c in executed["cells"] if c["cell_type"] == "code")
    archive = (report.parent / "index.html").read_text()
    assert f'href="{report.name}/index.html"' in archive


# -- failures --------------------------------------------------------------------------------


def _broken_notebooks(tmp_path: Path) -> Path:
    """A copy of notebooks/ whose 02 notebook raises in its fourth cell."""
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder)
    path = folder / "02-regulator-profile.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].insert(
        3,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "boom",
            "metadata": {},
            "outputs": [],
            "source": ["raise RuntimeError('boom in the profile')"],
        },
    )
    path.write_text(json.dumps(nb))
    return folder


@pytest.mark.slow
def test_failing_notebook_keeps_the_last_good_report(report: Path, tmp_path: Path) -> None:
    out = report.parent
    before = _digest(out)
    with pytest.raises(ReportError) as info:
        build_report("EUR", {}, out, progress=False, notebooks_dir=_broken_notebooks(tmp_path))
    err = info.value
    msg = str(err)
    assert "02-regulator-profile.ipynb" in msg
    assert err.cell_index == 4  # after the injected parameters cell
    assert "cell 4" in msg and "RuntimeError: boom in the profile" in msg
    assert err.kept is not None and err.kept.is_file()
    assert err.kept == out / f"failed-{report.name}-2" / "02-regulator-profile.ipynb"
    assert str(err.kept) in msg and "\n" not in msg
    kept = json.loads(err.kept.read_text())
    assert any(
        o.get("ename") == "RuntimeError" for c in kept["cells"] for o in c.get("outputs", [])
    )
    shutil.rmtree(err.kept.parent)
    # the archive is byte-identical: same reports, same link, same page; no build folders left
    assert _digest(out) == before
    assert os.readlink(out / "latest") == report.name


@pytest.mark.slow
def test_bad_parameters_fail_before_any_kernel_starts(tmp_path: Path) -> None:
    cases = [
        ({"currency": "XYZ"}, "currency='XYZ': the rate table"),
        ({"colour": "red"}, "unknown parameter colour"),
        ({"output_dir": "x"}, "output_dir is set by the report"),
        ({"include_provisional": "False"}, "include_provisional='False': expected true or false"),
        ({"start_year": 1e10}, "start_year=10000000000.0: expected a year"),
        ({"start_year": 2030}, "no fines match these parameters: the data covers decisions of"),
        ({"at": "01/02/2021"}, "at='01/02/2021'"),
    ]
    for params, message in cases:
        with pytest.raises(finestats.FinestatsError, match=re.escape(message)):
            build_report("EUR", params, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="--out is empty"):
        build_report("EUR", {}, "", progress=False)


def test_the_report_leaves_out_the_interactive_notebooks(tmp_path: Path) -> None:
    """Notebooks numbered 00 (the live explorer) are interactive: the report never runs them."""
    from finestats.report import _notebooks

    assert (NOTEBOOKS / "00-explore.ipynb").is_file()
    assert [p.stem for p in _notebooks(NOTEBOOKS)] == STEMS
    assert STEMS[0].startswith("01-")
    folder = tmp_path / "only-interactive"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "00-explore.ipynb", folder)
    with pytest.raises(UsageError, match="no notebooks"):
        _notebooks(folder)


# -- the archive: a second run, what changed, pruning, crash safety -----------------------


def _one_notebook(tmp_path: Path) -> Path:
    """A notebooks folder holding notebook 01 alone: the archive does not depend on which
    notebooks run, and one runs several times faster than all of them."""
    folder = tmp_path / "one-notebook"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / f"{STEMS[0]}.ipynb", folder)
    return folder


def _small_data(tmp_path: Path, changes: dict | None = None) -> Path:
    """The lifecycle fixture as a fines.csv of its own (fast reports)."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    src = Path(__file__).parent / "data" / "lifecycle.csv"
    return rewrite(src, changes or {}, folder / "fines.csv")


@pytest.mark.slow
def test_archive_keeps_every_run_and_says_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    data = _small_data(tmp_path)
    params = {"data_path": str(data)}
    one = {"progress": False, "notebooks_dir": _one_notebook(tmp_path)}
    first = build_report("EUR", params, out, **one)
    again = build_report("EUR", params, out, **one)
    assert again.name == f"{first.name}-2"
    assert json.loads((again / "manifest.json").read_text())["changes"] == {
        "previous": first.name,
        "added": 0,
        "changed": 0,
        "removed": 0,
        "total_before": pytest.approx(9_500_000 + 20e6 / 0.90915),
        "total_after": pytest.approx(9_500_000 + 20e6 / 0.90915),
    }
    assert "Nothing changed since" in (again / "index.html").read_text()
    # the data changes: Beta's fine is corrected, Delta's removed
    renamed = {(7, "fine_id"): "cnil-2021-delta-b", (8, "supersedes"): "cnil-2021-delta-b"}
    _small_data(tmp_path, {(4, "amount"): "20173600", **renamed})
    third = build_report("EUR", params, out, keep=2, **one)
    changes = pd.read_csv(third / "changes.csv", keep_default_na=False)
    assert changes[["fine_id", "change", "fields"]].values.tolist() == [
        ["cnil-2021-delta-b", "added", ""],
        ["cnil-2021-delta", "removed", ""],
        ["imy-2021-beta", "changed", "amount"],
    ]
    assert changes["delta_eur"].tolist() == pytest.approx([3_000_000, -3_000_000, 1_000_000])
    assert "1 added, 1 changed, 1 removed" in (third / "index.html").read_text()
    # --keep 2: the oldest report is gone, the link points to the newest
    assert [m["report"] for m in reports_in(out)] == [again.name, third.name]
    assert os.readlink(out / "latest") == third.name
    archive = (out / "index.html").read_text()
    assert third.name in archive and again.name in archive and f'"{first.name}/' not in archive


@pytest.mark.slow
def test_a_killed_run_leaves_the_previous_report_and_is_cleaned_up(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    data = _small_data(tmp_path)
    params = {"data_path": str(data)}
    one = {"progress": False, "notebooks_dir": _one_notebook(tmp_path)}
    first = build_report("EUR", params, out, **one)
    before = _digest(first)
    proc = subprocess.Popen(
        [*CLI, "report", "--out", str(out), "-p", f"data_path={data}", "-p", "matter=alpha-breach"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list(out.glob(".build-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # kernels are running
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.readlink(out / "latest") == first.name and _digest(first) == before
    assert list(out.glob(".build-*"))  # the leftovers of the killed run
    second = build_report("EUR", params, out, **one)
    assert not list(out.glob(".build-*")) and not list(out.glob(".logs-*"))
    assert os.readlink(out / "latest") == second.name


@pytest.mark.slow
def test_relative_finestats_data_is_resolved_once(tmp_path: Path) -> None:
    data = _small_data(tmp_path)
    env = {**os.environ, "FINESTATS_DATA": "data/fines.csv"}
    proc = subprocess.run(
        [*CLI, "report", "--out", "reports", "--quiet", "-p", "matter=alpha-breach"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "reports" / "latest" / "manifest.json").read_text())
    assert manifest["data_file"] == str(data)
    assert manifest["data_sha256"] == file_sha256(data)
    assert manifest["n_fines"] == 5  # the fixture's counted fines, read by the kernels too
    totals_csv = pd.read_csv(tmp_path / "reports" / "latest" / "totals_by_regulator.csv")
    assert totals_csv["n_fines"].sum() == 5


# -- the command -----------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_report_with_parameters(tmp_path: Path) -> None:
    from finestats.totals import pivot

    out = tmp_path / "reports"
    proc = subprocess.run(  # a relative --out, as `make report` passes it
        [
            *CLI,
            "report",
            "--currency",
            "USD",
            "--out",
            "reports",
            "-p",
            "start_year=2020",
            "-p",
            "end_year=2022",
            "-p",
            "regulator=CNIL",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    folders = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(folders) == 1 and folders[0].name.endswith("-USD")
    assert proc.stdout.strip() == f"report written to {folders[0]}"
    progress = proc.stderr.splitlines()
    assert sum(
        bool(re.match(r"  \[\d/\d\] \S+ \(\d+\.\d s\) ok$", line)) for line in progress
    ) == len(STEMS)
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["parameters"] == {
        "currency": "USD",
        "start_year": 2020,
        "end_year": 2022,
        "regulator": "CNIL",
        "data_path": str(RAW / "fines.csv"),
    }
    by_nb = {nb["notebook"][:2]: nb["parameters"] for nb in manifest["notebooks"]}
    assert "regulator" in by_nb["02"] and "regulator" not in by_nb["01"]
    wide = pd.read_csv(folders[0] / "pivot_regulator_year.csv", index_col="regulator")
    expected = pivot(finestats.load_fines(), "USD", years=(2020, 2022)).round(2)
    pd.testing.assert_frame_equal(wide, expected, check_dtype=False, atol=0.011)


@pytest.mark.slow
def test_cli_report_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for args, message in (
        (["--currency", "XYZ"], "currency='XYZ'"),
        (
            ["-p", "include_provisional=False"],
            "include_provisional='False': expected true or false",
        ),
        (["-p", "start_year=1e10"], "expected a year"),
    ):
        proc = subprocess.run(
            [*CLI, "report", *args, "--out", str(tmp_path / "r"), "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], lines
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()


def _notebook(path: Path, *sources: str) -> None:
    cells = [
        {"cell_type": "markdown", "id": "t", "metadata": {}, "source": [f"# {path.stem}"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "p",
            "outputs": [],
            "metadata": {"tags": ["parameters"]},
            "source": ['currency = "EUR"\noutput_dir = None'],
        },
    ]
    cells += [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": [src],
        }
        for i, src in enumerate(sources)
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {
                "name": "finestats",
                "language": "python",
                "display_name": "Python 3 (finestats)",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.mark.slow
def test_a_reused_kernel_starts_each_notebook_with_an_empty_namespace(tmp_path: Path) -> None:
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01-sets.ipynb", "leaked = 1\nimport pandas")
    _notebook(
        folder / "02-reads.ipynb",
        "import os, sys\nassert 'leaked' not in globals(), 'a name leaked from 01'\n"
        "assert 'pandas' in sys.modules  # the imports stay: that is the point\n"
        "open(os.path.join(output_dir, 'pid.txt'), 'w').write(str(os.getpid()))",
    )
    _notebook(
        folder / "03-same.ipynb",
        "import os\nopen(os.path.join(output_dir, 'pid3.txt'), 'w').write(str(os.getpid()))",
    )
    out = build_report("EUR", {}, tmp_path / "r", progress=False, notebooks_dir=folder, jobs=1)
    assert (out / "pid.txt").read_text() == (out / "pid3.txt").read_text()  # one kernel


@pytest.mark.slow
def test_kernels_talk_over_unix_sockets_that_leave_no_file(tmp_path: Path) -> None:
    """A kernel on TCP binds ports its manager picked free a moment before: another process
    can take one in between, and the kernel dies ("Address already in use") before it replies
    (seen in a fresh-clone `make test`, with JupyterLab and Chromium starting beside it). Over
    Unix sockets there is no port to lose; on Linux their names are abstract, so no socket
    file is left anywhere, not even by a killed report."""
    from nbclient.util import run_sync

    from finestats.jupyter import KernelLanes

    async def ready(km) -> None:  # as papermill waits for a fresh kernel before it runs one
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
        finally:
            kc.stop_channels()

    logs, cwd = tmp_path / "logs", tmp_path / "cwd"
    logs.mkdir()
    cwd.mkdir()
    lanes = KernelLanes(logs, cwd)
    lanes.start(1)
    km = lanes.acquire()
    try:
        assert km.transport == "ipc" and km.ip.startswith(f"@finestats-{os.getpid()}-")
        info = json.loads(Path(km.connection_file).read_text(encoding="utf-8"))
        assert (info["transport"], info["ip"]) == ("ipc", km.ip)
        run_sync(ready)(km)  # the kernel answers over its sockets
        lanes.release(km)
        assert lanes.acquire() is km  # and executes the reset sent over them
        lanes.release(km)
        with open("/proc/net/unix", encoding="ascii") as fh:  # the kernel's sockets, by name
            assert f"{km.ip}-" in fh.read()
    finally:
        lanes.shutdown()
    assert "running over TCP" not in (logs / "kernel-0.log").read_text(encoding="utf-8")
    assert sorted(p.name for p in logs.iterdir()) == ["kernel-0.log", "kernels.pid"]
    assert not any(cwd.iterdir())


# -- reports in any currency, for any years; skipped analyses; one archive, several writers --


@pytest.mark.slow
@pytest.mark.parametrize("currency", ["SEK", "GBP", "USD", "NOK", "JPY"])
def test_a_report_renders_in_every_currency(tmp_path: Path, kernels, currency: str) -> None:
    """SEK is one of the three currencies the product exists for; NOK and JPY have no price
    index: their real-terms page says so and shows nominal figures."""
    folder = build_report(currency, {}, tmp_path / "out", progress=False, kernels=kernels)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["currency"] == currency
    statuses = {nb["notebook"]: nb["status"] for nb in manifest["notebooks"]}
    assert set(statuses.values()) == {"ok"}, manifest["skipped"]
    real = pd.read_csv(folder / "real_terms_by_year.csv")
    page = (folder / "05-real-terms-and-sectors.html").read_text()
    if currency in ("NOK", "JPY"):
        assert list(real.columns) == ["year", f"nominal ({currency} of each year)"]
        assert f"No consumer price index for {currency}" in page
    else:
        assert real.columns[-1] == "in 2025 prices"  # the latest year of the index
        assert real.set_index("year").loc[2026].isna().iloc[-1]  # 2026: no annual index yet
        assert "Not in constant prices: 2026" in page
    totals_csv = pd.read_csv(folder / "totals_by_regulator_year.csv")
    assert f"total_{currency.lower()}" in totals_csv.columns
    assert (folder / f"{folder.name}.xlsx").is_file()


@pytest.mark.slow
def test_a_report_for_2019_2020_skips_what_has_nothing_to_show(tmp_path: Path, kernels) -> None:
    params = {"start_year": 2019, "end_year": 2020}
    folder = build_report("EUR", params, tmp_path / "out", progress=False, kernels=kernels)
    manifest = json.loads((folder / "manifest.json").read_text())
    skipped = {s["notebook"]: s["reason"] for s in manifest["skipped"]}
    assert list(skipped) == ["04-matter-timeline.ipynb"]  # Clearview AI: no decision then
    assert (
        "No decision of clearview-ai in this selection (decided 2019-2020)"
        in skipped["04-matter-timeline.ipynb"]
    )
    index = (folder / "index.html").read_text()
    assert "Nothing to show:" in index and "decided 2019-2020" in index
    assert manifest["filters"] == "decided 2019-2020" and manifest["period"] == (
        "fines decided 2019-2020"
    )
    archive = (folder.parent / "index.html").read_text()
    assert "decided 2019-2020" in archive and "(1 skipped)" in archive
    head = json.loads((folder / "headline.json").read_text())
    assert head["filters"] == "decided 2019-2020" and head["years"] == [2019, 2020]
    with pytest.raises(UsageError, match="the data covers decisions of"):
        build_report("EUR", {"start_year": 2030}, tmp_path / "out", progress=False)


@pytest.mark.slow
def test_b29_reasonable_parameters_never_fail_a_report(tmp_path: Path, kernels) -> None:
    params = {"start_year": 2025, "end_year": 2025, "regulators": ["IMY"]}
    folder = build_report("EUR", params, tmp_path / "out", progress=False, kernels=kernels)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [s["notebook"] for s in manifest["skipped"]] == ["04-matter-timeline.ipynb"]


@pytest.mark.slow
def test_b19_two_reports_into_one_archive_both_complete(tmp_path: Path, kernels) -> None:
    import threading

    out = tmp_path / "reports"
    data = _small_data(tmp_path)
    one = {"progress": False, "notebooks_dir": _one_notebook(tmp_path), "kernels": kernels}
    done: list[object] = []

    def build() -> None:
        try:
            done.append(build_report("EUR", {"data_path": str(data)}, out, **one))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            done.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(d, Path) for d in done), done
    assert len({d.name for d in done}) == 2
    assert len(reports_in(out)) == 2 and not list(out.glob(".build-*"))


@pytest.mark.slow
def test_what_changed_compares_reports_of_the_same_settings(tmp_path: Path, kernels) -> None:
    out = tmp_path / "reports"
    data = _small_data(tmp_path)
    one = {"progress": False, "notebooks_dir": _one_notebook(tmp_path), "kernels": kernels}
    build_report("GBP", {"data_path": str(data), "start_year": 2020, "end_year": 2021}, out, **one)
    monthly = build_report("GBP", {"data_path": str(data)}, out, **one)
    manifest = json.loads((monthly / "manifest.json").read_text())
    assert manifest["changes"]["previous"] is None  # the ad-hoc 2020-2021 report is another kind
    again = build_report("GBP", {"data_path": str(data)}, out, **one)
    change = json.loads((again / "manifest.json").read_text())["changes"]
    assert change["previous"] == monthly.name and change["added"] == 0


@pytest.mark.slow
def test_b5_a_relative_home_means_one_folder_for_every_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finestats import snapshots

    from .test_rate_updates import Server, newer_csv, zipped

    server = Server()
    server.body = zipped(newer_csv(days=3))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINESTATS_HOME", "relhome")  # relative to where the command runs
    try:
        snap = snapshots.update(server.url, timeout=5)
    finally:
        server.httpd.shutdown()
    assert snap.snapshot_date == "2026-11-04"
    folder = build_report(
        "EUR", {}, tmp_path / "reports", progress=False, notebooks_dir=_one_notebook(tmp_path)
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rate_snapshot"] == "2026-11-04"
    sidecars = [json.loads(p.read_text()) for p in folder.glob("*.meta.json")]
    assert sidecars and {s["rate_snapshot"] for s in sidecars} == {"2026-11-04"}


def test_importing_the_report_leaves_the_process_alone() -> None:
    code = (
        "import sys, finestats.report, finestats.cli; "
        "print(sys.modules.get('rfc3987_syntax', 'absent') is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_parameters_are_checked_once_per_distinct_selection(monkeypatch, tmp_path: Path) -> None:
    """The report's selection is checked once, and again only for a notebook whose own parameter
    (02's regulator) is set; a rates keyword in any case stays the keyword, a path is absolute."""
    from finestats import report

    calls = []
    real = report.check_parameters
    monkeypatch.setattr(report, "check_parameters", lambda **kw: calls.append(kw) or real(**kw))
    nbs = report._notebooks(NOTEBOOKS)
    cur, params, _, ctx = report._checked_parameters("sek", {"rates_path": "Bundled"}, nbs)
    assert (cur, ctx.query.currency, params["rates_path"], len(calls)) == (
        "SEK",
        "SEK",
        "Bundled",
        1,
    )
    calls.clear()
    _, params, _, ctx = report._checked_parameters("EUR", {"regulator": "ico"}, nbs)
    assert len(calls) == 2 and calls[1]["regulator"] == "ico"  # 02-regulator-profile only
    assert ctx.regulator is None  # the report's own selection: every regulator
    shutil.copytree(RAW, tmp_path / "raw")
    monkeypatch.chdir(tmp_path)
    _, params, _, _ = report._checked_parameters("EUR", {"data_path": "raw/fines.csv"}, nbs[:1])
    assert params["data_path"] == str(tmp_path / "raw" / "fines.csv")


@pytest.mark.slow
def test_reports_in_one_process_leave_no_open_files_behind(tmp_path: Path, kernels) -> None:
    """papermill leaves running the client of a kernel it is given (sockets, a zmq context, a
    heartbeat thread): about 60 file descriptors a report, until a long session (or this test
    run) hit "Too many open files". The kernels' clients are stopped when a notebook ends."""

    def open_files() -> int:
        gc.collect()  # each notebook thread's event loop is closed when it is collected
        return len(os.listdir("/proc/self/fd"))

    one = tmp_path / "notebooks"  # one short notebook a report: the leak was per notebook
    one.mkdir()
    shutil.copy(NOTEBOOKS / "03-currency-effects.ipynb", one)
    build_report("EUR", {}, tmp_path / "a", progress=False, kernels=kernels, notebooks_dir=one)
    after_one = open_files()
    for out in ("b", "c", "d"):
        build_report("EUR", {}, tmp_path / out, progress=False, kernels=kernels, notebooks_dir=one)
    assert open_files() <= after_one
