"""The tables the notebooks show: largest fines, what a currency did to a regulator's totals,
totals under three rate conventions, the conversion audit, every decision of a matter, and the
headline figures.

Each function takes the records, a :class:`~finestats.query.Query` and optionally a rate table,
and returns a frame that carries its :class:`~finestats.query.ResultMeta`; no notebook logic
lives in the notebooks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finestats import events as events_mod
from finestats.conversion import convert
from finestats.errors import RatesError, UsageError
from finestats.formatting import convention, view_text
from finestats.query import YEAR_AVERAGE, Query, ResultMeta, attach, meta_of
from finestats.snapshots import RatesArg, load_rates
from finestats.summary import headline, result_meta, select, totals

DEFAULT_FIXED_DATE = "2024-12-31"


def counted_converted(df: pd.DataFrame, query: Query, rates: RatesArg = None) -> pd.DataFrame:
    """The counted fines (after the query's filters) converted to its currency."""
    table = load_rates(rates)
    rows = select(df, query)
    conv = convert(rows, query.currency, on=query.on, at=query.at, rates=table)
    return attach(conv, result_meta(df, query, table, "counted fines, converted", len(rows)))


def _text_columns(out: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    for c in cols:
        if c in out.columns:
            out[c] = out[c].astype(str)
    return out


def largest_fines(
    df: pd.DataFrame, query: Query, n: int = 10, rates: RatesArg = None
) -> pd.DataFrame:
    """The ``n`` largest counted fines in the query's currency, with the amount as decided and
    the rate used; ties in order of fine_id."""
    conv = counted_converted(df, query, rates)
    cur = query.currency.lower()
    cols = [
        "fine_id",
        "regulator",
        "defendant",
        "decision_date",
        "status",
        "amount",
        "currency",
        f"amount_{cur}",
        "fx_rate",
        "fx_date",
    ]
    out = conv.sort_values([f"amount_{cur}", "fine_id"], ascending=[False, True])
    out = _text_columns(
        out[cols].head(n).reset_index(drop=True), ("regulator", "currency", "status")
    )
    return attach(out, meta_of(conv).replace(what=f"the {n} largest counted fines"))


def own_currency(df: pd.DataFrame, regulator: str) -> str:
    """The currency a regulator decides in (the most frequent among its records; ties by code)."""
    counts = df.loc[df["regulator"].astype(str) == regulator, "currency"].astype(str).value_counts()
    if counts.empty:
        raise UsageError(f"no records of regulator {regulator!r}")
    return str(sorted(counts.index, key=lambda c: (-counts[c], c))[0])


def currency_effect(
    df: pd.DataFrame, query: Query, regulator: str, rates: RatesArg = None
) -> pd.DataFrame:
    """Per year: a regulator's totals in its own currency and in the query's currency, and the
    implied average rate (target units per unit of its own currency).

    Columns ``year``, ``n_fines``, ``total_<own>``, ``total_<cur>`` (one column when they are the
    same currency), ``implied_rate``.
    """
    own = own_currency(df, regulator)
    q = query.replace(regulators=(regulator,))
    own_t = totals(df, "year", query=q.replace(currency=own), rates=rates)
    oc, tc = f"total_{own.lower()}", f"total_{q.currency.lower()}"
    out = own_t[["year", "n_fines", oc]]
    if tc != oc:
        target = totals(df, "year", query=q, rates=rates)
        out = out.merge(target[["year", tc]])  # the same years: one selection
    out["implied_rate"] = out[tc] / out[oc]
    out = out.sort_values("year").reset_index(drop=True)
    meta = meta_of(own_t).replace(query=q, what=f"{regulator}: totals in {own} and {q.currency}")
    return attach(out, meta.with_extra(own_currency=own, regulator=regulator))


def rate_conventions(
    df: pd.DataFrame, query: Query, fixed_date: str | None = None, rates: RatesArg = None
) -> pd.DataFrame:
    """Totals per year under three conventions, side by side: the ECB rate of each fine's date
    (the query's ``on``), every fine at ``fixed_date``'s rates, and each year's average.

    Columns ``year``, ``n_fines``, ``total_<cur>_<on>``, ``total_<cur>_at_<YYYY_MM_DD>``,
    ``total_<cur>_year_average``, and ``not_converted``: the fine_ids without a rate under a
    convention (e.g. a year not yet over for the average). Such a year shows no total (NaN) for
    that convention rather than a partial one.
    """
    fixed = fixed_date or DEFAULT_FIXED_DATE
    cur = query.currency.lower()
    q = query.replace(at=None)
    base = totals(df, "year", query=q, rates=rates)
    out = base[["year", "n_fines", f"total_{cur}"]].rename(
        columns={f"total_{cur}": f"total_{cur}_{q.on}"}
    )
    missing: dict[int, set[str]] = {}
    for at, name in (
        (fixed, f"total_{cur}_at_{fixed.replace('-', '_')}"),
        (YEAR_AVERAGE, f"total_{cur}_year_average"),
    ):
        values = _per_year(df, q.replace(at=at), out["year"], rates, missing)
        out[name] = out["year"].map(values)
    out["not_converted"] = [" ".join(sorted(missing.get(int(y), set()))) for y in out["year"]]
    meta = meta_of(base).replace(what="totals per year under three rate conventions")
    return attach(out, meta.with_extra(fixed_date=fixed))


def _per_year(df: pd.DataFrame, q: Query, years: pd.Series, rates: RatesArg, missing: dict) -> dict:
    """Totals per year under ``q``'s convention; a year with an unconvertible fine is NaN and its
    fine_ids are added to ``missing`` (taken from the error's fields, never its text)."""
    cur = q.currency.lower()
    try:
        t = totals(df, "year", query=q, rates=rates)
        return t.set_index("year")[f"total_{cur}"].to_dict()
    except RatesError as exc:
        failing = set(exc.fine_ids)
    rows = select(df, q)
    bad_years = set(rows.loc[rows["fine_id"].isin(failing), "year"])
    values = {}
    for year in years:
        if year in bad_years:
            values[year] = np.nan
            missing.setdefault(year, set()).update(
                rows.loc[(rows["year"] == year) & rows["fine_id"].isin(failing), "fine_id"]
            )
        else:
            t = totals(df, "year", query=q.replace(years=(year, year)), rates=rates)
            values[year] = t[f"total_{cur}"].item()  # one row: the year
    return values


def rate_conventions_wide(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_conventions` as a year-indexed table with one column per convention, named in
    words (for :func:`finestats.plots.compare_by_year`)."""
    labels = {}
    for col in table.columns:
        name = str(col)
        if not name.startswith("total_"):
            continue
        rest = name.split("_", 2)[2]
        if rest == "year_average":
            labels[name] = "ECB annual average of the year"
        elif rest.startswith("at_"):
            labels[name] = "ECB rate of " + rest[3:].replace("_", "-")
        else:
            labels[name] = "ECB rate of " + rest.replace(
                "announced_date", "announcement date"
            ).replace("decision_date", "decision date")
    return table.set_index("year")[list(labels)].rename(columns=labels)


def conversion_audit(df: pd.DataFrame, query: Query, rates: RatesArg = None) -> pd.DataFrame:
    """Each counted fine with its conversion: amount as decided, amount in the query's currency,
    the rate (target per source unit), the fixing date and the rate source."""
    conv = counted_converted(df, query, rates)
    cur = query.currency.lower()
    cols = [
        "fine_id",
        "regulator",
        "defendant",
        query.on,
        "status",
        "amount",
        "currency",
        f"amount_{cur}",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    out = _text_columns(
        conv[cols].reset_index(drop=True), ("regulator", "currency", "status", "fx_source")
    )
    return attach(out, meta_of(conv).replace(what="conversion of each counted fine"))


def matter_decisions(df: pd.DataFrame, query: Query, rates: RatesArg = None) -> pd.DataFrame:
    """Every record of the query's ``matter`` (or, without one, of its ``defendant``), whatever
    its status, within the year and regulator filters, converted; sorted by decision date.
    Nothing is totalled: a notice and the fine that replaced it both appear."""
    mask = _matter_mask(df, query).copy()  # writable
    if query.years:
        mask &= df["year"].between(*query.years).to_numpy()
    if query.regulators:
        wanted = [r.casefold() for r in query.regulators]
        mask &= df["regulator"].astype(str).str.casefold().isin(wanted).to_numpy()
    table = load_rates(rates)
    rows = df[mask]
    conv = convert(rows, query.currency, on=query.on, at=query.at, rates=table)
    cur = query.currency.lower()
    cols = [
        "fine_id",
        "regulator",
        "defendant",
        "decision_date",
        "announced_date",
        "status",
        "supersedes",
        "amount",
        "currency",
        f"amount_{cur}",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    out = conv[cols].sort_values(["decision_date", "fine_id"]).reset_index(drop=True)
    out = _text_columns(out, ("regulator", "currency", "status", "fx_source"))
    what = (
        f"every record of matter {query.matter}"
        if query.matter
        else f"every record of {query.defendant}"
    )
    meta = result_meta(df, query, table, what, len(rows)).with_extra(
        view_text="every decision (provisional notices, penalties and court outcomes shown as they "
        "are; nothing totalled)"
    )
    return attach(out, meta)


def _matter_mask(df: pd.DataFrame, query: Query) -> np.ndarray:
    if query.matter:
        known = sorted(df["matter"].dropna().astype(str).unique())
        if query.matter not in known:
            raise UsageError(
                f"unknown matter {query.matter!r}: known matters are " + ", ".join(known)
            )
        return (df["matter"] == query.matter).fillna(False).to_numpy(bool)
    if query.defendant:
        found = df["defendant"].str.contains(query.defendant, case=False, regex=False).fillna(False)
        if not found.any():
            raise UsageError(f"no defendant matches {query.defendant!r}")
        return found.to_numpy(bool)
    raise UsageError("a matter or a defendant is needed to list its decisions")


def matter_events(df: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The court events (events.csv) on the records in ``decisions``, in date order, with the
    regulator and defendant of the record each concerns."""
    ev = events_mod.events_for(df)
    cols = ["date", "fine_id", "regulator", "defendant", "court", "outcome", "source_url"]
    if ev is None or ev.empty:
        return pd.DataFrame(columns=cols)
    ev = ev[ev["fine_id"].isin(decisions["fine_id"])]
    who = decisions.set_index("fine_id")[["regulator", "defendant"]]
    out = ev.join(who, on="fine_id")[cols]
    return out.sort_values(["date", "fine_id"]).reset_index(drop=True)


def timeline_table(decisions: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Decisions and court events in one table, in date order: ``date``, ``what`` (the status, or
    the court's outcome), ``regulator``, ``defendant``, ``amount``/``currency`` as decided, the
    converted amount, ``court`` and ``fine_id``."""
    meta = meta_of(decisions)
    cur = next(c for c in decisions.columns if str(c).startswith("amount_"))
    d = pd.DataFrame(
        {
            "date": decisions["decision_date"],
            "what": decisions["status"].astype(str),
            "regulator": decisions["regulator"],
            "defendant": decisions["defendant"],
            "amount": decisions["amount"],
            "currency": decisions["currency"],
            cur: decisions[cur],
            "court": "",
            "fine_id": decisions["fine_id"],
        }
    )
    parts = [d]
    if len(events):
        parts.append(
            pd.DataFrame(
                {
                    "date": events["date"],
                    "what": "court: " + events["outcome"].str.replace("-", " "),
                    "regulator": events["regulator"],
                    "defendant": events["defendant"],
                    "amount": np.nan,
                    "currency": "",
                    cur: np.nan,
                    "court": events["court"],
                    "fine_id": events["fine_id"],
                }
            )
        )
    out = pd.concat(parts).sort_values(["date", "fine_id"]).reset_index(drop=True)
    return (
        attach(out, meta.replace(what="decisions and court events in date order")) if meta else out
    )


def nominal_and_real(by_year: pd.DataFrame) -> pd.DataFrame:
    """A year-indexed table of a totals-by-year frame's nominal and constant-price totals (for
    :func:`finestats.plots.compare_by_year`); needs a query with ``real``."""
    meta = meta_of(by_year)
    if meta is None or meta.query.real is None:
        raise UsageError("nominal_and_real needs totals computed with real=YEAR")
    cur, base = meta.query.currency, meta.query.real
    col = f"total_{cur.lower()}"
    return by_year.set_index("year")[[col, f"{col}_real_{base}"]].rename(
        columns={col: f"nominal ({cur} of each year)", f"{col}_real_{base}": f"in {base} prices"}
    )


def articles_cited(df: pd.DataFrame, query: Query, rates: RatesArg = None) -> pd.DataFrame:
    """The articles the counted fines cite: ``article`` (the article number, with its law prefix
    for national law, paragraphs dropped), ``n_fines`` (each fine once per article) and
    ``total_<cur>``; most cited first, ties by amount then article."""
    conv = counted_converted(df, query, rates)
    cur = query.currency.lower()
    refs = conv["articles"].fillna("").astype(str).str.split(";").explode().str.strip()
    base = refs.str.replace(r"\(.*$", "", regex=True)
    pairs = pd.DataFrame(
        {
            "fine_id": conv["fine_id"].reindex(base.index).to_numpy(),
            "article": base.to_numpy(),
            "amount": conv[f"amount_{cur}"].reindex(base.index).to_numpy(),
        }
    )
    pairs = pairs[pairs["article"] != ""].drop_duplicates()  # the amount follows the fine_id
    out = pairs.groupby("article").agg(n_fines=("fine_id", "size"), total=("amount", "sum"))
    out = out.reset_index().rename(columns={"total": f"total_{cur}"})
    out = out.sort_values(["n_fines", f"total_{cur}", "article"], ascending=[False, False, True])
    meta = meta_of(conv).replace(what="articles cited by the counted fines")
    return attach(out.reset_index(drop=True), meta)


def headline_figures(
    df: pd.DataFrame, query: Query, table: pd.DataFrame, rates: RatesArg = None
) -> dict[str, Any]:
    """Total, count and largest fine of a totals table, with the largest fine's identity, the
    conventions and the scope, for ``headline.json`` and the report index."""
    head: dict[str, Any] = dict(headline(table))
    conv = counted_converted(df, query, rates)
    meta: ResultMeta = meta_of(table) or meta_of(conv)
    largest = None
    if len(conv):
        col = f"amount_{query.currency.lower()}"
        top = conv.loc[conv[col].idxmax()]
        largest = {
            "fine_id": str(top["fine_id"]),
            "defendant": str(top["defendant"]),
            "regulator": str(top["regulator"]),
            "decision_date": f"{top['decision_date']:%Y-%m-%d}",
            "amount": float(top["amount"]),
            "currency": str(top["currency"]),
        }
    head.update(
        currency=query.currency,
        convention=convention(meta),
        view=view_text(meta),
        rate_snapshot=meta.rate_snapshot,
        years=list(query.years) if query.years else None,
        regulators=list(query.regulators),
        largest=largest,
        scope=meta.scope,
    )
    if head["n_fines"] == 0:
        head["max"] = None
    return head


__all__ = [
    "conversion_audit",
    "counted_converted",
    "currency_effect",
    "headline_figures",
    "largest_fines",
    "matter_decisions",
    "matter_events",
    "own_currency",
    "rate_conventions",
    "rate_conventions_wide",
    "timeline_table",
    "nominal_and_real",
    "articles_cited",
]
