"""The loader: typed columns, every bad-input kind named by file, line and column, no row lost."""

from __future__ import annotations

import csv
import datetime as dt
import io
import types
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from finestats import FineDataError, FinestatsError, load_fines
from finestats.curation import validate_file
from finestats.errors import FineDataWarning
from finestats.records import COLUMNS, EXTENDED, STATUSES, source_of

from .conftest import RECORD, examples, records_csv


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
    assert problems_of(path) == [
        f"{path}:4: '{len(COLUMNS) + 1} fields': expected {len(COLUMNS)} fields (quote commas)"
    ]


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
    with pytest.warns(FineDataWarning):
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
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
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
            **RECORD,
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
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
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
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 40), st.binary(max_size=6)), max_size=4
    )
)
@example(cuts=[(1199, 40, b"\r")])  # a lone CR ending a record inside a URL (found by hypothesis)
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
    # newline="": the csv module's own reading of a lone CR (a row ends), as the loader's
    rows = list(csv.reader(io.StringIO(bytes(data).decode("utf-8-sig"), newline="")))
    assert len(df) == len(rows) - 1  # rows in == rows out


# --- small files built record by record ----------------------------------------------------


def only_problems(path: Path) -> list[str]:
    """Every problem of a file that must not load, as ``FILE:LINE: column ...`` text."""
    with pytest.raises(FineDataError) as info:
        load_fines(path)
    return [str(p) for p in info.value.problems]


# --- supersedes chains and loops ----------------------------------------------------------

_PROVISIONAL = {"fine_id": "imy-2019-noi", "status": "provisional", "decision_date": "2019-03-01"}
_FINAL = {"fine_id": "imy-2020-final", "supersedes": "imy-2019-noi", "decision_date": "2020-03-02"}
_COURT = {
    "fine_id": "imy-2021-court",
    "status": "reduced",
    "supersedes": "imy-2020-final",
    "decision_date": "2021-04-06",
}
_APPEAL = {
    "fine_id": "imy-2022-appeal",
    "status": "annulled",
    "supersedes": "imy-2021-court",
    "decision_date": "2022-05-09",
}


def test_chain_of_one_link_is_not_a_loop(tmp_path: Path) -> None:
    df = load_fines(records_csv(tmp_path, _PROVISIONAL, _FINAL))
    assert df["supersedes"].tolist()[1] == "imy-2019-noi"


def test_chain_provisional_final_court_outcome_is_not_a_loop(tmp_path: Path) -> None:
    df = load_fines(records_csv(tmp_path, _PROVISIONAL, _FINAL, _COURT))
    assert df["status"].astype(str).tolist() == ["provisional", "final", "reduced"]
    assert df["supersedes"].tolist()[1:] == ["imy-2019-noi", "imy-2020-final"]


def test_chain_of_three_links_in_any_row_order_is_not_a_loop(tmp_path: Path) -> None:
    # every link of the file is on the one chain: the longest chain there can be
    df = load_fines(records_csv(tmp_path, _APPEAL, _COURT, _FINAL, _PROVISIONAL))
    assert df["fine_id"].tolist() == [
        "imy-2022-appeal",
        "imy-2021-court",
        "imy-2020-final",
        "imy-2019-noi",
    ]


def test_loop_of_two_records(tmp_path: Path) -> None:
    a = {"fine_id": "cnil-2021-a", "status": "reduced", "supersedes": "cnil-2021-b"}
    b = {"fine_id": "cnil-2021-b", "status": "reduced", "supersedes": "cnil-2021-a"}
    path = records_csv(tmp_path, {}, a, b)
    expected = "expected a chain of supersedes links that ends (this one loops back)"
    assert only_problems(path) == [
        f"{path}:3: column 'supersedes' value 'cnil-2021-b': {expected}",
        f"{path}:4: column 'supersedes' value 'cnil-2021-a': {expected}",
    ]


def test_loop_of_three_records_beside_a_chain(tmp_path: Path) -> None:
    a = {"fine_id": "cnil-2021-a", "status": "reduced", "supersedes": "cnil-2021-c"}
    b = {"fine_id": "cnil-2021-b", "status": "annulled", "supersedes": "cnil-2021-a"}
    c = {"fine_id": "cnil-2021-c", "status": "reduced", "supersedes": "cnil-2021-b"}
    path = records_csv(tmp_path, _PROVISIONAL, _FINAL, a, b, c)
    expected = "expected a chain of supersedes links that ends (this one loops back)"
    assert only_problems(path) == [
        f"{path}:4: column 'supersedes' value 'cnil-2021-c': {expected}",
        f"{path}:5: column 'supersedes' value 'cnil-2021-a': {expected}",
        f"{path}:6: column 'supersedes' value 'cnil-2021-b': "
        "expected a reduced record to supersede final, penalty, reduced, not a annulled record",
        f"{path}:6: column 'supersedes' value 'cnil-2021-b': {expected}",
    ]


