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

from finestats import FinestatsError, Query, RatesError, UsageError, load, load_fines, meta_of
from finestats.counting import cites_article, counted, select
from finestats.rates import load_rates
from finestats.totals import headline, pivot, totals

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
    df = load(collection(events=EVENTS))
    t = totals(df, "regulator", view="effective", as_of=as_of).set_index("regulator")
    assert t["n_fines"].get("ICO", 0) == ico
    assert (
        counted(df, view="effective", as_of=as_of)
        .query("year == 2021 and regulator == 'CNIL'")
        .shape[0]
        == cnil_2021
    )


def test_as_of_amounts_follow_the_court_outcome_of_that_date(collection) -> None:
    df = load(collection(events=EVENTS))

    def gamma(day: str) -> float:
        rows = counted(df, view="effective", as_of=day).set_index("fine_id")
        return rows.loc["cnil-2021-gamma", "amount"]

    assert gamma("2022-02-28") == 5_000_000
    assert gamma("2022-03-01") == 2_000_000


def test_a_set_aside_before_a_new_court_amount_does_not_hide_it(collection) -> None:
    events = EVENTS.replace("ico-2020-alpha,2021-03-01", "cnil-2021-gamma,2021-12-01")
    df = load(
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
    df = load(collection(coverage=COVERAGE))
    t = totals(df, "regulator", complete_only=True)
    # CNIL: only Gamma's 5m reaches the 4m threshold (Delta 3m and the penalty do not);
    # IMY: every fine; ICO: no coverage row, a sample.
    assert t[["regulator", "n_fines"]].values.tolist() == [["CNIL", 1], ["IMY", 1]]
    assert t["total_eur"].tolist() == pytest.approx([5e6, 1e6])
    assert "EUR 4,000,000 or more" in meta_of(t).scope


def test_totals_say_how_many_fines_lie_outside_the_declared_scope(collection) -> None:
    """Five fines count (ICO Alpha GBP 20m, IMY Beta, CNIL Gamma 5m, Delta 3m and the 2022
    penalty): outside COVERAGE are Alpha (no ICO row), Delta (below the 4m threshold) and the
    penalty (below it too)."""
    df = load(collection(coverage=COVERAGE))
    meta = meta_of(totals(df, "regulator"))
    assert (meta.n_outside_scope, meta.n_records) == (3, 5)
    assert meta.as_dict()["n_outside_scope"] == 3  # in every export's sidecar
    assert meta_of(totals(df, "regulator", complete_only=True)).n_outside_scope == 0
    assert meta_of(totals(df, regulators=["IMY"])).n_outside_scope == 0
    assert meta_of(totals(df, regulators=["CNIL"])).n_outside_scope == 2
    assert meta_of(pivot(df)).n_outside_scope == 3  # the pivot keeps its totals' count
    no_rows = meta_of(totals(df, years=2018))
    assert (no_rows.n_outside_scope, no_rows.n_records) == (0, 0)


def test_without_a_declared_scope_nothing_is_said_of_it(fines: pd.DataFrame) -> None:
    meta = meta_of(totals(fines, "regulator"))
    assert meta.n_outside_scope is None and meta.scope.startswith("No declared scope")


def test_complete_only_without_coverage_is_an_error(fines: pd.DataFrame) -> None:
    with pytest.raises(UsageError, match="needs a coverage.csv"):
        totals(fines, complete_only=True)


# --- Counting rules, step by step ------------------------------------------------------------


def test_counted_rows_in_file_order_for_each_inclusion_flag(fines, edited_csv) -> None:
    assert counted(fines)["fine_id"].tolist() == [
        "ico-2020-alpha",
        "imy-2021-beta",
        "cnil-2021-gamma",
        "cnil-2021-delta",
        "cnil-2022-gamma-penalty",
    ]
    no_penalty = counted(fines, include_penalties=False)["fine_id"].tolist()
    assert no_penalty == ["ico-2020-alpha", "imy-2021-beta", "cnil-2021-gamma", "cnil-2021-delta"]
    # The 2019 notice is superseded by the 2020 fine: asking for provisional notices adds nothing.
    assert counted(fines, include_provisional=True)["fine_id"].tolist()[0] == "ico-2020-alpha"
    standalone = load_fines(edited_csv({(3, "supersedes"): ""}))
    both = counted(standalone, include_provisional=True, include_penalties=False)
    assert both["fine_id"].tolist() == [
        "ico-2019-alpha-noi",
        "ico-2020-alpha",
        "imy-2021-beta",
        "cnil-2021-gamma",
        "cnil-2021-delta",
    ]


def test_a_provisional_notice_alone_is_selected_only_when_asked(edited_csv) -> None:
    standalone = load_fines(edited_csv({(3, "supersedes"): ""}))
    assert select(standalone, years=2019)["fine_id"].tolist() == []
    got = select(standalone, years=2019, include_provisional=True)["fine_id"].tolist()
    assert got == ["ico-2019-alpha-noi"]


def test_effective_view_keeps_the_column_types(fines: pd.DataFrame) -> None:
    eff = counted(fines, view="effective")
    for col in ("status", "currency"):
        assert eff[col].dtype == fines[col].dtype
        assert list(eff[col].cat.categories) == list(fines[col].cat.categories)


def _collection_with_events(tmp_path: Path, lifecycle_csv: Path, events: str) -> Path:
    folder = tmp_path / "with-events"
    folder.mkdir()
    (folder / "fines.csv").write_bytes(lifecycle_csv.read_bytes())
    (folder / "events.csv").write_text(EVENTS.splitlines()[0] + "\n" + events, encoding="utf-8")
    return folder / "fines.csv"


def test_a_set_aside_of_the_court_outcome_restores_the_fine_it_replaced(
    tmp_path, lifecycle_csv
) -> None:
    # The event names the court's reduction (a later record of Gamma's chain), not the decision:
    # setting the reduction aside restores the fine it reduced (as the Upper Tribunal did to the
    # First-tier Tribunal's reduction of DSG Retail's penalty), it does not drop the fine.
    path = _collection_with_events(
        tmp_path,
        lifecycle_csv,
        "g-aside,cnil-2022-gamma-reduced,2022-09-01,Cour de cassation,set-aside,https://x.org/g,\n",
    )
    df = load(path)
    after = counted(df, view="effective").set_index("fine_id")
    assert after.index.tolist() == [
        "ico-2020-alpha",
        "imy-2021-beta",
        "cnil-2021-gamma",
        "cnil-2022-gamma-penalty",
    ]
    assert after.loc["cnil-2021-gamma", ["amount", "status"]].tolist() == [5_000_000, "final"]
    # Before the set-aside, the reduced amount stood.
    before = counted(df, view="effective", as_of="2022-08-31").set_index("fine_id")
    assert before.loc["cnil-2021-gamma", "amount"] == 2_000_000


def test_events_passed_to_counted_are_used_instead_of_the_file(collection, fines) -> None:
    aside_only = load(collection(events=EVENTS)).events.iloc[[0]]
    assert aside_only["event_id"].tolist() == ["alpha-aside"]
    # lifecycle.csv has no events file beside it: only the events given count.
    assert "ico-2020-alpha" in counted(fines, view="effective")["fine_id"].tolist()
    got = counted(fines, view="effective", events=aside_only)["fine_id"].tolist()
    assert got == ["imy-2021-beta", "cnil-2021-gamma", "cnil-2022-gamma-penalty"]


# --- Filters ---------------------------------------------------------------------------------


def test_year_ranges_check_the_start_year(fines: pd.DataFrame) -> None:
    by_year = {
        years: select(fines, years=years)["fine_id"].tolist()
        for years in ("2020-2021", "2021-2022", "2022-2022", "2019-2020", "2023-2030")
    }
    assert by_year == {
        "2020-2021": ["ico-2020-alpha", "imy-2021-beta", "cnil-2021-gamma", "cnil-2021-delta"],
        "2021-2022": [
            "imy-2021-beta",
            "cnil-2021-gamma",
            "cnil-2021-delta",
            "cnil-2022-gamma-penalty",
        ],
        "2022-2022": ["cnil-2022-gamma-penalty"],
        "2019-2020": ["ico-2020-alpha"],
        "2023-2030": [],
    }
    with pytest.raises(UsageError, match="start year 2021 is after end year 2020"):
        select(fines, years="2021-2020")


def test_defendant_filter_with_regex_characters(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "defendant"): "A+B (UK)."}))
    assert select(df, defendant="a+b (uk).")["fine_id"].tolist() == ["imy-2021-beta"]
    assert select(df, defendant="+B (UK")["fine_id"].tolist() == ["imy-2021-beta"]
    # As a regular expression "AB (UK)." would match nothing here; as text it is no defendant.
    with pytest.raises(UsageError, match=r"^no defendant matches 'AB \(UK\)\.'$"):
        select(df, defendant="AB (UK).")
    # The defendant exists, but only in a record that does not count (the superseded notice).
    only_notice = load_fines(edited_csv({(2, "defendant"): "A+B (UK)."}))
    assert select(only_notice, defendant="A+B (UK).").empty


