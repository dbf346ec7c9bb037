"""The tables the notebooks, the CLI and the explorer show: the fines behind a total, the largest
fines, what a currency did to a regulator's totals, totals under three rate conventions, every
decision of a matter with its court events, the articles cited, notices of intent beside the
fines that replaced them, and the headline figures.

Every function takes the records (a :class:`~finestats.collection.Collection` or a records
frame), then a :class:`~finestats.query.Query` or the same keyword settings, its own arguments
and ``rates``; each returns a frame that carries its :class:`~finestats.query.ResultMeta`. No
notebook logic lives in the notebooks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finestats.collection import Data, resolve
from finestats.conversion import convert
from finestats.counting import counted, filter_mask, select, with_year
from finestats.errors import RatesError, UsageError
from finestats.formatting import convention, filters_text, view_text
from finestats.query import YEAR_AVERAGE, Query, ResultMeta, as_query, attach, meta_of
from finestats.rates import RatesArg, load_rates
from finestats.totals import NO_VALUE, headline, result_meta, totals

DEFAULT_FIXED_DATE = "2024-12-31"
TEXT_COLUMNS = ("regulator", "currency", "status", "fx_source", "sector", "country")


def counted_converted(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """The counted fines (after the query's filters) converted to its currency (with the
    constant-price columns when the query has ``real``)."""
    q = as_query(query, **settings)
    c = resolve(data)
    table = load_rates(rates)
    rows = select(c, q, rates=table)
    conv = convert(rows, query=q, rates=table, prices=c.prices_for(q.real))
    return attach(conv, result_meta(c, q, table, "counted fines, converted", len(rows)))


def _text_columns(out: pd.DataFrame) -> pd.DataFrame:
    """The text columns of ``out`` (those of :data:`TEXT_COLUMNS` it has) as plain text, a
    missing value as an empty text."""
    for c in TEXT_COLUMNS:
        if c in out.columns:
            out[c] = out[c].astype(str).where(out[c].notna(), "")
    return out


def all_converted(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """Every record, whatever its status (no counting rules), converted to the query's currency
    with the audit columns (``finestats convert``, ``make data``)."""
    q = as_query(query, **settings)
    c = resolve(data)
    table = load_rates(rates)
    fines = with_year(c.fines, q.year_of)
    out = convert(fines, query=q, rates=table, prices=c.prices_for(q.real))
    what = "all records (no counting rules applied)"
    return attach(out, result_meta(c, q, table, what, len(fines)))


def fines_behind(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """Every counted fine behind a total, largest first: who, when, the amount as decided and
    converted, the rate and its fixing date, the status that counts, the court events on it
    and the source. The rows of any :func:`finestats.totals` table with the same settings add up
    to its totals."""
    q = as_query(query, **settings)
    c = resolve(data)
    conv = counted_converted(c, q, rates)
    cur = q.currency.lower()
    real = [f"amount_{cur}_real_{q.real}"] if q.real is not None else []
    cols = [
        "fine_id",
        "regulator",
        "country",
        "defendant",
        "group",
        "year",
        "decision_date",
        "status",
        "amount",
        "currency",
        f"amount_{cur}",
        *real,
        "fx_rate",
        "fx_date",
        "source_url",
    ]
    out = conv[cols].copy()
    out.insert(len(cols) - 1, "court_events", _events_text(c.events, out["fine_id"]))
    out = out.sort_values([f"amount_{cur}", "fine_id"], ascending=[False, True])
    out = _text_columns(out.reset_index(drop=True))
    return attach(out, meta_of(conv).replace(what="the counted fines behind the totals"))


def _events_text(events: pd.DataFrame, fine_ids: pd.Series) -> list[str]:
    """Each fine's court events as ``YYYY-MM-DD outcome (court)``, joined by ``; ``."""
    if events.empty:
        return [""] * len(fine_ids)
    ev = events.sort_values(["date", "event_id"])
    text = ev["date"].dt.strftime("%Y-%m-%d") + " " + ev["outcome"] + " (" + ev["court"] + ")"
    joined = text.groupby(ev["fine_id"]).agg("; ".join)
    return [joined.get(f, "") for f in fine_ids.astype(str)]


