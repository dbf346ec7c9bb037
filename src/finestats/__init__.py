"""finestats: regulatory fines across currencies.

Load curated fine records, convert them to one currency at ECB reference rates (units per 1 EUR)
of each decision date, and total them by regulator and year without double counting.

>>> import finestats
>>> fines = finestats.load_fines()                      # data/raw/fines.csv, validated
>>> usd = finestats.convert(fines, "USD")               # + amount_usd, fx_rate, fx_date, fx_source
>>> finestats.totals(fines, ("regulator", "year"), "USD")
"""

from finestats.errors import FineDataError, FinestatsError, RatesError, UsageError
from finestats.export import export_csv
from finestats.rates import RateTable, convert, load_rates
from finestats.records import load_fines
from finestats.summary import pivot, totals

__version__ = "0.1.0"

__all__ = [
    "FinestatsError",
    "FineDataError",
    "RatesError",
    "UsageError",
    "RateTable",
    "load_fines",
    "load_rates",
    "convert",
    "totals",
    "pivot",
    "export_csv",
    "__version__",
]