def test_unknown_names_are_all_listed(fines: pd.DataFrame) -> None:
    with pytest.raises(
        UsageError, match=r"^unknown regulator XYZ, abc: known regulators are CNIL, ICO, IMY$"
    ):
        select(fines, regulators=["XYZ", "CNIL", "abc"])
    with pytest.raises(UsageError) as err:
        select(fines, sectors=["banking", "retail", "mining"])
    assert str(err.value) == (
        "unknown sector banking, mining: sectors are "
        "tech-platforms, telecoms, energy, finance-insurance, health, public-sector, retail, "
        "transport, hospitality, media, real-estate, marketing, education, other"
    )


def test_known_regulators_listed_and_matched_ignoring_case(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "regulator"): "aepd"}))
    with pytest.raises(UsageError, match=r"known regulators are aepd, CNIL, ICO$"):
        select(df, regulators=["XYZ"])
    assert select(df, regulators=["AEPD", "ico"])["fine_id"].tolist() == [
        "ico-2020-alpha",
        "imy-2021-beta",
    ]
    assert totals(df, by="regulator")["regulator"].tolist() == ["aepd", "CNIL", "ICO"]


def test_a_regulator_with_no_counted_fine_is_known(edited_csv) -> None:
    # AEPD's only record is the superseded notice: no fines, but no error either.
    df = load_fines(edited_csv({(2, "regulator"): "AEPD"}))
    assert select(df, regulators=["AEPD"]).empty
    assert select(df, countries=["SE", "GB"])["fine_id"].tolist() == [
        "ico-2020-alpha",
        "imy-2021-beta",
    ]


