"""Reading a hand-curated CSV file strictly, keeping each row's physical line, and checking its
cells in bulk.

Shared by every data file finestats reads (fines, court events, coverage, price indices): the
bytes must be UTF-8 (a BOM is tolerated), the header must hold the expected columns once each,
every row the same number of fields; a quoted field may span lines, and each row keeps the file
line it starts on, so that every problem is reported as ``FILE:LINE: column 'C' value 'V':
expected ...``. Spaces before a field are skipped; the text of a quoted field is kept as it is.

Checks are vectorised: a pattern is first matched against all the values of a column at once,
and only when that fails are the failing rows looked for one by one; a low-cardinality column is
checked on its distinct values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from finestats.errors import FineDataError, Problem
from finestats.parsing import strict_dates
from finestats.schema import Column


@dataclass
class Cells:
    """A CSV file as text cells (``str`` dtype, ``""`` for empty) with each row's physical line
    (the header is line 1) and the SHA-256 of the bytes read."""

    path: str
    frame: pd.DataFrame
    lines: np.ndarray
    sha256: str = ""


def read_cells(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    what: str = "CSV file",
    categorical: Sequence[str] = (),
) -> Cells:
    """Read ``path`` as text cells; raise :class:`FineDataError` for a file-level problem (missing
    file, not UTF-8, empty, bad header, a row with too many fields, an open quote).

    Columns in ``categorical`` are read as pandas categoricals of their text. A row with too few
    fields shows as empty trailing cells, which the required-value checks report. The file's
    SHA-256 and newline count are computed by a second reader while pandas parses (both release
    the GIL, and the second read comes from the page cache)."""
    name = str(path)
    _check_readable(path, name, what)
    with ThreadPoolExecutor(max_workers=1) as pool:
        facts = pool.submit(_facts, path)
        frame = _parse(path, name, [*required, *optional], categorical)
        sha256, newlines, final_newline = facts.result()
    _check_header(name, list(frame.columns), required, optional)
    lines = _physical_lines(frame, newlines + (0 if final_newline else 1))
    return Cells(name, frame, lines, sha256)


def _check_readable(path: Path, name: str, what: str) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FineDataError([Problem(name, 0, "", name, f"an existing {what}")]) from None
    except OSError as exc:
        raise FineDataError([Problem(name, 0, "", name, f"a readable file ({exc})")]) from None
    if stat.S_ISDIR(st.st_mode):
        raise FineDataError([Problem(name, 0, "", name, f"a {what}, not a folder")])
    if not os.access(path, os.R_OK):
        raise FineDataError([Problem(name, 0, "", name, "a readable file (permission denied)")])


def _facts(path: Path) -> tuple[str, int, bool]:
    """SHA-256, number of line breaks and whether the file ends with one, in one chunked pass.
    A line break is what the parser ends a row with, and editors a line: ``\\r\\n``, ``\\n``
    or a lone ``\\r``."""
    h = hashlib.sha256()
    count, last = 0, b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
            count += block.count(b"\n")
            if b"\r" in block:  # rare: CRLF or lone CR files pay the two extra passes
                count += block.count(b"\r") - block.count(b"\r\n")
            if last.endswith(b"\r") and block.startswith(b"\n"):  # a CRLF across two blocks
                count -= 1
            last = block
    return h.hexdigest(), count, last.endswith((b"\n", b"\r"))


def _not_utf8(data: bytes, name: str) -> FineDataError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end].hex(" ")
        return FineDataError(
            [Problem(name, line, "", f"bytes {bad}", "UTF-8 text (save the file as UTF-8)")]
        )
    return FineDataError([Problem(name, 0, "", "", "UTF-8 text")])


_PARSER_LINE = re.compile(r"line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting (?:at|on) (?:row|line) (\d+)")


def _parse(
    path: Path, name: str, columns: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    dtypes = defaultdict(lambda: str, {c: "category" for c in categorical})
    try:
        frame = pd.read_csv(
            path,
            dtype=dtypes,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            encoding="utf-8",
        )
    except UnicodeDecodeError:
        raise _not_utf8(path.read_bytes(), name) from None
    except pd.errors.EmptyDataError:
        raise FineDataError(
            [Problem(name, 0, "", "", "a header row and at least one record")]
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:  # ValueError: e.g. a NUL byte mid-field
        raise _parser_problem(str(exc), path.read_bytes(), name, len(columns)) from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took extra fields as an index
        raise _extra_fields(frame, path.read_bytes(), name)
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in categorical:  # a header name with spaces around it was not matched above
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("category")
    return frame


def _parser_problem(message: str, data: bytes, name: str, n_fields: int) -> FineDataError:
    if m := _PARSER_LINE.search(message):
        line, saw = int(m.group(1)), m.group(2)
        return FineDataError(
            [Problem(name, line, "", f"{saw} fields", f"{n_fields} fields (quote commas)")]
        )
    if m := _OPEN_QUOTE.search(message):
        line = _line_of_row(data.decode("utf-8", "replace"), int(m.group(1)))
        return FineDataError(
            [Problem(name, line, "", '"', "a closing quote for the quote opened on this line")]
        )
    return FineDataError([Problem(name, 0, "", message, "a well-formed CSV file")])


def _extra_fields(frame: pd.DataFrame, data: bytes, name: str) -> FineDataError:
    """The first record has more fields than the header (pandas then reads the first ones as
    row labels and shifts every column): the problem at that record's line."""
    line = _line_of_row(data.decode("utf-8", "replace"), 1)
    n = len(frame.columns)
    saw, expected = f"{n + frame.index.nlevels} fields", f"{n} fields like the header"
    return FineDataError([Problem(name, line, "", saw, f"{expected} (quote commas)")])


