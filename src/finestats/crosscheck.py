"""Published figures beside finestats' own: reproduce what can be reproduced, explain the gaps.

For each figure of ``published_figures.csv`` (:mod:`finestats.figures`) finestats computes its own
at the same cut-off and window, for the same area, measure and currency, with the closest scope
the publisher states: the laws it counts (``GDPR`` keeps GDPR and UK GDPR fines), notices of
intent counted or not, and each fine at its decision date's ECB rate (or at the edition's fixed
rates, where the publisher states them for every currency needed). Then it explains the gap
(published minus finestats) from the records:

* ``announced_after``: fines decided inside the window but announced after the cut-off, which a
  publisher working from announcements could not count (they lower the published figure);
* ``announced_inside``: fines decided before the window but announced inside it (they raise it);
* ``notices``: notices of intent standing at the cut-off that no final fine had replaced, where
  the publisher counts notices or does not say (they may raise it);
* ``court``: what court outcomes had taken off the imposed amounts by the cut-off, where the
  publisher might report amounts after appeal (they may lower it);
* ``other_laws``: fines under laws the publisher does not count (e.g. French ePrivacy rules), for
  information;
* ``unexplained``: what remains (published minus finestats minus the timing and notices terms);
  for totals well above finestats' own, fines below its declared completeness threshold
  (finestats holds those only as a sample) are the usual reason, and the text says so.

A figure finestats cannot reproduce (no cut-off stated, an area it has no record of) says why.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from finestats import paths
from finestats.collection import Collection, Data, resolve
from finestats.conversion import convert
from finestats.counting import counted, law_mask
from finestats.figures import FIGURES_NAME, load_figures
from finestats.formatting import format_amount
from finestats.query import Query, as_query, attach
from finestats.rates import RatesArg, RateTable, load_rates
from finestats.totals import result_meta

COLUMNS = (
    "figure_id",
    "publisher",
    "edition",
    "area",
    "measure",
    "currency",
    "window_start",
    "cutoff_date",
    "published",
    "published_unit",
    "finestats",
    "gap",
    "gap_pct",
    "announced_after",
    "announced_inside",
    "notices",
    "court",
    "other_laws",
    "unexplained",
    "method",
    "explained",
)
_FX = re.compile(r"([A-Z]{3})\s*([0-9]+(?:\.[0-9]+)?)")


def crosscheck(
    data: Data,
    query: Query | None = None,
    rates: RatesArg = None,
    *,
    figures: pd.DataFrame | None = None,
    publisher: str | None = None,
    edition: str | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """One row per published figure with finestats' figure beside it, the gap (published minus
    finestats, and in per cent of the published figure) and its explanation (see the module
    docstring); the query's currency is not used (each figure keeps its own), its other
    filters narrow every figure alike. ``publisher``/``edition`` select figures (ignoring
    case; ``edition`` by substring)."""
    q = as_query(query, **settings)
    c = resolve(data)
    table = load_rates(rates)
    figs = figures if figures is not None else load_figures(_figures_path(c))
    if publisher:
        figs = figs[figs["publisher"].str.casefold() == publisher.casefold()]
    if edition:
        figs = figs[figs["edition"].str.casefold().str.contains(edition.casefold(), regex=False)]
    rows = [_row(c, q, table, f) for f in figs.itertuples(index=False)]
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    what = "published figures beside finestats' own"
    return attach(out, result_meta(c, q, table, what, len(c.fines)))


def _figures_path(c: Collection) -> Any:
    if c.source is not None:
        return paths.reference(c.source.path, FIGURES_NAME)
    return paths.reference(None, FIGURES_NAME)


def _row(c: Collection, q: Query, table: RateTable, f: Any) -> dict[str, Any]:
    base = {
        "figure_id": f.figure_id,
        "publisher": f.publisher,
        "edition": f.edition,
        "area": f.area,
        "measure": f.measure,
        "currency": f.currency if isinstance(f.currency, str) else "",
        "window_start": f.window_start,
        "cutoff_date": f.cutoff_date,
        "published": float(f.value),
        "published_unit": float(f.value_unit),
    }
    if pd.isna(f.cutoff_date):
        return {**base, "explained": "not reproduced: the publisher states no cut-off date"}
    area = _area(c, f.area)
    if area is None:
        return {**base, "explained": f"not reproduced: finestats has no record of area {f.area}"}
    cur = base["currency"] or "EUR"
    notices = f.notices == "included"
    gdpr_only = f.laws.strip().casefold() in ("gdpr", "gdpr;uk gdpr")
    scope = q.replace(currency=cur, include_provisional=notices, view="imposed", as_of=None)
    scope = scope.replace(**area)
    fines = counted(c, scope)
    fx, fx_text = _fx_table(f, fines, table)
    amounts = _amounts(fines, cur, fx, table)
    start, cutoff = pd.Timestamp(f.window_start), pd.Timestamp(f.cutoff_date)
    in_window = fines["decision_date"].between(start, cutoff).to_numpy()
    laws_ok = law_mask(fines["law"], ("GDPR",)) if gdpr_only else np.ones(len(fines), bool)
    sel = in_window & laws_ok
    ann = fines["announced_date"]
    after = sel & (ann > cutoff).fillna(False).to_numpy()
    inside = (
        laws_ok
        & (fines["decision_date"] < start).to_numpy()
        & ann.between(start, cutoff).fillna(False).to_numpy()
    )
    measure = (lambda m: float(m.sum())) if f.measure == "count" else (lambda m: amounts[m].sum())
    ours = measure(sel)
    terms = {
        "announced_after": -measure(after),
        "announced_inside": measure(inside),
        "notices": 0.0
        if notices or f.notices == "excluded"
        else _notices(c, scope, cutoff, start, gdpr_only, cur, table, f.measure),
        "court": _court(c, scope, start, cutoff, gdpr_only, cur, table, f.measure, ours),
        "other_laws": measure(in_window & ~laws_ok) if gdpr_only else 0.0,
    }
    gap = base["published"] - ours
    unexplained = gap - terms["announced_after"] - terms["announced_inside"] - terms["notices"]
    method = (
        f"{'number of fines' if f.measure == 'count' else cur + ' total'} decided "
        f"{start:%Y-%m-%d}..{cutoff:%Y-%m-%d}; {'GDPR and UK GDPR' if gdpr_only else 'all laws'}"
        f"; notices {'counted' if notices else 'not counted'}; imposed view; {fx_text}"
    )
    return {
        **base,
        "finestats": ours,
        "gap": gap,
        "gap_pct": 100.0 * gap / base["published"] if base["published"] else np.nan,
        **terms,
        "unexplained": unexplained,
        "method": method,
        "explained": _explain(gap, base, terms, unexplained, f.measure, cur),
    }


def _area(c: Collection, area: str) -> dict[str, Any] | None:
    """The query filter for a figure's area (None: finestats has no record of it)."""
    if area == "all":
        return {}
    codes = set(c.fines["country"].astype(str))
    if area == "UK":
        area = "GB"
    if area in codes:
        return {"countries": (area,)}
    regs = {r.casefold(): r for r in c.fines["regulator"].astype(str).unique()}
    if area.casefold() in regs:
        return {"regulators": (regs[area.casefold()],)}
    if len(area) == 2 and area.isupper():
        return {"countries": (area,)} if area in codes else None
    return None


