"""Spreadsheet exports (xlsx, written with XlsxWriter): tables a colleague opens and trusts.

A workbook has one sheet per table and an ``about`` sheet with everything a CSV sidecar says
(currency, convention, view, filters, scope, rate snapshot and SHA-256, data SHA-256, rows,
version). In a data sheet numbers are numbers and dates are dates; money has a thousands format,
rates keep their full precision; the header row is frozen and has an autofilter. Text is always
written as text: a defendant named ``=1+1`` is shown as written, never run as a formula. The
same inputs give the same bytes (a fixed creation date, entries in a fixed order).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from finestats.export import FORMULA_START, meta_path, money_column, sidecar, writes_index
from finestats.fileio import atomic_write
from finestats.formatting import RATE_COLUMNS

__all__ = ["export_xlsx", "report_workbook", "workbook_bytes"]

#: The creation date every workbook records (same inputs, same bytes).
CREATED = dt.datetime(2000, 1, 1)
MAX_SHEET_NAME = 31
#: What the ``about`` sheet says of text cells (a workbook needs no apostrophes, unlike a CSV).
TEXT_CELLS = (
    "every text cell is stored as text, never as a formula: a cell starting with = + - @ is "
    "shown as written"
)


def export_xlsx(
    table: pd.DataFrame, path: str | os.PathLike[str], *, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``table`` as a workbook: a ``data`` sheet and an ``about`` sheet (from ``meta``, else
    the table's :class:`~finestats.query.ResultMeta`). Returns the path."""
    target = Path(path)
    about = sidecar(table, target, "", meta, neutralise_formulas=False)
    about.pop("sha256", None)
    about.pop("formulas_neutralised", None)  # nothing is prefixed in a workbook
    about["text_cells"] = TEXT_CELLS
    data = workbook_bytes([("data", table)], about)
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))


def workbook_bytes(
    sheets: Sequence[tuple[str, pd.DataFrame]],
    about: Mapping[str, Any],
    money: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """The bytes of a workbook with the given data sheets and an ``about`` sheet. Money columns
    (:func:`finestats.export.money_column`, or those ``money`` names for a sheet) hold the
    amounts rounded to cents, as the CSV export does, in a thousands format."""
    import xlsxwriter

    buf = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": "yyyy-mm-dd",
        "remove_timezone": True,
    }
    with xlsxwriter.Workbook(buf, options) as wb:
        wb.set_properties({"created": CREATED, "title": "finestats", "author": "finestats"})
        formats = {
            "header": wb.add_format({"bold": True, "bottom": 1, "text_wrap": True}),
            "money": wb.add_format({"num_format": "#,##0.00"}),
            "count": wb.add_format({"num_format": "#,##0"}),
            "rate": wb.add_format({"num_format": "0.0000000000"}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "text": wb.add_format({}),
        }
        used: set[str] = set()
        for name, table in sheets:
            extra = set((money or {}).get(name, ()))
            _data_sheet(wb, _sheet_name(name, used), table, formats, extra)
        _about_sheet(wb, _sheet_name("about", used), about, formats)
    return buf.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:MAX_SHEET_NAME] or "sheet"
    out, n = base, 1
    while out.lower() in used:
        n += 1
        out = f"{base[: MAX_SHEET_NAME - len(str(n)) - 1]}~{n}"
    used.add(out.lower())
    return out


def _data_sheet(
    wb: Any, name: str, table: pd.DataFrame, formats: dict[str, Any], money: set[str]
) -> None:
    index = writes_index(table)
    frame = table.reset_index() if index else table
    keys = {str(n) for n in table.index.names} if index else set()  # row labels: never money
    ws = wb.add_worksheet(name)
    columns = [str(c) for c in frame.columns]
    for j, col in enumerate(columns):
        ws.write_string(0, j, col, formats["header"])
    for j, col in enumerate(columns):
        s = frame.iloc[:, j]
        cash = col not in keys and (col in money or money_column(table, col))
        kind, fmt = _kind(col, s, formats, cash)
        if fmt is formats["money"] and pd.api.types.is_float_dtype(s):
            s = s.round(2)  # cents, as in the CSV export of the same table
        width = max(len(col), 10)
        for i, value in enumerate(s.tolist(), start=1):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if kind == "date":
                ws.write_datetime(i, j, pd.Timestamp(value).to_pydatetime(), fmt)
            elif kind == "number":
                ws.write_number(i, j, float(value), fmt)
            elif kind == "bool":
                ws.write_boolean(i, j, bool(value))
            else:
                text = str(value)
                ws.write_string(i, j, text, fmt)
                width = max(width, min(len(text), 60))
        ws.set_column(j, j, min(width + 2, 62))
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)


