"""ECB euro reference rates: the rate table, its lookups, and reading ECB files strictly.

Units and conventions
---------------------
* A rate table holds the ECB euro foreign exchange reference rates: **units of a currency per
  1 EUR**, one fixing per TARGET business day since 1999-01-04 (published around 16:00 CET).
  ``EUR`` is a column of exactly 1.0 on every fixing date of the table.
* Euro legacy currencies (HRK from 2023-01-01, BGN from 2026-01-01, SKK, LTL, ...) have, from their
  euro adoption on, the EU Council's irrevocable conversion rate (:data:`EURO_LEGACY`): the law,
  not an estimate.

:class:`RateTable` offers dense per-day and per-year lookup arrays that
:func:`finestats.conversion.convert` indexes with numpy. :func:`read_ecb_file` parses an ECB
``eurofxref-hist.csv`` (or a zip holding one) and rejects anything that is not one whole: a file
cut inside a row, a row with a missing field, a value that is not a finite positive number.
Which table is used by default is :mod:`finestats.snapshots`' business.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from finestats.errors import RatesError, shorten

__all__ = [
    "ECB_HIST_URL",
    "EURO_LEGACY",
    "LEGACY_SOURCE",
    "NO_FIX",
    "RateSource",
    "RateTable",
    "read_ecb_bytes",
    "read_ecb_file",
]

ECB_HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
#: Euro legacy currencies: the irrevocable conversion rate (units per 1 EUR) fixed by the EU
#: Council, and the day the currency joined the euro.
EURO_LEGACY: dict[str, tuple[float, str]] = {
    "SIT": (239.640, "2007-01-01"),
    "CYP": (0.585274, "2008-01-01"),
    "MTL": (0.429300, "2008-01-01"),
    "SKK": (30.1260, "2009-01-01"),
    "EEK": (15.6466, "2011-01-01"),
    "LVL": (0.702804, "2014-01-01"),
    "LTL": (3.45280, "2015-01-01"),
    "HRK": (7.53450, "2023-01-01"),
    "BGN": (1.95583, "2026-01-01"),
}
LEGACY_SOURCE = "EU Council irrevocable euro conversion rate"
NO_FIX = np.iinfo(np.int32).min  # "no fixing at or before this day" in the dense day arrays
CODE_RE = re.compile(r"^[A-Z]{3}$")
ECB_FORMAT = (
    "an ECB eurofxref-hist.csv or .zip: header 'Date,USD,JPY,...', one row per date "
    "(YYYY-MM-DD), rates per 1 EUR, 'N/A' for missing, every row ending in a newline"
)


def epoch_days(values: np.ndarray) -> np.ndarray:
    """datetime64 values as int64 days since 1970-01-01."""
    return values.astype("datetime64[D]").astype(np.int64)


def day_of(day: str) -> int:
    """``"YYYY-MM-DD"`` as int days since 1970-01-01."""
    return int(np.datetime64(day, "D").astype(np.int64))


def years_of(days: np.ndarray) -> np.ndarray:
    """Calendar years of int64 epoch days."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def is_leap(years: np.ndarray) -> np.ndarray:
    return (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))


@dataclass(frozen=True)
class DailyLookup:
    """Per currency and calendar day from the first to the last fixing: the rate and the day
    (int epoch days, :data:`NO_FIX` if none) of the last fixing at or before it."""

    start: int
    rate: np.ndarray  # float64[n_currencies, n_days]
    fix: np.ndarray  # int32[n_currencies, n_days]


@dataclass(frozen=True)
class YearlyLookup:
    """Per currency and calendar year: the mean of the fixings, the last fixing day and whether
    the year is covered (see :func:`finestats.conversion.convert`, ``at="year-average"``)."""

    first_year: int
    mean: np.ndarray  # float64[n_currencies, n_years]
    last: np.ndarray  # int32[n_currencies, n_years]
    covered: np.ndarray  # bool[n_currencies, n_years]


