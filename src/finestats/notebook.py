"""Notebook support: the parameters every notebook takes, the one check each notebook calls after
its ``parameters`` cell, and how finestats results and errors look inside a notebook.

The parameters are generated from the declarations of :class:`finestats.query.Query` (every
selection and conversion setting, in every notebook) plus a few of a notebook's own
(:data:`OWN`) and the paths (:data:`PATHS`): :func:`parameters_cell` writes a notebook's
``parameters`` cell, typed so that ``papermill --help-notebook`` shows each type, and
:func:`check_parameters` checks them all in one call. A bad parameter fails there with one short
message. A selection that leaves a notebook nothing to show is not an error: the check says why
in one sentence and stops the notebook (:class:`~finestats.errors.NothingToShow`), and the
report lists the notebook as skipped.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from finestats import analyses, paths
from finestats.collection import Collection, load
from finestats.counting import select
from finestats.errors import FinestatsError, NothingToShow, UsageError
from finestats.formatting import CELL_WIDTH, escape_markdown, filters_text, readable
from finestats.parsing import parse_date, parse_text, parse_year
from finestats.prices import index_years
from finestats.query import Query, aliases, settings
from finestats.rates import RateSource, RateTable, load_rates, rates_keyword
from finestats.reconcile import crosscheck
from finestats.totals import pivot, totals

#: Where notebooks write when run by hand (git-ignored; a report passes its own folder).
DEFAULT_OUTPUT = Path("reports") / "notebook-output"


@dataclass(frozen=True)
class Param:
    """One notebook parameter: its name, type annotation (as papermill reads it), default (as
    Python source) and help (the cell's comment)."""

    name: str
    annotation: str
    default: str
    help: str


#: Parameters a notebook has of its own (not selection settings): its subject or option.
OWN: dict[str, Param] = {
    "regulator": Param("regulator", "str", '"ICO"', "the regulator to profile"),
    "matter": Param(
        "matter",
        "Optional[str]",
        '"clearview-ai"',
        "the matter to draw (see the `matter` column); None: the selected matters or defendants",
    ),
    "fixed_date": Param(
        "fixed_date", "str", '"2024-12-31"', "the one date whose rates convert every fine"
    ),
}
#: Where a notebook reads and writes; the report resolves them once and passes them on.
PATHS: tuple[Param, ...] = (
    Param("data_path", "Optional[str]", "None", "fine records CSV; companions beside it"),
    Param("rates_path", "Optional[str]", "None", "ECB history .csv/.zip, 'bundled' or 'forex'"),
    Param("output_dir", "Optional[str]", "None", "where CSV, charts go (reports/notebook-output)"),
)


#: The help of the notebook parameters that make up one setting (``years``).
SPLIT_HELP = {
    "start_year": "first year (inclusive; of the date year_of names); None: from the first",
    "end_year": "last year (inclusive); None: to the last",
}


def setting_params() -> list[Param]:
    """The notebook parameters of every Query setting, from the declarations."""
    out = []
    for name, s in settings().items():
        default = Query.__dataclass_fields__[name].default
        for pname in s.notebook or (name,):
            value = "[]" if s.kind == "names" else repr(default) if default is not None else "None"
            if isinstance(default, str):
                value = f'"{default}"'
            out.append(Param(pname, s.annotation, value, SPLIT_HELP.get(pname, s.help)))
    return out


def notebook_params(own: Sequence[str] = ()) -> list[Param]:
    """Every parameter of a notebook with the given own parameters, in cell order."""
    return [*(OWN[name] for name in own), *setting_params(), *PATHS]


def parameters_cell(own: Sequence[str] = (), defaults: Mapping[str, str] | None = None) -> str:
    """The text of a notebook's ``parameters`` cell: one typed assignment per parameter, on one
    line each (papermill reads the type and the comment from it; the formatter leaves it)."""
    defaults = dict(defaults or {})
    lines = ["# fmt: off", "from typing import Optional", ""]
    for p in notebook_params(own):
        value = defaults.pop(p.name, p.default)
        lines.append(f"{p.name}: {p.annotation} = {value}  # {p.help}")
    if defaults:
        raise UsageError(f"no such notebook parameter: {', '.join(defaults)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Context:
    """Checked notebook parameters: the collection, the query, the rate table and the output
    folder; its methods are the library calls a notebook makes, all with that query and rates.
    ``notes`` are sentences a notebook shows (e.g. figures nominal for want of a price index)."""

    data: Collection
    query: Query
    rates: RateTable | RateSource
    output_dir: Path
    regulator: str | None = None
    matter: str | None = None
    fixed_date: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def df(self) -> pd.DataFrame:
        """The records."""
        return self.data.fines

    @property
    def currency(self) -> str:
        return self.query.currency

    def path(self, name: str) -> Path:
        """``output_dir / name`` (the folder is created when a file is first written to it)."""
        return self.output_dir / name

    def totals(self, by: str | Sequence[str], **changes: Any) -> pd.DataFrame:
        q = self.query.replace(**changes) if changes else self.query
        return totals(self.data, by, query=q, rates=self.rates)

    def pivot(self) -> pd.DataFrame:
        return pivot(self.data, query=self.query, rates=self.rates)

    def headline(self, table: pd.DataFrame) -> dict[str, Any]:
        return analyses.headline_figures(self.data, self.query, table, self.rates)

    def fines(self) -> pd.DataFrame:
        return analyses.fines_behind(self.data, self.query, self.rates)

    def largest_fines(self, n: int = 10) -> pd.DataFrame:
        return analyses.largest_fines(self.data, self.query, n, self.rates)

    def currency_effect(self) -> pd.DataFrame:
        return analyses.currency_effect(self.data, self.query, self._regulator(), self.rates)

    def rate_conventions(self) -> pd.DataFrame:
        return analyses.rate_conventions(self.data, self.query, self.fixed_date, self.rates)

    def conversion_audit(self) -> pd.DataFrame:
        return analyses.conversion_audit(self.data, self.query, self.rates)

    def matter_decisions(self) -> pd.DataFrame:
        return analyses.matter_decisions(self.data, self.query, self.rates, matter=self.matter)

    def matter_events(self, decisions: pd.DataFrame) -> pd.DataFrame:
        return analyses.matter_events(self.data, decisions)

    def crosscheck(self) -> pd.DataFrame:
        """Published figures beside finestats' own (:func:`finestats.crosscheck`): each figure
        in its own currency and method; the query's filters narrow finestats' side."""
        return crosscheck(self.data, self.query, self.rates)

    def articles_cited(self) -> pd.DataFrame:
        return analyses.articles_cited(self.data, self.query, self.rates)

    def matter_timeline_data(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The matter's decisions and court events; NothingToShow when the selection holds no
        decision of it."""
        decisions = self.matter_decisions()
        if decisions.empty:
            subject = self.matter or ", ".join(self.query.matters or self.query.defendants)
            raise NothingToShow(
                f"No decision of {subject} in this selection "
                f"({filters_text(self.query) or 'no filters'})."
            )
        return decisions, self.matter_events(decisions)

    def in_constant_prices(self) -> Context:
        """This context in constant prices: the ``real`` asked for, else the latest year the
        currency's price index covers, over the years the index covers (a year whose annual
        index is not published yet is left out, with a note); without an index for the
        currency, unchanged (nominal) with a note saying so."""
        prices = self.data.prices
        span = index_years(self.currency, prices) if prices is not None else None
        if span is None:
            note = (
                f"No consumer price index for {self.currency} in price_indices.csv: the figures "
                "are nominal (in money of each year), not in constant prices."
            )
            return replace(self, notes=(*self.notes, note))
        base = self.query.real if self.query.real is not None else span[1]
        notes = [f"Constant prices of {base} ({self.currency} consumer price index)."]
        query = self.query.replace(real=base)
        years = self.data.fines["year"] if self.query.years is None else None
        lo, hi = self.query.years or (int(years.min()), int(years.max()))
        if lo < span[0] or hi > span[1]:
            outside = [y for y in range(lo, hi + 1) if not span[0] <= y <= span[1]]
            notes.append(
                f"Not in constant prices: {', '.join(map(str, outside))} (the index covers "
                f"{span[0]}-{span[1]}; an annual average is published after the year ends)."
            )
            query = query.replace(years=(max(lo, span[0]), min(hi, span[1])))
        return replace(self, query=query, notes=(*self.notes, *notes))

    def real_by_year(self) -> pd.DataFrame | None:
        """Totals per year with constant prices (None without ``real``)."""
        return self.totals("year") if self.query.real is not None else None

    def _regulator(self) -> str:
        if not self.regulator:
            raise UsageError("this notebook needs the parameter regulator, e.g. regulator = 'ICO'")
        return self.regulator


def known_parameters() -> set[str]:
    """Every name a notebook or ``finestats report -p`` accepts: each setting (and its aliases
    and notebook names), each notebook's own parameters and the paths."""
    names = set(aliases()) | set(OWN) | {p.name for p in PATHS}
    for s in settings().values():
        names |= set(s.notebook)
    return names - {"years"}


def check_parameters(
    namespace: Mapping[str, Any] | None = None,
    /,
    *,
    require_fines: bool = True,
    **given: Any,
) -> Context:
    """Check a notebook's parameters and load the collection and rates; raise one finestats error
    with one clear message for the first bad one.

    Called as ``check_parameters(globals())`` in a notebook (every known parameter name is
    picked from the namespace) or with keyword parameters (an unknown one is an error).
    ``output_dir`` defaults to ``reports/notebook-output`` of the project the kernel runs in.
    A selection that counts no fine raises :class:`~finestats.errors.NothingToShow` saying why
    (unless ``require_fines`` is False); a notebook shows it as one sentence and stops, and a
    report lists the notebook as skipped.
    """
    install_error_display()
    known = known_parameters()
    params = {k: v for k, v in (namespace or {}).items() if k in known}
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(f"unknown parameter {', '.join(unknown)}")
    params.update(given)
    data = load(_path("data_path", params.get("data_path")))
    query = query_from(params, data)
    rates = load_rates(_rates(params.get("rates_path")))
    known_codes = getattr(rates, "currencies", None)
    if known_codes and query.currency not in known_codes:
        raise UsageError(
            f"currency={query.currency!r}: the rate table ({rates.source}) knows "
            + ", ".join(known_codes)
        )
    _check_real(query, data)
    one = parse_text("regulator", params.get("regulator"))
    regulator = _canonical(data.fines, [one])[0] if one else None
    if regulator:  # a regulator's profile: its own fines
        query = query.replace(regulators=(regulator,))
    matter = parse_text("matter", params.get("matter"))
    if matter:
        _known_matter(data, matter)
    rows = select(data, query, rates=rates)  # unknown names fail here, by name
    fixed = params.get("fixed_date")
    fixed = None if fixed is None else parse_date("fixed_date", fixed).isoformat()
    out = _path("output_dir", params.get("output_dir"))
    out = out or (paths.project_root() or Path.cwd()) / DEFAULT_OUTPUT
    ctx = Context(data, query, rates, out, regulator, matter, fixed)
    if require_fines and rows.empty:
        raise NothingToShow(nothing_matches(data, query))
    return ctx


def query_from(params: Mapping[str, Any], data: Collection | None = None) -> Query:
    """The Query of notebook parameters (``start_year``/``end_year`` make the years)."""
    names = aliases()
    given = {
        names[k]: v for k, v in params.items() if k in names and k not in OWN and v is not None
    }
    start, end = params.get("start_year"), params.get("end_year")
    if start is not None or end is not None:
        given["years"] = _years(data, start, end)
    query = Query(**given)
    if data is not None and query.regulators:
        query = query.replace(regulators=tuple(_canonical(data.fines, query.regulators)))
    return query


def _check_real(query: Query, data: Collection) -> None:
    """An explicit ``real`` base year must lie inside the currency's price index."""
    if query.real is None:
        return
    span = index_years(query.currency, data.prices) if data.prices is not None else None
    if span is None:
        raise UsageError(
            f"real={query.real}: there is no consumer price index for {query.currency} "
            "(price_indices.csv); leave real empty for nominal figures"
        )
    if not span[0] <= query.real <= span[1]:
        raise UsageError(
            f"real={query.real}: the {query.currency} price index covers {span[0]}-{span[1]}"
        )


def nothing_matches(data: Collection, query: Query) -> str:
    """One sentence: no fine matches, the filters, and what the data covers."""
    first, last = int(data.fines["year"].min()), int(data.fines["year"].max())
    filters = filters_text(query)
    return (
        f"no fines match these parameters: the data covers decisions of {first}-{last} "
        f"(this selection: {filters or 'no filters'}; view {query.view})"
    )


def _known_matter(data: Collection, matter: str) -> None:
    known = sorted(data.fines["matter"].dropna().astype(str).unique())
    if matter not in known:
        raise UsageError(f"unknown matter {matter}: known matters are " + ", ".join(known))


def _path(name: str, value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike) or str(value).strip() == "":
        raise UsageError(f"{name}={value!r}: expected a file or folder path, or None")
    return paths.absolute(value)


def _rates(value: Any) -> Any:
    return value if value is None or rates_keyword(value) else _path("rates_path", value)


def _years(data: Collection | None, start: Any, end: Any) -> tuple[int, int]:
    lo = None if start is None else parse_year("start_year", start)
    hi = None if end is None else parse_year("end_year", end)
    years = data.fines["year"] if data is not None else pd.Series([lo or hi or 2018])
    lo = lo if lo is not None else min(int(years.min()), hi)
    hi = hi if hi is not None else max(int(years.max()), lo)
    if lo > hi:
        raise UsageError(f"start_year {lo} is after end_year {hi}")
    return (lo, hi)


def _canonical(df: pd.DataFrame, names: Sequence[str]) -> list[str]:
    canon = {r.casefold(): r for r in df["regulator"].astype(str).unique()}
    unknown = [n for n in names if n.casefold() not in canon]
    if unknown:
        raise UsageError(
            f"unknown regulator {', '.join(unknown)}: known regulators are "
            + ", ".join(sorted(canon.values(), key=str.casefold))
        )
    return [canon[n.casefold()] for n in names]


# --------------------------------------------------------------------------------------------
# Display in a notebook


def short_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> list[str]:
    """IPython custom exception handler: the error as a few short lines (no traceback), red for
    an error, plain for :class:`NothingToShow`. IPython shows them as the cell's error output,
    so papermill still stops and records ``ename``/``evalue``."""
    lines = str(value).splitlines() or [""]
    red = not isinstance(value, NothingToShow)
    on, bold, off = ("\x1b[31m", "\x1b[1;31m", "\x1b[0m") if red else ("", "", "")
    head = f"{bold}{etype.__name__}: {lines[0]}{off}"
    rest = [f"{on}{line}{off}" for line in lines[1:21]]
    if len(lines) > 21:
        rest.append(f"{on}... and {len(lines) - 21} more lines{off}")
    stb = [head, *rest]
    shell._showtraceback(etype, value, stb)  # the kernel's error output (what papermill reads)
    return stb


def install_error_display() -> bool:
    """In an IPython kernel, show finestats errors with :func:`short_error`; True if installed."""
    try:
        from IPython import get_ipython  # present wherever a notebook runs
    except ImportError:  # pragma: no cover - plain Python
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((FinestatsError,), short_error)
    return True


def show_table(
    table: pd.DataFrame,
    *,
    top: int | None = None,
    caption: str = "",
    width: int | None = CELL_WIDTH,
) -> Any:
    """A table for reading in a notebook: :func:`finestats.formatting.readable`, no index column,
    and for long tables either the first ``top`` rows with a "top N of M" line or the whole table
    in a scrollable box. ``width``: the longest text shown in a cell (None: the whole text)."""
    from IPython.display import HTML  # present wherever a notebook runs

    shown = readable(table, width=width)
    index = not isinstance(table.index, pd.RangeIndex) and table.index.name is not None
    note = ""
    if top is not None and len(shown) > top:
        note = f"<p><em>Top {top} of {len(shown)} rows; the CSV file has them all.</em></p>"
        shown = shown.head(top)
    body = shown.to_html(index=index, escape=True, na_rep="", border=0, classes="finestats-table")
    table_id = "t" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:10]  # same table, same id
    body = body.replace("<table ", f'<table id="{table_id}" ', 1)
    dates = [  # a date is never broken at its hyphens ("2021-" over "02-10")
        n
        for n, col in enumerate(table.columns, start=2 if index else 1)
        if pd.api.types.is_datetime64_any_dtype(table[col])
    ]
    nowrap = ", ".join(f"#{table_id} td:nth-child({n})" for n in dates)
    css = f"<style>{nowrap} {{white-space: nowrap}}</style>" if dates else ""
    head = f"<p><strong>{html.escape(caption)}</strong></p>" if caption else ""
    style = "max-height:28em;overflow:auto" if len(shown) > 15 else ""
    return HTML(f'{css}{head}{note}<div style="{style}">{body}</div>')


def filters_note(ctx: Context) -> Any:
    """Where a notebook compares with figures others published: a Markdown line saying that the
    query's filters narrow finestats' side only (nothing without filters)."""
    from IPython.display import Markdown

    text = filters_text(ctx.query)
    if not text:
        return None
    return Markdown(
        f"*finestats' figures are narrowed by the filters ({escape_markdown(text)}); the "
        "published figures are not.*"
    )


def show_notes(ctx: Context) -> Any:
    """The context's notes as one Markdown paragraph (nothing when there are none)."""
    from IPython.display import Markdown

    return Markdown(" ".join(f"*{escape_markdown(n)}*" for n in ctx.notes)) if ctx.notes else None
