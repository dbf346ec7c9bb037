"""Fuzzing every input file (issue #24, item 5).

Hypothesis builds hostile but plausible inputs for each loader: ECB rate histories (CSV or zip)
and every data file (fines, court events, coverage, price indices, published figures, blocked
hosts), each starting from a valid file built from the schema's examples and then mutated cell
by cell, column by column and byte by byte. One contract holds for all of them: **never a
traceback**. A load returns a valid result or raises a :class:`~finestats.errors.FinestatsError`
whose message gives one line per problem, naming the file, the line (and it is the right line),
the column, the value and what was expected; the CLI exits 2 with that message and no
traceback. Where a file loads, its result obeys the schema (amounts and rates finite and
positive, dates real...) and agrees with what the file says, and a conversion with a valid rate
history gives ``amount / rate``.

The fast tests run a few dozen derandomized examples each (no example database: the same
examples in every run and on CI); ``-m slow`` runs a larger sweep of every strategy (a fifth
of its size in ``make test``, all of it in ``make test-deep``). The inputs
fuzzing broke are kept as plain regression tests at the end, named for what they guard.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import finestats
from finestats import curation, schema
from finestats.errors import FineDataError, FinestatsError, Problem, RatesError
from finestats.events import load_events
from finestats.figures import load_figures
from finestats.prices import load_prices
from finestats.rates import RateTable, read_ecb_bytes
from finestats.records import load_fines

from .conftest import examples, records_csv, run_cli, sweep

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
#: Examples per strategy: (fast, slow sweep).
FAST, SWEEP = 40, 600

_counter = itertools.count()


def fresh(tmp_path: Path) -> Path:
    """A new folder per example: the loaders cache by path, size and modification time, and two
    writes of one path within a clock tick would look the same."""
    folder = tmp_path / f"ex{next(_counter)}"
    folder.mkdir()
    return folder


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


# -- hostile text ------------------------------------------------------------------------------

#: Cells that broke, or could break, a parser: separators, control characters, formula-like
#: text, numbers with separators and exponents, impossible and far dates, long strings.
NASTY: tuple[str, ...] = (
    "",
    " ",
    "   ",
    "\t",
    "\xa0",
    "\x00",
    "a\x00b",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\r",
    "\n",
    "a\r\nb",
    '"',
    '""',
    '"a',
    'a"b',
    ",",
    "a,b",
    ";",
    ";;",
    "=1+2",
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "0",
    "-0",
    "00",
    "0.0",
    ".5",
    "5.",
    "1e3",
    "1E-3",
    "1e309",
    "-1e309",
    "inf",
    "-inf",
    "Infinity",
    "nan",
    "NaN",
    "N/A",
    "NULL",
    "None",
    "1,000",
    "1.000,5",
    "1 000",
    "1_000",
    "1.5.5",
    "0x1F",
    "１２３",
    "١٢٣",
    "9" * 400,
    "0." + "0" * 300 + "1",
    "1." + "1" * 300,
    "2021-02-30",
    "2021-02-29",
    "2020-02-29",
    "0000-00-00",
    "9999-12-31",
    "1899-12-31",
    "1900-01-01",
    "2199-12-31",
    "2200-01-01",
    "2262-04-12",
    "2021-2-3",
    "2021-02-03T00:00",
    " 2021-02-11 ",
    "２０２１-０２-１１",
    "02/11/2021",
    "2021-13-01",
    "x" * 5000,
    "IMY",
    "EUR",
    "final",
    "2021",
    "2021.0",
    "https://",
    "http://a.b/ c",
    "javascript:alert(1)",
)
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.floats(min_value=0, max_value=1e12).map(lambda x: f"{x:,.2f}"),
)
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    numbers,
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(st.sampled_from('",;\n\r\t\x00 ='), max_size=6),
)


# -- data files: a valid file from the schema's examples, then mutations ----------------------


@dataclass(frozen=True)
class Kind:
    """One data file: its name, columns, how row ``i`` of a valid file differs from the
    schema example, how to load it from a folder and what a loaded one must satisfy (given the
    records as the csv module reads them)."""

    name: str
    table: tuple[schema.Column, ...]
    vary: Callable[[int], dict[str, str]]
    load: Callable[[Path], object]
    check: Callable[[object, list[dict[str, str]]], None]


def _base_rows(kind: Kind, n: int = 3) -> list[dict[str, str]]:
    return [{**schema.example_row(kind.table), **kind.vary(i)} for i in range(n)]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _fines_file(folder: Path) -> Path:
    """A valid fines file of three records (imy-2021-r0..2) in ``folder``."""
    return records_csv(folder, {}, {}, {})


def _load_events(folder: Path) -> object:
    fines = load_fines(_fines_file(folder))
    return load_events(folder / "events.csv", fines)


def _load_blocked(folder: Path) -> object:
    return curation.blocked_hosts(folder / "fines.csv")  # beside the fines file when present


def _records(path: Path) -> list[dict[str, str]]:
    """The file as the csv module reads it (the reference reader): one dict per record."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _today() -> pd.Timestamp:
    return pd.Timestamp(dt.date.today())


