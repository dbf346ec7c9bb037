"""Curation checks for ``finestats validate --strict`` (run by ``make test`` on the shipped data).

The loader (:mod:`finestats.records`) checks that each cell is well formed; these checks hold the
collection to the curation rules of data/README.md: sources that can be cited, one name per
regulator, no duplicate decision, notices of intent that do not linger, every record with its
extended columns (date basis, articles, sector), and no host from the block list
(``blocked_hosts.csv`` in the data folder) as a source.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from finestats import paths
from finestats.collection import load
from finestats.conversion import convert
from finestats.coverage import against_fines
from finestats.csvtable import Cells, Checks, read_cells, stripped_cells
from finestats.errors import FineDataError, FineDataWarning, Notice, Problem, RatesError
from finestats.figures import FIGURES_NAME, load_figures
from finestats.records import read_records, source_of
from finestats.schema import BLOCKED_HOSTS, FINES, URL, names

BLOCKED_COLUMNS = names(BLOCKED_HOSTS)
_HOST = next(c for c in BLOCKED_HOSTS if c.name == "host")
#: A provisional notice older than this, with no final record and no note, is an error.
STALE_PROVISIONAL_YEARS = 2
BILLION = 1e9


def validate_file(
    path: str | os.PathLike[str] | None = None, *, strict: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Load ``path`` like :func:`finestats.load_fines`; with ``strict``, also check the curation
    rules (errors raise FineDataError; the warnings are returned and issued as
    :class:`~finestats.errors.FineDataWarning`)."""
    df, cells = read_records(path)
    if not strict:
        return df, []
    errors, warns = strict_problems(df, cells)
    if errors:
        raise FineDataError(errors)
    companion_problems(df)
    for w in warns:
        warnings.warn(str(w), FineDataWarning, stacklevel=2)
    return df, warns


