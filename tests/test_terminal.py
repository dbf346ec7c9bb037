"""finestats.terminal and the CLI's text: every table, note and message fits the terminal's
width (``COLUMNS``), and a fitted table never cuts a number or a date."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from finestats.formatting import is_money
from finestats.terminal import FIGURES, _cut, plain_table, wrap
from tests.conftest import SHIPPED, rewrite, run_cli

COMMANDS = [
    ("summary",),
    ("summary", "--by", "matter"),
    ("summary", "--by", "defendant"),
    ("summary", "--by", "group", "--currency", "SEK"),
    ("summary", "--real", "2024", "--years", "2019-2025", "--by", "year"),
    ("summary", "--view", "effective", "--as-of", "2024-12-31", "--regulator", "ICO"),
    ("fines",),
    ("fines", "--matter", "clearview-ai", "--currency", "GBP"),
    ("notices",),
    ("coverage",),
    ("coverage", "--rates", "bundled"),
    ("rates", "info"),
    ("rates", "list"),
    ("crosscheck",),
    ("validate",),
    ("validate", "--strict"),
]


def at_width(columns: int, *args: str):
    return run_cli(*args, env={**os.environ, "COLUMNS": str(columns)})


def too_wide(text: str, columns: int) -> list[str]:
    return [line for line in text.splitlines() if len(line) > columns]


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_fits_the_terminal(args: tuple[str, ...], columns: int) -> None:
    proc = at_width(columns, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert too_wide(proc.stdout, columns) == []


def tokens(text: str) -> set[str]:
    return set(text.split())


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("summary", "--by", "defendant"), "defendant"),
        (("fines", "--regulator", "ICO"), "fine_id"),
        (("notices",), "notice_id"),
        (("coverage",), "regulator"),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_a_fitted_table_cuts_no_number_and_no_date(args, key, columns) -> None:
    """Every figure and date of the CSV output appears whole in the fitted table: money as
    ``1,234,567`` (no decimals), counts as they are, dates as YYYY-MM-DD; only text that is
    not all figures ends in an ellipsis."""
    table = at_width(columns, *args).stdout
    rows = list(csv.DictReader(io.StringIO(run_cli(*args, "--format", "csv").stdout)))
    assert rows and key in rows[0]
    shown = tokens(table)
    checked = 0
    for row in rows:
        for col, value in row.items():
            if re.fullmatch(r"\d{4}-\d\d-\d\d|\d+|[\d,]+", value):  # a date, a count
                assert value in shown, (col, value)
            elif is_money(col) and value:
                assert f"{float(value):,.0f}" in shown, (col, value)
            else:
                continue
            checked += 1
    assert checked >= 3 * len(rows)
    cut = [t for t in table.split() if t.endswith("…") and FIGURES.fullmatch(t[:-1])]
    assert cut == []


def test_key_columns_leave_room_for_the_other_columns() -> None:
    """Six text columns, then two counts, at 40 columns: the leading keys that fit are repeated
    in each block; no line is wider than 40 and the counts are whole."""
    table = pd.DataFrame(
        {
            "regulator": ["AEPD", "CNPD-PT"],
            "country": ["ES", "PT"],
            "period": ["2018-05-25..2025-12-31"] * 2,
            "threshold_eur": ["1,000,000", "1,000,000"],
            "laws": ["GDPR;LOPDGDD", "GDPR"],
            "last_checked": ["2026-12-07", "2026-12-07"],
            "records": [32, 5],
            "in_scope": [1234567, 5],
        }
    )
    text = plain_table(table, 40, note=False)
    assert too_wide(text, 40) == []
    blocks = text.split("\n\n")
    assert len(blocks) > 1 and all(b.startswith("regulator") for b in blocks)
    assert {"32", "1234567", "1,000,000"} <= tokens(text)


def test_dates_are_never_cut() -> None:
    table = pd.DataFrame(
        {
            "fine_id": ["a-very-long-fine-identifier", "b"],
            "defendant": ["A defendant with a long name", "B"],
            "decision_date": pd.to_datetime(["2023-05-12", "2021-07-15"]),
            "fx_date": pd.to_datetime(["2023-05-12", "2021-07-15"]),
        }
    )
    text = plain_table(table, 44, note=False)
    assert too_wide(text, 44) == []
    assert {"2023-05-12", "2021-07-15"} <= tokens(text)
    assert text.count("2023-05-12") == 2


def test_wrap_keeps_names_whole_and_indents() -> None:
    """A fine_id is never split at its hyphens (textwrap would cut ico-2026-south- here)."""
    text = "outside the EUR price index: fine_id cnil-2026-france-travail, ico-2026-south-"
    text += "staffordshire"
    assert wrap(text, 45, indent=4).split("\n") == [
        "outside the EUR price index: fine_id",
        "    cnil-2026-france-travail,",
        "    ico-2026-south-staffordshire",
    ]


def in_a_terminal(columns: int, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    """``python -m finestats ARGS`` with stdout and stderr on a pseudo-terminal ``columns``
    wide: what a person sees."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "finestats", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, "COLUMNS": str(columns)},
        cwd=cwd,
    )
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    return proc.wait(timeout=120), out.decode().replace("\r\n", "\n")


