"""Which fines count and the selection filters (finestats.counting), on the lifecycle fixture and
small hand-built files, every expected list worked by hand.

The lifecycle fixture (tests/data/lifecycle.csv) counts, in the imposed view and in file order:
  ico-2020-alpha           ICO  GB  Alpha Airways  Alpha Group    alpha-breach  transport
  imy-2021-beta            IMY  SE  Beta AB        Beta AB                      retail
  cnil-2021-gamma          CNIL FR  Gamma SA       Gamma Holding                tech-platforms
  cnil-2021-delta          CNIL FR  Delta SAS      Delta SAS                    finance-insurance
  cnil-2022-gamma-penalty  CNIL FR  Gamma SA       Gamma Holding                tech-platforms
(the 2019 ICO notice is superseded by the 2020 fine; the two 2022 court outcomes are not counted
in the imposed view).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from finestats import Collection, UsageError, load, load_fines
from finestats.counting import (
    announcement_unknown,
    cites_article,
    counted,
    law_mask,
    select,
    with_year,
)
from finestats.coverage import load_coverage
from finestats.events import empty_events, load_events

from .conftest import records_csv

ICO = "ico-2020-alpha"
IMY = "imy-2021-beta"
GAMMA = "cnil-2021-gamma"
DELTA = "cnil-2021-delta"
PENALTY = "cnil-2022-gamma-penalty"
COUNTED = [ICO, IMY, GAMMA, DELTA, PENALTY]


@pytest.fixture
def fines(lifecycle_csv: Path) -> pd.DataFrame:
    return load_fines(lifecycle_csv)


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["fine_id"].tolist()


# --- the year a fine counts in -----------------------------------------------------------------


@pytest.fixture
def announced_later(edited_csv) -> pd.DataFrame:
    """The lifecycle records with the ICO fine of 2020-10-16 announced on 2021-01-05."""
    return load_fines(edited_csv({(3, "announced_date"): "2021-01-05"}))


def test_a_fine_counts_in_its_decision_year_by_default(announced_later) -> None:
    rows = counted(announced_later)
    assert dict(zip(ids(rows), rows["year"], strict=True)) == {
        ICO: 2020,
        IMY: 2021,
        GAMMA: 2021,
        DELTA: 2021,
        PENALTY: 2022,
    }


def test_year_of_announcement_falls_back_to_the_decision_year(announced_later) -> None:
    # ICO: announced in 2021; IMY: decided 2021-02-11, announced 2021-02-12; the CNIL records
    # have no announced date and count in their decision year.
    rows = counted(announced_later, year_of="announced_date")
    assert dict(zip(ids(rows), rows["year"], strict=True)) == {
        ICO: 2021,
        IMY: 2021,
        GAMMA: 2021,
        DELTA: 2021,
        PENALTY: 2022,
    }
    assert rows["year"].dtype == "int64"
    assert with_year(announced_later, "decision_date")["year"].tolist() == [
        2019,
        2020,
        2021,
        2021,
        2022,
        2021,
        2022,
        2022,
    ]
    assert ids(select(announced_later, years=2021, year_of="announced_date")) == [
        ICO,
        IMY,
        GAMMA,
        DELTA,
    ]


def test_records_without_an_announced_date_are_counted(fines, announced_later) -> None:
    # the five CNIL records have no announced date
    assert announcement_unknown(fines) == 5
    assert announcement_unknown(announced_later) == 5
    assert announcement_unknown(fines.iloc[:3]) == 0


# --- the selection filters ---------------------------------------------------------------------


def test_excluded_regulators_are_left_out_ignoring_case(fines) -> None:
    assert ids(select(fines, exclude_regulators=["ico"])) == [IMY, GAMMA, DELTA, PENALTY]
    both = select(fines, regulators=["CNIL", "ICO"], exclude_regulators="Ico")
    assert ids(both) == [GAMMA, DELTA, PENALTY]
    with pytest.raises(
        UsageError, match="^unknown regulator XYZ: known regulators are CNIL, ICO, IMY$"
    ):
        select(fines, exclude_regulators=["XYZ"])


@pytest.mark.parametrize(
    ("region", "expected"),
    [("uk", [ICO]), ("eu-eea", [IMY, GAMMA, DELTA, PENALTY]), (None, COUNTED)],
)
def test_region_splits_the_uk_from_the_eu_and_eea(fines, region, expected) -> None:
    assert ids(select(fines, region=region)) == expected


def test_region_combines_with_the_other_filters(fines) -> None:
    assert ids(select(fines, years=2021, region="eu-eea")) == [IMY, GAMMA, DELTA]
    assert ids(select(fines, years=2021, region="uk")) == []


def test_a_known_sector_without_records_selects_nothing(fines) -> None:
    # every sector of the vocabulary is a valid filter, also one no record has
    assert ids(select(fines, sectors=["health"])) == []
    assert ids(select(fines, sectors=["tech-platforms", "retail"])) == [IMY, GAMMA, PENALTY]


def test_groups_match_any_of_the_texts_ignoring_case(fines) -> None:
    assert ids(select(fines, groups=["HOLDING"])) == [GAMMA, PENALTY]
    assert ids(select(fines, groups=["alpha", "beta"])) == [ICO, IMY]
    assert ids(select(fines, groups="delta", years=2021)) == [DELTA]
    with pytest.raises(UsageError, match="^no group matches 'Omega'$"):
        select(fines, groups=["Omega"])


def test_a_record_without_a_group_matches_no_text(edited_csv) -> None:
    df = load_fines(edited_csv({(4, "group"): ""}))  # Beta AB: no group
    assert df["group"].isna().sum() == 1
    with pytest.raises(UsageError, match="^no group matches 'xx'$"):
        select(df, groups=["xx"])
    assert ids(select(df, groups=["a"])) == [ICO, GAMMA, DELTA, PENALTY]


def test_defendants_match_any_of_the_texts(fines) -> None:
    assert ids(select(fines, defendants=["gamma", "beta"])) == [IMY, GAMMA, PENALTY]
    assert ids(select(fines, defendants=["beta", "gamma"])) == [IMY, GAMMA, PENALTY]


@pytest.fixture
def laws(edited_csv) -> pd.DataFrame:
    """The lifecycle records under different laws."""
    return load_fines(
        edited_csv(
            {
                (2, "law"): "UK GDPR;DPA 2018",
                (3, "law"): "UK GDPR;DPA 2018",
                (4, "law"): "Swedish Data Protection Act (supplementing the GDPR)",
                (5, "law"): "GDPR;French Data Protection Act art. 82",
                (6, "law"): "GDPR;French Data Protection Act art. 82",
                (9, "law"): "French Data Protection Act art. 82",
            }
        )
    )


@pytest.mark.parametrize(
    ("law", "expected"),
    [
        # GDPR: exactly the GDPR and the UK GDPR, not a law that names the GDPR
        ("GDPR", [ICO, GAMMA, DELTA]),
        ("gdpr", [ICO, GAMMA, DELTA]),
        ("uk gdpr", [ICO]),  # any other text: laws whose name contains it, ignoring case
        ("french data", [GAMMA, PENALTY]),
        ("Supplementing", [IMY]),
        (["DPA 2018", "swedish"], [ICO, IMY]),
        (["french", "GDPR"], [ICO, GAMMA, DELTA, PENALTY]),
        (["GDPR", "french"], [ICO, GAMMA, DELTA, PENALTY]),
    ],
)
def test_law_filter(laws, law, expected) -> None:
    assert ids(select(laws, laws=law)) == expected


def test_law_filter_combines_with_the_others_and_names_an_unknown_law(laws) -> None:
    assert ids(select(laws, laws="GDPR", years=2021)) == [GAMMA, DELTA]
    assert ids(select(laws, laws="french", regulators=["CNIL"], years=2022)) == [PENALTY]
    with pytest.raises(UsageError, match="^no record's law matches 'Data Act 2030'$"):
        select(laws, laws=["GDPR", "Data Act 2030"])


def test_law_filter_of_an_empty_selection(laws) -> None:
    assert law_mask(pd.Series([], dtype="str"), ["GDPR"]).dtype == bool
    assert law_mask(pd.Series([], dtype="str"), ["french"]).dtype == bool
    assert ids(select(laws, laws="GDPR", view="effective", as_of="2018-01-01")) == []


def test_law_mask_on_a_series_with_a_missing_law() -> None:
    law = pd.Series(["GDPR", None, "UK GDPR;DPA 2018", "Italian Privacy Code;GDPR"])
    for wanted, expected in [
        (["GDPR"], [True, False, True, True]),
        (["dpa"], [False, False, True, False]),
        (["x"], [False, False, False, False]),
        (["privacy", "dpa"], [False, False, True, True]),
        (["dpa", "privacy"], [False, False, True, True]),
    ]:
        got = law_mask(law, wanted)
        assert got.dtype == bool
        assert got.tolist() == expected, wanted


def test_countries_match_ignoring_case_in_a_hand_built_frame(fines) -> None:
    lower = fines.assign(country=fines["country"].astype(str).str.lower())
    assert ids(select(lower, countries=["fr"])) == [GAMMA, DELTA, PENALTY]
    assert ids(select(lower, countries="GB,se")) == [ICO, IMY]


def test_a_record_without_a_regulator_matches_no_regulator(fines) -> None:
    df = fines.assign(regulator=fines["regulator"].astype(object).where(fines["country"] != "SE"))
    assert ids(select(df, regulators=["cnil", "ico"])) == [ICO, GAMMA, DELTA, PENALTY]
    assert ids(select(df, exclude_regulators=["CNIL"])) == [ICO, IMY]


def test_a_record_without_a_matter_matches_no_matter_name(edited_csv) -> None:
    # "nan" is a valid matter slug; the CNIL records have no matter (missing, not "nan")
    df = load_fines(edited_csv({(4, "matter"): "nan"}))
    assert df["matter"].iat[2] == "nan" and pd.isna(df["matter"].iat[3])
    assert ids(select(df, matters=["nan"])) == [IMY]
    assert ids(select(df, matters=["nan", "alpha-breach"])) == [ICO, IMY]


# --- articles ----------------------------------------------------------------------------------


def test_cites_article_any_of_several(fines) -> None:
    # ICO 5(1)(f);32  IMY 6(1);13  Gamma 6;LIL:82  Delta 5(1)(c);16  penalty 58(2)(d)
    assert cites_article(fines["articles"], ["32", "16"]).tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert ids(select(fines, articles=["13", "58"])) == [IMY, PENALTY]
    assert ids(select(fines, articles=["58", "13"])) == [IMY, PENALTY]


def test_a_bad_article_reference_is_named_for_python_and_the_command_line(fines) -> None:
    with pytest.raises(UsageError) as caught:
        cites_article(fines["articles"], "Art. 6")
    assert str(caught.value) == (
        "article='Art. 6': expected an article reference such as 6, 5(1)(f) or LIL:82"
    )
    assert caught.value.cli == (
        "--article 'Art. 6': expected an article reference such as 6, 5(1)(f) or LIL:82"
    )


# --- the effective view: court events along a chain of records --------------------------------

EVENTS_HEADER = "event_id,fine_id,date,court,outcome,source_url,notes\n"


def _chain(tmp_path: Path, events: str) -> Collection:
    """A file whose only supersedes link is r0 (final, EUR 900,000, 2021-01-11) -> r1 (reduced
    to EUR 300,000 on 2021-06-01), beside r2 (final, EUR 50,000), with ``events`` beside it."""
    path = records_csv(
        tmp_path,
        {"amount": "900000", "currency": "EUR", "decision_date": "2021-01-11"},
        {
            "amount": "300000",
            "currency": "EUR",
            "decision_date": "2021-06-01",
            "status": "reduced",
            "supersedes": "imy-2021-r0",
            "defendant": "Defendant 0",
        },
        {"amount": "50000", "currency": "EUR", "decision_date": "2021-03-01"},
    )
    (tmp_path / "events.csv").write_text(EVENTS_HEADER + events, encoding="utf-8")
    return load(path)


def _standing(c: Collection, **settings) -> dict[str, float]:
    rows = counted(c, view="effective", **settings)
    return dict(zip(ids(rows), rows["amount"], strict=True))


def test_a_decision_set_aside_then_reduced_counts_the_reduction(tmp_path) -> None:
    c = _chain(tmp_path, "e1,imy-2021-r0,2021-03-15,Court,set-aside,https://example.org/e1,\n")
    # set aside in March (nothing stands), then the court's reduced amount of June stands
    assert _standing(c) == {"imy-2021-r0": 300_000, "imy-2021-r2": 50_000}
    assert _standing(c, as_of="2021-05-31") == {"imy-2021-r2": 50_000}


def test_court_events_of_one_day_apply_in_the_order_of_the_events_file(tmp_path) -> None:
    c = _chain(
        tmp_path,
        "e1,imy-2021-r0,2022-01-10,Court,set-aside,https://example.org/e1,\n"
        "e2,imy-2021-r1,2022-01-10,Court,reinstated,https://example.org/e2,\n",
    )
    # the decision is set aside, then the reduction reinstated: the reduction stands
    assert _standing(c) == {"imy-2021-r0": 300_000, "imy-2021-r2": 50_000}
    reversed_order = _chain(
        tmp_path,
        "e2,imy-2021-r1,2022-01-10,Court,reinstated,https://example.org/e2,\n"
        "e1,imy-2021-r0,2022-01-10,Court,set-aside,https://example.org/e1,\n",
    )
    assert _standing(reversed_order) == {"imy-2021-r2": 50_000}


def test_an_empty_events_frame_applies_no_court_event(fines) -> None:
    expected = {ICO: 20_000_000, IMY: 10_086_800, GAMMA: 2_000_000, PENALTY: 500_000}
    assert _standing(fines, events=pd.DataFrame()) == expected
    assert _standing(fines, events=empty_events()) == expected


# --- select passes the companions and the rates on ---------------------------------------------

ASIDE = EVENTS_HEADER + "a1,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://example.org/a,\n"
COVERAGE = (
    "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,last_checked,"
    "method,notes\n"
    "CNIL,CNIL,FR,2018-05-25,2025-12-31,4000000,GDPR,2026-11-27,test,\n"
    "IMY,IMY,SE,2018-05-25,2025-12-31,1100000,GDPR,2026-11-27,test,\n"
)


def test_select_uses_the_events_and_coverage_passed(fines, tmp_path) -> None:
    (tmp_path / "events.csv").write_text(ASIDE, encoding="utf-8")
    (tmp_path / "coverage.csv").write_text(COVERAGE, encoding="utf-8")
    events = load_events(tmp_path / "events.csv")
    assert ids(select(fines, view="effective", years=2020)) == [ICO]
    assert ids(select(fines, view="effective", years=2020, events=events)) == []
    cov = load_coverage(tmp_path / "coverage.csv")
    # CNIL: Gamma's 5m reaches the 4m threshold; IMY: EUR 1m is below 1.1m; ICO: no row
    assert ids(select(fines, complete_only=True, coverage=cov)) == [GAMMA]


def _sek_at_8(tmp_path: Path) -> Path:
    """An ECB-format file with one fixing: 2021-02-11, SEK 8 per EUR (the ECB's was 10.0868)."""
    path = tmp_path / "sek-8.csv"
    path.write_text("Date,SEK,\n2021-02-11,8,\n", encoding="utf-8")
    return path


def test_complete_only_judges_amounts_with_the_rates_passed(collection, tmp_path) -> None:
    c = load(collection(coverage=COVERAGE))
    # SEK 10,086,800 is EUR 1m at the ECB rate (below IMY's 1.1m threshold), EUR 1,260,850 at 8
    assert ids(select(c, complete_only=True, regulators=["IMY"])) == []
    rates = _sek_at_8(tmp_path)
    assert ids(select(c, complete_only=True, regulators=["IMY"], rates=rates)) == [IMY]