def strict_problems(df: pd.DataFrame, cells: Cells) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the curation rules for a loaded records frame and its cells.

    Errors: a ``source_url`` that is not an http(s) URL or whose host is on the block list; a
    regulator with two names or countries; two records with the same regulator, defendant,
    decision date and amount; a ``provisional`` record decided more than two years ago that no
    record supersedes and whose notes are empty; an extended column (date_basis, articles,
    sector) missing or empty; an announcement date standing in for the decision date without a
    note saying where the decision date was looked for; text with spaces around it.
    Warnings: amounts above the equivalent of EUR 1bn at the decision date's ECB rate (an extra
    zero gets noticed; Meta's EUR 1.2bn is real).
    """
    src = source_of(df)
    checks = Checks(cells, {c: i for i, c in enumerate(df.columns)})
    _sources(checks, df, blocked_hosts(src.path if src else None))
    _one_name_per_regulator(checks, df)
    _duplicates(checks, df)
    _stale_provisional(checks, df)
    _extended(checks, df)
    _spaces(checks, cells)
    errors = [p for _, _, p in sorted(checks.found, key=lambda t: (t[0], t[1]))]
    return errors, _large_amounts(df, cells)


def companion_problems(df: pd.DataFrame) -> None:
    """The files beside the records, checked with them (``--strict``): court events, the scope
    (also against the records: every regulator has a row, with the records' name and country),
    price indices and published figures. Raises FineDataError listing every problem."""
    src = source_of(df)
    fines_path = src.path if src else paths.default_fines_path()
    data = load(fines_path)  # validates events (against the records), coverage and prices
    problems = []
    if data.coverage is not None:
        cov_path = str(paths.companion(fines_path, paths.COVERAGE_NAME))
        problems += against_fines(data.coverage, df, cov_path)
    figures = paths.reference(fines_path, FIGURES_NAME)
    if figures.is_file():
        load_figures(figures)
    if problems:
        raise FineDataError(problems)


def blocked_hosts(fines: Path | None = None) -> dict[str, str]:
    """Hosts never to cite (``host`` -> ``reason``), from ``blocked_hosts.csv`` in the data folder;
    a host blocks its subdomains too."""
    path = paths.reference(fines, paths.BLOCKED_HOSTS_NAME)
    if not path.is_file():
        return {}
    cells = read_cells(path, BLOCKED_COLUMNS)  # an existing file (checked above)
    checks = Checks(cells, {c: i for i, c in enumerate(BLOCKED_COLUMNS)})
    frame = stripped_cells(cells)
    for col in BLOCKED_COLUMNS:  # a value that is only spaces or tabs is none
        checks.flag(frame[col] == "", col, "a value (this column is required)")
    hosts = frame["host"].str.lower()
    checks.flag(~hosts.str.fullmatch(_HOST.pattern), "host", _HOST.expected)
    checks.raise_if_any()
    return dict(zip(hosts, frame["reason"], strict=True))


def _host_blocked(url: str, blocked: dict[str, str]) -> str | None:
    host = (urlsplit(url).hostname or "").rstrip(".")  # hostname is lower case
    parts = host.split(".")
    for i in range(len(parts)):  # a blocked host has a dot: no single label matches
        reason = blocked.get(".".join(parts[i:]))
        if reason is not None:
            return reason
    return None


def _sources(checks: Checks, df: pd.DataFrame, blocked: dict[str, str]) -> None:
    url = df["source_url"].astype(str)
    checks.flag(
        ~url.str.fullmatch(URL),
        "source_url",
        "an http(s) URL of the page the figures come from",
    )
    if not blocked:
        return
    reasons = url.map(lambda u: _host_blocked(u, blocked))
    for i in np.flatnonzero(reasons.notna().to_numpy()):
        checks.flag(
            np.arange(len(df)) == i,
            "source_url",
            f"a source not on the block list (blocked: {reasons.iat[i]})",
        )


def _one_name_per_regulator(checks: Checks, df: pd.DataFrame) -> None:
    for col in ("regulator_name", "country"):
        first = df.groupby("regulator")[col].transform("first").astype(str)
        differs = (df[col].astype(str) != first).to_numpy()
        for i in np.flatnonzero(differs):
            mask = np.arange(len(df)) == i
            checks.flag(mask, col, f"'{first.iat[i]}' as on the regulator's other records")


def _duplicates(checks: Checks, df: pd.DataFrame) -> None:
    key = ["regulator", "defendant", "decision_date", "amount"]
    dup = df.duplicated(subset=key).to_numpy()
    checks.flag(dup, "fine_id", "no other record with the same " + ", ".join(key))


def _stale_provisional(checks: Checks, df: pd.DataFrame) -> None:
    today = pd.Timestamp(dt.date.today())
    cutoff = today - pd.DateOffset(years=STALE_PROVISIONAL_YEARS)
    superseded = df["fine_id"].isin(df["supersedes"].dropna())
    stale = (
        (df["status"] == "provisional")
        & (df["decision_date"] < cutoff)
        & ~superseded
        & (df["notes"].fillna("").str.strip() == "")
    )
    checks.flag(
        stale.to_numpy(),
        "status",
        "a final record superseding this notice older than two years, or a note saying why not",
    )


def _extended(checks: Checks, df: pd.DataFrame) -> None:
    for col in (c.name for c in FINES if c.strict):
        missing = df[col].isna().to_numpy()
        checks.flag(missing, col, "a value (every record of the curated collection has one)")
    on_announcement = (df["date_basis"] == "announcement").to_numpy()
    no_note = df["notes"].fillna("").str.strip().eq("").to_numpy()
    checks.flag(
        on_announcement & no_note,
        "notes",
        "a note saying where the decision's own date was looked for (date_basis is announcement)",
    )


def _spaces(checks: Checks, cells: Cells) -> None:
    for col in cells.frame.columns:
        s = cells.frame[col]  # text: records are read without categorical columns
        spaced = (s != s.str.strip()).to_numpy()
        checks.flag(spaced, col, "no spaces or tabs around the value")


def _large_amounts(df: pd.DataFrame, cells: Cells) -> list[Problem]:
    try:
        eur = convert(df)["amount_eur"].to_numpy()  # EUR, the default
    except RatesError as exc:
        return [
            Notice(cells.path, 0, "", "", f"size check skipped, amounts not convertible ({exc})")
        ]
    return [
        Notice(
            cells.path,
            int(cells.lines[i]),
            "amount",
            f"{df['amount'].iat[i]:.0f} {df['currency'].iat[i]}",
            f"EUR {eur[i] / BILLION:.2f}bn, above EUR 1bn: check it is real, not an extra zero",
        )
        for i in np.flatnonzero(eur > BILLION)
    ]
