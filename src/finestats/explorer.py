"""The live explorer: the totals in JupyterLab, with a control per setting, a chart, a table, and
the fines behind any row of it (``finestats.explore()``).

Built on ipywidgets, which JupyterLab renders itself (no server of its own, no JupyterLab
extension to build). The controls are generated from the Query declarations
(:func:`finestats.query.settings`): one widget per setting, chosen by the setting's kind
(a list of known names, text, a flag, a choice, a range of years, a date), its help text as the
tooltip. Every change recomputes :func:`finestats.totals` with the current query and the chosen
grouping, draws it with :mod:`finestats.charts` and shows the table. Selecting rows of the table
shows the fines behind them: :func:`finestats.analyses.fines_behind` with the query narrowed to
each row's keys (each fine with its amount as decided, the rate and its fixing date, the status
that counts, its court events and its source link), adding up to the row's total.

A finestats error (a bad setting, an article that is no article, a currency without a price
index) is shown as one short message, never a traceback; a selection without fines says so. The
state is there for code and tests: ``explorer.query``, ``explorer.table``, ``explorer.fines``,
``explorer.message``; set a control (``explorer.controls["currency"].value = "SEK"``) or call
:meth:`Explorer.set` / :meth:`Explorer.select`, and they follow.

Widgets are for exploring: their state is not saved in the notebook, and ``finestats report``
does not run the explorer's notebook (``00-explore.ipynb``: notebooks numbered 00 are
interactive). ipywidgets and matplotlib are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

from finestats import charts
from finestats.analyses import fines_behind, largest_groups
from finestats.collection import Collection, Data, load, resolve
from finestats.errors import FinestatsError, UsageError
from finestats.formatting import (
    convention,
    filters_text,
    format_amount,
    readable,
    shorten_text,
    view_text,
)
from finestats.notebook import nothing_matches
from finestats.prices import index_years
from finestats.query import Query, Setting, aliases, as_query, attach, meta_of, settings
from finestats.rates import RatesArg, RateTable, load_rates
from finestats.totals import NO_VALUE, group_keys, headline, totals

__all__ = ["GROUPINGS", "Explorer", "explore", "fines_html", "source_link", "table_html"]

#: The groupings offered, as (label, keys): the first is the default.
GROUPINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("regulator × year", ("regulator", "year")),
    ("regulator", ("regulator",)),
    ("year", ("year",)),
    ("country", ("country",)),
    ("sector", ("sector",)),
    ("corporate group", ("group",)),
    ("matter", ("matter",)),
    ("defendant", ("defendant",)),
    ("currency decided in", ("currency",)),
    ("status", ("status",)),
)
#: Name settings whose control lists the values the data holds (a column of the records).
LISTED: dict[str, str] = {
    "regulators": "regulator",
    "exclude_regulators": "regulator",
    "countries": "country",
    "sectors": "sector",
    "matters": "matter",
}
#: The controls shown first (the rest are under "More settings"), in this order.
MAIN: tuple[str, ...] = (
    "currency",
    "view",
    "as_of",
    "years",
    "regulators",
    "countries",
    "sectors",
    "matters",
    "articles",
    "groups",
    "real",
    "complete_only",
)
#: The group keys that a Query filter selects exactly (its value as the filter's one name).
NARROWS: dict[str, str] = {
    "regulator": "regulators",
    "country": "countries",
    "sector": "sectors",
    "matter": "matters",
}
#: Bars drawn at most for one key (the largest); the table has every row.
CHART_TOP = 25
#: The longest message shown (a RatesError may name dozens of fines).
MESSAGE_LIMIT = 400
#: The columns of the fines shown first (the converted amounts go before the rate).
FINES_FIRST = (
    "fine_id",
    "defendant",
    "decision_date",
    "status",
    "amount",
    "currency",
    "fx_rate",
    "fx_date",
    "court_events",
    "source_url",
)
#: Columns of the fines whose text wraps (the others stay on one line).
WRAPPED = ("defendant", "group", "court_events")
#: The look of the explorer's tables (the widgets' HTML has no notebook table style).
STYLE = """<style>
.finestats-explorer table.finestats-table {border-collapse: collapse; font-size: 12px}
.finestats-explorer table.finestats-table th, .finestats-explorer table.finestats-table td {
  padding: 2px 8px; text-align: left; vertical-align: top; white-space: nowrap;
  border-bottom: 1px solid #e4e4e4}
.finestats-explorer table.finestats-table td.num {text-align: right}
.finestats-explorer table.finestats-table td.wrap {white-space: normal; min-width: 12em;
  max-width: 32em}
.finestats-explorer table.finestats-table td.events {white-space: normal}
.finestats-explorer table.finestats-table td.events div {width: 46em}
.finestats-explorer table.finestats-table th {position: sticky; top: 0; background: #f4f4f4}
</style>"""
#: What a control shows for "not set" (a Dropdown shows the value None as no choice at all).
NONE = ""
_WEB_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)


def explore(
    data: Data | None = None,
    query: Query | None = None,
    *,
    by: str | Sequence[str] = ("regulator", "year"),
    rates: RatesArg = None,
    **settings: Any,
) -> Explorer:
    """A live explorer of ``data`` (a Collection, ``finestats.load()``; None: the default
    collection) for JupyterLab: show it as a cell's last expression or with ``display()``.

    ``query`` or keyword settings (``currency="SEK"``, ``regulators=["ICO"]``...) give the
    controls their first values; ``by`` the first grouping (one of :data:`GROUPINGS`);
    ``rates`` the rate table. A setting the controls cannot hold (an unknown regulator) is a
    UsageError here; later mistakes made with the controls are shown as a message.
    """
    collection = load() if data is None else resolve(data)
    return Explorer(collection, as_query(query, **settings), grouping(by), load_rates(rates))


def grouping(by: str | Sequence[str]) -> tuple[str, ...]:
    """``by`` as the keys of one of :data:`GROUPINGS`; a UsageError naming them otherwise."""
    keys = group_keys(by)
    if keys not in [k for _, k in GROUPINGS]:
        raise UsageError(
            f"by={', '.join(keys)}: the explorer groups by one of "
            + "; ".join(", ".join(k) for _, k in GROUPINGS)
        )
    return keys


class Explorer:
    """The explorer's widgets and state; see the module docstring.

    State: ``query`` (the Query of the controls; None while they hold a setting it refuses),
    ``by`` (the grouping), ``table`` (``finestats.totals`` of them; None after an error, without
    rows when no fine matches), ``fines`` (the fines behind the selected rows; None when none
    is selected), ``message`` and ``error``. Widgets: ``widget`` is the whole layout (what a
    notebook displays), ``controls`` the control of each Query setting by field name,
    ``grouping`` the group-by selector, ``rows`` the table's rows to select, ``chart`` the
    chart (a PNG image), ``table_view``, ``fines_view``, ``headline_view`` and
    ``message_view`` HTML."""

    def __init__(self, data: Collection, query: Query, by: tuple[str, ...], rates: Any) -> None:
        w = _widgets()
        self.data, self.rates = data, rates
        self.query: Query | None = query
        self.table: pd.DataFrame | None = None
        self.fines: pd.DataFrame | None = None
        # (message, error) of the table and of the selected rows; see .message and .error
        self._table_note: tuple[str, BaseException | None] = ("", None)
        self._rows_note: tuple[str, BaseException | None] = ("", None)
        self._holding = 0
        self._table_by: tuple[str, ...] = by
        self._colors = charts.regulator_colors(data.fines["regulator"].astype(str))
        self.controls = {name: _control(w, s, data, rates) for name, s in settings().items()}
        for name, control in self.controls.items():
            _set_control(control, settings()[name], getattr(query, name))
            control.add_class(f"finestats-{name.replace('_', '-')}")
        self.controls["as_of"].disabled = query.view != "effective"
        self.grouping = w.Dropdown(description="group by", options=GROUPINGS, value=grouping(by))
        self.rows = w.SelectMultiple(options=[], rows=8, layout=w.Layout(width="100%"))
        self.chart = w.Image(format="png", layout=w.Layout(max_width="960px", width="100%"))
        self.headline_view, self.message_view = w.HTML(), w.HTML()
        self.table_view, self.fines_view = w.HTML(), w.HTML()
        for part, name in ((self.grouping, "grouping"), (self.rows, "rows")):
            part.add_class(f"finestats-{name}")
        for part, name in ((self.table_view, "table"), (self.fines_view, "fines")):
            part.add_class(f"finestats-{name}")
        self.message_view.add_class("finestats-message")
        self.widget = _layout(w, self)
        for control in (*self.controls.values(), self.grouping):
            control.observe(self._changed, names="value")
        self.rows.observe(self._selected, names="value")
        self.refresh()

    # -- what code and tests use ----------------------------------------------------------

    @property
    def message(self) -> str:
        """What the explorer says instead of a table or the fines ("" when all is well): one
        short line for an error, or that no fines match the settings."""
        return self._rows_note[0] or self._table_note[0]

    @property
    def error(self) -> BaseException | None:
        """The exception behind the message, if any (a finestats error, or a bug)."""
        return self._rows_note[1] or self._table_note[1]

    @property
    def by(self) -> tuple[str, ...]:
        """The group keys of the table."""
        return tuple(self.grouping.value)

    def set(self, **changes: Any) -> Explorer:
        """Set several controls at once (settings by name or alias, and ``by``), then refresh
        once. A value a control cannot hold is a UsageError."""
        names = aliases()
        unknown = sorted(k for k in changes if k != "by" and k not in names)
        if unknown:
            raise UsageError(f"unknown setting {', '.join(unknown)}")
        with self._batch():
            for key, value in changes.items():
                if key == "by":
                    self.grouping.value = grouping(value)
                else:
                    name = names[key]
                    _set_control(self.controls[name], settings()[name], value)
        return self

    def select(self, *rows: int | Mapping[str, Any]) -> Explorer:
        """Select rows of the table, by position or by their keys (``{"regulator": "ICO",
        "year": 2021}``); the fines behind them follow. A row the table does not hold is
        shown as a message."""
        try:
            picked = tuple(self._row_index(r) for r in rows)
        except UsageError as exc:
            self.rows.value = ()
            self._show_fines_error(exc)
            return self
        if tuple(self.rows.value) == picked:
            self._selected()
        else:
            self.rows.value = picked
        return self

    def refresh(self) -> None:
        """Recompute the query, the totals, the chart and the table from the controls (the
        selected rows are kept where the new table still has them)."""
        before = self._selected_keys()
        self._table_note = self._rows_note = ("", None)
        try:
            self.query = None  # while the controls hold a setting Query refuses
            self.query = self._query()
            by = self.by
            self.table = totals(self.data, by, query=self.query, rates=self.rates)
            self._table_by = by
            self._show_table()
        except Exception as exc:  # noqa: BLE001 - shown as one message, kept in .error
            self.table = None
            self._fail(exc)
            self._clear()
            return
        again = [i for i, keys in enumerate(self._all_keys()) if self._pairs(keys) in before]
        with self._quiet_rows():
            self.rows.value = tuple(again)
        self._selected()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        rows = "no table" if self.table is None else f"{len(self.table)} rows"
        return f"<finestats Explorer: by {', '.join(self.by)}; {rows}; {self.query!r}>"

    # -- refreshing -----------------------------------------------------------------------

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._holding += 1
        try:
            yield
        finally:  # a control refused its value: the others changed, so refresh all the same
            self._holding -= 1
            if not self._holding:
                self.refresh()

    def _changed(self, change: dict[str, Any]) -> None:
        if change["owner"] is self.controls["view"]:
            effective = change["new"] == "effective"
            self.controls["as_of"].disabled = not effective
            if not effective and self.controls["as_of"].value is not None:
                with self._batch():  # what stood on a day applies to the effective view only
                    self.controls["as_of"].value = None
                return
        if change["owner"] is self.controls["real"] and change["new"] not in (None, NONE):
            if self._narrow_to_index():
                return
        if not self._holding:
            self.refresh()

    def _narrow_to_index(self) -> bool:
        """On choosing constant prices: narrow the years to those the currency's price index
        covers (as notebook 05 does; a year's annual index exists only once it is over).
        Whether the years changed (and so refreshed)."""
        prices = self.data.prices
        span = index_years(self.controls["currency"].value, prices) if prices is not None else None
        years = self.controls["years"]
        if span is None:
            return False
        lo, hi = max(years.value[0], span[0]), min(years.value[1], span[1])
        if (lo, hi) == tuple(years.value) or lo > hi:
            return False
        with self._batch():
            years.value = (lo, hi)
        return True

    def _query(self) -> Query:
        given = {
            name: _value_of(self.controls[name], s, self._full_years())
            for name, s in settings().items()
        }
        return Query(**given)

    def _full_years(self) -> tuple[int, int]:
        years = self.controls["years"]
        return (years.min, years.max)

    def _show_table(self) -> None:
        q, table = self.query, self.table
        assert q is not None and table is not None
        cur = q.currency
        if table.empty:
            self._table_note = (nothing_matches(self.data, q) + ".", None)
            self.message_view.value = _message_html(self._table_note[0], error=False)
            self._clear()
            return
        self.message_view.value = ""
        self.headline_view.value = _headline_html(table, q)
        self.chart.value = _png(_figure(table, self._table_by, cur, self._colors))
        self.table_view.value = table_html(table)
        labels = [
            _row_label(keys, row, cur)
            for keys, (_, row) in zip(self._all_keys(), table.iterrows(), strict=True)
        ]
        with self._quiet_rows():
            self.rows.options = [(label, i) for i, label in enumerate(labels)]

    def _clear(self) -> None:
        self.headline_view.value = self.table_view.value = ""
        self.chart.value = b""
        with self._quiet_rows():
            self.rows.options = []
        self.fines = None
        self.fines_view.value = ""

    @contextmanager
    def _quiet_rows(self) -> Iterator[None]:
        self.rows.unobserve(self._selected, names="value")
        try:
            yield
        finally:
            self.rows.observe(self._selected, names="value")

    def _fail(self, exc: BaseException) -> None:
        self._table_note = (short_message(exc), exc)
        self.message_view.value = _message_html(self._table_note[0], error=True)

    # -- the fines behind the selected rows -------------------------------------------------

    def _all_keys(self) -> list[tuple[Any, ...]]:
        if self.table is None:
            return []
        return list(self.table[list(self._table_by)].itertuples(index=False, name=None))

    def _pairs(self, keys: tuple[Any, ...]) -> tuple[tuple[str, Any], ...]:
        return tuple(zip(self._table_by, keys, strict=True))

    def _selected_keys(self) -> set[tuple[tuple[str, Any], ...]]:
        """The selected rows as (key, value) pairs (rows of another grouping never match)."""
        keys = self._all_keys()
        return {self._pairs(keys[i]) for i in self.rows.value if i < len(keys)}

    def _row_index(self, row: int | Mapping[str, Any]) -> int:
        keys = self._all_keys()
        if isinstance(row, Mapping):
            by = self._table_by
            wanted = tuple(row.get(k) for k in by)
            if set(row) != set(by) or wanted not in keys:
                shown = ", ".join(f"{k} {v}" for k, v in row.items())
                raise UsageError(
                    f"no row {shown} in the table (by {', '.join(by)}; {len(keys)} rows)"
                )
            return keys.index(wanted)
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < len(keys):
            raise UsageError(f"no row {row!r} in the table ({len(keys)} rows)")
        return row

    def _selected(self, change: dict[str, Any] | None = None) -> None:
        self._rows_note = ("", None)
        picked = list(self.rows.value)
        if not picked or self.table is None or self.query is None:
            self.fines = None
            self.fines_view.value = (
                _hint_html() if self.table is not None and len(self.table) else ""
            )
            return
        try:
            keys = [dict(self._pairs(self._all_keys()[i])) for i in picked]
            self.fines = behind_rows(self.data, self.query, keys, self.rates)
        except Exception as exc:  # noqa: BLE001 - shown as one message, kept in .error
            self._show_fines_error(exc)
            return
        self.fines_view.value = fines_html(self.fines, len(picked))

    def _show_fines_error(self, exc: BaseException) -> None:
        self.fines = None
        self._rows_note = (short_message(exc), exc)
        self.fines_view.value = _message_html(self._rows_note[0], error=True)


# --------------------------------------------------------------------------------------------
# The fines behind rows of a totals table


def narrowed(query: Query, rows: Sequence[Mapping[str, Any]]) -> Query:
    """``query`` narrowed to rows of a totals table (each given by its keys): the span of their
    years, and the regulators, countries, sectors and matters they name. A key no filter
    selects exactly (group, defendant, currency, status, a matter of ``(none)``) leaves that
    part of the query as it is."""
    changes: dict[str, Any] = {}
    for key in rows[0] if rows else ():
        values = [row[key] for row in rows]
        if key == "year":
            changes["years"] = (min(map(int, values)), max(map(int, values)))
        elif key in NARROWS and NO_VALUE not in values:
            changes[NARROWS[key]] = tuple(dict.fromkeys(str(v) for v in values))
    return query.replace(**changes) if changes else query


def behind_rows(
    data: Collection, query: Query, rows: Sequence[Mapping[str, Any]], rates: Any = None
) -> pd.DataFrame:
    """The counted fines behind rows of a ``totals(data, keys, query=query)`` table, each row
    given by its keys: :func:`finestats.analyses.fines_behind` with the query narrowed to the
    rows (:func:`narrowed`), keeping the fines whose keys are exactly those of a row (labelled
    as the totals label them). Largest first; they add up to the rows' totals."""
    if not rows:
        raise UsageError("no rows selected: select rows of the table")
    keys = list(rows[0])
    fines = fines_behind(data, narrowed(query, rows), rates)
    wanted = {tuple(_key_label(k, row[k]) for k in keys) for row in rows}
    labels = _labels(fines, data, keys).itertuples(index=False, name=None)
    out = fines[[label in wanted for label in labels]].reset_index(drop=True)
    meta = meta_of(fines)
    if meta is None:
        return out
    if len(rows) > 1:
        meta = meta.replace(what=f"the counted fines behind {len(rows)} rows")
    return attach(out, meta)


def _key_label(key: str, value: Any) -> Any:
    return int(value) if key == "year" else str(value)


def _labels(fines: pd.DataFrame, data: Collection, keys: Sequence[str]) -> pd.DataFrame:
    """Each fine's group keys, labelled as :func:`finestats.totals` labels them (an empty key
    is ``(none)``); the keys fines_behind does not show (sector, matter) from the decision."""
    decisions = data.fines.set_index(data.fines["fine_id"].astype(str))
    out = {}
    for key in keys:
        if key in fines.columns:
            col = fines[key]
        else:
            col = fines["fine_id"].astype(str).map(decisions[key].astype(object))
        if key == "year":
            out[key] = col.astype("int64")
        else:
            empty = col.isna() | (col.astype(str) == "")
            out[key] = col.astype(str).where(~empty, NO_VALUE)
    return pd.DataFrame(out, index=fines.index)


# --------------------------------------------------------------------------------------------
# Showing


def short_message(exc: BaseException) -> str:
    """An error as one short line: a finestats error's own message; anything else is a bug,
    named as such (the exception stays in ``explorer.error``)."""
    text = shorten_text(exc, MESSAGE_LIMIT)
    if isinstance(exc, FinestatsError):
        return f"{type(exc).__name__}: {text}"
    return f"Unexpected {type(exc).__name__}: {text} (a finestats bug; see explorer.error)"


def source_link(url: Any, text: str = "source") -> str:
    """An HTML anchor to ``url`` if it is an http(s) address (escaped; a new tab, no referrer),
    else the escaped text of ``url``: never a ``javascript:`` or ``data:`` link."""
    if url is None or (isinstance(url, float) and pd.isna(url)):
        return ""
    address = str(url).strip()
    if not _WEB_LINK.match(address):
        return html.escape(address)
    return (
        f'<a href="{html.escape(address, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer" title="{html.escape(address, quote=True)}">'
        f"{html.escape(text)}</a>"
    )


def fines_html(fines: pd.DataFrame, n_rows: int = 1) -> str:
    """The fines behind selected rows as an HTML table (what a reader looks for first: who,
    when, the status, the amount as decided and converted, the rate, the court events and the
    source link), every cell escaped, with a caption saying how many and their total."""
    meta = meta_of(fines)
    cur = meta.query.currency if meta is not None else _currency_of(fines)
    col = f"amount_{cur.lower()}"
    rows = f"{n_rows} selected rows" if n_rows != 1 else "the selected row"
    if fines.empty:
        return _message_html(f"No fines match {rows}.", error=False)
    first = [c for c in FINES_FIRST if c in fines.columns]
    first[first.index("fx_rate") : first.index("fx_rate")] = [
        c for c in fines.columns if str(c).startswith(col)
    ]
    order = [*first, *(c for c in fines.columns if c not in first)]
    n = len(fines)
    caption = (
        f"{n} fine{'s' if n != 1 else ''} behind {rows}: "
        f"{format_amount(float(fines[col].sum()), cur, significant=3)}"
    )
    return f"<p><strong>{html.escape(caption)}</strong></p>" + table_html(
        fines[order], height="32em"
    )


def table_html(table: pd.DataFrame, *, height: str = "28em") -> str:
    """``table`` for reading (:func:`finestats.formatting.readable`) as an HTML table in a box
    that scrolls: every cell escaped, numbers aligned right, long text wrapped, and a
    ``source_url`` column as a link (:func:`source_link`) named ``source``."""
    shown = readable(table, width=160)
    head = "".join(
        f"<th>{html.escape('source' if c == 'source_url' else str(c))}</th>" for c in shown.columns
    )
    kinds = [_cell_class(c, table[c]) for c in shown.columns]
    body = []
    for cells, original in zip(
        shown.itertuples(index=False, name=None),
        table.itertuples(index=False, name=None),
        strict=True,
    ):
        tds = (
            f"<td{kind}>{_cell_html(name, v, raw)}</td>"
            for name, kind, v, raw in zip(shown.columns, kinds, cells, original, strict=True)
        )
        body.append(f"<tr>{''.join(tds)}</tr>")
    return (
        f'<div style="max-height:{height};overflow:auto"><table class="finestats-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _cell_html(name: Any, shown: Any, raw: Any) -> str:
    """One cell, escaped: a source as a link, court events one to a line."""
    if name == "source_url":
        return source_link(raw)
    if name == "court_events":  # whole, however long: they say why a number is what it is
        text = "" if not isinstance(raw, str) else raw
        return "<div>" + "<br>".join(html.escape(part) for part in text.split("; ")) + "</div>"
    return html.escape(str(shown))


def _cell_class(name: Any, values: pd.Series) -> str:
    """How a column's cells are laid out: long text wraps, numbers align right."""
    if name == "court_events":
        return ' class="events"'
    if name in WRAPPED:
        return ' class="wrap"'
    return ' class="num"' if pd.api.types.is_numeric_dtype(values) else ""


def _currency_of(table: pd.DataFrame) -> str:
    col = next(c for c in table.columns if str(c).startswith("amount_"))
    return str(col).removeprefix("amount_").split("_")[0].upper()


def _headline_html(table: pd.DataFrame, q: Query) -> str:
    head = headline(table)
    total = format_amount(head["total"], q.currency, significant=3)
    n = head["n_fines"]
    parts = [f"<strong>{html.escape(total)}</strong> in {n} fine{'s' if n != 1 else ''}"]
    parts.append(html.escape(convention(q)))
    if q.real is not None:
        real = float(table[f"total_{q.currency.lower()}_real_{q.real}"].sum())
        real_text = format_amount(real, q.currency, significant=3)
        parts.append(f"{html.escape(real_text)} in {q.real} prices")
    parts.append("counting view: " + html.escape(view_text(q)))
    filters = filters_text(q)
    if filters:
        parts.append("filters: " + html.escape(filters))
    return "<p>" + " · ".join(parts) + "</p>"


def _message_html(text: str, *, error: bool) -> str:
    color = "#b00020" if error else "#555555"
    return f'<p style="color:{color};margin:0.3em 0">{html.escape(text)}</p>'


def _hint_html() -> str:
    return _message_html("Select rows above to see the fines behind them.", error=False)


def _row_label(keys: tuple[Any, ...], row: pd.Series, cur: str) -> str:
    n = int(row["n_fines"])
    total = format_amount(float(row[f"total_{cur.lower()}"]), cur, significant=3)
    return f"{' · '.join(str(k) for k in keys)}: {total} ({n} fine{'s' if n != 1 else ''})"


def _figure(table: pd.DataFrame, by: tuple[str, ...], cur: str, colors: dict[str, str]) -> Any:
    """The chart of a totals table: stacked years for regulator × year, bars otherwise (the
    :data:`CHART_TOP` largest when there are more)."""
    if by == ("regulator", "year"):
        return charts.stacked_by_year(table, colors=colors)
    if by == ("regulator",):
        return charts.bar_by_regulator(table, colors=colors)
    if by == ("year",):
        title = f"Fines per year ({cur})"
        return charts.regulator_over_time(table, "all", title=title, colors={"all": "#1f77b4"})
    key = by[0]
    total = f"total_{cur.lower()}"
    shown = largest_groups(table, CHART_TOP) if key == "group" else table
    shown = shown.sort_values([total, key], ascending=[False, True]).head(CHART_TOP)
    title = f"Total fines per {key} ({cur})"
    if len(shown) < len(table):
        title += f": the {len(shown)} largest of {len(table)}"
    return charts.bar_by_key(shown, key, title=title, meta=meta_of(table))


def _png(fig: Any) -> bytes:
    """The figure as PNG bytes; the figure is closed (nothing left for the inline backend)."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=charts.DPI, facecolor="white")
    finally:
        charts.pyplot().close(fig)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Controls, generated from the settings' declarations


def _widgets() -> Any:
    import ipywidgets

    return ipywidgets


def _label(name: str) -> str:
    return name.replace("_", " ")


def _control(w: Any, s: Setting, data: Collection, rates: Any) -> Any:
    """The widget of one setting, by its kind."""
    common = {
        "description": _label(s.name),
        "tooltip": s.help,
        "style": {"description_width": "7em"},
        "layout": w.Layout(width="100%"),
    }
    if s.kind == "currency":
        codes = rates.quoted() if isinstance(rates, RateTable) else ["EUR", "GBP", "SEK", "USD"]
        return w.Dropdown(options=codes, **common)
    if s.kind in ("choice", "optional_choice"):
        options = [("any", NONE)] if s.kind == "optional_choice" else []
        return w.Dropdown(options=[*options, *((c, c) for c in s.choices)], **common)
    if s.kind == "flag":
        return w.Checkbox(indent=False, **common)
    if s.kind == "names" and s.name in LISTED:
        values = data.fines[LISTED[s.name]].dropna().astype(str).unique()
        return w.SelectMultiple(options=sorted(values, key=str.casefold), rows=5, **common)
    if s.kind == "years":
        years = _data_years(data)
        return w.IntRangeSlider(min=years[0], max=years[1], continuous_update=False, **common)
    if s.kind == "date":
        return w.DatePicker(**common)
    if s.kind == "year":
        span = sorted(set(data.prices["year"].astype(int))) if data.prices is not None else []
        return w.Dropdown(options=[("nominal", NONE), *((str(y), y) for y in span)], **common)
    placeholder = s.metavar + (", ..." if s.kind == "names" else "")
    return w.Text(placeholder=placeholder, continuous_update=False, **common)


def _data_years(data: Collection) -> tuple[int, int]:
    dates = pd.concat([data.fines["decision_date"], data.fines["announced_date"]]).dropna()
    return int(dates.dt.year.min()), int(dates.dt.year.max())


def _set_control(control: Any, s: Setting, value: Any) -> None:
    """Give ``control`` the value of setting ``s`` (parsed as Query parses it; an empty text
    for a list of names is an empty box, as a person leaves it)."""
    if s.kind == "names" and isinstance(value, str) and not value.strip():
        value = ()
    value = s.parse(value)
    if s.kind == "names":
        if hasattr(control, "options"):
            control.value = _listed(s, control.options, value)
        else:
            control.value = ", ".join(value)
    elif s.kind == "years":
        lo, hi = value or (control.min, control.max)
        control.min, control.max = min(control.min, lo), max(control.max, hi)
        control.value = (lo, hi)
    elif s.kind == "at" or (s.kind in ("optional_choice", "year") and value is None):
        control.value = NONE if value is None else str(value)
    elif s.kind == "currency" and value not in control.options:
        raise UsageError(f"currency={value!r}: the rate table knows " + ", ".join(control.options))
    else:
        try:
            control.value = value
        except Exception:  # traitlets' TraitError: not one of a Dropdown's options
            offered = [str(o[0] if isinstance(o, tuple) else o) for o in control.options]
            raise UsageError(f"{s.name}={value!r}: expected one of {', '.join(offered)}") from None


def _listed(s: Setting, options: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as the control's options spell them (ignoring case); an unknown one is a
    UsageError naming the known ones."""
    known = {o.casefold(): o for o in options}
    unknown = [n for n in names if n.casefold() not in known]
    if unknown:
        raise UsageError(
            f"{s.name}: unknown {', '.join(unknown)}: the data has " + ", ".join(options)
        )
    return tuple(known[n.casefold()] for n in names)


def _value_of(control: Any, s: Setting, full_years: tuple[int, int]) -> Any:
    """The setting's value from its control (text stays text: Query parses it)."""
    value = control.value
    if value == NONE and s.kind in ("at", "optional_choice", "year"):
        return None
    if s.kind == "years":
        return None if tuple(value) == full_years else tuple(value)
    if s.kind in ("at", "names") and isinstance(value, str):
        return value.strip() or (None if s.kind == "at" else ())
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _layout(w: Any, ex: Explorer) -> Any:
    """Controls (the main ones, then the rest folded), the group-by selector, the headline and
    message, the chart, the table, the rows to select and the fines behind them."""
    grid = w.Layout(grid_template_columns="repeat(auto-fill, minmax(22em, 1fr))", grid_gap="4px")
    main = [ex.controls[name] for name in MAIN]
    rest = [c for name, c in ex.controls.items() if name not in MAIN]
    more = w.Accordion(children=[w.GridBox(rest, layout=grid)], titles=("More settings",))
    more.selected_index = None
    box = w.VBox(
        [
            w.HTML(STYLE),
            w.GridBox(main, layout=grid),
            more,
            ex.grouping,
            ex.message_view,
            ex.headline_view,
            ex.chart,
            ex.table_view,
            w.HTML("<strong>The fines behind rows of the table</strong> (select one or more)"),
            ex.rows,
            ex.fines_view,
        ]
    )
    box.add_class("finestats-explorer")
    return box
