"""The loader: typed columns, every bad-input kind named by file, line and column, no row lost."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finestats import FineDataError, FinestatsError, load_fines
from finestats.curation import validate_file
from finestats.records import COLUMNS, EXTENDED, STATUSES, source_of


def test_lifecycle_fixture_loads_typed(lifecycle_csv: Path) -> None:
    df = load_fines(lifecycle_csv)
    assert len(df) == 8
    assert list(df.columns) == [*COLUMNS, "year"]
    assert str(df["decision_date"].dtype) == "datetime64[ns]"
    assert str(df["announced_date"].dtype) == "datetime64[ns]"
    assert df["amount"].dtype == "float64"
    assert isinstance(df["currency"].dtype, pd.CategoricalDtype)
    assert df.loc[2, "amount"] == 10086800.0
    assert df.loc[2, "decision_date"] == pd.Timestamp("2021-02-11")
    assert df.loc[2, "announced_date"] == pd.Timestamp("2021-02-12")
    assert pd.isna(df.loc[3, "announced_date"])
    assert pd.isna(df.loc[0, "supersedes"])
    assert df.loc[1, "supersedes"] == "ico-2019-alpha-noi"
    assert df["year"].tolist() == [2019, 2020, 2021, 2021, 2022, 2021, 2022, 2022]
    assert df.loc[0, "matter"] == "alpha-breach" and pd.isna(df.loc[2, "matter"])
    assert df.loc[3, "articles"] == "6;LIL:82"
    assert df["sector"].astype(str).tolist()[:3] == ["transport", "transport", "retail"]
    assert set(df["date_basis"].astype(str)) == {"decision"}
    src = source_of(df)
    assert src.path == lifecycle_csv and len(src.sha256) == 64


def test_file_without_the_extended_columns_still_loads(tmp_path: Path, lifecycle_csv: Path) -> None:
    frame = pd.read_csv(lifecycle_csv, dtype=str, keep_default_na=False).drop(
        columns=list(EXTENDED)
    )
    path = tmp_path / "v1.csv"
    frame.to_csv(path, index=False)
    df = load_fines(path)
    assert list(df.columns) == [*COLUMNS, "year"]
    assert df["sector"].isna().all() and df["articles"].isna().all()
    with pytest.raises(FineDataError, match="column 'sector' value '': expected a value"):
        validate_file(path, strict=True)


def test_env_var_overrides_default_path(lifecycle_csv: Path, monkeypatch) -> None:
    monkeypatch.setenv("FINESTATS_DATA", str(lifecycle_csv))
    assert len(load_fines()) == 8


def test_bom_and_whitespace_are_tolerated(tmp_path: Path, lifecycle_csv: Path) -> None:
    text = lifecycle_csv.read_text(encoding="utf-8")
    text = (
        text.replace(",2021-02-11,", ", 2021-02-11 ,")
        .replace("imy-2021-beta,", " imy-2021-beta,")
        .replace(",Beta AB,", ',"  Beta AB ",')
    )
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    df = load_fines(path)
    assert df.loc[2, "fine_id"] == "imy-2021-beta"
    assert df.loc[2, "decision_date"] == pd.Timestamp("2021-02-11")
    assert list(df.columns)[0] == "fine_id"
    # the text of a quoted field is kept as it is; --strict asks for it without the spaces
    assert df.loc[2, "defendant"] == "  Beta AB "


def test_a_leading_tab_is_kept_so_exports_can_neutralise_it(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "defendant"): "\t=1+1"}))
    assert df.loc[2, "defendant"] == "\t=1+1"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(FineDataError) as info:
        load_fines(path)
    assert isinstance(info.value, FinestatsError)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("line", "column", "value", "expected"),
    [
        (3, "decision_date", "2021-02-30", "expected an ISO date (YYYY-MM-DD)"),
        (3, "decision_date", "16/10/2020", "expected an ISO date (YYYY-MM-DD)"),
        (3, "decision_date", "1677-09-22", "expected an ISO date (YYYY-MM-DD) between 1900"),
        (3, "decision_date", "1600-01-01", "expected an ISO date (YYYY-MM-DD) between 1900"),
        (3, "decision_date", "2021-2-3", "expected an ISO date (YYYY-MM-DD)"),
        (3, "decision_date", "2150-01-01", "expected a date that is not in the future"),
        (4, "announced_date", "2021-13-01", "expected an ISO date (YYYY-MM-DD)"),
        (4, "announced_date", "2021-02-10", "expected a date on or after decision_date"),
        (5, "amount", "5,000,000", "expected a positive number without separators"),
        (5, "amount", "EUR 5000000", "expected a positive number without separators"),
        (5, "amount", "-5000000", "expected a positive number without separators"),
        (5, "amount", "0", "expected a positive amount"),
        (5, "amount", "9" * 401, "expected a finite amount"),
        (5, "amount", "\u0661\u0662\u0663", "expected a positive number without separators"),
        (5, "amount", "1e6", "expected a positive number without separators"),
        (5, "amount", "inf", "expected a positive number without separators"),
        (5, "amount", "", "expected a value (this column is required)"),
        (4, "currency", "SKR", "expected an ISO 4217 code such as SEK"),
        (4, "status", "fined", "expected one of final, provisional, penalty, reduced, annulled"),
        (4, "date_precision", "week", "expected one of day, month, year"),
        (4, "country", "Sweden", "expected an ISO 3166-1 alpha-2 code such as SE"),
        (4, "fine_id", "IMY 2021 Beta", "expected a lowercase slug"),
        (4, "supersedes", "no-such-fine", "expected the fine_id of another record in the file"),
        (4, "supersedes", "imy-2021-beta", "expected another record's fine_id"),
        (4, "supersedes", "ico-2019-alpha-noi", "expected a record superseded only once"),
        (2, "supersedes", "ico-2020-alpha", "expected a provisional record to supersede nothing"),
        (6, "supersedes", "", "expected the fine_id of the decision this reduced court outcome"),
        (4, "regulator", "", "expected a value (this column is required)"),
        (4, "sector", "banking", "expected one of tech-platforms, telecoms"),
        (4, "articles", "Art. 6", "expected article references separated by ';'"),
        (4, "articles", "6;;13", "expected article references separated by ';'"),
        (4, "matter", "Clearview AI", "expected a lowercase slug"),
        (4, "date_basis", "press", "expected one of decision, announcement"),
    ],
)
def test_bad_cell_is_named_by_line_and_column(
    edited_csv, line: int, column: str, value: str, expected: str
) -> None:
    path = edited_csv({(line, column): value})
    msgs = problems_of(path)
    shown = value if len(value) <= 80 else value[:79] + f"… ({len(value)} characters)"
    prefix = f"{path}:{line}: column '{column}' value '{shown}': {expected}"
    assert any(m.startswith(prefix) for m in msgs), msgs


def test_month_precision_needs_first_of_month(edited_csv) -> None:
    path = edited_csv({(4, "date_precision"): "month"})
    assert problems_of(path) == [
        f"{path}:4: column 'decision_date' value '2021-02-11': "
        "expected the first day of the month (date_precision is month)"
    ]
    assert (
        len(
            load_fines(
                edited_csv({(4, "date_precision"): "month", (4, "decision_date"): "2021-02-01"})
            )
        )
        == 8
    )


def test_duplicate_fine_id_names_both_lines(edited_csv) -> None:
    path = edited_csv({(5, "fine_id"): "imy-2021-beta"})
    msgs = problems_of(path)
    assert (
        f"{path}:5: column 'fine_id' value 'imy-2021-beta': "
        "expected a unique fine_id (already used on line 4)"
    ) in msgs


def test_every_problem_is_reported_at_once(edited_csv) -> None:
    path = edited_csv({(3, "amount"): "lots", (7, "currency"): "XXX1", (9, "status"): "done"})
    msgs = problems_of(path)
    assert [m.split(": column")[0] for m in msgs] == [f"{path}:3", f"{path}:7", f"{path}:9"]


def test_supersedes_cycle_is_an_error(edited_csv) -> None:
    # reduced (line 6) supersedes gamma (line 5); make gamma... a reduced one pointing back.
    path = edited_csv(
        {(5, "status"): "reduced", (5, "supersedes"): "cnil-2022-gamma-reduced"},
    )
    msgs = problems_of(path)
    assert any("loops back" in m and f"{path}:5:" in m for m in msgs), msgs


def test_missing_and_unexpected_columns(tmp_path: Path, lifecycle_csv: Path) -> None:
    text = lifecycle_csv.read_text(encoding="utf-8").replace("notes", "comment", 1)
    path = tmp_path / "cols.csv"
    path.write_text(text, encoding="utf-8")
    msgs = problems_of(path)
    assert f"{path}:1: column 'notes' value '': expected this column in the header" in msgs[0]
    assert msgs[1].startswith(
        f"{path}:1: column 'comment' value 'comment': expected no such column"
    )


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    assert problems_of(path) == [f"{path}: '': expected a header row and at least one record"]


def test_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    assert problems_of(path) == [f"{path}: '': expected at least one record after the header"]


def test_bytes_that_are_not_utf8(tmp_path: Path, lifecycle_csv: Path) -> None:
    data = lifecycle_csv.read_bytes().replace("libertés".encode(), "libert\xe9s".encode("latin-1"))
    path = tmp_path / "latin1.csv"
    path.write_bytes(data)
    msgs = problems_of(path)
    assert msgs == [f"{path}:5: 'bytes e9': expected UTF-8 text (save the file as UTF-8)"]


def test_row_with_too_many_fields(tmp_path: Path, lifecycle_csv: Path) -> None:
    lines = lifecycle_csv.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",extra"
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert problems_of(path) == [f"{path}:4: '20 fields': expected 19 fields (quote commas)"]


def test_row_with_too_few_fields_is_reported_by_its_empty_cells(tmp_path, lifecycle_csv) -> None:
    lines = lifecycle_csv.read_text(encoding="utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:10])
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msgs = problems_of(path)
    assert (
        f"{path}:4: column 'currency' value '': expected a value (this column is required)" in msgs
    )


def test_blank_line_is_one_problem(tmp_path: Path, lifecycle_csv: Path) -> None:
    lines = lifecycle_csv.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([*lines[:3], "", *lines[3:]]) + "\n", encoding="utf-8")
    assert problems_of(path) == [f"{path}:4: '': expected a record, not a blank line"]


def test_unterminated_quote_is_named_by_line(tmp_path: Path, lifecycle_csv: Path) -> None:
    lines = lifecycle_csv.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",Fictional test record", ',"Fictional test record')
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msgs = problems_of(path)
    assert msgs == [f"{path}:6: '\"': expected a closing quote for the quote opened on this line"]


def test_a_huge_bad_value_makes_a_short_message(edited_csv) -> None:
    path = edited_csv({(4, "currency"): "X" * 1_000_000})
    (msg,) = problems_of(path)
    assert len(msg) < 300 and "(1000000 characters)" in msg


def test_line_numbers_count_newlines_inside_quoted_notes(edited_csv) -> None:
    path = edited_csv({(3, "notes"): "two\nlines", (4, "currency"): "SKR"})
    msgs = problems_of(path)
    # The record that starts on file line 5 (after the two-line note) is named correctly.
    assert msgs == [
        f"{path}:5: column 'currency' value 'SKR': expected an ISO 4217 code such as SEK"
    ]


def test_missing_file() -> None:
    with pytest.raises(FineDataError, match="expected an existing CSV file"):
        load_fines("/nonexistent/fines.csv")


# --- strict curation checks ---------------------------------------------------------------


def test_strict_passes_on_the_fixture(lifecycle_csv: Path) -> None:
    df, warns = validate_file(lifecycle_csv, strict=True)
    assert len(df) == 8
    assert warns == []


def test_strict_rejects_non_http_source(edited_csv) -> None:
    path = edited_csv({(4, "source_url"): "ftp://example.org/x"})
    load_fines(path)  # fine without strict
    with pytest.raises(FineDataError, match=r":4: column 'source_url' value 'ftp://example.org/x'"):
        validate_file(path, strict=True)


def test_strict_rejects_duplicate_decision(edited_csv) -> None:
    path = edited_csv(
        {(7, "defendant"): "Gamma SA", (7, "decision_date"): "2021-06-01", (7, "amount"): "5000000"}
    )
    with pytest.raises(FineDataError, match=r":7: column 'fine_id' value 'cnil-2021-delta'"):
        validate_file(path, strict=True)


def test_strict_rejects_stale_unexplained_provisional(edited_csv) -> None:
    path = edited_csv({(3, "supersedes"): "", (2, "notes"): ""})
    with pytest.raises(FineDataError, match=r":2: column 'status' value 'provisional'"):
        validate_file(path, strict=True)
    # A note saying why the notice was never finalised is enough.
    ok = edited_csv({(3, "supersedes"): "", (2, "notes"): "case closed without a fine"})
    validate_file(ok, strict=True)


def test_strict_warns_above_one_billion_euro(edited_csv) -> None:
    path = edited_csv({(5, "amount"): "1200000000"})
    _, warns = validate_file(path, strict=True)
    assert [(w.line, w.column) for w in warns] == [(5, "amount")]
    assert str(warns[0]).endswith("EUR 1.20bn, above EUR 1bn: check it is real, not an extra zero")


# --- property: any valid file round-trips -------------------------------------------------

_slug = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda s: s.lstrip(" ") == s and s != "")
_record = st.fixed_dictionaries(
    {
        "regulator": st.sampled_from(["IMY", "ICO", "CNIL", "AP"]),
        "defendant": _text,
        "decision_date": st.dates(
            min_value=pd.Timestamp("1999-01-04").date(), max_value=pd.Timestamp("2025-12-31").date()
        ),
        "announce_after": st.none() | st.integers(0, 60),
        "amount": st.decimals(min_value="0.01", max_value="1e10", places=2, allow_nan=False),
        "currency": st.sampled_from(["SEK", "GBP", "EUR", "USD", "NOK"]),
        "status": st.sampled_from(["final", "penalty", "provisional"]),
        "notes": st.none() | _text,
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record, min_size=1, max_size=25), ids=st.data())
def test_any_valid_file_loads_intact(tmp_path: Path, records: list[dict], ids) -> None:
    fine_ids = ids.draw(st.lists(_slug, min_size=len(records), max_size=len(records), unique=True))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for fid, r in zip(fine_ids, records, strict=True):
        ann = (
            ""
            if r["announce_after"] is None
            else (pd.Timestamp(r["decision_date"]) + pd.Timedelta(days=r["announce_after"]))
            .date()
            .isoformat()
        )
        cells = {
            "fine_id": fid,
            "regulator": r["regulator"],
            "regulator_name": "Some Regulator",
            "country": "SE",
            "defendant": r["defendant"],
            "matter": "",
            "decision_date": r["decision_date"].isoformat(),
            "date_basis": "decision",
            "date_precision": "day",
            "announced_date": ann,
            "amount": str(r["amount"]),
            "currency": r["currency"],
            "status": r["status"],
            "supersedes": "",
            "law": "GDPR",
            "articles": "6(1)",
            "sector": "other",
            "source_url": "https://example.org/x",
            "notes": r["notes"] or "",
        }
        w.writerow([cells[c] for c in COLUMNS])
    path = tmp_path / "gen.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    df = load_fines(path)
    assert len(df) == len(records)
    assert df["fine_id"].tolist() == fine_ids
    assert df["amount"].tolist() == [float(r["amount"]) for r in records]
    assert df["defendant"].tolist() == [r["defendant"] for r in records]
    assert [d.date() for d in df["decision_date"]] == [r["decision_date"] for r in records]
    assert df["status"].astype(str).tolist() == [r["status"] for r in records]
    assert set(df["status"].astype(str)) <= set(STATUSES)


# --- property: any bytes either load intact or fail with FineDataError ---------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_fail_cleanly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    try:
        load_fines(path)
    except FineDataError:
        pass


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 40), st.binary(max_size=6)), max_size=4
    )
)
def test_mutated_fixture_loads_intact_or_fails_cleanly(
    tmp_path: Path, lifecycle_csv: Path, cuts
) -> None:
    data = bytearray(lifecycle_csv.read_bytes())
    for at, length, insert in cuts:
        at = min(at, len(data))
        data[at : at + length] = insert
    path = tmp_path / "mutated.csv"
    path.write_bytes(bytes(data))
    try:
        df = load_fines(path)
    except FineDataError as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)
        return
    rows = list(csv.reader(io.StringIO(bytes(data).decode("utf-8-sig"))))
    assert len(df) == len(rows) - 1  # rows in == rows out
