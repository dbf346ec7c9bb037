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
from functools import partial
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from finestats import paths
from finestats.collection import Collection, Data, resolve
from finestats.conversion import convert
from finestats.counting import counted, filter_mask, law_mask
from finestats.figures import FIGURES_NAME, load_figures
from finestats.formatting import format_amount, format_figure
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
    "published_date",
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
    "explained_by",
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
    memo: dict[Any, Any] = {}  # what several figures of one cut-off share
    rows = [_row(c, q, table, f, memo) for f in figs.itertuples(index=False)]
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    what = "published figures beside finestats' own"
    return attach(out, result_meta(c, q, table, what, len(c.fines)))


def _figures_path(c: Collection) -> Any:
    if c.source is not None:
        return paths.reference(c.source.path, FIGURES_NAME)
    return paths.reference(None, FIGURES_NAME)


def _row(c: Collection, q: Query, table: RateTable, f: Any, memo: dict) -> dict[str, Any]:
    base = {
        "figure_id": f.figure_id,
        "publisher": f.publisher,
        "edition": f.edition,
        "area": f.area,
        "measure": f.measure,
        "currency": f.currency if isinstance(f.currency, str) else "",
        "published_date": f.published_date,
        "window_start": f.window_start,
        "cutoff_date": f.cutoff_date,
        "published": float(f.value),
        "published_unit": float(f.value_unit),
    }
    cutoff_text = ""
    if pd.isna(f.cutoff_date):
        if pd.isna(f.published_date):
            why = "the publisher states no cut-off or publication date"
            return {**base, "explained": _NOT + why}
        cutoff_text = "; cut-off not stated: the publication date used (the latest it can be)"
    area = _area(c, f.area)
    if area is None:
        return {**base, "explained": _NOT + f"finestats has no record of area {f.area}"}
    cutoff = pd.Timestamp(f.published_date if cutoff_text else f.cutoff_date)
    part = _Part(c, q, table, f, cutoff, area, memo)
    ours, terms, fx_text = part.figure_and_terms(f)
    gap = base["published"] - ours
    tolerance = max(0.01 * abs(base["published"]), base["published_unit"] / 2)
    used, unexplained = _attribute(gap, terms, _candidates(f, part.gdpr_only), tolerance)
    return {
        **base,
        "finestats": ours,
        "gap": gap,
        "gap_pct": 100.0 * gap / base["published"] if base["published"] else np.nan,
        **terms,
        "unexplained": unexplained,
        "method": part.method(cutoff_text, fx_text),
        "explained_by": ";".join(used),
        "explained": _explain(
            gap, base, terms, used, unexplained, tolerance, f.measure, part.cur, part.gdpr_only
        ),
    }


_NOT = "not reproduced: "


class _Part:
    """finestats' side of one published figure: its window, laws, currency, measure and the
    scope (view, notices, area) closest to the publisher's method, over the collection as it
    stood at the cut-off (a notice replaced by a final decision only later still stands)."""

    def __init__(self, c, q, table, f, cutoff, area, memo) -> None:
        self.table, self.cutoff = table, cutoff
        self.start = pd.Timestamp(f.window_start)
        self.cur = f.currency if isinstance(f.currency, str) else "EUR"
        self.measure = f.measure
        self.notices_counted = f.notices == "included"
        self.view = "effective" if f.appeals == "after-appeals" else "imposed"
        self.gdpr_only = f.laws.strip().casefold() in ("gdpr", "gdpr;uk gdpr")
        self.scope = q.replace(currency=self.cur, include_provisional=self.notices_counted, **area)
        self.memo = memo
        if ("at", cutoff) not in memo:
            kept = (c.fines["decision_date"] <= cutoff).to_numpy()
            memo["at", cutoff] = c.replace(fines=c.fines[kept])
        self.c = memo["at", cutoff]
        self.area_known = _area(self.c, f.area) is not None

    def in_view(self, view: str, **changes: Any) -> Query:
        as_of = self.cutoff.date() if view == "effective" else None
        return self.scope.replace(view=view, as_of=as_of, **changes)

    def rows(self, scope: Query) -> pd.DataFrame:
        """The selected records (none where the area had no record by the cut-off)."""
        if not self.area_known:
            return self.c.fines.iloc[:0].assign(year=pd.Series(dtype="int64"))
        q = scope
        key = ("counted", self.cutoff, q.view, q.as_of, q.include_provisional, q.include_penalties)
        if key not in self.memo:
            self.memo[key] = counted(self.c, scope)
        rows = self.memo[key]
        return rows[filter_mask(self.c, rows, scope, self.table)]

    def laws(self, fines: pd.DataFrame) -> np.ndarray:
        if self.gdpr_only:
            return law_mask(fines["law"], ("GDPR",))
        return np.ones(len(fines), bool)

    def figure_and_terms(self, f: Any) -> tuple[float, dict[str, float], str]:
        """finestats' figure, the candidate terms of the gap (see the module docstring) and how
        non-euro fines were converted."""
        fines = self.rows(self.in_view(self.view))
        fx, fx_text = _fx_table(f, fines, self.table)
        amounts = _amounts(fines, self.cur, fx, self.table)
        in_window = fines["decision_date"].between(self.start, self.cutoff).to_numpy()
        laws_ok = self.laws(fines)
        ann = fines["announced_date"]
        after = in_window & laws_ok & (ann > self.cutoff).fillna(False).to_numpy()
        inside = (
            laws_ok
            & (fines["decision_date"] < self.start).to_numpy()
            & ann.between(self.start, self.cutoff).fillna(False).to_numpy()
        )
        if self.measure == "count":
            measure = lambda m: float(m.sum())  # noqa: E731
        else:
            measure = lambda m: float(amounts[m].sum())  # noqa: E731
        ours = measure(in_window & laws_ok)
        other = "imposed" if self.view == "effective" else "effective"
        stated = self.notices_counted or f.notices == "excluded"
        terms = {
            "announced_after": -measure(after),
            "announced_inside": measure(inside),
            "notices": 0.0 if stated else self._notices(),
            "court": self._value(self.rows(self.in_view(other))) - ours,
            "other_laws": measure(in_window & ~laws_ok) if self.gdpr_only else 0.0,
        }
        return ours, terms, fx_text

    def method(self, cutoff_text: str, fx_text: str) -> str:
        what = "number of fines" if self.measure == "count" else self.cur + " total"
        appeals = (
            "after appeals decided by the cut-off" if self.view == "effective" else "as imposed"
        )
        return (
            f"{what} decided {self.start:%Y-%m-%d}..{self.cutoff:%Y-%m-%d}{cutoff_text}; "
            f"{'GDPR and UK GDPR' if self.gdpr_only else 'all laws'}; "
            f"notices {'counted' if self.notices_counted else 'not counted'}; {appeals}; {fx_text}"
        )

    def _value(self, fines: pd.DataFrame) -> float:
        fines = fines[fines["decision_date"].between(self.start, self.cutoff).to_numpy()]
        fines = fines[self.laws(fines)]
        if self.measure == "count":
            return float(len(fines))
        return float(convert(fines, self.cur, rates=self.table)[f"amount_{self.cur.lower()}"].sum())

    def _notices(self) -> float:
        """Notices of intent decided in the window that stood at the cut-off (not yet replaced
        by a final decision)."""
        rows = self.rows(self.in_view(self.view, include_provisional=True))
        return self._value(rows[rows["status"].astype(str).eq("provisional").to_numpy()])


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


