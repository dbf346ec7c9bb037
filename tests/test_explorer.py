"""finestats.explorer: the live explorer, driven without a browser by setting its controls' values
as a person would; its state (query, table, fines, message) is compared with the library's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

import finestats
from finestats.explorer import (
    GROUPINGS,
    MAIN,
    Explorer,
    explore,
    fines_html,
    narrowed,
    source_link,
)
from finestats.formatting import format_amount
from finestats.query import Query, meta_of, settings
from finestats.rates import load_rates
from finestats.totals import NO_VALUE, totals

from .conftest import records_csv


@pytest.fixture(scope="module")
def data() -> finestats.Collection:
    return finestats.load()


@pytest.fixture(scope="module")
def rates():
    return load_rates()


@pytest.fixture
def ex(data, rates) -> Explorer:
    return explore(data, rates=rates)


def _same_table(ex: Explorer, data, rates, **settings) -> None:
    """The explorer's table is finestats.totals with the same settings and grouping."""
    q = Query(**settings)
    assert ex.message == "" and ex.query == q
    want = totals(data, ex.by, query=q, rates=rates)
    pd.testing.assert_frame_equal(ex.table, want)
    assert meta_of(ex.table) == meta_of(want)


def test_every_setting_has_a_control_with_its_help(ex: Explorer) -> None:
    assert list(ex.controls) == list(settings())
    for name, s in settings().items():
        assert ex.controls[name].tooltip == s.help
    assert set(MAIN) <= set(ex.controls)
    assert ex.controls["real"].label == "nominal" and ex.controls["region"].label == "any"
    assert ex.query == Query() and ex.by == ("regulator", "year")
    assert ex.chart.value[:4] == b"\x89PNG" and "<table" in ex.table_view.value


def test_the_first_values_come_from_the_settings(data, rates) -> None:
    ex = explore(data, rates=rates, currency="usd", regulators=["ico", "CNIL"], years="2019-2021")
    assert ex.controls["currency"].value == "USD"
    assert ex.controls["regulators"].value == ("ICO", "CNIL")  # as the data spells them
    assert ex.controls["years"].value == (2019, 2021)
    _same_table(ex, data, rates, currency="USD", regulators=["ICO", "CNIL"], years=(2019, 2021))
    q = Query(view="effective", as_of="2022-12-31", articles=["6"], groups=["meta"])
    ex = explore(data, q, rates=rates, by="sector")
    assert ex.controls["as_of"].value == dt.date(2022, 12, 31)
    assert ex.controls["articles"].value == "6" and ex.controls["groups"].value == "meta"
    _same_table(ex, data, rates, **{**q.as_dict(), "years": None})


@pytest.mark.parametrize(
    ("changes", "settings_"),
    [
        ({"currency": "SEK"}, {"currency": "SEK"}),
        (
            {"view": "effective", "as_of": dt.date(2022, 12, 31)},
            {"view": "effective", "as_of": "2022-12-31"},
        ),
        (
            {"years": (2020, 2022), "regulators": ("ICO", "CNIL")},
            {"years": (2020, 2022), "regulators": ["ICO", "CNIL"]},
        ),
        (
            {"countries": ("SE", "FR"), "sectors": ("health",)},
            {"countries": ["SE", "FR"], "sectors": ["health"]},
        ),
        (
            {"articles": "5(1)(f), 32", "groups": "meta"},
            {"articles": ["5(1)(f)", "32"], "groups": ["meta"]},
        ),
        (
            {"matters": ("clearview-ai",), "include_provisional": True},
            {"matters": ["clearview-ai"], "include_provisional": True},
        ),
        (
            {"years": (2018, 2025), "real": 2024, "currency": "GBP"},
            {"years": (2018, 2025), "real": 2024, "currency": "GBP"},
        ),
        (
            {"complete_only": True, "year_of": "announced_date"},
            {"complete_only": True, "year_of": "announced_date"},
        ),
        (
            {"at": "year-average", "region": "uk", "years": (2019, 2024)},
            {"at": "year-average", "region": "uk", "years": (2019, 2024)},
        ),
    ],
)
def test_the_table_follows_each_control(ex: Explorer, data, rates, changes, settings_) -> None:
    for name, value in changes.items():  # one control after the other, as a person does
        ex.controls[name].value = value
    _same_table(ex, data, rates, **settings_)
    assert ex.chart.value[:4] == b"\x89PNG"


@pytest.mark.parametrize(("label", "by"), GROUPINGS)
def test_every_grouping_has_its_table_and_chart(ex: Explorer, data, rates, label, by) -> None:
    ex.grouping.value = by
    assert ex.by == by
    _same_table(ex, data, rates)
    assert ex.chart.value[:4] == b"\x89PNG"
    assert len(ex.rows.options) == len(ex.table)


