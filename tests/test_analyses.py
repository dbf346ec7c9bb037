"""The notebooks' tables on the lifecycle fixture, every figure worked by hand.

With the bundled ECB rates: ICO 2020 GBP 20m at EUR/GBP 0.90915 = EUR 21,998,570.09; IMY 2021
SEK 10,086,800 = EUR 1m; CNIL 2021 EUR 5m and 3m; CNIL 2022 EUR 500,000 penalty.

With the small rate file of :func:`ecb_file` (round rates, so that a ``rates=`` argument that is
dropped shows): ICO 20m GBP at 0.8 = EUR 25m (at 2024-12-31, 0.5: EUR 40m); IMY SEK 10,086,800
at 8 = EUR 1,260,850 (at 2024-12-31, 12.5: EUR 806,944; 2021 average 2616/261: EUR
1,006,366.97).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from finestats import load, load_fines
from finestats.analyses import (
    articles_cited,
    conversion_audit,
    counted_converted,
    currency_effect,
    headline_figures,
    largest_fines,
    matter_decisions,
    matter_events,
    nominal_and_real,
    notices_and_finals,
    own_currency,
    rate_conventions,
    rate_conventions_wide,
    timeline_table,
)
from finestats.errors import FinestatsError, UsageError
from finestats.query import Query, meta_of
from finestats.rates import load_rates
from finestats.totals import totals

ICO_EUR = 20_000_000 / 0.90915
SEK_2021_AVERAGE = (129 * 8 + 132 * 12) / 261  # 129 weekdays Jan-Jun at 8, 132 Jul-Dec at 12
IMPOSED = "imposed (final fines and penalties; court outcomes not added)"
TEXT = ("regulator", "currency", "status")


def ecb_file(path: Path, gbp_from: str = "2019-01-01", rub_until: str | None = None) -> Path:
    """An ECB-format history (units per EUR, newest first): every weekday 2019-01-01 to
    2023-06-30, and 2024-12-31. GBP 0.8 from ``gbp_from`` (0.5 on 2024-12-31); SEK 10, but in
    2021 8 from January to June and 12 from July to December (12.5 on 2024-12-31); with
    ``rub_until``, RUB 90 up to that date and N/A after."""
    lines = ["Date,GBP,SEK,RUB,", "2024-12-31,0.5,12.5,N/A,"]
    for d in reversed(pd.bdate_range("2019-01-01", "2023-06-30")):
        day = f"{d:%Y-%m-%d}"
        sek = 10 if d.year != 2021 else 8 if d.month <= 6 else 12
        gbp = "0.8" if day >= gbp_from else "N/A"
        rub = "90" if rub_until and day <= rub_until else "N/A"
        lines.append(f"{day},{gbp},{sek},{rub},")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def rates_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ecb_file(tmp_path_factory.mktemp("analyses-rates") / "eurofxref-hist.csv")


@pytest.fixture
def fines(lifecycle_csv) -> pd.DataFrame:
    return load_fines(lifecycle_csv)


def is_text(s: pd.Series) -> bool:
    return not isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(s)


def test_counted_converted_with_the_query_and_the_rates_given(fines, rates_file) -> None:
    q = Query(currency="SEK", years=(2021, 2022))
    c = counted_converted(fines, q, rates=rates_file)
    assert c["fine_id"].tolist() == [
        "imy-2021-beta",
        "cnil-2021-gamma",
        "cnil-2021-delta",
        "cnil-2022-gamma-penalty",
    ]
    assert c["fx_rate"].tolist() == [1.0, 8.0, 12.0, 10.0]
    assert c["amount_sek"].tolist() == [10_086_800, 40e6, 36e6, 5e6]
    meta = meta_of(c)
    assert (meta.what, meta.n_records, meta.query) == ("counted fines, converted", 4, q)
    assert meta.rate_source == f"file:{rates_file}" and meta.rate_snapshot == "2024-12-31"
    at = counted_converted(fines, Query(at="2024-12-31", regulators=("ICO", "IMY")), rates_file)
    assert at["amount_eur"].tolist() == [40e6, 806_944]
    assert at["fx_date"].tolist() == [pd.Timestamp("2024-12-31")] * 2


def test_counted_converted_on_the_announcement_date(fines) -> None:
    c = counted_converted(fines, Query(on="announced_date", regulators=("IMY",)))
    assert c["fx_date"].tolist() == [pd.Timestamp("2021-02-12")]  # decided the day before
    assert c["amount_eur"].tolist() == pytest.approx([10_086_800 / 10.0818])


def test_largest_fines(fines) -> None:
    t = largest_fines(fines, Query(), n=3)
    assert t["fine_id"].tolist() == ["ico-2020-alpha", "cnil-2021-gamma", "cnil-2021-delta"]
    assert t["amount_eur"].tolist() == pytest.approx([ICO_EUR, 5e6, 3e6])
    assert meta_of(t).what == "the 3 largest counted fines"
    assert list(t.columns) == [
        "fine_id",
        "regulator",
        "defendant",
        "decision_date",
        "status",
        "amount",
        "currency",
        "amount_eur",
        "fx_rate",
        "fx_date",
    ]
    assert list(t.index) == [0, 1, 2]
    assert all(is_text(t[c]) for c in TEXT)
    assert t.loc[0, ["regulator", "currency", "status"]].tolist() == ["ICO", "GBP", "final"]


def test_largest_fines_ties_in_order_of_fine_id(edited_csv) -> None:
    df = load_fines(edited_csv({(7, "amount"): "5000000"}))  # Delta now ties with Gamma
    t = largest_fines(df, Query(), n=4)
    assert t["fine_id"].tolist() == [
        "ico-2020-alpha",
        "cnil-2021-delta",
        "cnil-2021-gamma",
        "imy-2021-beta",
    ]


def test_largest_fines_with_the_rates_given(fines, rates_file) -> None:
    t = largest_fines(fines, Query(currency="GBP"), n=2, rates=rates_file)
    assert t["amount_gbp"].tolist() == [20e6, 4e6] and t["fx_rate"].tolist() == [1.0, 0.8]
    assert meta_of(t).rate_snapshot == "2024-12-31"


def test_largest_fines_shows_ten_by_default(tmp_path) -> None:
    rows = [
        "fine_id,regulator,regulator_name,country,defendant,decision_date,announced_date,"
        "date_precision,amount,currency,status,supersedes,law,source_url,notes"
    ]
    rows += [
        f"f{i:02d},X,X,FR,D{i},2021-03-{i:02d},,day,{i}000,EUR,final,,GDPR,https://x.org,"
        for i in range(1, 13)
    ]
    path = tmp_path / "twelve.csv"
    path.write_text("\n".join(rows) + "\n")
    t = largest_fines(load_fines(path), Query())
    assert t["fine_id"].tolist() == [f"f{i:02d}" for i in range(12, 2, -1)]
    assert meta_of(t).what == "the 10 largest counted fines"


def test_own_currency(fines, edited_csv) -> None:
    assert own_currency(fines, "IMY") == "SEK" and own_currency(fines, "CNIL") == "EUR"
    assert own_currency(fines, "ICO") == "GBP"
    with pytest.raises(UsageError, match="^no records of regulator 'XYZ'$"):
        own_currency(fines, "XYZ")
    # the most frequent currency, though another comes first by code
    two_dkk = edited_csv({(5, "currency"): "DKK", (6, "currency"): "DKK"}, "dkk.csv")
    assert own_currency(load_fines(two_dkk), "CNIL") == "EUR"
    # a tie: the first by code, whichever comes first in the file
    assert own_currency(load_fines(edited_csv({(3, "currency"): "USD"}, "a.csv")), "ICO") == "GBP"
    assert own_currency(load_fines(edited_csv({(3, "currency"): "EUR"}, "b.csv")), "ICO") == "EUR"


def test_currency_effect(fines) -> None:
    e = currency_effect(fines, Query(currency="EUR"), "ICO")
    assert list(e.columns) == ["year", "n_fines", "total_gbp", "total_eur", "implied_rate"]
    assert e.loc[0, "implied_rate"] == pytest.approx(1 / 0.90915)
    assert meta_of(e).extra == {"own_currency": "GBP", "regulator": "ICO"}
    same = currency_effect(fines, Query(currency="EUR"), "CNIL")
    assert list(same.columns) == ["year", "n_fines", "total_eur", "implied_rate"]
    assert same["implied_rate"].tolist() == [1.0, 1.0]


def test_currency_effect_with_the_rates_given(fines, rates_file) -> None:
    q = Query(currency="SEK", regulators=("IMY",))  # the regulator argument replaces these
    e = currency_effect(fines, q, "CNIL", rates=rates_file)
    assert list(e.columns) == ["year", "n_fines", "total_eur", "total_sek", "implied_rate"]
    assert e.values.tolist() == [
        [2021, 2, 8e6, 5e6 * 8 + 3e6 * 12, 9.5],
        [2022, 1, 5e5, 5e6, 10.0],
    ]
    meta = meta_of(e)
    assert meta.what == "CNIL: totals in EUR and SEK"
    assert meta.query == Query(currency="SEK", regulators=("CNIL",))
    assert meta.rate_snapshot == "2024-12-31"
    assert meta.extra == {"own_currency": "EUR", "regulator": "CNIL"}
    ico = currency_effect(fines, Query(), "ICO", rates=rates_file)
    assert ico.values.tolist() == [[2020, 1, 20e6, 25e6, 1.25]]


def test_currency_effect_keeps_the_query_filters(fines) -> None:
    e = currency_effect(fines, Query(currency="SEK", years=(2022, 2022)), "CNIL")
    assert e["year"].tolist() == [2022] and e["total_eur"].tolist() == [500_000]
    assert e["total_sek"].tolist() == pytest.approx([500_000 * 10.7783])


def test_rate_conventions_name_every_fine_without_a_rate(fines) -> None:
    t = rate_conventions(fines, Query(), fixed_date="2024-12-31")
    assert list(t.columns) == [
        "year",
        "n_fines",
        "total_eur_decision_date",
        "total_eur_at_2024_12_31",
        "total_eur_year_average",
        "not_converted",
    ]
    row = t.set_index("year").loc[2021]
    assert row["total_eur_decision_date"] == pytest.approx(9_000_000)
    assert row["total_eur_at_2024_12_31"] == pytest.approx(8e6 + 10_086_800 / 11.4590)
    assert t["not_converted"].tolist() == ["", "", ""]


def test_rate_conventions_with_the_rates_given(fines, rates_file) -> None:
    t = rate_conventions(fines, Query(), rates=rates_file)  # fixed date 2024-12-31 by default
    assert list(t.columns) == [
        "year",
        "n_fines",
        "total_eur_decision_date",
        "total_eur_at_2024_12_31",
        "total_eur_year_average",
        "not_converted",
    ]
    assert t["year"].tolist() == [2020, 2021, 2022] and t["n_fines"].tolist() == [1, 3, 1]
    assert t["total_eur_decision_date"].tolist() == pytest.approx([25e6, 9_260_850, 5e5])
    assert t["total_eur_at_2024_12_31"].tolist() == pytest.approx([40e6, 8_806_944, 5e5])
    assert t["total_eur_year_average"].tolist() == pytest.approx(
        [25e6, 8e6 + 10_086_800 / SEK_2021_AVERAGE, 5e5]
    )
    assert t["not_converted"].tolist() == ["", "", ""]
    meta = meta_of(t)
    assert meta.what == "totals per year under three rate conventions"
    assert meta.extra == {"fixed_date": "2024-12-31"} and meta.query == Query()
    assert meta.rate_snapshot == "2024-12-31"
    # the query's own `at` does not change the first convention
    pd.testing.assert_frame_equal(
        rate_conventions(fines, Query(at="2019-01-02"), rates=rates_file), t
    )


def test_rate_conventions_named_by_currency_date_and_fixed_date(fines, rates_file) -> None:
    q = Query(currency="SEK", on="announced_date", regulators=("ICO", "IMY"))
    t = rate_conventions(fines, q, fixed_date="2024-12-31", rates=rates_file)
    assert list(t.columns) == [
        "year",
        "n_fines",
        "total_sek_announced_date",
        "total_sek_at_2024_12_31",
        "total_sek_year_average",
        "not_converted",
    ]
    # ICO: GBP 20m at 10/0.8, at 12.5/0.5, at the 2020 averages 10/0.8
    assert t.iloc[0, 2:5].tolist() == pytest.approx([250e6, 500e6, 250e6])
    assert t.iloc[1, 2:5].tolist() == pytest.approx([10_086_800] * 3)
    other = rate_conventions(fines, Query(regulators=("IMY",)), "2020-01-02", rates_file)
    assert list(other.columns)[3] == "total_eur_at_2020_01_02"
    assert other.iloc[0, 3] == pytest.approx(10_086_800 / 10)
    assert meta_of(other).extra == {"fixed_date": "2020-01-02"}


def test_rate_conventions_leave_out_only_the_years_without_a_rate(edited_csv, tmp_path) -> None:
    """RUB is fixed until mid-2021 (no 2021 average, none at 2024-12-31); GBP only from March
    2020 (no 2020 average). Those years show NaN and name their fines; the others are
    totalled with the rates given."""
    rates = ecb_file(tmp_path / "partial.csv", gbp_from="2020-03-02", rub_until="2021-06-30")
    path = edited_csv(
        {
            (7, "currency"): "RUB",
            (7, "amount"): "900000",
            (7, "decision_date"): "2021-04-01",
            (9, "fine_id"): "cnil-2021-alpha-rub",
            (9, "currency"): "RUB",
            (9, "amount"): "450000",
            (9, "decision_date"): "2021-05-03",
        }
    )
    t = rate_conventions(load_fines(path), Query(), rates=rates)
    assert t["year"].tolist() == [2020, 2021] and t["n_fines"].tolist() == [1, 4]
    assert t["total_eur_decision_date"].tolist() == pytest.approx(
        [25e6, 1_260_850 + 5e6 + 10_000 + 5_000]
    )
    assert t.loc[0, "total_eur_at_2024_12_31"] == pytest.approx(40e6)
    assert t.loc[[1], "total_eur_at_2024_12_31"].isna().all()
    assert t["total_eur_year_average"].isna().all()
    assert t["total_eur_year_average"].dtype == "float64"
    assert t["not_converted"].tolist() == ["ico-2020-alpha", "cnil-2021-alpha-rub cnil-2021-delta"]


def test_rate_conventions_with_many_fines_without_a_rate(tmp_path) -> None:
    """14 fines that cannot be converted all come back by id (the old code lost four)."""
    rows = [
        "fine_id,regulator,regulator_name,country,defendant,decision_date,announced_date,"
        "date_precision,amount,currency,status,supersedes,law,source_url,notes"
    ]
    rows += [
        f"f{i:02d},X,X,RU,D{i},2021-0{1 + i % 9}-1{i % 9},,day,1000,RUB,final,,GDPR,https://x.org,"
        for i in range(14)
    ]
    path = tmp_path / "rub.csv"
    path.write_text("\n".join(rows) + "\n")
    t = rate_conventions(load_fines(path), Query(), fixed_date="2024-12-31")  # RUB: no 2024 fixing
    assert t["not_converted"].str.split().explode().tolist() == [f"f{i:02d}" for i in range(14)]
    assert t["total_eur_at_2024_12_31"].isna().all()


def test_rate_conventions_wide_names_each_convention_in_words() -> None:
    table = pd.DataFrame(
        {
            "year": [2020, 2021],
            "n_fines": [1, 2],
            "total_usd_decision_date": [1.0, 2.0],
            "total_usd_at_2024_12_31": [3.0, 4.0],
            "total_usd_year_average": [5.0, 6.0],
            "not_converted": ["", "f1"],
        }
    )
    wide = rate_conventions_wide(table)
    assert list(wide.columns) == [
        "ECB rate of decision date",
        "ECB rate of 2024-12-31",
        "ECB annual average of the year",
    ]
    assert wide.index.name == "year" and wide.index.tolist() == [2020, 2021]
    assert wide.to_numpy().tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]
    announced = table.rename(columns={"total_usd_decision_date": "total_usd_announced_date"})
    assert list(rate_conventions_wide(announced).columns)[0] == "ECB rate of announcement date"


def test_rate_conventions_wide_of_a_computed_table(fines, rates_file) -> None:
    t = rate_conventions(fines, Query(currency="GBP"), fixed_date="2020-01-02", rates=rates_file)
    wide = rate_conventions_wide(t)
    assert list(wide.columns) == [
        "ECB rate of decision date",
        "ECB rate of 2020-01-02",
        "ECB annual average of the year",
    ]
    assert wide.loc[2020].tolist() == [20e6] * 3


def test_conversion_audit(fines) -> None:
    a = conversion_audit(fines, Query(currency="SEK", years=(2021, 2021)))
    assert a["fine_id"].tolist() == ["imy-2021-beta", "cnil-2021-gamma", "cnil-2021-delta"]
    assert a.loc[0, "fx_rate"] == 1.0 and a.loc[1, "fx_rate"] == 10.0955
    assert list(a.columns) == [
        "fine_id",
        "regulator",
        "defendant",
        "decision_date",
        "status",
        "amount",
        "currency",
        "amount_sek",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    assert meta_of(a).what == "conversion of each counted fine"


def test_conversion_audit_with_the_rates_given(fines, rates_file) -> None:
    q = Query(currency="GBP", on="announced_date", regulators=("ICO", "IMY"))
    a = conversion_audit(fines, q, rates=rates_file)
    assert list(a.columns)[3] == "announced_date" and "decision_date" not in a.columns
    assert a["amount_gbp"].tolist() == pytest.approx([20e6, 10_086_800 * 0.8 / 8])
    assert a["fx_source"].tolist() == [f"file:{rates_file}"] * 2
    assert all(is_text(a[c]) for c in (*TEXT, "fx_source"))
    assert list(a.index) == [0, 1] and meta_of(a).query == q


def test_matter_decisions_events_and_timeline(collection) -> None:
    events = (
        "event_id,fine_id,date,court,outcome,source_url,notes\n"
        "e1,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://x.org,\n"
    )
    df = load(collection(events=events))
    d = matter_decisions(df, Query(matter="alpha-breach"))
    assert d["fine_id"].tolist() == ["ico-2019-alpha-noi", "ico-2020-alpha"]
    assert d["status"].tolist() == ["provisional", "final"]  # every status, nothing totalled
    ev = matter_events(df, d)
    assert ev[["fine_id", "outcome", "regulator"]].values.tolist() == [
        ["ico-2020-alpha", "set-aside", "ICO"]
    ]
    t = timeline_table(d, ev)
    assert t["what"].tolist() == ["provisional", "final", "court: set aside"]
    assert (
        matter_decisions(df, Query(defendant="gamma"))["fine_id"].tolist()[0] == "cnil-2021-gamma"
    )
    with pytest.raises(UsageError, match="unknown matter nope"):
        matter_decisions(df, Query(matter="nope"))


def test_matter_decisions_columns_rates_and_description(fines, rates_file) -> None:
    q = Query(matter="alpha-breach", currency="SEK", at="2024-12-31")
    d = matter_decisions(fines, q, rates=rates_file)
    assert list(d.columns) == [
        "fine_id",
        "regulator",
        "defendant",
        "decision_date",
        "announced_date",
        "status",
        "supersedes",
        "amount",
        "currency",
        "amount_sek",
        "fx_rate",
        "fx_date",
        "fx_source",
    ]
    assert d["amount_sek"].tolist() == [2.5e9, 5e8]  # GBP 100m and 20m at 12.5/0.5
    assert d["fx_date"].tolist() == [pd.Timestamp("2024-12-31")] * 2
    assert all(is_text(d[c]) for c in (*TEXT, "fx_source"))
    assert d["fx_source"].tolist() == [f"file:{rates_file}"] * 2
    meta = meta_of(d)
    assert (meta.what, meta.n_records, meta.query) == ("every record of matter alpha-breach", 2, q)
    assert meta.rate_snapshot == "2024-12-31"
    assert meta.extra == {
        "view_text": "every decision (provisional notices, penalties and court outcomes shown as "
        "they are; nothing totalled)"
    }
    by_name = matter_decisions(fines, Query(defendant="Gamma SA"))
    assert meta_of(by_name).what == "every record of Gamma SA"
    assert meta_of(by_name).n_records == 3


def test_matter_decisions_on_the_announcement_date(fines) -> None:
    d = matter_decisions(fines, Query(defendant="beta", on="announced_date"))
    assert d["fx_date"].tolist() == [pd.Timestamp("2021-02-12")]
    assert d["amount_eur"].tolist() == pytest.approx([10_086_800 / 10.0818])


def test_matter_decisions_by_defendant_in_date_order(fines) -> None:
    every = matter_decisions(fines, Query(defendant="A"))  # every defendant has an "a"
    assert every["fine_id"].tolist() == [
        "ico-2019-alpha-noi",
        "ico-2020-alpha",
        "imy-2021-beta",
        "cnil-2021-gamma",
        "cnil-2021-delta",
        "cnil-2022-gamma-reduced",
        "cnil-2022-delta-annulled",
        "cnil-2022-gamma-penalty",
    ]
    assert list(every.index) == list(range(8))
    gamma = matter_decisions(fines, Query(defendant="GAMMA sa"))
    assert gamma["status"].tolist() == ["final", "reduced", "penalty"]
    # a matter wins over a defendant
    alpha = matter_decisions(fines, Query(matter="alpha-breach", defendant="Gamma"))
    assert alpha["fine_id"].tolist() == ["ico-2019-alpha-noi", "ico-2020-alpha"]


def test_matter_decisions_same_day_in_order_of_fine_id(edited_csv) -> None:
    df = load_fines(edited_csv({(6, "decision_date"): "2022-07-01"}))  # reduced on penalty day
    d = matter_decisions(df, Query(defendant="Gamma"))
    assert d["fine_id"].tolist() == [
        "cnil-2021-gamma",
        "cnil-2022-gamma-penalty",
        "cnil-2022-gamma-reduced",
    ]


def test_matter_decisions_defendant_is_plain_text(edited_csv) -> None:
    df = load_fines(edited_csv({(7, "defendant"): "Delta+ SAS"}))
    assert matter_decisions(df, Query(defendant="delta+"))["fine_id"].tolist() == [
        "cnil-2021-delta"
    ]  # as a pattern, "delta+" would also match "Delta SAS"
    with pytest.raises(UsageError, match=r"^no defendant matches '\(SAS'$"):
        matter_decisions(df, Query(defendant="(SAS"))


def test_matter_decisions_within_the_year_and_regulator_filters(fines) -> None:
    def ids(**settings) -> list[str]:
        return matter_decisions(fines, Query(**settings))["fine_id"].tolist()

    assert ids(matter="alpha-breach", years=(2019, 2019)) == ["ico-2019-alpha-noi"]
    assert ids(matter="alpha-breach", years=(2020, 2022)) == ["ico-2020-alpha"]
    assert ids(defendant="Delta", years=(2020, 2021)) == ["cnil-2021-delta"]
    assert ids(defendant="a", regulators=("IMY",)) == ["imy-2021-beta"]
    assert ids(defendant="a", regulators=("imy", "Ico")) == [
        "ico-2019-alpha-noi",
        "ico-2020-alpha",
        "imy-2021-beta",
    ]
    assert ids(defendant="a", regulators=("CNIL",), years=(2022, 2022)) == [
        "cnil-2022-gamma-reduced",
        "cnil-2022-delta-annulled",
        "cnil-2022-gamma-penalty",
    ]
    assert ids(matter="alpha-breach", regulators=("IMY",)) == []


def test_matter_decisions_errors(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "matter"): "beta-case", (9, "matter"): "aardvark"}))
    known = "known matters are aardvark, alpha-breach, beta-case"
    with pytest.raises(UsageError, match=f"^unknown matter nope: {known}$"):
        matter_decisions(df, Query(matter="nope"))
    assert matter_decisions(df, Query(matter="aardvark"))["fine_id"].tolist() == [
        "cnil-2022-gamma-penalty"
    ]
    with pytest.raises(UsageError, match="^no defendant matches 'Zeta'$"):
        matter_decisions(df, Query(defendant="Zeta"))
    with pytest.raises(
        UsageError, match="^a matter or a defendant is needed to list its decisions$"
    ):
        matter_decisions(df, Query(regulators=("ICO",)))


EVENTS = """event_id,fine_id,date,court,outcome,source_url,notes
e-aside,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://x.org/1,
e-lodged,ico-2020-alpha,2020-12-01,Tribunal,appeal-lodged,https://x.org/2,
e-gamma,cnil-2021-gamma,2021-07-01,Conseil d'Etat,appeal-lodged,https://x.org/3,
e-noi,ico-2019-alpha-noi,2020-12-01,High Court,leave-refused,https://x.org/4,
e-same-day,ico-2019-alpha-noi,2020-10-16,High Court,upheld,https://x.org/5,
"""


def test_matter_events_in_date_order(collection) -> None:
    df = load(collection(events=EVENTS))
    d = matter_decisions(df, Query(matter="alpha-breach"))
    ev = matter_events(df, d)
    assert list(ev.columns) == [
        "date",
        "fine_id",
        "regulator",
        "defendant",
        "court",
        "outcome",
        "source_url",
    ]
    assert ev.drop(columns="date").values.tolist() == [
        [
            "ico-2019-alpha-noi",
            "ICO",
            "Alpha Airways",
            "High Court",
            "upheld",
            "https://x.org/5",
        ],
        [
            "ico-2019-alpha-noi",
            "ICO",
            "Alpha Airways",
            "High Court",
            "leave-refused",
            "https://x.org/4",
        ],
        ["ico-2020-alpha", "ICO", "Alpha Airways", "Tribunal", "appeal-lodged", "https://x.org/2"],
        ["ico-2020-alpha", "ICO", "Alpha Airways", "Tribunal", "set-aside", "https://x.org/1"],
    ]
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-10-16",
        "2020-12-01",
        "2020-12-01",
        "2021-03-01",
    ]
    assert list(ev.index) == [0, 1, 2, 3]


def test_matter_events_without_events(fines, collection) -> None:
    cols = ["date", "fine_id", "regulator", "defendant", "court", "outcome", "source_url"]
    d = matter_decisions(fines, Query(matter="alpha-breach"))
    none = matter_events(fines, d)  # no events.csv
    assert list(none.columns) == cols and none.empty
    header_only = load(collection(events=EVENTS.splitlines()[0] + "\n"))
    empty = matter_events(header_only, d)
    assert list(empty.columns) == cols and empty.empty
    other = load(collection(events=EVENTS))
    beta = matter_events(other, matter_decisions(other, Query(defendant="Beta")))
    assert list(beta.columns) == cols and beta.empty


def test_timeline_table(collection) -> None:
    df = load(collection(events=EVENTS))
    d = matter_decisions(df, Query(matter="alpha-breach"))
    t = timeline_table(d, matter_events(df, d))
    assert list(t.columns) == [
        "date",
        "what",
        "regulator",
        "defendant",
        "amount",
        "currency",
        "amount_eur",
        "court",
        "fine_id",
    ]
    assert t["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-07-08",
        "2020-10-16",
        "2020-10-16",
        "2020-12-01",
        "2020-12-01",
        "2021-03-01",
    ]
    assert t["fine_id"].tolist() == [
        "ico-2019-alpha-noi",
        "ico-2019-alpha-noi",
        "ico-2020-alpha",
        "ico-2019-alpha-noi",
        "ico-2020-alpha",
        "ico-2020-alpha",
    ]
    assert t["what"].tolist() == [
        "provisional",
        "court: upheld",
        "final",
        "court: leave refused",
        "court: appeal lodged",
        "court: set aside",
    ]
    assert t["court"].tolist() == ["", "High Court", "", "High Court", "Tribunal", "Tribunal"]
    assert t["currency"].tolist() == ["GBP", "", "GBP", "", "", ""]
    assert t.loc[[0, 2], "amount"].tolist() == [100e6, 20e6]
    assert t.loc[[1, 3, 4, 5], ["amount", "amount_eur"]].isna().all().all()
    assert t.loc[2, "amount_eur"] == pytest.approx(ICO_EUR)
    assert t.loc[0, "amount_eur"] == pytest.approx(100e6 / 0.89625)
    assert set(t["regulator"]) == {"ICO"} and set(t["defendant"]) == {"Alpha Airways"}
    assert list(t.index) == list(range(6))
    meta = meta_of(t)
    assert meta.what == "decisions and court events in date order"
    assert meta.query == Query(matter="alpha-breach") and meta.n_records == 2


def test_timeline_table_without_events_or_description(fines) -> None:
    d = matter_decisions(fines, Query(defendant="Delta", currency="SEK"))
    t = timeline_table(d, matter_events(fines, d))
    assert t["what"].tolist() == ["final", "annulled"]
    assert t["court"].tolist() == ["", ""] and "amount_sek" in t.columns
    plain = d.copy()
    plain.attrs = {}
    bare = timeline_table(plain, matter_events(fines, d))
    assert meta_of(bare) is None and "finestats" not in bare.attrs
    assert bare["fine_id"].tolist() == ["cnil-2021-delta", "cnil-2022-delta-annulled"]


def test_headline(fines) -> None:
    q = Query()
    head = headline_figures(fines, q, totals(fines, query=q))
    assert head["n_fines"] == 5 and head["total"] == pytest.approx(9.5e6 + ICO_EUR)
    assert head["largest"]["fine_id"] == "ico-2020-alpha"
    assert head["convention"] == "EUR at ECB rate of decision date"
    none = headline_figures(fines, Query(years=(2019, 2019)), totals(fines, years=(2019, 2019)))
    assert none["n_fines"] == 0 and none["max"] is None and none["largest"] is None


def test_headline_figures_every_field(fines, rates_file) -> None:
    q = Query(currency="SEK", years=(2020, 2021), regulators=("ICO", "IMY"))
    head = headline_figures(fines, q, totals(fines, query=q, rates=rates_file), rates=rates_file)
    assert head == {
        "n_fines": 2,
        "total": pytest.approx(250e6 + 10_086_800),
        "max": pytest.approx(250e6),
        "currency": "SEK",
        "convention": "SEK at ECB rate of decision date",
        "view": IMPOSED,
        "rate_snapshot": "2024-12-31",
        "years": [2020, 2021],
        "regulators": ["ICO", "IMY"],
        "largest": {
            "fine_id": "ico-2020-alpha",
            "defendant": "Alpha Airways",
            "regulator": "ICO",
            "decision_date": "2020-10-16",
            "amount": 20e6,
            "currency": "GBP",
        },
        "scope": "No declared scope: the records are a sample.",
        "filters": "decided 2020-2021; regulators ICO, IMY",
        "n_records": 8,
        "n_counted": 5,
        "n_outside_scope": None,  # the records have no coverage.csv beside them
    }


def test_headline_figures_largest_in_the_query_currency(fines, rates_file) -> None:
    """At 2024-12-31 the CNIL 5m is the largest in EUR of these two; in GBP too; the IMY fine
    alone has one fine, whose largest figure is kept."""
    q = Query(regulators=("IMY", "CNIL"), years=(2021, 2021), at="2024-12-31")
    head = headline_figures(fines, q, totals(fines, query=q, rates=rates_file), rates_file)
    assert head["largest"]["fine_id"] == "cnil-2021-gamma"
    assert head["convention"] == "EUR at ECB rate of 2024-12-31"
    one = headline_figures(fines, Query(regulators=("IMY",)), totals(fines, regulators="IMY"))
    assert one["n_fines"] == 1 and one["max"] == pytest.approx(1e6)
    assert one["largest"]["amount"] == 10_086_800 and one["largest"]["currency"] == "SEK"
    assert one["years"] is None and one["regulators"] == ["IMY"]


def test_headline_figures_of_a_table_without_description(fines, rates_file) -> None:
    """The conventions come from the table's description, else from the query and rates."""
    table = totals(fines, query=Query(at="2024-12-31"), rates=rates_file)
    head = headline_figures(fines, Query(), table)
    assert head["convention"] == "EUR at ECB rate of 2024-12-31"
    assert head["rate_snapshot"] == "2024-12-31"
    table.attrs = {}
    bare = headline_figures(fines, Query(include_penalties=False), table, rates=rates_file)
    assert bare["convention"] == "EUR at ECB rate of decision date"
    assert bare["rate_snapshot"] == "2024-12-31"
    assert bare["view"] == "imposed (final fines; court outcomes not added)"
    assert bare["scope"] == "No declared scope: the records are a sample."