_LABELS = {
    "announced_after": "decided in the window but announced after the cut-off",
    "announced_inside": "decided before the window but announced inside it",
    "notices": "notices of intent standing at the cut-off",
    "court": "what courts had changed by the cut-off",
    "other_laws": "fines under other laws (e.g. French ePrivacy rules)",
}


def _candidates(f: Any, gdpr_only: bool) -> tuple[str, ...]:
    """The terms the publisher's stated method leaves open, fewest assumptions first."""
    out = ["announced_after", "announced_inside"]
    if f.notices == "unknown":
        out.append("notices")
    if f.appeals == "unknown":
        out.append("court")
    if gdpr_only:
        out.append("other_laws")
    return tuple(out)


def _attribute(
    gap: float, terms: dict[str, float], candidates: tuple[str, ...], tolerance: float
) -> tuple[tuple[str, ...], float]:
    """The smallest set of candidate terms that closes the gap to within ``tolerance``, and what
    remains; ``((), gap)`` when no set closes it (no partial attributions are guessed)."""
    live = [k for k in candidates if abs(terms[k]) > 0.5]
    for size in range(len(live) + 1):
        for combo in combinations(live, size):
            rest = gap - sum(terms[k] for k in combo)
            if abs(rest) <= tolerance:
                return combo, rest
    return (), gap


def _explain(gap, base, terms, used, rest, tolerance, measure, cur, gdpr_only) -> str:
    show = (
        (lambda v: f"{v:+,.0f} fines")
        if measure == "count"
        else (lambda v: ("+" if v >= 0 else "-") + format_amount(abs(v), cur, significant=3))
    )
    if abs(gap) <= tolerance:
        return "reproduced (within 1% or the published precision)"
    if used:
        parts = [f"{_LABELS[k]} {show(terms[k])}" for k in used]
        said = " (though the publisher says GDPR only)" if "other_laws" in used else ""
        left = (
            f"; {show(rest)} left, within 1% or the published precision" if abs(rest) > 0.5 else ""
        )
        return f"gap {show(gap)} explained by: " + "; ".join(parts) + said + left
    others = [f"{_LABELS[k]} {show(v)}" for k, v in terms.items() if abs(v) > 0.5]
    text = f"gap {show(gap)} not closed by the records"
    if others:
        text += " (differences found: " + "; ".join(others) + ")"
    if rest > tolerance:
        text += (
            "; the publisher counts more: likely fines below finestats' completeness "
            "threshold, which it holds only as a sample"
        )
    return text


def for_reading(table: pd.DataFrame) -> pd.DataFrame:
    """A crosscheck for reading (a notebook, a page): each figure in words (``EUR 7.10bn``,
    ``2,560 fines``), the gap in per cent to one decimal, the explanation whole."""
    rows = list(table.itertuples(index=False))
    show = [partial(format_figure, measure=r.measure, currency=r.currency or "") for r in rows]
    return pd.DataFrame(
        {
            "figure_id": [r.figure_id for r in rows],
            "area": [r.area for r in rows],
            "published": [f(r.published) for f, r in zip(show, rows, strict=True)],
            "finestats": [f(r.finestats) for f, r in zip(show, rows, strict=True)],
            "gap": ["" if pd.isna(r.gap_pct) else f"{r.gap_pct:+.1f}%" for r in rows],
            "explained": [r.explained for r in rows],
        }
    )