def _check_row(ex: Explorer, i: int) -> None:
    ex.rows.value = (i,)
    row = ex.table.iloc[i]
    cur = ex.query.currency.lower()
    assert ex.message == "", ex.message
    assert len(ex.fines) == row["n_fines"], (i, row.to_dict())
    assert ex.fines[f"amount_{cur}"].sum() == pytest.approx(row[f"total_{cur}"], rel=1e-12)


@pytest.mark.parametrize(
    ("by", "changes"),
    [
        (("regulator", "year"), {"currency": "SEK"}),
        (("regulator", "year"), {"view": "effective", "as_of": "2022-12-31"}),
        (("group",), {}),  # "(none)": records of no group
        (("matter",), {"view": "effective"}),  # "(none)": no filter selects it
        (("status",), {"view": "effective", "include_provisional": True}),
        (("currency",), {"currency": "USD"}),
        (("country",), {"years": (2020, 2022)}),
        (("sector",), {"real": 2024, "years": (2019, 2024)}),
    ],
)
def test_the_fines_behind_a_row_add_up_to_its_total(ex: Explorer, by, changes) -> None:
    ex.set(by=by, **changes)
    assert ex.message == "" and len(ex.table) > 1
    step = max(1, len(ex.table) // 12)  # a dozen rows of the long tables, every row of the rest
    for i in range(0, len(ex.table), step):
        _check_row(ex, i)
    if NO_VALUE in set(ex.table[by[0]].astype(str)):
        _check_row(ex, list(ex.table[by[0]].astype(str)).index(NO_VALUE))
    ex.select(*range(len(ex.table)))  # every row: every counted fine, once
    cur = ex.query.currency.lower()
    assert len(ex.fines) == ex.table["n_fines"].sum() == ex.fines["fine_id"].nunique()
    assert ex.fines[f"amount_{cur}"].sum() == pytest.approx(ex.table[f"total_{cur}"].sum())


def test_the_query_is_narrowed_to_the_rows() -> None:
    q = Query(currency="SEK", regulators=["ICO", "CNIL", "IMY"])
    assert narrowed(q, [{"regulator": "ICO", "year": 2022}]) == q.replace(
        regulators=["ICO"], years=(2022, 2022)
    )
    rows = [{"regulator": "ICO", "year": 2022}, {"regulator": "CNIL", "year": 2019}]
    assert narrowed(q, rows) == q.replace(regulators=["ICO", "CNIL"], years=(2019, 2022))
    assert narrowed(q, [{"matter": NO_VALUE}, {"matter": "clearview-ai"}]) == q  # no filter
    assert narrowed(q, [{"group": "Meta", "status": "final"}]) == q  # only exact filters
    assert narrowed(q, [{"sector": "health", "country": "SE"}]) == q.replace(
        sectors=["health"], countries=["SE"]
    )


def test_the_fines_show_what_the_issue_asks(ex: Explorer) -> None:
    ex.set(currency="SEK").select({"regulator": "ICO", "year": 2022})
    for col in ("amount", "currency", "amount_sek", "fx_rate", "fx_date", "status"):
        assert col in ex.fines.columns
    assert {"court_events", "source_url"} <= set(ex.fines.columns)
    clearview = ex.fines[ex.fines["fine_id"] == "ico-2022-clearview-ai"].iloc[0]
    assert "set-aside" in clearview["court_events"]
    shown = ex.fines_view.value
    assert shown.count("<tr>") == len(ex.fines) + 1  # the header and one row per fine
    assert f"{len(ex.fines)} fines behind the selected row: SEK " in shown
    # three significant digits, as the headline and the charts: "SEK 170M", "SEK 8.21M"
    total = ex.fines["amount_sek"].sum()
    assert f"behind the selected row: {format_amount(total, 'SEK', significant=3)}" in shown
    labels = [label for label, _ in ex.rows.options]
    assert all(re.search(r": SEK (\d\.\d\d|\d\d\.\d|\d{3})(k|M|bn) \(", x) for x in labels), labels
    assert shown.count('target="_blank" rel="noopener noreferrer"') == len(ex.fines)
    assert meta_of(ex.fines).query.regulators == ("ICO",)  # the query narrowed to the row
    assert meta_of(ex.fines).query.years == (2022, 2022)


def test_several_rows_and_the_selection_kept_across_changes(ex: Explorer) -> None:
    ex.select({"regulator": "ICO", "year": 2022}, {"regulator": "CNIL", "year": 2022})
    picked = ex.table.iloc[list(ex.rows.value)]
    assert len(ex.fines) == picked["n_fines"].sum()
    assert ex.fines["amount_eur"].sum() == pytest.approx(picked["total_eur"].sum())
    assert "behind 2 selected rows" in ex.fines_view.value
    ex.controls["currency"].value = "GBP"  # the same rows stay selected, in pounds
    assert [ex.rows.options[i][0].split(":")[0] for i in ex.rows.value] == [
        "CNIL · 2022",
        "ICO · 2022",
    ]
    assert ex.fines["amount_gbp"].sum() == pytest.approx(
        ex.table.iloc[list(ex.rows.value)]["total_gbp"].sum()
    )
    ex.grouping.value = ("sector",)  # another grouping: nothing selected, no fines
    assert ex.rows.value == () and ex.fines is None
    assert "Select rows" in ex.fines_view.value


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"groups": "zzz"}, "UsageError: no group matches 'zzz'"),
        ({"articles": "5(1)("}, "UsageError: article='5(1)(': expected an article reference"),
        ({"at": "yesterday"}, "UsageError: at='yesterday': expected a date YYYY-MM-DD"),
        ({"as_of": dt.date(2022, 1, 1)}, "UsageError: as_of applies to the effective view"),
        ({"currency": "DKK", "real": 2024}, "RatesError: no price index for DKK"),
        # years set past the index after choosing constant prices: 2026 fines cannot be
        ({"real": 2024, "years": (2019, 2026)}, "RatesError: cannot convert"),
    ],
)
def test_a_bad_setting_shows_one_short_message(ex: Explorer, changes, message) -> None:
    ex.select(0)
    for name, value in changes.items():
        ex.controls[name].value = value
    assert ex.message.startswith(message), ex.message
    assert "\n" not in ex.message and "Traceback" not in ex.message and len(ex.message) <= 450
    assert isinstance(ex.error, finestats.FinestatsError)
    assert ex.message_view.value.count("<p") == 1 and "#b00020" in ex.message_view.value
    assert ex.table is None and ex.fines is None and bytes(ex.chart.value) == b""
    assert ex.rows.options == () and ex.table_view.value == ""
    ex.set(
        **{name: settings()[name].parse(None) if name != "currency" else "EUR" for name in changes}
    )  # put right: the message goes
    assert ex.message == "" and ex.message_view.value == "" and ex.table is not None


