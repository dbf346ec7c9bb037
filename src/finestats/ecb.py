"""The ECB's euro reference-rate history files, read strictly.

An ECB ``eurofxref-hist.csv`` (or a zip holding exactly one) has a header ``Date,USD,JPY,...``,
one row per fixing date, rates in units of each currency per 1 EUR and ``N/A`` where the ECB
published none. :func:`parse_history` turns its bytes into a frame (dates ascending, float64 per
currency) or raises RatesError naming the file, line and column of the first problem: a file cut
inside a row, a row with a missing field, a value that is not a finite positive number.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.errors import FinestatsError, RatesError, shorten
from finestats.fileio import atomic_write
from finestats.parsing import DATE_RE, FIRST_YEAR, LAST_YEAR, strict_dates

ECB_HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
CODE_RE = re.compile(r"^[A-Z]{3}$")
ECB_FORMAT = (
    "an ECB eurofxref-hist.csv or .zip: header 'Date,USD,JPY,...', one row per date "
    "(YYYY-MM-DD), rates per 1 EUR, 'N/A' for missing, every row ending in a newline"
)


#: The largest ECB CSV accepted (the full history is about 7 MiB): a zip is never inflated past it.
MAX_CSV_BYTES = 64 * 1024 * 1024
#: A number as the ECB writes it: digits, one decimal point (no sign, no exponent, no ``_``).
NUMBER_RE = re.compile(r"^[0-9]+(?:\.[0-9]*)?$|^\.[0-9]+$")


@dataclass(frozen=True, eq=False)
class History:
    """A parsed ECB history file: ``frame`` (fixing dates as a DatetimeIndex, one float64 column
    per currency, NaN for N/A, in file order) and the SHA-256 of the bytes read."""

    frame: pd.DataFrame
    sha256: str


def parse_history(data: bytes, name: str) -> History:
    """Parse the bytes of an ECB CSV or zip; ``name`` is used in messages."""
    sha = hashlib.sha256(data).hexdigest()
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip (the second: one of no files)
        data = _unzip(data, name)
    try:
        text = data.decode().removeprefix("\ufeff")  # UTF-8
    except UnicodeDecodeError as exc:
        raise RatesError(f"{name}: not UTF-8 text ({exc.reason}); expected {ECB_FORMAT}") from None
    return History(_parse_ecb_text(text, name), sha)


def read_history(path: str | os.PathLike[str]) -> History:
    """The parsed file at ``path``, read once per content (path, modification time, size);
    RatesError naming the path if it cannot be read. Treat the frame as read-only."""
    p = Path(path)
    try:
        st = p.stat()
        return _read_cached(str(p), st.st_mtime_ns, st.st_size)
    except OSError as exc:
        raise RatesError(f"{p}: cannot read rate file ({exc.strerror or exc})") from None


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime_ns: int, size: int) -> History:
    data = Path(path).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    history = _from_disk_cache(sha)
    if history is None:
        history = parse_history(data, path)
        _to_disk_cache(history)
    return history


# A parsed history is kept in the user folder, keyed by the SHA-256 of the file it was parsed
# from (numpy arrays, no pickle): a command reads it in a few ms instead of parsing 7 MiB of
# CSV. It is the tool's own file, checked before use (its key, a checksum of its arrays, their
# shapes and values); anything else is ignored and the file is parsed again.


def _cache_file(sha: str) -> Path:
    return paths.finestats_home() / "cache" / f"ecb-{sha}.npz"


def _checksum(days: np.ndarray, values: np.ndarray, codes: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in (days, values, codes):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _from_disk_cache(sha: str) -> History | None:
    try:
        with np.load(_cache_file(sha), allow_pickle=False) as z:
            days, values, codes = z["days"], z["values"], z["codes"]
            key, check = str(z["sha256"]), str(z["checksum"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None
    ok = (
        key == sha
        and check == _checksum(days, values, codes)
        and days.dtype == np.int64
        and values.dtype == np.float64
        and values.shape == (len(days), len(codes))
        and all(CODE_RE.match(str(c)) for c in codes)
        and not (np.isinf(values).any() or (values <= 0).any())
    )
    if not ok:
        return None
    index = pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"), name="date")
    frame = pd.DataFrame(values, index=index, columns=[str(c) for c in codes])
    return History(frame, sha)


def _to_disk_cache(history: History) -> None:
    frame = history.frame
    days = frame.index.to_numpy().astype("datetime64[D]").astype(np.int64)
    values = frame.to_numpy(dtype=np.float64)
    codes = np.array(frame.columns, dtype="<U3")

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                days=days,
                values=values,
                codes=codes,
                sha256=np.array(history.sha256),
                checksum=np.array(_checksum(days, values, codes)),
            )

    try:
        atomic_write(_cache_file(history.sha256), write)
    except FinestatsError:  # a read-only or unwritable user folder: no cache, no harm
        pass


def zipped(csv: bytes, name: str = "eurofxref-hist.csv") -> bytes:
    """``csv`` as a zip holding one member (fixed timestamp: same bytes in, same bytes out)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), csv)
    return buf.getvalue()