def _check_fines(df: pd.DataFrame, rows: list[dict[str, str]]) -> None:
    assert len(df) == len(rows)  # rows in == rows out
    amount = df["amount"].to_numpy()
    assert np.isfinite(amount).all() and (amount > 0).all()
    assert df["decision_date"].notna().all() and (df["decision_date"] <= _today()).all()
    assert df["year"].between(1900, 2199).all()
    assert set(df["currency"].astype(str)) <= schema.ISO_4217
    assert set(df["status"].astype(str)) <= set(schema.STATUSES)
    assert df["fine_id"].is_unique
    assert df["fine_id"].tolist() == [r["fine_id"].strip() for r in rows]
    assert amount.tolist() == [float(r["amount"].strip()) for r in rows]


def _check_events(df: pd.DataFrame, rows: list[dict[str, str]]) -> None:
    assert len(df) == len(rows)
    assert df["date"].notna().all() and (df["date"] <= _today()).all()
    assert (df["date"] >= pd.Timestamp("2021-02-11")).all()  # the records' decision date
    assert df["event_id"].is_unique and set(df["outcome"]) <= set(schema.OUTCOMES)
    assert df["event_id"].tolist() == [r["event_id"].strip() for r in rows]


def _check_coverage(df: pd.DataFrame, rows: list[dict[str, str]]) -> None:
    assert len(df) == len(rows)
    t = df["threshold_eur"].to_numpy()
    assert np.isfinite(t).all() and (t >= 0).all()
    assert (df["period_end"] >= df["period_start"]).all()
    assert df["last_checked"].notna().all() and (df["last_checked"] <= _today()).all()
    assert t.tolist() == [float(r["threshold_eur"].strip()) for r in rows]


def _check_prices(df: pd.DataFrame, rows: list[dict[str, str]]) -> None:
    assert len(df) == len(rows)
    v = df["value"].to_numpy()
    assert np.isfinite(v).all() and (v > 0).all()
    assert df["year"].between(1900, 2199).all()
    assert df["year"].tolist() == [int(r["year"].strip()) for r in rows]
    for _, years in df.groupby("area")["year"]:
        ys = sorted(years)
        assert ys == list(range(ys[0], ys[0] + len(ys)))  # consecutive, once each
    assert (df.groupby("currency")["area"].nunique() == 1).all()


def _check_figures(df: pd.DataFrame, rows: list[dict[str, str]]) -> None:
    assert len(df) == len(rows)
    v, unit = df["value"].to_numpy(), df["value_unit"].to_numpy()
    assert np.isfinite(v).all() and (v >= 0).all()
    assert np.isfinite(unit).all() and (unit > 0).all()
    assert df["figure_id"].is_unique
    assert df.loc[df["measure"] == "total", "currency"].notna().all()
    assert df["figure_id"].tolist() == [r["figure_id"].strip() for r in rows]


