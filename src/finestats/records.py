"""Fine records: the schema of ``data/raw/fines.csv``, its loader and its validation.

One row is one decision about one fined entity: a fine, a notice of intent, a penalty payment or
a court outcome, in the currency the regulator used. :func:`load_fines` returns every row typed,
or raises one :class:`~finestats.errors.FineDataError` listing every problem with its file line;
it never drops or alters a row silently (rows in == rows out). The checks are vectorised (see
:mod:`finestats.csvtable`), so a table of a million rows loads in about twice the time pandas
takes to read it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finestats import paths
from finestats.csvtable import Cells, Checks, read_cells
from finestats.errors import FineDataError, Problem
from finestats.fileio import CACHE
from finestats.parsing import strict_dates
from finestats.schema import (
    AMOUNT,
    DATE_BASES,
    FINES,
    ISO_4217,
    PRECISIONS,
    SECTORS,
    SLUG,
    STATUSES,
    Column,
    names,
)

__all__ = [
    "CATEGORICAL",
    "COLUMNS",
    "DATE_BASES",
    "EXTENDED",
    "ISO_4217",
    "OPTIONAL",
    "PRECISIONS",
    "SECTORS",
    "STATUSES",
    "Source",
    "load_fines",
    "read_records",
    "source_of",
    "validated",
]

#: Every column, in the order of the file and of the loaded frame (declared in schema.FINES).
COLUMNS: tuple[str, ...] = names(FINES)
#: Columns a file may leave out of its header (added empty when loaded; --strict needs some).
EXTENDED: tuple[str, ...] = tuple(c.name for c in FINES if not c.header)
#: Columns whose cells may be empty.
OPTIONAL: frozenset[str] = frozenset(c.name for c in FINES if not c.required)
#: Categorical columns of the loaded frame.
CATEGORICAL: tuple[str, ...] = tuple(c.name for c in FINES if c.categorical)

#: Which statuses a record of a given status may supersede.
SUPERSEDABLE: dict[str, frozenset[str]] = {
    "final": frozenset({"provisional"}),
    "reduced": frozenset({"final", "penalty", "reduced"}),
    "annulled": frozenset({"final", "penalty", "reduced"}),
    "provisional": frozenset(),
    "penalty": frozenset(),
}

SLUG_RE = re.compile(f"^{SLUG}$")
AMOUNT_RE = re.compile(f"^{AMOUNT}$")
_ORDER = {c: i for i, c in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Source:
    """The file a records frame was loaded from, and its SHA-256 (for exports and reports)."""

    path: Path
    sha256: str

    def __deepcopy__(self, memo: dict[int, Any]) -> Source:
        # pandas deep-copies ``attrs`` into every derived frame: an immutable value is its own copy
        return self


SOURCE_KEY = "finestats_source"


def source_of(df: pd.DataFrame) -> Source | None:
    """The :class:`Source` of a frame from :func:`load_fines` (None for frames built by hand)."""
    src = df.attrs.get(SOURCE_KEY)
    return src if isinstance(src, Source) else None


def load_fines(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate the fine records; return one typed row per record, in file order.

    ``path`` defaults to :func:`finestats.paths.default_fines_path`. Columns: :data:`COLUMNS`
    (``decision_date``/``announced_date`` datetime64[ns], ``announced_date`` NaT when empty;
    ``amount`` float64 in the original ``currency``; codes categorical; text ``str`` with NA for
    empty optional cells) plus ``year`` (int, of the decision date). Raises
    :class:`FineDataError` listing every problem. The curation rules of ``--strict`` are in
    :func:`finestats.curation.validate_file`. Read once per file content (each call gets its own
    copy).
    """
    p = paths.fines_path(path)
    return CACHE.get([p], lambda: read_records(p)[0], "fines")


def read_records(path: str | os.PathLike[str] | None = None) -> tuple[pd.DataFrame, Cells]:
    """The typed records and the cells they were read from (with each row's file line)."""
    p = paths.fines_path(path)
    cells = read_cells(p, _required_header(), EXTENDED)
    df = validated(cells)
    df.attrs[SOURCE_KEY] = Source(p, cells.sha256)
    return df, cells


