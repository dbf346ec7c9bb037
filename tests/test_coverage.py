"""coverage.csv: the declared scope, its validation, which records it holds, and its wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finestats import FineDataError, load
from finestats.conversion import convert
from finestats.coverage import coverage_table, in_scope, load_coverage, scope_text

HEADER = (
    "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,last_checked,"
    "method,notes\n"
)
ROWS = (
    "CNIL,CNIL,FR,2018-05-25,2025-12-31,4000000,GDPR,2026-11-27,swept the sanctions list,\n"
    "IMY,IMY,SE,2018-05-25,2025-12-31,0,GDPR,2026-11-27,every decision page,\n"
    "ICO,ICO,GB,2020-01-01,2025-12-31,0,UK GDPR,2026-11-27,enforcement list,\n"
)


def test_in_scope_checks_regulator_period_law_and_threshold(collection) -> None:
    data = load(collection(coverage=HEADER + ROWS))
    df, cov = data.fines, data.coverage
    eur = convert(df, "EUR")["amount_eur"].to_numpy()
    inside = dict(zip(df["fine_id"], in_scope(df, cov, eur), strict=True))
    assert inside == {
        "ico-2019-alpha-noi": False,  # before the ICO row's period
        "ico-2020-alpha": False,  # law GDPR, the row claims UK GDPR only
        "imy-2021-beta": True,  # every IMY fine
        "cnil-2021-gamma": True,  # EUR 5m >= 4m
        "cnil-2022-gamma-reduced": False,  # EUR 2m < 4m (its own amount)
        "cnil-2021-delta": False,
        "cnil-2022-delta-annulled": False,
        "cnil-2022-gamma-penalty": False,
    }


def test_a_threshold_exactly_met_is_inside(collection) -> None:
    rows = ROWS.replace(",4000000,", ",5000000,")
    data = load(collection(coverage=HEADER + rows))
    df = data.fines
    eur = convert(df, "EUR")["amount_eur"].to_numpy()
    assert in_scope(df, data.coverage, eur)[3]  # Gamma's EUR 5,000,000 equals the threshold
    assert not in_scope(df, data.coverage, eur - 0.01)[3]


def test_scope_text_and_table(collection) -> None:
    data = load(collection(coverage=HEADER + ROWS))
    df, cov = data.fines, data.coverage
    assert scope_text(cov) == (
        "Complete for fines of EUR 4,000,000 or more decided 2018-05-25 to 2025-12-31 by 3 "
        "regulators, and for every fine of ICO and IMY; other records are a sample."
    )
    assert scope_text(None) == "No declared scope: the records are a sample."
    eur = convert(df, "EUR")["amount_eur"].to_numpy()
    t = coverage_table(df, cov, eur).set_index("regulator")
    assert t.loc["CNIL", ["records", "in_scope"]].tolist() == [5, 1]
    assert t.loc["IMY", "threshold_eur"] == "every fine"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "X,X,SE,2018-05-25,2017-01-01,0,GDPR,2026-11-27,m,",
            "column 'period_end' value '2017-01-01': expected a date after period_start",
        ),
        (
            "X,X,SE,2018-05-25,2025-12-31,1e6,GDPR,2026-11-27,m,",
            "column 'threshold_eur' value '1e6'",
        ),
        (
            "X,X,SE,2018-05-25,2025-12-31,0,GDPR,2026-11-27,,",
            "column 'method' value '': expected a value",
        ),
        (
            "IMY,IMY,SE,2018-05-25,2025-12-31,0,GDPR,2026-11-27,m,",
            "column 'laws' value 'GDPR': expected one row per regulator",
        ),
    ],
)
def test_bad_rows(tmp_path, row, message) -> None:
    path = tmp_path / "coverage.csv"
    path.write_text(HEADER + ROWS + row + "\n", encoding="utf-8")
    with pytest.raises(
        FineDataError, match=f"{path}:5: {message}".replace("(", r"\(").replace(")", r"\)")
    ):
        load_coverage(path)


def test_shipped_scope_declares_every_eu_eea_authority() -> None:
    cov = load().coverage
    countries = set(cov["country"])
    eu = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
    eea = set(eu.split()) | {"IS", "LI", "NO"}
    assert eea | {"GB"} <= countries
    assert np.isin(["BfDI", "BayLDA", "HmbBfDI", "LfD-NI"], cov["regulator"]).all()
    assert (cov["period_end"] == pd.Timestamp("2025-12-31")).all()
