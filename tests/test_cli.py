"""The command line: exit codes, stdout and stderr of each command. Commands run in-process
through the console entry point (:func:`tests.conftest.run_cli`); a few run as a subprocess, as a
user runs them, to prove the entry point itself."""

from __future__ import annotations

import csv
import io
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


def test_summary_says_how_many_fines_lie_outside_the_scope(collection, tmp_path) -> None:
    """The lifecycle fixture with a scope for CNIL from EUR 4m: of CNIL's three fines counted
    (Gamma 5m, Delta 3m, the 2022 penalty), two lie outside; the CSV's sidecar says so too."""
    coverage = (
        "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,"
        "last_checked,method,notes\n"
        "CNIL,CNIL,FR,2018-05-25,2025-12-31,4000000,GDPR,2026-11-27,test,\n"
    )
    data = str(collection(coverage=coverage))
    proc = run("summary", "--data", data, "--by", "year", "--regulator", "CNIL")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "2 of the 3 fines counted lie outside it: a sample, not a complete count." in text
    out = tmp_path / "cnil.csv"
    csv_args = ("--regulator", "CNIL", "--format", "csv", "--out", str(out))
    proc = run("summary", "--data", data, *csv_args)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(out.with_suffix(".meta.json").read_text(encoding="utf-8"))
    assert (meta["n_outside_scope"], meta["n_records"]) == (2, 3)


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


# -- fines, notices, --year-of, regions, groups: the analyst's next question ----------------------


def csv_rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


ICO_2020 = ["--regulator", "ICO", "--years", "2020", "--currency", "GBP"]
#: ICO 2020 as decided, in GBP (data/raw/fines.csv): the Ticketmaster notice (GBP 1.5m) is
#: replaced by its final fine; the others are final fines.
ICO_2020_FINES = {
    "ico-2020-british-airways": 20_000_000,
    "ico-2020-marriott": 18_400_000,
    "ico-2020-ticketmaster": 1_250_000,
    "ico-2020-cathay-pacific": 500_000,
    "ico-2020-dsg-retail": 500_000,
}


def test_fines_lists_the_fines_behind_a_summary() -> None:
    rows = csv_rows(run("fines", *ICO_2020, "--format", "csv").stdout)
    assert {r["fine_id"]: float(r["amount_gbp"]) for r in rows} == ICO_2020_FINES
    assert [r["fine_id"] for r in rows][:2] == ["ico-2020-british-airways", "ico-2020-marriott"]
    summary = csv_rows(run("summary", *ICO_2020, "--by", "regulator", "--format", "csv").stdout)
    assert summary == [
        {
            "regulator": "ICO",
            "n_fines": "5",
            "total_gbp": "40650000.0",  # 20m + 18.4m + 1.25m + 0.5m + 0.5m
            "median_gbp": "1250000.0",
            "max_gbp": "20000000.0",
        }
    ]
    table = run("fines", *ICO_2020, "--top", "2").stdout.splitlines()
    assert table[0].split()[:2] == ["fine_id", "regulator"]
    assert [line.split()[1] for line in table[1:3]] == ["ICO", "ICO"]
    assert {"20,000,000", "18,400,000"} <= set(" ".join(table).split())
    assert table[3] == ""  # two rows, then the note


@pytest.mark.parametrize(
    "args",
    [
        ("--view", "effective", "--as-of", "2024-12-31", "--matter", "clearview-ai"),
        ("--year-of", "announced_date", "--years", "2022-2023", "--currency", "SEK"),
        ("--region", "uk", "--real", "2024", "--years", "2019-2024", "--currency", "GBP"),
    ],
    ids=["effective", "announced", "uk-real"],
)
def test_the_fines_add_up_to_the_summary(args: tuple[str, ...]) -> None:
    fines = csv_rows(run("fines", *args, "--format", "csv").stdout)
    total = csv_rows(run("summary", *args, "--by", "year", "--format", "csv").stdout)
    col = next(c for c in total[0] if c.startswith("total_") and "_real_" not in c)
    assert len(fines) == sum(int(r["n_fines"]) for r in total) > 0
    assert sum(float(r[col.replace("total_", "amount_")]) for r in fines) == pytest.approx(
        sum(float(r[col]) for r in total), abs=0.01 * len(fines)
    )


