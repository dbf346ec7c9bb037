"""The shipped collection: every Clearview AI decision pinned, the counts the issues promise,
strict validation, and data/README.md's generated counts kept current."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from finestats import load, load_fines
from finestats.conversion import convert
from finestats.curation import validate_file
from finestats.datadoc import collection_markdown, update_readme
from finestats.errors import FineDataWarning
from finestats.totals import totals

from .conftest import REPO, SHIPPED


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_fines(SHIPPED)


CLEARVIEW = [
    # fine_id, regulator, currency, amount, status, decision_date, supersedes
    ("imy-2021-polismyndigheten", "IMY", "SEK", 2_500_000, "final", "2021-02-10", None),
    ("ico-2021-clearview-ai-noi", "ICO", "GBP", 17_000_000, "provisional", "2021-11-29", None),
    (
        "ico-2022-clearview-ai",
        "ICO",
        "GBP",
        7_552_800,
        "final",
        "2022-05-18",
        "ico-2021-clearview-ai-noi",
    ),
    ("cnil-2022-clearview-ai", "CNIL", "EUR", 20_000_000, "final", "2022-10-17", None),
    ("cnil-2023-clearview-ai-penalty", "CNIL", "EUR", 5_200_000, "penalty", "2023-04-13", None),
    ("garante-2022-clearview-ai", "Garante", "EUR", 20_000_000, "final", "2022-02-10", None),
    ("hdpa-2022-clearview-ai", "HDPA", "EUR", 20_000_000, "final", "2022-07-13", None),
    ("ap-2024-clearview-ai", "AP", "EUR", 30_500_000, "final", "2024-05-16", None),
]


@pytest.mark.parametrize("row", CLEARVIEW, ids=[r[0] for r in CLEARVIEW])
def test_clearview_decisions(shipped: pd.DataFrame, row: tuple) -> None:
    fine_id, regulator, currency, amount, status, decided, supersedes = row
    rec = shipped.set_index("fine_id").loc[fine_id]
    assert rec["regulator"] == regulator
    assert rec["currency"] == currency
    assert rec["amount"] == amount
    assert rec["status"] == status
    assert rec["decision_date"] == pd.Timestamp(decided)
    assert (None if pd.isna(rec["supersedes"]) else rec["supersedes"]) == supersedes
    assert rec["source_url"].startswith("https://")


def test_imy_fined_the_police_under_the_criminal_data_act(shipped: pd.DataFrame) -> None:
    rec = shipped.set_index("fine_id").loc["imy-2021-polismyndigheten"]
    assert "Polismyndigheten" in rec["defendant"]
    assert rec["law"] == "Swedish Criminal Data Act"


def test_the_clearview_matter_links_all_eight_decisions(shipped: pd.DataFrame) -> None:
    ids = set(shipped.loc[shipped["matter"] == "clearview-ai", "fine_id"])
    assert ids == {row[0] for row in CLEARVIEW}
    t = totals(shipped, by="matter", matter="clearview-ai", currency="USD")
    # imposed: seven fines (the notice of intent left out), the police's among them
    assert t[["matter", "n_fines"]].values.tolist() == [["clearview-ai", 7]]


def test_the_tribunal_rulings_on_the_ico_clearview_fine(shipped: pd.DataFrame) -> None:
    events = load(SHIPPED).events
    ico = events[events["fine_id"] == "ico-2022-clearview-ai"].set_index("outcome")
    assert ico.loc["set-aside", "date"] == pd.Timestamp("2023-10-17")
    assert ico.loc["reinstated", "date"] == pd.Timestamp("2025-10-06")
    as_of = {
        day: totals(shipped, "regulator", "GBP", view="effective", as_of=day, matter="clearview-ai")
        for day in ("2024-12-31", "2025-12-31")
    }
    assert "ICO" not in set(as_of["2024-12-31"]["regulator"])  # set aside then
    ico_2025 = as_of["2025-12-31"].set_index("regulator").loc["ICO"]
    assert ico_2025["total_gbp"] == 7_552_800  # standing again


def test_clearview_totals_in_eur(shipped: pd.DataFrame) -> None:
    t = totals(shipped, by="regulator", defendant="Clearview AI").set_index("regulator")
    # The ICO notice of intent is not counted: only the final GBP 7,552,800 (at EUR/GBP 0.8467,
    # 2022-05-18); CNIL counts its fine and the penalty payment.
    assert t["n_fines"].to_dict() == {"AP": 1, "CNIL": 2, "Garante": 1, "HDPA": 1, "ICO": 1}
    assert t.loc["CNIL", "total_eur"] == 25_200_000
    assert t.loc["ICO", "total_eur"] == pytest.approx(7_552_800 / 0.8467)


def test_collection_counts(shipped: pd.DataFrame) -> None:
    assert len(shipped) >= 300
    assert shipped["regulator"].nunique() >= 25
    per_cur = shipped["currency"].astype(str).value_counts()
    for cur in ("SEK", "GBP", "EUR"):
        assert per_cur[cur] >= 25, cur
    assert per_cur.drop(["SEK", "GBP", "EUR"]).sum() >= 10
    finals = shipped[shipped["status"].isin(["final", "penalty", "provisional"])]
    assert finals["year"].between(2018, 2026).all()  # the scope runs to 2026-11-30


def test_every_record_has_its_extended_columns(shipped: pd.DataFrame) -> None:
    for col in ("date_basis", "articles", "sector"):
        assert shipped[col].notna().all(), col
    on_announcement = shipped[shipped["date_basis"] == "announcement"]
    assert on_announcement["notes"].str.contains("looked|search", case=False).all()


def test_every_regulator_has_a_declared_scope(shipped: pd.DataFrame) -> None:
    cov = load(SHIPPED).coverage
    assert set(shipped["regulator"].astype(str)) <= set(cov["regulator"])
    assert cov["period_start"].min() == pd.Timestamp("2018-05-25")
    imy = cov[cov["regulator"] == "IMY"]
    assert imy["threshold_eur"].tolist() == [0.0]
    ico = cov[cov["regulator"] == "ICO"].set_index("laws")["threshold_eur"].to_dict()
    assert ico == {"UK GDPR;DPA 2018": 0.0, "PECR": 1_000_000.0}


def test_lifecycle_examples_exist(shipped: pd.DataFrame) -> None:
    by_id = shipped.set_index("fine_id")
    ba = by_id.loc["ico-2020-british-airways"]
    assert (ba["amount"], ba["supersedes"]) == (20_000_000, "ico-2019-british-airways-noi")
    assert by_id.loc["ico-2019-british-airways-noi", "amount"] == 183_390_000
    assert set(shipped["status"].astype(str)) == {
        "final",
        "provisional",
        "penalty",
        "reduced",
        "annulled",
    }


def test_strict_validation_passes(shipped: pd.DataFrame) -> None:
    with pytest.warns(FineDataWarning):
        _, warns = validate_file(SHIPPED, strict=True)
    assert [(w.column, w.value) for w in warns] == [("amount", "1200000000 EUR")]


def test_data_readme_counts_are_current(shipped: pd.DataFrame) -> None:
    readme = Path(REPO / "data" / "README.md").read_text(encoding="utf-8")
    cov = load(SHIPPED).coverage
    eur = convert(shipped, "EUR")["amount_eur"].to_numpy()
    assert update_readme(readme, shipped, cov, eur) == readme, (
        "run `make data` to refresh data/README.md"
    )
    assert collection_markdown(shipped, cov, eur) in readme