@pytest.mark.parametrize(
    ("articles", "article", "expected"),
    [
        ([None, "6(1)", None, "16;6"], "6", [False, True, False, True]),
        ([None, None], "6", [False, False]),
        (["5(1)(a)", None, "5"], "5(1)", [True, False, False]),
    ],
)
def test_cites_article_with_missing_lists(articles, article, expected) -> None:
    got = cites_article(pd.Series(articles, index=[10 * i for i in range(len(articles))]), article)
    assert got.dtype == bool
    assert got.tolist() == expected


def test_complete_only_error_names_the_missing_file(fines: pd.DataFrame) -> None:
    with pytest.raises(UsageError) as err:
        select(fines, complete_only=True)
    assert str(err.value) == (
        "complete_only needs a coverage.csv beside the fines file; there is none"
    )


def test_defendant_filter_on_a_hand_built_frame_with_a_missing_name(fines) -> None:
    df = fines.copy()
    df["defendant"] = df["defendant"].astype(object)
    df.loc[df["fine_id"] == "cnil-2021-delta", "defendant"] = None
    got = select(df, defendant="GAMMA")["fine_id"].tolist()
    assert got == ["cnil-2021-gamma", "cnil-2022-gamma-penalty"]


# --- Totals: every key, sort order, metadata -------------------------------------------------

EUR_BY_KEY = {
    "regulator": [("CNIL", 3, 8_500_000), ("ICO", 1, ICO_EUR), ("IMY", 1, 1_000_000)],
    "country": [("FR", 3, 8_500_000), ("GB", 1, ICO_EUR), ("SE", 1, 1_000_000)],
    "year": [(2020, 1, ICO_EUR), (2021, 3, 9_000_000), (2022, 1, 500_000)],
    "defendant": [
        ("Alpha Airways", 1, ICO_EUR),
        ("Beta AB", 1, 1_000_000),
        ("Delta SAS", 1, 3_000_000),
        ("Gamma SA", 2, 5_500_000),
    ],
    "matter": [("(none)", 4, 9_500_000), ("alpha-breach", 1, ICO_EUR)],
    "sector": [
        ("finance-insurance", 1, 3_000_000),
        ("retail", 1, 1_000_000),
        ("tech-platforms", 2, 5_500_000),
        ("transport", 1, ICO_EUR),
    ],
    "currency": [("EUR", 3, 8_500_000), ("GBP", 1, ICO_EUR), ("SEK", 1, 1_000_000)],
    "status": [("final", 4, 9_000_000 + ICO_EUR), ("penalty", 1, 500_000)],
}


