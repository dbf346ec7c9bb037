"""The --strict curation checks, each one made to fail on the fixture."""

from __future__ import annotations

import datetime as dt
import os
import types
import warnings
from pathlib import Path

import pytest

from finestats import FineDataError, load_fines
from finestats.curation import blocked_hosts, validate_file
from finestats.errors import FineDataWarning

from .conftest import records_csv


def strict_messages(path) -> list[str]:
    with pytest.raises(FineDataError) as info:
        validate_file(path, strict=True)
    return [str(p) for p in info.value.problems]


def test_strict_passes_on_the_fixture(lifecycle_csv) -> None:
    df, warns = validate_file(lifecycle_csv, strict=True)
    assert len(df) == 8 and warns == []


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        (
            {(4, "source_url"): "ftp://example.org/x"},
            ":4: column 'source_url' value 'ftp://example.org/x'",
        ),
        (
            {(4, "source_url"): "https://i67647072687562o6575z.oszar.com/x"},
            "blocked: proxy that re-serves",
        ),
        (
            {(4, "source_url"): "https://www.cookiefines.eu/actions/1"},
            "blocked: scraped aggregator",
        ),
        (
            {(6, "regulator_name"): "CNIL"},
            ":6: column 'regulator_name' value 'CNIL': expected 'Commission nationale",
        ),
        ({(4, "sector"): ""}, ":4: column 'sector' value '': expected a value (every record"),
        (
            {(4, "date_basis"): "announcement", (4, "notes"): ""},
            ":4: column 'notes' value '': expected a note saying where",
        ),
        (
            {(4, "defendant"): "Beta AB "},
            ":4: column 'defendant' value 'Beta AB ': expected no spaces",
        ),
    ],
)
def test_each_rule(edited_csv, changes, where) -> None:
    path = edited_csv(changes)
    load_fines(path)  # each file loads without --strict
    assert any(where in m for m in strict_messages(path)), strict_messages(path)


def test_strict_rejects_duplicate_decision(edited_csv) -> None:
    path = edited_csv(
        {(7, "defendant"): "Gamma SA", (7, "decision_date"): "2021-06-01", (7, "amount"): "5000000"}
    )
    assert any(":7: column 'fine_id' value 'cnil-2021-delta'" in m for m in strict_messages(path))


def test_stale_provisional_needs_a_note(edited_csv) -> None:
    path = edited_csv({(3, "supersedes"): "", (2, "notes"): ""})
    assert any(":2: column 'status' value 'provisional'" in m for m in strict_messages(path))
    ok = edited_csv({(3, "supersedes"): "", (2, "notes"): "case closed without a fine"})
    validate_file(ok, strict=True)


def test_recent_provisional_needs_no_note(edited_csv) -> None:
    import datetime as dt

    recent = (dt.date.today() - dt.timedelta(days=700)).isoformat()
    path = edited_csv(
        {
            (3, "supersedes"): "",
            (2, "notes"): "",
            (2, "decision_date"): recent,
            (2, "announced_date"): recent,
            (2, "fine_id"): f"ico-{recent[:4]}-alpha-noi",
        }
    )
    validate_file(path, strict=True)  # under two years old: still pending, no note needed


def test_warns_above_one_billion_euro(edited_csv) -> None:
    path = edited_csv({(5, "amount"): "1200000000"})
    with pytest.warns(FineDataWarning):
        _, warns = validate_file(path, strict=True)
    assert [(w.line, w.column) for w in warns] == [(5, "amount")]
    assert str(warns[0]).endswith("EUR 1.20bn, above EUR 1bn: check it is real, not an extra zero")
    _, none = validate_file(edited_csv({(5, "amount"): "1000000000"}), strict=True)
    assert none == []  # exactly EUR 1bn is not above it


def test_block_list_is_valid_and_covers_subdomains(tmp_path) -> None:
    hosts = blocked_hosts()
    assert hosts["oszar.com"].startswith("proxy") and len(hosts) > 50
    bad = tmp_path / "blocked_hosts.csv"
    bad.write_text("host,reason\nnot a host,x\n", encoding="utf-8")
    (tmp_path / "fines.csv").write_text("", encoding="utf-8")
    with pytest.raises(FineDataError, match="column 'host' value 'not a host'"):
        blocked_hosts(tmp_path / "fines.csv")


# --- small files built record by record ----------------------------------------------------