def _required_header() -> list[str]:
    return [c for c in COLUMNS if c not in EXTENDED]


#: Columns read through their distinct values (few per file), stripped of surrounding spaces.
CODED: tuple[str, ...] = (
    *CATEGORICAL,
    "decision_date",
    "announced_date",
    "amount",
    "supersedes",
    "matter",
    "group",
    "articles",
)


class Coded:
    """Each :data:`CODED` column as integer codes into its distinct values, spaces stripped,
    computed once (factorising is the one pass over the rows; everything else works on the
    few distinct values)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)``: row ``i`` holds ``values[codes[i]]`` (an object array of str)."""
        if col not in self._done:
            codes, raw = pd.factorize(self._frame[col], use_na_sentinel=False)
            stripped = pd.Series(raw, dtype=object).str.strip()
            final, values = pd.factorize(stripped, use_na_sentinel=False)  # "SE" and "SE " merge
            self._done[col] = (final[codes], np.asarray(values, dtype=object))
        return self._done[col]

    def values(self, col: str) -> np.ndarray:
        codes, values = self(col)
        return values[codes]

    def filled(self, col: str) -> np.ndarray:
        codes, values = self(col)
        return (values != "")[codes]


def validated(cells: Cells) -> pd.DataFrame:
    """Check every cell of a records file and return the typed frame (or raise)."""
    frame = cells.frame
    for col in EXTENDED:
        if col not in frame.columns:
            frame[col] = ""
    if len(frame) == 0:
        raise FineDataError(
            [Problem(cells.path, 0, "", "", "at least one record after the header")]
        )
    checks = Checks(cells, _ORDER)
    coded = Coded(frame)
    _blank_lines(checks)
    _check_required(checks, coded)
    dates = _check_dates(checks, coded)
    amount = _check_amount(checks, coded)
    _check_codes(checks, coded)
    ids = _check_ids(checks)
    _check_supersedes(checks, coded, ids)
    checks.raise_if_any()
    return _typed(frame, coded, ids, dates, amount)


def _blank_lines(checks: Checks) -> None:
    """A blank line is one problem (not one per empty column): report it, then skip the row."""
    frame = checks.cells.frame
    candidates = np.flatnonzero(frame["fine_id"].to_numpy() == "")
    if not len(candidates):
        return
    empty = (frame.iloc[candidates].astype(str) == "").all(axis=1).to_numpy()
    for i in candidates[empty]:
        line = int(checks.cells.lines[i])
        checks.add(Problem(checks.cells.path, line, "", "", "a record, not a blank line"))
    checks.skip[candidates[empty]] = True


def _check_required(checks: Checks, coded: Coded) -> None:
    required = [c for c in COLUMNS if c not in OPTIONAL and c not in EXTENDED]
    text = [c for c in required if c not in CODED]
    checks.required(text)
    for col in required:
        if col in CODED:
            checks.flag(~coded.filled(col), col, "a value (this column is required)")


def _check_dates(checks: Checks, coded: Coded) -> dict[str, np.ndarray]:
    today = np.datetime64(dt.date.today())  # a date gives datetime64[D]
    out = {}
    for col in ("decision_date", "announced_date"):
        codes, values = coded(col)
        days, bad = strict_dates(pd.Series(values, dtype=object))
        out[col] = days[codes]
        checks.flag(bad[codes], col, "an ISO date (YYYY-MM-DD) between 1900 and 2199")
        checks.flag(out[col] > today, col, "a date that is not in the future")
    dec, ann = out["decision_date"], out["announced_date"]
    checks.flag(ann < dec, "announced_date", "a date on or after decision_date")
    prec = coded.values("date_precision")
    known = ~np.isnat(dec)
    month_start = dec.astype("datetime64[M]").astype("datetime64[D]") == dec
    year_start = dec.astype("datetime64[Y]").astype("datetime64[D]") == dec
    checks.flag(
        (prec == "month") & ~month_start & known,
        "decision_date",
        "the first day of the month (date_precision is month)",
    )
    checks.flag(
        (prec == "year") & ~year_start & known,
        "decision_date",
        "January 1 (date_precision is year)",
    )
    return out