@dataclass(frozen=True, eq=False, repr=False)
class RateTable:
    """ECB reference rates: ``frame`` holds units of each currency per 1 EUR.

    ``frame`` has a ``DatetimeIndex`` named ``date`` of fixing dates (ascending, unique, no
    time zone, ``datetime64[ns]``) and one float64 column per ISO 4217 code (sorted), NaN where
    the ECB published no fixing for that currency that day; ``EUR`` is 1.0 on every date.
    ``source`` says where the figures come from; ``snapshot_date`` is the last fixing date;
    ``sha256`` the fingerprint of the file read (empty when built in memory).

    The constructor normalises ``frame`` (sorts, casts, adds ``EUR``); treat the result as
    read-only, because the lookup arrays derived from it are cached on the instance.
    """

    frame: pd.DataFrame
    source: str
    sha256: str = ""
    snapshot_date: pd.Timestamp = field(init=False)
    _cache: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame", _normalised(self.frame, self.source))
        object.__setattr__(self, "snapshot_date", self.frame.index[-1])

    def __repr__(self) -> str:
        first = self.frame.index[0].date()
        return (
            f"RateTable(source={self.source!r}, {len(self.frame)} fixing dates {first}.."
            f"{self.snapshot_date.date()}, {len(self.currencies)} currencies)"
        )

    @property
    def currencies(self) -> list[str]:
        """ISO codes in the table, sorted, ``EUR`` included."""
        return list(self.frame.columns)

    @property
    def snapshot_label(self) -> str:
        """The snapshot date as ``YYYY-MM-DD``."""
        return f"{self.snapshot_date:%Y-%m-%d}"

    def info(self) -> pd.DataFrame:
        """One row per currency: ``currency``, ``first_fixing``, ``last_fixing``, ``n_fixings``."""
        notna = self.frame.notna().to_numpy()
        idx = self.frame.index.to_numpy()
        n = notna.sum(axis=0)
        first = np.where(n > 0, idx[np.argmax(notna, axis=0)], np.datetime64("NaT"))
        last_pos = len(idx) - 1 - np.argmax(notna[::-1], axis=0)
        last = np.where(n > 0, idx[last_pos], np.datetime64("NaT"))
        out = pd.DataFrame(
            {
                "currency": self.frame.columns,
                "first_fixing": pd.to_datetime(first).astype("datetime64[ns]"),
                "last_fixing": pd.to_datetime(last).astype("datetime64[ns]"),
                "n_fixings": n.astype("int64"),
            }
        )
        return out  # one row per column: already sorted by code

    def column(self, code: str) -> int:
        """Column index of an ISO code, or -1."""
        return int(self.frame.columns.get_indexer([code])[0])

    def days(self) -> np.ndarray:
        """Fixing dates as int64 days since 1970-01-01."""
        if "days" not in self._cache:
            self._cache["days"] = epoch_days(self.frame.index.to_numpy())
        return self._cache["days"]

    def daily(self) -> DailyLookup:
        """The dense per-day lookup (built once per table)."""
        if "daily" not in self._cache:
            self._cache["daily"] = _build_daily(self)
        return self._cache["daily"]

    def yearly(self, max_gap: int) -> YearlyLookup:
        """The per-year lookup for a largest allowed gap between fixings (built once per gap)."""
        key = f"yearly{max_gap}"
        if key not in self._cache:
            self._cache[key] = _build_yearly(self, max_gap)
        return self._cache[key]

    def legacy_columns(self) -> list[tuple[int, int]]:
        """(column index, euro adoption day) of the euro legacy currencies in the table."""
        return [
            (self.column(c), day_of(day)) for c, (_, day) in EURO_LEGACY.items() if c in self.frame
        ]

    def adoption_days(self) -> np.ndarray:
        """Per column: the euro adoption day (epoch days), or a far-future sentinel."""
        out = np.full(len(self.frame.columns), np.iinfo(np.int64).max)  # int64: 2**63 - 1
        for j, day in self.legacy_columns():
            out[j] = day
        return out