def test_base_records_pass_strict(tmp_path: Path) -> None:
    df, warns = validate_file(records_csv(tmp_path, {}, {}), strict=True)
    assert len(df) == 2 and warns == []


def test_without_strict_the_curation_rules_are_not_checked(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {"source_url": "ftp://example.org/x"})
    df, warns = validate_file(path)
    assert df["source_url"].tolist() == ["ftp://example.org/x"] and warns == []
    df, warns = validate_file(path, strict=False)
    assert warns == []
    assert strict_messages(path) == [
        f"{path}:2: column 'source_url' value 'ftp://example.org/x': "
        "expected an http(s) URL of the page the figures come from"
    ]


@pytest.mark.parametrize(
    "url",
    ["http://example.org", "https://example.org/a?b=c", "https://sub.example.org/x/y.pdf"],
)
def test_http_urls_are_sources(tmp_path: Path, url: str) -> None:
    validate_file(records_csv(tmp_path, {"source_url": url}), strict=True)


@pytest.mark.parametrize(
    "url",
    ["https://example", "example.org/x", "https://exa mple.org/x", "https://example.org/a b"],
)
def test_other_text_is_not_a_source(tmp_path: Path, url: str) -> None:
    path = records_csv(tmp_path, {}, {"source_url": url})
    assert strict_messages(path) == [
        f"{path}:3: column 'source_url' value '{url}': "
        "expected an http(s) URL of the page the figures come from"
    ]


def test_problems_come_in_file_order_then_column_order(tmp_path: Path) -> None:
    path = records_csv(
        tmp_path,
        {},
        {"source_url": "ftp://x.org/y", "sector": "", "notes": "trailing "},
        {"country": "FI"},
    )
    assert strict_messages(path) == [
        f"{path}:3: column 'sector' value '': "
        "expected a value (every record of the curated collection has one)",
        f"{path}:3: column 'source_url' value 'ftp://x.org/y': "
        "expected an http(s) URL of the page the figures come from",
        f"{path}:3: column 'notes' value 'trailing ': expected no spaces or tabs around the value",
        f"{path}:4: column 'country' value 'FI': expected 'SE' as on the regulator's other records",
    ]


# --- the block list -------------------------------------------------------------------------


def blocked_beside(tmp_path: Path, text: str) -> Path:
    (tmp_path / "blocked_hosts.csv").write_text(text, encoding="utf-8")
    return tmp_path / "fines.csv"


def test_block_list_beside_the_file_is_read_lower_case_and_stripped(tmp_path: Path) -> None:
    fines = blocked_beside(tmp_path, "host,reason\n Example.ORG ,  a test reason \nb.co,x\n")
    assert blocked_hosts(fines) == {"example.org": "a test reason", "b.co": "x"}


def test_block_list_in_the_data_folder_when_none_is_beside(tmp_path, monkeypatch) -> None:
    from finestats import paths

    shipped = blocked_hosts()
    assert blocked_hosts(tmp_path / "fines.csv") == shipped
    monkeypatch.setattr(paths, "raw_data_dir", lambda: tmp_path)
    assert blocked_hosts(tmp_path / "fines.csv") == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("localhost,no dot", "column 'host' value 'localhost': expected a host name"),
        ("a_b.com,underscore", "column 'host' value 'a_b.com': expected a host name"),
        ("example.c_m,x", "column 'host' value 'example.c_m': expected a host name"),
        ("example.org,", "column 'reason' value '': expected a value (this column is required)"),
    ],
)
def test_block_list_entries_are_checked(tmp_path: Path, line: str, expected: str) -> None:
    fines = blocked_beside(tmp_path, f"host,reason\nok.org,fine\n{line}\n")
    with pytest.raises(FineDataError) as info:
        blocked_hosts(fines)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'blocked_hosts.csv'}:3: {expected}"
        + (" such as example.com" if "host name" in expected else "")
    ]


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("https://example.org/x", True),
        ("https://www.example.org/x", True),
        ("https://a.b.example.org/x", True),
        ("https://EXAMPLE.org/x", True),
        ("https://example.org./x", True),
        ("https://notexample.org/x", False),
        ("https://example.org.other.net/x", False),
        ("https://other.net/example.org", False),
    ],
)
def test_a_blocked_host_blocks_its_subdomains(tmp_path: Path, url: str, blocked: bool) -> None:
    blocked_beside(tmp_path, "host,reason\nexample.org,a test reason\nb.co,x\n")
    path = records_csv(tmp_path, {"source_url": "https://fine.net/a"}, {"source_url": url})
    if not blocked:
        validate_file(path, strict=True)
        return
    assert strict_messages(path) == [
        f"{path}:3: column 'source_url' value '{url}': "
        "expected a source not on the block list (blocked: a test reason)"
    ]


