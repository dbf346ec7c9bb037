"""finestats: regulatory fines across currencies.

Load curated fine records, convert them to one currency at ECB reference rates (units per 1 EUR)
of each decision date, and total them by regulator and year without double counting.

>>> import finestats
>>> fines = finestats.load_fines()                      # data/raw/fines.csv, validated
>>> usd = finestats.convert(fines, "USD")               # + amount_usd, fx_rate, fx_date, fx_source
>>> finestats.totals(fines, ("regulator", "year"), "USD")
>>> finestats.totals(fines, "matter", query=finestats.Query(view="effective", as_of="2024-12-31"))
"""

from finestats._version import __version__
from finestats.conversion import convert
from finestats.coverage import load_coverage
from finestats.errors import FineDataError, FinestatsError, RatesError, ReportError, UsageError
from finestats.events import load_events
from finestats.export import export_csv
from finestats.query import Query, meta_of
from finestats.rates import RateTable
from finestats.records import load_fines
from finestats.snapshots import load_rates
from finestats.summary import pivot, totals

__all__ = [
    "FinestatsError",
    "FineDataError",
    "RatesError",
    "ReportError",
    "UsageError",
    "Query",
    "RateTable",
    "load_fines",
    "load_events",
    "load_coverage",
    "load_rates",
    "convert",
    "totals",
    "pivot",
    "meta_of",
    "export_csv",
    "__version__",
]
