"""The report: every notebook in ``notebooks/`` run by papermill into ``out/<date>-<currency>/``.

Two halves:

* Notebook helpers. :func:`check_parameters` validates a notebook's parameters in the cell after
  the ``parameters`` cell and returns a :class:`Context` (records, rate table, the keyword
  arguments of :func:`finestats.summary.totals`); the other helpers build the tables the notebooks
  show and export, so the notebooks only call, draw and write.
* :func:`build_report` runs the notebooks (one kernel each, in file order), renders each as a
  self-contained HTML page with the code hidden, writes ``index.html`` and ``manifest.json``, and
  swaps the finished folder into place. It builds in ``out/.build-*`` so that the last good report
  is untouched when anything fails; a failed notebook is kept in ``out/failed-<date>-<cur>/``.

papermill and nbconvert are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from finestats.errors import FinestatsError, RatesError, UsageError

__all__ = [
    "Context",
    "ReportError",
    "build_report",
    "check_parameters",
    "conversion_audit",
    "currency_effect",
    "defendant_decisions",
    "headline_figures",
    "largest_fines",
    "rate_conventions",
    "write_json",
]

#: Files of the report folder that are not notebook outputs.
INDEX_NAME = "index.html"
MANIFEST_NAME = "manifest.json"
HEADLINE_NAME = "headline.json"
PACKAGES = ("finestats", "pandas", "matplotlib", "papermill", "nbconvert")
ON_CHOICES = ("decision_date", "announced_date")


class ReportError(FinestatsError):
    """A notebook failed while building the report.

    ``notebook`` is its file name, ``cell_index`` the 0-based index of the failing cell in the
    executed copy (None if the failure was not in a cell), ``ename``/``evalue`` the exception
    raised there and ``kept`` the path of the executed copy kept for debugging.
    """

    def __init__(
        self,
        notebook: str,
        *,
        cell_index: int | None = None,
        exec_count: int | None = None,
        ename: str = "",
        evalue: str = "",
        kept: Path | None = None,
    ):
        self.notebook = notebook
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.ename = ename
        self.evalue = evalue
        self.kept = kept
        super().__init__(str(self))

    def __str__(self) -> str:
        where = "failed"
        if self.cell_index is not None:
            where += f" in cell {self.cell_index}"
            if self.exec_count is not None:
                where += f" (In [{self.exec_count}])"
        what = f"{self.ename}: {self.evalue}" if self.ename else self.evalue
        what = " ".join(what.split())  # one line
        kept = f"; executed copy kept at {self.kept}" if self.kept else ""
        return f"notebook {self.notebook} {where}: {what}{kept}"


# --------------------------------------------------------------------------------------------
# Notebook helpers


@dataclass
class Context:
    """Validated notebook parameters, the loaded records and rate table.

    ``totals_kwargs`` holds the keyword arguments of :func:`finestats.summary.totals` (and
    :func:`~finestats.summary.pivot`) that the parameters mean, ``currency`` included.
    """

    df: pd.DataFrame
    rates: Any
    currency: str
    years: tuple[int, int] | None
    regulators: list[str]
    output_dir: Path | None
    totals_kwargs: dict[str, Any]
    regulator: str | None = None
    defendant: str | None = None
    fixed_date: str | None = None
    on: str = "decision_date"
    at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def select_kwargs(self) -> dict[str, Any]:
        """The :func:`finestats.summary.select` arguments among :attr:`totals_kwargs`."""
        keys = ("view", "include_provisional", "include_penalties", "years", "regulators")
        return {k: self.totals_kwargs[k] for k in keys if k in self.totals_kwargs}

    def path(self, name: str) -> Path:
        """``output_dir / name`` (the notebook's output folder)."""
        if self.output_dir is None:
            raise UsageError("no output_dir was given")
        return self.output_dir / name


def _year(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a year such as 2021, not {value!r}") from None
    if isinstance(value, float) and value != year:
        raise UsageError(f"{name} must be a whole year, not {value!r}")
    return year


def _date(name: str, value: Any) -> str:
    try:
        return pd.Timestamp(str(value)).date().isoformat()
    except (TypeError, ValueError):
        raise UsageError(f"{name}={value!r}: expected a date (YYYY-MM-DD)") from None


def check_parameters(
    *,
    currency: str = "EUR",
    start_year: int | None = None,
    end_year: int | None = None,
    regulators: list[str] | str | None = None,
    regulator: str | None = None,
    defendant: str | None = None,
    view: str = "imposed",
    include_provisional: bool = False,
    include_penalties: bool = True,
    on: str = "decision_date",
    at: str | None = None,
    fixed_date: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    rates_path: str | os.PathLike[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
) -> Context:
    """Validate notebook parameters; raise one :class:`UsageError`/:class:`RatesError` with one
    clear message for the first bad one; load the records and the rate table.

    Checks: ``currency`` is in the rate table; ``start_year <= end_year``; every regulator
    (``regulators`` or ``regulator``) is in the data; ``defendant`` matches some record
    (case-insensitive substring); ``view``, ``on``, ``at`` and ``fixed_date`` are valid. Creates
    ``output_dir`` (if given).
    """
    from finestats.rates import load_rates
    from finestats.records import load_fines
    from finestats.summary import VIEWS, parse_years, select

    if not isinstance(currency, str) or not currency.strip():
        raise RatesError(f"currency must be an ISO 4217 code such as EUR, not {currency!r}")
    cur = currency.strip().upper()
    table = load_rates("forex" if str(rates_path) == "forex" else rates_path)
    known = list(getattr(table, "currencies", []) or [])
    if known and cur not in known:
        raise RatesError(
            f"unknown currency {cur!r}: the rate table ({table.source}) knows " + ", ".join(known)
        )
    if view not in VIEWS:
        raise UsageError(f"unknown view {view!r}: expected one of {', '.join(VIEWS)}")
    if on not in ON_CHOICES:
        raise UsageError(f"on={on!r}: expected one of {', '.join(ON_CHOICES)}")
    if at is not None and str(at).strip().lower() != "year-average":
        at = _date("at", at)
    if fixed_date is not None:
        fixed_date = _date("fixed_date", fixed_date)

    df = load_fines(data_path)
    start, end = _year("start_year", start_year), _year("end_year", end_year)
    years = None
    if start is not None or end is not None:
        lo = start if start is not None else min(int(df["year"].min()), end or 0)
        hi = end if end is not None else max(int(df["year"].max()), start or 0)
        years = parse_years((lo, hi))  # raises: start year after end year
    regs = [regulators] if isinstance(regulators, str) else list(regulators or [])
    regs = [str(r).strip() for r in regs if str(r).strip()]
    if regulator is not None and not str(regulator).strip():
        raise UsageError("regulator must name a regulator such as ICO")
    if defendant is not None and not str(defendant).strip():
        raise UsageError("defendant must be a name (or part of one), such as 'Clearview AI'")
    one = [str(regulator).strip()] if regulator is not None else []
    # Unknown regulator / defendant: the library's own messages.
    select(df, regulators=(one + regs) or None, defendant=defendant or None)
    canon = {r.casefold(): r for r in df["regulator"].astype(str).unique()}
    regs = [canon[r.casefold()] for r in (one or regs)]  # canonical spelling

    out = None
    if output_dir is not None:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "currency": cur,
        "view": view,
        "include_provisional": bool(include_provisional),
        "include_penalties": bool(include_penalties),
        "years": years,
        "regulators": regs or None,
        "on": on,
        "at": at,
        "rates": table,
    }
    return Context(
        df=df,
        rates=table,
        currency=cur,
        years=years,
        regulators=regs,
        output_dir=out,
        totals_kwargs=kwargs,
        regulator=regs[0] if regulator is not None else None,
        defendant=defendant,
        fixed_date=fixed_date,
        on=on,
        at=at,
    )


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted UTF-8 JSON, atomically."""
    from finestats.export import atomic_write_text

    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return atomic_write_text(path, text)


def _with_meta(table: pd.DataFrame, ctx: Context, **extra: Any) -> pd.DataFrame:
    meta = {
        "currency": ctx.currency,
        "on": ctx.on,
        "at": ctx.at,
        "view": ctx.totals_kwargs["view"],
        "include_provisional": ctx.totals_kwargs["include_provisional"],
        "include_penalties": ctx.totals_kwargs["include_penalties"],
        "years": list(ctx.years) if ctx.years else None,
        "regulators": ctx.regulators,
        "rate_source": ctx.rates.source,
        "rate_snapshot": f"{ctx.rates.snapshot_date:%Y-%m-%d}",
        "data_path": ctx.df.attrs.get("source_path"),
    }
    meta.update(extra)
    table.attrs["finestats"] = meta
    return table


def headline_figures(ctx: Context, table: pd.DataFrame) -> dict[str, Any]:
    """Total, count and largest fine of a totals table, with the largest fine's identity and the
    conventions, for ``headline.json`` and the report index."""
    from finestats.plots import convention, view_text
    from finestats.rates import convert
    from finestats.summary import headline, select

    head: dict[str, Any] = dict(headline(table))
    meta = table.attrs.get("finestats", {})
    rows = select(ctx.df, **ctx.select_kwargs)
    largest = None
    if len(rows):
        conv = convert(rows, ctx.currency, on=ctx.on, at=ctx.at, rates=ctx.rates)
        col = f"amount_{ctx.currency.lower()}"
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
        currency=ctx.currency,
        convention=convention(meta),
        view=view_text(meta),
        rate_snapshot=meta.get("rate_snapshot"),
        years=list(ctx.years) if ctx.years else None,
        regulators=ctx.regulators,
        largest=largest,
    )
    if head["n_fines"] == 0:
        head["max"] = None
    return head


def headline_markdown(head: dict[str, Any]) -> str:
    """The headline figures as a short Markdown paragraph."""
    from finestats.plots import format_amount

    cur = head["currency"]
    lines = [
        f"**Total: {format_amount(head['total'], cur)}** across **{head['n_fines']} fines**"
        f" ({head['convention']}).",
    ]
    if head.get("largest"):
        big = head["largest"]
        lines.append(
            f"Largest fine: **{format_amount(head['max'], cur)}**, {big['regulator']} against"
            f" {big['defendant']} ({big['decision_date']})."
        )
    lines.append(f"Counting view: {head['view']}; ECB rate snapshot {head['rate_snapshot']}.")
    return "\n\n".join(lines)


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: amount columns with thousands separators and no decimals."""
    out = table.copy()
    for col in out.columns:
        name = str(col)
        if pd.api.types.is_float_dtype(out[col]) and (
            name.startswith(("total_", "median_", "max_", "amount_"))
            or name.isdigit()
            or name in ("Total", "amount")
        ):
            out[col] = out[col].map(lambda v: "n/a" if pd.isna(v) else f"{v:,.0f}")
    return out


def own_currency(ctx: Context, regulator: str) -> str:
    """The currency a regulator decides in (the most frequent among its records)."""
    rows = ctx.df[ctx.df["regulator"].astype(str) == regulator]
    counts = rows["currency"].astype(str).value_counts()
    return str(sorted(counts.index, key=lambda c: (-counts[c], c))[0])


def _counted_converted(ctx: Context) -> pd.DataFrame:
    """The counted fines (after the parameters' filters) converted to ``ctx.currency``."""
    from finestats.rates import convert
    from finestats.summary import select

    rows = select(ctx.df, **ctx.select_kwargs)
    return convert(rows, ctx.currency, on=ctx.on, at=ctx.at, rates=ctx.rates)


def largest_fines(ctx: Context, n: int = 10) -> pd.DataFrame:
    """The ``n`` largest counted fines (after the parameters' filters) in ``ctx.currency``, with
    the amount as decided and the rate used."""
    cur = ctx.currency.lower()
    conv = _counted_converted(ctx)
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
    out = conv.sort_values([f"amount_{cur}", "fine_id"], ascending=[False, True], kind="stable")
    out = out[cols].head(n).reset_index(drop=True)
    for c in ("regulator", "currency", "status"):
        out[c] = out[c].astype(str)
    return _with_meta(out, ctx)


def currency_effect(ctx: Context, regulator: str) -> pd.DataFrame:
    """Per year: a regulator's totals in its own currency and in ``ctx.currency``, and the
    implied average rate (target units per unit of its own currency).

    Columns ``year``, ``n_fines``, ``total_<own>``, ``total_<cur>`` (one column when they are the
    same currency), ``implied_rate``.
    """
    from finestats.summary import totals

    own = own_currency(ctx, regulator)
    kw = {**ctx.totals_kwargs, "regulators": [regulator]}
    kw.pop("currency")
    own_t = totals(ctx.df, "year", own, **kw)
    oc, tc = f"total_{own.lower()}", f"total_{ctx.currency.lower()}"
    out = own_t[["year", "n_fines", oc]]
    if tc != oc:
        target = totals(ctx.df, "year", ctx.currency, **kw)
        out = out.merge(target[["year", tc]], on="year", how="outer")
    out["implied_rate"] = out[tc] / out[oc]
    out = out.sort_values("year", kind="stable").reset_index(drop=True)
    return _with_meta(out, ctx, own_currency=own, regulator=regulator)


def rate_conventions(ctx: Context, fixed_date: str | None = None) -> pd.DataFrame:
    """Totals per year in ``ctx.currency`` under three conventions, side by side: the ECB rate of
    each fine's date (``on``), every fine at ``fixed_date``'s rates, and each year's average.

    Columns ``year``, ``n_fines``, ``total_<cur>_decision_date`` (or ``_announced_date``),
    ``total_<cur>_at_<YYYY_MM_DD>``, ``total_<cur>_year_average``, and ``not_converted``: the
    fine_ids that have no rate under a convention (e.g. HRK after the ECB stopped fixing it, or a
    year not yet over for the average). A year with such a fine shows no total (NaN) for that
    convention rather than a partial one.
    """
    from finestats.summary import totals

    fixed = fixed_date or ctx.fixed_date or "2024-12-31"
    cur = ctx.currency.lower()
    kw = {k: v for k, v in ctx.totals_kwargs.items() if k not in ("currency", "at")}
    base = totals(ctx.df, "year", ctx.currency, **kw, at=None)
    out = base[["year", "n_fines", f"total_{cur}"]].rename(
        columns={f"total_{cur}": f"total_{cur}_{ctx.on}"}
    )
    missing: dict[int, list[str]] = {}
    for at, name in (
        (fixed, f"total_{cur}_at_{fixed.replace('-', '_')}"),
        ("year-average", f"total_{cur}_year_average"),
    ):
        try:
            t = totals(ctx.df, "year", ctx.currency, **kw, at=at)
            values = dict(zip(t["year"], t[f"total_{cur}"], strict=True))
        except RatesError:
            values = {}
            for year in out["year"]:
                one = {**kw, "years": (int(year), int(year))}
                try:
                    t = totals(ctx.df, "year", ctx.currency, **one, at=at)
                    values[year] = float(t[f"total_{cur}"].sum())
                except RatesError as exc:
                    values[year] = float("nan")
                    missing.setdefault(int(year), []).extend(_fine_ids(str(exc)))
        out[name] = out["year"].map(values).astype("float64")
    out["not_converted"] = [" ".join(sorted(set(missing.get(int(y), [])))) for y in out["year"]]
    return _with_meta(out, ctx, fixed_date=fixed)


def rate_conventions_wide(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_conventions` as a year-indexed table with one column per convention, named
    in words (for :func:`finestats.plots.compare_by_year`)."""
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


def _fine_ids(message: str) -> list[str]:
    found = re.findall(r"fine_ids?:? ([^\n]+)", message)
    return [i.strip() for part in found for i in part.split(",") if i.strip()]


def conversion_audit(ctx: Context) -> pd.DataFrame:
    """Each counted fine (after the parameters' filters) with its conversion: amount as decided,
    amount in ``ctx.currency``, the rate (target per source unit), the fixing date and source."""
    cur = ctx.currency.lower()
    conv = _counted_converted(ctx)
    cols = [
        "fine_id",
        "regulator",
        "defendant",
        ctx.on,
        "status",
        "amount",
        "currency",
        f"amount_{cur}",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    out = conv[cols].reset_index(drop=True)
    for c in ("regulator", "currency", "status", "fx_source"):
        out[c] = out[c].astype(str)
    return _with_meta(out, ctx)


def defendant_decisions(ctx: Context) -> pd.DataFrame:
    """Every record against ``ctx.defendant`` (case-insensitive substring), whatever its status
    (provisional, final, penalty, reduced, annulled), within the year and regulator filters,
    converted to ``ctx.currency``; sorted by decision date."""
    from finestats.rates import convert

    df = ctx.df
    mask = df["defendant"].str.contains(ctx.defendant or "", case=False, regex=False)
    mask = mask.fillna(False)
    if ctx.years:
        mask &= df["year"].between(*ctx.years)
    if ctx.regulators:
        mask &= df["regulator"].astype(str).isin(ctx.regulators)
    rows = df[mask.to_numpy()]
    conv = convert(rows, ctx.currency, on=ctx.on, at=ctx.at, rates=ctx.rates)
    cur = ctx.currency.lower()
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
    out = conv[cols].sort_values(["decision_date", "fine_id"], kind="stable")
    out = out.reset_index(drop=True)
    for c in ("regulator", "currency", "status", "fx_source"):
        out[c] = out[c].astype(str)
    return _with_meta(
        out,
        ctx,
        view="all records of the defendant (every status; nothing totalled)",
        defendant=ctx.defendant,
    )


# --------------------------------------------------------------------------------------------
# Building the report


def default_notebooks_dir() -> Path:
    """``notebooks/`` of the source tree (finestats is installed in development mode)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def _notebooks(notebooks_dir: Path) -> list[Path]:
    found = sorted(p for p in notebooks_dir.glob("*.ipynb") if re.match(r"\d", p.name))
    if not found:
        raise UsageError(f"no notebooks (NN-name.ipynb) in {notebooks_dir}")
    return found


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _say(progress: bool, text: str, end: str = "\n") -> None:
    if progress:
        print(text, end=end, file=sys.stderr, flush=True)


def _html_exporter() -> Any:
    """nbconvert's lab HTML exporter with the code hidden and no external scripts (require.js,
    MathJax, mermaid are left out: the pages are self-contained; images are embedded)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    template = (
        "{%- extends 'index.html.j2' -%}\n"
        "{% block html_head_js %}{% endblock html_head_js %}\n"
        "{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}\n"
        "{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}\n"
    )
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"finestats-report.html.j2": template})],
        template_file="finestats-report.html.j2",
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    return exporter


def _title(nb_path: Path) -> str:
    """The first Markdown heading of a notebook, else its file name."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", ""))
            m = re.search(r"^#+\s*(.+)$", text, flags=re.M)
            if m:
                return m.group(1).strip()
    return nb_path.stem


def _resolve_paths(params: dict[str, Any]) -> dict[str, Any]:
    """Make ``data_path``/``rates_path`` absolute: notebooks run in the notebooks folder."""
    out = dict(params)
    for key in ("data_path", "rates_path"):
        value = out.get(key)
        if value not in (None, "", "forex"):
            out[key] = str(Path(str(value)).expanduser().resolve())
    return out


def _replace_dir(build: Path, final: Path) -> None:
    """Rename ``build`` to ``final``; an existing ``final`` is moved aside first, then deleted."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(final, old)
    try:
        os.replace(build, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _quiet_kernel_manager(log_path: Path) -> type:
    """A kernel manager class whose kernel writes its stdout/stderr (connection warnings, shutdown
    noise) to ``log_path`` instead of the terminal, so the progress display stays readable."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_start_kernel(self, **kw: Any) -> None:
            with open(log_path, "ab") as log:  # the kernel process keeps its own descriptor
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_start_kernel(**kw)

        start_kernel = _async_start_kernel

    return QuietKernelManager


def _keep_failed(executed: Path, failed_dir: Path, log: Path | None = None) -> Path | None:
    """Move the failed executed notebook (and the kernel log, if given and not empty) into
    ``failed_dir``, replacing what an earlier failure left there. Returns the notebook's path."""
    shutil.rmtree(failed_dir, ignore_errors=True)
    failed_dir.mkdir(parents=True, exist_ok=True)
    if log is not None and log.is_file() and log.stat().st_size:
        shutil.move(str(log), failed_dir / f"{executed.stem}.kernel.log")
    if not executed.exists():
        return None
    target = failed_dir / executed.name
    shutil.move(str(executed), target)
    return target


def build_report(
    currency: str = "EUR",
    parameters: dict[str, Any] | None = None,
    out: str | os.PathLike[str] = "reports",
    progress: bool = True,
    *,
    notebooks_dir: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    today: dt.date | None = None,
    jobs: int | None = None,
) -> Path:
    """Run every notebook into ``out/<YYYY-MM-DD>-<CURRENCY>/`` and return that folder.

    Each notebook gets ``currency``, ``output_dir`` (the report folder) and those of
    ``parameters`` it declares in its ``parameters`` cell; a parameter no notebook declares is a
    UsageError. Parameters are validated (:func:`check_parameters`) before any kernel starts.
    The folder holds each executed ``.ipynb``, its HTML page (code hidden, self-contained), the
    charts (PNG, SVG) and CSV summaries the notebooks wrote, ``index.html`` and ``manifest.json``.

    Notebooks run ``jobs`` at a time (default: the number of CPUs), each in its own kernel.
    Built in ``out/.build-*`` and renamed into place at the end, so a failure leaves the previous
    report untouched. A failing notebook raises :class:`ReportError` naming the notebook and the
    cell; its executed copy is kept in ``out/failed-<YYYY-MM-DD>-<CURRENCY>/``.
    """
    import inspect

    import papermill as pm

    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    notebooks = _notebooks(nb_dir)
    params = dict(parameters or {})
    cur = str(params.pop("currency", currency) or "").strip().upper()
    if "output_dir" in params:
        raise UsageError("output_dir is set by the report; pass --out instead")
    declared = {nb.name: dict(pm.inspect_notebook(str(nb))) for nb in notebooks}
    all_declared = sorted({name for names in declared.values() for name in names})
    unknown = sorted(set(params) - set(all_declared))
    if unknown:
        raise UsageError(
            f"unknown parameter {', '.join(unknown)}: the notebooks declare "
            + ", ".join(n for n in all_declared if n != "output_dir")
        )
    params = _resolve_paths(params)
    checkable = set(inspect.signature(check_parameters).parameters) - {"output_dir"}
    ctx = check_parameters(currency=cur, **{k: v for k, v in params.items() if k in checkable})

    day = (today or dt.date.today()).isoformat()
    name = f"{day}-{cur}"
    out_dir = Path(out).resolve()  # kernels run elsewhere: relative paths would break
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    failed_dir = out_dir / f"failed-{name}"
    n_jobs = max(1, min(len(notebooks), jobs or os.cpu_count() or 1))
    build = Path(tempfile.mkdtemp(prefix=f".build-{name}-", dir=out_dir))
    build.chmod(0o755)
    logs = Path(tempfile.mkdtemp(prefix=f".logs-{name}-", dir=out_dir))
    t_start = time.perf_counter()
    _say(progress, f"finestats report: {len(notebooks)} notebooks, {n_jobs} at a time -> {final}")
    try:
        runs = []
        for nb in notebooks:
            nb_params = {k: v for k, v in params.items() if k in declared[nb.name]}
            if "currency" in declared[nb.name]:
                nb_params["currency"] = cur
            work = build / f".work-{nb.stem}"  # own output folder: attribution, no clobbering
            work.mkdir()
            if "output_dir" in declared[nb.name]:
                nb_params["output_dir"] = str(work.resolve())
            runs.append(_Run(nb, build / nb.name, work, logs / f"{nb.stem}.log", nb_params))
        results, failures = _run_all(runs, n_jobs, kernel_name, nb_dir, progress, build)
        if failures:
            run, exc = min(failures, key=lambda f: runs.index(f[0]))
            others = [f[0].nb.name for f in failures if f[0] is not run]
            raise _report_error(run, exc, failed_dir, others)
        data_path = Path(ctx.df.attrs.get("source_path", ""))
        ordered = [results[r.nb.name] for r in runs]
        manifest = _manifest(
            cur, params, ctx, data_path, ordered, day, time.perf_counter() - t_start
        )
        write_json(build / MANIFEST_NAME, manifest)
        (build / INDEX_NAME).write_text(_index_html(build, manifest), encoding="utf-8")
        _replace_dir(build, final)
        if failed_dir.exists():  # a good report supersedes an earlier failure of the same day
            shutil.rmtree(failed_dir, ignore_errors=True)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    _say(progress, f"finestats report: done in {time.perf_counter() - t_start:.1f} s")
    return final


@dataclass
class _Run:
    nb: Path
    executed: Path
    work: Path
    log: Path
    params: dict[str, Any]


def _execute(run: _Run, kernel_name: str, cwd: Path) -> tuple[float, BaseException | None]:
    """Run one notebook with papermill; return its duration and the exception, if any."""
    import papermill as pm

    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(run.nb),
            str(run.executed),
            parameters=run.params,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(cwd),
            kernel_manager_class=_quiet_kernel_manager(run.log),
        )
    except Exception as exc:
        return time.perf_counter() - t0, exc
    return time.perf_counter() - t0, None


def _run_all(
    runs: list[_Run], n_jobs: int, kernel_name: str, cwd: Path, progress: bool, build: Path
) -> tuple[dict[str, dict[str, Any]], list[tuple[_Run, BaseException]]]:
    """Run the notebooks ``n_jobs`` at a time (one kernel each); as each finishes, move the files
    it wrote into ``build`` and render its HTML page. After a failure no new notebook starts."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    results: dict[str, dict[str, Any]] = {}
    failures: list[tuple[_Run, BaseException]] = []
    done = 0
    with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="finestats-nb") as pool:
        futures = {pool.submit(_execute, run, kernel_name, cwd): run for run in runs}
        exporter = _html_exporter()  # built while the first kernels start
        for fut in as_completed(futures):
            run = futures[fut]
            if fut.cancelled():  # not started after an earlier failure
                continue
            duration, exc = fut.result()
            done += 1
            label = f"  [{done}/{len(runs)}] {run.nb.stem}"
            if exc is not None:
                _say(progress, f"{label} FAILED ({duration:.1f} s)")
                failures.append((run, exc))
                for other in futures:
                    other.cancel()  # those not started yet
                continue
            if failures:
                continue
            made = _collect(run, build)
            body, _ = exporter.from_filename(str(run.executed))
            (build / f"{run.nb.stem}.html").write_text(body, encoding="utf-8")
            _say(progress, f"{label} ok ({duration:.1f} s)")
            results[run.nb.name] = {
                "notebook": run.nb.name,
                "title": _title(run.nb),
                "executed": run.nb.name,
                "html": f"{run.nb.stem}.html",
                "status": "ok",
                "duration_s": round(duration, 2),
                "parameters": {k: v for k, v in run.params.items() if k != "output_dir"},
                "files": made,
            }
    return results, failures


def _collect(run: _Run, build: Path) -> list[str]:
    """Move what a notebook wrote into the report folder, in the order it wrote them."""
    files = sorted(
        (p for p in run.work.iterdir() if not p.name.startswith(".")),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    for p in files:
        if (build / p.name).exists():
            raise UsageError(f"{run.nb.name} writes {p.name}, which another notebook also writes")
        os.replace(p, build / p.name)
    shutil.rmtree(run.work, ignore_errors=True)
    return [p.name for p in files]


def _report_error(
    run: _Run, exc: BaseException, failed_dir: Path, others: list[str]
) -> ReportError:
    from papermill.exceptions import PapermillExecutionError

    more = f" (also failed: {', '.join(others)})" if others else ""
    if isinstance(exc, PapermillExecutionError):
        kept = _keep_failed(run.executed, failed_dir)
        err = ReportError(
            run.nb.name,
            cell_index=exc.cell_index,
            exec_count=exc.exec_count,
            ename=exc.ename,
            evalue=exc.evalue + more,
            kept=kept,
        )
    else:
        kept = _keep_failed(run.executed, failed_dir, run.log)
        err = ReportError(run.nb.name, ename=type(exc).__name__, evalue=str(exc) + more, kept=kept)
        err.__cause__ = exc
    return err


def _manifest(
    cur: str,
    params: dict[str, Any],
    ctx: Context,
    data_path: Path,
    results: list[dict[str, Any]],
    day: str,
    seconds: float,
) -> dict[str, Any]:
    from finestats.records import file_sha256

    return {
        "report": f"{day}-{cur}",
        "date": day,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "currency": cur,
        "parameters": {"currency": cur, **params},
        "rate_source": ctx.rates.source,
        "rate_snapshot": f"{ctx.rates.snapshot_date:%Y-%m-%d}",
        "data_file": str(data_path),
        "data_sha256": file_sha256(data_path) if data_path.is_file() else None,
        "versions": _versions(),
        "python": sys.version.split()[0],
        "duration_s": round(seconds, 2),
        "notebooks": results,
    }


_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: .2rem; } .sub { color: #555; margin-top: 0; }
.headline { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.2rem 0; }
.figure { background: #f4f6f8; border-radius: 8px; padding: .8rem 1.1rem; min-width: 12rem; }
.figure .v { font-size: 1.6rem; font-weight: 700; } .figure .k { color: #555; font-size: .9rem; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; padding-top: .5rem; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5rem 0; }
.files { font-size: .9rem; color: #444; }
footer { color: #666; font-size: .85rem; margin-top: 2rem; }
"""


def _index_html(folder: Path, manifest: dict[str, Any]) -> str:
    from finestats.plots import format_amount

    e = html.escape
    cur = manifest["currency"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>finestats report {e(manifest['report'])}</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        f"<h1>Regulatory fines in {e(cur)}</h1>",
        f'<p class="sub">Report of {e(manifest["date"])}; ECB reference rates, snapshot '
        f"{e(manifest['rate_snapshot'])} ({e(manifest['rate_source'])}).</p>",
    ]
    head_file = folder / HEADLINE_NAME
    if head_file.is_file():
        head = json.loads(head_file.read_text(encoding="utf-8"))
        largest = head.get("largest") or {}
        figures = [
            (format_amount(head["total"], cur), "total"),
            (f"{head['n_fines']}", "fines counted"),
            (
                format_amount(head["max"], cur) if head.get("max") is not None else "n/a",
                "largest fine"
                + (
                    f": {largest.get('regulator')} against {largest.get('defendant')}"
                    f" ({largest.get('decision_date')})"
                    if largest
                    else ""
                ),
            ),
        ]
        parts.append('<div class="headline">')
        for value, label in figures:
            parts.append(
                f'<div class="figure"><div class="v">{e(value)}</div>'
                f'<div class="k">{e(label)}</div></div>'
            )
        parts.append("</div>")
        parts.append(
            f"<p>{e(head.get('convention', ''))}. Counting view: {e(head.get('view', ''))}.</p>"
        )
    for nb in manifest["notebooks"]:
        parts.append("<section>")
        parts.append(f'<h2><a href="{e(nb["html"])}">{e(nb["title"])}</a></h2>')
        parts.append(
            f'<p class="files">Notebook <a href="{e(nb["executed"])}">{e(nb["executed"])}</a>'
            f" ({e(nb['status'])}, {nb['duration_s']:.1f} s)"
        )
        data_files = [f for f in nb["files"] if f.endswith((".csv", ".svg", ".json"))]
        if data_files:
            links = ", ".join(f'<a href="{e(f)}">{e(f)}</a>' for f in data_files)
            parts.append(f"; files: {links}")
        parts.append("</p>")
        for png in (f for f in nb["files"] if f.endswith(".png")):
            alt = png.removesuffix(".png").replace("_", " ")
            parts.append(f'<a href="{e(png)}"><img src="{e(png)}" alt="{e(alt)}"></a>')
        parts.append("</section>")
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    parts.append(
        f"<footer>Data file {e(Path(manifest['data_file']).name)} (SHA-256 "
        f"{e(str(manifest['data_sha256']))}). {e(versions)}. "
        f'<a href="{MANIFEST_NAME}">manifest.json</a></footer>'
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)