def test_articles_cited_counts_each_fine_once_per_article(fines) -> None:
    t = articles_cited(fines, Query())
    got = {r.article: (r.n_fines, r.total_eur) for r in t.itertuples()}
    assert got["5"] == (2, pytest.approx(ICO_EUR + 3e6))  # 5(1)(f) and 5(1)(c)
    assert got["6"] == (2, pytest.approx(6e6))  # 6(1) and 6
    assert got["LIL:82"] == (1, 5e6) and got["58"] == (1, 500_000)
    assert t["article"].tolist()[:2] == ["5", "6"]


def test_articles_cited_order_and_spelling(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "articles"): "6(1);13;12;6", (9, "articles"): ""}))
    t = articles_cited(df, Query())
    assert list(t.columns) == ["article", "n_fines", "n_summary", "total_eur"]
    assert t["n_summary"].tolist() == [0] * 7  # the fixture's articles are read in decisions
    assert t["article"].tolist() == ["5", "6", "32", "LIL:82", "16", "12", "13"]
    assert t["n_fines"].tolist() == [2, 2, 1, 1, 1, 1, 1]
    assert t["total_eur"].tolist() == pytest.approx(
        [ICO_EUR + 3e6, 6e6, ICO_EUR, 5e6, 3e6, 1e6, 1e6]
    )
    assert list(t.index) == list(range(7))
    assert meta_of(t).what == "articles cited by the counted fines (each fine once per article)"
    # a frame built by hand, with spaces and an empty reference: the same table
    spaced = df.copy()
    spaced.loc[spaced["fine_id"] == "imy-2021-beta", "articles"] = " 6(1) ;13 ; 12;6;"
    pd.testing.assert_frame_equal(articles_cited(spaced, Query()), t)


