"""Deterministic, safe CSV exports with a provenance sidecar (``<name>.meta.json``).

CSV: UTF-8, ``\\n`` line ends, amounts rounded to cents, dates as ISO ``YYYY-MM-DD``. Text cells
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are neutralised by a leading apostrophe, as OWASP recommends; numeric columns
are never touched, and ``neutralise=False`` turns this off. The sidecar says the currency,
conversion convention, view, filters, scope, rate source and snapshot, the records file's
SHA-256, the CSV's own SHA-256, whether formulas were neutralised and the finestats version. The
CSV and its sidecar are replaced together or not at all. Same inputs, same bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finestats._version import __version__
from finestats.errors import UsageError
from finestats.fileio import (
    atomic_write,
    atomic_write_many,
    atomic_write_text,
    json_text,
    text_writer,
)
from finestats.formatting import AMOUNT_PREFIXES
from finestats.query import meta_of

__all__ = ["atomic_write", "atomic_write_text", "export_csv", "meta_path", "to_csv_text"]

#: What a text cell may not start with in a CSV export (spreadsheet formula triggers).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = (
    "text cells starting with = + - @ tab or carriage return are prefixed with an apostrophe "
    "(') so that spreadsheets do not run them as formulas"
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


def to_csv_text(
    table: pd.DataFrame, *, index: bool | None = None, neutralise_formulas: bool = True
) -> str:
    """The tidy CSV text of ``table``: amounts rounded to cents, ISO dates, ``\\n`` line ends,
    formula triggers neutralised (unless ``neutralise_formulas=False``).

    A named or non-default index (such as a :func:`finestats.pivot` table's) is written as the
    first column.
    """
    out = neutralise(table) if neutralise_formulas else table.copy()
    if index is None:
        index = not isinstance(out.index, pd.RangeIndex) or out.index.name is not None
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s) and (str(col).startswith(AMOUNT_PREFIXES) or index):
            out[col] = s.round(2)
    return out.to_csv(index=index, lineterminator="\n", date_format="%Y-%m-%d")


def export_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    meta: dict[str, Any] | None = None,
    neutralise_formulas: bool = True,
) -> Path:
    """Write ``table`` as CSV to ``path`` and its provenance to ``<stem>.meta.json``, together.

    The description comes from ``meta`` if given, else from the table's
    :class:`~finestats.query.ResultMeta`. Returns the CSV path.
    """
    if str(path).strip() == "":
        raise UsageError("an empty path was given where a CSV file is expected")
    target = Path(path)
    text = to_csv_text(table, neutralise_formulas=neutralise_formulas)
    described = meta_of(table)
    info = dict(meta) if meta is not None else (described.as_dict() if described else {})
    if info.get("data_file"):
        info["data_file"] = Path(str(info["data_file"])).name
    sidecar = {
        **info,
        "file": target.name,
        "rows": int(len(table)),
        "columns": [str(c) for c in table.columns],
        "csv_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "formulas_neutralised": NEUTRALISED if neutralise_formulas else False,
        "finestats_version": __version__,
    }
    atomic_write_many(
        [(target, text_writer(text)), (meta_path(target), text_writer(json_text(sidecar)))]
    )
    return target


def meta_path(path: str | os.PathLike[str]) -> Path:
    """``totals.csv`` -> ``totals.meta.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".meta.json")
