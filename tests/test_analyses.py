"""The notebooks' tables on the lifecycle fixture, every figure worked by hand.

ICO 2020 GBP 20m at EUR/GBP 0.90915 = EUR 21,998,570.09; IMY 2021 SEK 10,086,800 = EUR 1m;
CNIL 2021 EUR 5m and 3m; CNIL 2022 EUR 500,000 penalty.
"""

from __future__ import annotations

import pandas as pd
import pytest

from finestats import load_fines
from finestats.analyses import (
    articles_cited,
    conversion_audit,
    currency_effect,
    headline_figures,
    largest_fines,
    matter_decisions,
    matter_events,
    nominal_and_real,
    own_currency,
    rate_conventions,
    timeline_table,
)
from finestats.errors import UsageError
from finestats.query import Query, meta_of
from finestats.summary import totals

ICO_EUR = 20_000_000 / 0.90915


@pytest.fixture
def fines(lifecycle_csv) -> pd.DataFrame:
    return load_fines(lifecycle_csv)


def test_largest_fines(fines) -> None:
    t = largest_fines(fines, Query(), n=3)
    assert t["fine_id"].tolist() == ["ico-2020-alpha", "cnil-2021-gamma", "cnil-2021-delta"]
    assert t["amount_eur"].tolist() == pytest.approx([ICO_EUR, 5e6, 3e6])
    assert meta_of(t).what == "the 3 largest counted fines"


def test_own_currency_and_currency_effect(fines) -> None:
    assert own_currency(fines, "IMY") == "SEK" and own_currency(fines, "CNIL") == "EUR"
    with pytest.raises(UsageError, match="no records of regulator 'XYZ'"):
        own_currency(fines, "XYZ")
    e = currency_effect(fines, Query(currency="EUR"), "ICO")
    assert list(e.columns) == ["year", "n_fines", "total_gbp", "total_eur", "implied_rate"]
    assert e.loc[0, "implied_rate"] == pytest.approx(1 / 0.90915)
    assert meta_of(e).extra == {"own_currency": "GBP", "regulator": "ICO"}
    same = currency_effect(fines, Query(currency="EUR"), "CNIL")
    assert list(same.columns) == ["year", "n_fines", "total_eur", "implied_rate"]
    assert same["implied_rate"].tolist() == [1.0, 1.0]


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


def test_conversion_audit(fines) -> None:
    a = conversion_audit(fines, Query(currency="SEK", years=(2021, 2021)))
    assert a["fine_id"].tolist() == ["imy-2021-beta", "cnil-2021-gamma", "cnil-2021-delta"]
    assert a.loc[0, "fx_rate"] == 1.0 and a.loc[1, "fx_rate"] == 10.0955


def test_matter_decisions_events_and_timeline(collection) -> None:
    events = (
        "event_id,fine_id,date,court,outcome,source_url,notes\n"
        "e1,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://x.org,\n"
    )
    df = load_fines(collection(events=events))
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
    with pytest.raises(UsageError, match="unknown matter 'nope'"):
        matter_decisions(df, Query(matter="nope"))


def test_headline(fines) -> None:
    q = Query()
    head = headline_figures(fines, q, totals(fines, query=q))
    assert head["n_fines"] == 5 and head["total"] == pytest.approx(9.5e6 + ICO_EUR)
    assert head["largest"]["fine_id"] == "ico-2020-alpha"
    assert head["convention"] == "EUR at ECB rate of decision date"
    none = headline_figures(fines, Query(years=(2019, 2019)), totals(fines, years=(2019, 2019)))
    assert none["n_fines"] == 0 and none["max"] is None and none["largest"] is None


def test_articles_cited_counts_each_fine_once_per_article(fines) -> None:
    t = articles_cited(fines, Query())
    got = {r.article: (r.n_fines, r.total_eur) for r in t.itertuples()}
    assert got["5"] == (2, pytest.approx(ICO_EUR + 3e6))  # 5(1)(f) and 5(1)(c)
    assert got["6"] == (2, pytest.approx(6e6))  # 6(1) and 6
    assert got["LIL:82"] == (1, 5e6) and got["58"] == (1, 500_000)
    assert t["article"].tolist()[:2] == ["5", "6"]


def test_nominal_and_real(fines) -> None:
    wide = nominal_and_real(totals(fines, "year", real=2024))
    assert list(wide.columns) == ["nominal (EUR of each year)", "in 2024 prices"]
    assert wide.loc[2022, "in 2024 prices"] == pytest.approx(500_000 * 126.07 / 116.82)
    with pytest.raises(UsageError, match="real=YEAR"):
        nominal_and_real(totals(fines, "year"))
