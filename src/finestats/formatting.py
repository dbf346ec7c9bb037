"""Human-facing wording and number formats, shared by the CLI, the notebooks, the charts and the
report pages (no matplotlib here).

Amounts read as ``EUR 1.5M``; conventions as ``EUR at ECB rate of decision date``; the counting
view in words; tables for reading (no index, blanks for missing values, amounts with thousands
separators, long text shortened on screen).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd

from finestats.query import YEAR_AVERAGE, Query, ResultMeta, settings

_UNITS = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))
#: Column name prefixes of money columns (rounded to cents in exports, shown without decimals).
MONEY_PREFIXES = ("amount_", "total_", "median_", "max_", "delta_", "notice_", "final_")
_YEAR_COLUMN = re.compile(r"^\d{4}$")


def is_money(name: object) -> bool:
    """Whether a column holds money: ``amount``, ``amount_<cur>``, ``total_...``, ``median_``,
    ``max_``, ``delta_``, a pivot's year columns and its ``Total`` (``final_share`` is a ratio,
    ``notice_id`` and ``final_date`` are no amounts)."""
    text = str(name)
    if text.endswith(("_share", "_rate")):
        return False
    if text.startswith(("notice_", "final_")) and text.endswith(("_id", "_date")):
        return False  # the notices table's ids and dates (total_eur_decision_date is money)
    return (
        text.startswith(MONEY_PREFIXES)
        or text in ("amount", "Total")
        or bool(_YEAR_COLUMN.match(text))
    )


#: Longest text shown in a table cell on screen (CSV files keep the whole text).
CELL_WIDTH = 60


def format_amount(
    x: float | None, currency: str = "", decimals: int = 1, *, significant: int | None = None
) -> str:
    """A readable amount: ``1_500_000, "EUR"`` -> ``"EUR 1.5M"``; k, M, bn; trailing zeros dropped.

    ``decimals`` is the most decimals shown after scaling (``7_500`` -> ``"7.5k"``, ``20e6`` ->
    ``"20M"``); ``significant`` shows that many significant digits instead, keeping zeros
    (``7_044e6`` -> ``"7.04bn"``, ``346.2e6`` -> ``"346M"``), for headline figures. Below
    1,000 the amount is rounded to whole units. NaN or None give ``"n/a"``.
    """
    prefix = f"{currency.upper()} " if currency else ""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    sign = "-" if x < 0 else ""
    a = abs(x)
    text = f"{a:,.0f}"
    for i, (scale, suffix) in enumerate(_UNITS):
        if a >= scale * (1 - 0.5 * 10 ** -(decimals + 3)):
            digits = decimals
            if significant is not None:
                whole = len(str(int(round(a / scale, 6)))) if a / scale >= 1 else 1
                digits = max(significant - whole, 0)
            value = round(a / scale, digits)
            if significant is not None and digits and value >= 10 ** (significant - digits):
                digits -= 1  # rounding gained a digit: 9.999M -> 10.0M, not 10.00M
                value = round(a / scale, digits)
            if value >= 1000 and i > 0:  # 999.95k -> 1M
                scale, suffix = _UNITS[i - 1]
                if significant is not None:
                    digits = max(significant - 1, 0)
                value = round(a / scale, digits)
            shown = f"{value:,.{digits}f}"
            if significant is None:
                shown = shown.rstrip("0").rstrip(".") if "." in shown else shown
            text = shown + suffix
            break
    else:
        if round(a) == 0:
            sign = ""
    return f"{prefix}{sign}{text}"


def _query(meta: ResultMeta | Query | Mapping[str, Any] | None) -> Query:
    if isinstance(meta, ResultMeta):
        return meta.query
    if isinstance(meta, Query):
        return meta
    return Query()


def convention(meta: ResultMeta | Query) -> str:
    """``"EUR at ECB rate of decision date"`` (or of a fixed date, or the annual average)."""
    q = _query(meta)
    day = "decision date" if q.on == "decision_date" else "announcement date"
    if q.at is None:
        text = f"{q.currency} at ECB rate of {day}"
    elif q.at == YEAR_AVERAGE:
        year = "decision year" if q.on == "decision_date" else "announcement year"
        text = f"{q.currency} at ECB annual average rate of {year}"
    else:
        text = f"{q.currency} at ECB rate of {q.at}"
    return text


def real_text(meta: ResultMeta) -> str:
    """What the constant-price columns hold, or "" without ``real``."""
    q = meta.query
    if q.real is None:
        return ""
    index = meta.extra.get("price_index") or "the currency's consumer price index"
    return f"Columns *_real_{q.real}: in {q.real} prices ({index})."


def amount_axis_label(meta: ResultMeta | Query) -> str:
    """The amount axis label: the currency and its conversion convention."""
    return f"Amount ({convention(meta)})"


def view_text(meta: ResultMeta | Query) -> str:
    """The counting view in words, e.g. ``"imposed (final fines and penalties; ...)"``."""
    q = _query(meta)
    parts = ["final fines"]
    if q.include_penalties:
        parts.append("penalties")
    if q.include_provisional:
        parts.append("unreplaced provisional notices")
    what = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    scope = "; declared-complete scope only" if q.complete_only else ""
    if q.view == "effective":
        when = f" as of {q.as_of}" if q.as_of else ""
        return (
            f"effective{when} (after appeals: {what}, court reductions applied, annulled and "
            f"set-aside fines dropped{scope})"
        )
    return f"imposed ({what}; court outcomes not added{scope})"


def filters_text(q: Query) -> str:
    """The filters of a query in words (empty when none), from the settings' declarations."""
    parts = []
    for name, setting in settings().items():
        value = getattr(q, name)
        if not setting.words or value is None or value == () or value == "":
            continue
        if name == "years":
            a, b = value
            verb = "decided" if q.year_of == "decision_date" else "announced"
            parts.append(f"{verb} {a}" if a == b else f"{verb} {a}-{b}")
        elif isinstance(value, tuple):
            parts.append(f"{setting.words} {', '.join(value)}")
        else:
            parts.append(f"{setting.words} {value}")
    return "; ".join(parts)