def test_the_query_is_none_while_a_control_holds_a_refused_setting(ex: Explorer) -> None:
    ex.controls["at"].value = "yesterday"
    assert ex.query is None and ex.table is None and ex.message.startswith("UsageError: at=")
    ex.controls["at"].value = ""
    assert ex.query == Query() and ex.message == ""
    ex.controls["groups"].value = "zzz"  # a query, whose selection fails
    assert ex.query == Query(groups=["zzz"]) and ex.table is None
    with pytest.raises(finestats.UsageError, match="regulators: unknown NOPE"):
        ex.set(groups="", currency="SEK", regulators=["NOPE"])
    assert ex.query == Query(currency="SEK") and ex.message == ""  # the others took effect


def test_an_empty_selection_says_no_fines_match(ex: Explorer) -> None:
    ex.set(regulators=["IMY"], sectors=["energy"])
    assert ex.table is not None and ex.table.empty and ex.error is None
    assert ex.message.startswith("no fines match these parameters")
    assert "regulators IMY; sectors energy" in ex.message
    assert ex.rows.options == () and ex.fines is None and bytes(ex.chart.value) == b""
    ex.set(sectors=[], years=(2030, 2031))  # years beyond the data, too
    assert ex.table.empty and ex.message.startswith("no fines match")


def test_a_bad_row_selection_shows_one_message(ex: Explorer) -> None:
    ex.select({"regulator": "NOPE", "year": 2021})
    assert ex.message == "UsageError: no row regulator NOPE, year 2021 in the table " + (
        f"(by regulator, year; {len(ex.table)} rows)"
    )
    assert ex.fines is None and "#b00020" in ex.fines_view.value
    ex.select(len(ex.table))
    assert ex.message == f"UsageError: no row {len(ex.table)} in the table ({len(ex.table)} rows)"
    ex.select(0)
    assert ex.message == "" and len(ex.fines) == ex.table["n_fines"].iloc[0]


def test_the_as_of_date_goes_with_the_effective_view(ex: Explorer) -> None:
    assert ex.controls["as_of"].disabled
    ex.set(view="effective", as_of="2022-12-31")
    assert not ex.controls["as_of"].disabled and ex.query.as_of == dt.date(2022, 12, 31)
    ex.controls["view"].value = "imposed"  # back to what was decided: no day to stand on
    assert ex.controls["as_of"].disabled and ex.controls["as_of"].value is None
    assert ex.message == "" and ex.query == Query()