@pytest.mark.parametrize("key", list(EUR_BY_KEY))
def test_totals_by_every_key(fines: pd.DataFrame, key: str) -> None:
    t = totals(fines, by=key)
    assert list(t.columns) == [key, "n_fines", "total_eur", "median_eur", "max_eur"]
    expected = EUR_BY_KEY[key]
    assert t[key].tolist() == [k for k, _, _ in expected]
    assert t["n_fines"].tolist() == [n for _, n, _ in expected]
    assert t["n_fines"].dtype == "int64"
    assert t["total_eur"].tolist() == pytest.approx([v for _, _, v in expected])
    assert meta_of(t).what == f"totals by {key}"
    assert meta_of(t).by == (key,)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # Keys equal but for case are separate groups, in the order the file first names them.
        ({(4, "defendant"): "ALPHA AIRWAYS"}, ["Alpha Airways", "ALPHA AIRWAYS"]),
        (
            {(3, "defendant"): "ALPHA AIRWAYS", (4, "defendant"): "Alpha Airways"},
            ["ALPHA AIRWAYS", "Alpha Airways"],
        ),
    ],
)
def test_keys_equal_but_for_case_keep_file_order(edited_csv, lines, expected) -> None:
    df = load_fines(edited_csv(lines))
    t = totals(df, by="defendant")
    assert t["defendant"].tolist() == [*expected, "Delta SAS", "Gamma SA"]
    assert t["n_fines"].tolist() == [1, 1, 1, 2]


def test_many_keys_equal_but_for_case_keep_file_order(tmp_path, lifecycle_csv) -> None:
    import csv
    import io

    header, *records = list(csv.reader(io.StringIO(lifecycle_csv.read_text(encoding="utf-8"))))
    beta = records[2]
    out = [header]
    names = []
    for i in range(30):
        pair = [f"beta {i:02d}", f"BETA {i:02d}"]
        if i % 3 == 0:
            pair.reverse()
        names += pair
        for j, name in enumerate(pair):
            row = list(beta)
            row[header.index("fine_id")] = f"imy-2021-b{i:02d}{j}"
            row[header.index("defendant")] = name
            out.append(row)
    # Listed in reverse: the file order within each pair is the reverse of `names`' pairs too.
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([out[0], *reversed(out[1:])])
    path = tmp_path / "many.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    got = totals(load_fines(path), by="defendant")["defendant"].tolist()
    expected = [n for i in range(30) for n in reversed(names[2 * i : 2 * i + 2])]
    assert got == expected


def _ecb_file(tmp_path: Path) -> Path:
    """A tiny ECB-format rate file with round made-up figures (units per EUR)."""
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(
        "Date,GBP,SEK,\n2022-07-01,0.86,10.5,\n2021-09-01,0.85,10.1,\n2021-06-01,0.85,10.1,\n"
        "2021-02-11,0.85,10.0,\n2020-10-16,0.8,10.2,\n",
        encoding="utf-8",
    )
    return path


def test_totals_and_pivot_use_the_rates_passed(tmp_path, fines) -> None:
    import hashlib

    path = _ecb_file(tmp_path)
    t = totals(fines, by="regulator", rates=path).set_index("regulator")
    # ICO: GBP 20m at 0.8 = EUR 25m; IMY: SEK 10,086,800 at 10.0 = EUR 1,008,680.
    assert t["total_eur"].to_dict() == pytest.approx(
        {"CNIL": 8_500_000, "ICO": 25_000_000, "IMY": 1_008_680}
    )
    meta = meta_of(t)
    assert meta.rate_source == f"file:{path}"
    assert meta.rate_snapshot == "2022-07-01"
    assert meta.rate_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    p = pivot(fines, "EUR", rates=path)
    assert p.loc["ICO", "2020"] == pytest.approx(25_000_000)
    assert p.loc["IMY", "2021"] == pytest.approx(1_008_680)
    assert meta_of(p).rate_source == f"file:{path}"


