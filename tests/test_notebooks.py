"""The notebooks: the metadata JupyterLab writes, the title first, one literal ``parameters`` cell
then one check call; run by papermill, each writes what the library computes (their wiring;
the analyses themselves are tested in test_analyses.py); a bad parameter shows one short message."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import finestats
from finestats.analyses import matter_decisions
from finestats.jupyter import notebook_text, stripped
from finestats.notebook import OWN, parameters_cell
from finestats.query import Query
from finestats.totals import pivot, totals

from .conftest import NOTEBOOKS

ALL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
NB01, NB02, NB03, NB04 = (
    "01-totals-by-regulator-and-year",
    "02-regulator-profile",
    "03-currency-effects",
    "04-matter-timeline",
)


def _load(stem: str) -> dict[str, Any]:
    return json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))


def test_the_notebooks_are_there() -> None:
    assert ALL[:5] == ["00-explore", NB01, NB02, NB03, NB04]


@pytest.mark.parametrize("stem", ALL)
def test_notebook_metadata_and_cells(stem: str) -> None:
    nb = _load(stem)
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] == 5
    assert nb["metadata"]["kernelspec"] == {
        "name": "finestats",
        "display_name": "Python 3 (finestats)",
        "language": "python",
    }
    info = nb["metadata"]["language_info"]
    # the version JupyterLab saved; any Python 3 runs the notebooks (not only the one they were
    # saved with)
    assert info["name"] == "python" and re.fullmatch(r"3\.\d+\.\d+", info["version"])
    assert info["pygments_lexer"] == "ipython3" and info["codemirror_mode"]["version"] == 3
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
    assert tagged == [1], "exactly one parameters cell, right after the title"
    source = "".join(cells[1]["source"])
    tree = ast.parse(source)  # typed plain literals (papermill shows the types), one import
    assert isinstance(tree.body[0], ast.ImportFrom) and tree.body[0].module == "typing"
    for stmt in tree.body[1:]:
        assert isinstance(stmt, ast.AnnAssign) and stmt.simple
        ast.literal_eval(stmt.value)
    names = {s.target.id for s in tree.body[1:]}
    assert {"currency", "output_dir", "data_path", "rates_path"} <= names
    # generated from the settings' declarations: every notebook takes every setting
    own = [n for n in OWN if n in names]
    assert source == parameters_cell(own), f"run `make notebooks` to regenerate {stem}"
    assert "ctx = check_parameters(" in "".join(cells[2]["source"])  # then one check call
    text = (NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8")
    assert text == notebook_text(stripped(json.loads(text))), (
        f"{stem}.ipynb holds outputs or UI state: run `make strip`"
    )


# -- running ---------------------------------------------------------------------------------


def _execute(stem: str, params: dict[str, Any], out: Path) -> Path:
    import papermill as pm

    from finestats.jupyter import KERNEL_NAME, kernel_manager_class

    out.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(NOTEBOOKS / f"{stem}.ipynb"),
        str(out / f"{stem}.ipynb"),
        parameters={**params, "output_dir": str(out)},
        kernel_name=KERNEL_NAME,
        progress_bar=False,
        request_save_on_cell_execute=False,
        cwd=str(NOTEBOOKS),
        kernel_manager_class=kernel_manager_class(),
    )
    return out


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2)
    return out


@pytest.mark.slow
def test_01_writes_the_library_totals(tmp_path: Path) -> None:
    params = {
        "currency": "USD",
        "regulators": ["ICO", "CNIL"],
        "start_year": 2019,
        "end_year": 2021,
    }
    out = _execute(NB01, params, tmp_path)
    df = finestats.load_fines()
    q = Query(currency="USD", regulators=("ICO", "CNIL"), years=(2019, 2021))
    got = pd.read_csv(out / "totals_by_regulator_year.csv")
    pd.testing.assert_frame_equal(
        got, _round(totals(df, ("regulator", "year"), query=q)), check_dtype=False
    )
    wide = pd.read_csv(out / "pivot_regulator_year.csv", index_col="regulator")
    pd.testing.assert_frame_equal(wide, pivot(df, query=q).round(2), check_dtype=False, atol=0.011)
    head = json.loads((out / "headline.json").read_text())
    assert head["n_fines"] == int(totals(df, "regulator", query=q)["n_fines"].sum())
    assert {"totals_by_year_stacked.png", "totals_by_regulator.png"} <= {
        p.name for p in out.iterdir()
    }


@pytest.mark.slow
def test_02_03_04_write_what_the_library_computes(tmp_path: Path) -> None:
    df = finestats.load_fines()
    out2 = _execute(NB02, {"currency": "USD", "regulator": "CNIL"}, tmp_path / "02")
    got = pd.read_csv(out2 / "regulator_by_year.csv")
    want = totals(df, "year", "USD", regulators=["CNIL"])
    assert got["total_usd"].tolist() == pytest.approx(want["total_usd"].round(2).tolist())
    effect = pd.read_csv(out2 / "regulator_currency_effect.csv")
    assert list(effect.columns) == ["year", "n_fines", "total_eur", "total_usd", "implied_rate"]
    out3 = _execute(
        NB03, {"currency": "GBP", "start_year": 2019, "end_year": 2021}, tmp_path / "03"
    )
    conv = pd.read_csv(out3 / "currency_effects_by_year.csv")
    assert conv["year"].tolist() == [2019, 2020, 2021]
    assert list(conv.columns)[2:] == [
        "total_gbp_decision_date",
        "total_gbp_at_2024_12_31",
        "total_gbp_year_average",
        "not_converted",
    ]
    out4 = _execute(NB04, {"currency": "USD"}, tmp_path / "04")
    decisions = pd.read_csv(out4 / "matter_decisions.csv")
    want = matter_decisions(df, Query(currency="USD", matter="clearview-ai"))
    assert decisions["fine_id"].tolist() == want["fine_id"].tolist()
    timeline = pd.read_csv(out4 / "matter_timeline.csv")
    assert "court: set aside" in set(timeline["what"]) and "court: reinstated" in set(
        timeline["what"]
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "ename", "message"),
    [
        ({"regulators": ["XYZ"]}, "UsageError", "unknown regulator XYZ: known regulators are"),
        ({"view": "efective"}, "UsageError", "view='efective': expected one of imposed, effective"),
        ({"currency": "EURO"}, "UsageError", "currency='EURO': expected an ISO 4217"),
        # an empty selection is not an error: the notebook says so and stops (a report skips it)
        ({"start_year": 2030}, "NothingToShow", "no fines match these parameters: the data"),
    ],
)
def test_bad_parameters_show_one_short_message(tmp_path: Path, params, ename, message) -> None:
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError) as info:
        _execute(NB01, params, tmp_path)
    assert info.value.ename == ename and message in info.value.evalue
    assert info.value.cell_index == 3  # the check call, right after the injected parameters
    executed = json.loads((tmp_path / f"{NB01}.ipynb").read_text())
    (error,) = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert len(error["traceback"]) == 1  # no traceback: one line, red for an error only
    assert message in error["traceback"][0]
    assert ("\x1b[1;31m" in error["traceback"][0]) == (ename != "NothingToShow")