def _line_of_row(text: str, row: int) -> int:
    """pandas counts rows from 0 at the header, not counting newlines inside quotes: find the
    physical line where record ``row`` starts by scanning quotes (only on this error path)."""
    line, in_quotes, seen = 1, False, 0
    for ch in _BREAK.sub("\n", text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "\n":
            line += 1
            if not in_quotes:
                seen += 1
                if seen == row:
                    return line
    return line


def _check_header(name: str, cols: list[str], required: Sequence[str], optional: Sequence[str]):
    known = [*required, *optional]
    problems = [
        Problem(name, 1, c, "", "this column in the header (it is missing)")
        for c in required
        if c not in cols
    ]
    problems += [
        Problem(name, 1, c, c, "no such column; known: " + ", ".join(known))
        for c in cols
        if c not in known
    ]
    if len(set(cols)) != len(cols):
        problems.append(Problem(name, 1, "", ",".join(cols), "each column once"))
    if problems:
        raise FineDataError(problems)


#: One line break (see :func:`_facts`).
_BREAK = re.compile(r"\r\n|\r|\n")


def _physical_lines(frame: pd.DataFrame, total: int) -> np.ndarray:
    """The physical line each record starts on (the header is line 1). When the file has one
    line per record that is just a count; otherwise the line breaks inside each record's fields
    are counted, in the columns that have any."""
    n = len(frame)
    if total == n + 1:
        return np.arange(2, n + 2, dtype=np.int64)
    extra = np.zeros(n, dtype=np.int64)
    for col in frame.columns:
        s = (
            frame[col].astype(str)
            if isinstance(frame[col].dtype, pd.CategoricalDtype)
            else frame[col]
        )
        joined = "".join(s.unique().tolist())
        if "\n" in joined or "\r" in joined:
            extra += s.str.count(_BREAK.pattern).to_numpy(dtype=np.int64)
    return 2 + np.concatenate([[0], np.cumsum(extra + 1)[:-1]]) if n else extra


# --------------------------------------------------------------------------------------------
# Bulk checks


@dataclass
class Checks:
    """Problems found in a file, collected in bulk and reported in file order."""

    cells: Cells
    order: dict[str, int]
    found: list[tuple[int, int, Problem]] = field(default_factory=list)
    skip: np.ndarray = field(init=False)  # rows already reported as a whole (blank lines)

    def __post_init__(self) -> None:
        self.skip = np.zeros(len(self.cells.frame), dtype=bool)

    def flag(self, mask: np.ndarray | pd.Series, column: str, expected: str) -> None:
        """Report the rows in ``mask`` for ``column`` (its value shown)."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool) & ~self.skip)
        if not len(rows):
            return
        frame, lines = self.cells.frame, self.cells.lines
        values = frame[column].to_numpy()[rows] if column in frame.columns else [""] * len(rows)
        rank = self.order.get(column, 99)
        for i, v in zip(rows.tolist(), values, strict=True):
            line = int(lines[i])
            self.found.append(
                (line, rank, Problem(self.cells.path, line, column, str(v), expected))
            )

    def add(self, problem: Problem) -> None:
        self.found.append((problem.line, self.order.get(problem.column, 99), problem))

    def raise_if_any(self) -> None:
        if self.found:
            self.found.sort(key=lambda t: (t[0], t[1]))
            raise FineDataError([p for _, _, p in self.found])

    def required(self, columns: Sequence[str]) -> None:
        """Every row has a value in each of ``columns``."""
        for col in columns:
            if col in self.cells.frame.columns:
                self.flag(self.cells.frame[col] == "", col, "a value (this column is required)")


# --------------------------------------------------------------------------------------------
# Checks from a file's column declarations (finestats.schema)


def check_declared(checks: Checks, frame: pd.DataFrame, table: Sequence[Column]) -> dict:
    """Check every cell of a small data file against its columns' declarations: a value where
    one is required, no NUL or other control character, the declared vocabulary or pattern,
    real dates (not in the future where declared), finite numbers. Returns the parsed dates
    (datetime64[D]) and numbers (float64) by column, NaT/NaN where empty or bad."""
    parsed: dict[str, np.ndarray] = {}
    for col in table:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        filled = (s != "").to_numpy(bool)
        if col.required:
            checks.flag(~filled, col.name, "a value (this column is required)")
        checks.flag(
            s.str.contains(_CONTROL, regex=True).to_numpy(bool),
            col.name,
            "text without NUL or other control characters",
        )
        if col.kind == "date":
            days, bad = strict_dates(s)
            checks.flag(bad, col.name, col.expected or "an ISO date (YYYY-MM-DD)")
            if col.not_future:
                checks.flag(days > _today(), col.name, "a date that is not in the future")
            parsed[col.name] = days
            continue
        if col.vocabulary:
            bad = filled & ~s.isin(list(col.vocabulary)).to_numpy(bool)
        elif col.pattern:
            bad = filled & ~s.str.fullmatch(col.pattern).fillna(False).to_numpy(bool)
        else:
            bad = np.zeros(len(s), dtype=bool)
        checks.flag(bad, col.name, col.expected)
        if col.kind in ("amount", "number", "year"):
            values = pd.to_numeric(s.where(filled & ~bad), errors="coerce").to_numpy("float64")
            finite = np.isfinite(values)
            checks.flag(filled & ~bad & ~finite, col.name, "a finite number (this one overflows)")
            if col.kind == "amount":
                checks.flag(finite & (values <= 0), col.name, col.expected)
            parsed[col.name] = np.where(finite, values, np.nan)
    return parsed


#: NUL and the C0 control characters but tab, newline and carriage return.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _today() -> np.datetime64:
    return np.datetime64(dt.date.today(), "D")


def stripped_cells(cells: Cells) -> pd.DataFrame:
    """The cells with spaces around each value removed (small files keep no meaningful spaces)."""
    return cells.frame.apply(lambda s: s.str.strip())