def test_constant_prices_narrow_the_years_to_the_index(ex: Explorer, data, rates) -> None:
    """The EUR index of price_indices.csv ends in 2025 (an annual average exists once the year
    is over), so choosing 2024 prices narrows the years to end in 2025, as notebook 05 does,
    instead of failing on the 2026 fines."""
    last = int(data.fines["decision_date"].dt.year.max())
    assert last == 2026 and ex.controls["years"].value[1] == last
    ex.controls["real"].value = 2024
    assert ex.message == "" and ex.controls["years"].value[1] == 2025
    _same_table(ex, data, rates, real=2024, years=(ex.controls["years"].value[0], 2025))
    assert "total_eur_real_2024" in ex.table.columns


def test_only_currencies_a_recent_fine_converts_to_are_offered(ex: Explorer) -> None:
    options = list(ex.controls["currency"].options)
    assert {"EUR", "SEK", "GBP", "USD", "HRK", "BGN"} <= set(options)  # HRK, BGN: legacy rates
    assert not {"RUB", "TRL", "ROL"} & set(options)  # no fixing since 2022, 2004, 2005


def test_bad_first_values_are_errors(data, rates) -> None:
    with pytest.raises(finestats.UsageError, match="regulators: unknown NOPE: the data has"):
        explore(data, rates=rates, regulators=["NOPE"])
    with pytest.raises(finestats.UsageError, match="cannot group by fine_id: expected some of"):
        explore(data, rates=rates, by="fine_id")
    with pytest.raises(finestats.UsageError, match="the explorer groups by one of"):
        explore(data, rates=rates, by=("year", "sector"))
    with pytest.raises(finestats.UsageError, match="real=2030: expected one of nominal, 2018,"):
        explore(data, rates=rates, real=2030)
    with pytest.raises(finestats.UsageError, match="currency='XYZ': the rate table knows AUD"):
        explore(data, rates=rates, currency="XYZ")
    with pytest.raises(finestats.UsageError, match="unknown setting colour"):
        explore(data, rates=rates).set(colour="red")


def test_source_links_are_escaped_http_links_only() -> None:
    assert source_link("javascript:alert(1)") == "javascript:alert(1)"
    assert source_link(" JavaScript:alert(1)") == "JavaScript:alert(1)"
    assert source_link("data:text/html,<script>x</script>") == (
        "data:text/html,&lt;script&gt;x&lt;/script&gt;"
    )
    link = source_link('https://example.org/a?x=1&y="><script>alert(1)</script>')
    assert link.startswith('<a href="https://example.org/a?x=1&amp;y=&quot;&gt;&lt;script&gt;')
    assert "<script>" not in link and link.endswith(">source</a>")
    assert source_link("HTTP://EXAMPLE.ORG/x").startswith('<a href="HTTP://EXAMPLE.ORG/x"')
    assert source_link(None) == "" and source_link(float("nan")) == ""


def test_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    path = records_csv(
        tmp_path,
        {"defendant": "<img src=x onerror=alert(1)>", "group": "A & B <Group>"},
        {"source_url": 'https://example.org/"><script>alert(2)</script>'},
    )
    ex = explore(finestats.load(path), by="defendant")
    assert ex.message == "" and len(ex.table) == 2
    ex.select(*range(len(ex.table)))
    page = ex.fines_view.value + ex.table_view.value
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "A &amp; B &lt;Group&gt;" in page
    assert re.search(r'href="https://example.org/&quot;&gt;&lt;script&gt;', page)


def test_fines_html_of_no_fines(ex: Explorer) -> None:
    ex.select(0)
    assert "No fines match the selected row." in fines_html(ex.fines.head(0))


def test_it_displays_as_a_widget(ex: Explorer) -> None:
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert repr(ex).startswith("<finestats Explorer: by regulator, year; ")
    assert finestats.explore is explore


def test_court_events_are_shown_whole_one_to_a_line(data) -> None:
    """The ICO's Clearview AI fine: its four court events, each on its own line, none cut, each
    escaped."""
    from finestats.analyses import fines_behind

    fines = fines_behind(data, Query(regulators=("ICO",), years=(2022, 2022)))
    page = fines_html(fines[fines["fine_id"] == "ico-2022-clearview-ai"])
    cell = re.search(r"<td class=\"events\"><div>(.*?)</div></td>", page).group(1)
    lines = cell.split("<br>")
    assert [line[:21] for line in lines] == [
        "2023-10-17 set-aside ",
        "2023-11-17 appeal-lod",
        "2025-10-06 reinstated",
        "2025-10-06 remitted (",
    ]
    assert lines[-1] == "2025-10-06 remitted (Upper Tribunal (Administrative Appeals Chamber))"