def _unzip(data: bytes, name: str) -> bytes:
    """The one file of a zip, never inflated past :data:`MAX_CSV_BYTES` (a zip bomb is refused
    after reading at most that much, whatever its header claims)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise RatesError(f"{name}: zip holds {len(members)} files; expected one ECB CSV")
            member = members[0]
            if member.flag_bits & 0x1:
                raise RatesError(f"{name}: its CSV is encrypted; expected {ECB_FORMAT}")
            too_big = RatesError(
                f"{name}: its CSV is larger than {MAX_CSV_BYTES // 2**20} MiB; "
                "not an ECB history file"
            )
            if member.file_size > MAX_CSV_BYTES:
                raise too_big
            with zf.open(member) as fh:
                out = fh.read(MAX_CSV_BYTES + 1)
            if len(out) > MAX_CSV_BYTES:
                raise too_big
            return out
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as exc:
        raise RatesError(f"{name}: damaged zip ({exc}); expected {ECB_FORMAT}") from None


def _fail(name: str, line: int, column: str, value: object, expected: str, more: int = 0) -> None:
    extra = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
    raise RatesError(
        f"{name}:{line}: column '{shorten(column)}' value '{shorten(value)}': "
        f"expected {expected}{extra}"
    )


def _parse_ecb_text(text: str, name: str) -> pd.DataFrame:
    """Check the file's shape (final newline, one header naming each currency once, rows ending
    in a newline, no quotes, the same number of fields on every row), parse it with pandas' C
    parser, then check every date and value; the first problem found is raised with its line
    and column."""
    if not text.strip():
        raise RatesError(f"{name}: empty file; expected {ECB_FORMAT}")
    lines = text.split("\n")
    if lines[-1] != "":
        _fail(name, len(lines), "", lines[-1], "a final newline (the file ends inside a row)")
    _check_lines(text, lines, name)
    header = [h.strip() for h in lines[0].split(",")]  # strip() also drops a "\r"
    if header[0] != "Date" or len(header) < 2:
        _fail(name, 1, "Date", header[0], f"the header of {ECB_FORMAT}")
    trailing = header[-1] == ""
    codes = header[1:-1] if trailing else header[1:]
    bad = [c for c in codes if not CODE_RE.match(c)]
    if bad:
        _fail(name, 1, bad[0], bad[0], "an ISO 4217 code such as USD in the header")
    twice = [c for c in codes if codes.count(c) > 1]
    if twice:
        _fail(name, 1, twice[0], twice[0], "each currency once in the header")
    body = lines[1:-1]
    if not body:
        raise RatesError(f"{name}: no rows after the header; expected {ECB_FORMAT}")
    # str.count per line: ~2 ms for the full history, five times faster than Series.str.count
    fields = np.array([line.count(",") for line in body]) + 1
    wrong = np.flatnonzero(fields != len(header))
    if len(wrong):
        i = int(wrong[0])
        _fail(name, i + 2, "", body[i], f"{len(header)} fields like the header", len(wrong) - 1)
    raw = pd.read_csv(
        io.StringIO(text),
        na_values=["N/A", ""],
        keep_default_na=False,
        skipinitialspace=True,
        dtype={"Date": str},
    )
    if trailing:
        _check_empty(raw.iloc[:, -1], name)
    raw = raw.iloc[:, : len(codes) + 1]
    raw.columns = ["Date", *codes]
    days, bad_day = strict_dates(raw["Date"].fillna("").str.strip())
    bad_date = np.flatnonzero(bad_day | np.isnat(days))
    if len(bad_date):
        i = int(bad_date[0])
        shown = body[i].split(",")[0]
        _fail(name, i + 2, "Date", shown, _date_expected(shown), len(bad_date) - 1)
    values = raw.drop(columns="Date")
    _check_values(values, body, name)
    dates = pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")
    frame = values.astype("float64").set_axis(dates)
    dup = np.flatnonzero(frame.index.duplicated())
    if len(dup):
        _fail(name, int(dup[0]) + 2, "Date", raw["Date"].iat[int(dup[0])], "each date once")
    return frame


def _date_expected(value: str) -> str:
    """What a bad date should be: a date, or one of the years dates may have."""
    text = value.strip()
    if DATE_RE.match(text) and not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        return f"a date between {FIRST_YEAR} and {LAST_YEAR}"
    return "a date YYYY-MM-DD"


def _check_lines(text: str, lines: list[str], name: str) -> None:
    """No quotes (the ECB writes none) and no carriage return but before a newline: each line
    is one row, as the C parser reads it. (Two scans of the text; the lines only on failure.)"""
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        return
    for i, line in enumerate(lines):
        if "\r" in line[:-1]:
            _fail(name, i + 1, "", line, "a line ending in a newline (a carriage return inside)")
        if '"' in line:
            _fail(name, i + 1, "", line, "no quotes (the ECB writes none)")


def _check_empty(last: pd.Series, name: str) -> None:
    """The field after the last currency of a header ending in a comma is empty."""
    filled = np.flatnonzero(last.notna().to_numpy(bool))
    if len(filled):
        i = int(filled[0])
        expected = "nothing after the last currency (the header names none there)"
        _fail(name, i + 2, "", last.iat[i], expected, len(filled) - 1)


#: A sign or an exponent: the C parser reads ``+1.1`` or ``1e2`` as numbers, the ECB writes none.
_SIGN_OR_EXPONENT = re.compile(r"[eE+]")


def _odd_cells(body: list[str], shape: tuple[int, int]) -> np.ndarray:
    """Mask of the value cells (rows x currencies) holding a sign or an exponent: one search of
    the text (none in an ECB file), the cells located only where there is one."""
    odd = np.zeros(shape, dtype=bool)
    if not _SIGN_OR_EXPONENT.search("\n".join(body)):
        return odd
    for i, line in enumerate(body):
        if _SIGN_OR_EXPONENT.search(line):
            for j, cell in enumerate(line.split(",")[1 : shape[1] + 1]):
                odd[i, j] = bool(_SIGN_OR_EXPONENT.search(cell))
    return odd


def _as_float(value: object) -> float:
    """A cell the C parser left as text: a number only if written as the ECB writes numbers
    (``1_1`` or ``1e2`` are not rates)."""
    text = str(value).strip()
    if not NUMBER_RE.match(text):
        return np.nan
    return float(text)


def _check_values(values: pd.DataFrame, body: list[str], name: str) -> None:
    """Every cell is N/A (or empty) or a finite positive number written as the ECB writes
    numbers (the C parser reads ``1e2`` or ``+1.1`` as numbers); else fail at the first bad one,
    showing it as written."""
    bad = _odd_cells(body, values.shape)
    for j, col in enumerate(values.columns):
        s = values[col]
        if pd.api.types.is_float_dtype(s.dtype):
            v = s.to_numpy()
            bad[:, j] |= ~np.isnan(v) & ~(np.isfinite(v) & (v > 0))
        else:  # the C parser found text that is not a float (or an int too large for one)
            num = np.array([_as_float(v) for v in s])  # float64
            bad[:, j] |= s.notna().to_numpy() & ~(np.isfinite(num) & (num > 0))
    if bad.any():
        rows, cols = np.nonzero(bad)
        i, j = int(rows[0]), int(cols[0])
        _fail(
            name,
            i + 2,
            values.columns[j],
            body[i].split(",")[j + 1].strip(),  # as written, not as parsed
            "a finite positive rate, or N/A",
            int(bad.sum()) - 1,
        )
