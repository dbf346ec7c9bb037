"""finestats: regulatory fines across currencies.

Load curated fine records, convert them to one currency at ECB reference rates (units per 1 EUR)
of each decision date, and total them by regulator and year without double counting.

>>> import finestats
>>> data = finestats.load()                             # records, court events, scope, prices
>>> usd = finestats.convert(data.fines, "USD")          # + amount_usd, fx_rate, fx_date, fx_source
>>> finestats.totals(data, ("regulator", "year"), "USD")
>>> finestats.totals(data, "matter", query=finestats.Query(view="effective", as_of="2024-12-31"))
>>> finestats.explore(data, currency="SEK")              # in JupyterLab: controls, chart, table
"""

from typing import TYPE_CHECKING, Any

from finestats import accessor as _accessor  # noqa: F401 (registers DataFrame.fines)
from finestats._version import __version__
from finestats.collection import Collection, load
from finestats.conversion import convert
from finestats.counting import counted, select
from finestats.coverage import load_coverage
from finestats.errors import FineDataError, FinestatsError, RatesError, ReportError, UsageError
from finestats.events import load_events
from finestats.export import export_csv
from finestats.query import Query, meta_of
from finestats.rates import RateTable, load_rates
from finestats.reconcile import crosscheck
from finestats.records import load_fines
from finestats.totals import pivot, totals

if TYPE_CHECKING:
    from finestats.explorer import explore


def __getattr__(name: str) -> Any:
    """``finestats.explore`` is imported when first used: the explorer (ipywidgets, charts) is
    for JupyterLab, and ``import finestats`` stays light for scripts and the CLI."""
    if name == "explore":
        from finestats.explorer import explore

        return explore
    raise AttributeError(f"module 'finestats' has no attribute {name!r}")


__all__ = [
    "FinestatsError",
    "FineDataError",
    "RatesError",
    "ReportError",
    "UsageError",
    "Collection",
    "Query",
    "RateTable",
    "load",
    "load_fines",
    "load_events",
    "load_coverage",
    "load_rates",
    "convert",
    "counted",
    "select",
    "totals",
    "pivot",
    "crosscheck",
    "meta_of",
    "export_csv",
    "explore",
    "__version__",
]
