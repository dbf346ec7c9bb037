"""Notebook support: the one parameter check each notebook calls after its ``parameters`` cell,
and how finestats errors look inside a notebook.

:func:`check_parameters` parses every parameter strictly (``"False"`` is not false, ``1e10`` is
not a year, dates are ``YYYY-MM-DD``), loads the records and rates, refuses a selection that
counts no fine, and returns a :class:`Context` whose methods are the library calls the notebook
makes. It also installs :func:`install_error_display`: a finestats error then shows as one short
red message instead of a traceback, while papermill still stops on it and records its name.
"""

from __future__ import annotations

import html
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from finestats import analyses, paths
from finestats.errors import FinestatsError, UsageError
from finestats.fileio import atomic_write_text
from finestats.formatting import readable
from finestats.parsing import parse_date, parse_text, parse_year
from finestats.query import Query
from finestats.rates import RateSource, RateTable
from finestats.records import load_fines
from finestats.snapshots import load_rates
from finestats.summary import pivot, select, totals

#: Where notebooks write when run by hand (git-ignored; a report passes its own folder).
DEFAULT_OUTPUT = Path("reports") / "notebook-output"


@dataclass(frozen=True)
class Context:
    """Checked notebook parameters: the records, the query, the rate table and the output folder;
    its methods are the library calls a notebook makes, all with that query and those rates."""

    df: pd.DataFrame
    query: Query
    rates: RateTable | RateSource
    output_dir: Path
    regulator: str | None = None
    fixed_date: str | None = None

    @property
    def currency(self) -> str:
        return self.query.currency

    def path(self, name: str) -> Path:
        """``output_dir / name`` (the folder is created when a file is first written to it)."""
        return self.output_dir / name

    def totals(self, by: str | Sequence[str], **changes: Any) -> pd.DataFrame:
        return totals(
            self.df,
            by,
            query=self.query.replace(**changes) if changes else self.query,
            rates=self.rates,
        )

    def pivot(self) -> pd.DataFrame:
        return pivot(self.df, query=self.query, rates=self.rates)

    def headline(self, table: pd.DataFrame) -> dict[str, Any]:
        return analyses.headline_figures(self.df, self.query, table, self.rates)

    def largest_fines(self, n: int = 10) -> pd.DataFrame:
        return analyses.largest_fines(self.df, self.query, n, self.rates)

    def currency_effect(self) -> pd.DataFrame:
        return analyses.currency_effect(self.df, self.query, self._regulator(), self.rates)

    def rate_conventions(self) -> pd.DataFrame:
        return analyses.rate_conventions(self.df, self.query, self.fixed_date, self.rates)

    def conversion_audit(self) -> pd.DataFrame:
        return analyses.conversion_audit(self.df, self.query, self.rates)

    def matter_decisions(self) -> pd.DataFrame:
        return analyses.matter_decisions(self.df, self.query, self.rates)

    def matter_events(self, decisions: pd.DataFrame) -> pd.DataFrame:
        return analyses.matter_events(self.df, decisions)

    def _regulator(self) -> str:
        if not self.regulator:
            raise UsageError("this notebook needs the parameter regulator, e.g. regulator = 'ICO'")
        return self.regulator


def check_parameters(
    *,
    currency: str = "EUR",
    start_year: Any = None,
    end_year: Any = None,
    regulators: Any = None,
    regulator: Any = None,
    defendant: Any = None,
    matter: Any = None,
    view: str = "imposed",
    include_provisional: Any = False,
    include_penalties: Any = True,
    complete_only: Any = False,
    as_of: Any = None,
    on: str = "decision_date",
    at: Any = None,
    real: Any = None,
    fixed_date: Any = None,
    data_path: Any = None,
    rates_path: Any = None,
    output_dir: Any = None,
    require_fines: bool = True,
) -> Context:
    """Check a notebook's parameters; raise one finestats error with one clear message for the
    first bad one; load the records and the rate table. ``output_dir`` defaults to
    ``reports/notebook-output`` (git-ignored) of the project the kernel runs in (so not inside
    ``notebooks/``), else of the current folder; it is created when the first file is written.

    A selection that counts no fine is an error ("no fines match ... the data covers ...")
    unless ``require_fines`` is False.
    """
    install_error_display()
    df = load_fines(_path("data_path", data_path))
    years = _years(df, start_year, end_year)
    one = parse_text("regulator", regulator)
    query = Query(
        currency=currency,
        view=view,
        years=years,
        regulators=((one,) if one else regulators or ()),
        defendant=defendant,
        matter=matter,
        include_provisional=include_provisional,
        include_penalties=include_penalties,
        complete_only=complete_only,
        as_of=as_of,
        on=on,
        at=at,
        real=real,
    )
    rates = load_rates(_rates(rates_path))
    known = getattr(rates, "currencies", None)
    if known and query.currency not in known:
        raise UsageError(
            f"currency={currency!r}: the rate table ({rates.source}) knows " + ", ".join(known)
        )
    rows = select(df, query)  # unknown regulators, matters, defendants fail here, by name
    if require_fines and rows.empty:
        first, last = int(df["year"].min()), int(df["year"].max())
        raise UsageError(
            f"no fines match these parameters: the data covers decisions of {first}-{last}"
        )
    query = query.replace(regulators=tuple(_canonical(df, query.regulators)))
    fixed = None if fixed_date is None else parse_date("fixed_date", fixed_date).isoformat()
    out = _path("output_dir", output_dir) or (paths.project_root() or Path.cwd()) / DEFAULT_OUTPUT
    return Context(df, query, rates, out, query.regulators[0] if one else None, fixed)


