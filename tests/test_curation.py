"""The --strict curation checks, each one made to fail on the fixture."""

from __future__ import annotations

import pytest

from finestats import FineDataError, load_fines
from finestats.curation import blocked_hosts, validate_file


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