@pytest.mark.parametrize(
    ("command", "library", "sort"),
    [
        ("fines", "fines_behind", None),
        ("fines", "fines_behind", "decision_date:asc"),
        ("fines", "fines_behind", "fx_rate"),  # largest first
        ("fines", "fines_behind", "group:asc"),
        ("notices", "notices_and_finals", None),
        ("notices", "notices_and_finals", "final_share:asc"),
    ],
)
def test_csv_and_json_are_the_library_tables(command, library, sort) -> None:
    from finestats import analyses
    from finestats.cli import json_text
    from finestats.export import to_csv_text
    from finestats.query import Query

    args = ["--currency", "SEK", "--regulator", "ICO", "--regulator", "IMY", "--top", "4"]
    args += ["--sort", sort] if sort else []
    lib = getattr(analyses, library)(
        finestats.load(), Query(currency="SEK", regulators=("ICO", "IMY"))
    )
    if sort:
        col, _, order = sort.partition(":")
        lib = lib.sort_values(col, ascending=order == "asc", kind="stable")
    else:  # --top alone gives the largest: notices by their amount, fines as listed (largest)
        money = "notice_sek" if command == "notices" else "amount_sek"
        lib = lib.sort_values(money, ascending=False, kind="stable")
    want = lib.head(4).reset_index(drop=True)
    assert run(command, *args, "--format", "csv").stdout == to_csv_text(want)
    got = json.loads(run(command, *args, "--format", "json").stdout)
    assert got["rows"] == json.loads(json_text(want))["rows"] and len(got["rows"]) == 4
    assert got["meta"]["regulators"] == ["ICO", "IMY"] and got["meta"]["currency"] == "SEK"


def test_sorting_the_fines_table_by_a_column_it_does_not_show() -> None:
    """The table leaves out group, court events and source; --sort may still use them, as with
    --format csv (group 23andMe before 24/7 Communication, ignoring nothing)."""
    shown = run("fines", "--sort", "group:asc", "--top", "2").stdout.splitlines()
    rows = csv_rows(run("fines", "--sort", "group:asc", "--top", "2", "--format", "csv").stdout)
    assert [r["group"] for r in rows] == ["23andMe", "24/7 Communication"]
    assert [line.split()[1] for line in shown[1:3]] == [r["regulator"] for r in rows]


def test_notices_beside_the_fines_that_replaced_them() -> None:
    """ICO notices of intent in GBP, from data/raw/fines.csv: British Airways GBP 183,390,000
    replaced by GBP 20,000,000 (share 20 / 183.39); the 17 notices add up to GBP 406,392,641."""
    rows = csv_rows(
        run("notices", "--regulator", "ICO", "--currency", "GBP", "--format", "csv").stdout
    )
    ba = next(r for r in rows if r["notice_id"] == "ico-2019-british-airways-noi")
    assert (ba["notice_date"], float(ba["notice_gbp"])) == ("2019-07-08", 183_390_000)
    assert (ba["final_id"], ba["final_date"]) == ("ico-2020-british-airways", "2020-10-16")
    assert float(ba["final_gbp"]) == 20_000_000
    assert float(ba["final_share"]) == pytest.approx(20 / 183.39, rel=1e-12)
    notices = [
        500_000, 183_390_000, 99_200_396, 1_500_000, 600_000, 17_000_000, 27_000_000,
        6_090_000, 60_000, 750_000, 4_593_750, 45_000, 25_000_000, 20_000_000, 2_696_745,
        393_000, 17_573_750,
    ]  # fmt: skip
    assert len(rows) == len(notices)
    assert sum(float(r["notice_gbp"]) for r in rows) == sum(notices) == 406_392_641
    assert [r["notice_date"] for r in rows] == sorted(r["notice_date"] for r in rows)
    no = csv_rows(run("notices", "--regulator", "Datatilsynet-NO", "--format", "csv").stdout)
    disqus = next(r for r in no if r["notice_id"] == "datatilsynet-no-2021-disqus-noi")
    assert disqus["final_id"] == disqus["final_eur"] == disqus["final_share"] == ""  # no final


def test_year_of_announcement_moves_a_december_decision() -> None:
    """AP v Uber: decided 2023-12-11, announced 2024-01-31, EUR 10,000,000. By decision year
    AP has 2023: 1 fine, EUR 10m; 2024: 4 fines (0.6m + 30.5m + 4.75m + 290m = 325.85m). By
    announcement year the fine moves: 2024: 5 fines, EUR 335.85m, median 10m; no 2023."""
    base = ("summary", "--regulator", "AP", "--years", "2023-2024", "--format", "csv")
    decided = csv_rows(run(*base).stdout)
    assert [(r["year"], r["n_fines"], float(r["total_eur"])) for r in decided] == [
        ("2023", "1", 10_000_000),
        ("2024", "4", 325_850_000),
    ]
    announced = csv_rows(run(*base, "--year-of", "announced_date").stdout)
    assert [(r["year"], r["n_fines"], float(r["total_eur"])) for r in announced] == [
        ("2024", "5", 335_850_000)
    ]
    assert float(announced[0]["median_eur"]) == 10_000_000
    fines = csv_rows(
        run("fines", "--regulator", "AP", "--years", "2024", "--year-of", "announced_date",
            "--format", "csv").stdout
    )  # fmt: skip
    uber = next(r for r in fines if r["fine_id"] == "ap-2023-uber")
    assert (uber["year"], uber["decision_date"]) == ("2024", "2023-12-11")
    note = run(*base[:-2], "--year-of", "announced_date").stdout
    assert "Filters: announced 2023-2024" in note


