"""Careful counting: which records count, then totals by regulator, year, country...

Two views of the same records:

``imposed`` (default)
    What regulators decided: ``final`` and ``penalty`` records. ``provisional`` notices count only
    when asked, and never beside the final fine that supersedes them. Court outcomes
    (``reduced``/``annulled``) are not added on top.
``effective``
    After appeals: each decision is followed along its ``supersedes`` chain to the latest court
    outcome. A ``reduced`` record's amount counts instead of the original; an ``annulled`` decision
    drops out (it counts zero and is not a fine). The decision keeps its own regulator, dates and
    year, so the amount is converted at the original decision's rate.

Amounts are converted with :func:`finestats.rates.convert` before summing; totals are in the
target currency, named ``total_<cur>`` (lower case).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from finestats.errors import UsageError
from finestats.rates import RateTable, convert, load_rates, snapshot_label

GROUP_KEYS: tuple[str, ...] = ("regulator", "country", "year", "defendant", "currency", "status")
VIEWS: tuple[str, ...] = ("imposed", "effective")

View = Literal["imposed", "effective"]


@dataclass(frozen=True)
class Selection:
    """What was counted and how: carried into exports so every figure can be traced."""

    currency: str
    by: tuple[str, ...]
    view: str
    include_provisional: bool
    include_penalties: bool
    on: str
    at: str | None
    years: tuple[int, int] | None
    regulators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    defendant: str | None = None
    rate_source: str = ""
    rate_snapshot: str = ""
    n_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["years"] = list(self.years) if self.years else None
        d["by"] = list(self.by)
        d["regulators"] = list(self.regulators)
        d["countries"] = list(self.countries)
        return d


def counted(
    df: pd.DataFrame,
    *,
    view: View = "imposed",
    include_provisional: bool = False,
    include_penalties: bool = True,
) -> pd.DataFrame:
    """The records that count in ``view``, one row per decision, in file order.

    In the effective view ``amount``, ``currency`` and ``status`` come from the latest court
    outcome of each decision (``status`` is then ``reduced`` where a court reduced it) and
    annulled decisions are left out. Everything else comes from the decision itself.
    """
    if view not in VIEWS:
        raise UsageError(f"unknown view {view!r}: expected one of {', '.join(VIEWS)}")
    status = df["status"].astype(str)
    ids = df["fine_id"].astype(str)
    sup = df["supersedes"].astype("string")
    superseded_by = pd.Series(ids.to_numpy(), index=sup.to_numpy())
    superseded_by = superseded_by[superseded_by.index.notna()]
    is_superseded = ids.isin(superseded_by.index)

    keep = status.eq("final") | (status.eq("penalty") & include_penalties)
    if include_provisional:
        keep |= status.eq("provisional") & ~is_superseded
    out = df[keep.to_numpy()].copy()
    if view == "imposed":
        return out

    # Follow each decision to its latest court outcome (chains are short; each step is vectorised).
    latest = out["fine_id"].astype(str)
    for _ in range(len(df)):
        nxt = latest.map(superseded_by)
        if nxt.isna().all():
            break
        latest = nxt.fillna(latest)
    by_id = df.set_index(df["fine_id"].astype(str))
    for col in ("amount", "currency", "status"):
        values = by_id[col].reindex(latest.to_numpy()).to_numpy()
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            values = pd.Categorical(values, categories=df[col].cat.categories)
        out[col] = values
    return out[out["status"].astype(str) != "annulled"]


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def parse_years(years: str | int | Sequence[int] | None) -> tuple[int, int] | None:
    """``"2020-2024"``, ``2021``, ``(2020, 2024)`` or None -> inclusive (start, end) or None."""
    if years is None or years == "":
        return None
    if isinstance(years, int):
        return (years, years)
    if isinstance(years, str):
        parts = years.split("-")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise UsageError(
                f"bad year range {years!r}: expected YYYY or YYYY-YYYY, e.g. 2020-2024"
            ) from None
        if len(nums) not in (1, 2):
            raise UsageError(f"bad year range {years!r}: expected YYYY or YYYY-YYYY")
        start, end = nums[0], nums[-1]
    else:
        start, end = (int(v) for v in years)
    if start > end:
        raise UsageError(f"bad year range: start year {start} is after end year {end}")
    return (start, end)


def select(
    df: pd.DataFrame,
    *,
    view: View = "imposed",
    include_provisional: bool = False,
    include_penalties: bool = True,
    years: str | int | Sequence[int] | None = None,
    regulators: str | Iterable[str] | None = None,
    countries: str | Iterable[str] | None = None,
    defendant: str | None = None,
) -> pd.DataFrame:
    """:func:`counted` records, filtered. Unknown regulators or countries raise UsageError
    listing the known ones; ``defendant`` matches case-insensitively as a substring."""
    rows = counted(
        df, view=view, include_provisional=include_provisional, include_penalties=include_penalties
    )
    span = parse_years(years)
    if span is not None:
        rows = rows[rows["year"].between(span[0], span[1])]
    regs = _as_tuple(regulators)
    if regs:
        known = {r.casefold(): r for r in df["regulator"].astype(str).unique()}
        unknown = [r for r in regs if r.casefold() not in known]
        if unknown:
            raise UsageError(
                f"unknown regulator {', '.join(unknown)}: known regulators are "
                + ", ".join(sorted(known.values(), key=str.casefold))
            )
        rows = rows[rows["regulator"].astype(str).isin([known[r.casefold()] for r in regs])]
    ctys = tuple(c.upper() for c in _as_tuple(countries))
    if ctys:
        known_c = set(df["country"].astype(str))
        unknown = [c for c in ctys if c not in known_c]
        if unknown:
            raise UsageError(
                f"unknown country {', '.join(unknown)}: known countries are "
                + ", ".join(sorted(known_c))
            )
        rows = rows[rows["country"].astype(str).isin(ctys)]
    if defendant:
        match = rows["defendant"].str.contains(defendant, case=False, regex=False)
        if not df["defendant"].str.contains(defendant, case=False, regex=False).any():
            raise UsageError(f"no defendant matches {defendant!r}")
        rows = rows[match.fillna(False).to_numpy()]
    return rows


def totals(
    df: pd.DataFrame,
    by: str | Sequence[str] = ("regulator", "year"),
    currency: str = "EUR",
    *,
    view: View = "imposed",
    include_provisional: bool = False,
    include_penalties: bool = True,
    years: str | int | Sequence[int] | None = None,
    regulators: str | Iterable[str] | None = None,
    countries: str | Iterable[str] | None = None,
    defendant: str | None = None,
    on: str = "decision_date",
    at: str | None = None,
    rates: str | os.PathLike[str] | RateTable | None = None,
) -> pd.DataFrame:
    """Totals of the counted fines in ``currency``, grouped by ``by``, sorted by the keys.

    Columns: the group keys, ``n_fines``, ``total_<cur>``, ``median_<cur>``, ``max_<cur>``.
    Conversion follows :func:`finestats.rates.convert` (ECB rate of the ``on`` date, or the rates
    of ``at``). ``table.attrs["finestats"]`` holds the :class:`Selection` for exports.
    """
    keys = _as_tuple(by)
    bad = [k for k in keys if k not in GROUP_KEYS]
    if bad or not keys:
        raise UsageError(
            f"cannot group by {', '.join(bad) or 'nothing'}: "
            f"expected some of {', '.join(GROUP_KEYS)}"
        )
    table_rates = load_rates(rates)
    rows = select(
        df,
        view=view,
        include_provisional=include_provisional,
        include_penalties=include_penalties,
        years=years,
        regulators=regulators,
        countries=countries,
        defendant=defendant,
    )
    cur = currency.upper()
    col = f"amount_{cur.lower()}"
    conv = convert(rows, cur, on=on, at=at, rates=table_rates)
    grouped = conv.groupby(list(keys), observed=True, sort=True)[col]
    out = grouped.agg(["size", "sum", "median", "max"]).reset_index()
    out.columns = [
        *keys,
        "n_fines",
        f"total_{cur.lower()}",
        f"median_{cur.lower()}",
        f"max_{cur.lower()}",
    ]
    out["n_fines"] = out["n_fines"].astype("int64")
    for k in keys:
        if isinstance(out[k].dtype, pd.CategoricalDtype):
            out[k] = out[k].astype(str)
    out = out.sort_values(list(keys), kind="stable", key=_sort_key).reset_index(drop=True)
    out.attrs["finestats"] = Selection(
        currency=cur,
        by=keys,
        view=view,
        include_provisional=include_provisional,
        include_penalties=include_penalties,
        on=on,
        at=None if at is None else str(at),
        years=parse_years(years),
        regulators=_as_tuple(regulators),
        countries=_as_tuple(countries),
        defendant=defendant,
        rate_source=table_rates.source,
        rate_snapshot=snapshot_label(table_rates),
        n_records=int(len(rows)),
    ).as_dict()
    if "source_path" in df.attrs:
        out.attrs["finestats"]["data_path"] = df.attrs["source_path"]
    return out


def _sort_key(s: pd.Series) -> pd.Series:
    return s.str.casefold() if s.dtype == object or pd.api.types.is_string_dtype(s) else s


def pivot(
    df: pd.DataFrame,
    currency: str = "EUR",
    *,
    rows: str = "regulator",
    columns: str = "year",
    **kwargs: Any,
) -> pd.DataFrame:
    """A wide ``rows`` x ``columns`` table of totals (default regulator x year) in ``currency``,
    with a ``Total`` column and a ``Total`` row; cells with no fine are 0. Takes the arguments
    of :func:`totals` (except ``by``)."""
    kwargs.pop("by", None)
    tidy = totals(df, (rows, columns), currency, **kwargs)
    value = f"total_{currency.lower()}"
    wide = tidy.pivot_table(
        index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0.0, sort=True
    )
    wide = wide.astype("float64")
    wide.columns = [str(c) for c in wide.columns]
    wide["Total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    wide.index.name = rows
    wide.columns.name = None
    wide.attrs = dict(tidy.attrs)
    return wide


def headline(table: pd.DataFrame) -> dict[str, float | int]:
    """Total, count and largest fine of a :func:`totals` table, in its currency."""
    cur = next(c.removeprefix("total_") for c in table.columns if c.startswith("total_"))
    return {
        "n_fines": int(table["n_fines"].sum()),
        "total": float(table[f"total_{cur}"].sum()),
        "max": float(table[f"max_{cur}"].max()) if len(table) else float("nan"),
    }


def collection_markdown(df: pd.DataFrame) -> str:
    """Markdown tables describing the collection: records per regulator, currency and decision
    year (all statuses), then records per status. Generated into data/README.md by ``make data``."""
    regs = df.assign(
        regulator=df["regulator"].astype(str),
        currency=df["currency"].astype(str),
    )
    grid = regs.pivot_table(
        index=["regulator", "currency"],
        columns="year",
        values="fine_id",
        aggfunc="size",
        fill_value=0,
    )
    grid = grid.sort_index(key=lambda s: s.str.casefold())
    years = [str(y) for y in grid.columns]
    head = ["regulator", "currency", *years, "total"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (reg, cur), counts in grid.iterrows():
        cells = [str(int(c)) if c else "" for c in counts]
        lines.append("| " + " | ".join([reg, cur, *cells, str(int(counts.sum()))]) + " |")
    col_totals = [str(int(c)) for c in grid.sum(axis=0)]
    lines.append("| **all** | | " + " | ".join([*col_totals, f"**{len(df)}**"]) + " |")
    status = df["status"].astype(str).value_counts().reindex(list(_STATUS_ORDER), fill_value=0)
    lines += ["", "| status | records |", "|---|---|"]
    lines += [f"| {s} | {int(n)} |" for s, n in status.items()]
    n_reg, n_cur = df["regulator"].nunique(), df["currency"].nunique()
    lines += ["", f"{len(df)} records, {n_reg} regulators, {n_cur} currencies."]
    return "\n".join(lines) + "\n"


_STATUS_ORDER = ("final", "provisional", "penalty", "reduced", "annulled")
README_BEGIN = "<!-- counts:begin (generated by `make data`; do not edit) -->"
README_END = "<!-- counts:end -->"


def update_readme(text: str, df: pd.DataFrame) -> str:
    """``text`` with the block between the counts markers replaced by the current counts."""
    start, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    return text[:start] + "\n" + collection_markdown(df) + text[end:]