def _normalised(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise RatesError(f"{source}: rate table index must be dates")
    if frame.index.tz is not None:
        raise RatesError(f"{source}: rate table dates must not have a time zone")
    if len(frame.index) == 0:
        raise RatesError(f"{source}: rate table has no fixings")
    if frame.index.hasnans:
        raise RatesError(f"{source}: rate table has missing dates")
    if frame.index.has_duplicates:
        dups = frame.index[frame.index.duplicated()].unique()
        shown = ", ".join(str(d.date()) for d in dups[:5])
        raise RatesError(f"{source}: duplicate fixing dates in rate table: {shown}")
    bad = [c for c in frame.columns if not (isinstance(c, str) and CODE_RE.match(c))]
    if bad:
        raise RatesError(
            f"{source}: rate table columns must be ISO 4217 codes such as USD, got {bad}"
        )
    frame = frame.astype("float64").sort_index()
    values = frame.to_numpy()
    if (values <= 0).any() or np.isinf(values).any():
        raise RatesError(f"{source}: rates must be positive finite numbers")
    frame["EUR"] = 1.0
    frame = frame[sorted(frame.columns)]
    frame.index = frame.index.normalize().astype("datetime64[ns]")
    frame.index.name = "date"
    frame.columns.name = None
    return frame


def _build_daily(table: RateTable) -> DailyLookup:
    days = table.days()
    start = int(days[0])
    all_days = np.arange(days[0], days[-1] + 1)  # int64, like days
    values = table.frame.to_numpy()
    n_cur = values.shape[1]
    rate = np.full((n_cur, len(all_days)), np.nan)
    fix = np.full((n_cur, len(all_days)), NO_FIX, dtype=np.int32)
    for j in range(n_cur):
        ok = ~np.isnan(values[:, j])
        cd, cv = days[ok], values[ok, j]
        if len(cd) == 0:
            continue
        pos = np.searchsorted(cd, all_days, side="right") - 1
        has = pos >= 0
        rate[j, has] = cv[pos[has]]
        fix[j, has] = cd[pos[has]]
    for j, adopted in table.legacy_columns():
        after = all_days >= adopted
        rate[j, after] = EURO_LEGACY[table.frame.columns[j]][0]
        fix[j, after] = all_days[after]
    return DailyLookup(start, rate, fix)


def _build_yearly(table: RateTable, max_gap: int) -> YearlyLookup:
    """Per currency and year, vectorised over currencies: the mean of the fixings, the first and
    last fixing day, and the largest gap between consecutive fixings inside the year."""
    days = table.days()
    years = years_of(days)
    y0, y1 = int(years[0]), int(years[-1])
    n_years = y1 - y0 + 1
    values = table.frame.to_numpy()
    have = ~np.isnan(values)
    yi = years - y0
    frame = pd.DataFrame(values)
    mean = frame.groupby(yi).mean().reindex(range(n_years)).to_numpy().T.copy()
    fixed_days = pd.DataFrame(np.where(have, days[:, None], np.nan))
    by_year = fixed_days.groupby(yi)
    first = by_year.min().reindex(range(n_years)).to_numpy().T
    last = by_year.max().reindex(range(n_years)).to_numpy().T
    gap = np.zeros_like(first)
    for j in range(values.shape[1]):  # consecutive fixings of one currency: a few numpy ops
        d, y = days[have[:, j]], yi[have[:, j]]
        steps = np.diff(d)
        same = y[1:] == y[:-1]
        if same.any():
            np.maximum.at(gap[j], y[1:][same], steps[same])
    yrs = np.arange(y0, y1 + 1)
    jan1 = epoch_days((yrs - 1970).astype("datetime64[Y]"))
    dec31 = jan1 + np.where(is_leap(yrs), 365, 364)
    with np.errstate(invalid="ignore"):
        covered = (first - jan1 <= max_gap) & (dec31 - last <= max_gap) & (gap <= max_gap + 1)
    last_day = np.where(np.isnan(last), NO_FIX, last).astype(np.int32)
    year_last = pd.Series(days).groupby(years).max().reindex(yrs, fill_value=NO_FIX).to_numpy()
    for j, adopted in table.legacy_columns():
        first_year = int(years_of(np.array([adopted]))[0])
        idx = np.arange(max(first_year - y0, 0), n_years)
        mean[j, idx] = EURO_LEGACY[table.frame.columns[j]][0]
        last_day[j, idx] = year_last[idx]
        covered[j, idx] = True
    return YearlyLookup(y0, mean, last_day, covered & ~np.isnan(mean))


@runtime_checkable
class RateSource(Protocol):
    """A source that builds a :class:`RateTable` for just the dates a conversion needs (the live
    source, :class:`finestats.forex.ForexRates`)."""

    source: str

    def table_for(self, dates: Iterable[dt.date]) -> RateTable:
        """EUR-based fixings at or before each date (one fetch per distinct date)."""
        ...


# --------------------------------------------------------------------------------------------
# Reading ECB files


def read_ecb_file(path: str | Path, source: str | None = None) -> RateTable:
    """Parse an ECB eurofxref-hist CSV (or a zip holding exactly one) into a RateTable.

    Raises RatesError naming the file, line and column of the first problem (and how many more
    there are) if the file is not one whole ECB file.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RatesError(f"{p}: cannot read rate file ({exc.strerror or exc})") from None
    return read_ecb_bytes(data, str(p), source or f"file:{p}")


def read_ecb_bytes(data: bytes, name: str, source: str) -> RateTable:
    """Parse the bytes of an ECB CSV or zip (see :func:`read_ecb_file`)."""
    sha = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        data = _unzip(data, name)
    try:
        text = data.decode().removeprefix("\ufeff")  # UTF-8
    except UnicodeDecodeError as exc:
        raise RatesError(f"{name}: not UTF-8 text ({exc.reason}); expected {ECB_FORMAT}") from None
    frame = _parse_ecb_text(text, name)
    return RateTable(frame, source, sha)


def _unzip(data: bytes, name: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise RatesError(f"{name}: zip holds {len(members)} files; expected one ECB CSV")
            return zf.read(members[0])
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise RatesError(f"{name}: damaged zip ({exc}); expected {ECB_FORMAT}") from None


def _fail(name: str, line: int, column: str, value: object, expected: str, more: int = 0) -> None:
    extra = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
    raise RatesError(
        f"{name}:{line}: column '{column}' value '{shorten(value)}': expected {expected}{extra}"
    )


def _parse_ecb_text(text: str, name: str) -> pd.DataFrame:
    """Check the file's shape (final newline, one header, the same number of fields on every
    row), parse it with pandas' C parser, then check every value; the first problem found is
    raised with its line and column."""
    if not text.strip():
        raise RatesError(f"{name}: empty file; expected {ECB_FORMAT}")
    lines = text.split("\n")
    if lines[-1] != "":
        _fail(name, len(lines), "", lines[-1], "a final newline (the file ends inside a row)")
    header = [h.strip() for h in lines[0].split(",")]  # strip() also drops a "\r"
    if header[0] != "Date" or len(header) < 2:
        _fail(name, 1, "Date", header[0], f"the header of {ECB_FORMAT}")
    trailing = header[-1] == ""
    codes = header[1:-1] if trailing else header[1:]
    bad = [c for c in codes if not CODE_RE.match(c)]
    if bad:
        _fail(name, 1, bad[0], bad[0], "an ISO 4217 code such as USD in the header")
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
    raw = raw.iloc[:, : len(codes) + 1]
    raw.columns = ["Date", *codes]
    dates = pd.to_datetime(raw["Date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad_date = np.flatnonzero(dates.isna().to_numpy())
    if len(bad_date):
        i = int(bad_date[0])
        _fail(name, i + 2, "Date", raw["Date"].iat[i], "a date YYYY-MM-DD", len(bad_date) - 1)
    values = raw.drop(columns="Date")
    _check_values(values, name)
    frame = values.set_axis(pd.DatetimeIndex(dates))  # RateTable makes it float64
    dup = np.flatnonzero(frame.index.duplicated())
    if len(dup):
        _fail(name, int(dup[0]) + 2, "Date", raw["Date"].iat[int(dup[0])], "each date once")
    return frame


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return np.nan


def _check_values(values: pd.DataFrame, name: str) -> None:
    """Every cell is N/A (or empty) or a finite positive number; else fail at the first bad one."""
    bad = np.zeros(values.shape, dtype=bool)
    for j, col in enumerate(values.columns):
        s = values[col]
        if pd.api.types.is_float_dtype(s.dtype):
            v = s.to_numpy()
            bad[:, j] = ~np.isnan(v) & ~(np.isfinite(v) & (v > 0))
        else:  # the C parser found text that is not a float (or an int too large for one)
            num = np.array([_as_float(v) for v in s])  # float64
            bad[:, j] = s.notna().to_numpy() & ~(np.isfinite(num) & (num > 0))
    if bad.any():
        rows, cols = np.nonzero(bad)
        i, j = int(rows[0]), int(cols[0])
        _fail(
            name,
            i + 2,
            values.columns[j],
            values.iat[i, j],
            "a finite positive rate, or N/A",
            int(bad.sum()) - 1,
        )