def _fx_table(f: Any, fines: pd.DataFrame, table: RateTable) -> tuple[RateTable | None, str]:
    """The edition's fixed rates as a one-day rate table, when the publisher states a rate for
    every currency needed; else None (each fine at its decision date's ECB rate)."""
    needed = set(fines["currency"].astype(str)) - {"EUR"}
    if f.fx_method != "fixed" or not isinstance(f.fx_note, str):
        return None, "each fine at its decision date's ECB rate"
    stated = {cur: float(v) for cur, v in _FX.findall(f.fx_note) if cur != "EUR"}
    missing = needed - set(stated)
    if missing:
        return None, (
            "each fine at its decision date's ECB rate (the edition's fixed rates do not cover "
            + ", ".join(sorted(missing))
            + ")"
        )
    day = pd.Timestamp(f.cutoff_date)
    frame = pd.DataFrame({cur: [rate] for cur, rate in stated.items()}, index=[day])
    return RateTable(frame, f"fixed rates of {f.edition}"), "the edition's fixed rates"


def _amounts(fines: pd.DataFrame, cur: str, fx: RateTable | None, table: RateTable) -> np.ndarray:
    if fx is not None:
        day = fx.frame.index[0]
        return convert(fines, cur, at=day.date(), rates=fx, max_staleness_days=100_000)[
            f"amount_{cur.lower()}"
        ].to_numpy()
    return convert(fines, cur, rates=table)[f"amount_{cur.lower()}"].to_numpy()


def _notices(c, scope, cutoff, start, gdpr_only, cur, table, measure) -> float:
    """Notices of intent decided in the window that stood at the cut-off (not yet replaced)."""
    q = scope.replace(include_provisional=True, as_of=None)
    standing = counted(c, q.replace(view="effective", as_of=cutoff.date()))
    notices = standing[standing["status"].astype(str).eq("provisional").to_numpy()]
    notices = notices[notices["decision_date"].between(start, cutoff).to_numpy()]
    if gdpr_only:
        notices = notices[law_mask(notices["law"], ("GDPR",))]
    if measure == "count":
        return float(len(notices))
    return float(convert(notices, cur, rates=table)[f"amount_{cur.lower()}"].sum())


def _court(c, scope, start, cutoff, gdpr_only, cur, table, measure, ours) -> float:
    """Effective minus imposed, as of the cut-off (negative: courts had reduced or annulled)."""
    q = scope.replace(view="effective", as_of=cutoff.date())
    eff = counted(c, q)
    eff = eff[eff["decision_date"].between(start, cutoff).to_numpy()]
    if gdpr_only:
        eff = eff[law_mask(eff["law"], ("GDPR",))]
    if measure == "count":
        return float(len(eff)) - ours
    return float(convert(eff, cur, rates=table)[f"amount_{cur.lower()}"].sum()) - ours


def _explain(gap, base, terms, unexplained, measure, cur) -> str:
    pub = base["published"]
    if pub == 0:
        return "published figure is zero"
    show = (
        (lambda v: f"{v:+,.0f} fines")
        if measure == "count"
        else (lambda v: ("+" if v >= 0 else "-") + format_amount(abs(v), cur, significant=3))
    )
    tolerance = max(0.01 * pub, base["published_unit"] / 2)
    if abs(gap) <= tolerance:
        return "reproduced (within 1% or the published precision)"
    parts = []
    names = {
        "announced_after": "decided in the window, announced after the cut-off",
        "announced_inside": "decided before the window, announced inside it",
        "notices": "notices of intent standing at the cut-off",
        "court": "taken off by court outcomes by the cut-off (if the publisher reports them)",
        "other_laws": "fines under laws the publisher does not count (left out)",
    }
    for key, label in names.items():
        if abs(terms[key]) > 0.5:
            parts.append(f"{label}: {show(terms[key])}")
    rest = f"unexplained: {show(unexplained)}"
    if measure != "count" and unexplained > tolerance:
        rest += " (likely fines below finestats' completeness threshold, held only as a sample)"
    elif measure == "count" and unexplained > 0:
        rest += " (finestats holds every fine only above its completeness threshold)"
    return "; ".join([*parts, rest])
