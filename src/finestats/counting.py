"""Careful counting: which records count, in which view, and the selection filters.

Two views of the same records:

``imposed`` (default)
    What regulators decided: ``final`` and ``penalty`` records. ``provisional`` notices count only
    when asked, and never beside the final fine that supersedes them. Court outcomes
    (``reduced``/``annulled``) are not added on top.
``effective``
    After appeals: each decision is followed through its court history, in date order. A
    ``reduced`` or ``annulled`` record (``supersedes``) replaces what stood; a ``set-aside`` event
    (``events.csv``) on a record undoes it, so that what it replaced stands again (a set-aside
    decision counts zero; a set-aside reduction restores the fine it reduced); a ``reinstated``
    event makes the record it names stand again. The decision keeps its own regulator, dates and
    year, so the amount is converted at the original decision's rate. With ``as_of`` only the
    records and events dated on or before that day count: what stood then. Events about records
    that are not in the frame are not applied.

The selection filters (:func:`select`) are one per setting, each matching names ignoring case;
an unknown regulator, country, matter or sector, or a name that matches nothing at all, is a
UsageError naming what is known. The court events, the declared scope and the price indices
come from a :class:`~finestats.collection.Collection` (or the default data folder), never from
a frame's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from finestats.collection import Collection, Data, resolve
from finestats.conversion import convert
from finestats.coverage import in_scope
from finestats.errors import RatesError, UsageError
from finestats.events import STANDING
from finestats.query import Query, as_query
from finestats.rates import RatesArg
from finestats.schema import ARTICLE, SECTORS

__all__ = [
    "cites_article",
    "complete_mask",
    "counted",
    "law_mask",
    "outside_scope",
    "select",
    "with_year",
]

#: ``--law GDPR`` keeps records under the GDPR or the UK GDPR.
LAW_FAMILIES: dict[str, tuple[str, ...]] = {"gdpr": ("GDPR", "UK GDPR")}
_ARTICLE_RE = re.compile(f"^(?:{ARTICLE})$", re.IGNORECASE)


def with_year(df: pd.DataFrame, year_of: str) -> pd.DataFrame:
    """``df`` with ``year`` the year of ``year_of`` (decision_date, or announced_date where it is
    known and the decision date where it is not; :func:`announcement_unknown` counts those)."""
    if year_of == "decision_date":
        year = df["decision_date"].dt.year
    else:
        year = df["announced_date"].fillna(df["decision_date"]).dt.year
    return df.assign(year=year.astype("int64"))


def announcement_unknown(df: pd.DataFrame) -> int:
    """How many records have no announced date (counted in their decision year)."""
    return int(df["announced_date"].isna().sum())


def counted(
    data: Data,
    query: Query | None = None,
    *,
    events: pd.DataFrame | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """The records that count in the query's view, one row per decision, in file order.

    In the effective view ``amount``, ``currency`` and ``status`` come from what stands of each
    decision (``status`` is then ``reduced`` where a court reduced it); decisions of which
    nothing stands are left out. Everything else comes from the decision itself.
    """
    q = as_query(query, **settings)
    c = resolve(data, events=events)
    rows = with_year(c.fines, q.year_of)
    if q.as_of is not None:
        rows = rows[(rows["decision_date"] <= pd.Timestamp(q.as_of)).to_numpy()]
    status = rows["status"].astype(str)
    ids = rows["fine_id"].astype(str)
    replaced = set(rows["supersedes"].dropna().astype(str))
    keep = status.eq("final") | (status.eq("penalty") & q.include_penalties)
    if q.include_provisional:
        keep |= status.eq("provisional") & ~ids.isin(replaced)
    out = rows[keep.to_numpy()].copy()
    if q.view == "imposed":
        return out
    ev = c.need_events()
    if q.as_of is not None and len(ev):
        ev = ev[(ev["date"] <= pd.Timestamp(q.as_of)).to_numpy()]
    return _effective(rows, out, ev)


def _effective(rows: pd.DataFrame, out: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    ids = rows["fine_id"].astype(str)
    sup = rows["supersedes"]
    has = sup.notna().to_numpy()
    successor = pd.Series(ids.to_numpy()[has], index=sup.astype(str).to_numpy()[has])
    successor = successor[~successor.index.duplicated()]
    decision = out["fine_id"].astype(str)
    latest = decision.copy()
    root_of = dict(zip(decision, decision, strict=True))
    for _ in range(len(rows)):  # chains are short; each step is vectorised
        nxt = latest.map(successor)
        if nxt.isna().all():
            break
        for member, root in zip(nxt.dropna(), decision[nxt.notna()], strict=True):
            root_of[member] = root
        latest = nxt.fillna(latest)
    standing = latest.copy()
    steps = events[events["outcome"].isin(list(STANDING))] if len(events) else events
    steps = steps[steps["fine_id"].isin(list(root_of))] if len(steps) else steps
    if len(steps):
        by_date = rows.set_index(ids)["decision_date"]
        replaced = rows.set_index(ids)["supersedes"].astype(object)
        for root in set(steps["fine_id"].map(root_of)):
            chain = _chain(root, successor)
            mine = steps[steps["fine_id"].isin(chain)]
            pos = np.flatnonzero(decision.to_numpy() == root)
            standing.iloc[pos] = _what_stands(chain, mine, by_date, replaced)
    by_id = rows.set_index(ids)
    stands = standing.notna().to_numpy()
    for col in ("amount", "currency", "status"):
        values = by_id[col].reindex(standing.fillna(latest).to_numpy()).to_numpy()
        if isinstance(rows[col].dtype, pd.CategoricalDtype):
            values = pd.Categorical(values, categories=rows[col].cat.categories)
        out[col] = values
    keep = stands & (out["status"].astype(str) != "annulled").to_numpy()
    return out[keep]


def _chain(root: str, successor: pd.Series) -> list[str]:
    chain = [root]
    while chain[-1] in successor.index and len(chain) <= len(successor):
        chain.append(str(successor[chain[-1]]))
    return chain


def _what_stands(
    chain: list[str], steps: pd.DataFrame, when: pd.Series, replaced: pd.Series
) -> str | None:
    """The record of a chain that stands after its court history (None: nothing stands):
    records and events in date order, a record before an event of the same day, records of one
    day in chain order and events of one day in the order of the events file (a stable sort)."""
    timeline = [(when[r], 0, "record", r) for r in chain[1:]]
    timeline += [(e.date, 1, e.outcome, e.fine_id) for e in steps.itertuples()]
    current: str | None = chain[0]
    for _, _, what, record in sorted(timeline, key=lambda t: (t[0], t[1])):
        if what == "record":
            current = record
        elif STANDING[what]:  # reinstated: the record named stands again
            current = record
        else:  # set aside: what the record named replaced stands again (nothing, for a decision)
            before = replaced.get(record)
            current = None if record == chain[0] or pd.isna(before) else str(before)
    return current


def select(
    data: Data,
    query: Query | None = None,
    *,
    rates: RatesArg = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """:func:`counted` records, filtered by the query. ``rates`` judges ``complete_only`` (each
    decision's amount in EUR at its date)."""
    q = as_query(query, **settings)
    c = resolve(data, events=events, coverage=coverage)
    rows = counted(c, q)
    return rows[filter_mask(c, rows, q, rates)]


def filter_mask(c: Collection, rows: pd.DataFrame, q: Query, rates: RatesArg = None) -> np.ndarray:
    """The query's filters as one mask over ``rows`` (names checked against every record of the
    collection, so that a filter that is merely empty in this view is not an error)."""
    every = c.fines
    mask = np.ones(len(rows), dtype=bool)
    if q.years is not None:
        mask &= rows["year"].between(*q.years).to_numpy()
    mask &= _known(every, rows, "regulator", q.regulators)
    if q.exclude_regulators:
        mask &= ~_known(every, rows, "regulator", q.exclude_regulators)
    if q.region is not None:
        uk = (rows["country"].astype(str) == "GB").to_numpy()
        mask &= uk if q.region == "uk" else ~uk
    mask &= _known(every, rows, "country", q.countries)
    mask &= _known(every, rows, "matter", q.matters)
    if q.sectors:
        unknown = [s for s in q.sectors if s not in SECTORS]
        if unknown:
            raise UsageError(
                f"unknown sector {', '.join(unknown)}: sectors are " + ", ".join(SECTORS)
            )
        mask &= _known(every, rows, "sector", q.sectors, check=False)
    mask &= _containing(every, rows, "defendant", q.defendants)
    mask &= _containing(every, rows, "group", q.groups)
    if q.laws:
        for law in q.laws:
            if not law_mask(every["law"], (law,)).any():
                raise UsageError(f"no record's law matches {law!r}")
        mask &= law_mask(rows["law"], q.laws)
    if q.articles:
        mask &= cites_article(rows["articles"], q.articles)
    if q.complete_only:
        mask[mask] &= complete_mask(c, rows[mask], rates)
    return mask


def _known(
    every: pd.DataFrame,
    rows: pd.DataFrame,
    col: str,
    wanted: Sequence[str],
    check: bool = True,
) -> np.ndarray:
    """Rows whose ``col`` is one of ``wanted`` (names ignoring case; a slug or a vocabulary
    word, ``matter`` and ``sector``, exactly as written); an unknown value is an error."""
    if not wanted:
        return np.ones(len(rows), dtype=bool)
    fold = str.casefold if col in ("regulator", "country") else str
    known = {fold(v): v for v in every[col].dropna().astype(str).unique()}
    unknown = [w for w in wanted if fold(w) not in known]
    if unknown and check:
        plural = "countries" if col == "country" else col + "s"
        raise UsageError(
            f"unknown {col} {', '.join(unknown)}: known {plural} are "
            + ", ".join(sorted(known.values(), key=str.casefold))
        )
    values = rows[col].astype(object).map(fold, na_action="ignore")  # a missing value stays NaN
    return values.isin([fold(w) for w in wanted]).to_numpy()


def _containing(every: pd.DataFrame, rows: pd.DataFrame, col: str, texts: Iterable[str]):
    """Rows whose ``col`` contains any of ``texts``, ignoring case, as plain text."""
    texts = list(texts)
    if not texts:
        return np.ones(len(rows), dtype=bool)
    for text in texts:
        if not _contains(every[col], [text]).any():
            raise UsageError(f"no {col} matches {text!r}")
    return _contains(rows[col], texts)


def _contains(names: pd.Series, texts: Sequence[str]) -> np.ndarray:
    folded = names.fillna("").astype(str).str.casefold()
    hit = np.zeros(len(names), dtype=bool)
    for text in texts:
        hit |= folded.str.find(text.casefold()).ge(0).to_numpy()
    return hit


def law_mask(law: pd.Series, wanted: Sequence[str]) -> np.ndarray:
    """Records under any of ``wanted``: ``GDPR`` means the GDPR or the UK GDPR (exactly those
    law names); any other text matches any law whose name contains it, ignoring case."""
    names = law.fillna("").astype(str).map(lambda s: [x.strip() for x in s.split(";")])
    hit = np.zeros(len(law), dtype=bool)
    for w in wanted:
        family = LAW_FAMILIES.get(w.casefold())
        if family:
            hit |= names.map(lambda ls, f=family: any(x in f for x in ls)).to_numpy(bool)
        else:
            text = w.casefold()
            hit |= names.map(lambda ls, t=text: any(t in x.casefold() for x in ls)).to_numpy(bool)
    return hit


def cites_article(articles: pd.Series, wanted: str | Sequence[str]) -> np.ndarray:
    """Mask of the records whose ``articles`` list cites any of ``wanted``: ``"6"`` matches
    ``6``, ``6(1)`` and ``6(1)(a)`` (each fine once), not ``16``; ``"5(1)(f)"`` matches that
    paragraph; a law prefix (``"LIL:82"``) must match too; case is ignored. A reference that is
    not an article (``5(1)(``, ``Art. 6``) is a UsageError."""
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    for art in wanted:
        if not _ARTICLE_RE.match(art.strip()):
            raise UsageError(
                f"article={art!r}: expected an article reference such as 6, 5(1)(f) or LIL:82",
                cli=f"--article {art!r}: expected an article reference such as 6, 5(1)(f) "
                "or LIL:82",
            )
    refs = articles.dropna().astype(str).str.casefold().str.split(";").explode()
    hit = pd.Series(False, index=refs.index)
    for art in wanted:
        a = art.strip().casefold()
        hit |= (refs == a) | refs.str.startswith(a + "(")
    return hit.groupby(level=0).any().reindex(articles.index, fill_value=False).to_numpy()


def complete_mask(c: Collection, rows: pd.DataFrame, rates: RatesArg = None) -> np.ndarray:
    """Mask of ``rows`` inside the declared scope, judged on each decision's own amount in EUR at
    its decision date (with ``rates``)."""
    if c.need_coverage() is None:
        raise UsageError("complete_only needs a coverage.csv beside the fines file; there is none")
    decisions = c.fines[c.fines["fine_id"].isin(rows["fine_id"]).to_numpy()]
    eur = convert(decisions, "EUR", rates=rates)["amount_eur"].to_numpy()
    inside = pd.Series(in_scope(decisions, c.coverage, eur), index=decisions["fine_id"].to_numpy())
    return rows["fine_id"].map(inside).eq(True).to_numpy()


def outside_scope(c: Collection, rows: pd.DataFrame, rates: RatesArg = None) -> int | None:
    """How many of ``rows`` (counted fines) lie outside the declared scope: below its
    threshold, decided outside its period, or of a regulator or law it does not claim. None
    when there is no scope to judge by (no coverage.csv, or one not told) or when ``rates``
    cannot convert some decision to EUR at its decision date (a query converted at another date
    still answers; ``complete_only`` would refuse)."""
    if c.undetermined or c.coverage is None or c.coverage.empty:
        return None
    try:
        inside = complete_mask(c, rows, rates)
    except RatesError:
        return None
    return int(len(rows) - np.count_nonzero(inside))