def test_a_tail_leading_into_a_loop_is_reported_with_it(tmp_path: Path) -> None:
    a = {"fine_id": "cnil-2021-a", "status": "reduced", "supersedes": "cnil-2021-b"}
    b = {"fine_id": "cnil-2021-b", "status": "reduced", "supersedes": "cnil-2021-a"}
    tail = {"fine_id": "cnil-2021-t", "status": "annulled", "supersedes": "cnil-2021-a"}
    path = records_csv(tmp_path, a, b, tail)
    msgs = only_problems(path)
    loops = [m.split(": column")[0] for m in msgs if m.endswith("(this one loops back)")]
    assert loops == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert (
        f"{path}:4: column 'supersedes' value 'cnil-2021-a': expected a record superseded only "
        "once (chain later outcomes onto the latest record)"
    ) in msgs


# --- dates: today, the future, and the precision of a date -------------------------------


class _Today(dt.date):
    """A date class whose today() is fixed (records reads today through ``dt.date.today``)."""

    fixed = dt.date(2024, 2, 29)

    @classmethod
    def today(cls) -> dt.date:
        return cls.fixed


@pytest.fixture
def frozen_today(monkeypatch) -> dt.date:
    import finestats.records as records

    monkeypatch.setattr(records, "dt", types.SimpleNamespace(date=_Today))
    return _Today.fixed


@pytest.mark.parametrize("column", ["decision_date", "announced_date"])
def test_a_date_of_today_is_accepted(tmp_path: Path, frozen_today, column: str) -> None:
    df = load_fines(records_csv(tmp_path, {column: "2024-02-29", "decision_date": "2024-02-29"}))
    assert df.loc[0, column] == pd.Timestamp("2024-02-29")


def test_a_decision_dated_tomorrow_is_rejected(tmp_path: Path, frozen_today) -> None:
    path = records_csv(tmp_path, {}, {"decision_date": "2024-03-01"})
    assert only_problems(path) == [
        f"{path}:3: column 'decision_date' value '2024-03-01': "
        "expected a date that is not in the future"
    ]


def test_an_announcement_dated_tomorrow_is_rejected(tmp_path: Path, frozen_today) -> None:
    path = records_csv(tmp_path, {"decision_date": "2024-02-29", "announced_date": "2024-03-01"})
    assert only_problems(path) == [
        f"{path}:2: column 'announced_date' value '2024-03-01': "
        "expected a date that is not in the future"
    ]


def test_announced_the_day_before_the_decision_is_rejected(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {"decision_date": "2021-02-11", "announced_date": "2021-02-10"})
    assert only_problems(path) == [
        f"{path}:2: column 'announced_date' value '2021-02-10': "
        "expected a date on or after decision_date"
    ]
    same_day = records_csv(
        tmp_path, {"decision_date": "2021-02-11", "announced_date": "2021-02-11"}, name="ok.csv"
    )
    assert load_fines(same_day).loc[0, "announced_date"] == pd.Timestamp("2021-02-11")


_YEAR = "expected January 1 (date_precision is year)"
_MONTH = "expected the first day of the month (date_precision is month)"


@pytest.mark.parametrize(
    ("precision", "date", "expected"),
    [
        ("year", "2021-01-01", None),
        ("year", "2021-02-01", _YEAR),  # the first of a month is not enough
        ("year", "2021-01-02", _YEAR),
        ("year", "2021-12-31", _YEAR),
        ("month", "2021-02-01", None),
        ("month", "2021-01-01", None),
        ("month", "2021-02-02", _MONTH),
        ("month", "2020-02-29", _MONTH),
        ("day", "2021-02-11", None),
        ("day", "2021-01-01", None),
    ],
)
def test_date_precision_fixes_the_day(
    tmp_path: Path, precision: str, date: str, expected: str | None
) -> None:
    path = records_csv(tmp_path, {}, {"date_precision": precision, "decision_date": date})
    if expected is None:
        df = load_fines(path)
        assert df.loc[1, "decision_date"] == pd.Timestamp(date)
        assert df["date_precision"].astype(str).tolist() == ["day", precision]
    else:
        assert only_problems(path) == [
            f"{path}:3: column 'decision_date' value '{date}': {expected}"
        ]


