"""Deterministic, safe CSV exports with a provenance sidecar (``<name>.meta.json``).

CSV: UTF-8, ``\\n`` line ends, dates as ISO ``YYYY-MM-DD``. Money columns (amounts, totals,
medians, maxima, deltas, every cell of a pivot) are rounded to cents; every
other number (rates, factors, ratios, counts) keeps its full precision, whatever the frame's
index, order or shape. The index is written only when it is named (a pivot's ``regulator``) or
asked for. Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are neutralised by a leading apostrophe, as OWASP
recommends; numeric columns are never touched, and ``neutralise_formulas=False`` turns this off.
``excel=True`` writes for spreadsheets: a byte-order mark (so that accented names open intact)
and every text cell quoted (so that a semicolon-locale import cannot split ``articles``).

The sidecar says the currency, conversion convention, view, filters, scope, rate source and
snapshot, the records file's SHA-256, the CSV's own SHA-256, whether formulas were neutralised and
the finestats version; a table that carries no finestats metadata gets a sidecar that says so.
The CSV and its sidecar are replaced together or not at all. Same inputs, same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finestats._version import __version__
from finestats.errors import UsageError
from finestats.fileio import atomic_write_many, json_text, text_writer
from finestats.formatting import is_money
from finestats.query import meta_of

__all__ = [
    "export_csv",
    "is_money",
    "meta_path",
    "money_column",
    "neutralise",
    "sidecar",
    "to_csv_text",
]

#: What a text cell may not start with in a CSV export (spreadsheet formula triggers).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = (
    "text cells starting with = + - @ tab or carriage return are prefixed with an apostrophe "
    "(') so that spreadsheets do not run them as formulas"
)
BOM = "\ufeff"
NOT_DESCRIBED = (
    "this table carries no finestats metadata (it was built or changed by hand): its currency, "
    "rates, selection and data file are not recorded"
)


def neutralise(table: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell starting with a formula trigger gets a leading ``'``."""
    out = table.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        text = s.astype(object)
        risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).to_numpy(
            bool
        )
        if risky.any():
            out[col] = text.where(~risky, "'" + text.astype(str))
    if not isinstance(out.index, pd.RangeIndex) and not pd.api.types.is_numeric_dtype(out.index):
        idx = out.index.to_series().astype(object)
        risky = idx.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).to_numpy(bool)
        if risky.any():
            out.index = pd.Index(np.where(risky, "'" + idx.astype(str), idx), name=out.index.name)
    return out


def money_column(table: pd.DataFrame, col: object) -> bool:
    """Whether ``col`` of ``table`` holds money: by its name (:func:`is_money`), or every column
    of a table whose metadata says all its cells are money (a pivot by status or regulator)."""
    meta = meta_of(table)
    return (meta is not None and meta.extra.get("cells") == "money") or is_money(col)


def writes_index(table: pd.DataFrame) -> bool:
    """The index is data only when it is named (a pivot's rows): a filtered, sorted or sampled
    frame's leftover row numbers are not."""
    return any(name is not None for name in table.index.names)


def to_csv_text(
    table: pd.DataFrame,
    *,
    index: bool | None = None,
    neutralise_formulas: bool = True,
    excel: bool = False,
) -> str:
    """The tidy CSV text of ``table`` (see the module docstring)."""
    out = neutralise(table) if neutralise_formulas else table.copy()
    if index is None:
        index = writes_index(table)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s) and money_column(table, col):
            out[col] = s.round(2)
    quoting = csv.QUOTE_NONNUMERIC if excel else csv.QUOTE_MINIMAL
    if excel:  # every text cell quoted; missing values as empty, not as a quoted ""
        out = out.astype(object).where(out.notna(), None)
    text = out.to_csv(index=index, lineterminator="\n", date_format="%Y-%m-%d", quoting=quoting)
    return BOM + text if excel else text


def sidecar(
    table: pd.DataFrame,
    target: Path,
    text: str,
    meta: dict[str, Any] | None = None,
    neutralise_formulas: bool = True,
) -> dict[str, Any]:
    """The provenance of an exported table: its description, the file's facts and version."""
    described = meta_of(table)
    info = dict(meta) if meta is not None else (described.as_dict() if described else {})
    if info.get("data_file"):
        info["data_file"] = Path(str(info["data_file"])).name
    if meta is None and described is None:
        info["described"] = False
        info["note"] = NOT_DESCRIBED
    return {
        **info,
        "file": target.name,
        "rows": int(len(table)),
        "columns": [str(c) for c in table.columns],
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "formulas_neutralised": NEUTRALISED if neutralise_formulas else False,
        "finestats_version": __version__,
    }


def export_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    meta: dict[str, Any] | None = None,
    neutralise_formulas: bool = True,
    excel: bool = False,
) -> Path:
    """Write ``table`` as CSV to ``path`` and its provenance to ``<stem>.meta.json``, together.

    The description comes from ``meta`` if given, else from the table's
    :class:`~finestats.query.ResultMeta`. Returns the CSV path.
    """
    target = _target(path, "a CSV file")
    text = to_csv_text(table, neutralise_formulas=neutralise_formulas, excel=excel)
    info = sidecar(table, target, text, meta, neutralise_formulas)
    info["csv_sha256"] = info.pop("sha256")
    if excel:
        info["excel"] = "UTF-8 with a byte-order mark; every text cell quoted"
    atomic_write_many(
        [(target, text_writer(text)), (meta_path(target), text_writer(json_text(info)))]
    )
    return target


def _target(path: str | os.PathLike[str], what: str) -> Path:
    """The file to write (not empty; :func:`finestats.fileio.atomic_write_many` refuses to
    replace a link, a device or a pipe)."""
    if str(path).strip() == "":
        raise UsageError(f"an empty path was given where {what} is expected")
    return Path(path)


def meta_path(path: str | os.PathLike[str]) -> Path:
    """``totals.csv`` -> ``totals.meta.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".meta.json")