def test_articles_cited_with_the_rates_given(fines, rates_file) -> None:
    t = articles_cited(fines, Query(currency="GBP", regulators=("ICO",)), rates=rates_file)
    assert t.values.tolist() == [["32", 1, 0, 20e6], ["5", 1, 0, 20e6]]  # a tie: by article
    sek = articles_cited(fines, Query(currency="SEK", regulators=("IMY",)), rates=rates_file)
    assert sek["total_sek"].tolist() == [10_086_800, 10_086_800]
    assert meta_of(sek).rate_snapshot == "2024-12-31"


def test_nominal_and_real(fines) -> None:
    wide = nominal_and_real(totals(fines, "year", real=2024))
    assert list(wide.columns) == ["nominal (EUR of each year)", "in 2024 prices"]
    assert wide.index.name == "year" and wide.index.tolist() == [2020, 2021, 2022]
    assert wide["nominal (EUR of each year)"].tolist() == pytest.approx([ICO_EUR, 9e6, 5e5])
    assert wide.loc[2022, "in 2024 prices"] == pytest.approx(500_000 * 126.07 / 116.82)
    # Without real (a currency without a price index): the nominal column alone, so that the
    # notebook still draws the nominal totals and says why there are no constant prices.
    nominal = nominal_and_real(totals(fines, "year"))
    assert list(nominal.columns) == ["nominal (EUR of each year)"]
    with pytest.raises(UsageError, match="^nominal_and_real needs a totals table"):
        nominal_and_real(pd.DataFrame({"year": [2020], "total_eur": [1.0]}))