@pytest.mark.parametrize("precision", ["month", "year"])
def test_a_bad_date_is_reported_once_whatever_its_precision(tmp_path: Path, precision) -> None:
    path = records_csv(tmp_path, {"date_precision": precision, "decision_date": "2021-02-30"})
    assert only_problems(path) == [
        f"{path}:2: column 'decision_date' value '2021-02-30': "
        "expected an ISO date (YYYY-MM-DD) between 1900 and 2199"
    ]


# --- fine_id ---------------------------------------------------------------------------------

_SLUG = "expected a lowercase slug such as imy-2021-polis"


@pytest.mark.parametrize(
    ("ids", "bad"),
    [
        (["imy-a", "Imy-b"], 1),  # a capital
        (["imy-a", "imy_b"], 1),  # a character no slug has
        (["imy--a", "imy-b"], 0),  # two hyphens together
        (["imy-a", "-imy-b"], 1),  # a hyphen first (not on the first row)
        (["imy-a-", "imy-b"], 0),  # a hyphen last (not on the last row)
        (["-imy-a", "imy-b"], 0),  # a hyphen first on the first row
        (["imy-a", "imy-b-"], 1),  # a hyphen last on the last row
        (["imy-a", "imy\n2021"], 1),  # a newline inside a quoted id
        (["imy-a", "imy\n\n2021"], 1),
        (["imy-a", "imy 2021"], 1),
    ],
)
def test_fine_id_must_be_a_slug(tmp_path: Path, ids: list[str], bad: int) -> None:
    path = records_csv(tmp_path, *[{"fine_id": i} for i in ids])
    msgs = only_problems(path)
    assert len(msgs) == 1
    shown = ids[bad].replace("\n", "\\n")
    line = 2 + bad if bad == 0 else 2 + bad + ids[0].count("\n")
    assert msgs[0] == f"{path}:{line}: column 'fine_id' value '{shown}': {_SLUG}"


def test_fine_ids_that_are_all_slugs_load(tmp_path: Path) -> None:
    ids = ["a", "0", "imy-2021-a1", "z9-9z"]
    df = load_fines(records_csv(tmp_path, *[{"fine_id": i} for i in ids]))
    assert df["fine_id"].tolist() == ids


@pytest.mark.parametrize("space", [" ", "\t", "  \t"])
def test_spaces_after_a_fine_id_are_dropped(tmp_path: Path, space: str) -> None:
    path = records_csv(
        tmp_path,
        {"fine_id": "imy-2019-noi" + space, "status": "provisional"},
        {"fine_id": "imy-2020-final", "supersedes": "imy-2019-noi"},
    )
    df = load_fines(path)
    assert df["fine_id"].tolist() == ["imy-2019-noi", "imy-2020-final"]


def test_an_empty_fine_id_in_a_filled_row_is_a_missing_value(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {}, {"fine_id": ""})
    assert only_problems(path) == [
        f"{path}:3: column 'fine_id' value '': expected a value (this column is required)"
    ]


def test_a_fine_id_used_three_times_names_its_first_line(tmp_path: Path) -> None:
    same = {"fine_id": "imy-2021-same"}
    path = records_csv(tmp_path, {}, same, {"fine_id": "imy-2021-other"}, same, same)
    expected = "expected a unique fine_id (already used on line 3)"
    assert only_problems(path) == [
        f"{path}:5: column 'fine_id' value 'imy-2021-same': {expected}",
        f"{path}:6: column 'fine_id' value 'imy-2021-same': {expected}",
    ]


def test_a_duplicate_id_named_by_supersedes_gives_one_problem(tmp_path: Path) -> None:
    noi = {"fine_id": "imy-2019-noi", "status": "provisional"}
    path = records_csv(tmp_path, noi, noi, {"supersedes": "imy-2019-noi"})
    assert only_problems(path) == [
        f"{path}:3: column 'fine_id' value 'imy-2019-noi': "
        "expected a unique fine_id (already used on line 2)"
    ]


# --- supersedes: which status may replace which ----------------------------------------------


