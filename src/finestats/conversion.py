"""Converting fine amounts between currencies at ECB reference rates, vectorised.

Cross rates go through the euro: ``rate(SRC -> TGT) = per_eur[TGT] / per_eur[SRC]``, i.e. units
of the target currency per 1 unit of the source currency; ``X -> X`` is exactly 1.0. A date
without a fixing (weekend, TARGET holiday) uses the most recent **earlier** fixing, looked up for
the source and the target currency separately; ``fx_date`` is the older of the two fixing dates
used. A fixing more than ``max_staleness_days`` days before the date is never used: that is an
error naming the fine_ids, never a NaN and never an extrapolation.

"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finestats.errors import RatesError, Unconverted, UsageError
from finestats.parsing import YEAR_AVERAGE, parse_currency, parse_date, parse_year
from finestats.prices import load_prices, real_factors
from finestats.query import Query
from finestats.rates import (
    ECB_HIST_URL,
    LEGACY_SOURCE,
    NO_FIX,
    RatesArg,
    RateTable,
    load_rates,
    years_of,
)

__all__ = ["convert"]

NEWER_FILE_HINT = (
    f"run `finestats rates update` (downloads {ECB_HIST_URL}) or pass rates=PATH / --rates PATH"
)
_UNSET: Any = object()


def convert(
    df: pd.DataFrame,
    to: str = _UNSET,
    *,
    query: Query | None = None,
    on: str = _UNSET,
    at: str | dt.date | None = _UNSET,
    rates: RatesArg = None,
    max_staleness_days: int = 7,
    real: int | None = _UNSET,
    prices: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``amount`` (in ``currency``) converted to ``to``.

    ``to``, ``on``, ``at`` and ``real`` default to those of ``query`` (a :class:`Query`), else
    to ``"EUR"``, ``"decision_date"``, None and None.

    Which fixing:

    * default: the date in column ``on`` (``"decision_date"`` or ``"announced_date"``,
      datetime64; the time of day is ignored, a time zone is dropped keeping the wall date).
      For the source and the target currency separately, the fixing of that date or else the
      most recent earlier fixing of that currency; ``fx_date`` is the older of the two fixing
      dates used. ``EUR`` has a fixing (of 1.0) on every date of the table, so ``EUR -> EUR`` on
      a Saturday reports Friday's date.
    * ``at="YYYY-MM-DD"`` / a date: every row at that one date, same rule.
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

    Raises RatesError whose ``unconverted`` names every row (by ``fine_id``, else index label)
    it cannot convert exactly: missing date, missing or unknown currency, a date before the
    currency's first ECB fixing, a date more than ``max_staleness_days`` days past the snapshot's
    last fixing, or no fixing of a currency within ``max_staleness_days`` days before the date
    (e.g. RUB after 2022-03-01, ISK 2008-2018). A euro legacy currency after its adoption uses
    its irrevocable rate (``fx_date`` = the row's date, ``fx_source`` naming the rate). An
    unknown ``to`` raises RatesError listing the known codes.

    ``rates`` is anything :func:`finestats.snapshots.load_rates` accepts; with ``"forex"`` the
    live source fetches one EUR-based table per distinct date needed, then the same rules apply.

    ``real=YEAR`` also expresses each converted amount in that year's prices: ``real_factor`` is
    ``index[YEAR] / index[year of the row's on date]`` of the target currency's consumer price
    index (:mod:`finestats.prices`; ``prices`` defaults to the data folder's file), and
    ``amount_<to>_real_<YEAR>`` the amount times it. The year is the fine's own (of its ``on``
    date) also when ``at`` converts every fine at one date's rates. A currency without an
    index, or a year the index does not cover, is a RatesError naming the fine_ids, never a
    nominal figure.

    An amount that is missing, not finite or not positive (in a frame built by hand) is a
    RatesError naming the row: it would otherwise vanish from a total or distort it.
    """
    q = query or Query()
    to = q.currency if to is _UNSET else to
    on = q.on if on is _UNSET else on
    at = q.at if at is _UNSET else at
    real = q.real if real is _UNSET else real
    job = _Job.make(df, to, on, at, max_staleness_days)
    source = load_rates(rates)
    table = _table(source, job)
    if table is None:  # live source, nothing to fetch: no rows, or every row already failed
        job.problems.raise_if_any()
        empty = np.empty(0, dtype=np.int64)
        return _result(job, np.empty(0), empty, source.source, np.zeros(0, bool))
    t = table.column(job.to)
    if t < 0:
        raise RatesError(
            f"unknown target currency {job.to!r}; the rate table ({table.source}) knows: "
            + ", ".join(table.currencies)
        )
    src = _source_columns(job, table)
    if job.year_average:
        rate_s, rate_t, fx_day = _yearly_rates(job, table, src, t)
    else:
        rate_s, rate_t, fx_day = _daily_rates(job, table, src, t)
    job.problems.raise_if_any()
    out = _result(job, rate_t / rate_s, fx_day, table.source, _legacy_rows(job, table, src, t))
    if real is None:
        return out
    own_days = job.days if at is None or job.year_average else _row_days(df, on)[0]
    return in_prices_of(out, job.to, own_days, parse_year("real", real), prices)