def test_analyses_leave_the_records_unchanged(fines, rates_file) -> None:
    before = fines.copy()
    matter_decisions(fines, Query(defendant="a", years=(2021, 2021)), rates_file)
    rate_conventions(fines, Query(), rates=rates_file)
    pd.testing.assert_frame_equal(fines, before)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta_of(largest_fines(fines, Query())).rate_snapshot)


def test_headline_figures_largest_under_the_rates_given(fines, tmp_path) -> None:
    """With GBP at 10 and SEK at 1 per euro (2024-12-31), the SEK fine is the largest: EUR
    10,086,800 against ICO's EUR 2m and CNIL's EUR 5m (with the ECB's own rates, ICO's)."""
    rates = tmp_path / "one-day.csv"
    rates.write_text("Date,GBP,SEK,\n2024-12-31,10,1,\n")
    q = Query(at="2024-12-31", years=(2020, 2021))
    head = headline_figures(fines, q, totals(fines, query=q, rates=rates), rates)
    assert head["largest"]["fine_id"] == "imy-2021-beta"
    assert head["max"] == pytest.approx(10_086_800)
    assert head["total"] == pytest.approx(2e6 + 10_086_800 + 5e6 + 3e6)


def test_articles_cited_of_a_frame_with_missing_references(fines) -> None:
    """A frame built by hand with plain object columns: a fine without articles cites none."""
    plain = fines.astype({"articles": object})
    plain.loc[plain["fine_id"] == "imy-2021-beta", "articles"] = None
    t = articles_cited(plain, Query())
    assert t["article"].tolist() == ["5", "32", "6", "LIL:82", "16", "58"]
    assert t["n_fines"].tolist() == [2, 1, 1, 1, 1, 1]