@pytest.mark.parametrize(
    ("own", "target", "expected"),
    [
        ("final", "final", "a final record to supersede provisional, not a final record"),
        ("final", "penalty", "a final record to supersede provisional, not a penalty record"),
        (
            "reduced",
            "provisional",
            "a reduced record to supersede final, penalty, reduced, not a provisional record",
        ),
        (
            "annulled",
            "annulled",
            "a annulled record to supersede final, penalty, reduced, not a annulled record",
        ),
        (
            "penalty",
            "final",
            "a penalty record to supersede nothing (leave it empty), not a final record",
        ),
        (
            "provisional",
            "provisional",
            "a provisional record to supersede nothing (leave it empty), not a provisional record",
        ),
    ],
)
def test_status_limits_what_a_record_supersedes(
    tmp_path: Path, own: str, target: str, expected: str
) -> None:
    old = {"fine_id": "imy-2020-old", "status": target}
    if target in ("reduced", "annulled"):
        old["supersedes"] = "imy-2019-base"
    base = {"fine_id": "imy-2019-base"}
    new = {"fine_id": "imy-2021-new", "status": own, "supersedes": "imy-2020-old"}
    path = records_csv(tmp_path, base, old, new)
    assert only_problems(path) == [
        f"{path}:4: column 'supersedes' value 'imy-2020-old': expected {expected}"
    ]


@pytest.mark.parametrize(
    ("own", "target"),
    [
        ("final", "provisional"),
        ("reduced", "final"),
        ("reduced", "penalty"),
        ("reduced", "reduced"),
        ("annulled", "final"),
        ("annulled", "penalty"),
        ("annulled", "reduced"),
    ],
)
def test_every_allowed_replacement_loads(tmp_path: Path, own: str, target: str) -> None:
    old = {"fine_id": "imy-2020-old", "status": target}
    if target == "reduced":
        old["supersedes"] = "imy-2019-base"
    path = records_csv(
        tmp_path,
        {"fine_id": "imy-2019-base"},
        old,
        {"fine_id": "imy-2021-new", "status": own, "supersedes": "imy-2020-old"},
    )
    assert load_fines(path)["status"].astype(str).tolist()[1:] == [target, own]


@pytest.mark.parametrize("status", ["reduced", "annulled"])
def test_a_court_outcome_names_what_it_replaces(tmp_path: Path, status: str) -> None:
    path = records_csv(tmp_path, {}, {"status": status})
    assert only_problems(path) == [
        f"{path}:3: column 'supersedes' value '': "
        f"expected the fine_id of the decision this {status} court outcome replaces"
    ]


def test_an_unknown_status_is_the_only_problem_of_its_supersedes(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {}, {"status": "fined", "supersedes": "imy-2021-r0"})
    assert only_problems(path) == [
        f"{path}:3: column 'status' value 'fined': "
        "expected one of final, provisional, penalty, reduced, annulled"
    ]


def test_supersedes_problems_name_each_row(tmp_path: Path) -> None:
    path = records_csv(
        tmp_path,
        {"fine_id": "imy-2019-noi", "status": "provisional"},
        {"supersedes": "imy-2019-noi"},
        {"supersedes": "imy-2018-gone"},
        {"fine_id": "imy-2021-self", "status": "reduced", "supersedes": "imy-2021-self"},
        {"supersedes": "imy-2019-noi"},
    )
    assert only_problems(path) == [
        f"{path}:4: column 'supersedes' value 'imy-2018-gone': "
        "expected the fine_id of another record in the file",
        f"{path}:5: column 'supersedes' value 'imy-2021-self': "
        "expected another record's fine_id, not the record's own",
        f"{path}:5: column 'supersedes' value 'imy-2021-self': "
        "expected a chain of supersedes links that ends (this one loops back)",
        f"{path}:6: column 'supersedes' value 'imy-2019-noi': "
        "expected a record superseded only once (chain later outcomes onto the latest record)",
    ]


# --- required cells and the typed frame --------------------------------------------------

_REQUIRED = [c for c in COLUMNS if c not in EXTENDED and c not in ("announced_date", "notes")]


@pytest.mark.parametrize("column", [c for c in _REQUIRED if c not in ("matter", "supersedes")])
def test_every_required_column_is_named_when_empty(tmp_path: Path, column: str) -> None:
    path = records_csv(tmp_path, {}, {column: ""})
    assert only_problems(path) == [
        f"{path}:3: column '{column}' value '': expected a value (this column is required)"
    ]


def test_optional_and_extended_columns_may_be_empty(tmp_path: Path) -> None:
    empty = {c: "" for c in ("matter", "announced_date", "supersedes", "notes", *EXTENDED)}
    df = load_fines(records_csv(tmp_path, empty, {"matter": "beta-case", "notes": "a note"}))
    for col in ("matter", "supersedes", "notes", "articles"):
        assert pd.isna(df.loc[0, col]), col
    assert df.loc[1, "matter"] == "beta-case" and df.loc[1, "notes"] == "a note"
    assert df.loc[1, "articles"] == "6(1)"
    for col in ("sector", "date_basis"):
        assert pd.isna(df.loc[0, col]) and df[col].astype(str).tolist()[1] == RECORD[col]
        assert list(df[col].cat.categories) == [RECORD[col]]
    assert pd.isna(df.loc[0, "announced_date"])