def _path(name: str, value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike) or str(value).strip() == "":
        raise UsageError(f"{name}={value!r}: expected a file or folder path, or None")
    return paths.absolute(value)


def _rates(value: Any) -> Any:
    if value is None or value in ("forex", "bundled"):
        return value
    return _path("rates_path", value)


def _years(df: pd.DataFrame, start: Any, end: Any) -> tuple[int, int] | None:
    lo = None if start is None else parse_year("start_year", start)
    hi = None if end is None else parse_year("end_year", end)
    if lo is None and hi is None:
        return None
    lo = lo if lo is not None else min(int(df["year"].min()), hi)
    hi = hi if hi is not None else max(int(df["year"].max()), lo)
    if lo > hi:
        raise UsageError(f"start_year {lo} is after end_year {hi}")
    return (lo, hi)


def _canonical(df: pd.DataFrame, names: Sequence[str]) -> list[str]:
    canon = {r.casefold(): r for r in df["regulator"].astype(str).unique()}
    return [canon[n.casefold()] for n in names]


# --------------------------------------------------------------------------------------------
# Errors in a notebook


def short_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> list[str]:
    """IPython custom exception handler: the error as a few short red lines (no traceback).
    IPython shows them as the cell's error output, so papermill still stops and records
    ``ename``/``evalue``."""
    lines = str(value).splitlines() or [""]
    head = f"\x1b[1;31m{etype.__name__}: {lines[0]}\x1b[0m"
    rest = [f"\x1b[31m{line}\x1b[0m" for line in lines[1:21]]
    if len(lines) > 21:
        rest.append(f"\x1b[31m... and {len(lines) - 21} more lines\x1b[0m")
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


def show_table(table: pd.DataFrame, *, top: int | None = None, caption: str = "") -> Any:
    """A table for reading in a notebook: :func:`finestats.formatting.readable`, no index column,
    and for long tables either the first ``top`` rows with a "top N of M" line or the whole table
    in a scrollable box."""
    from IPython.display import HTML  # present wherever a notebook runs

    shown = readable(table)
    index = not isinstance(table.index, pd.RangeIndex) and table.index.name is not None
    note = ""
    if top is not None and len(shown) > top:
        note = f"<p><em>Top {top} of {len(shown)} rows; the CSV file has them all.</em></p>"
        shown = shown.head(top)
    body = shown.to_html(index=index, escape=True, na_rep="", border=0, classes="finestats-table")
    head = f"<p><strong>{_escape(caption)}</strong></p>" if caption else ""
    style = "max-height:28em;overflow:auto" if len(shown) > 15 else ""
    return HTML(f'{head}{note}<div style="{style}">{body}</div>')


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


# --------------------------------------------------------------------------------------------
# Keeping committed notebooks clean


def stripped(nb: dict[str, Any]) -> dict[str, Any]:
    """A notebook without outputs, execution counts or per-cell UI state (tags and ids kept)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        cell["metadata"] = {k: v for k, v in meta.items() if k == "tags"}
    return nb


def notebook_text(nb: dict[str, Any]) -> str:
    """The JSON text JupyterLab (nbformat) writes: one-space indent, sorted keys, final newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def strip_outputs_hook(model: dict[str, Any], **_: Any) -> None:
    """A Jupyter server ``pre_save_hook``: notebooks are saved without outputs, so that an
    autosave never puts outputs into a tracked file (the browser keeps showing them)."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        stripped(model["content"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m finestats.notebook strip FILE...``: strip notebooks in place (``make strip``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "strip":
        print("usage: python -m finestats.notebook strip NOTEBOOK.ipynb...", file=sys.stderr)
        return 2
    for name in args[1:]:
        path = Path(name)
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = notebook_text(stripped(nb))
        if text != path.read_text(encoding="utf-8"):
            atomic_write_text(path, text)
            print(f"stripped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