def test_matter_decisions_of_a_frame_with_missing_text(fines) -> None:
    """Missing matters and defendants (pandas "string" columns, <NA>) match nothing."""
    df = fines.astype({"matter": "string", "defendant": "string"})
    df.loc[df["fine_id"] == "imy-2021-beta", "defendant"] = pd.NA
    alpha = matter_decisions(df, Query(matter="alpha-breach"))
    assert alpha["fine_id"].tolist() == ["ico-2019-alpha-noi", "ico-2020-alpha"]
    some = matter_decisions(df, Query(defendant="a", regulators=("IMY", "ICO")))
    assert some["fine_id"].tolist() == ["ico-2019-alpha-noi", "ico-2020-alpha"]


def test_rate_conventions_of_a_query_counting_more_than_the_default(edited_csv, rates_file) -> None:
    """An unreplaced notice (RUB 9m, at 90 = EUR 100,000) counts only with include_provisional;
    RUB has no rate on 2024-12-31, so 2019 has no total at that date and names the notice."""
    path = edited_csv(
        {(2, "currency"): "RUB", (2, "amount"): "9000000", (3, "supersedes"): ""}, "noi.csv"
    )
    rates = ecb_file(rates_file.parent / "rub.csv", rub_until="2021-06-30")
    t = rate_conventions(load_fines(path), Query(include_provisional=True), rates=rates)
    assert t["year"].tolist() == [2019, 2020, 2021, 2022]
    assert t["total_eur_decision_date"].tolist() == pytest.approx([1e5, 25e6, 9_260_850, 5e5])
    assert t["total_eur_at_2024_12_31"].tolist()[1:] == pytest.approx([40e6, 8_806_944, 5e5])
    assert t["total_eur_at_2024_12_31"].isna().tolist() == [True, False, False, False]
    assert t["total_eur_year_average"].tolist()[0] == pytest.approx(1e5)
    assert t["not_converted"].tolist() == ["ico-2019-alpha-noi", "", "", ""]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"complete_only": True}, "complete_only"),
        ({"view": "effective", "as_of": "2024-01-01"}, "view='effective', as_of"),
        ({"real": 2024}, "real"),
    ],
)
def test_notices_refuse_settings_that_cannot_apply(settings, named) -> None:
    """A notice of intent is listed as decided: a setting about fines is refused, not ignored."""
    with pytest.raises(UsageError, match=rf"^{re.escape(named)}: not for notices of intent"):
        notices_and_finals(load(), **settings)


