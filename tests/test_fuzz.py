"""Inputs that broke a loader when fuzzed (issue #24, item 5), kept as plain regression tests
named for what they guard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from finestats.errors import FinestatsError, Problem
from finestats.records import load_fines

from .conftest import records_csv

# -- found by fuzzing: each input that broke, kept as it was found ---------------------------


def _fails(load: Callable[[], object]) -> FinestatsError:
    with pytest.raises(FinestatsError) as err:
        load()
    return err.value


def test_a_control_character_in_a_value_stays_on_one_line(tmp_path: Path) -> None:
    """A vertical tab (or U+2028, NUL...) was printed raw: the one-line message became two."""
    path = records_csv(tmp_path, {"fine_id": "\x0b"})
    err = _fails(lambda: load_fines(path))
    expected = "expected a lowercase slug such as imy-2021-polis"
    assert str(err) == f"{path}:2: column 'fine_id' value '\\x0b': {expected}"
    for odd in ("\u2028", "\x1c", "\x85", "\x00", "\u202e", "a\r\nb"):
        assert len(str(Problem("f.csv", 2, odd, odd, "x")).splitlines()) == 1


def test_a_control_character_in_a_header_name_stays_on_one_line(tmp_path: Path) -> None:
    """The column name of an unknown header cell was printed raw."""
    path = records_csv(tmp_path, {})
    path.write_bytes(b"\xc2\x80\x0b" + path.read_bytes())
    err = _fails(lambda: load_fines(path))
    assert len(str(err).splitlines()) == 3  # "2 problems in fines.csv:" and one line each
    assert "column '\\x80\\x0bfine_id'" in str(err)