def _check_blocked(hosts: dict[str, str], rows: list[dict[str, str]]) -> None:
    assert all(re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", h) for h in hosts)
    assert all(r.strip() for r in hosts.values())
    assert set(hosts) == {r["host"].strip().lower() for r in rows}


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "fines",
            schema.FINES,
            lambda i: {"fine_id": f"imy-2021-r{i}", "defendant": f"Defendant {i}"},
            lambda folder: load_fines(folder / "fines.csv"),
            _check_fines,
        ),
        Kind(
            "events",
            schema.EVENTS,
            lambda i: {"event_id": f"imy-2021-r{i}-upheld-2022", "fine_id": f"imy-2021-r{i}"},
            _load_events,
            _check_events,
        ),
        Kind(
            "coverage",
            schema.COVERAGE,
            lambda i: {"regulator": ("IMY", "ICO", "CNIL")[i]},
            lambda folder: finestats.load_coverage(folder / "coverage.csv"),
            _check_coverage,
        ),
        Kind(
            "price_indices",
            schema.PRICES,
            lambda i: {"year": str(2021 + i)},
            lambda folder: load_prices(folder / "price_indices.csv"),
            _check_prices,
        ),
        Kind(
            "published_figures",
            schema.FIGURES,
            lambda i: {"figure_id": f"dla-piper-2026-01-total-eur-{i}"},
            lambda folder: load_figures(folder / "published_figures.csv"),
            _check_figures,
        ),
        Kind(
            "blocked_hosts",
            schema.BLOCKED_HOSTS,
            lambda i: {"host": f"example{i}.com"},
            _load_blocked,
            _check_blocked,
        ),
    )
}


def _file_name(kind: Kind) -> str:
    return f"{kind.name}.csv"


def _pick(seq_len: int, i: int) -> int:
    return i % seq_len if seq_len else 0


def _apply(rows: list[list[str]], op: tuple) -> list[list[str]]:
    """One table-level mutation of ``rows`` (the header first)."""
    what, i, j, text = op
    header, body = rows[0], rows[1:]
    n = len(header)
    if what == "cell" and body:
        row = body[_pick(len(body), i)]
        if row:
            row[_pick(len(row), j)] = text
    elif what == "header":
        header[_pick(n, j)] = text
    elif what == "drop column" and n > 1:
        k = _pick(n, j)
        rows = [[c for m, c in enumerate(r) if m != k] for r in rows]
    elif what == "add column":
        rows = [header + [text or "extra"]] + [r + [text] for r in body]
    elif what == "swap columns":
        a, b = _pick(n, i), _pick(n, j)
        for r in rows:
            if max(a, b) < len(r):
                r[a], r[b] = r[b], r[a]
    elif what == "duplicate column":
        k = _pick(n, j)
        rows = [r + [r[k]] if k < len(r) else r for r in rows]
    elif what == "duplicate row" and body:
        rows.append(list(body[_pick(len(body), i)]))
    elif what == "copy key" and len(body) > 1:  # another row's key, other cells kept
        a, b = body[_pick(len(body), i)], body[_pick(len(body), j)]
        if a and b:
            b[0] = a[0]
    elif what == "drop row" and body:
        del rows[1 + _pick(len(body), i)]
    elif what == "short row" and body:
        row = body[_pick(len(body), i)]
        del row[max(0, len(row) - 1 - _pick(len(row), j)) :]
    elif what == "long row" and body:
        body[_pick(len(body), i)].extend([text] * (1 + j % 3))
    elif what == "blank row":
        rows.insert(1 + _pick(len(body) + 1, i), [])
    return rows