# --- every record converted, the fines behind a total, corporate groups, notices -------------

COURT_EVENTS = (
    "event_id,fine_id,date,court,outcome,source_url,notes\n"
    "g-appeal,cnil-2021-gamma,2021-07-01,Conseil d'Etat,appeal-lodged,https://x.org/g,\n"
    "a-remit,ico-2020-alpha,2022-06-30,Upper Tribunal,remitted,https://x.org/r,\n"
    "a-back,ico-2020-alpha,2022-06-30,Upper Tribunal,reinstated,https://x.org/b,\n"
    "a-aside,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://x.org/a,\n"
)


def priced(tmp_path: Path, lifecycle_csv: Path) -> Path:
    """The lifecycle records beside a copy of the price indices in which the euro area's 2020
    HICP is 210.12 (twice Eurostat's 105.06)."""
    folder = tmp_path / "priced"
    folder.mkdir()
    (folder / "fines.csv").write_bytes(lifecycle_csv.read_bytes())
    text = (Path(__file__).resolve().parents[1] / "data/raw/price_indices.csv").read_text("utf-8")
    assert text.count(",2020,105.06,") == 1
    (folder / "price_indices.csv").write_text(
        text.replace(",2020,105.06,", ",2020,210.12,"), encoding="utf-8"
    )
    return folder / "fines.csv"


def test_all_converted_converts_every_record(fines, rates_file) -> None:
    from finestats.analyses import all_converted

    t = all_converted(fines, currency="SEK", rates=rates_file)
    assert t["fine_id"].tolist() == fines["fine_id"].tolist()  # every status, file order
    # GBP at 10/0.8 = 12.5 SEK; EUR at 10, in 2021 8 (Jan-Jun) and 12 (Jul-Dec)
    assert t["amount_sek"].tolist() == pytest.approx(
        [1.25e9, 250e6, 10_086_800, 40e6, 20e6, 36e6, 30e6, 5e6]
    )
    assert t["year"].tolist() == [2019, 2020, 2021, 2021, 2022, 2021, 2022, 2022]
    meta = meta_of(t)
    assert meta.what == "all records (no counting rules applied)"
    assert (meta.n_records, meta.query, meta.rate_snapshot) == (
        8,
        Query(currency="SEK"),
        "2024-12-31",
    )


def test_all_converted_with_the_query_year_date_and_prices(edited_csv, tmp_path, lifecycle_csv):
    from finestats.analyses import all_converted

    later = load_fines(edited_csv({(3, "announced_date"): "2021-01-05"}))
    t = all_converted(later, Query(year_of="announced_date", at="2024-12-31"))
    assert t["year"].tolist() == [2019, 2021, 2021, 2021, 2022, 2021, 2022, 2022]
    assert t["fx_date"].unique().tolist() == [pd.Timestamp("2024-12-31")]
    assert all_converted(later, Query(at="2024-12-31"))["year"].tolist()[:2] == [2019, 2020]
    # every record announced a week after its decision, converted at that date's ECB rate
    week = later.assign(announced_date=later["decision_date"] + pd.Timedelta(days=7))
    on = all_converted(week, Query(on="announced_date"))
    assert on["fx_date"].tolist()[:2] == [pd.Timestamp("2019-07-15"), pd.Timestamp("2020-10-23")]
    real = all_converted(load(priced(tmp_path, lifecycle_csv)), Query(real=2020))
    # 2020 in this copy of the HICP is 210.12; 2021 107.78 and 2022 116.82 as published
    assert real["real_factor"].tolist() == pytest.approx(
        [210.12 / 104.80, 1.0]
        + [210.12 / 107.78] * 2
        + [210.12 / 116.82]
        + [210.12 / 107.78]
        + [210.12 / 116.82] * 2
    )


def test_fines_behind_the_totals(collection, rates_file) -> None:
    from finestats.analyses import fines_behind

    df = load(collection(events=COURT_EVENTS))
    t = fines_behind(df, currency="SEK", rates=rates_file)
    assert list(t.columns) == [
        "fine_id",
        "regulator",
        "country",
        "defendant",
        "group",
        "year",
        "decision_date",
        "status",
        "amount",
        "currency",
        "amount_sek",
        "fx_rate",
        "fx_date",
        "court_events",
        "source_url",
    ]
    assert list(t.index) == [0, 1, 2, 3, 4]
    assert t["fine_id"].tolist() == [  # largest first
        "ico-2020-alpha",
        "cnil-2021-gamma",
        "cnil-2021-delta",
        "imy-2021-beta",
        "cnil-2022-gamma-penalty",
    ]
    assert t["amount_sek"].tolist() == pytest.approx([250e6, 40e6, 36e6, 10_086_800, 5e6])
    assert t["amount_sek"].sum() == pytest.approx(
        totals(df, currency="SEK", rates=rates_file)["total_sek"].sum()
    )
    assert t["court_events"].tolist() == [
        "2021-03-01 set-aside (Tribunal); 2022-06-30 reinstated (Upper Tribunal); "
        "2022-06-30 remitted (Upper Tribunal)",
        "2021-07-01 appeal-lodged (Conseil d'Etat)",
        "",
        "",
        "",
    ]
    assert t.loc[0, ["regulator", "country", "group", "status", "currency"]].tolist() == [
        "ICO",
        "GB",
        "Alpha Group",
        "final",
        "GBP",
    ]
    assert all(is_text(t[c]) for c in ("regulator", "country", "status", "currency"))
    assert t["year"].tolist() == [2020, 2021, 2021, 2021, 2022]
    assert t["source_url"].tolist()[:2] == [
        "https://example.org/alpha",
        "https://example.org/gamma",
    ]
    assert meta_of(t).what == "the counted fines behind the totals"
    assert meta_of(t).query == Query(currency="SEK")


def test_fines_behind_ties_real_terms_and_missing_text(edited_csv, fines) -> None:
    from finestats.analyses import fines_behind

    tie = load_fines(edited_csv({(7, "amount"): "5000000"}))  # Delta now ties with Gamma
    t = fines_behind(tie, Query(real=2021, regulators=("CNIL",)))
    assert t["fine_id"].tolist() == [
        "cnil-2021-delta",
        "cnil-2021-gamma",
        "cnil-2022-gamma-penalty",
    ]
    assert list(t.columns)[10:13] == ["amount_eur", "amount_eur_real_2021", "fx_rate"]
    assert t["amount_eur_real_2021"].tolist() == pytest.approx(
        [5e6, 5e6, 500_000 * 107.78 / 116.82]
    )
    assert t["court_events"].tolist() == ["", "", ""]  # no events beside the records
    # a frame built by hand without a regulator or country for one record: empty text
    hand = fines.astype({"regulator": object, "country": object})
    hand.loc[hand["fine_id"] == "imy-2021-beta", ["regulator", "country"]] = None
    row = fines_behind(hand, Query(years=(2021, 2021))).set_index("fine_id")
    assert row.loc["imy-2021-beta", ["regulator", "country"]].tolist() == ["", ""]
    assert row.loc["cnil-2021-gamma", ["regulator", "country"]].tolist() == ["CNIL", "FR"]


def test_with_regulator_names(fines) -> None:
    from finestats.analyses import with_regulator_names

    t = totals(fines, ("year", "regulator"))
    named = with_regulator_names(t, fines)
    assert list(named.columns) == [
        "year",
        "regulator",
        "regulator_name",
        "country",
        "n_fines",
        "total_eur",
        "median_eur",
        "max_eur",
    ]
    assert named[["regulator", "regulator_name", "country"]].values.tolist() == [
        ["ICO", "Information Commissioner's Office", "GB"],
        ["CNIL", "Commission nationale de l'informatique et des libertés", "FR"],
        ["IMY", "Integritetsskyddsmyndigheten (IMY)", "SE"],
        ["CNIL", "Commission nationale de l'informatique et des libertés", "FR"],
    ]
    assert all(is_text(named[c]) for c in ("regulator_name", "country"))
    assert meta_of(named) == meta_of(t)
    assert "regulator_name" not in t.columns  # the table given is left as it was
    plain = with_regulator_names(pd.DataFrame({"regulator": ["IMY"], "x": [1]}), fines)
    assert plain.values.tolist() == [["IMY", "Integritetsskyddsmyndigheten (IMY)", "SE", 1]]
    assert meta_of(plain) is None


