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
from finestats.csvtable import Checks, check_declared, read_cells, stripped_cells
from finestats.errors import Problem
from finestats.fileio import CACHE
from finestats.schema import COVERAGE, names

COVERAGE_COLUMNS: tuple[str, ...] = names(COVERAGE)


def load_coverage(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load and validate a coverage file: dates as datetime64[ns], ``threshold_eur`` float,
    ``laws`` as text (``;``-separated). Raises FineDataError with file:line problems. Read once
    per file content."""
    p = paths.absolute(path)
    return CACHE.get([p], lambda: _load(p), "coverage")


def _load(p: Path) -> pd.DataFrame:
    cells = read_cells(p, COVERAGE_COLUMNS, what="coverage CSV file")
    frame = stripped_cells(cells)
    checks = Checks(cells, {c: i for i, c in enumerate(COVERAGE_COLUMNS)})
    parsed = check_declared(checks, frame, COVERAGE)
    out = frame.copy()
    for col in ("period_start", "period_end", "last_checked"):
        out[col] = parsed[col].astype("datetime64[ns]")
    checks.flag(out["period_end"] < out["period_start"], "period_end", "a date after period_start")
    key = frame["regulator"] + "|" + law_names(frame["laws"]).map(lambda s: ";".join(sorted(s)))
    checks.flag(
        key.duplicated().to_numpy(bool), "laws", "one row per regulator and set of laws (any order)"
    )
    checks.raise_if_any()
    out["threshold_eur"] = parsed["threshold_eur"]
    out["notes"] = out["notes"].where(out["notes"] != "")
    return out


def against_fines(coverage: pd.DataFrame, fines: pd.DataFrame, path: str) -> list[Problem]:
    """The coverage file's problems with respect to the records (``validate --strict``): every
    regulator of the records has a row, and a row's name and country are the records' own."""
    problems = []
    for col in ("regulator_name", "country"):
        own = fines.groupby(fines["regulator"].astype(str), observed=True)[col].first()
        for i, r in enumerate(coverage.itertuples(index=False)):
            want = own.get(r.regulator)
            if want is not None and str(getattr(r, col)) != str(want):
                problems.append(
                    Problem(path, i + 2, col, str(getattr(r, col)), f"'{want}' as in the records")
                )
    for reg in sorted(set(fines["regulator"].astype(str)) - set(coverage["regulator"])):
        problems.append(
            Problem(path, 0, "regulator", reg, "a row for every regulator of the records")
        )
    return problems


def coverage_path(fines_path: str | os.PathLike[str]) -> Path:
    return paths.companion(fines_path, paths.COVERAGE_NAME)


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
    codes, texts = pd.factorize(df["law"].fillna("").astype(str))  # a few distinct law lists
    laws = law_names(pd.Series(texts, dtype=object)).to_numpy(object)
    for row in coverage.itertuples(index=False):
        claimed = frozenset(x.strip() for x in str(row.laws).split(";") if x.strip())
        law_ok = np.fromiter((bool(ls & claimed) for ls in laws), dtype=bool, count=len(laws))
        law_ok = law_ok[codes]
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
    ends = coverage.groupby("regulator")["period_end"].max()
    end = ends.max().date()
    short = ends[ends < ends.max()]
    n = coverage["regulator"].nunique()
    until = f" ({len(short)} of them only to {short.max():%Y-%m-%d})" if len(short) else ""
    nonzero = coverage.loc[coverage["threshold_eur"] > 0, "threshold_eur"]
    every = coverage[coverage["threshold_eur"] == 0]
    partial = set(coverage.loc[coverage["threshold_eur"] > 0, "regulator"])
    names = sorted(
        f"{r.regulator} ({r.laws.replace(';', ', ')})" if r.regulator in partial else r.regulator
        for r in every.itertuples()
    )
    if nonzero.empty:
        return f"Complete for every fine decided {start} to {end} by {n} regulators{until}."
    text = (
        f"Complete for fines of EUR {nonzero.mode().iat[0]:,.0f} or more decided {start} to "
        f"{end} by {n} regulators{until}"
    )
    if names:
        text += ", and for every fine of " + " and ".join(names)
    return text + "; other records are a sample."


def coverage_table(
    df: pd.DataFrame, coverage: pd.DataFrame, amount_eur: np.ndarray
) -> pd.DataFrame:
    """One row per coverage row: regulator, period, threshold, laws, last checked, how, the
    number of records of the regulator and how many are inside the claim (``amount_eur``: each
    record's amount in EUR at its decision date, converted by the caller with its rates)."""
    eur = amount_eur
    regulator = df["regulator"].astype(str)
    rows = []
    for r in coverage.sort_values(
        ["regulator", "laws"], key=lambda s: s.str.casefold()
    ).itertuples():
        mine = (regulator == r.regulator).to_numpy(bool)
        inside = in_scope(df, coverage[coverage.index == r.Index], eur) & mine
        rows.append(
            {
                "regulator": r.regulator,
                "country": r.country,
                "period": f"{r.period_start:%Y-%m-%d}..{r.period_end:%Y-%m-%d}",
                "threshold_eur": "every fine"
                if r.threshold_eur == 0
                else f"{r.threshold_eur:,.0f}",
                "laws": r.laws,
                "last_checked": f"{r.last_checked:%Y-%m-%d}",
                "records": int(mine.sum()),
                "in_scope": int(np.sum(inside)),
                "method": r.method,
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


TABLE_COLUMNS = (
    "regulator",
    "country",
    "period",
    "threshold_eur",
    "laws",
    "last_checked",
    "records",
    "in_scope",
    "method",
)
