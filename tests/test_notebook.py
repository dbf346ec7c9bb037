"""finestats.notebook: the parameter check each notebook calls, short errors, clean notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import finestats
from finestats.errors import FinestatsError, UsageError
from finestats.jupyter import main, strip_outputs_hook, stripped
from finestats.notebook import DEFAULT_OUTPUT, check_parameters, short_error

from .conftest import NOTEBOOKS


def test_defaults(tmp_path: Path) -> None:
    ctx = check_parameters(output_dir=tmp_path / "new" / "dir")
    assert ctx.query == finestats.Query() and ctx.regulator is None
    assert ctx.path("x.csv") == tmp_path / "new" / "dir" / "x.csv"
    assert not (tmp_path / "new").exists()  # created when a file is written


def test_default_output_is_the_projects_not_the_notebooks_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(NOTEBOOKS)  # where JupyterLab starts a notebook's kernel
    assert check_parameters().output_dir == NOTEBOOKS.parent / DEFAULT_OUTPUT
    monkeypatch.chdir(tmp_path)  # outside any project: the current folder
    assert check_parameters().output_dir == tmp_path / DEFAULT_OUTPUT


def test_normalises() -> None:
    ctx = check_parameters(currency="usd", start_year=2020, regulators=["ico", "CNIL"])
    assert ctx.currency == "USD" and ctx.query.regulators == ("ICO", "CNIL")
    assert ctx.query.years == (2020, int(finestats.load_fines()["year"].max()))
    assert check_parameters(end_year=2021).query.years[1] == 2021
    assert check_parameters(regulator="ico").regulator == "ICO"
    assert check_parameters(fixed_date="2024-12-31").fixed_date == "2024-12-31"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"currency": "XYZ"}, "currency='XYZ': the rate table"),
        ({"currency": "EURO"}, "currency='EURO': expected an ISO 4217 currency code"),
        ({"start_year": 2022, "end_year": 2019}, "start_year 2022 is after end_year 2019"),
        ({"start_year": 1e10}, "start_year=10000000000.0: expected a year"),
        ({"start_year": "twenty"}, "start_year='twenty': expected a year"),
        (
            {"start_year": 2030},
            "no fines match these parameters: the data covers decisions of 2018-",
        ),
        ({"regulators": ["ICO", "NOPE"]}, "unknown regulator NOPE: known regulators"),
        ({"regulator": "NOPE"}, "unknown regulator NOPE"),
        ({"defendant": "Nobody Inc"}, "no defendant matches 'Nobody Inc'"),
        ({"matter": "nope"}, "unknown matter nope"),
        ({"view": "gross"}, "view='gross'"),
        ({"on": "filed_date"}, "on='filed_date'"),
        ({"at": "yesterday"}, "at='yesterday': expected a date"),
        ({"include_provisional": "False"}, "include_provisional='False': expected true or false"),
        ({"data_path": ""}, "data_path='': expected a file or folder path"),
    ],
)
def test_fails_with_one_clear_message(kwargs, message) -> None:
    with pytest.raises(FinestatsError) as info:
        check_parameters(**kwargs)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_context_calls_the_library(lifecycle_csv: Path) -> None:
    ctx = check_parameters(data_path=str(lifecycle_csv), currency="SEK", regulator="CNIL")
    assert ctx.totals("year")["n_fines"].tolist() == [2, 1]
    assert list(ctx.currency_effect().columns)[:3] == ["year", "n_fines", "total_eur"]
    assert ctx.largest_fines(1)["fine_id"].tolist() == ["cnil-2021-gamma"]
    with pytest.raises(UsageError, match="needs the parameter regulator"):
        check_parameters(data_path=str(lifecycle_csv)).currency_effect()


class FakeShell:
    def __init__(self) -> None:
        self.shown: list = []

    def _showtraceback(self, etype, value, stb) -> None:
        self.shown.append((etype.__name__, str(value), stb))


def test_short_error_is_the_error_output() -> None:
    shell = FakeShell()
    stb = short_error(shell, UsageError, UsageError("unknown regulator XYZ"), None)
    assert stb == ["\x1b[1;31mUsageError: unknown regulator XYZ\x1b[0m"]
    assert shell.shown == [("UsageError", "unknown regulator XYZ", stb)]
    many = "\n".join(f"line {i}" for i in range(30))
    assert len(short_error(FakeShell(), UsageError, UsageError(many), None)) == 22


def test_strip_and_hook(tmp_path: Path) -> None:
    nb = json.loads((NOTEBOOKS / "01-totals-by-regulator-and-year.ipynb").read_text())
    dirty = json.loads(json.dumps(nb))
    dirty["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x"]}]
    dirty["cells"][2]["execution_count"] = 3
    dirty["cells"][2]["metadata"] = {"scrolled": True, "tags": ["t"]}
    assert stripped(json.loads(json.dumps(dirty)))["cells"][2] == {
        **nb["cells"][2],
        "metadata": {"tags": ["t"]},
    }
    model = {"type": "notebook", "content": json.loads(json.dumps(dirty))}
    strip_outputs_hook(model=model, path="x.ipynb", contents_manager=None)
    assert model["content"]["cells"][2]["outputs"] == []
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(dirty))
    assert main(["strip", str(path)]) == 0
    assert json.loads(path.read_text())["cells"][2]["outputs"] == []
    assert main([]) == 2


def test_saved_widget_state_is_stripped() -> None:
    """JupyterLab can save the explorer's widget state in the notebook's metadata: never kept."""
    nb = json.loads((NOTEBOOKS / "00-explore.ipynb").read_text())
    dirty = json.loads(json.dumps(nb))
    state = {"state": {"abc": {"model_name": "DropdownModel"}}, "version_major": 2}
    dirty["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    assert stripped(dirty) == nb
    model = {"type": "notebook", "content": dirty}
    strip_outputs_hook(model=model, path="00-explore.ipynb", contents_manager=None)
    assert "widgets" not in model["content"]["metadata"]


@pytest.mark.parametrize("word", ["bundled", " Bundled ", "BUNDLED"])
def test_a_rates_keyword_in_any_case_is_the_keyword_not_a_path(word: str) -> None:
    """As on the command line (``--rates Bundled``): the word names the bundled ECB history."""
    ctx = check_parameters(rates_path=word, output_dir=None)
    assert ctx.rates.source == finestats.load_rates("bundled").source


def test_show_table_never_breaks_a_date_at_its_hyphens() -> None:
    """A narrow date column wrapped "2021-" over "02-10" on the matter timeline's page."""
    import pandas as pd

    from finestats.notebook import show_table

    t = pd.DataFrame({"what": ["final"], "date": pd.to_datetime(["2021-02-10"]), "amount": [2.5e6]})
    html_text = show_table(t).data
    table_id = html_text.split('<table id="', 1)[1].split('"', 1)[0]
    assert html_text.startswith(f"<style>#{table_id} td:nth-child(2) {{white-space: nowrap}}")
    assert show_table(t).data == html_text  # same table, same bytes
    assert "<style>" not in show_table(t[["what", "amount"]]).data
