"""Totals of the counted fines: by regulator, year, matter, sector, group... and the wide pivot.

Amounts are converted with :func:`finestats.conversion.convert` (each fine at the ECB rate of
its date, unless the query says otherwise) before summing; totals are in the target currency,
named ``total_<cur>`` (lower case). What counts is :mod:`finestats.counting`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from finestats import prices as prices_mod
from finestats.collection import Data, resolve
from finestats.conversion import convert
from finestats.counting import announcement_unknown, outside_scope, select
from finestats.coverage import scope_text
from finestats.errors import UsageError
from finestats.parsing import parse_names
from finestats.query import META_KEY, Query, ResultMeta, as_query, attach
from finestats.rates import RatesArg, RateTable, load_rates, snapshot_label
from finestats.records import source_of

GROUP_KEYS: tuple[str, ...] = (
    "regulator",
    "country",
    "year",
    "defendant",
    "group",
    "matter",
    "sector",
    "currency",
    "status",
)
#: The label of a group whose key is empty (e.g. records without a matter): never dropped.
NO_VALUE = "(none)"

__all__ = ["GROUP_KEYS", "NO_VALUE", "headline", "pivot", "result_meta", "totals"]


def totals(
    data: Data,
    by: str | Sequence[str] = ("regulator", "year"),
    currency: str | None = None,
    *,
    query: Query | None = None,
    rates: RatesArg = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Totals of the counted fines in the query's currency, grouped by ``by``, sorted by the keys
    (ignoring case).

    ``data`` is a :class:`~finestats.collection.Collection` (``finestats.load()``) or a records
    frame; ``query`` (a :class:`finestats.Query`) or keyword settings say what counts and how it
    is converted; ``currency`` is a shortcut for the query's currency; ``rates`` the rate table.
    Columns: the group keys, ``n_fines``, ``total_<cur>``, (with ``real``)
    ``total_<cur>_real_<year>``, ``median_<cur>``, ``max_<cur>``. A group key that is empty for
    some records (e.g. ``matter``) shows them as ``(none)``. A selection without fines gives a
    table without rows. The result carries its :class:`~finestats.query.ResultMeta`.
    """
    keys = group_keys(by)
    q = as_query(query, currency=currency, **settings)
    c = resolve(data, events=events, coverage=coverage, prices=prices)
    table_rates = load_rates(rates)
    rows = select(c, q, rates=table_rates)
    conv = convert(rows, query=q, rates=table_rates, prices=c.prices_for(q.real))
    cur = q.currency.lower()
    col = f"amount_{cur}"
    groups = _group_frame(conv, keys).groupby(list(keys), sort=False)
    out = groups[col].agg(["size", "sum", "median", "max"]).reset_index()
    out.columns = [*keys, "n_fines", f"total_{cur}", f"median_{cur}", f"max_{cur}"]
    out["n_fines"] = out["n_fines"].astype("int64")
    if q.real is not None:
        real = f"{col}_real_{q.real}"
        sums = groups[real].sum().reset_index(drop=True)
        out.insert(len(keys) + 2, f"total_{cur}_real_{q.real}", sums.to_numpy(dtype="float64"))
    out = out.sort_values(list(keys), kind="stable", key=_sort_key).reset_index(drop=True)
    meta = result_meta(c, q, table_rates, f"totals by {', '.join(keys)}", len(rows), keys)
    outside = 0 if q.complete_only else outside_scope(c, rows, table_rates)  # kept: inside
    return attach(out, meta.replace(n_outside_scope=outside))


def group_keys(by: str | Sequence[str]) -> tuple[str, ...]:
    keys = parse_names("by", by)
    bad = [k for k in keys if k not in GROUP_KEYS]
    if bad or not keys:
        raise UsageError(
            f"cannot group by {', '.join(bad) or 'nothing'}: "
            f"expected some of {', '.join(GROUP_KEYS)}"
        )
    return keys


def _group_frame(conv: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    labels = {k: conv[k].astype(str).where(conv[k].notna(), NO_VALUE) for k in keys if k != "year"}
    return conv.assign(**labels)


def _sort_key(s: pd.Series) -> pd.Series:
    return s.str.casefold() if s.dtype == object or pd.api.types.is_string_dtype(s) else s


def result_meta(
    data: Data, q: Query, rates: Any, what: str, n_records: int, by: Sequence[str] = ()
) -> ResultMeta:
    """The :class:`ResultMeta` of a result computed from ``data`` with ``q`` and ``rates``."""
    c = resolve(data)  # a Collection as it is
    src = c.source or source_of(c.fines)
    extra: dict[str, Any] = {}
    if q.real is not None and c.prices is not None:
        extra = {
            "price_index": prices_mod.describe(q.currency, c.prices),
            "real_base_year": q.real,
        }
    if q.year_of == "announced_date":
        extra["year_note"] = (
            f"year of announcement; {announcement_unknown(c.fines)} records without a known "
            "announcement date count in their decision year"
        )
    return ResultMeta(
        query=q,
        what=what,
        by=tuple(by),
        rate_source=rates.source,
        rate_snapshot=snapshot_label(rates),
        rate_sha256=rates.sha256 if isinstance(rates, RateTable) else "",
        data_path=str(src.path) if src else None,
        data_sha256=src.sha256 if src else None,
        n_records=int(n_records),
        scope=scope_text(c.coverage) if not c.undetermined else "scope not told: " + c.undetermined,
        extra=extra,
    )


def pivot(
    data: Data,
    currency: str | None = None,
    *,
    rows: str = "regulator",
    columns: str = "year",
    query: Query | None = None,
    rates: RatesArg = None,
    **settings: Any,
) -> pd.DataFrame:
    """A wide ``rows`` x ``columns`` table of totals (default regulator x year) in the query's
    currency, with a ``Total`` column and a ``Total`` row; cells with no fine are 0. Rows and
    columns are sorted like :func:`totals` (ignoring case). With ``real``, the cells are the
    totals in that year's prices."""
    if "by" in settings:
        raise UsageError("pivot takes rows= and columns=, not by= (use totals for by=)")
    tidy = totals(data, (rows, columns), currency, query=query, rates=rates, **settings)
    meta: ResultMeta = tidy.attrs[META_KEY]  # totals always attaches its ResultMeta
    real = meta.query.real
    cur = meta.query.currency.lower()
    value = f"total_{cur}_real_{real}" if real is not None else f"total_{cur}"
    wide = tidy.pivot(index=rows, columns=columns, values=value).fillna(0.0)
    wide = wide.sort_index(key=_sort_key).sort_index(axis=1, key=_sort_key)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    wide["Total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    wide.attrs = dict(tidy.attrs)
    wide.attrs[META_KEY] = meta.with_extra(cells="money")  # every cell is money
    return wide


def headline(table: pd.DataFrame) -> dict[str, float | int]:
    """Total, count and largest fine of a :func:`totals` table, in its currency (``max`` NaN for
    a table without rows)."""
    cur = next(c.removeprefix("total_") for c in table.columns if c.startswith("total_"))
    cur = cur.split("_real_")[0]
    return {
        "n_fines": int(table["n_fines"].sum()),
        "total": float(table[f"total_{cur}"].sum()),
        "max": float(table[f"max_{cur}"].max()),  # NaN: the max of no rows
    }
