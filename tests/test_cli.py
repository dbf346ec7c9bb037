"""The command line: exit codes, stdout and stderr of each command. Commands run in-process
through the console entry point (:func:`tests.conftest.run_cli`); a few run as a subprocess, as a
user runs them, to prove the entry point itself."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import finestats
from finestats.totals import totals

from .conftest import SHIPPED, CliRun, run_cli, run_subprocess

run = run_cli


def assert_clean_error(proc: CliRun, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in proc.stderr, proc.stderr


def test_help_everywhere() -> None:
    for cmd in (
        [],
        ["validate"],
        ["summary"],
        ["convert"],
        ["rates"],
        ["rates", "info"],
        ["report"],
        ["make-data"],
    ):
        proc = run(*cmd, "--help")
        assert proc.returncode == 0, proc.stderr
        assert "Usage: finestats" in proc.stdout


def test_the_entry_point_in_a_process_of_its_own(edited_csv) -> None:
    ok = run_subprocess("validate")
    assert ok.returncode == 0 and "records valid" in ok.stdout, ok.stderr
    bad = run_subprocess("validate", str(edited_csv({(3, "currency"): "SKR"})))
    assert bad.returncode == 2 and bad.stdout == "", bad.stderr
    assert len(bad.stderr.splitlines()) == 1 and "fines.csv:3: column 'currency'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert run_subprocess("summary", "--format", "nope").returncode == 2


def test_validate_shipped_data() -> None:
    proc = run("validate")
    assert proc.returncode == 0, proc.stderr
    df = finestats.load_fines()
    assert f"{len(df)} records valid" in proc.stdout
    assert f"{df['regulator'].nunique()} regulators" in proc.stdout


def test_validate_strict_warns_about_meta_billion() -> None:
    proc = run("validate", "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "(strict)" in proc.stdout
    assert "warning:" in proc.stderr and "1200000000 EUR" in proc.stderr


def test_validate_bad_file_lists_problems(edited_csv) -> None:
    path = edited_csv({(3, "decision_date"): "2021-02-30", (5, "currency"): "SKR"})
    proc = run("validate", str(path))
    assert_clean_error(
        proc,
        f"{path}:3: column 'decision_date' value '2021-02-30': expected an ISO date",
        f"{path}:5: column 'currency' value 'SKR': expected an ISO 4217 code",
    )


def test_summary_table_default() -> None:
    proc = run("summary", "--by", "regulator,year", "--currency", "USD", "--regulator", "IMY")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0].split()
    assert first == ["regulator", "year", "n_fines", "total_usd", "median_usd", "max_usd"]
    assert "USD at ECB rate of decision date, snapshot 2026-10-30; view imposed" in proc.stdout
    assert "\nScope: Complete for fines of EUR 1,000,000 or more" in proc.stdout


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        ([], {}),
        (["--view", "effective"], {"view": "effective"}),
        (["--include-provisional"], {"include_provisional": True}),
        (["--no-penalties"], {"include_penalties": False}),
        (["--years", "2020-2022"], {"years": "2020-2022"}),
        (["--regulator", "ICO", "--regulator", "IMY"], {"regulators": ["ICO", "IMY"]}),
        (["--country", "SE"], {"countries": ["SE"]}),
        (["--defendant", "clearview"], {"defendant": "clearview"}),
        (
            ["--on", "announced_date", "--defendant", "Clearview"],
            {"on": "announced_date", "defendant": "Clearview"},
        ),
        (["--at", "2024-12-31"], {"at": "2024-12-31"}),
        # 2026 is not over: its year-average is refused, so these years are complete ones
        (
            ["--at", "year-average", "--years", "2019-2025"],
            {"at": "year-average", "years": "2019-2025"},
        ),
        (
            ["--view", "effective", "--as-of", "2024-12-31"],
            {"view": "effective", "as_of": "2024-12-31"},
        ),
        (["--complete-only"], {"complete_only": True}),
        (["--article", "6", "--sector", "telecoms"], {"article": "6", "sectors": ["telecoms"]}),
    ],
)
def test_summary_options_match_library(tmp_path: Path, options: list[str], kwargs: dict) -> None:
    out = tmp_path / "t.csv"
    proc = run("summary", "--currency", "GBP", *options, "--format", "csv", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out)
    want = totals(finestats.load_fines(), ("regulator", "year"), "GBP", **kwargs)
    pd.testing.assert_frame_equal(
        got, want.round(2), check_dtype=False, check_exact=False, atol=0.006
    )
    assert json.loads(out.with_name("t.meta.json").read_text())["currency"] == "GBP"


def test_summary_json_and_stdout_csv(tmp_path: Path, lifecycle_csv: Path) -> None:
    proc = run("summary", "--data", str(lifecycle_csv), "--by", "regulator", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["meta"]["currency"] == "EUR"
    assert [r["regulator"] for r in doc["rows"]] == ["CNIL", "ICO", "IMY"]
    assert doc["rows"][2]["total_eur"] == pytest.approx(1_000_000)
    proc = run("summary", "--data", str(lifecycle_csv), "--by", "country", "--format", "csv")
    assert proc.stdout.splitlines()[1] == "FR,3,8500000.0,3000000.0,5000000.0"


def test_summary_with_rates_file(tmp_path: Path, lifecycle_csv: Path) -> None:
    rates = tmp_path / "eurofxref-hist.csv"
    rates.write_text("Date,USD,SEK,GBP,\n2021-02-11,1.2,10.0,0.9,\n", encoding="utf-8")
    proc = run(
        "summary",
        "--data",
        str(lifecycle_csv),
        "--regulator",
        "IMY",
        "--rates",
        str(rates),
        "--format",
        "csv",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "IMY,2021,1,1008680.0,1008680.0,1008680.0"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--currency", "XYZ"], "unknown target currency 'XYZ'"),
        (["--years", "2024-2020"], "start year 2024 is after end year 2020"),
        (["--regulator", "NOPE"], "unknown regulator NOPE: known regulators are AEPD, AKI"),
        (["--at", "01/02/2021"], "at='01/02/2021': expected a date YYYY-MM-DD or 'year-average'"),
        (["--at", "2021"], "at='2021': expected a date"),
        (["--at", "Feb 3 2021"], "at='Feb 3 2021': expected a date"),
        (["--at", "-1"], "at='-1': expected a date"),
        (["--years", "99999999999999999999"], "expected a year such as 2021"),
        (["--by", "regulator,regulator"], "each name once"),
        (["--as-of", "2024-12-31"], "--as-of applies to the effective view: add --view effective"),
        (["--real", "2030"], "base year 2030 is outside the EUR price index"),
        (["--real", "1e10"], "real='1e10': expected a year"),
        (["--matter", "nope"], "unknown matter nope: known matters are"),
        (["--sector", "banking"], "unknown sector banking"),
        (["--by", "planet"], "cannot group by planet"),
        (["--view", "imagined"], "Invalid value for '--view'"),
        (["--data", "/nonexistent.csv"], "expected an existing CSV file"),
    ],
)
def test_summary_bad_arguments_exit_2(options: list[str], message: str) -> None:
    proc = run("summary", *options)
    assert_clean_error(proc, message)
    assert len(proc.stderr.splitlines()) == 1, proc.stderr


def test_convert_writes_every_record(tmp_path: Path) -> None:
    out = tmp_path / "usd.csv"
    proc = run("convert", "--to", "USD", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out)
    assert len(got) == len(finestats.load_fines())
    assert {"amount_usd", "fx_rate", "fx_date", "fx_source"} <= set(got.columns)
    imy = got.set_index("fine_id").loc["imy-2021-polismyndigheten"]
    # IMY decided on 2021-02-10: ECB EUR/USD 1.2127 and EUR/SEK 10.0800 that day.
    assert imy["fx_date"] == "2021-02-10"
    assert imy["fx_rate"] == pytest.approx(1.2127 / 10.0800, rel=1e-12)
    meta = json.loads(out.with_name("usd.meta.json").read_text())
    assert meta["rows"] == len(got) and meta["currency"] == "USD"


def test_rates_info() -> None:
    proc = run("rates", "info")
    assert proc.returncode == 0, proc.stderr
    assert "snapshot date: 2026-10-30" in proc.stdout
    assert "1999-01-04" in proc.stdout
    assert any(line.split()[:1] == ["HRK"] for line in proc.stdout.splitlines())


def test_make_data_twice_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("make-data", "--out", str(a)).returncode == 0
    assert run("make-data", "--out", str(b)).returncode == 0
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(
        ["fines_normalized.csv", "fines_normalized.meta.json"]
        + [
            f"totals_by_regulator_year_{c}.{e}"
            for c in ("eur", "gbp", "sek", "usd")
            for e in ("csv", "meta.json")
        ]
    )
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


def test_failed_run_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    assert run("summary", "--format", "csv", "--out", str(out)).returncode == 0
    before = out.read_bytes()
    proc = run("summary", "--format", "csv", "--out", str(out), "--currency", "XYZ")
    assert proc.returncode == 2
    assert out.read_bytes() == before


def test_shipped_data_is_default() -> None:
    from finestats.paths import default_fines_path

    assert default_fines_path() == SHIPPED


def test_coverage_command() -> None:
    proc = run("coverage")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Complete for fines of EUR 1,000,000 or more decided 2018-05-25")
    imy = next(line for line in lines if line.startswith("IMY "))
    assert "every fine" in imy
    csv = run("coverage", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith(
        "regulator,country,period,threshold_eur,laws,last_checked,records,in_scope"
    )


def test_summary_matter_effective_as_of_and_real(tmp_path: Path) -> None:
    base = [
        "summary",
        "--by",
        "matter",
        "--matter",
        "clearview-ai",
        "--currency",
        "GBP",
        "--format",
        "csv",
    ]
    imposed = run(*base).stdout.splitlines()
    assert imposed[1].startswith("clearview-ai,7,")
    eff = ["--view", "effective", "--regulator", "ICO", "--by", "regulator"]
    before = run(*base, *eff, "--as-of", "2024-12-31")
    assert before.returncode == 2 or before.stdout.splitlines()[1:] == []
    after = run(*base, *eff, "--as-of", "2025-12-31").stdout.splitlines()
    assert after[1] == "ICO,1,7552800.0,7552800.0,7552800.0"
    real = run(
        "summary",
        "--by",
        "year",
        "--currency",
        "EUR",
        "--real",
        "2024",
        "--years",
        "2019",
        "--format",
        "csv",
    ).stdout.splitlines()
    assert real[0] == "year,n_fines,total_eur,total_eur_real_2024,median_eur,max_eur"
    year, n, nominal, in_2024 = real[1].split(",")[:4]
    assert float(in_2024) / float(nominal) == pytest.approx(126.07 / 104.80, rel=1e-6)


def test_make_data_checks_the_readme_before_writing_anything(tmp_path: Path) -> None:
    out = tmp_path / "processed"
    proc = run("make-data", "--out", str(out), "--readme", str(tmp_path / "missing.md"))
    assert_clean_error(proc, "cannot read --readme", "missing.md")
    no_marker = tmp_path / "plain.md"
    no_marker.write_text("# no markers here\n")
    proc = run("make-data", "--out", str(out), "--readme", str(no_marker))
    assert_clean_error(proc, "no counts marker")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["file", "read-only", "empty"])
def test_unwritable_out_is_one_line(tmp_path: Path, kind: str) -> None:
    if kind == "file":
        target = tmp_path / "blocker"
        target.write_text("x")
        out = str(target / "t.csv")
    elif kind == "read-only":
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = str(ro / "t.csv")
    else:
        out = ""
    proc = run("summary", "--format", "csv", "--out", out)
    if kind == "read-only" and proc.returncode == 0:  # root ignores permissions
        pytest.skip("running as root: permissions are not enforced")
    assert_clean_error(proc)
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
