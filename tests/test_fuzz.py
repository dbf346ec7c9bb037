"""Inputs that broke a loader when fuzzed (issue #24, item 5), kept as plain regression tests
named for what they guard."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from finestats import curation, schema
from finestats.errors import FinestatsError, Problem, RatesError
from finestats.events import load_events
from finestats.prices import load_prices
from finestats.rates import read_ecb_bytes
from finestats.records import load_fines

from .conftest import records_csv, run_cli


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def _patch_central(data: bytes, offset: int, value: int, size: int = 4) -> bytes:
    """Change a field of the (first) central directory entry: 8 flags, 10 method, 16 CRC,
    20 compressed size, 24 declared size."""
    out = bytearray(data)
    i = out.find(b"PK\x01\x02")
    if i >= 0:
        out[i + offset : i + offset + size] = value.to_bytes(size, "little")
    return bytes(out)


def _encrypted(csv_: bytes) -> bytes:
    """A zip whose member says it is encrypted."""
    return _patch_central(_zip([("e.csv", csv_)]), 8, 1, 2)


# -- found by fuzzing: each input that broke, kept as it was found ---------------------------


def _fails(load: Callable[[], object]) -> FinestatsError:
    with pytest.raises(FinestatsError) as err:
        load()
    return err.value


def test_a_control_character_in_a_value_stays_on_one_line(tmp_path: Path) -> None:
    """A vertical tab (or U+2028, NUL...) was printed raw: the one-line message became two."""
    path = records_csv(tmp_path, {"fine_id": "\x0b"})
    err = _fails(lambda: load_fines(path))
    expected = "expected a lowercase slug such as imy-2021-polis"
    assert str(err) == f"{path}:2: column 'fine_id' value '\\x0b': {expected}"
    for odd in ("\u2028", "\x1c", "\x85", "\x00", "\u202e", "a\r\nb"):
        assert len(str(Problem("f.csv", 2, odd, odd, "x")).splitlines()) == 1


def test_a_control_character_in_a_header_name_stays_on_one_line(tmp_path: Path) -> None:
    """The column name of an unknown header cell was printed raw."""
    path = records_csv(tmp_path, {})
    path.write_bytes(b"\xc2\x80\x0b" + path.read_bytes())
    err = _fails(lambda: load_fines(path))
    assert len(str(err).splitlines()) == 3  # "2 problems in fines.csv:" and one line each
    assert "column '\\x80\\x0bfine_id'" in str(err)


def test_a_blank_reason_for_a_blocked_host_is_refused(tmp_path: Path) -> None:
    """A reason of a tab passed the required check (the other files strip before it)."""
    (tmp_path / "blocked_hosts.csv").write_text("host,reason\nexample0.com,\t\n")
    err = _fails(lambda: curation.blocked_hosts(tmp_path / "fines.csv"))
    expected = "expected a value (this column is required)"
    assert str(err) == f"{tmp_path / 'blocked_hosts.csv'}:2: column 'reason' value '\t': {expected}"


EVENT = "imy-2021-r0,2022-03-01,Förvaltningsrätten i Stockholm,upheld,https://example.org/j,"


def test_a_first_record_with_an_extra_field_is_named_not_shifted(tmp_path: Path) -> None:
    """pandas reads the extra fields of a first record as row labels and shifts every column:
    the events loader crashed (InvalidIndexError), the fines loader blamed the wrong columns."""
    fines = load_fines(records_csv(tmp_path, {}))
    events = tmp_path / "events.csv"
    events.write_text(f"{','.join(schema.names(schema.EVENTS))}\n,{EVENT},\n,{EVENT}\n")
    err = _fails(lambda: load_events(events, fines))
    expected = "expected 7 fields like the header (quote commas)"
    assert str(err) == f"{events}:2: '8 fields': {expected}"
    path = records_csv(tmp_path, {}, name="extra.csv")
    header, record = path.read_text().splitlines()
    path.write_text(f"{header}\n{record},extra,more\n")
    err = _fails(lambda: load_fines(path))
    expected = "expected 21 fields like the header (quote commas)"
    assert str(err) == f"{path}:2: '23 fields': {expected}"


def test_line_numbers_count_a_carriage_return_as_editors_do(tmp_path: Path) -> None:
    """A quoted lone CR counted as no line break, an unquoted one as a break: the lines named
    after it disagreed with the file. Both are line breaks now, as in editors and the parser."""
    row = "{area},EUR,HICP,{year},{value},2015=100,https://example.org/hicp,\n"
    path = tmp_path / "price_indices.csv"
    path.write_text(
        ",".join(schema.names(schema.PRICES))
        + "\n"
        + row.format(area='"E\rA"', year=2021, value=1)
        + row.format(area="EA", year=2022, value="x"),
        encoding="utf-8",
    )
    err = _fails(lambda: load_prices(path))
    assert f"{path}:4: column 'value' value 'x'" in str(err)


@pytest.mark.parametrize("year", ["2021.5", "2021.0", "+2021", "2.021e3", "0x7e5", "0999"])
def test_a_price_index_year_is_a_year_as_written(tmp_path: Path, year: str) -> None:
    """The year column had no shape: 2021.5, +2021 and 2.021e3 were read as 2021, and 0x7e5
    was reported as 'a finite number (this one overflows)'."""
    row = {**schema.example_row(schema.PRICES), "year": year}
    path = tmp_path / "price_indices.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n")
    err = _fails(lambda: load_prices(path))
    assert str(err) == f"{path}:2: column 'year' value '{year}': expected a year such as 2021"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (  # AttributeError: 'DataFrame' object has no attribute 'dtype'
            b"Date,USD,USD,\n2020-01-02,1.1,1.2,\n",
            "x.csv:1: column 'USD' value 'USD': expected each currency once in the header",
        ),
        (  # OutOfBoundsDatetime
            b"Date,USD,\n9999-12-31,1.1,\n",
            "x.csv:2: column 'Date' value '9999-12-31': expected a date between 1900 and 2199",
        ),
        (
            b"Date,USD,\n2262-04-12,1.1,\n",
            "x.csv:2: column 'Date' value '2262-04-12': expected a date between 1900 and 2199",
        ),
        (
            b"Date,USD,\n0001-01-01,1.1,\n",
            "x.csv:2: column 'Date' value '0001-01-01': expected a date between 1900 and 2199",
        ),
        (  # ParserError: EOF inside string
            b'Date,USD,\n2020-01-02,"1.1,\n',
            "x.csv:2: column '' value '2020-01-02,\"1.1,': expected no quotes (the ECB writes "
            "none)",
        ),
        (  # ValueError: Length mismatch (the parser split the header at the CR)
            b"Date\r,USD\n2000-01-01,N/A\n",
            "x.csv:1: column '' value 'Date\\r,USD': expected a line ending in a newline (a "
            "carriage return inside)",
        ),
        (  # the message held a raw CR
            b"Date,U\rSD\n2000-01-01,N/A\n",
            "x.csv:1: column '' value 'Date,U\\rSD': expected a line ending in a newline (a "
            "carriage return inside)",
        ),
        (  # read as 100.0 and 1.1; the ECB writes no exponent or sign
            b"Date,USD,\n2020-01-02,1e2,\n",
            "x.csv:2: column 'USD' value '1e2': expected a finite positive rate, or N/A",
        ),
        (
            b"Date,USD,\n2020-01-02,+1.1,\n",
            "x.csv:2: column 'USD' value '+1.1': expected a finite positive rate, or N/A",
        ),
        (  # shown as 'inf', not as written
            b"Date,USD,\n2020-01-02,1e309,\n",
            "x.csv:2: column 'USD' value '1e309': expected a finite positive rate, or N/A",
        ),
        (  # silently dropped
            b"Date,USD,\n2020-01-02,1.1,5\n",
            "x.csv:2: column '' value '5': expected nothing after the last currency (the "
            "header names none there)",
        ),
        (  # "expected a final newline", showing the zip's bytes
            _zip([]),
            "x.csv: zip holds 0 files; expected one ECB CSV",
        ),
    ],
)
def test_ecb_files_fuzzing_broke(data: bytes, message: str) -> None:
    err = _fails(lambda: read_ecb_bytes(data, "x.csv", "test"))
    assert isinstance(err, RatesError) and str(err) == message


def test_an_encrypted_zip_member_is_refused() -> None:
    """RuntimeError: File ... is encrypted, password required for extraction."""
    err = _fails(lambda: read_ecb_bytes(_encrypted(b"Date,USD,\n2020-01-02,1.1,\n"), "x.zip", ""))
    assert str(err).startswith("x.zip: its CSV is encrypted; expected an ECB eurofxref-hist")


def test_cli_an_encrypted_rates_zip_exits_2_in_one_line(tmp_path: Path) -> None:
    rates = tmp_path / "hist.zip"
    rates.write_bytes(_encrypted(b"Date,USD,\n2021-02-11,1.1,\n"))
    proc = run_cli("summary", "--rates", str(rates))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"finestats: error: {rates}: its CSV is encrypted")
    assert len(proc.stderr.splitlines()) == 1
