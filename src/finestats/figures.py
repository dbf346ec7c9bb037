"""Published figures: ``published_figures.csv``, one row per figure a publisher published about
GDPR fines (a total in a currency, or a number of fines), exactly as published, with its cut-off,
the window it counts, its area and what the publisher says it includes (laws, notices of intent,
exchange-rate method). :mod:`finestats.reconcile` puts finestats' own figure beside each.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from finestats import paths
from finestats.csvtable import Checks, check_declared, read_cells, stripped_cells
from finestats.fileio import CACHE
from finestats.schema import FIGURES, names

FIGURE_COLUMNS: tuple[str, ...] = names(FIGURES)
FIGURES_NAME = "published_figures.csv"


def load_figures(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate a published-figures file (default: the one of the data folder); raise
    FineDataError naming file, line and column for each bad cell. Read once per file content."""
    p = paths.absolute(path) if path is not None else paths.reference(None, FIGURES_NAME)
    return CACHE.get([p], lambda: _load(p), "figures")


def _load(path: Path) -> pd.DataFrame:
    cells = read_cells(path, FIGURE_COLUMNS, what="published figures CSV file")
    frame = stripped_cells(cells)
    checks = Checks(cells, {c: i for i, c in enumerate(FIGURE_COLUMNS)})
    parsed = check_declared(checks, frame, FIGURES)
    checks.flag(
        (frame["figure_id"] != "").to_numpy(bool) & frame["figure_id"].duplicated().to_numpy(bool),
        "figure_id",
        "a unique figure_id",
    )
    is_total = (frame["measure"] == "total").to_numpy(bool)
    checks.flag(
        is_total & (frame["currency"] == "").to_numpy(bool),
        "currency",
        "the currency of a total",
    )
    cutoff = parsed["cutoff_date"]
    start = parsed["window_start"]
    checks.flag(cutoff < start, "cutoff_date", "a date on or after window_start")
    checks.raise_if_any()
    out = frame.copy()
    for col in ("published_date", "cutoff_date", "window_start"):
        out[col] = parsed[col].astype("datetime64[ns]")
    out["value"] = parsed["value"]
    out["value_unit"] = parsed["value_unit"]
    for col in ("fx_note", "notes", "currency"):
        out[col] = out[col].where(out[col] != "")
    return out
