"""Careful counting: which records count, then totals by regulator, year, matter, sector...

Two views of the same records:

``imposed`` (default)
    What regulators decided: ``final`` and ``penalty`` records. ``provisional`` notices count only
    when asked, and never beside the final fine that supersedes them. Court outcomes
    (``reduced``/``annulled``) are not added on top.
``effective``
    After appeals: each decision is followed along its ``supersedes`` chain to the latest court
    outcome. A ``reduced`` record's amount counts instead of the original; an ``annulled``
    decision drops out; a decision whose last court event (``events.csv``) set it aside counts
    zero until an event reinstates it. The decision keeps its own regulator, dates and year, so
    the amount is converted at the original decision's rate. With ``as_of`` only the records
    and events dated on or before that day count: what stood then.

Amounts are converted with :func:`finestats.conversion.convert` before summing; totals are in
the target currency, named ``total_<cur>`` (lower case).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from finestats import coverage as coverage_mod
from finestats import events as events_mod
from finestats import prices
from finestats.conversion import convert
from finestats.errors import UsageError
from finestats.parsing import parse_names
from finestats.query import Query, ResultMeta, as_query, attach
from finestats.rates import RateTable
from finestats.records import SECTORS, source_of
from finestats.snapshots import RatesArg, load_rates, snapshot_label

GROUP_KEYS: tuple[str, ...] = (
    "regulator",
    "country",
    "year",
    "defendant",
    "matter",
    "sector",
    "currency",
    "status",
)
#: The label of a group whose key is empty (e.g. records without a matter): never dropped.
NO_VALUE = "(none)"


def counted(
    df: pd.DataFrame,
    query: Query | None = None,
    *,
    events: pd.DataFrame | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """The records that count in the query's view, one row per decision, in file order.

    In the effective view ``amount``, ``currency`` and ``status`` come from the latest court
    outcome of each decision (``status`` is then ``reduced`` where a court reduced it); annulled
    decisions and decisions standing set aside are left out. Everything else comes from the
    decision itself. ``events`` defaults to the events file beside the records' file.
    """
    q = as_query(query, **settings)
    rows = df
    if q.as_of is not None:
        rows = df[(df["decision_date"] <= pd.Timestamp(q.as_of)).to_numpy()]
    status = rows["status"].astype(str)
    ids = rows["fine_id"].astype(str)
    superseded_by = _successors(rows)
    keep = status.eq("final") | (status.eq("penalty") & q.include_penalties)
    if q.include_provisional:
        keep |= status.eq("provisional") & ~ids.isin(superseded_by.index)
    out = rows[keep.to_numpy()].copy()
    if q.view == "imposed":
        return out
    return _effective(
        rows, out, superseded_by, q, events if events is not None else events_mod.events_for(df)
    )


def _successors(rows: pd.DataFrame) -> pd.Series:
    """fine_id -> the fine_id of the record that supersedes it."""
    sup = rows["supersedes"]
    has = sup.notna().to_numpy()
    return pd.Series(
        rows["fine_id"].astype(str).to_numpy()[has], index=sup.astype(str).to_numpy()[has]
    )


def _effective(
    rows: pd.DataFrame,
    out: pd.DataFrame,
    superseded_by: pd.Series,
    q: Query,
    events: pd.DataFrame | None,
) -> pd.DataFrame:
    decision = out["fine_id"].astype(str)
    latest = decision.copy()
    roots = pd.Series(decision.to_numpy(), index=decision.to_numpy())
    for _ in range(len(rows)):  # chains are short; each step is vectorised
        nxt = latest.map(superseded_by)
        if nxt.isna().all():
            break
        step = nxt.dropna()
        roots = pd.concat(
            [roots, pd.Series(decision[step.index].to_numpy(), index=step.to_numpy())]
        )
        latest = nxt.fillna(latest)
    by_id = rows.set_index(rows["fine_id"].astype(str))
    for col in ("amount", "currency", "status"):
        values = by_id[col].reindex(latest.to_numpy()).to_numpy()
        if isinstance(rows[col].dtype, pd.CategoricalDtype):
            values = pd.Categorical(values, categories=rows[col].cat.categories)
        out[col] = values
    keep = (out["status"].astype(str) != "annulled").to_numpy()
    if events is not None and len(events):
        if q.as_of is not None:
            events = events[(events["date"] <= pd.Timestamp(q.as_of)).to_numpy()]
        latest_date = pd.Series(
            by_id["decision_date"].reindex(latest.to_numpy()).to_numpy(), index=out.index
        )
        keep = keep & ~events_mod.standing_dropped(out, roots, latest_date, events)
    return out[keep]


def select(df: pd.DataFrame, query: Query | None = None, **settings: Any) -> pd.DataFrame:
    """:func:`counted` records, filtered by the query. Unknown regulators, countries, matters or
    sectors raise UsageError listing the known ones; ``defendant`` matches case-insensitively as
    a substring; ``article`` keeps fines citing that article (any of its paragraphs)."""
    q = as_query(query, **settings)
    rows = counted(df, q)
    mask = np.ones(len(rows), dtype=bool)
    if q.years is not None:
        mask &= rows["year"].between(*q.years).to_numpy()
    mask &= _known_filter(df, rows, "regulator", q.regulators, casefold=True)
    mask &= _known_filter(df, rows, "country", q.countries)
    if q.matter:
        mask &= _known_filter(df, rows, "matter", (q.matter,))
    if q.sectors:
        unknown = [s for s in q.sectors if s not in SECTORS]
        if unknown:
            raise UsageError(
                f"unknown sector {', '.join(unknown)}: sectors are " + ", ".join(SECTORS)
            )
        mask &= rows["sector"].astype(str).isin(q.sectors).to_numpy()
    if q.defendant:
        if not _names_containing(df["defendant"], q.defendant).any():
            raise UsageError(f"no defendant matches {q.defendant!r}")
        mask &= _names_containing(rows["defendant"], q.defendant)
    if q.article:
        mask &= cites_article(rows["articles"], q.article)
    if q.complete_only:
        mask &= complete_mask(df, rows)
    return rows[mask]


def _names_containing(names: pd.Series, text: str) -> np.ndarray:
    """Mask of the names that contain ``text`` ignoring case, as plain text (not a pattern)."""
    return names.str.casefold().str.find(text.casefold()).ge(0).to_numpy()


def _known_filter(
    df: pd.DataFrame, rows: pd.DataFrame, col: str, wanted: Sequence[str], casefold: bool = False
) -> np.ndarray:
    if not wanted:
        return np.ones(len(rows), dtype=bool)
    values = df[col].dropna().astype(str).unique()
    fold = (lambda s: s.casefold()) if casefold else (lambda s: s)
    known = {fold(v): v for v in values}
    unknown = [w for w in wanted if fold(w) not in known]
    if unknown:
        plural = {"country": "countries"}.get(col, col + "s")
        raise UsageError(
            f"unknown {col} {', '.join(unknown)}: known {plural} are "
            + ", ".join(sorted(known.values(), key=str.casefold))
        )
    return rows[col].astype(str).isin([known[fold(w)] for w in wanted]).to_numpy()


def cites_article(articles: pd.Series, article: str) -> np.ndarray:
    """Mask of the records whose ``articles`` list cites ``article``: ``"6"`` matches ``6``,
    ``6(1)`` and ``6(1)(a)`` (each fine once), not ``16``; ``"5(1)(f)"`` matches that paragraph;
    a law prefix (``"LIL:82"``) must match too."""
    art = article.strip()
    refs = articles.dropna().astype(str).str.split(";").explode()
    hit = (refs == art) | refs.str.startswith(art + "(")
    return hit.groupby(level=0).any().reindex(articles.index, fill_value=False).to_numpy()


def complete_mask(df: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Mask of ``rows`` inside the declared scope (coverage.csv beside the records' file), judged
    on each decision's own amount at its decision date."""
    cov = coverage_mod.coverage_for(df)
    if cov is None:
        raise UsageError("complete_only needs a coverage.csv beside the fines file; there is none")
    decisions = df[df["fine_id"].isin(rows["fine_id"]).to_numpy()]
    eur = convert(decisions)["amount_eur"].to_numpy()
    inside = pd.Series(
        coverage_mod.in_scope(decisions, cov, eur), index=decisions["fine_id"].to_numpy()
    )
    return rows["fine_id"].map(inside).eq(True).to_numpy()