def test_largest_groups(edited_csv) -> None:
    from finestats.analyses import largest_groups

    # Beta AB without a group (a public body, say); Delta's fine now 5.5m, as Gamma Holding's two
    df = load_fines(edited_csv({(4, "group"): "", (7, "amount"): "5500000"}))
    t = totals(df, "group")
    assert t["group"].tolist() == ["(none)", "Alpha Group", "Delta SAS", "Gamma Holding"]
    top = largest_groups(t)
    assert top["group"].tolist() == ["Alpha Group", "Delta SAS", "Gamma Holding"]  # a tie: by name
    assert top["total_eur"].tolist() == pytest.approx([ICO_EUR, 5.5e6, 5.5e6])
    assert list(top.index) == [0, 1, 2] and list(top.columns) == list(t.columns)
    assert meta_of(top).what == "the 10 largest corporate groups"
    assert meta_of(top).query == meta_of(t).query
    two = largest_groups(totals(df, "group", currency="SEK"), top=2)
    assert two["group"].tolist() == ["Alpha Group", "Delta SAS"]
    assert meta_of(two).what == "the 2 largest corporate groups"
    t.attrs = {}
    assert meta_of(largest_groups(t, 1)) is None and largest_groups(t, 1)["group"].tolist() == [
        "Alpha Group"
    ]


@pytest.fixture
def notices(edited_csv) -> pd.DataFrame:
    """The lifecycle records with the CNIL penalty turned into a notice of intent of
    2019-01-15 (EUR 500,000, announced 2020-02-03) that no fine replaced."""
    return load_fines(
        edited_csv(
            {
                (9, "fine_id"): "cnil-2019-gamma-noi",
                (9, "status"): "provisional",
                (9, "decision_date"): "2019-01-15",
                (9, "announced_date"): "2020-02-03",
            }
        )
    )


def test_notices_and_finals(notices, rates_file) -> None:
    from finestats.analyses import notices_and_finals

    t = notices_and_finals(notices, Query(currency="SEK"), rates=rates_file)
    assert list(t.columns) == [
        "notice_id",
        "regulator",
        "defendant",
        "notice_date",
        "notice_sek",
        "final_id",
        "final_date",
        "final_sek",
        "final_share",
    ]
    assert list(t.index) == [0, 1]
    # in date order: the CNIL notice (2019-01-15) before the ICO one (2019-07-08)
    assert t["notice_id"].tolist() == ["cnil-2019-gamma-noi", "ico-2019-alpha-noi"]
    assert t["regulator"].tolist() == ["CNIL", "ICO"] and is_text(t["regulator"])
    assert t["defendant"].tolist() == ["Gamma SA", "Alpha Airways"]
    assert t["notice_date"].tolist() == [pd.Timestamp("2019-01-15"), pd.Timestamp("2019-07-08")]
    # EUR 500,000 at SEK 10; GBP 100m at 12.5 SEK per GBP, its final GBP 20m (2020-10-16) too
    assert t["notice_sek"].tolist() == pytest.approx([5e6, 1.25e9])
    assert t["final_id"].isna().tolist() == [True, False]
    assert t.loc[1, "final_id"] == "ico-2020-alpha"
    assert t.loc[1, "final_date"] == pd.Timestamp("2020-10-16") and pd.isna(t.loc[0, "final_date"])
    assert t.loc[1, "final_sek"] == pytest.approx(250e6) and pd.isna(t.loc[0, "final_sek"])
    assert t.loc[1, "final_share"] == pytest.approx(0.2) and pd.isna(t.loc[0, "final_share"])
    meta = meta_of(t)
    assert meta.what == "notices of intent beside the fines that replaced them"
    assert (meta.n_records, meta.query, meta.rate_snapshot) == (
        2,
        Query(currency="SEK"),
        "2024-12-31",
    )


def test_notices_and_finals_with_the_query_filters_and_dates(notices, rates_file) -> None:
    from finestats.analyses import notices_and_finals

    ico = notices_and_finals(notices, regulators=["ICO"], rates=rates_file)
    assert ico["notice_id"].tolist() == ["ico-2019-alpha-noi"]
    assert ico["notice_eur"].tolist() == pytest.approx([125e6])  # GBP at 0.8
    # announced in 2020: out of 2019 when years count from the announcement
    by_announcement = notices_and_finals(notices, years=2019, year_of="announced_date")
    assert by_announcement["notice_id"].tolist() == ["ico-2019-alpha-noi"]
    assert notices_and_finals(notices, years=2019)["notice_id"].tolist() == [
        "cnil-2019-gamma-noi",
        "ico-2019-alpha-noi",
    ]
    # the provisional setting does not apply (the view is refused: see the test above)
    eff = notices_and_finals(notices, Query(include_provisional=False))
    assert len(eff) == 2
    at = notices_and_finals(notices, Query(at="2024-12-31", on="announced_date"), rates=rates_file)
    assert at["notice_eur"].tolist() == pytest.approx([500_000, 200e6])  # GBP at 0.5
    assert at.loc[1, "final_eur"] == pytest.approx(40e6)
    # every record announced a week after its decision, converted at that date's ECB rate
    week = notices.assign(announced_date=notices["decision_date"] + pd.Timedelta(days=7))
    on = notices_and_finals(week, Query(on="announced_date", regulators=("ICO",)))
    gbp = load_rates().frame["GBP"]
    assert on["notice_eur"].tolist() == pytest.approx([100e6 / gbp["2019-07-15"]])
    assert on["final_eur"].tolist() == pytest.approx([20e6 / gbp["2020-10-23"]])


# --- keyword settings, constant prices and the arguments passed on ---------------------------


def test_each_analysis_takes_keyword_settings(fines, rates_file) -> None:
    q = Query(currency="SEK", years=(2021, 2021))
    kw = {"currency": "SEK", "years": (2021, 2021)}
    pd.testing.assert_frame_equal(
        counted_converted(fines, rates=rates_file, **kw), counted_converted(fines, q, rates_file)
    )
    pd.testing.assert_frame_equal(
        conversion_audit(fines, rates=rates_file, **kw), conversion_audit(fines, q, rates_file)
    )
    pd.testing.assert_frame_equal(
        largest_fines(fines, n=2, rates=rates_file, **kw), largest_fines(fines, q, 2, rates_file)
    )
    pd.testing.assert_frame_equal(
        articles_cited(fines, rates=rates_file, **kw), articles_cited(fines, q, rates_file)
    )
    pd.testing.assert_frame_equal(
        rate_conventions(fines, rates=rates_file, **kw),
        rate_conventions(fines, q, rates=rates_file),
    )
    pd.testing.assert_frame_equal(
        currency_effect(fines, regulator="CNIL", rates=rates_file, **kw),
        currency_effect(fines, q, "CNIL", rates_file),
    )
    assert headline_figures(fines, rates=rates_file, **kw) == headline_figures(
        fines, q, rates=rates_file
    )
    pd.testing.assert_frame_equal(
        matter_decisions(fines, rates=rates_file, defendant="gamma", **kw),
        matter_decisions(fines, q.replace(defendants=("gamma",)), rates_file),
    )
    assert counted_converted(fines, rates=rates_file, **kw)["amount_sek"].tolist() == [
        10_086_800,
        40e6,
        36e6,
    ]


def test_headline_figures_compute_the_totals_they_are_not_given(fines, rates_file) -> None:
    q = Query(currency="SEK", years=(2020, 2021), regulators=("ICO", "IMY"))
    given = headline_figures(fines, q, totals(fines, query=q, rates=rates_file), rates=rates_file)
    assert headline_figures(fines, q, rates=rates_file) == given
    assert given["total"] == pytest.approx(250e6 + 10_086_800)