table_ops = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "cell",
                "cell",
                "cell",
                "header",
                "drop column",
                "add column",
                "swap columns",
                "duplicate column",
                "duplicate row",
                "copy key",
                "drop row",
                "short row",
                "long row",
                "blank row",
            ]
        ),
        st.integers(0, 50),
        st.integers(0, 50),
        hostile_text,
    ),
    max_size=3,
)

byte_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert"),
            st.integers(0, 10**4),
            st.sampled_from(
                [b'"', b",", b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b"\xef\xbb\xbf", b'",']
            ),
        ),
        st.tuples(st.just("insert"), st.integers(0, 10**4), st.binary(min_size=1, max_size=4)),
        st.tuples(st.just("truncate"), st.integers(0, 10**4), st.just(b"")),
        st.tuples(
            st.sampled_from(["bom", "crlf", "cr", "empty", "header only"]), st.just(0), st.just(b"")
        ),
    ),
    max_size=2,
)


def _mutate_bytes(data: bytes, ops: list[tuple]) -> bytes:
    for what, at, extra in ops:
        at = at % (len(data) + 1)
        if what == "insert":
            data = data[:at] + extra + data[at:]
        elif what == "truncate":
            data = data[:at]
        elif what == "bom":
            data = b"\xef\xbb\xbf" + data
        elif what == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif what == "cr":
            data = data.replace(b"\n", b"\r")
        elif what == "empty":
            data = b""
        elif what == "header only":
            data = data.split(b"\n", 1)[0] + b"\n"
    return data


@st.composite
def data_files(draw: st.DrawFn, kind: Kind) -> bytes:
    """A file of ``kind``: valid, then a few table mutations and perhaps byte mutations."""
    header = list(schema.names(kind.table))
    rows = [header, *([r[c] for c in header] for r in _base_rows(kind))]
    for op in draw(table_ops):
        rows = _apply(rows, op)
    return _mutate_bytes(_csv_bytes(rows), draw(byte_ops))


# -- the contract ------------------------------------------------------------------------------


#: A line break as editors and the CSV parser see one: CRLF, a lone CR or LF.
BREAK = re.compile(r"\r\n|\r|\n")


def _records_by_line(text: str) -> dict[int, str]:
    """Each record's first line -> the text of its lines, as the csv module reads the file."""
    lines = BREAK.split(text)
    spans, first = {}, 1
    try:
        reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
        for _ in reader:
            spans[first] = "\n".join(lines[first - 1 : reader.line_num])
            first = reader.line_num + 1
    except csv.Error:  # the reference reader gives up: check the lines named only
        pass
    return spans


def assert_readable(exc: FinestatsError, path: Path, data: bytes) -> None:
    """A FineDataError about ``path``: one line per problem, each naming the file, a line of
    the file, the column and what was expected; the value is in the record on that line."""
    assert isinstance(exc, FineDataError), repr(exc)
    assert exc.problems
    lines = str(exc).splitlines()
    assert len(lines) == (1 if len(exc.problems) == 1 else len(exc.problems) + 1), lines
    text = data.decode("utf-8", "replace")
    n_lines = len(BREAK.split(text))
    records = _records_by_line(text)
    for p in exc.problems:
        shown = str(p)
        assert len(shown.splitlines()) == 1, shown
        assert p.file == str(path) and shown.startswith(f"{path}:" if p.line else str(path))
        assert p.expected.strip(), shown
        assert 0 <= p.line <= n_lines, (shown, n_lines)
        value = BREAK.split(p.value)[0].strip()
        if p.line >= 2 and p.column and value and p.line in records:
            record = records[p.line]
            found = value in record or value in record.replace('""', '"')  # quotes undone
            assert found, (shown, record)  # the line named starts the record with the value