def totals(
    df: pd.DataFrame,
    by: str | Sequence[str] = ("regulator", "year"),
    currency: str | None = None,
    *,
    query: Query | None = None,
    rates: RatesArg = None,
    **settings: Any,
) -> pd.DataFrame:
    """Totals of the counted fines in the query's currency, grouped by ``by``, sorted by the keys.

    ``query`` (a :class:`finestats.Query`) or keyword settings say what counts and how it is
    converted; ``currency`` is a shortcut for the query's currency. Columns: the group keys,
    ``n_fines``, ``total_<cur>``, ``median_<cur>``, ``max_<cur>``. A group key that is empty for
    some records (e.g. ``matter``) shows them as ``(none)``. The result carries its
    :class:`~finestats.query.ResultMeta` (:func:`finestats.query.meta_of`).
    """
    keys = group_keys(by)
    q = as_query(query, currency=currency, **settings)
    table_rates = load_rates(rates)
    rows = select(df, q)
    conv = convert(rows, q.currency, on=q.on, at=q.at, rates=table_rates, real=q.real)
    cur = q.currency.lower()
    col = f"amount_{cur}"
    groups = _group_frame(conv, keys).groupby(list(keys), sort=False)
    out = groups[col].agg(["size", "sum", "median", "max"]).reset_index()
    out.columns = [*keys, "n_fines", f"total_{cur}", f"median_{cur}", f"max_{cur}"]
    if q.real is not None:
        real = f"{col}_real_{q.real}"
        sums = groups[real].sum().reset_index(drop=True)
        out.insert(len(keys) + 2, f"total_{cur}_real_{q.real}", sums.to_numpy())
    out = out.sort_values(list(keys), kind="stable", key=_sort_key).reset_index(drop=True)
    return attach(
        out, result_meta(df, q, table_rates, f"totals by {', '.join(keys)}", len(rows), keys)
    )


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
    df: pd.DataFrame, q: Query, rates: Any, what: str, n_records: int, by: Sequence[str] = ()
) -> ResultMeta:
    """The :class:`ResultMeta` of a result computed from ``df`` with ``q`` and ``rates``."""
    src = source_of(df)
    cov = coverage_mod.coverage_for(df)
    extra = {}
    if q.real is not None:
        extra = {
            "price_index": prices.describe(q.currency, prices.load_prices()),
            "real_base_year": q.real,
        }
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
        scope=coverage_mod.scope_text(cov),
        extra=extra,
    )


def pivot(
    df: pd.DataFrame,
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
    columns are sorted like :func:`totals` (ignoring case)."""
    settings.pop("by", None)
    tidy = totals(df, (rows, columns), currency, query=query, rates=rates, **settings)
    value = next(c for c in tidy.columns if str(c).startswith("total_"))
    # Rows and columns in the order of the totals: by key, ignoring case.
    wide = tidy.pivot(index=rows, columns=columns, values=value).fillna(0.0)
    wide = wide.sort_index(key=_sort_key).sort_index(axis=1, key=_sort_key)
    wide.columns = [str(c) for c in wide.columns]
    wide["Total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    wide.attrs = dict(tidy.attrs)
    return wide


def headline(table: pd.DataFrame) -> dict[str, float | int]:
    """Total, count and largest fine of a :func:`totals` table, in its currency."""
    cur = next(c.removeprefix("total_") for c in table.columns if c.startswith("total_"))
    return {
        "n_fines": int(table["n_fines"].sum()),
        "total": float(table[f"total_{cur}"].sum()),
        "max": float(table[f"max_{cur}"].max()),  # NaN for a table without rows
    }