def test_errors_and_warnings_fit_a_terminal_and_stay_one_line_when_piped(tmp_path) -> None:
    """Two problems in a copy of the shipped file: on a 60-column terminal each problem starts
    a line with FILE:LINE and wraps, indented; piped (a log, grep, an editor), each is one line
    however long."""
    short = Path(tempfile.mkdtemp(prefix="fs"))  # a path short enough to start a line
    try:
        changes = {(3, "currency"): "EURO", (5, "decision_date"): "2021-02-30"}
        bad = rewrite(SHIPPED, changes, short / "f.csv")
        code, text = in_a_terminal(60, "validate", str(bad))
    finally:
        shutil.rmtree(short)
    problem = "column 'currency' value 'EURO': expected an ISO 4217 code such as SEK"
    assert code == 2 and too_wide(text, 60) == []
    lines = text.splitlines()
    assert lines[0] == "finestats: error: 2 problems in f.csv:"
    heads = [i for i, line in enumerate(lines) if line.startswith(f"{bad}:")]
    assert heads[0] == 1 and len(heads) == 2  # every other line is an indented continuation
    assert all(line.startswith("    ") for i, line in enumerate(lines[1:], 1) if i not in heads)
    assert " ".join(line.strip() for line in lines[1 : heads[1]]) == f"{bad}:3: {problem}"
    long = rewrite(SHIPPED, changes, tmp_path / "f.csv")
    piped = run_cli("validate", str(long)).stderr.splitlines()
    assert piped[1] == f"{long}:3: {problem}" and len(piped) == 3
    code, text = in_a_terminal(60, "validate", "--strict")
    assert code == 0 and "warning:" in text and too_wide(text, 60) == []
    code, text = in_a_terminal(80, "summary", "--real", "2024")  # names nine 2026 fines
    assert code == 2 and "price index" in text and too_wide(text, 80) == []


def test_blocks_keep_the_key_and_the_text_whole_where_they_fit() -> None:
    """At 80 columns the fines of the ICO in 2020 are shown in blocks keyed by the whole fine_id
    (ico-2020-british-airways, not ico-202…), and the defendants are whole in their block."""
    out = at_width(80, "fines", "--regulator", "ICO", "--years", "2020").stdout
    blocks = out.split("\n\n")
    assert all(b.splitlines()[1].startswith("ico-2020-british-airways ") for b in blocks[:-1])
    assert "British Airways plc" in out and "Cathay Pacific Airways Limited" in out
    assert "…" not in out.split("\n\nEUR at ECB")[0]


def test_text_is_never_cut_inside_a_number() -> None:
    assert _cut("UK GDPR;DPA 2018", 15) == "UK GDPR;DPA …"
    assert _cut("Marriott International Inc", 10) == "Marriott …"
    assert _cut("GDPR;LOPDGDD;LSSI", 15) == "GDPR;LOPDGDD;L…"