def check_data_file(kind: Kind, folder: Path, data: bytes) -> None:
    path = folder / _file_name(kind)
    path.write_bytes(data)
    try:
        result = kind.load(folder)
    except FinestatsError as exc:
        event("refused")
        assert_readable(exc, path, data)
        return
    event("loads")
    kind.check(result, _records(path))


def _data_test(name: str, n: int) -> Callable[..., None]:
    kind = KINDS[name]

    @settings(FUZZ, max_examples=examples(n))
    @given(data=data_files(kind))
    def test(tmp_path: Path, data: bytes) -> None:
        check_data_file(kind, fresh(tmp_path), data)

    return test


test_fines_never_crash = _data_test("fines", FAST)
test_events_never_crash = _data_test("events", FAST)
test_coverage_never_crash = _data_test("coverage", FAST)
test_price_indices_never_crash = _data_test("price_indices", FAST)
test_published_figures_never_crash = _data_test("published_figures", FAST)
test_blocked_hosts_never_crash = _data_test("blocked_hosts", FAST // 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(KINDS))
def test_every_data_file_sweep(tmp_path: Path, name: str) -> None:
    _data_test(name, sweep(SWEEP))(tmp_path)


# -- ECB histories -----------------------------------------------------------------------------

CODES = ("USD", "JPY", "GBP", "SEK", "NOK", "CHF", "ISK")
rate_text = st.decimals(min_value="0.0001", max_value="1000000", places=4).map(str)


@dataclass
class History:
    """An ECB history as the ECB writes it: newest first, a trailing empty column."""

    codes: list[str]
    rows: list[tuple[str, list[str]]]  # (date, cells)
    trailing: bool = True
    newline: str = "\n"
    bom: bool = False

    def csv(self) -> bytes:
        end = "," if self.trailing else ""
        lines = [",".join(["Date", *self.codes]) + end]
        lines += [",".join([d, *cells]) + end for d, cells in self.rows]
        text = self.newline.join(lines) + self.newline
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


@st.composite
def histories(draw: st.DrawFn, must_have: tuple[str, str] | None = None) -> History:
    """A valid history; ``must_have=(date, code)``: that date with a rate of that code."""
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    if must_have and must_have[1] not in codes:
        codes.append(must_have[1])
    days = draw(
        st.lists(
            st.dates(dt.date(1999, 1, 4), dt.date(2026, 10, 30)),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    if must_have:
        days = sorted({*days, dt.date.fromisoformat(must_have[0])})
    days = sorted(days, reverse=draw(st.booleans()))
    rows = []
    for d in days:
        cells = [draw(st.one_of(rate_text, rate_text, st.just("N/A"))) for _ in codes]
        if must_have and d.isoformat() == must_have[0]:
            cells[codes.index(must_have[1])] = draw(rate_text)
        rows.append((d.isoformat(), cells))
    return History(
        codes,
        rows,
        trailing=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\n", "\r\n"])),
        bom=draw(st.booleans()),
    )


ZIPS: dict[str, Callable[[bytes], bytes]] = {
    "plain csv": lambda csv_: csv_,
    "zip": lambda csv_: _zip([("eurofxref-hist.csv", csv_)]),
    "stored zip": lambda csv_: _zip([("eurofxref-hist.csv", csv_)], zipfile.ZIP_STORED),
    "zip of nothing": lambda csv_: _zip([]),
    "zip of two": lambda csv_: _zip([("a.csv", csv_), ("b.csv", csv_)]),
    "folder then csv": lambda csv_: _zip([("data/", b""), ("data/eurofxref-hist.csv", csv_)]),
    "zip of binary": lambda csv_: _zip([("eurofxref-hist.csv", bytes(range(256)) * 4)]),
    "zip of a zip": lambda csv_: _zip([("inner.zip", _zip([("x.csv", csv_)]))]),
    "truncated zip": lambda csv_: _zip([("eurofxref-hist.csv", csv_)])[:-30],
    "zip cut in half": lambda csv_: (z := _zip([("eurofxref-hist.csv", csv_)]))[: len(z) // 2],
    "bomb shape": lambda csv_: _patch_central(_zip([("e.csv", csv_)]), 24, 2**32 - 1),
    "size lie": lambda csv_: _patch_central(_zip([("e.csv", csv_)]), 24, 3),
    "bad crc": lambda csv_: _patch_central(_zip([("e.csv", csv_)]), 16, 12345),
    "encrypted": _encrypted,
    "unknown method": lambda csv_: _patch_central(_zip([("e.csv", csv_)]), 10, 99, 2),
}

RATE_TOKENS = (
    "N/A",
    "",
    "-1.1",
    "0",
    "0.0000",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e309",
    "1e2",
    "+1.1",
    "1_1",
    "1,234.5",
    "1.234,5",
    "1 234",
    "0x10",
    "1." + "1" * 300,
    "9" * 400,
    "１.１",
    " 1.1",
    "1.1 ",
    '"1.1"',
    "n/a",
    "NA",
)
DATE_TOKENS = (
    "2021-02-30",
    "0000-00-00",
    "9999-12-31",
    "2262-04-12",
    "1677-09-21",
    "0001-01-01",
    "2099-01-01",
    "2021-2-3",
    "20210203",
    "2021-02-03 00:00",
    "",
    "Date",
)


def _ecb_op(h: History, op: tuple) -> History:
    """One mutation of a history's header, rows or cells."""
    what, i, j, text = op
    n = len(h.codes)
    rows = [(d, list(c)) for d, c in h.rows]
    codes = list(h.codes)
    if what == "cell" and rows:
        cells = rows[_pick(len(rows), i)][1]
        if cells:
            cells[_pick(len(cells), j)] = text
    elif what == "date" and rows:
        r = _pick(len(rows), i)
        rows[r] = (text, rows[r][1])
    elif what == "duplicate date" and rows:
        rows.insert(_pick(len(rows), j), rows[_pick(len(rows), i)])
    elif what == "shuffle" and len(rows) > 1:
        a, b = _pick(len(rows), i), _pick(len(rows), j)
        rows[a], rows[b] = rows[b], rows[a]
    elif what == "duplicate currency":
        k = _pick(n, j)
        codes.append(codes[k])
        rows = [(d, c + c[k : k + 1]) for d, c in rows]
    elif what == "code":
        codes[_pick(n, j)] = text
    elif what == "missing field" and rows and rows[_pick(len(rows), i)][1]:
        rows[_pick(len(rows), i)][1].pop()
    elif what == "extra field" and rows:
        rows[_pick(len(rows), i)][1].append(text)
    elif what == "no rows":
        rows = []
    return History(codes, rows, h.trailing, h.newline, h.bom)


ecb_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("cell"),
            st.integers(0, 50),
            st.integers(0, 50),
            st.sampled_from(RATE_TOKENS) | hostile_text,
        ),
        st.tuples(
            st.just("date"),
            st.integers(0, 50),
            st.just(0),
            st.sampled_from(DATE_TOKENS) | hostile_text,
        ),
        st.tuples(
            st.sampled_from(
                [
                    "duplicate date",
                    "shuffle",
                    "duplicate currency",
                    "missing field",
                    "extra field",
                    "no rows",
                ]
            ),
            st.integers(0, 50),
            st.integers(0, 50),
            st.sampled_from(["", "1.1", "N/A"]),
        ),
        st.tuples(
            st.just("code"),
            st.just(0),
            st.integers(0, 50),
            st.sampled_from(["usd", "US", "USDD", "", "Date", "EUR", "１２３"]) | hostile_text,
        ),
    ),
    max_size=3,
)

header_variants = st.sampled_from(
    [None, "", "date", "DATE", " Date", "Datum", "Date;USD", "\ufeffDate", '"Date"']
)


@st.composite
def hostile_histories(draw: st.DrawFn, must_have: tuple[str, str] | None = None) -> bytes:
    h = draw(histories(must_have))
    for op in draw(ecb_ops):
        h = _ecb_op(h, op)
    data = h.csv()
    first = draw(header_variants)
    if first is not None:
        data = data.replace(b"Date", first.encode(), 1)
    data = _mutate_bytes(data, draw(byte_ops))
    return ZIPS[draw(st.sampled_from(list(ZIPS)))](data)


def assert_rates_message(exc: FinestatsError, name: str) -> None:
    assert isinstance(exc, RatesError), repr(exc)
    text = str(exc)
    assert len(text.splitlines()) == 1 and text.startswith(name), text
    assert "expected" in text or "not an ECB" in text, text


def check_table(table: RateTable) -> None:
    """A valid history's table: dates unique and ascending, EUR 1, every rate finite and
    positive (or missing), ISO codes."""
    f = table.frame
    assert f.index.is_monotonic_increasing and f.index.is_unique
    assert (f["EUR"] == 1.0).all()
    v = f.to_numpy()
    ok = np.isnan(v) | (np.isfinite(v) & (v > 0))
    assert ok.all()
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in f.columns)
    assert table.snapshot_date == f.index.max()


