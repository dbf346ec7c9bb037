"""Counting rules and totals on the lifecycle fixture, with every expected figure worked by hand.

The fixture (tests/data/lifecycle.csv, fictional records):
  ICO   2019 provisional GBP 100,000,000  superseded by
  ICO   2020 final       GBP  20,000,000  (2020-10-16, EUR/GBP 0.90915)
  IMY   2021 final       SEK  10,086,800  (2021-02-11, EUR/SEK 10.0868 -> exactly EUR 1,000,000)
  CNIL  2021 final       EUR   5,000,000  reduced by a court (2022) to EUR 2,000,000
  CNIL  2021 final       EUR   3,000,000  annulled by a court (2022)
  CNIL  2022 penalty     EUR     500,000
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from finestats import FinestatsError, Query, RatesError, UsageError, load_fines, meta_of
from finestats.snapshots import load_rates
from finestats.summary import cites_article, counted, headline, pivot, select, totals

ICO_EUR = 20_000_000 / 0.90915  # ECB EUR/GBP fixing of 2020-10-16


@pytest.fixture
def fines(lifecycle_csv: Path) -> pd.DataFrame:
    return load_fines(lifecycle_csv)


def rows(table: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in table.itertuples(index=False)]


def test_imposed_view_counts_final_and_penalty_only(fines: pd.DataFrame) -> None:
    t = totals(fines)
    assert list(t.columns) == ["regulator", "year", "n_fines", "total_eur", "median_eur", "max_eur"]
    assert t[["regulator", "year", "n_fines"]].values.tolist() == [
        ["CNIL", 2021, 2],
        ["CNIL", 2022, 1],
        ["ICO", 2020, 1],
        ["IMY", 2021, 1],
    ]
    assert t["total_eur"].tolist() == pytest.approx([8_000_000, 500_000, ICO_EUR, 1_000_000])
    assert t["median_eur"].tolist() == pytest.approx([4_000_000, 500_000, ICO_EUR, 1_000_000])
    assert t["max_eur"].tolist() == pytest.approx([5_000_000, 500_000, ICO_EUR, 1_000_000])
    assert ICO_EUR == pytest.approx(21_998_570.09, abs=0.01)


def test_effective_view_applies_court_outcomes(fines: pd.DataFrame) -> None:
    t = totals(fines, view="effective")
    # Gamma's 5m counts as the reduced 2m (in 2021, its decision year); annulled Delta drops out.
    assert t[["regulator", "year", "n_fines"]].values.tolist() == [
        ["CNIL", 2021, 1],
        ["CNIL", 2022, 1],
        ["ICO", 2020, 1],
        ["IMY", 2021, 1],
    ]
    assert t["total_eur"].tolist() == pytest.approx([2_000_000, 500_000, ICO_EUR, 1_000_000])


def test_provisional_never_counted_beside_its_final(fines: pd.DataFrame) -> None:
    with_prov = totals(fines, by="regulator", include_provisional=True)
    assert with_prov.set_index("regulator").loc["ICO", "n_fines"] == 1
    assert with_prov.set_index("regulator").loc["ICO", "total_eur"] == pytest.approx(ICO_EUR)


def test_unsuperseded_provisional_counts_only_when_asked(edited_csv) -> None:
    df = load_fines(edited_csv({(3, "supersedes"): ""}))
    assert totals(df, by="regulator").set_index("regulator").loc["ICO", "n_fines"] == 1
    t = totals(df, by="regulator", include_provisional=True).set_index("regulator")
    # 100m at EUR/GBP 0.89625 (2019-07-08) + 20m at 0.90915 (2020-10-16)
    assert t.loc["ICO", "n_fines"] == 2
    assert t.loc["ICO", "total_eur"] == pytest.approx(100e6 / 0.89625 + ICO_EUR)


def test_penalties_can_be_excluded(fines: pd.DataFrame) -> None:
    t = totals(fines, by=("regulator",), include_penalties=False).set_index("regulator")
    assert t.loc["CNIL", "n_fines"] == 2
    assert t.loc["CNIL", "total_eur"] == pytest.approx(8_000_000)


def test_counted_effective_rows_carry_outcome_status(fines: pd.DataFrame) -> None:
    eff = counted(fines, view="effective")
    got = dict(
        zip(eff["fine_id"], zip(eff["status"].astype(str), eff["amount"], strict=True), strict=True)
    )
    assert got == {
        "ico-2020-alpha": ("final", 20_000_000.0),
        "imy-2021-beta": ("final", 10_086_800.0),
        "cnil-2021-gamma": ("reduced", 2_000_000.0),
        "cnil-2022-gamma-penalty": ("penalty", 500_000.0),
    }


def test_other_currency_and_keys(fines: pd.DataFrame) -> None:
    t = totals(fines, by=("currency", "status"), currency="SEK")
    assert t[["currency", "status", "n_fines"]].values.tolist() == [
        ["EUR", "final", 2],
        ["EUR", "penalty", 1],
        ["GBP", "final", 1],
        ["SEK", "final", 1],
    ]
    sek = t.set_index(["currency", "status"])["total_sek"]
    # EUR fines at the EUR/SEK fixing of their own decision dates: 2021-06-01 and 2021-09-01.
    assert sek[("EUR", "final")] == pytest.approx(5e6 * 10.0955 + 3e6 * 10.1961)
    assert sek[("SEK", "final")] == 10_086_800.0
    assert sek[("GBP", "final")] == pytest.approx(20e6 * 10.3593 / 0.90915)


def test_filters(fines: pd.DataFrame) -> None:
    assert rows(totals(fines, by="regulator", years="2021-2021")[["regulator", "n_fines"]]) == [
        ("CNIL", 2),
        ("IMY", 1),
    ]
    assert rows(totals(fines, by="regulator", regulators=["imy"])[["regulator", "n_fines"]]) == [
        ("IMY", 1)
    ]
    assert rows(totals(fines, by="country", countries=["fr", "GB"])[["country", "n_fines"]]) == [
        ("FR", 3),
        ("GB", 1),
    ]
    assert rows(totals(fines, by="defendant", defendant="gamma")[["defendant", "n_fines"]]) == [
        ("Gamma SA", 2)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"years": "2022-2020"}, "start year 2022 is after end year 2020"),
        ({"years": "20x0"}, "years='20x0': expected a year such as 2021"),
        ({"years": "99999999999999999999"}, "expected a year such as 2021"),
        ({"by": "regulator,regulator"}, "each name once"),
        ({"matter": "nope"}, "unknown matter nope: known matters are alpha-breach"),
        ({"sectors": ["banking"]}, "unknown sector banking"),
        ({"as_of": "2022-01-01"}, "as_of applies to the effective view"),
        ({"include_provisional": "False"}, "include_provisional='False': expected true or false"),
        ({"regulators": ["XYZ"]}, "unknown regulator XYZ: known regulators are CNIL, ICO, IMY"),
        ({"countries": ["DE"]}, "unknown country DE: known countries are FR, GB, SE"),
        ({"defendant": "Nobody"}, "no defendant matches 'Nobody'"),
        ({"by": "planet"}, "cannot group by planet"),
        ({"view": "imagined"}, "view='imagined': expected one of imposed, effective"),
    ],
)
def test_bad_arguments(fines: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        totals(fines, **kwargs)


def test_unknown_currency_is_an_error_even_with_no_rows(fines: pd.DataFrame) -> None:
    with pytest.raises(RatesError, match="XYZ"):
        totals(fines, currency="XYZ")
    with pytest.raises(FinestatsError, match="XYZ"):
        totals(fines, currency="XYZ", years="1999")


def test_pivot_has_totals_both_ways(fines: pd.DataFrame) -> None:
    p = pivot(fines, "EUR")
    assert list(p.columns) == ["2020", "2021", "2022", "Total"]
    assert list(p.index) == ["CNIL", "ICO", "IMY", "Total"]
    assert p.loc["CNIL", "2020"] == 0.0
    assert p.loc["CNIL", "Total"] == pytest.approx(8_500_000)
    assert p.loc["Total", "2021"] == pytest.approx(9_000_000)
    assert p.loc["Total", "Total"] == pytest.approx(9_500_000 + ICO_EUR)


def test_headline(fines: pd.DataFrame) -> None:
    h = headline(totals(fines))
    assert h["n_fines"] == 5
    assert h["total"] == pytest.approx(9_500_000 + ICO_EUR)
    assert h["max"] == pytest.approx(ICO_EUR)


def test_conventions_at_fixed_date_and_year_average(fines: pd.DataFrame) -> None:
    fixed = totals(fines, by="regulator", at="2024-12-28").set_index("regulator")
    ann = totals(fines, by="regulator", on="announced_date", regulators=["IMY", "ICO"])
    assert meta_of(fixed).query.at_text == "2024-12-28"
    # Saturday 2024-12-28: the fixing of Friday 2024-12-27 applies (EUR/SEK 11.4795).
    assert fixed.loc["IMY", "total_eur"] == pytest.approx(10_086_800 / 11.4795)
    # IMY's announcement 2021-02-12: EUR/SEK 10.0818.
    assert ann.set_index("regulator").loc["IMY", "total_eur"] == pytest.approx(10_086_800 / 10.0818)
    # Year average: the mean of 2021's daily EUR/SEK fixings (10.146463 to six places).
    avg = totals(fines, by="regulator", at="year-average", regulators=["IMY"])
    mean_2021 = load_rates().frame.loc["2021", "SEK"].mean()
    assert mean_2021 == pytest.approx(10.146463, abs=1e-6)
    assert avg.loc[0, "total_eur"] == pytest.approx(10_086_800 / mean_2021)


def test_selection_metadata(fines: pd.DataFrame) -> None:
    meta = meta_of(totals(fines, currency="usd", years=2021))
    assert meta.query.currency == "USD"
    assert meta.query.years == (2021, 2021)
    assert meta.query.view == "imposed"
    assert meta.rate_snapshot == "2026-10-30"
    assert meta.n_records == 3
    assert meta.as_dict()["years"] == [2021, 2021]
    assert meta.data_path.endswith("lifecycle.csv")
    assert meta.scope == "No declared scope: the records are a sample."


def test_query_object_and_keywords_agree(fines: pd.DataFrame) -> None:
    q = Query(currency="SEK", view="effective", years=(2021, 2022))
    pd.testing.assert_frame_equal(
        totals(fines, "regulator", query=q),
        totals(fines, "regulator", "SEK", view="effective", years="2021-2022"),
    )


def test_year_range_keeps_both_ends(fines: pd.DataFrame) -> None:
    # 2020 (ICO) and 2022 (CNIL penalty) are the ends of the range; 2019's notice never counts.
    got = totals(fines, by="year", years="2020-2022")[["year", "n_fines"]].values.tolist()
    assert got == [[2020, 1], [2021, 3], [2022, 1]]
    assert totals(fines, by="year", years="2021-2022")["year"].tolist() == [2021, 2022]
    assert totals(fines, by="year", years="2020-2021")["year"].tolist() == [2020, 2021]


def test_sort_is_case_insensitive(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "defendant"): "alpha lowercase"}))
    assert totals(df, by="defendant")["defendant"].tolist() == [
        "Alpha Airways",
        "alpha lowercase",
        "Delta SAS",
        "Gamma SA",
    ]


def test_defendant_filter_takes_regex_characters_literally(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "defendant"): "Beta (Sverige) AB+"}))
    t = totals(df, by="defendant", defendant="(sverige) ab+")
    assert t[["defendant", "n_fines"]].values.tolist() == [["Beta (Sverige) AB+", 1]]
    with pytest.raises(UsageError, match="no defendant matches '.\\*'"):
        totals(df, defendant=".*")


def test_group_by_matter_and_sector_keeps_records_without_one(fines: pd.DataFrame) -> None:
    t = totals(fines, by="matter")
    assert t[["matter", "n_fines"]].values.tolist() == [["(none)", 4], ["alpha-breach", 1]]
    s = totals(fines, by="sector").set_index("sector")["n_fines"].to_dict()
    assert s == {"finance-insurance": 1, "retail": 1, "tech-platforms": 2, "transport": 1}
    assert totals(fines, by="regulator", matter="alpha-breach")["regulator"].tolist() == ["ICO"]
    got = totals(fines, by="regulator", sectors=["tech-platforms"])
    assert got["total_eur"].tolist() == [5_500_000]


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        ("6", ["imy-2021-beta", "cnil-2021-gamma"]),
        ("5", ["ico-2020-alpha", "cnil-2021-delta"]),
        ("5(1)(f)", ["ico-2020-alpha"]),
        ("1", []),
        ("16", ["cnil-2021-delta"]),
        ("LIL:82", ["cnil-2021-gamma"]),
        ("82", []),
    ],
)
def test_article_filter_counts_each_fine_once(fines, article: str, expected: list[str]) -> None:
    rows = select(fines, article=article)
    assert rows["fine_id"].tolist() == expected


def test_cites_article_on_a_series() -> None:
    arts = pd.Series(["5(1)(a);6(1);13", "16", None, "6"])
    assert cites_article(arts, "6").tolist() == [True, False, False, True]
    assert cites_article(arts, "13").tolist() == [True, False, False, False]


EVENTS = """event_id,fine_id,date,court,outcome,source_url,notes
alpha-aside,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://example.org/a,
alpha-back,ico-2020-alpha,2022-06-30,Upper Tribunal,reinstated,https://example.org/b,
alpha-remit,ico-2020-alpha,2022-06-30,Upper Tribunal,remitted,https://example.org/c,
gamma-appeal,cnil-2021-gamma,2021-07-01,Conseil d'Etat,appeal-lodged,https://example.org/d,
"""


@pytest.mark.parametrize(
    ("as_of", "ico", "cnil_2021"),
    [
        ("2020-12-31", 1, 0),  # ICO decided, not yet set aside; CNIL's 2021 fines not yet decided
        ("2021-12-31", 0, 2),  # the tribunal set the ICO fine aside in March 2021
        ("2022-03-01", 0, 2),  # Gamma reduced to 2m that day (still counts); Delta stands
        ("2022-06-30", 1, 1),  # reinstated; Delta annulled in May
        (None, 1, 1),
    ],
)
def test_effective_view_as_of_a_date(collection, as_of, ico: int, cnil_2021: int) -> None:
    df = load_fines(collection(events=EVENTS))
    t = totals(df, "regulator", view="effective", as_of=as_of).set_index("regulator")
    assert t["n_fines"].get("ICO", 0) == ico
    assert (
        counted(df, view="effective", as_of=as_of)
        .query("year == 2021 and regulator == 'CNIL'")
        .shape[0]
        == cnil_2021
    )


def test_as_of_amounts_follow_the_court_outcome_of_that_date(collection) -> None:
    df = load_fines(collection(events=EVENTS))

    def gamma(day: str) -> float:
        rows = counted(df, view="effective", as_of=day).set_index("fine_id")
        return rows.loc["cnil-2021-gamma", "amount"]

    assert gamma("2022-02-28") == 5_000_000
    assert gamma("2022-03-01") == 2_000_000


def test_a_set_aside_before_a_new_court_amount_does_not_hide_it(collection) -> None:
    events = EVENTS.replace("ico-2020-alpha,2021-03-01", "cnil-2021-gamma,2021-12-01")
    df = load_fines(
        collection(events=events.replace("alpha-back,ico-2020-alpha", "alpha-back,ico-2020-alpha"))
    )
    rows = counted(df, view="effective").set_index("fine_id")
    assert rows.loc["cnil-2021-gamma", "amount"] == 2_000_000  # the reduction of 2022 stands


COVERAGE = (
    "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,last_checked,"
    "method,notes\n"
    """CNIL,CNIL,FR,2018-05-25,2025-12-31,4000000,GDPR,2026-11-27,test,
IMY,IMY,SE,2018-05-25,2025-12-31,0,GDPR,2026-11-27,test,
"""
)


def test_complete_only_keeps_the_declared_scope(collection) -> None:
    df = load_fines(collection(coverage=COVERAGE))
    t = totals(df, "regulator", complete_only=True)
    # CNIL: only Gamma's 5m reaches the 4m threshold (Delta 3m and the penalty do not);
    # IMY: every fine; ICO: no coverage row, a sample.
    assert t[["regulator", "n_fines"]].values.tolist() == [["CNIL", 1], ["IMY", 1]]
    assert t["total_eur"].tolist() == pytest.approx([5e6, 1e6])
    assert "EUR 4,000,000 or more" in meta_of(t).scope


def test_complete_only_without_coverage_is_an_error(fines: pd.DataFrame) -> None:
    with pytest.raises(UsageError, match="needs a coverage.csv"):
        totals(fines, complete_only=True)
