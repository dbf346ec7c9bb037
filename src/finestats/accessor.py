"""The ``DataFrame.fines`` accessor: the same verbs as the library, on a records frame.

``fines.fines.convert("USD")``, ``fines.fines.totals("regulator", currency="SEK")``,
``fines.fines.pivot("EUR")``, ``fines.fines.counted(view="effective")``: each is the function of
the same name with the frame as its first argument (and the same settings). Importing finestats
registers it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from finestats.conversion import convert
from finestats.counting import counted
from finestats.totals import pivot, totals


@pd.api.extensions.register_dataframe_accessor("fines")
class FinesAccessor:
    """``df.fines.<verb>(...)`` is ``finestats.<verb>(df, ...)``."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def convert(self, *args: Any, **kw: Any) -> pd.DataFrame:
        """See :func:`finestats.convert`."""
        return convert(self._df, *args, **kw)

    def totals(self, *args: Any, **kw: Any) -> pd.DataFrame:
        """See :func:`finestats.totals`."""
        return totals(self._df, *args, **kw)

    def pivot(self, *args: Any, **kw: Any) -> pd.DataFrame:
        """See :func:`finestats.pivot`."""
        return pivot(self._df, *args, **kw)

    def counted(self, *args: Any, **kw: Any) -> pd.DataFrame:
        """See :func:`finestats.counting.counted`."""
        return counted(self._df, *args, **kw)