def test_regions_and_excluded_regulators() -> None:
    """ICO is the UK's only regulator here: --region uk is the ICO alone (2020 in GBP: 5 fines,
    GBP 40,650,000); --region eu-eea is everything but the ICO, so the same as excluding it;
    the two regions add up to every regulator."""
    args = ["--years", "2020", "--currency", "GBP", "--by", "regulator", "--format", "csv"]
    uk = csv_rows(run("summary", *args, "--region", "uk").stdout)
    assert [(r["regulator"], r["n_fines"], float(r["total_gbp"])) for r in uk] == [
        ("ICO", "5", 40_650_000)
    ]
    eu = run("summary", *args, "--region", "eu-eea").stdout
    assert (
        eu.splitlines()[1:]
        == run("summary", *args, "--exclude-regulator", "ICO").stdout.splitlines()[1:]
    )
    every = csv_rows(run("summary", *args).stdout)
    assert sorted(r["regulator"] for r in every) == sorted(
        [r["regulator"] for r in csv_rows(eu)] + ["ICO"]
    )
    assert "ICO" not in {r["regulator"] for r in csv_rows(eu)}
    both = run("summary", *args, "--exclude-regulator", "ICO", "--exclude-regulator", "CNIL").stdout
    assert {"ICO", "CNIL"}.isdisjoint(r["regulator"] for r in csv_rows(both))
    assert len(csv_rows(both)) == len(every) - 2


def test_by_group() -> None:
    """ICO 2020 in GBP by group (data/raw/fines.csv): each fine has its group; a fine without a
    group counts under (none)."""
    rows = csv_rows(run("summary", *ICO_2020, "--by", "group", "--format", "csv").stdout)
    assert {r["group"]: float(r["total_gbp"]) for r in rows} == {
        "International Airlines Group": 20_000_000,
        "Marriott International": 18_400_000,
        "Live Nation Entertainment": 1_250_000,
        "Cathay Pacific": 500_000,
        "Dixons Carphone": 500_000,
    }
    every = csv_rows(run("summary", "--by", "group", "--format", "csv").stdout)
    none = [r for r in every if r["group"] == "(none)"]
    fines = csv_rows(run("fines", "--format", "csv").stdout)
    assert int(none[0]["n_fines"]) == sum(1 for r in fines if r["group"] == "")
    assert sum(int(r["n_fines"]) for r in every) == len(fines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fines", "--sort", "colour"], "--sort colour: no such column; columns are fine_id,"),
        (["fines", "--sort", "amount_eur:up"], "expected COLUMN, COLUMN:asc or COLUMN:desc"),
        (["fines", "--top", "0"], "Invalid value for '--top': 0 is not in the range x>=1"),
        (["notices", "--top", "many"], "Invalid value for '--top': 'many' is not a valid integer"),
        (["notices", "--format", "xlsx"], "--format xlsx needs --out FILE.xlsx"),
        (["fines", "--format", "html"], "'html' is not one of 'table', 'csv', 'json', 'xlsx'"),
        (["summary", "--region", "mars"], "'mars' is not one of 'eu-eea', 'uk'"),
        (["fines", "--year-of", "published"], "'published' is not one of 'decision_date'"),
        (["fines", "--exclude-regulator", "NOPE"], "unknown regulator NOPE: known regulators are"),
        (["notices", "--exclude-regulator", ""], "an empty name in ''"),
        (["summary", "--by", "colour"], "cannot group by colour: expected some of regulator,"),
    ],
)
def test_wrong_input_to_the_new_options_is_one_line(args: list[str], message: str) -> None:
    proc = run(*args)
    assert_clean_error(proc, message)
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("finestats: error: ")
    assert proc.stdout == ""


def test_top_without_sort_gives_the_largest() -> None:
    """--top 3 on a summary by group: the three largest groups (Meta Platforms EUR 2.92bn, Uber
    EUR 1.13bn with the AP's EUR 825m of 2026, Alphabet EUR 1.05bn with the DPC's EUR 403m of
    2026; ByteDance EUR 895m fourth), not the first three names in key order."""
    out = run_cli("summary", "--by", "group", "--top", "3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["group"] for r in rows] == ["Meta Platforms", "Uber", "Alphabet"]
    totals = [float(r["total_eur"]) for r in rows]
    assert totals == sorted(totals, reverse=True)


def test_json_names_the_records_file_as_the_sidecar_does(tmp_path) -> None:
    """The same export on another machine says the same: the records file by its name."""
    meta = json.loads(run_cli("summary", "--format", "json").stdout)["meta"]
    assert meta["data_file"] == "fines.csv"
    out = tmp_path / "t.csv"
    assert run_cli("summary", "--format", "csv", "--out", str(out)).returncode == 0
    side = json.loads(out.with_name("t.meta.json").read_text(encoding="utf-8"))
    assert side["data_file"] == meta["data_file"]