def test_totals_metadata_names_the_data_file(fines, lifecycle_csv) -> None:
    import hashlib

    meta = meta_of(totals(fines))
    assert meta.what == "totals by regulator, year"
    assert meta.by == ("regulator", "year")
    assert meta.data_sha256 == hashlib.sha256(lifecycle_csv.read_bytes()).hexdigest()
    assert meta.extra == {}
    assert meta_of(totals(fines, by=("status", "currency"))).what == "totals by status, currency"


def test_totals_in_real_terms(fines: pd.DataFrame) -> None:
    t = totals(fines, real=2020)
    assert list(t.columns) == [
        "regulator",
        "year",
        "n_fines",
        "total_eur",
        "total_eur_real_2020",
        "median_eur",
        "max_eur",
    ]
    # Euro-area HICP (2015=100): 2020 105.06, 2021 107.78, 2022 116.82.
    assert t["total_eur_real_2020"].tolist() == pytest.approx(
        [8e6 * 105.06 / 107.78, 500_000 * 105.06 / 116.82, ICO_EUR, 1e6 * 105.06 / 107.78]
    )
    assert meta_of(t).extra == {
        "price_index": (
            "HICP (Eurostat, euro area, changing composition), 2015=100, annual averages"
        ),
        "real_base_year": 2020,
    }


@pytest.mark.parametrize(
    ("by", "message"),
    [
        (["regulator", "regulator"], "by=['regulator', 'regulator']: expected each name once"),
        (5, "by=5: expected a list of names"),
        (
            "",
            "cannot group by nothing: expected some of regulator, country, year, defendant, "
            "group, matter, sector, currency, status",
        ),
        (
            "planet, regulator, moon",
            "cannot group by planet, moon: expected some of regulator, country, year, "
            "defendant, group, matter, sector, currency, status",
        ),
    ],
)
def test_bad_group_keys_are_named(fines, by, message: str) -> None:
    with pytest.raises(UsageError) as err:
        totals(fines, by=by)
    assert str(err.value).startswith(message)


# --- Pivot and headline ----------------------------------------------------------------------


def test_pivot_passes_its_arguments_through(fines: pd.DataFrame) -> None:
    sek = pivot(fines, "SEK")
    assert sek.loc["IMY", "2021"] == 10_086_800
    q = pivot(fines, query=Query(currency="SEK", years=(2021, 2021)))
    assert list(q.columns) == ["2021", "Total"]
    assert list(q.index) == ["CNIL", "IMY", "Total"]
    assert q.loc["IMY", "2021"] == 10_086_800
    late = pivot(fines, years="2022")
    with pytest.raises(UsageError, match="pivot takes rows= and columns=, not by="):
        pivot(fines, years="2022", by="country")  # once silently ignored; now refused
    assert list(late.columns) == ["2022", "Total"]
    assert list(late.index) == ["CNIL", "Total"]
    assert late.index.name == "regulator"
    assert late.columns.name is None
    assert meta_of(late).query.years == (2022, 2022)


def test_pivot_sorts_like_totals_ignoring_case(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "defendant"): "alpha lowercase"}))
    by_defendant = pivot(df, rows="defendant", columns="sector")
    assert list(by_defendant.index) == [
        "Alpha Airways",
        "alpha lowercase",
        "Delta SAS",
        "Gamma SA",
        "Total",
    ]
    assert by_defendant.index.name == "defendant"
    assert list(by_defendant.columns) == [
        "finance-insurance",
        "retail",
        "tech-platforms",
        "transport",
        "Total",
    ]
    wide = pivot(df, rows="year", columns="defendant")
    assert list(wide.columns) == [
        "Alpha Airways",
        "alpha lowercase",
        "Delta SAS",
        "Gamma SA",
        "Total",
    ]
    assert list(wide.index) == [2020, 2021, 2022, "Total"]
    assert wide.loc[2021, "alpha lowercase"] == pytest.approx(1_000_000)
    assert wide.loc[2020, "alpha lowercase"] == 0.0
    assert (wide.dtypes == "float64").all()


def test_pivot_and_headline_of_nothing(fines: pd.DataFrame) -> None:
    empty = pivot(fines, years="1999")
    assert list(empty.index) == ["Total"]
    assert list(empty.columns) == ["Total"]
    assert empty.loc["Total", "Total"] == 0.0
    h = headline(totals(fines, years="1999"))
    assert h["n_fines"] == 0
    assert h["total"] == 0.0
    assert h["max"] != h["max"]  # NaN: no largest fine