def _check_amount(checks: Checks, coded: Coded) -> np.ndarray:
    codes, values = coded("amount")
    shape_ok = np.array([bool(AMOUNT_RE.match(v)) for v in values])
    numbers = np.full(len(values), np.nan)
    # float() of a valid shape never fails; a number too large becomes inf (reported below)
    numbers[shape_ok] = [float(v) for v in values[shape_ok]]
    amount = numbers[codes]
    ok = shape_ok[codes]
    checks.flag(
        coded.filled("amount") & ~ok,
        "amount",
        "a positive number without separators or currency sign, such as 2500000",
    )
    finite = np.isfinite(amount)
    checks.flag(ok & ~finite, "amount", "a finite amount (this one overflows)")
    checks.flag(amount <= 0, "amount", "a positive amount")  # NaN and inf compare False
    return amount


def _not_in(vocabulary: frozenset[str] | tuple[str, ...], values: np.ndarray) -> np.ndarray:
    return np.array([v not in vocabulary for v in values], dtype=bool)


def _not_matching(pattern: re.Pattern[str], values: np.ndarray) -> np.ndarray:
    return np.array([not pattern.match(v) for v in values], dtype=bool)


def _bad_items(pattern: re.Pattern[str], values: np.ndarray) -> np.ndarray:
    return np.array([not all(pattern.match(a) for a in v.split(";")) for v in values], bool)


def _rule(col: Column) -> Callable[[np.ndarray], np.ndarray]:
    """The bad-values test a column's declaration implies (run once per distinct value)."""
    if col.vocabulary:
        return partial(_not_in, col.vocabulary)
    pattern = re.compile(f"^(?:{col.pattern})$")
    return partial(_bad_items if col.kind == "list" else _not_matching, pattern)


#: Columns with a small vocabulary or a fixed shape: (column, bad-values test, expected), from
#: their declarations. The tests run at validation time (partial, not closures built at import),
#: so that each is tested. fine_id, amount and the dates have checks of their own.
CODE_RULES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray], str], ...] = tuple(
    (c.name, _rule(c), c.expected)
    for c in FINES
    if (c.vocabulary or c.pattern) and c.name in CODED and c.kind not in ("amount", "date")
)


def _check_codes(checks: Checks, coded: Coded) -> None:
    """Each rule is tested once per distinct value, then mapped back to the rows."""
    for col, bad, expected in CODE_RULES:
        codes, values = coded(col)
        flags = bad(values) & (values != "")
        checks.flag(flags[codes], col, expected)


_SLUG_CHARS = re.compile(r"[^a-z0-9\n-]")


def _slug_mismatches(s: pd.Series) -> np.ndarray:
    """Mask of the (non-empty) values that are not lowercase slugs; one pass over the joined
    column when all are (a value holding a newline of its own is never one)."""
    joined = "\n".join(s.tolist())
    if joined.count("\n") == len(s) - 1 and not (
        _SLUG_CHARS.search(joined)
        or "--" in joined
        or "\n-" in joined
        or "-\n" in joined
        or joined.startswith("-")
        or joined.endswith("-")
    ):
        return np.zeros(len(s), dtype=bool)
    return ~s.str.fullmatch(SLUG_RE.pattern[1:-1]).to_numpy()


def _check_ids(checks: Checks) -> pd.Series:
    """fine_id: a unique slug (spaces around it tolerated). Returns the ids, stripped."""
    f, lines = checks.cells.frame, checks.cells.lines
    ids = f["fine_id"]
    if ids.str.endswith((" ", "\t")).any():  # the parser already skipped leading spaces
        ids = ids.str.strip()
    filled = (ids != "").to_numpy()
    checks.flag(
        filled & _slug_mismatches(ids.where(filled, "x")),
        "fine_id",
        "a lowercase slug such as imy-2021-polis",
    )
    dup = ids.duplicated().to_numpy() & filled
    if dup.any():
        first = pd.Series(lines).groupby(ids.to_numpy()).transform("min").to_numpy()
        for i in np.flatnonzero(dup):
            checks.add(
                Problem(
                    checks.cells.path,
                    int(lines[i]),
                    "fine_id",
                    ids.iat[i],
                    f"a unique fine_id (already used on line {first[i]})",
                )
            )
    return ids