def footnote_text(meta: ResultMeta) -> str:
    """``"ECB reference rates, snapshot YYYY-MM-DD. Counting view: ... Scope: ..."``."""
    parts = [f"ECB reference rates, snapshot {meta.rate_snapshot or '?'}."]
    parts.append(f"Counting view: {meta.extra.get('view_text') or view_text(meta)}.")
    filters = filters_text(meta.query)
    if filters:
        parts.append(f"Filters: {filters}.")
    if meta.query.real is not None:
        parts.append(real_text(meta))
    if meta.scope:
        parts.append(scope_line(meta.scope, meta.n_outside_scope, meta.n_records))
    return " ".join(parts)


def scope_line(scope: str, n_outside: int | None, n_fines: int) -> str:
    """``"Scope: <the declared scope>"`` and how many of the fines counted lie outside it."""
    return f"Scope: {scope} {outside_scope_text(n_outside, n_fines)}".rstrip()


def outside_scope_text(n_outside: int | None, n_fines: int) -> str:
    """How many of the fines counted lie outside the declared scope (a sample there), e.g.
    ``"42 of the 258 fines counted lie outside it: a sample, not a complete count."``; empty
    when there is no scope to judge by or no fine."""
    if n_outside is None or not n_fines:
        return ""
    if n_fines == 1:
        where = "outside it: a sample, not a complete count" if n_outside else "inside it"
        return f"The one fine counted lies {where}."
    if n_outside == 0:
        return f"All {n_fines} fines counted lie inside it."
    share = "All" if n_outside == n_fines else f"{n_outside} of the"
    return f"{share} {n_fines} fines counted lie outside it: a sample, not a complete count."