@settings(FUZZ, max_examples=examples(FAST))
@given(h=histories(), wrap=st.sampled_from(["plain csv", "zip", "stored zip", "folder then csv"]))
def test_a_valid_history_reads_as_written(h: History, wrap: str) -> None:
    table = read_ecb_bytes(ZIPS[wrap](h.csv()), "hist.csv", "test")
    check_table(table)
    assert len(table.frame) == len(h.rows)
    for day, cells in h.rows:
        for code, cell in zip(h.codes, cells, strict=True):
            got = table.frame.at[pd.Timestamp(day), code]
            assert math.isnan(got) if cell == "N/A" else got == float(cell)


def check_hostile_history(data: bytes) -> None:
    try:
        table = read_ecb_bytes(data, "hist.csv", "test")
    except FinestatsError as exc:
        event("refused")
        assert_rates_message(exc, "hist.csv")
        return
    event("loads")
    check_table(table)


@settings(FUZZ, max_examples=examples(3 * FAST))
@given(data=hostile_histories())
def test_a_hostile_history_reads_or_fails_in_one_line(data: bytes) -> None:
    check_hostile_history(data)


@pytest.mark.slow
@settings(FUZZ, max_examples=sweep(5 * SWEEP))
@given(data=hostile_histories())
def test_hostile_histories_sweep(data: bytes) -> None:
    check_hostile_history(data)