def test_each_blocked_source_names_its_reason(tmp_path: Path) -> None:
    blocked_beside(tmp_path, "host,reason\na.org,first reason\nb.org,second reason\n")
    path = records_csv(
        tmp_path, {"source_url": "https://b.org/1"}, {}, {"source_url": "https://a.org/2"}
    )
    assert strict_messages(path) == [
        f"{path}:2: column 'source_url' value 'https://b.org/1': "
        "expected a source not on the block list (blocked: second reason)",
        f"{path}:4: column 'source_url' value 'https://a.org/2': "
        "expected a source not on the block list (blocked: first reason)",
    ]


# --- one name per regulator, duplicates --------------------------------------------------


def test_a_regulator_keeps_its_first_name_and_country(tmp_path: Path) -> None:
    ico = {"regulator": "ICO", "regulator_name": "ICO UK", "country": "GB", "currency": "GBP"}
    path = records_csv(
        tmp_path,
        ico,
        {},
        {**ico, "regulator_name": "Information Commissioner"},
        {"country": "FI"},
        {**ico, "country": "IE", "regulator_name": "ICO"},
    )
    assert strict_messages(path) == [
        f"{path}:4: column 'regulator_name' value 'Information Commissioner': "
        "expected 'ICO UK' as on the regulator's other records",
        f"{path}:5: column 'country' value 'FI': expected 'SE' as on the regulator's other records",
        f"{path}:6: column 'regulator_name' value 'ICO': "
        "expected 'ICO UK' as on the regulator's other records",
        f"{path}:6: column 'country' value 'IE': expected 'GB' as on the regulator's other records",
    ]


_DUP = "expected no other record with the same regulator, defendant, decision_date, amount"


def test_a_duplicate_decision_is_named_on_its_later_line(tmp_path: Path) -> None:
    same = {"defendant": "Same AB"}
    path = records_csv(tmp_path, same, {}, same, same)
    assert strict_messages(path) == [
        f"{path}:4: column 'fine_id' value 'imy-2021-r2': {_DUP}",
        f"{path}:5: column 'fine_id' value 'imy-2021-r3': {_DUP}",
    ]


@pytest.mark.parametrize(
    "differs",
    [
        {"amount": "1001"},
        {"decision_date": "2021-02-12"},
        {"regulator": "AP", "regulator_name": "Autoriteit Persoonsgegevens", "country": "NL"},
    ],
)
def test_one_difference_in_the_key_is_no_duplicate(tmp_path: Path, differs) -> None:
    same = {"defendant": "Same AB"}
    validate_file(records_csv(tmp_path, same, {**same, **differs}), strict=True)


# --- notices of intent older than two years ----------------------------------------------


class _Today(dt.date):
    """A date class whose today() is fixed (curation reads today through ``dt.date.today``)."""

    @classmethod
    def today(cls) -> dt.date:
        return dt.date(2024, 2, 29)


@pytest.fixture
def frozen_today(monkeypatch) -> None:
    import finestats.curation as curation
    import finestats.records as records

    monkeypatch.setattr(curation, "dt", types.SimpleNamespace(date=_Today))
    monkeypatch.setattr(records, "dt", types.SimpleNamespace(date=_Today))


_STALE = "expected a final record superseding this notice older than two years, or a note"


@pytest.mark.parametrize(
    ("date", "stale"),
    [("2022-02-28", False), ("2022-02-27", True), ("2024-02-29", False), ("2019-01-01", True)],
)
def test_a_notice_is_stale_two_years_after_its_date(
    tmp_path: Path, frozen_today, date: str, stale: bool
) -> None:
    path = records_csv(tmp_path, {}, {"status": "provisional", "decision_date": date})
    if not stale:
        validate_file(path, strict=True)
        return
    assert strict_messages(path) == [
        f"{path}:3: column 'status' value 'provisional': {_STALE} saying why not"
    ]