def test_counted_converted_in_the_prices_of_the_collection(tmp_path, lifecycle_csv) -> None:
    c = load(priced(tmp_path, lifecycle_csv))
    conv = counted_converted(c, Query(real=2020, regulators=("CNIL",)))
    # the collection's own HICP copy: 2020 210.12 (2021 107.78, 2022 116.82 as published)
    assert conv["amount_eur_real_2020"].tolist() == pytest.approx(
        [5e6 * 210.12 / 107.78, 3e6 * 210.12 / 107.78, 500_000 * 210.12 / 116.82]
    )
    assert meta_of(conv).extra["real_base_year"] == 2020


def test_a_broken_price_file_matters_only_to_constant_prices(tmp_path, lifecycle_csv) -> None:
    folder = tmp_path / "lazy"
    folder.mkdir()
    (folder / "fines.csv").write_bytes(lifecycle_csv.read_bytes())
    (folder / "price_indices.csv").write_text("area,currency\nEA,EUR\n", encoding="utf-8")
    c = load(folder / "fines.csv", lazy=True)
    assert len(counted_converted(c, Query())) == 5
    from finestats.analyses import all_converted

    assert len(all_converted(c, Query())) == 8
    with pytest.raises(FinestatsError, match="price_indices.csv"):
        counted_converted(c, Query(real=2020))


def test_currency_effect_needs_a_regulator_and_stays_nominal(fines, rates_file) -> None:
    with pytest.raises(UsageError, match="^no records of regulator ''$"):
        currency_effect(fines, Query())
    e = currency_effect(fines, Query(currency="SEK", real=2021), "CNIL", rates=rates_file)
    assert e["total_sek"].tolist() == [5e6 * 8 + 3e6 * 12, 5e6]  # nominal
    assert meta_of(e).query == Query(currency="SEK", regulators=("CNIL",))


def test_rate_conventions_are_nominal(fines, rates_file) -> None:
    t = rate_conventions(fines, Query(real=2021), rates=rates_file)
    assert t["total_eur_decision_date"].tolist() == pytest.approx([25e6, 9_260_850, 5e5])
    assert meta_of(t).query == Query()


def test_articles_cited_counts_the_fines_read_in_a_summary(edited_csv) -> None:
    df = load_fines(
        edited_csv({(3, "articles_basis"): "summary", (4, "articles_basis"): "summary"})
    )
    t = articles_cited(df, Query())
    assert t[["article", "n_fines", "n_summary"]].values.tolist() == [
        ["5", 2, 1],
        ["6", 2, 1],
        ["32", 1, 1],
        ["LIL:82", 1, 0],
        ["16", 1, 0],
        ["13", 1, 1],
        ["58", 1, 0],
    ]
    assert t["n_fines"].dtype == "int64" and t["n_summary"].dtype == "int64"


def test_matter_decisions_of_a_matter_given_apart(edited_csv, rates_file) -> None:
    df = load_fines(edited_csv({(5, "matter"): "gamma-case", (6, "matter"): "gamma-case"}))
    d = matter_decisions(df, Query(), rates_file, matter="gamma-case")
    assert d["fine_id"].tolist() == ["cnil-2021-gamma", "cnil-2022-gamma-reduced"]
    assert meta_of(d).what == "every record of matter gamma-case"
    both = matter_decisions(df, Query(matters=("alpha-breach", "gamma-case")), rates_file)
    assert len(both) == 4
    assert meta_of(both).what == "every record of matter alpha-breach, gamma-case"
    two = matter_decisions(df, Query(defendants=("alpha", "beta")), rates_file)
    assert two["fine_id"].tolist() == ["ico-2019-alpha-noi", "ico-2020-alpha", "imy-2021-beta"]
    assert meta_of(two).what == "every record of alpha, beta"
    # a matter given apart wins over the query's defendants, as a matter of the query does
    d2 = matter_decisions(df, Query(defendants=("beta",)), rates_file, matter="gamma-case")
    assert d2["fine_id"].tolist() == ["cnil-2021-gamma", "cnil-2022-gamma-reduced"]


def test_matter_decisions_count_years_as_the_query_says(edited_csv) -> None:
    df = load_fines(edited_csv({(3, "announced_date"): "2021-01-05"}))
    assert matter_decisions(df, Query(matter="alpha-breach", years=(2020, 2020)))[
        "fine_id"
    ].tolist() == ["ico-2020-alpha"]
    q = Query(matter="alpha-breach", years=(2020, 2020), year_of="announced_date")
    assert matter_decisions(df, q)["fine_id"].tolist() == []


def test_nominal_and_real_from_two_tables(fines) -> None:
    nominal = totals(fines, "year")
    real = totals(fines, "year", real=2024)
    wide = nominal_and_real(nominal, real)
    assert list(wide.columns) == ["nominal (EUR of each year)", "in 2024 prices"]
    assert wide.loc[2022, "in 2024 prices"] == pytest.approx(500_000 * 126.07 / 116.82)
    assert meta_of(wide).query.real == 2024  # the constant-price table's description
    # a table of another selection: only its years show figures
    some = nominal_and_real(nominal, totals(fines, "year", real=2024, years=(2021, 2022)))
    assert some["in 2024 prices"].isna().tolist() == [True, False, False]
    plain = real.copy()
    plain.attrs = {}
    alone = nominal_and_real(nominal, plain)  # no description: no constant prices to name
    assert list(alone.columns) == ["nominal (EUR of each year)"]
    assert meta_of(alone) == meta_of(nominal).with_extra(cells="money")  # every cell money


def test_rate_conventions_of_the_declared_scope_judge_it_with_the_rates_given(
    collection, tmp_path
) -> None:
    """A RUB 900,000 CNIL fine of 2021-04-06 is EUR 10,000 at the given file's 90 per euro (in
    the declared scope from EUR 10,000) but EUR 9,943.9 at the ECB's 90.5074 (out): the year
    without a rate at 2024-12-31 or as an average is told from the scope the rates given draw."""
    coverage = (
        "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,"
        "last_checked,method,notes\n"
        "CNIL,CNIL,FR,2018-05-25,2025-12-31,10000,GDPR,2026-11-27,test,\n"
    )
    path = collection(coverage=coverage)
    text = path.read_text(encoding="utf-8").replace(
        "cnil-2022-gamma-penalty,CNIL,Commission nationale de l'informatique et des libertés,FR,"
        "Gamma SA,Gamma Holding,,2022-07-01,decision,day,,500000,EUR,penalty",
        "cnil-2021-rub,CNIL,Commission nationale de l'informatique et des libertés,FR,"
        "Gamma SA,Gamma Holding,,2021-04-06,decision,day,,900000,RUB,penalty",
    )
    path.write_text(text, encoding="utf-8")
    rates = ecb_file(tmp_path / "rub.csv", rub_until="2021-06-30")
    t = rate_conventions(load(path), Query(complete_only=True), rates=rates)
    assert t["year"].tolist() == [2021] and t["n_fines"].tolist() == [3]
    # Gamma EUR 5m and Delta EUR 3m (ICO and IMY declare no scope), and the RUB fine
    assert t["total_eur_decision_date"].tolist() == pytest.approx([8_010_000])
    assert t["total_eur_at_2024_12_31"].isna().all() and t["total_eur_year_average"].isna().all()
    assert t["not_converted"].tolist() == ["cnil-2021-rub"]


def test_counted_converted_judges_the_declared_scope_with_the_rates_given(collection, tmp_path):
    coverage = (
        "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,"
        "last_checked,method,notes\n"
        "IMY,IMY,SE,2018-05-25,2025-12-31,1100000,GDPR,2026-11-27,test,\n"
    )
    c = load(collection(coverage=coverage))
    # SEK 10,086,800: EUR 1m at the ECB's 10.0868 (below the 1.1m threshold), 1,260,850 at 8
    assert counted_converted(c, Query(complete_only=True)).empty
    rates = tmp_path / "sek-8.csv"
    rates.write_text("Date,SEK,\n2021-02-11,8,\n", encoding="utf-8")
    got = counted_converted(c, Query(complete_only=True, regulators=("IMY",)), rates=rates)
    assert got["fine_id"].tolist() == ["imy-2021-beta"]
    assert got["amount_eur"].tolist() == [1_260_850]
