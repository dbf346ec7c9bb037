"""The notebooks: clean metadata and one literal ``parameters`` cell; run by papermill with their
defaults and two other parameter sets, the CSV each writes equals what the library computes on
the same inputs; bad parameters fail in the cell after the parameters with one clear message."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import finestats
from finestats.rates import convert
from finestats.summary import pivot, select, totals

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
NB01 = "01-totals-by-regulator-and-year"
NB02 = "02-regulator-profile"
NB03 = "03-currency-effects"
NB04 = "04-defendant-timeline"
ALL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))

#: Each notebook with its defaults and two other parameter sets: USD for one regulator, and GBP
#: for 2019-2021.
CASES: dict[str, list[dict[str, Any]]] = {
    NB01: [{}, {"currency": "USD", "regulators": ["ICO"]},
           {"currency": "GBP", "start_year": 2019, "end_year": 2021}],
    NB02: [{}, {"currency": "USD", "regulator": "CNIL"},
           {"currency": "GBP", "start_year": 2019, "end_year": 2021}],
    NB03: [{}, {"currency": "USD", "regulators": ["ICO"]},
           {"currency": "GBP", "start_year": 2019, "end_year": 2021}],
    NB04: [{}, {"currency": "USD", "regulators": ["ICO"]},
           {"currency": "GBP", "start_year": 2019, "end_year": 2021}],
}  # fmt: skip
CASE_IDS = ["defaults", "usd-one-regulator", "gbp-2019-2021"]


def _load(stem: str) -> dict[str, Any]:
    return json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))


def test_the_four_notebooks_are_there() -> None:
    assert ALL == [NB01, NB02, NB03, NB04]


@pytest.mark.parametrize("stem", ALL)
def test_notebook_metadata_and_parameters_cell(stem: str) -> None:
    nb = _load(stem)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"] == {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    assert nb["metadata"]["language_info"]["name"] == "python"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert nb["cells"][0] is tagged[0], "the parameters cell comes first"
    # plain literals only
    tree = ast.parse("".join(tagged[0]["source"]))
    for stmt in tree.body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        ast.literal_eval(stmt.value)
    assert "output_dir" in {s.targets[0].id for s in tree.body}
    # cell 2 validates through the library
    assert "report.check_parameters(" in "".join(nb["cells"][1]["source"])
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("stem", ALL)
def test_papermill_reads_the_declared_parameters(stem: str) -> None:
    import papermill as pm

    declared = pm.inspect_notebook(str(NOTEBOOKS / f"{stem}.ipynb"))
    assert {"currency", "output_dir", "data_path", "rates_path"} <= set(declared)
    for case in CASES[stem]:
        assert set(case) <= set(declared)


# -- running ---------------------------------------------------------------------------------


def _execute(stem: str, params: dict[str, Any], out: Path) -> Path:
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(NOTEBOOKS / f"{stem}.ipynb"),
        str(out / f"{stem}.ipynb"),
        parameters={**params, "output_dir": str(out)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(NOTEBOOKS),
    )
    return out


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return finestats.load_fines()


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def _same(got: pd.DataFrame, expected: pd.DataFrame, *, index: str | None = None) -> None:
    """Equal after the CSV round trip; amounts compared to the cent."""
    exp = expected.copy()
    if index is not None:
        exp = exp.reset_index().rename(columns={"index": index})
    exp = exp.reset_index(drop=True)
    for col in exp.columns:
        s = exp[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            exp[col] = s.dt.strftime("%Y-%m-%d")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            exp[col] = s.astype(str)
        elif pd.api.types.is_float_dtype(s):
            exp[col] = s.round(2)
    got = got.copy()
    got.columns = [str(c) for c in got.columns]
    exp.columns = [str(c) for c in exp.columns]
    assert list(got.columns) == list(exp.columns)
    for col in exp.columns:
        if pd.api.types.is_numeric_dtype(exp[col]) and not pd.api.types.is_bool_dtype(exp[col]):
            pd.testing.assert_series_equal(
                got[col].astype("float64"), exp[col].astype("float64"), check_names=False,
                atol=0.011, rtol=0,
            )  # fmt: skip
        else:
            want = exp[col].astype("string").fillna("")
            have = got[col].astype("string").fillna("")
            pd.testing.assert_series_equal(have, want, check_names=False)


def _kw(params: dict[str, Any]) -> dict[str, Any]:
    """The totals() arguments a parameter set means."""
    kw: dict[str, Any] = {"currency": params.get("currency", "EUR")}
    if "start_year" in params:
        kw["years"] = (params["start_year"], params["end_year"])
    if params.get("regulators"):
        kw["regulators"] = params["regulators"]
    if params.get("regulator"):
        kw["regulators"] = [params["regulator"]]
    return kw


@pytest.mark.slow
@pytest.mark.parametrize("case", range(3), ids=CASE_IDS)
def test_01_totals(case: int, tmp_path: Path, df: pd.DataFrame) -> None:
    params = CASES[NB01][case]
    out = _execute(NB01, params, tmp_path)
    kw = _kw(params)
    _same(_csv(out / "totals_by_regulator_year.csv"), totals(df, ("regulator", "year"), **kw))
    _same(_csv(out / "totals_by_regulator.csv"), totals(df, "regulator", **kw))
    wide = pd.read_csv(out / "pivot_regulator_year.csv", index_col="regulator")
    pd.testing.assert_frame_equal(wide, pivot(df, **kw).round(2), check_dtype=False, atol=0.011)
    head = json.loads((out / "headline.json").read_text())
    tidy = totals(df, ("regulator", "year"), **kw)
    cur = kw["currency"].lower()
    assert head["n_fines"] == int(tidy["n_fines"].sum())
    assert head["total"] == pytest.approx(tidy[f"total_{cur}"].sum())
    assert head["max"] == pytest.approx(tidy[f"max_{cur}"].max())
    meta = json.loads((out / "totals_by_regulator_year.meta.json").read_text())
    assert meta["currency"] == kw["currency"] and meta["data_sha256"]
    for stem in ("totals_by_year_stacked", "totals_by_regulator"):
        assert (out / f"{stem}.png").stat().st_size > 1000
        assert (out / f"{stem}.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.slow
@pytest.mark.parametrize("case", range(3), ids=CASE_IDS)
def test_02_regulator_profile(case: int, tmp_path: Path, df: pd.DataFrame) -> None:
    params = CASES[NB02][case]
    out = _execute(NB02, params, tmp_path)
    regulator = params.get("regulator", "ICO")
    kw = _kw({**params, "regulator": regulator})
    cur = kw["currency"]
    _same(_csv(out / "regulator_by_year.csv"), totals(df, "year", **kw))
    # largest fines: the top 10 converted amounts of the counted records
    rows = select(df, regulators=kw["regulators"], years=kw.get("years"))
    conv = convert(rows, cur).sort_values(f"amount_{cur.lower()}", ascending=False)
    largest = _csv(out / "regulator_largest_fines.csv")
    assert list(largest["fine_id"]) == list(conv["fine_id"].head(10))
    assert largest[f"amount_{cur.lower()}"].tolist() == pytest.approx(
        conv[f"amount_{cur.lower()}"].head(10).round(2).tolist(), abs=0.011
    )
    # own currency vs chosen currency
    own = {"ICO": "GBP", "CNIL": "EUR"}[regulator]
    effect = _csv(out / "regulator_currency_effect.csv")
    in_own = totals(df, "year", **{**kw, "currency": own})
    in_cur = totals(df, "year", **kw)
    assert effect["year"].tolist() == in_own["year"].tolist()
    assert effect[f"total_{own.lower()}"].tolist() == pytest.approx(
        in_own[f"total_{own.lower()}"].tolist(), abs=0.011
    )
    assert effect[f"total_{cur.lower()}"].tolist() == pytest.approx(
        in_cur[f"total_{cur.lower()}"].tolist(), abs=0.011
    )
    for stem in ("regulator_over_time", "regulator_currency_effect"):
        assert (out / f"{stem}.png").is_file() and (out / f"{stem}.svg").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("case", range(3), ids=CASE_IDS)
def test_03_currency_effects(case: int, tmp_path: Path, df: pd.DataFrame) -> None:
    from finestats.errors import RatesError

    params = CASES[NB03][case]
    out = _execute(NB03, params, tmp_path)
    kw = _kw(params)
    cur = kw["currency"].lower()
    got = _csv(out / "currency_effects_by_year.csv")
    base = totals(df, "year", **kw)
    assert got["year"].tolist() == base["year"].tolist()
    assert got["n_fines"].tolist() == base["n_fines"].tolist()
    for at, col in ((None, f"total_{cur}_decision_date"),
                    ("2024-12-31", f"total_{cur}_at_2024_12_31"),
                    ("year-average", f"total_{cur}_year_average")):  # fmt: skip
        for year, value in zip(got["year"], got[col], strict=True):
            try:
                expected = totals(df, "year", **{**kw, "years": (year, year)}, at=at)
            except RatesError:
                assert pd.isna(value), (col, year)
                continue
            assert value == pytest.approx(round(expected[f"total_{cur}"].sum(), 2), abs=0.011)
    audit = _csv(out / "conversion_audit.csv")
    conv = convert(select(df, regulators=kw.get("regulators"), years=kw.get("years")), cur)
    _same(
        audit[["fine_id", f"amount_{cur}", "fx_rate", "fx_date"]],
        conv[["fine_id", f"amount_{cur}", "fx_rate", "fx_date"]],
    )
    assert audit["fx_source"].str.startswith("ECB").all()
    assert (out / "currency_effects.png").is_file() and (out / "currency_effects.svg").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("case", range(3), ids=CASE_IDS)
def test_04_defendant_timeline(case: int, tmp_path: Path, df: pd.DataFrame) -> None:
    params = CASES[NB04][case]
    out = _execute(NB04, params, tmp_path)
    kw = _kw(params)
    cur = kw["currency"].lower()
    mask = df["defendant"].str.contains("clearview ai", case=False)
    if "years" in kw:
        mask &= df["year"].between(*kw["years"])
    if "regulators" in kw:
        mask &= df["regulator"].isin(kw["regulators"])
    expected = convert(df[mask], kw["currency"]).sort_values(["decision_date", "fine_id"])
    got = _csv(out / "defendant_decisions.csv")
    cols = ["fine_id", "regulator", "status", "amount", "currency", f"amount_{cur}", "fx_date"]
    _same(got[cols], expected[cols])
    if not params:  # every status is there: the ICO notice, its final fine, the CNIL penalty
        assert {"provisional", "final", "penalty"} <= set(got["status"])
    assert (out / "defendant_timeline.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stem", "params", "ename", "message"),
    [
        (NB01, {"currency": "XYZ"}, "RatesError", "unknown currency 'XYZ'"),
        (NB03, {"start_year": 2022, "end_year": 2019}, "UsageError",
         "start year 2022 is after end year 2019"),
        (NB02, {"regulator": "NOPE"}, "UsageError", "unknown regulator NOPE: known regulators are"),
        (NB04, {"defendant": "Nobody Inc"}, "UsageError", "no defendant matches 'Nobody Inc'"),
    ],
    ids=["unknown-currency", "start-after-end", "unknown-regulator", "unknown-defendant"],
)  # fmt: skip
def test_bad_parameters_fail_in_the_validation_cell(
    stem: str, params: dict[str, Any], ename: str, message: str, tmp_path: Path
) -> None:
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as info:
        _execute(stem, params, tmp_path)
    err = info.value
    assert err.ename == ename
    assert message in err.evalue
    assert "\n" not in err.evalue  # one message, one line
    # executed copy: parameters, injected parameters, then the validation cell fails (papermill
    # also puts an error banner cell on top of the kept copy)
    assert err.cell_index == 2
    nb = json.loads((tmp_path / f"{stem}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "injected-parameters" in code[1]["metadata"]["tags"]
    assert "report.check_parameters(" in "".join(code[2]["source"])
    assert code[2]["outputs"][0]["ename"] == ename
    assert all(c["execution_count"] is None for c in code[3:])
    assert not list(tmp_path.glob("*.csv"))
