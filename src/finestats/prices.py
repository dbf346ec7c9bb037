"""Consumer price indices (``price_indices.csv``) and amounts in constant prices.

One row per (area, year): the published **annual average** of a consumer price index, with the
currency whose amounts it deflates (EA -> EUR, GB -> GBP, SE -> SEK, US -> USD), its base and
source. Years run without gaps. :func:`real_factors` gives, per row of converted fines, the
factor that expresses an amount of its decision year in prices of a base year:
``index[base year] / index[decision year]`` of the target currency's area.

Convention: convert first (ECB rate of the decision date, as always), then deflate with the
target currency's index. The alternative, deflating in the source currency and then converting,
gives different figures when the two currencies' inflation differs; data/README.md shows both.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.csvtable import Checks, check_declared, read_cells, stripped_cells
from finestats.errors import RatesError, Unconverted
from finestats.fileio import CACHE
from finestats.schema import PRICES, names

PRICE_COLUMNS: tuple[str, ...] = names(PRICES)


def load_prices(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate a price index file (default: the one of the data folder); raise
    FineDataError naming file, line and column for a bad row, a gap in the years, two bases in
    an area or two areas for one currency. Read once per file content."""
    p = paths.absolute(path) if path is not None else paths.reference(None, paths.PRICES_NAME)
    return CACHE.get([p], lambda: _load(p), "prices")


def _load(path: Path) -> pd.DataFrame:
    cells = read_cells(path, PRICE_COLUMNS, what="price index CSV file")
    f = stripped_cells(cells)
    checks = Checks(cells, {c: i for i, c in enumerate(PRICE_COLUMNS)})
    parsed = check_declared(checks, f, PRICES)
    years = pd.Series(parsed["year"], index=f.index)
    checks.flag(
        f.assign(y=years).duplicated(["area", "y"]).to_numpy(bool),
        "year",
        "one row per area and year",
    )
    for col in ("currency", "index", "base"):
        first = f.groupby("area")[col].transform("first")
        checks.flag(
            (f[col] != first).to_numpy(bool), col, "the same value on every row of the area"
        )
    areas = f.groupby("currency")["area"].transform("first")
    checks.flag(
        (f["area"] != areas).to_numpy(bool),
        "area",
        "one area per currency (this currency already has another area's index)",
    )
    _gaps(checks, f, years)
    checks.raise_if_any()
    out = f.copy()
    out["year"] = years.astype("int64")
    out["value"] = parsed["value"]
    return out


def _gaps(checks: Checks, f: pd.DataFrame, years: pd.Series) -> None:
    """A year missing inside an area's span is an error at the row after the gap."""
    for area, idx in f.groupby("area").groups.items():
        ys = years.loc[idx].dropna().sort_values()
        jumps = ys.diff() > 1
        for i in ys.index[jumps.to_numpy(bool)]:
            mask = np.zeros(len(f), dtype=bool)
            mask[f.index.get_loc(i)] = True
            checks.flag(
                mask, "year", f"consecutive years for {area} (a year before this one is missing)"
            )


def index_for(currency: str, prices: pd.DataFrame) -> pd.Series:
    """The annual index (year -> value) that deflates ``currency``; RatesError if there is none."""
    rows = prices[prices["currency"] == currency]
    if rows.empty:
        known = ", ".join(sorted(prices["currency"].unique()))
        raise RatesError(
            f"no price index for {currency} (price_indices.csv has {known}); "
            "constant prices need the target currency's index"
        )
    return pd.Series(rows["value"].to_numpy(), index=rows["year"].to_numpy())


def real_factors(
    years: np.ndarray, fine_ids: pd.Series, currency: str, base_year: int, prices: pd.DataFrame
) -> np.ndarray:
    """``index[base_year] / index[year]`` per row; RatesError naming every fine whose year (or
    the base year) the index does not cover."""
    index = index_for(currency, prices)
    first, last = int(index.index.min()), int(index.index.max())
    if base_year not in index.index:
        raise RatesError(
            f"base year {base_year} is outside the {currency} price index ({first}-{last})"
        )
    by_year = index.reindex(years).to_numpy("float64")
    missing = np.isnan(by_year)
    if missing.any():
        ids = tuple(str(v) for v in fine_ids[missing])
        reason = f"decision year outside the {currency} price index ({first}-{last})"
        raise RatesError(unconverted=[Unconverted(reason, ids)], n_rows=len(years))
    return float(index[base_year]) / by_year


def index_years(currency: str, prices: pd.DataFrame) -> tuple[int, int] | None:
    """The first and last year of the index that deflates ``currency``, or None if none does."""
    rows = prices[prices["currency"] == currency]
    if rows.empty:
        return None
    return int(rows["year"].min()), int(rows["year"].max())


def describe(currency: str, prices: pd.DataFrame) -> str:
    """``"HICP (Eurostat, euro area...), 2015=100, annual averages"``."""
    rows = prices[prices["currency"] == currency]
    if rows.empty:
        return ""
    return f"{rows['index'].iat[0]}, {rows['base'].iat[0]}, annual averages"