def largest_fines(
    data: Data, query: Query | None = None, n: int = 10, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """The ``n`` largest counted fines in the query's currency, with the amount as decided and
    the rate used; ties in order of fine_id."""
    q = as_query(query, **settings)
    conv = counted_converted(data, q, rates)
    cur = q.currency.lower()
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
    out = _text_columns(out[cols].head(n).reset_index(drop=True))
    return attach(out, meta_of(conv).replace(what=f"the {n} largest counted fines"))


def own_currency(data: Data, regulator: str) -> str:
    """The currency a regulator decides in (the most frequent among its records; ties by code)."""
    df = resolve(data).fines
    counts = df.loc[df["regulator"].astype(str) == regulator, "currency"].astype(str).value_counts()
    if counts.empty:
        raise UsageError(f"no records of regulator {regulator!r}")
    return str(sorted(counts.index, key=lambda c: (-counts[c], c))[0])


def currency_effect(
    data: Data,
    query: Query | None = None,
    regulator: str = "",
    rates: RatesArg = None,
    **settings: Any,
) -> pd.DataFrame:
    """Per year: a regulator's totals in its own currency and in the query's currency, and the
    implied average rate (target units per unit of its own currency).

    Columns ``year``, ``n_fines``, ``total_<own>``, ``total_<cur>`` (one column when they are the
    same currency), ``implied_rate``.
    """
    c = resolve(data)
    own = own_currency(c, regulator)
    q = as_query(query, **settings).replace(regulators=(regulator,), real=None)
    own_t = totals(c, "year", query=q.replace(currency=own), rates=rates)
    oc, tc = f"total_{own.lower()}", f"total_{q.currency.lower()}"
    out = own_t[["year", "n_fines", oc]]
    if tc != oc:
        target = totals(c, "year", query=q, rates=rates)
        out = out.merge(target[["year", tc]])  # the same years: one selection
    out["implied_rate"] = out[tc] / out[oc]
    out = out.sort_values("year").reset_index(drop=True)
    meta = meta_of(own_t).replace(query=q, what=f"{regulator}: totals in {own} and {q.currency}")
    return attach(out, meta.with_extra(own_currency=own, regulator=regulator))


def rate_conventions(
    data: Data,
    query: Query | None = None,
    fixed_date: str | None = None,
    rates: RatesArg = None,
    **settings: Any,
) -> pd.DataFrame:
    """Totals per year under three conventions, side by side: the ECB rate of each fine's date
    (the query's ``on``), every fine at ``fixed_date``'s rates, and each year's average.

    Columns ``year``, ``n_fines``, ``total_<cur>_<on>``, ``total_<cur>_at_<YYYY_MM_DD>``,
    ``total_<cur>_year_average``, and ``not_converted``: the fine_ids without a rate under a
    convention (e.g. a year not yet over for the average). Such a year shows no total (NaN) for
    that convention rather than a partial one.
    """
    c = resolve(data)
    fixed = fixed_date or DEFAULT_FIXED_DATE
    q = as_query(query, **settings).replace(at=None, real=None)
    cur = q.currency.lower()
    base = totals(c, "year", query=q, rates=rates)
    out = base[["year", "n_fines", f"total_{cur}"]].rename(
        columns={f"total_{cur}": f"total_{cur}_{q.on}"}
    )
    missing: dict[int, set[str]] = {}
    for at, name in (
        (fixed, f"total_{cur}_at_{fixed.replace('-', '_')}"),
        (YEAR_AVERAGE, f"total_{cur}_year_average"),
    ):
        values = _per_year(c, q.replace(at=at), out["year"], rates, missing)
        out[name] = out["year"].map(values)
    out["not_converted"] = [" ".join(sorted(missing.get(int(y), set()))) for y in out["year"]]
    meta = meta_of(base).replace(what="totals per year under three rate conventions")
    return attach(out, meta.with_extra(fixed_date=fixed))


def _per_year(data: Data, q: Query, years: pd.Series, rates: RatesArg, missing: dict) -> dict:
    """Totals per year under ``q``'s convention; a year with an unconvertible fine is NaN and its
    fine_ids are added to ``missing`` (taken from the error's fields, never its text)."""
    cur = q.currency.lower()
    try:
        t = totals(data, "year", query=q, rates=rates)
        return t.set_index("year")[f"total_{cur}"].to_dict()
    except RatesError as exc:
        failing = set(exc.fine_ids)
    rows = select(data, q, rates=rates)
    bad = rows["fine_id"].isin(failing)
    bad_years = set(rows.loc[bad, "year"])
    good = rows[~rows["year"].isin(bad_years)]  # the other years, converted once
    sums = convert(good, query=q, rates=rates).groupby("year")[f"amount_{cur}"].sum()
    values = {}
    for year in years:
        if year in bad_years:
            values[year] = np.nan
            in_year = rows["year"] == year
            missing.setdefault(year, set()).update(rows.loc[in_year & bad, "fine_id"])
        else:
            values[year] = float(sums[year])
    return values


def rate_conventions_wide(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_conventions` as a year-indexed table with one column per convention, named in
    words (for :func:`finestats.charts.compare_by_year`)."""
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
    wide = table.set_index("year")[list(labels)].rename(columns=labels)
    meta = meta_of(table)
    return attach(wide, meta.with_extra(cells="money")) if meta is not None else wide


def conversion_audit(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """Each counted fine with its conversion: amount as decided, amount in the query's currency,
    the rate (target per source unit), the fixing date and the rate source."""
    q = as_query(query, **settings)
    conv = counted_converted(data, q, rates)
    cur = q.currency.lower()
    cols = [
        "fine_id",
        "regulator",
        "defendant",
        q.on,
        "status",
        "amount",
        "currency",
        f"amount_{cur}",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    out = _text_columns(conv[cols].reset_index(drop=True))
    return attach(out, meta_of(conv).replace(what="conversion of each counted fine"))


def matter_decisions(
    data: Data,
    query: Query | None = None,
    rates: RatesArg = None,
    *,
    matter: str | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Every record of a matter (``matter``, else the query's matters, else its defendants),
    whatever its status, within the query's other filters, converted; sorted by decision date.
    Nothing is totalled: a notice and the fine that replaced it both appear. A selection in
    which the matter has no record gives a table without rows."""
    q = as_query(query, **settings)
    if matter:
        q = q.replace(matters=(matter,))
    c = resolve(data)
    if not q.matters and not q.defendants:
        raise UsageError("a matter or a defendant is needed to list its decisions")
    rows = with_year(c.fines, q.year_of)
    subject = q.replace(defendants=()) if q.matters else q  # a matter wins over a defendant
    mask = filter_mask(c, rows, subject.replace(complete_only=False))
    table = load_rates(rates)
    rows = rows[mask]
    conv = convert(rows, q.currency, on=q.on, at=q.at, rates=table)
    cur = q.currency.lower()
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
    out = _text_columns(out)
    what = (
        f"every record of matter {', '.join(q.matters)}"
        if q.matters
        else f"every record of {', '.join(q.defendants)}"
    )
    meta = result_meta(c, q, table, what, len(rows)).with_extra(
        view_text="every decision (provisional notices, penalties and court outcomes shown as they "
        "are; nothing totalled)"
    )
    return attach(out, meta)


def matter_events(data: Data, decisions: pd.DataFrame) -> pd.DataFrame:
    """The court events on the records in ``decisions``, in date order, with the regulator and
    defendant of the record each concerns."""
    ev = resolve(data).events
    cols = ["date", "fine_id", "regulator", "defendant", "court", "outcome", "source_url"]
    if ev.empty:
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


def nominal_and_real(
    by_year: pd.DataFrame, real_by_year: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A year-indexed table of nominal and constant-price totals per year, for
    :func:`finestats.charts.compare_by_year`: the nominal totals of ``by_year``, and the
    constant-price totals of ``real_by_year`` (else of ``by_year`` when it has them; none when
    neither has), empty for the years that have none (a year the price index does not cover)."""
    meta = meta_of(by_year)
    if meta is None:
        raise UsageError("nominal_and_real needs a totals table (from finestats.totals)")
    cur = meta.query.currency
    col = f"total_{cur.lower()}"
    out = by_year.set_index("year")[[col]].rename(columns={col: f"nominal ({cur} of each year)"})
    source = real_by_year if real_by_year is not None else by_year
    real_meta = meta_of(source)
    base = real_meta.query.real if real_meta is not None else None
    if base is not None:
        real = source.set_index("year")[f"{col}_real_{base}"]
        out[f"in {base} prices"] = real.reindex(out.index)
    return attach(out, (real_meta or meta).with_extra(cells="money"))  # every cell a total


def with_regulator_names(table: pd.DataFrame, data: Data) -> pd.DataFrame:
    """``table`` with each regulator's full name and country beside its code (CNPD Luxembourg
    and CNPD-PT Portugal told apart)."""
    fines = resolve(data).fines
    names = fines.groupby(fines["regulator"].astype(str), observed=True)[
        ["regulator_name", "country"]
    ].first()
    out = table.copy()
    codes = out["regulator"].astype(str)
    at = list(out.columns).index("regulator") + 1
    out.insert(at, "regulator_name", codes.map(names["regulator_name"]).to_numpy())
    out.insert(at + 1, "country", codes.map(names["country"].astype(str)).to_numpy())
    return out  # a copy of the table: its description (attrs) too


def largest_groups(by_group: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` corporate groups of a totals-by-group table, largest total first (records of
    no group, public bodies and people, left out)."""
    meta = meta_of(by_group)
    total = next(c for c in by_group.columns if str(c).startswith("total_"))
    out = by_group[by_group["group"] != NO_VALUE]
    out = out.sort_values([total, "group"], ascending=[False, True]).head(top)
    out = out.reset_index(drop=True)
    return attach(out, meta.replace(what=f"the {top} largest corporate groups")) if meta else out


def articles_cited(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """The articles the counted fines cite: ``article`` (the article number, with its law prefix
    for national law, paragraphs dropped), ``n_fines`` (each fine once per article, so the
    column adds up to more than the number of fines), ``n_summary`` (of those, fines whose
    articles rest on a tracker's summary, not the decision) and ``total_<cur>``; most cited
    first, ties by amount then article."""
    q = as_query(query, **settings)
    conv = counted_converted(data, q, rates)
    cur = q.currency.lower()
    refs = conv["articles"].fillna("").astype(str).str.split(";").explode().str.strip()
    base = refs.str.replace(r"\(.*$", "", regex=True)
    basis = conv["articles_basis"].astype(str).reindex(base.index).to_numpy()
    pairs = pd.DataFrame(
        {
            "fine_id": conv["fine_id"].reindex(base.index).to_numpy(),
            "article": base.to_numpy(),
            "amount": conv[f"amount_{cur}"].reindex(base.index).to_numpy(),
            "summary": basis == "summary",
        }
    )
    pairs = pairs[pairs["article"] != ""].drop_duplicates()  # the amount follows the fine_id
    out = pairs.groupby("article").agg(
        n_fines=("fine_id", "size"), n_summary=("summary", "sum"), total=("amount", "sum")
    )
    out["n_summary"] = out["n_summary"].astype("int64")
    out = out.reset_index().rename(columns={"total": f"total_{cur}"})
    out = out.sort_values(["n_fines", f"total_{cur}", "article"], ascending=[False, False, True])
    meta = meta_of(conv).replace(
        what="articles cited by the counted fines (each fine once per article)"
    )
    return attach(out.reset_index(drop=True), meta)


def notices_and_finals(
    data: Data, query: Query | None = None, rates: RatesArg = None, **settings: Any
) -> pd.DataFrame:
    """Each notice of intent (``provisional`` record) beside the final fine that replaced it, if
    any, both converted at their own dates: ``notice_id``, ``regulator``, ``defendant``,
    ``notice_date``, ``notice_<cur>``, ``final_id``, ``final_date``, ``final_<cur>`` and
    ``final_share`` (final / notice). Notices no fine replaced show empty final columns. The
    query's filters apply to the notices; a setting that cannot apply to a notice (the
    effective view, as_of, complete_only, real) is refused rather than ignored."""
    q = as_query(query, **settings)
    unused = [
        name
        for name, given in (
            ("view='effective'", q.view == "effective"),
            ("as_of", q.as_of is not None),
            ("complete_only", q.complete_only),
            ("real", q.real is not None),
        )
        if given
    ]
    if unused:
        raise UsageError(
            f"{', '.join(unused)}: not for notices of intent (each notice is listed as decided, "
            "beside the fine that replaced it; the declared scope and constant prices are of fines)"
        )
    c = resolve(data)
    table = load_rates(rates)
    fines = with_year(c.fines, q.year_of)
    conv = convert(fines, q.currency, on=q.on, at=q.at, rates=table)
    cur = q.currency.lower()
    notices = conv[conv["status"].astype(str).eq("provisional").to_numpy()]
    notices = notices[filter_mask(c, notices, q)]
    finals = conv[conv["supersedes"].notna().to_numpy()].set_index(
        conv["supersedes"].dropna().astype(str).to_numpy()
    )
    ids = notices["fine_id"].astype(str)
    out = pd.DataFrame(
        {
            "notice_id": ids.to_numpy(),
            "regulator": notices["regulator"].astype(str).to_numpy(),
            "defendant": notices["defendant"].to_numpy(),
            "notice_date": notices["decision_date"].to_numpy(),
            f"notice_{cur}": notices[f"amount_{cur}"].to_numpy(),
            "final_id": finals["fine_id"].reindex(ids).to_numpy(),
            "final_date": finals["decision_date"].reindex(ids).to_numpy(),
            f"final_{cur}": finals[f"amount_{cur}"].reindex(ids).to_numpy(),
        }
    )
    out["final_share"] = out[f"final_{cur}"] / out[f"notice_{cur}"]
    out = out.sort_values(["notice_date", "notice_id"]).reset_index(drop=True)
    what = "notices of intent beside the fines that replaced them"
    return attach(out, result_meta(c, q, table, what, len(out)))


def headline_figures(
    data: Data,
    query: Query | None = None,
    table: pd.DataFrame | None = None,
    rates: RatesArg = None,
    **settings: Any,
) -> dict[str, Any]:
    """Total, count and largest fine of a totals table, with the largest fine's identity, the
    conventions, the filters and the scope, for ``headline.json`` and the report index."""
    q = as_query(query, **settings)
    c = resolve(data)
    if table is None:
        table = totals(c, "year", query=q, rates=rates)
    head: dict[str, Any] = dict(headline(table))
    conv = counted_converted(c, q, rates)
    meta: ResultMeta = meta_of(table) or meta_of(conv)
    largest = None
    if len(conv):
        col = f"amount_{q.currency.lower()}"
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
        currency=q.currency,
        convention=convention(meta),
        view=view_text(meta),
        filters=filters_text(q),
        rate_snapshot=meta.rate_snapshot,
        years=list(q.years) if q.years else None,
        regulators=list(q.regulators),
        n_records=len(c.fines),
        n_counted=len(counted(c, q)),
        largest=largest,
        scope=meta.scope,
        n_outside_scope=meta.n_outside_scope,
    )
    if head["n_fines"] == 0:
        head["max"] = None
    return head


__all__ = [
    "largest_groups",
    "with_regulator_names",
    "all_converted",
    "articles_cited",
    "conversion_audit",
    "counted_converted",
    "currency_effect",
    "fines_behind",
    "headline_figures",
    "largest_fines",
    "matter_decisions",
    "matter_events",
    "nominal_and_real",
    "notices_and_finals",
    "own_currency",
    "rate_conventions",
    "rate_conventions_wide",
    "timeline_table",
]