@settings(FUZZ, max_examples=examples(FAST))
@given(data=st.binary(max_size=300), wrap=st.sampled_from(list(ZIPS)))
def test_any_bytes_as_a_history_fail_in_one_line(data: bytes, wrap: str) -> None:
    check_hostile_history(ZIPS[wrap](data))


# -- conversion with a valid history -----------------------------------------------------------


@st.composite
def record_and_history(draw: st.DrawFn) -> tuple[dict[str, str], History]:
    day = draw(st.dates(dt.date(1999, 1, 4), dt.date(2026, 10, 30))).isoformat()
    code = draw(st.sampled_from(CODES))
    amount = str(draw(st.decimals(min_value="0.01", max_value="1e10", places=2)))
    return {"decision_date": day, "currency": code, "amount": amount}, draw(
        histories(must_have=(day, code))
    )


@settings(FUZZ, max_examples=examples(FAST))
@given(case=record_and_history(), data=st.data())
def test_conversion_is_amount_over_rate(tmp_path: Path, case, data: st.DataObject) -> None:
    """A valid record converted with a valid history: amount * rate[to] / rate[currency] of the
    decision date (amount / rate to EUR), at that date's fixing."""
    cells, h = case
    fines = load_fines(records_csv(fresh(tmp_path), cells))
    table = read_ecb_bytes(h.csv(), "hist.csv", "test")
    per_eur = table.frame.loc[pd.Timestamp(cells["decision_date"])]
    to = data.draw(st.sampled_from(sorted(per_eur.dropna().index)))  # fixed that day
    out = finestats.convert(fines, to, rates=table)
    amount = float(cells["amount"])
    got = out[f"amount_{to.lower()}"].item()
    assert got == pytest.approx(amount * per_eur[to] / per_eur[cells["currency"]], rel=1e-12)
    assert out["fx_date"].item() == pd.Timestamp(cells["decision_date"])
    if to == "EUR":
        assert got == pytest.approx(amount / per_eur[cells["currency"]], rel=1e-12)