def in_prices_of(
    out: pd.DataFrame, to: str, days: np.ndarray, year: int, prices: pd.DataFrame | None
) -> pd.DataFrame:
    """Add ``real_factor`` and ``amount_<to>_real_<year>`` (see :func:`convert`); ``days`` are
    the rows' own dates (epoch days), whose years are deflated."""
    ids = out["fine_id"] if "fine_id" in out.columns else out.index.to_series()
    table = prices if prices is not None else load_prices()
    factor = real_factors(years_of(days), ids.reset_index(drop=True), to, year, table)
    cur = to.lower()
    out["real_factor"] = factor
    out[f"amount_{cur}_real_{year}"] = out[f"amount_{cur}"].to_numpy() * factor
    return out


@dataclass
class _Job:
    """One conversion's inputs, checked: the rows' days and the problems found so far."""

    df: pd.DataFrame
    to: str
    year_average: bool
    max_gap: int
    days: np.ndarray  # int64 epoch days, one per row
    problems: _Problems

    @classmethod
    def make(cls, df: Any, to: Any, on: str, at: Any, max_gap: Any) -> _Job:
        if not isinstance(df, pd.DataFrame):
            raise UsageError(f"convert() needs a DataFrame, not {type(df).__name__}")
        if isinstance(max_gap, bool) or not isinstance(max_gap, int | np.integer) or max_gap < 0:
            raise UsageError(f"max_staleness_days must be an integer >= 0, not {max_gap!r}")
        try:
            to = parse_currency("to", to)
        except UsageError:
            raise RatesError(
                f"target currency {to!r} is not an ISO 4217 code such as USD"
            ) from None
        year_average = isinstance(at, str) and at.strip().lower() == YEAR_AVERAGE
        at_day = None if at is None or year_average else parse_date("at", at)
        needed = ["amount", "currency"] + ([on] if at_day is None else [])
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise UsageError(
                f"convert() needs columns {missing}; the DataFrame has {list(df.columns)}"
            )
        problems = _Problems(df)
        if at_day is not None:
            days = np.full(len(df), (at_day - dt.date(1970, 1, 1)).days)
        else:
            days, nat = _row_days(df, on)
            problems.add(nat, f"{on} is missing (NaT); fill it or convert with another date column")
        _check_amounts(df, problems)
        return cls(df, to, year_average, int(max_gap), days, problems)


def _check_amounts(df: pd.DataFrame, problems: _Problems) -> None:
    """Missing, infinite or non-positive amounts (frames built by hand) are reported by row."""
    try:
        amount = df["amount"].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise UsageError(
            f"column 'amount' must hold numbers, not {df['amount'].dtype}; "
            "parse it with pd.to_numeric"
        ) from None
    with np.errstate(invalid="ignore"):
        good = (amount > 0) & (amount < np.inf)  # NaN compares False
    if good.all():
        return
    problems.add(np.isnan(amount), "amount is missing (NaN)")
    problems.add(np.isinf(amount), "amount is not finite")
    problems.add(amount <= 0, "amount is not positive")


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