def test_a_stale_notice_is_fine_when_superseded_or_explained(tmp_path, frozen_today) -> None:
    old = {"status": "provisional", "decision_date": "2019-01-01"}
    ok = records_csv(
        tmp_path,
        {**old, "fine_id": "imy-2019-noi"},
        {"supersedes": "imy-2019-noi"},
        {**old, "notes": "closed without a fine"},
        {**old, "status": "final"},
    )
    validate_file(ok, strict=True)
    blank = records_csv(tmp_path, {**old, "notes": "\t"}, name="blank.csv")
    assert [m.split(": column")[1] for m in strict_messages(blank)] == [
        " 'status' value 'provisional': " + _STALE + " saying why not",
        " 'notes' value '\t': expected no spaces or tabs around the value",
    ]


# --- extended columns, announcements, spaces --------------------------------------------


@pytest.mark.parametrize("column", ["date_basis", "articles", "sector"])
def test_every_extended_column_needs_a_value(tmp_path: Path, column: str) -> None:
    path = records_csv(tmp_path, {}, {column: ""})
    assert strict_messages(path) == [
        f"{path}:3: column '{column}' value '': "
        "expected a value (every record of the curated collection has one)"
    ]


def test_matter_may_stay_empty(tmp_path: Path) -> None:
    df, _ = validate_file(records_csv(tmp_path, {"matter": ""}), strict=True)
    assert df["matter"].isna().all()


def test_an_announcement_date_needs_a_note(tmp_path: Path) -> None:
    ann = {"date_basis": "announcement"}
    path = records_csv(
        tmp_path, {**ann, "notes": "decision date not published"}, ann, {"notes": ""}
    )
    assert strict_messages(path) == [
        f"{path}:3: column 'notes' value '': expected a note saying where the decision's own "
        "date was looked for (date_basis is announcement)"
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("fine_id", "imy-2021-r1 "),
        ("regulator_name", "Integritetsskyddsmyndigheten "),
        ("defendant", "Beta AB\t"),
        ("law", "GDPR "),
        ("notes", "a note "),
        ("source_url", "https://example.org/x "),
    ],
)
def test_spaces_around_a_value_are_named(tmp_path: Path, column: str, value: str) -> None:
    path = records_csv(tmp_path, {}, {column: value})
    msgs = strict_messages(path)
    assert (
        f"{path}:3: column '{column}' value '{value}': expected no spaces or tabs around the value"
    ) in msgs


# --- amounts above EUR 1bn -----------------------------------------------------------------


def test_a_large_amount_in_another_currency_is_converted_at_its_date(tmp_path: Path) -> None:
    # ECB 2021-02-11: EUR 1 = SEK 10.0868, so SEK 20,173,600,000 is EUR 2.00bn
    path = records_csv(tmp_path, {}, {"amount": "10086800000"}, {"amount": "20173600000"})
    with pytest.warns(FineDataWarning) as caught:
        _, warns = validate_file(path, strict=True)
    assert [str(w) for w in warns] == [
        f"{path}:4: column 'amount' value '20173600000 SEK': "
        "EUR 2.00bn, above EUR 1bn: check it is real, not an extra zero"
    ]
    assert [str(w.message) for w in caught] == [str(warns[0])]
    if "MUTANT_UNDER_TEST" not in os.environ:  # mutmut's trampoline adds a frame in between
        assert caught[0].filename == __file__  # the warning points at validate_file's caller


def test_amounts_not_convertible_skip_the_size_check_with_a_notice(tmp_path: Path) -> None:
    path = records_csv(tmp_path, {"amount": "99000000000", "currency": "AED"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FineDataWarning)
        _, warns = validate_file(path, strict=True)
    (notice,) = warns
    assert (notice.line, notice.column, notice.value) == (0, "", "")
    assert str(notice).startswith(
        f"{path}: '': size check skipped, amounts not convertible (cannot convert 1 of 1 fine: "
        "unknown currency 'AED'"
    )
    assert "\n" not in str(notice)  # one problem, one line
    assert "unknown currency 'AED'" in str(notice) and str(notice).endswith("imy-2021-r0)")


def test_strict_problems_find_the_block_list_through_the_frames_source(tmp_path: Path) -> None:
    from finestats.curation import strict_problems
    from finestats.records import read_records

    blocked_beside(tmp_path, "host,reason\nexample.org,a test reason\n")
    df, cells = read_records(records_csv(tmp_path, {}))
    errors, _ = strict_problems(df, cells)
    assert [p.expected for p in errors] == [
        "a source not on the block list (blocked: a test reason)"
    ]
    df.attrs.clear()  # a frame without its source: the data folder's block list applies
    assert strict_problems(df, cells) == ([], [])
