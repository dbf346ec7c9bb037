"""The declared scope of the collection: ``coverage.csv``, one row per regulator (and law set).

Each row claims that the collection holds **every** fine of that regulator decided in
``period_start``..``period_end`` under one of ``laws`` whose amount is at least ``threshold_eur``
(the EUR equivalent at the ECB rate of its decision date; 0 = every fine), says when that was
last checked and how. Records outside every row's claim are a sample. ``complete_only``
selections keep just the records inside the claims, so that regulators compare on equal terms.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.csvtable import Checks, read_cells
from finestats.parsing import strict_dates
from finestats.records import source_of

COVERAGE_COLUMNS: tuple[str, ...] = (
    "regulator",
    "regulator_name",
    "country",
    "period_start",
    "period_end",
    "threshold_eur",
    "laws",
    "last_checked",
    "method",
    "notes",
)


def load_coverage(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load and validate a coverage file: dates as datetime64[ns], ``threshold_eur`` float,
    ``laws`` as text (``;``-separated). Raises FineDataError with file:line problems."""
    p = paths.absolute(path)
    cells = read_cells(p, COVERAGE_COLUMNS, what="coverage CSV file")
    frame = cells.frame.apply(lambda s: s.str.strip())
    checks = Checks(cells, {c: i for i, c in enumerate(COVERAGE_COLUMNS)})
    checks.required([c for c in COVERAGE_COLUMNS if c != "notes"])
    out = frame.copy()
    for col in ("period_start", "period_end", "last_checked"):
        days, bad = strict_dates(frame[col])
        checks.flag(bad, col, "an ISO date (YYYY-MM-DD)")
        out[col] = days.astype("datetime64[ns]")
    checks.flag(out["period_end"] < out["period_start"], "period_end", "a date after period_start")
    thr = frame["threshold_eur"]
    ok = thr.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(bool)
    checks.flag(
        (thr != "").to_numpy(bool) & ~ok,
        "threshold_eur",
        "a whole number of euros (0 = every fine)",
    )
    key = frame["regulator"] + "|" + frame["laws"]
    checks.flag(key.duplicated().to_numpy(bool), "laws", "one row per regulator and set of laws")
    checks.raise_if_any()
    out["threshold_eur"] = pd.to_numeric(thr.where(ok), errors="coerce").astype("float64")
    out["notes"] = out["notes"].where(out["notes"] != "")
    return out


def coverage_path(fines_path: str | os.PathLike[str]) -> Path:
    return paths.companion(fines_path, paths.COVERAGE_NAME)


def coverage_for(df: pd.DataFrame) -> pd.DataFrame | None:
    """The coverage file beside the file a records frame was loaded from, or None."""
    src = source_of(df)
    if src is None:
        return None
    path = coverage_path(src.path)
    if not path.is_file():
        return None
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_coverage(path)
    return _CACHE[key]


_CACHE: dict[tuple, pd.DataFrame] = {}


def law_names(law: pd.Series) -> pd.Series:
    """Each record's laws as a set of names (``law`` is ``;``-separated)."""
    return (
        law.fillna("")
        .astype(str)
        .map(lambda s: frozenset(x.strip() for x in s.split(";") if x.strip()))
    )


def in_scope(df: pd.DataFrame, coverage: pd.DataFrame, amount_eur: np.ndarray) -> np.ndarray:
    """Mask of the records inside some row's claim: same regulator, decision date in the period,
    a law in the row's laws, and ``amount_eur`` (the record's amount in EUR at its decision date)
    at least the threshold."""
    inside = np.zeros(len(df), dtype=bool)
    regulator = df["regulator"].astype(str).to_numpy(object)
    decided = df["decision_date"].to_numpy("datetime64[ns]")
    laws = law_names(df["law"]).to_numpy(object)
    for row in coverage.itertuples(index=False):
        claimed = frozenset(x.strip() for x in str(row.laws).split(";") if x.strip())
        law_ok = np.fromiter((bool(ls & claimed) for ls in laws), dtype=bool, count=len(df))
        inside |= (
            (regulator == row.regulator)
            & (decided >= np.datetime64(row.period_start))
            & (decided <= np.datetime64(row.period_end))
            & law_ok
            & (amount_eur >= row.threshold_eur)
        )
    return inside


def scope_text(coverage: pd.DataFrame | None) -> str:
    """One sentence saying what the collection claims to hold completely."""
    if coverage is None or coverage.empty:
        return "No declared scope: the records are a sample."
    start = coverage["period_start"].min().date()
    end = coverage["period_end"].max().date()
    n = coverage["regulator"].nunique()
    nonzero = coverage.loc[coverage["threshold_eur"] > 0, "threshold_eur"]
    every = coverage[coverage["threshold_eur"] == 0]
    partial = set(coverage.loc[coverage["threshold_eur"] > 0, "regulator"])
    names = sorted(
        f"{r.regulator} ({r.laws.replace(';', ', ')})" if r.regulator in partial else r.regulator
        for r in every.itertuples()
    )
    if nonzero.empty:
        return f"Complete for every fine decided {start} to {end} by {n} regulators."
    text = (
        f"Complete for fines of EUR {nonzero.mode().iat[0]:,.0f} or more decided {start} to "
        f"{end} by {n} regulators"
    )
    if names:
        text += ", and for every fine of " + " and ".join(names)
    return text + "; other records are a sample."