def shorten_text(value: Any, width: int = CELL_WIDTH) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell_text(value: Any, width: int | None) -> str:
    if pd.isna(value):
        return ""
    return " ".join(str(value).split()) if width is None else shorten_text(value, width)


def format_figure(value: float, measure: str, currency: str) -> str:
    """A published or reproduced figure (:func:`finestats.crosscheck`): a number of fines
    (``2,560 fines``), or an amount to three significant digits (``EUR 7.10bn``)."""
    if pd.isna(value):
        return "n/a"
    if measure == "count":
        return f"{value:,.0f} fines"
    return format_amount(value, currency, significant=3)


#: Columns of rates, factors and ratios: shown to 6 significant digits, never rounded as money.
RATE_COLUMNS = ("fx_rate", "implied_rate", "real_factor", "final_share")


def readable(table: pd.DataFrame, *, width: int | None = CELL_WIDTH) -> pd.DataFrame:
    """A copy for reading on screen: amounts with thousands separators and no decimals, rates
    with 6 significant digits, dates as ``YYYY-MM-DD``, blanks for missing values, long text
    shortened to ``width`` (None: whole; CSV exports keep everything), the index kept only when
    it means something."""
    out = table.copy()
    for col in out.columns:
        name = str(col)
        s = out[col]
        if pd.api.types.is_float_dtype(s) and (is_money(name)):
            out[col] = s.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        elif name in RATE_COLUMNS and pd.api.types.is_float_dtype(s):
            out[col] = s.map(lambda v: "" if pd.isna(v) else f"{v:.6g}")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif not pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(object).map(partial(_cell_text, width=width))
    return out


def headline_markdown(head: Mapping[str, Any]) -> str:
    """The headline figures as a short Markdown paragraph, every value from the data escaped:
    amounts to three significant digits (``EUR 7.04bn``, ``EUR 346M``), then the filters (when
    there are any), the counting view and the scope."""
    cur = head["currency"]
    lines = [
        f"**Total: {format_amount(head['total'], cur, significant=3)}** across"
        f" **{head['n_fines']} fines** ({escape_markdown(head['convention'])}).",
    ]
    if head.get("largest"):
        big = head["largest"]
        lines.append(
            f"Largest fine: **{format_amount(head['max'], cur, significant=3)}**,"
            f" {escape_markdown(big['regulator'])} against {escape_markdown(big['defendant'])}"
            f" ({big['decision_date']})."
        )
    if head.get("filters"):
        lines.append(f"Filters: {escape_markdown(head['filters'])}.")
    lines.append(
        f"Counting view: {escape_markdown(head['view'])}; ECB rate snapshot"
        f" {escape_markdown(head['rate_snapshot'])}."
    )
    if head.get("scope"):
        line = scope_line(head["scope"], head.get("n_outside_scope"), head["n_fines"])
        lines.append(escape_markdown(line))
    return "\n\n".join(lines)


_MD_SPECIAL = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()<>#+-.!|&~\"'"})


def escape_markdown(value: Any) -> str:
    """Text from the data made inert in Markdown and HTML: every character that could start
    markup (``<``, ``&``, ``*``, ``[`` ...) becomes an HTML character reference."""
    return str(value).translate(_MD_SPECIAL)


def pivot_for_reading(wide: pd.DataFrame) -> pd.DataFrame:
    """A :func:`finestats.pivot` table arranged for reading: the ``Total`` column first, the
    ``Total`` row first, then the rows by total, largest first (ties by name)."""
    if "Total" not in wide.columns or "Total" not in wide.index:
        return wide
    body = wide.drop(index="Total")
    order = sorted(body.index, key=lambda r: (-body.at[r, "Total"], str(r).casefold()))
    cols = ["Total", *[c for c in wide.columns if c != "Total"]]
    out = wide.loc[["Total", *order], cols]
    out.attrs = dict(wide.attrs)
    return out