# -- the command line --------------------------------------------------------------------------


def assert_cli_contract(proc, ok: str) -> None:
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        assert ok in proc.stdout, proc.stdout
        return
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("finestats: warn")]
    assert errors and errors[0].startswith("finestats: error: "), proc.stderr
    if len(errors) > 1:  # several problems: a count, then one line each
        if re.match(r"finestats: error: cannot convert \d+ of \d+ fines?:$", errors[0]):
            assert all(": fine_id " in line for line in errors[1:]), proc.stderr  # a reason each
            return
        assert re.match(r"finestats: error: \d+ problems in ", errors[0]), proc.stderr
        assert all(re.match(r"\S+:\d+: ", line) for line in errors[1:]), proc.stderr


def _cli_validate_test(n: int) -> Callable[..., None]:
    @settings(FUZZ, max_examples=examples(n))
    @given(name=st.sampled_from(list(KINDS)), data=st.data(), strict=st.booleans())
    def test(tmp_path: Path, name: str, data: st.DataObject, strict: bool) -> None:
        """``finestats validate [--strict]`` of valid records beside one hostile file."""
        folder = fresh(tmp_path)
        fines = _fines_file(folder)
        kind = KINDS[name]
        (folder / _file_name(kind)).write_bytes(data.draw(data_files(kind)))
        proc = run_cli("validate", *(["--strict"] if strict else []), str(fines))
        assert_cli_contract(proc, "records valid")
        event(f"exit {proc.returncode}")

    return test


def _cli_summary_test(n: int) -> Callable[..., None]:
    @settings(FUZZ, max_examples=examples(n))
    @given(
        data=hostile_histories(must_have=("2021-02-11", "USD")),
        suffix=st.sampled_from([".csv", ".zip"]),
    )
    def test(tmp_path: Path, data: bytes, suffix: str) -> None:
        """``finestats summary --rates HOSTILE`` of one USD 1000 fine of 2021-02-11: 1000 / the
        USD rate of that day, or exit 2."""
        folder = fresh(tmp_path)
        fines = records_csv(folder, {"currency": "USD", "amount": "1000"})
        rates = folder / f"hist{suffix}"
        rates.write_bytes(data)
        proc = run_cli("summary", "--data", str(fines), "--rates", str(rates), "--format", "csv")
        assert_cli_contract(proc, "total_eur")
        event(f"exit {proc.returncode}")
        if proc.returncode == 0:
            usd = read_ecb_bytes(data, "x", "x").frame.at[pd.Timestamp("2021-02-11"), "USD"]
            total = pd.read_csv(io.StringIO(proc.stdout))["total_eur"].item()
            assert total == pytest.approx(1000 / usd, abs=0.006)  # the CSV rounds to the cent

    return test


test_cli_validate_never_shows_a_traceback = _cli_validate_test(FAST // 2)
test_cli_summary_with_hostile_rates = _cli_summary_test(FAST // 2)


@pytest.mark.slow
def test_cli_sweep(tmp_path: Path) -> None:
    _cli_validate_test(sweep(SWEEP // 2))(tmp_path)
    _cli_summary_test(sweep(SWEEP // 2))(tmp_path)


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
