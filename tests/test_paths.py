"""finestats.paths: where data, notebooks and user state are found, resolved once."""

from __future__ import annotations

import os
from pathlib import Path

from finestats import paths

from .conftest import NOTEBOOKS, RAW, REPO


def test_defaults_in_the_repository() -> None:
    assert paths.default_fines_path() == RAW / "fines.csv"
    assert paths.notebooks_dir() == NOTEBOOKS
    assert paths.project_root() == REPO
    assert paths.companion(RAW / "fines.csv", "events.csv") == RAW / "events.csv"


def test_env_var_is_made_absolute_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINESTATS_DATA", "sub/fines.csv")
    assert paths.default_fines_path() == tmp_path / "sub" / "fines.csv"
    monkeypatch.chdir("/")
    assert paths.fines_path("x.csv") == Path("/x.csv")


def test_a_project_elsewhere_wins_over_the_source_tree(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "fines.csv").write_text("x")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    assert paths.raw_data_dir() == tmp_path / "data" / "raw"
    assert (
        paths.reference(None, "price_indices.csv")
        == tmp_path / "data" / "raw" / "price_indices.csv"
    )
    monkeypatch.chdir("/")
    assert paths.raw_data_dir() == RAW  # no project here: the source tree's


def test_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FINESTATS_HOME", str(tmp_path))
    assert paths.rates_store_dir() == tmp_path / "rates"
    assert paths.forex_cache_path() == tmp_path / "forex_cache.json"
    monkeypatch.delenv("FINESTATS_HOME")
    assert paths.finestats_home().name == "finestats"
    assert os.path.isabs(paths.finestats_home())