def _kind(col: str, s: pd.Series, formats: dict[str, Any], money: bool) -> tuple[str, Any]:
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date", formats["date"]
    if pd.api.types.is_bool_dtype(s):
        return "bool", None
    if pd.api.types.is_numeric_dtype(s):
        if col in RATE_COLUMNS:
            return "number", formats["rate"]
        if money:
            return "number", formats["money"]
        if pd.api.types.is_integer_dtype(s) and col != "year":
            return "number", formats["count"]
        return "number", None
    return "text", formats["text"]


def _about_sheet(wb: Any, name: str, about: Mapping[str, Any], formats: dict[str, Any]) -> None:
    ws = wb.add_worksheet(name)
    ws.write_string(0, 0, "what", formats["header"])
    ws.write_string(0, 1, "value", formats["header"])
    for i, (key, value) in enumerate(about.items(), start=1):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        ws.write_string(i, 0, str(key))
        ws.write_string(i, 1, text)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100)
    ws.freeze_panes(1, 0)


def read_export(path: Path) -> pd.DataFrame:
    """A CSV that finestats exported, read back with its types (dates, numbers) and its text as
    written (formula neutralisation undone where the sidecar says it was applied)."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype_backend="numpy_nullable")
    for col in frame.columns:
        if str(col) == "date" or str(col).endswith("_date"):
            frame[col] = pd.to_datetime(
                frame[col].astype("string"), format="%Y-%m-%d", errors="coerce"
            )
    try:
        side = json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        side = {}
    if side.get("formulas_neutralised"):
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_string_dtype(s) or s.dtype == object:
                frame[col] = s.map(_undo_neutralise)
    return frame


def _money_cells(path: Path) -> list[str]:
    """The columns of an exported CSV whose sidecar says every cell is money (a pivot, the
    nominal and real totals), which their names alone do not tell."""
    try:
        side = json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(c) for c in side.get("columns", [])] if side.get("cells") == "money" else []


def _undo_neutralise(value: Any) -> Any:
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:2]
        and value[1] in "".join(FORMULA_START)
    ):
        return value[1:]
    return value


def report_workbook(folder: Path, manifest: Mapping[str, Any]) -> Path:
    """``<report>.xlsx`` in a report folder: every CSV table of the report, one sheet each (in
    the order the notebooks wrote them), and the ``about`` sheet from the manifest."""
    sheets, money = [], {}
    for nb in manifest["notebooks"]:
        for name in nb["files"]:
            if name.endswith(".csv"):
                sheets.append((name.removesuffix(".csv"), read_export(folder / name)))
                money[name.removesuffix(".csv")] = _money_cells(folder / name)
    counted = folder / "counted_fines.csv"
    if counted.is_file():
        sheets.append(("counted_fines", read_export(counted)))
    about = {
        k: manifest.get(k)
        for k in (
            "report",
            "currency",
            "filters",
            "view",
            "scope",
            "period",
            "rate_source",
            "rate_snapshot",
            "rate_sha256",
            "data_file",
            "data_sha256",
            "n_fines",
            "total",
        )
    }
    about["data_file"] = Path(str(about["data_file"])).name if about.get("data_file") else None
    about["finestats_version"] = (manifest.get("versions") or {}).get("finestats")
    about["sheets"] = [n for n, _ in sheets]
    about["text_cells"] = TEXT_CELLS
    target = folder / f"{manifest['report']}.xlsx"
    data = workbook_bytes(sheets, about, money)
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))