def _table(source: Any, job: _Job) -> RateTable | None:
    """The rate table: as given, or fetched from a live source for the distinct dates needed."""
    if isinstance(source, RateTable):
        return source
    if job.year_average:
        raise RatesError(
            f"at='year-average' needs the full ECB history; not available from the live "
            f"source {source.source}; use the default snapshot or rates=PATH"
        )
    good = job.days[~job.problems.mask]
    wanted = np.unique(good).astype("datetime64[D]").astype(dt.date)
    if len(wanted) == 0:
        return None
    return source.table_for(list(wanted))


def _source_columns(job: _Job, table: RateTable) -> np.ndarray:
    """Each row's currency as a column index of the table (the target's where it is unknown or
    missing, after reporting the row)."""
    codes, uniques = pd.factorize(job.df["currency"])
    uniq = [str(u) for u in uniques]
    col_of = np.array([table.column(u) for u in uniq] + [-1])
    src = col_of[codes]  # codes == -1 (missing) picks the trailing -1
    job.problems.add(codes < 0, "currency is missing")
    for k, u in enumerate(uniq):
        if col_of[k] < 0:
            job.problems.add(
                codes == k,
                f"unknown currency {u!r} (not in {table.source}; known: "
                + ", ".join(table.currencies)
                + ")",
            )
    return np.where(src < 0, table.column(job.to), src)


def _daily_rates(
    job: _Job, table: RateTable, src: np.ndarray, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source and target rates per row from the fixings at or before each row's day (the
    per-day lookup built only for the currencies these rows use)."""
    used, compact = np.unique(np.append(src, t), return_inverse=True)
    daily = table.daily_rows(used)
    n_days = daily.rate.shape[1]
    offset = np.clip(job.days - daily.start, 0, n_days - 1)
    cell = compact[:-1] * n_days + offset
    t_row = int(compact[-1])
    rate_src = daily.rate.ravel().take(cell)
    fix_src = daily.fix.ravel().take(cell).astype(np.int64)
    rate_tgt = daily.rate[t_row].take(offset)
    fix_tgt = daily.fix[t_row].take(offset).astype(np.int64)
    _report_daily(job, table, src, t, fix_src, fix_tgt)
    return rate_src, rate_tgt, np.minimum(fix_src, fix_tgt)


def _report_daily(
    job: _Job, table: RateTable, src: np.ndarray, t: int, fix_src: np.ndarray, fix_tgt: np.ndarray
) -> None:
    days, gap = job.days, job.max_gap
    before_s = (fix_src == NO_FIX) | (fix_src > days)
    before_t = (fix_tgt == NO_FIX) | (fix_tgt > days)
    past = days > table.days()[-1] + gap
    stale_s = ~before_s & (days - fix_src > gap)
    stale_t = ~before_t & (days - fix_tgt > gap)
    if not (before_s | before_t | past | stale_s | stale_t).any():
        return
    spans = _fixing_spans(table)
    _per_currency(
        job,
        table,
        src,
        t,
        spans,
        before_s,
        before_t,
        "date before the first ECB fixing of {code} (its fixings in the table: {span})",
    )
    job.problems.add(
        past,
        f"date more than {gap} days after the rate snapshot's last fixing "
        f"{table.snapshot_label} ({table.source}); for later dates {NEWER_FILE_HINT}",
    )
    _per_currency(
        job,
        table,
        src,
        t,
        spans,
        stale_s & ~past,
        stale_t & ~past,
        f"no {{code}} fixing within {gap} days before the date (ECB {{code}} fixings in the "
        f"table: {{span}}; the ECB stopped or paused publishing it)",
    )


def _fixing_spans(table: RateTable) -> dict[str, str]:
    info = table.info()
    return {
        str(r.currency): (
            f"{r.first_fixing.date()}..{r.last_fixing.date()}" if r.n_fixings else "none"
        )
        for r in info.itertuples()
    }


def _per_currency(
    job: _Job,
    table: RateTable,
    src: np.ndarray,
    t: int,
    spans: dict[str, str],
    mask_src: np.ndarray,
    mask_tgt: np.ndarray,
    message: str,
) -> None:
    """Report rows whose source (``mask_src``) or target (``mask_tgt``) currency failed, one
    reason per currency involved."""
    columns = table.currencies
    for j in sorted(set(src[mask_src].tolist()) | {t}):
        code = columns[j]
        mask = (mask_src & (src == j)) | (mask_tgt if j == t else False)
        job.problems.add(mask, message.format(code=code, span=spans[code]))


def _yearly_rates(
    job: _Job, table: RateTable, src: np.ndarray, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source and target annual mean rates per row (see ``at="year-average"``)."""
    yearly = table.yearly(job.max_gap)
    n_years = yearly.mean.shape[1]
    index = years_of(job.days) - yearly.first_year
    in_range = (index >= 0) & (index < n_years)
    index = np.clip(index, 0, n_years - 1)
    cell = src * n_years + index
    rate_src = yearly.mean.ravel().take(cell)
    rate_tgt = yearly.mean[t].take(index)
    fx_day = np.minimum(yearly.last.ravel().take(cell), yearly.last[t].take(index))
    covered_src = yearly.covered.ravel().take(cell) & in_range
    covered_tgt = yearly.covered[t].take(index) & in_range
    _report_years(job, table, src, t, covered_src, covered_tgt, in_range)
    return rate_src, rate_tgt, fx_day.astype(np.int64)


