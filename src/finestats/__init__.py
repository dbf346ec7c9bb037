"""finestats: regulatory fines across currencies.

Load curated fine records, convert them to one currency at ECB reference rates (units per 1 EUR)
of each decision date, and total them by regulator and year without double counting.
"""

from finestats.errors import FineDataError, FinestatsError, RatesError, UsageError
from finestats.records import load_fines

__version__ = "0.1.0"

__all__ = [
    "FinestatsError",
    "FineDataError",
    "RatesError",
    "UsageError",
    "load_fines",
    "__version__",
]
