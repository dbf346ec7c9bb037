"""Deterministic, atomic CSV exports with a provenance sidecar (``<name>.meta.json``).

CSV: UTF-8, ``\\n`` line ends, amounts rounded to cents, dates as ISO ``YYYY-MM-DD``. The sidecar
says the currency, conversion convention, view and filters, rate source and snapshot date, the
SHA-256 of the data file, the row count and the finestats version. Same inputs, same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

_AMOUNT_PREFIXES = ("amount_", "total_", "median_", "max_")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    If ``write`` raises, ``path`` keeps its previous content and the temporary file is removed.
    Parent folders are created as needed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 with ``\\n`` line ends, atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


def to_csv_text(table: pd.DataFrame, *, index: bool | None = None) -> str:
    """The tidy CSV text of ``table``: amounts rounded to cents, ISO dates, ``\\n`` line ends.

    A named or non-default index (such as a :func:`finestats.pivot` table's) is written as the
    first column.
    """
    out = table.copy()
    if index is None:
        index = not isinstance(out.index, pd.RangeIndex) or out.index.name is not None
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s) and (str(col).startswith(_AMOUNT_PREFIXES) or index):
            out[col] = s.round(2)
    return out.to_csv(index=index, lineterminator="\n", date_format="%Y-%m-%d")


def export_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    meta: dict[str, Any] | None = None,
    data_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``table`` as CSV to ``path`` and its provenance to ``<stem>.meta.json``, atomically.

    ``meta`` defaults to ``table.attrs["finestats"]`` (set by :func:`finestats.totals`).
    ``data_path`` (default: the table's recorded data path, else the default data file) is hashed
    into ``data_sha256``. Returns the CSV path.
    """
    from finestats import __version__
    from finestats.records import default_data_path, file_sha256

    target = Path(path)
    info = dict(meta if meta is not None else table.attrs.get("finestats", {}))
    data = Path(data_path or info.pop("data_path", None) or default_data_path())
    info.pop("data_path", None)
    sidecar = {
        "file": target.name,
        "rows": int(len(table)),
        "columns": [str(c) for c in table.columns],
        **info,
        "data_file": data.name,
        "data_sha256": file_sha256(data) if data.exists() else None,
        "finestats_version": __version__,
    }
    text = to_csv_text(table)
    meta_text = (
        json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    )
    atomic_write_text(target, text)
    atomic_write_text(meta_path(target), meta_text)
    return target


def meta_path(path: str | os.PathLike[str]) -> Path:
    """``totals.csv`` -> ``totals.meta.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".meta.json")