def _check_supersedes(checks: Checks, coded: Coded, ids: pd.Series) -> None:
    """supersedes: another record, of a status it may replace, replaced once, and no loop."""
    col = "supersedes"
    status = coded.values("status")
    has = coded.filled(col)
    for st in ("reduced", "annulled"):
        checks.flag(
            (status == st) & ~has,
            col,
            f"the fine_id of the decision this {st} court outcome replaces",
        )
    if not has.any():
        return
    rows = np.flatnonzero(has)
    sup = coded.values(col)
    status_of = pd.Series(status, index=ids.to_numpy())
    target = pd.Series(sup[rows]).map(status_of[~status_of.index.duplicated()]).to_numpy()
    self_ref = sup[rows] == ids.to_numpy()[rows]
    unknown = pd.isna(target) & ~self_ref
    checks.flag(_rows(len(ids), rows[unknown]), col, "the fine_id of another record in the file")
    checks.flag(
        _rows(len(ids), rows[self_ref]), col, "another record's fine_id, not the record's own"
    )
    known = ~unknown & ~self_ref
    for i, own, tgt in zip(rows[known], status[rows][known], target[known], strict=True):
        allowed = SUPERSEDABLE.get(own)
        if allowed is not None and tgt not in allowed:
            what = ", ".join(sorted(allowed)) if allowed else "nothing (leave it empty)"
            checks.add(
                Problem(
                    checks.cells.path,
                    int(checks.cells.lines[i]),
                    col,
                    sup[i],
                    f"a {own} record to supersede {what}, not a {tgt} record",
                )
            )
    twice = has & pd.Series(sup).duplicated().to_numpy()
    checks.flag(
        twice, col, "a record superseded only once (chain later outcomes onto the latest record)"
    )
    checks.flag(
        _in_loops(ids, pd.Series(sup), has),
        col,
        "a chain of supersedes links that ends (this one loops back)",
    )


def _rows(n: int, which: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[which] = True
    return mask


def _in_loops(ids: pd.Series, sup: pd.Series, has: np.ndarray) -> np.ndarray:
    """Rows on a supersedes loop. Follow every link at once; a row still moving after as many
    steps as there are links is on (or leads into) a loop; keep those its own chain returns to."""
    nxt = pd.Series(sup.to_numpy()[has], index=ids.to_numpy()[has])
    nxt = nxt[~nxt.index.duplicated()]
    cur = nxt.copy()
    for _ in range(len(nxt)):
        cur = cur.map(nxt).dropna()
        if cur.empty:
            return np.zeros(len(ids), dtype=bool)
    return ids.isin(cur.index).to_numpy() & has


def _typed(
    frame: pd.DataFrame,
    coded: Coded,
    ids: pd.Series,
    dates: dict[str, np.ndarray],
    amount: np.ndarray,
) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for col in COLUMNS:
        if col in dates:
            out[col] = pd.Series(dates[col].astype("datetime64[ns]"))
        elif col == "amount":
            out[col] = pd.Series(amount)  # float64 (NaN-filled, then floats)
        elif col in CATEGORICAL:
            codes, values = coded(col)
            out[col] = _categorical(codes, values)
        elif col in CODED:  # optional text read through its codes
            codes, values = coded(col)
            text = pd.Series(values[codes], dtype="str")
            out[col] = text.where(text != "")
        elif col == "fine_id":
            out[col] = ids.reset_index(drop=True)
        elif col in OPTIONAL:
            s = frame[col].reset_index(drop=True)
            out[col] = s.where(s != "")
        else:
            out[col] = frame[col].reset_index(drop=True)
    df = pd.DataFrame(out)
    df["year"] = df["decision_date"].dt.year.astype("int64")
    return df


def _categorical(codes: np.ndarray, values: np.ndarray) -> pd.Categorical:
    """A categorical from codes into ``values``, the empty value as missing, categories sorted."""
    order = np.argsort(values)  # the values are distinct: no ties to keep stable
    empty = values == ""
    keep = order[~empty[order]]
    new_code = np.full(len(values), -1)
    new_code[keep] = np.arange(len(keep))
    return pd.Categorical.from_codes(
        new_code[codes], categories=pd.Index(values[keep], dtype="str")
    )