def test_codes_are_categories_sorted_with_spaces_dropped(tmp_path: Path) -> None:
    rows = [
        {"currency": "SEK", "country": "SE", "status": "final"},
        {"currency": " EUR", "country": "FR ", "status": "provisional"},
        {"currency": "SEK ", "country": "SE", "status": "final"},
        {"currency": "GBP", "country": "GB", "status": "penalty"},
    ]
    df = load_fines(records_csv(tmp_path, *rows))
    assert df["currency"].astype(str).tolist() == ["SEK", "EUR", "SEK", "GBP"]
    assert list(df["currency"].cat.categories) == ["EUR", "GBP", "SEK"]
    assert list(df["country"].cat.categories) == ["FR", "GB", "SE"]
    assert df["country"].astype(str).tolist() == ["SE", "FR", "SE", "GB"]
    assert list(df["status"].cat.categories) == ["final", "penalty", "provisional"]
    assert df["status"].cat.codes.tolist() == [0, 2, 0, 1]


def test_amounts_and_years_are_typed(tmp_path: Path) -> None:
    rows = [
        {"amount": "0.5", "decision_date": "1999-12-31"},
        {"amount": "1234.56", "decision_date": "2000-01-01"},
        {"amount": "7", "decision_date": "2021-02-11"},
    ]
    df = load_fines(records_csv(tmp_path, *rows))
    assert df["amount"].tolist() == [0.5, 1234.56, 7.0]
    assert df["year"].tolist() == [1999, 2000, 2021] and df["year"].dtype == "int64"
    assert df["amount"].dtype == "float64"


def test_a_zero_amount_with_decimals_is_not_positive(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {"amount": "0.00"}, {"amount": "0.01"})
    assert only_problems(path) == [
        f"{path}:2: column 'amount' value '0.00': expected a positive amount"
    ]


def test_a_hand_built_frame_has_no_source() -> None:
    assert source_of(pd.DataFrame({"fine_id": ["x"]})) is None
    frame = pd.DataFrame({"fine_id": ["x"]})
    frame.attrs["finestats_source"] = "not a Source"
    assert source_of(frame) is None


def test_source_is_the_file_and_its_sha256(tmp_path: Path) -> None:
    import hashlib

    path = records_csv(tmp_path, {})
    src = source_of(load_fines(path))
    assert src.path == path
    assert src.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_all_empty_category_has_text_categories_like_the_others(tmp_path: Path) -> None:
    df = load_fines(records_csv(tmp_path, {"sector": ""}, {"sector": ""}))
    assert df["sector"].isna().all() and list(df["sector"].cat.categories) == []
    assert df["sector"].cat.categories.dtype == df["currency"].cat.categories.dtype == "str"


# --- structured fields of whole-row and whole-file problems -------------------------------


def _problems(path: Path) -> list:
    with pytest.raises(FineDataError) as info:
        load_fines(path)
    return info.value.problems


def test_a_blank_line_is_a_problem_of_the_whole_row(tmp_path: Path, lifecycle_csv: Path) -> None:
    lines = lifecycle_csv.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([*lines[:3], "", *lines[3:]]) + "\n", encoding="utf-8")
    [p] = _problems(path)
    assert (p.file, p.line, p.column, p.value) == (str(path), 4, "", "")


def test_a_file_without_records_is_a_problem_of_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    [p] = _problems(path)
    assert (p.file, p.line, p.column, p.value) == (str(path), 0, "", "")


def test_two_empty_fine_ids_are_missing_values_not_duplicates(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {"fine_id": ""}, {}, {"fine_id": ""})
    missing = "column 'fine_id' value '': expected a value (this column is required)"
    assert only_problems(path) == [f"{path}:2: {missing}", f"{path}:4: {missing}"]


def test_one_bad_fine_id_leaves_slugs_without_hyphens_alone(tmp_path: Path) -> None:
    """A fine_id that is not a slug sends the check down its per-value path: the good ids
    beside it, with and without hyphens, must still pass there."""
    ids = ["alpha", "Beta 2", "a1-b2", "0"]
    path = records_csv(tmp_path, *[{"fine_id": i} for i in ids])
    assert only_problems(path) == [f"{path}:3: column 'fine_id' value 'Beta 2': {_SLUG}"]