def test_a_live_rate_source_is_described_as_live(tmp_path, fines) -> None:
    from finestats.rates import read_ecb_file

    class FileBacked:
        """A rate source (like the live one) that serves one small ECB file."""

        source = "test source"

        def table_for(self, dates):
            return read_ecb_file(_ecb_file(tmp_path))

    t = totals(fines, by="regulator", rates=FileBacked())
    assert t.set_index("regulator").loc["ICO", "total_eur"] == pytest.approx(25_000_000)
    meta = meta_of(t)
    assert (meta.rate_source, meta.rate_snapshot, meta.rate_sha256) == ("test source", "live", "")


def test_filters_combine(fines: pd.DataFrame) -> None:
    assert select(fines, regulators=["CNIL"], matter="alpha-breach").empty
    assert select(fines, years=2020, matter="alpha-breach")["fine_id"].tolist() == [
        "ico-2020-alpha"
    ]
    got = select(fines, regulators=["IMY", "ICO"], sectors=["tech-platforms", "retail"])
    assert got["fine_id"].tolist() == ["imy-2021-beta"]
    assert select(fines, defendant="alpha", sectors=["retail"]).empty


def test_totals_of_a_hand_built_frame_name_no_file(fines: pd.DataFrame) -> None:
    df = fines.copy()
    df.attrs = {}
    meta = meta_of(totals(df, by="regulator"))
    assert (meta.data_path, meta.data_sha256) == (None, None)
    assert meta.n_records == 5


def test_defendant_article_and_scope_filters_combine_with_others(fines, collection) -> None:
    assert select(fines, years=2022, defendant="gamma")["fine_id"].tolist() == [
        "cnil-2022-gamma-penalty"
    ]
    assert select(fines, regulators=["IMY"], article="6")["fine_id"].tolist() == ["imy-2021-beta"]
    scoped = load(collection(coverage=COVERAGE))
    got = select(scoped, regulators=["IMY"], complete_only=True)["fine_id"].tolist()
    assert got == ["imy-2021-beta"]


def test_complete_only_judges_only_the_selected_fines(collection) -> None:
    # A fine outside the selection that cannot be converted (here an amount damaged by hand;
    # as well a fine past the end of a rate file) does not stop the selection being judged.
    scoped = load(collection(coverage=COVERAGE))
    df = scoped.fines.copy()
    df.loc[df["fine_id"] == "ico-2020-alpha", "amount"] = float("nan")
    damaged = scoped.replace(fines=df)
    got = select(damaged, regulators=["IMY"], complete_only=True)["fine_id"].tolist()
    assert got == ["imy-2021-beta"]
    with pytest.raises(RatesError, match="ico-2020-alpha"):
        select(damaged, regulators=["ICO"], complete_only=True)


def test_a_matter_is_named_by_its_slug(fines: pd.DataFrame) -> None:
    # Regulators match ignoring case; a matter is its lower-case slug, exactly.
    with pytest.raises(
        UsageError, match="^unknown matter Alpha-Breach: known matters are alpha-breach$"
    ):
        select(fines, matter="Alpha-Breach")


# --- What totals and pivot pass on, and what their results say ------------------------------


def test_headline_reads_the_nominal_columns_in_any_column_order(fines: pd.DataFrame) -> None:
    t = totals(fines, real=2020)
    h = headline(t[t.columns[::-1]])  # total_eur_real_2020 now comes before total_eur
    assert h == headline(t)
    assert h["total"] == pytest.approx(9_500_000 + ICO_EUR)
    assert h["max"] == pytest.approx(ICO_EUR)


def test_pivot_in_constant_prices(fines: pd.DataFrame) -> None:
    p = pivot(fines, real=2020)
    # Euro-area HICP (2015=100): 2020 105.06, 2021 107.78, 2022 116.82.
    assert p.loc["CNIL", "2021"] == pytest.approx(8e6 * 105.06 / 107.78)
    assert p.loc["CNIL", "2022"] == pytest.approx(500_000 * 105.06 / 116.82)
    assert p.loc["ICO", "2020"] == pytest.approx(ICO_EUR)
    meta = meta_of(p)
    assert meta.query.real == 2020
    assert meta.extra["cells"] == "money"
    assert meta.extra["real_base_year"] == 2020
    assert meta_of(pivot(fines, "SEK")).extra == {"cells": "money"}


