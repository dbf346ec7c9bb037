"""Tables and notes for the terminal, fitted to its width.

Every table and every footnote line fits the terminal (``shutil.get_terminal_size``; 80 columns
when unknown; ``COLUMNS`` overrides): long text columns are cut with an ellipsis (the widest
first; numbers and dates never), footnotes are wrapped (a fine_id is never split at its hyphens),
and a table whose numbers alone are wider than the terminal is shown in blocks of columns, each
repeating as many of the leading key columns as leave room. ``--format csv/json/xlsx`` give the
full text.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from functools import partial

import pandas as pd

from finestats.formatting import (
    RATE_COLUMNS,
    convention,
    filters_text,
    format_figure,
    is_money,
    real_text,
    scope_line,
    view_text,
)
from finestats.query import ResultMeta, meta_of

#: The narrowest a text column is cut to (with its ellipsis).
MIN_TEXT = 8
GAP = 2
#: Text made of figures only (amounts, dates, a period such as 2018-05-25..2025-12-31).
FIGURES = re.compile(r"[\d\s.,:;/+\-%]+")


def width() -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    return max(shutil.get_terminal_size((80, 24)).columns, 20)


def plain_table(table: pd.DataFrame, columns: int | None = None, *, note: bool = True) -> str:
    """An aligned plain-text table for the terminal, no wider than ``columns`` (default: the
    terminal's width), with thousands separators, plus the note on what was counted."""
    limit = columns or width()
    meta = meta_of(table)
    if len(table) == 0:
        body = "(no fines match this selection)"
    else:
        body = _fitted(_cells(table), limit)
    text = body + "\n"
    if note and meta is not None:
        text += "\n" + wrap(result_note(meta), limit) + "\n"
    return text


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as display text; numbers right-aligned later, text left-aligned."""
    shown = table.reset_index() if any(n is not None for n in table.index.names) else table
    out = {}
    for col in shown.columns:
        s = shown[col]
        name = str(col)
        if pd.api.types.is_float_dtype(s) and is_money(name):
            out[name] = s.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        elif name in RATE_COLUMNS and pd.api.types.is_float_dtype(s):
            out[name] = s.map(lambda v: "" if pd.isna(v) else f"{v:.6g}")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[name] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_numeric_dtype(s):
            out[name] = s.map(lambda v: "" if pd.isna(v) else f"{v}")
        else:
            out[name] = s.astype(object).map(
                lambda v: "" if pd.isna(v) else " ".join(str(v).split())
            )
    frame = pd.DataFrame(out)
    frame.attrs["numeric"] = [
        str(c) for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])
    ]
    frame.attrs["whole"] = [  # never cut: dates, and any text that is all figures (1,000,000)
        name
        for name in frame.columns
        if frame[name].map(lambda v: bool(FIGURES.fullmatch(v or "0"))).all()
    ]
    return frame


def _fitted(cells: pd.DataFrame, limit: int) -> str:
    numeric = set(cells.attrs.get("numeric", []))
    whole = numeric | set(cells.attrs.get("whole", []))
    widths = {c: max(len(c), int(cells[c].str.len().max() or 0)) for c in cells.columns}
    text_cols = [c for c in cells.columns if c not in whole]
    total = lambda: sum(widths.values()) + GAP * (len(widths) - 1)  # noqa: E731
    while total() > limit:
        wide = [c for c in text_cols if widths[c] > max(MIN_TEXT, len(c))]
        if not wide:
            break
        c = max(wide, key=lambda k: widths[k])
        widths[c] -= min(widths[c] - max(MIN_TEXT, len(c)), max(total() - limit, 1))
    if total() <= limit:
        return _render(cells, list(cells.columns), widths, numeric)
    full = {c: max(len(c), int(cells[c].str.len().max() or 0)) for c in cells.columns}
    return _blocks(cells, full, numeric, whole, limit)


def _render(cells: pd.DataFrame, cols: list[str], widths: dict, numeric: set) -> str:
    def cell(col: str, value: str) -> str:
        w = widths[col]
        value = value if len(value) <= w else _cut(value, w)
        return value.rjust(w) if col in numeric else value.ljust(w)

    lines = [(" " * GAP).join(cell(c, c) for c in cols).rstrip()]
    for row in cells[cols].itertuples(index=False):
        lines.append((" " * GAP).join(cell(c, v) for c, v in zip(cols, row, strict=True)).rstrip())
    return "\n".join(lines)


def _cut(value: str, width: int) -> str:
    """``value`` cut to ``width`` with an ellipsis, never inside a number ("DPA 2018" is cut to
    "DPA …", not "DPA 20…", which would read as a figure)."""
    kept = value[: width - 1]
    if value[width - 1 : width].isdigit():
        kept = re.sub(r"[\d.,]+$", "", kept)
    return kept + "…"


def _blocks(cells: pd.DataFrame, widths: dict, numeric: set, whole: set, limit: int) -> str:
    """Columns in blocks that fit, each repeating the leading text (key) columns: as many of
    them as leave room for the widest column that is never cut (a number, a date). A block
    has room for the other text columns at their full width, cut only past that room."""
    widths = dict(widths)
    keys = []
    for c in cells.columns:
        if c in numeric:
            break
        keys.append(c)
    uncut = lambda cols: max((widths[c] for c in cols if c in whole), default=MIN_TEXT)  # noqa: E731
    key_width = lambda: sum(widths[k] + GAP for k in keys)  # noqa: E731
    while (
        len(keys) > 1 and key_width() + uncut([c for c in cells.columns if c not in keys]) > limit
    ):
        keys.pop()
    over = key_width() + uncut([c for c in cells.columns if c not in keys]) - limit
    if over > 0:  # one key too wide for the widest uncut column beside it: cut the key
        widths[keys[0]] = max(MIN_TEXT, widths[keys[0]] - over)
    rest = [c for c in cells.columns if c not in keys]
    room = max(MIN_TEXT, limit - key_width())
    for c in rest:
        if c not in whole:
            widths[c] = min(widths[c], room)
    blocks, current, used = [], [], key_width()
    for c in rest:
        if current and used + widths[c] > limit:
            blocks.append(current)
            current, used = [], key_width()
        current.append(c)
        used += widths[c] + GAP
    blocks.append(current)
    return "\n\n".join(_render(cells, [*keys, *b], widths, numeric) for b in blocks)


def wrap(text: str, columns: int | None = None, *, indent: int = 0) -> str:
    """``text`` wrapped to the terminal's width, line by line, continuation lines indented by
    ``indent``; words are split only at spaces (a fine_id stays whole), unless longer than a
    line."""
    limit = columns or width()
    return "\n".join(
        textwrap.fill(p, limit, subsequent_indent=" " * indent, break_on_hyphens=False) if p else ""
        for p in text.split("\n")
    )


def result_note(meta: ResultMeta) -> str:
    """What a result counted: convention, snapshot, view, filters, scope."""
    text = f"{convention(meta)}, snapshot {meta.rate_snapshot}; view {view_text(meta)}"
    filters = filters_text(meta.query)
    if filters:
        text += f"\nFilters: {filters}"
    if meta.extra.get("year_note"):
        text += f"\nYear: {meta.extra['year_note']}"
    if meta.query.real is not None:
        text += "\n" + real_text(meta)
    if not meta.scope:
        return text
    return text + "\n" + scope_line(meta.scope, meta.n_outside_scope, meta.n_records)


def figures_text(table: pd.DataFrame, columns: int | None = None) -> str:
    """A crosscheck (:func:`finestats.crosscheck`) for the terminal: one block per published
    figure (the figure, finestats' own, the gap, how it was computed and what explains it),
    wrapped to ``columns``; ``--format csv/json/xlsx`` give every column."""
    limit = columns or width()
    meta = meta_of(table)
    if len(table) == 0:
        return "(no published figure matches this selection)\n"
    blocks = []
    for row in table.itertuples(index=False):
        show = partial(format_figure, measure=row.measure, currency=row.currency or "")
        cutoff = "no cut-off" if pd.isna(row.cutoff_date) else f"cut-off {row.cutoff_date:%Y-%m-%d}"
        head = f"{row.figure_id}: {row.publisher}, {row.edition}; {row.area}, {cutoff}"
        gap = "" if pd.isna(row.gap_pct) else f", gap {row.gap_pct:+.1f}%"
        figures = f"published {show(row.published)}, finestats {show(row.finestats)}{gap}"
        lines = [textwrap.fill(head, limit, subsequent_indent="    ")]
        for part in (figures, row.explained):
            lines.append(textwrap.fill(part, limit, initial_indent="  ", subsequent_indent="    "))
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks) + "\n"
    note = (
        "Each figure at its own cut-off, window, area and currency, by the method the "
        "publisher states (the method column of --format csv says which)."
    )
    if meta is not None:
        filters = filters_text(meta.query)
        if filters:
            note += f"\nFilters: {filters}"
        if meta.scope:
            note += f"\nScope: {meta.scope}"
    return text + "\n" + wrap(note, limit) + "\n"