def _report_years(
    job: _Job,
    table: RateTable,
    src: np.ndarray,
    t: int,
    covered_src: np.ndarray,
    covered_tgt: np.ndarray,
    in_range: np.ndarray,
) -> None:
    first = table.frame.index[0].date()
    job.problems.add(
        ~in_range,
        f"year outside the rate table ({first}..{table.snapshot_label}); {NEWER_FILE_HINT}",
    )
    last = table.snapshot_date
    unfinished = years_of(job.days) >= last.year if (last.month, last.day) != (12, 31) else None
    if unfinished is not None:
        job.problems.add(
            unfinished & in_range,
            f"the year {last.year} is not over in the rate snapshot (it ends "
            f"{table.snapshot_label}): no year-average yet",
        )
    columns = table.currencies
    for j in sorted(set(src[~covered_src].tolist()) | {t}):
        bad = (((src == j) & ~covered_src) | ((j == t) & ~covered_tgt)) & in_range
        years = np.unique(years_of(job.days[bad]))
        shown = ", ".join(str(y) for y in years[:10])
        job.problems.add(
            bad,
            f"no full year of {columns[j]} fixings for the year-average ({shown}): the ECB did "
            f"not publish {columns[j]} all that year",
        )


def _legacy_rows(job: _Job, table: RateTable, src: np.ndarray, t: int) -> np.ndarray:
    """Rows converted with an irrevocable euro rate: a legacy currency from its adoption day on.
    Every adoption day is a 1 January, so for the year-average this is every row of the first
    year fully in the euro and later ones."""
    adopt = table.adoption_days()
    return (job.days >= adopt[src]) | (job.days >= adopt[t])


def _result(
    job: _Job, fx_rate: np.ndarray, fx_day: np.ndarray, source: str, legacy: np.ndarray
) -> pd.DataFrame:
    """The rows with the converted amount and the audit columns added. A shallow copy: with
    pandas' copy-on-write the columns not touched are shared with ``df`` until either changes,
    so ``df`` is never modified and nothing is copied for nothing."""
    out = job.df.copy(deep=False)
    amount = out["amount"].to_numpy(dtype=np.float64, na_value=np.nan)
    out[f"amount_{job.to.lower()}"] = amount * fx_rate
    out["fx_rate"] = fx_rate
    out["fx_date"] = (fx_day * 86_400_000_000_000).view("datetime64[ns]")
    codes = legacy.astype(np.int8)
    categories = [source, f"{source} + {LEGACY_SOURCE}"]
    out["fx_source"] = pd.Categorical.from_codes(codes, categories=categories)
    return out


class _Problems:
    """Collects row masks with a reason; raises one RatesError naming every failing row."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df
        self.mask = np.zeros(len(df), dtype=bool)
        self._items: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray, reason: str) -> None:
        mask = mask & ~self.mask  # each row reported once, first reason
        if mask.any():
            self._items.append((mask, reason))
            self.mask |= mask

    def raise_if_any(self) -> None:
        if not self._items:
            return
        df = self._df
        ids = df["fine_id"] if "fine_id" in df.columns else df.index.to_series()
        unconverted = [
            Unconverted(reason, tuple(str(v) for v in ids[mask])) for mask, reason in self._items
        ]
        raise RatesError(unconverted=unconverted, n_rows=len(df))