def test_pivot_refuses_by(fines: pd.DataFrame) -> None:
    with pytest.raises(UsageError) as caught:
        pivot(fines, by="regulator")
    assert str(caught.value) == "pivot takes rows= and columns=, not by= (use totals for by=)"


def test_result_meta_of_a_frame_and_of_a_collection_without_its_source(fines, lifecycle_csv):
    from finestats import Collection
    from finestats.events import empty_events
    from finestats.totals import result_meta

    meta = result_meta(fines, Query(), load_rates(), "something", 5)
    assert (meta.what, meta.n_records, meta.rate_snapshot) == ("something", 5, "2026-10-30")
    assert meta.data_path == str(lifecycle_csv)
    # a Collection built without its source: the records' own source is named
    bare = Collection(fines, empty_events())
    assert meta_of(totals(bare)).data_path == str(lifecycle_csv)


def test_year_of_announcement_is_explained(fines: pd.DataFrame) -> None:
    meta = meta_of(totals(fines, year_of="announced_date"))
    assert meta.extra == {
        "year_note": "year of announcement; 5 records without a known announcement date count "
        "in their decision year"
    }


def test_scope_of_records_whose_companions_cannot_be_told(fines: pd.DataFrame) -> None:
    mixed = pd.concat([load_fines().iloc[:2], fines], ignore_index=True)
    meta = meta_of(totals(mixed, by="regulator"))
    assert meta.scope == (
        "scope not told: these records mix records of the default collection with others, so "
        "their court events and scope cannot be told"
    )


def test_totals_use_the_events_coverage_and_prices_passed(fines, tmp_path) -> None:
    from finestats import load_coverage, load_events
    from finestats.prices import load_prices

    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "coverage.csv").write_text(COVERAGE, encoding="utf-8")
    events = load_events(tmp_path / "events.csv")
    cov = load_coverage(tmp_path / "coverage.csv")
    # the Tribunal set the ICO fine aside (2021-03-01); it was reinstated on 2022-06-30
    t = totals(fines, "regulator", view="effective", as_of="2021-12-31", events=events)
    assert t["regulator"].tolist() == ["CNIL", "IMY"]
    t = totals(fines, "regulator", complete_only=True, coverage=cov)
    assert t[["regulator", "n_fines"]].values.tolist() == [["CNIL", 1], ["IMY", 1]]
    prices = load_prices()
    doubled = prices.assign(
        value=prices["value"].where(
            (prices["currency"] != "EUR") | (prices["year"] != 2020), 2 * 105.06
        )
    )
    t = totals(fines, "regulator", real=2020, prices=doubled, regulators=["CNIL"])
    assert t["total_eur_real_2020"].item() == pytest.approx(
        8e6 * 210.12 / 107.78 + 500_000 * 210.12 / 116.82
    )


def test_complete_only_judges_with_the_rates_passed(collection, tmp_path) -> None:
    coverage = COVERAGE.replace(
        "IMY,IMY,SE,2018-05-25,2025-12-31,0", "IMY,IMY,SE,2018-05-25,2025-12-31,1100000"
    )
    df = load(collection(coverage=coverage))
    # IMY's SEK 10,086,800: EUR 1m at the ECB's 10.0868 (below 1.1m), EUR 1,008,680 at 10.0
    # in _ecb_file's figures (still below), EUR 1,260,850 at 8 (above)
    assert totals(df, "regulator", complete_only=True, regulators=["IMY"]).empty
    path = tmp_path / "sek-8.csv"
    path.write_text("Date,SEK,\n2021-02-11,8,\n", encoding="utf-8")
    t = totals(df, "regulator", complete_only=True, regulators=["IMY"], rates=path)
    assert t["total_eur"].tolist() == pytest.approx([1_260_850])


def test_a_broken_price_file_matters_only_to_constant_prices(tmp_path, lifecycle_csv) -> None:
    folder = tmp_path / "lazy"
    folder.mkdir()
    (folder / "fines.csv").write_bytes(lifecycle_csv.read_bytes())
    (folder / "price_indices.csv").write_text("area,currency\nEA,EUR\n", encoding="utf-8")
    c = load(folder / "fines.csv", lazy=True)
    assert totals(c, "regulator")["n_fines"].tolist() == [3, 1, 1]
    with pytest.raises(FinestatsError, match="price_indices.csv"):
        totals(c, "regulator", real=2020)
