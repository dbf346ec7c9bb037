"""finestats against the reference oracle (tests/reference.py).

Hypothesis draws settings (currency, view, as_of, years, filters, on/at/real, the rate file)
and frame shapes (the loaded frame, a Python-filtered, sorted, sampled, reversed or
concatenated frame, a copy without attrs, a frame with a damaged amount, a finestats.load()
Collection), then compares ``finestats.totals``, ``pivot``, ``convert``, CSV exports read back
with ``csv``, ``finestats summary --format csv`` and a report's CSVs with the oracle: money to
1e-9 relative (to the cent once written to CSV), counts, labels and order exactly. When
finestats refuses (a FinestatsError), the oracle must refuse too, for the same kind of reason
(a usage error or a rates error), and the other way round.

The last section puts back, one at a time, bugs finestats once had, and checks that the
comparison fails with each: the oracle is not vacuous.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import decimal
import importlib
import io
import math
import os
import random
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finestats
from finestats.query import meta_of
from finestats.snapshots import bundled_snapshot

from . import reference as ref
from .conftest import RAW, REPO, examples, run_cli, sweep

CURRENCIES = ("EUR", "SEK", "GBP", "USD", "NOK", "JPY", "HUF", "PLN")
PRICED = ("EUR", "SEK", "GBP", "USD")  # currencies with a consumer price index
IRREVOCABLE_SOURCE = "EU Council irrevocable euro conversion rate"
NAME_FLAGS = {
    "regulators": "--regulator",
    "exclude_regulators": "--exclude-regulator",
    "countries": "--country",
    "defendants": "--defendant",
    "groups": "--group",
    "matters": "--matter",
    "sectors": "--sector",
    "articles": "--article",
    "laws": "--law",
}
DATA = ref.Data.read(RAW)
RECORDS = DATA.records
REL = 1e-9


# -- rate files --------------------------------------------------------------------------------


def _ecb_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        (member,) = zf.namelist()
        return zf.read(member).decode("utf-8")


def _scaled(text: str) -> str:
    """Every rate of the ECB file times 1.25 or 0.8 (alternating columns), exactly, in decimal."""
    lines = text.splitlines()
    out = [lines[0]]
    factors = (decimal.Decimal("1.25"), decimal.Decimal("0.8"))
    for line in lines[1:]:
        cells = line.split(",")
        for i in range(1, len(cells)):
            if cells[i] not in ("", "N/A"):
                cells[i] = str(decimal.Decimal(cells[i]) * factors[i % 2])
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def _cut(text: str, last: str) -> str:
    """The ECB file without the fixings after ``last`` (a snapshot of that day)."""
    lines = text.splitlines()
    return "\n".join([lines[0], *[x for x in lines[1:] if x[:10] <= last]]) + "\n"


@dataclass(frozen=True, repr=False)
class Env:
    rate_paths: dict[str, Path | None]  # None: finestats' default (the bundled snapshot)
    rates: dict[str, ref.Rates]
    fines: pd.DataFrame
    collection: finestats.Collection

    def __repr__(self) -> str:
        return "Env(...)"

    def rates_arg(self, name: str) -> Any:
        path = self.rate_paths[name]
        return None if path is None else str(path)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return make_env(tmp_path_factory.mktemp("oracle-rates"))


def make_env(folder: Path) -> Env:
    """The rate files (the bundled snapshot; every rate scaled; a snapshot cut at 2025-03-31)
    in ``folder``, read by the oracle, and the records as finestats loads them."""
    bundled = Path(bundled_snapshot().path)
    text = _ecb_text(bundled)
    (folder / "scaled.csv").write_text(_scaled(text), encoding="utf-8")
    (folder / "cut-2025-03-31.csv").write_text(_cut(text, "2025-03-31"), encoding="utf-8")
    paths = {
        "default": None,
        "scaled": folder / "scaled.csv",
        "cut": folder / "cut-2025-03-31.csv",
    }
    rates = {name: ref.Rates(p if p is not None else bundled) for name, p in paths.items()}
    return Env(paths, rates, finestats.load_fines(), finestats.load())


# -- frame shapes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How the records reach finestats. ``kind``: ``collection`` (finestats.load()), ``frame``
    (load_fines()), ``subset`` (random rows, by a boolean mask), ``regulators`` (a mask on the
    regulator column), ``masked`` (one of :data:`MASKS`), ``sorted``, ``sampled``,
    ``reversed``, ``halves`` (the two halves concatenated the other way round), ``damaged`` (one
    amount NaN, inf, negative or 0); ``no_attrs`` strips the frame's attrs."""

    kind: str = "frame"
    seed: int = 0
    no_attrs: bool = False
    regulators: tuple[str, ...] = ()
    column: str = "amount"
    ascending: bool = True
    frac: float = 1.0
    bad_amount: float = float("nan")
    mask: str = ""

    @property
    def keeps_scope(self) -> bool:
        """Whether finestats can tell the coverage.csv of these records (a frame that has lost
        its attrs may not: it then says nothing of the scope)."""
        return self.kind == "collection" or not self.no_attrs

    def build(self, env: Env) -> tuple[Any, list[ref.Record]]:
        """The data for finestats and the oracle's records (its own, for the same fine_ids)."""
        if self.kind == "collection":
            return env.collection, list(RECORDS)
        df = env.fines
        rng = random.Random(self.seed)
        if self.kind == "subset":
            ids = set(rng.sample([r.fine_id for r in RECORDS], rng.randint(1, len(RECORDS))))
            df = df[df["fine_id"].isin(ids)]
        elif self.kind == "regulators":
            df = df[df["regulator"].isin(self.regulators)]
        elif self.kind == "masked":
            df = df[MASKS[self.mask](df)]
        elif self.kind == "sorted":
            df = df.sort_values(self.column, ascending=self.ascending, kind="stable")
        elif self.kind == "sampled":
            df = df.sample(frac=self.frac, random_state=self.seed)
        elif self.kind == "reversed":
            df = df.iloc[::-1]
        elif self.kind == "halves":
            k = self.seed % len(df)
            df = pd.concat([df.iloc[k:], df.iloc[:k]])
        records = [DATA.by_id[i] for i in df["fine_id"]]
        if self.kind == "damaged":
            df = df.copy()
            finals = [i for i, r in enumerate(records) if r.status == "final"]
            i = finals[self.seed % len(finals)]
            df.iloc[i, df.columns.get_loc("amount")] = self.bad_amount
            records[i] = records[i].with_amount(self.bad_amount)
        if self.no_attrs:
            df = df.copy()
            df.attrs = {}
        return df, records


REGULATOR_CODES = sorted({r.regulator for r in RECORDS})
#: Filters a user writes in pandas before counting.
MASKS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "country == GB": lambda df: df["country"] == "GB",
    "year >= 2021": lambda df: df["year"] >= 2021,
    "currency != EUR": lambda df: df["currency"] != "EUR",
    "amount >= 100000": lambda df: df["amount"] >= 100_000,
    "status != provisional": lambda df: df["status"] != "provisional",
    "matter notna": lambda df: df["matter"].notna(),
}


@st.composite
def shapes(draw: st.DrawFn, damaged: bool = True) -> Shape:
    kinds = ["frame", "collection", "subset", "regulators", "masked", "masked", "sorted"]
    kinds += ["sampled", "reversed", "halves"] + (["damaged"] if damaged else [])
    kind = draw(st.sampled_from(kinds))
    seed = draw(st.integers(0, 10_000))
    no_attrs = kind != "collection" and draw(st.booleans())
    shape = Shape(kind, seed, no_attrs)
    if kind == "regulators":
        regs = draw(st.lists(st.sampled_from(REGULATOR_CODES), min_size=1, max_size=4, unique=True))
        shape = dataclasses.replace(shape, regulators=tuple(regs))
    elif kind == "masked":
        shape = dataclasses.replace(shape, mask=draw(st.sampled_from(sorted(MASKS))))
    elif kind == "sorted":
        column = draw(st.sampled_from(["amount", "decision_date", "regulator", "defendant"]))
        shape = dataclasses.replace(shape, column=column, ascending=draw(st.booleans()))
    elif kind == "sampled":
        shape = dataclasses.replace(shape, frac=draw(st.sampled_from([0.2, 0.6, 1.0])))
    elif kind == "damaged":
        bad = draw(st.sampled_from([float("nan"), float("inf"), -float("inf"), -1000.0, 0.0]))
        shape = dataclasses.replace(shape, bad_amount=bad)
    return shape


# -- settings ----------------------------------------------------------------------------------


def _words(names: set[str]) -> list[str]:
    """Pieces of names to search for: words of 4+ letters, in various cases."""
    out = set()
    for name in names:
        for w in name.replace(",", " ").replace(".", " ").split():
            if len(w) >= 4:
                out.add(w)
    return sorted(out)


DEFENDANT_WORDS = _words({r.defendant for r in RECORDS})
GROUP_WORDS = _words({r.group for r in RECORDS if r.group})
MATTERS = sorted({r.matter for r in RECORDS if r.matter})
COUNTRIES = sorted({r.country for r in RECORDS})
ARTICLES = ["5", "6", "6(1)", "5(1)(f)", "5(1)(a)", "13", "32", "21", "LIL:82", "PECR:22"]
LAWS = ["GDPR", "gdpr", "UK GDPR", "PECR", "DPA 2018", "italian", "Swedish", "french"]


def _cased(name: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(name, st.sampled_from(["as is", "lower", "upper"])).map(
        lambda t: t[0] if t[1] == "as is" else getattr(t[0], t[1])()
    )


def _names(values: st.SearchStrategy[str], bad: str) -> st.SearchStrategy[list[str]]:
    """One to three distinct names; now and then one that matches nothing."""
    name = st.tuples(values, st.integers(0, 11)).map(lambda t: bad if t[1] == 11 else t[0])
    return st.lists(name, min_size=1, max_size=3, unique=True)


FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "regulators": _names(_cased(st.sampled_from(REGULATOR_CODES)), "NOSUCH"),
    "exclude_regulators": _names(st.sampled_from(REGULATOR_CODES), "NOSUCH"),
    "region": st.sampled_from(["eu-eea", "uk"]),
    "countries": _names(_cased(st.sampled_from(COUNTRIES)), "ZZ"),
    "defendants": _names(_cased(st.sampled_from(DEFENDANT_WORDS)), "zzzzq"),
    "groups": _names(_cased(st.sampled_from(GROUP_WORDS)), "zzzzq"),
    "matters": _names(st.sampled_from(MATTERS), "no-such-matter"),
    "sectors": _names(st.sampled_from(ref.SECTORS), "bogus"),
    "articles": _names(st.sampled_from(ARTICLES), "5(1)("),
    "laws": _names(st.sampled_from(LAWS), "Nonexistent Act"),
}


def _years(hi: int = 2026) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(2018, hi), st.integers(2018, hi)).map(lambda t: (min(t), max(t)))


@st.composite
def query_settings(draw: st.DrawFn, repeated: bool = False) -> dict[str, Any]:
    """Keyword settings for finestats.totals (and the oracle), valid or not; ``repeated``: with
    a name filter of two or three names (a repeated option on the command line)."""
    s: dict[str, Any] = {}
    if draw(st.sampled_from([False, False, True])):
        # mostly in a currency with a price index (the others are refused)
        s["real"] = draw(st.sampled_from([2018, 2020, 2021, 2023, 2024, 2025, 2017, 2026]))
        s["currency"] = draw(st.sampled_from([*PRICED, *PRICED, *PRICED, *CURRENCIES]))
    else:
        s["currency"] = draw(st.sampled_from(CURRENCIES))
    if draw(st.booleans()):
        s["view"] = "effective"
    # as_of in the imposed view is refused: both must say so
    if draw(st.sampled_from([False, True] if "view" in s else [False] * 9 + [True])):
        s["as_of"] = draw(st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31))).isoformat()
    for flag in ("include_provisional", "complete_only"):
        if draw(st.sampled_from([False, False, True])):
            s[flag] = True
    if draw(st.sampled_from([False, False, False, True])):
        s["include_penalties"] = False
    if draw(st.sampled_from([False, False, False, True])):
        s["year_of"] = "announced_date"
    if draw(st.sampled_from([False, False, False, False, True])):
        s["on"] = "announced_date"  # refused wherever a counted fine has no announced date
    at = draw(st.sampled_from(["none"] * 4 + ["date", "year-average"]))
    if at == "date":
        s["at"] = draw(st.dates(dt.date(2018, 1, 1), dt.date(2026, 11, 20))).isoformat()
    elif at == "year-average":
        s["at"] = "year-average"
    # constant prices and year averages need years that are over: usually keep to 2018-2025
    whole_years = "real" in s or s.get("at") == "year-average"
    if draw(st.sampled_from([True, True, False] if whole_years else [False, False, True])):
        s["years"] = draw(_years(2025 if whole_years else 2026))
    for name in draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=2, unique=True)):
        s[name] = draw(FILTERS[name])
    if repeated:
        name = draw(st.sampled_from(sorted(NAME_FLAGS)))
        s[name] = draw(FILTERS[name].filter(lambda names: len(names) > 1))
    return s


BY = st.one_of(
    st.sampled_from([("regulator", "year"), ("year",), ("regulator",), ("sector",)]),
    st.lists(st.sampled_from(ref.GROUP_KEYS), min_size=1, max_size=2, unique=True).map(tuple),
)
RATES = st.sampled_from(["default", "default", "default", "scaled", "scaled", "cut"])


def oracle_settings(kw: dict[str, Any]) -> ref.Settings:
    return ref.Settings.of(kw)


# -- running both ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    refused: str = ""  # "usage" or "rates" when refused
    why: str = ""


def library(call: Callable[[], Any]) -> Outcome:
    """finestats' answer, or the kind of its refusal; any other exception propagates."""
    try:
        return Outcome(call())
    except finestats.UsageError as exc:
        return Outcome(refused="usage", why=str(exc))
    except finestats.RatesError as exc:
        return Outcome(refused="rates", why=str(exc))


def oracle(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(call())
    except ref.Refused as exc:
        return Outcome(refused=exc.kind, why=exc.reason)


def same_refusal(got: Outcome, want: Outcome, case: str) -> bool:
    """True when both refused (for the same kind of reason); False when both answered."""
    if got.refused or want.refused:
        assert got.refused == want.refused, (
            f"{case}\nfinestats: {got.refused or 'answered'} {got.why}\n"
            f"oracle: {want.refused or 'answered'} {want.why}"
        )
        return True
    return False


def close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL, abs_tol=0.0)


def cents(got: float, want: float) -> bool:
    """A money figure written to the cent."""
    return abs(got - want) <= 0.005 + REL * abs(want)


def money_mismatch(what: str, got: float, want: float, case: str) -> str:
    return f"{case}\n{what}: finestats {got!r}, oracle {want!r}"


# -- totals ------------------------------------------------------------------------------------


def check_totals(env: Env, kw: dict[str, Any], by: tuple[str, ...], shape: Shape, rates: str):
    case = f"totals(by={by}, {kw}, shape={shape}, rates={rates})"
    data, records = shape.build(env)
    got = library(lambda: finestats.totals(data, by, rates=env.rates_arg(rates), **kw))
    want = oracle(lambda: ref.totals(DATA, records, by, oracle_settings(kw), env.rates[rates]))
    if same_refusal(got, want, case):
        return
    compare_totals(got.value, want.value, by, kw, case)
    outside = meta_of(got.value).n_outside_scope
    if outside is not None or shape.keeps_scope:  # a frame that cannot tell its scope says None
        try:
            want_out = ref.outside_scope(DATA, records, oracle_settings(kw), env.rates[rates])
        except ref.Refused:  # a decision the rates cannot convert at its own date: not judged
            want_out = None
        assert outside == want_out, f"{case}\noutside the scope: {outside} vs oracle {want_out}"


def compare_totals(table: pd.DataFrame, want: list[ref.Total], by, kw, case: str) -> None:
    cur = kw.get("currency", "EUR").lower()
    real = kw.get("real")
    columns = [*by, "n_fines", f"total_{cur}"]
    columns += [f"total_{cur}_real_{real}"] if real is not None else []
    columns += [f"median_{cur}", f"max_{cur}"]
    assert list(table.columns) == columns, f"{case}\ncolumns {list(table.columns)}"
    got_keys = [tuple(row) for row in table[list(by)].itertuples(index=False)]
    assert got_keys == [t.keys for t in want], (
        f"{case}\ngroups: finestats {got_keys}\noracle {[t.keys for t in want]}"
    )
    assert table["n_fines"].tolist() == [t.n_fines for t in want], f"{case}\nn_fines"
    for col, attr in (
        (f"total_{cur}", "total"),
        (f"median_{cur}", "median"),
        (f"max_{cur}", "max"),
        (f"total_{cur}_real_{real}", "total_real"),
    ):
        if col not in table.columns:
            continue
        for keys, g, t in zip(got_keys, table[col].tolist(), want, strict=True):
            assert close(g, getattr(t, attr)), money_mismatch(
                f"{col} of {keys}", g, getattr(t, attr), case
            )


# -- pivot -------------------------------------------------------------------------------------


PIVOTS = st.sampled_from(
    [
        ("regulator", "year"),
        ("regulator", "year"),
        ("sector", "year"),
        ("country", "status"),
        ("year", "currency"),
        ("matter", "regulator"),
    ]
)


def check_pivot(env: Env, kw: dict[str, Any], axes: tuple[str, str], shape: Shape, rates: str):
    case = f"pivot(rows, columns={axes}, {kw}, shape={shape}, rates={rates})"
    data, records = shape.build(env)
    rows, columns = axes
    got = library(
        lambda: finestats.pivot(data, rows=rows, columns=columns, rates=env.rates_arg(rates), **kw)
    )
    want = oracle(
        lambda: ref.pivot(DATA, records, rows, columns, oracle_settings(kw), env.rates[rates])
    )
    if same_refusal(got, want, case):
        return
    compare_pivot(got.value, want.value, case)


def compare_pivot(wide: pd.DataFrame, want: ref.Pivot, case: str) -> None:
    got_rows = [str(r) for r in wide.index]
    got_cols = [str(c) for c in wide.columns]
    assert (got_rows, got_cols) == (want.rows, want.columns), (
        f"{case}\nlabels: finestats {got_rows} x {got_cols}\noracle {want.rows} x {want.columns}"
    )
    values = wide.to_numpy(dtype=float)
    for i, r in enumerate(want.rows):
        for j, c in enumerate(want.columns):
            assert close(values[i, j], want.cells[r, c]), money_mismatch(
                f"cell {r} x {c}", values[i, j], want.cells[r, c], case
            )


# -- convert -----------------------------------------------------------------------------------


CONVERT_KEYS = ("on", "at", "real")


def both_converted(env: Env, kw: dict[str, Any], shape: Shape, rates: str) -> tuple:
    """The frame of ``shape`` and its records, the target currency, finestats' convert of it and
    the oracle's (each a result or the refusal caught)."""
    df, records = shape.build(env)
    if isinstance(df, finestats.Collection):
        df = df.fines
    to = kw.get("currency", "EUR")
    options = {k: kw[k] for k in CONVERT_KEYS if k in kw}
    got = library(lambda: finestats.convert(df, to, rates=env.rates_arg(rates), **options))
    want = oracle(
        lambda: ref.convert_rows(
            DATA, env.rates[rates], records, oracle_settings({"currency": to, **options})
        )
    )
    return df, records, to, got, want


def check_convert(env: Env, kw: dict[str, Any], shape: Shape, rates: str) -> None:
    case = f"convert({kw}, shape={shape}, rates={rates})"
    df, records, to, got, want = both_converted(env, kw, shape, rates)
    if same_refusal(got, want, case):
        return
    out = got.value
    assert out.index.equals(df.index), f"{case}\nthe index changed"
    assert out["fine_id"].tolist() == [r.fine_id for r in records], f"{case}\nrow order"
    compare_converted(out, want.value, to, kw.get("real"), case)


def compare_converted(out: pd.DataFrame, want: list[ref.Converted], to, real, case: str) -> None:
    cur = to.lower()
    ids = out["fine_id"].tolist()
    for name, got_values, attr in (
        (f"amount_{cur}", out[f"amount_{cur}"].tolist(), "amount"),
        ("fx_rate", out["fx_rate"].tolist(), "rate"),
    ):
        for fid, g, w in zip(ids, got_values, want, strict=True):
            assert close(g, getattr(w, attr)), money_mismatch(
                f"{name} of {fid}", g, getattr(w, attr), case
            )
    got_dates = [d.date() for d in out["fx_date"]]
    assert got_dates == [w.fx_date for w in want], f"{case}\nfx_date"
    irrevocable = [str(v).endswith(IRREVOCABLE_SOURCE) for v in out["fx_source"]]
    assert irrevocable == [w.irrevocable for w in want], f"{case}\nfx_source"
    if real is None:
        assert "real_factor" not in out.columns, f"{case}\nreal_factor without real"
        return
    for fid, g, gr, w in zip(
        ids, out["real_factor"], out[f"amount_{cur}_real_{real}"], want, strict=True
    ):
        assert close(g, w.real_factor), money_mismatch(
            f"real_factor of {fid}", g, w.real_factor, case
        )
        assert close(gr, w.real), money_mismatch(f"real amount of {fid}", gr, w.real, case)


# -- exports read back -------------------------------------------------------------------------


def read_back(table: pd.DataFrame, **kw: Any) -> list[list[str]]:
    """``table`` written by finestats.export_csv, read with the csv module."""
    with tempfile.TemporaryDirectory() as folder:
        path = finestats.export_csv(table, Path(folder) / "out.csv", **kw)
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))


def check_convert_export(env: Env, kw: dict[str, Any], shape: Shape, rates: str) -> None:
    """A converted frame (of any shape) exported: the frame's own columns, no index, money to
    the cent, rates and factors in full."""
    case = f"export_csv(convert({kw}), shape={shape}, rates={rates})"
    df, records, to, got, want = both_converted(env, kw, shape, rates)
    real = kw.get("real")
    if same_refusal(got, want, case):
        return
    rows = read_back(got.value)
    cur = to.lower()
    added = [f"amount_{cur}", "fx_rate", "fx_date", "fx_source"]
    added += ["real_factor", f"amount_{cur}_real_{real}"] if real is not None else []
    header = rows[0]
    assert header == [*df.columns, *added], f"{case}\nheader {header}"
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) - 1 == len(records), f"{case}\n{len(rows) - 1} rows"
    for row, r, w in zip(rows[1:], records, want.value, strict=True):
        assert row[col["fine_id"]] == r.fine_id, f"{case}\nrow order"
        checks = [
            ("amount", cents, r.amount),
            (f"amount_{cur}", cents, w.amount),
            ("fx_rate", close, w.rate),
        ]
        if real is not None:
            checks += [("real_factor", close, w.real_factor), (added[-1], cents, w.real)]
        for name, ok, value in checks:
            text = row[col[name]]
            assert ok(float(text), value), f"{case}\n{name} of {r.fine_id}: {text} vs {value!r}"
        assert row[col["fx_date"]] == w.fx_date.isoformat(), f"{case}\nfx_date of {r.fine_id}"


TABLE_EDITS = st.sampled_from(["as is", "sorted", "filtered", "sampled", "head"])


def edited(table: pd.DataFrame, edit: str, seed: int) -> pd.DataFrame:
    """A totals table as a user reshapes it before exporting."""
    total = next(c for c in table.columns if str(c).startswith("total_"))
    if edit == "sorted":
        return table.sort_values(total, ascending=False)
    if edit == "filtered":
        return table[table["n_fines"] > 1]
    if edit == "sampled":
        return table.sample(frac=0.5, random_state=seed)
    if edit == "head":
        return table.sort_values(total).head(5)
    return table


def check_totals_export(
    env: Env, kw: dict[str, Any], by: tuple[str, ...], edit: str, seed: int, rates: str
) -> None:
    case = f"export_csv(totals(by={by}, {kw}) {edit}, rates={rates})"
    got = library(lambda: finestats.totals(env.collection, by, rates=env.rates_arg(rates), **kw))
    want = oracle(lambda: ref.totals(DATA, RECORDS, by, oracle_settings(kw), env.rates[rates]))
    if same_refusal(got, want, case):
        return
    table = edited(got.value, edit, seed)
    rows = read_back(table)
    assert rows[0] == [str(c) for c in got.value.columns], f"{case}\nheader {rows[0]}"
    compare_csv_totals(rows, want.value, by, kw, case)


def compare_csv_totals(rows: list[list[str]], want: list[ref.Total], by, kw, case: str) -> None:
    """CSV rows of a totals table (any subset, any order) against the oracle's totals."""
    cur = kw.get("currency", "EUR").lower()
    real = kw.get("real")
    expected = {tuple(str(k) for k in t.keys): t for t in want}
    col = {name: i for i, name in enumerate(rows[0])}
    seen = set()
    for row in rows[1:]:
        keys = tuple(row[col[k]] for k in by)
        assert keys in expected and keys not in seen, f"{case}\nunexpected group {keys}"
        seen.add(keys)
        t = expected[keys]
        assert int(row[col["n_fines"]]) == t.n_fines, f"{case}\nn_fines of {keys}"
        checks = [(f"total_{cur}", t.total), (f"median_{cur}", t.median), (f"max_{cur}", t.max)]
        if real is not None:
            checks.append((f"total_{cur}_real_{real}", t.total_real))
        for name, value in checks:
            text = row[col[name]]
            assert cents(float(text), value), f"{case}\n{name} of {keys}: {text} vs {value!r}"
    return seen


def check_pivot_export(env: Env, kw: dict[str, Any], axes: tuple[str, str], rates: str) -> None:
    case = f"export_csv(pivot({axes}, {kw}), rates={rates})"
    rows_key, columns_key = axes
    got = library(
        lambda: finestats.pivot(
            env.collection, rows=rows_key, columns=columns_key, rates=env.rates_arg(rates), **kw
        )
    )
    want = oracle(
        lambda: ref.pivot(
            DATA, RECORDS, rows_key, columns_key, oracle_settings(kw), env.rates[rates]
        )
    )
    if same_refusal(got, want, case):
        return
    compare_csv_pivot(read_back(got.value), want.value, rows_key, case)


def compare_csv_pivot(rows: list[list[str]], want: ref.Pivot, rows_key: str, case: str) -> None:
    assert rows[0] == [rows_key, *want.columns], f"{case}\nheader {rows[0]}"
    assert [r[0] for r in rows[1:]] == want.rows, f"{case}\nrow labels"
    for row in rows[1:]:
        for c, text in zip(want.columns, row[1:], strict=True):
            value = want.cells[row[0], c]
            assert cents(float(text), value), f"{case}\ncell {row[0]} x {c}: {text} vs {value}"


# -- the command line --------------------------------------------------------------------------


def cli_args(kw: dict[str, Any], by: tuple[str, ...], rates_path: Path | None) -> list[str]:
    args = ["summary", "--by", ",".join(by), "--format", "csv"]
    args += ["--currency", kw.get("currency", "EUR")]
    for key, flag in (
        ("view", "--view"),
        ("as_of", "--as-of"),
        ("year_of", "--year-of"),
        ("region", "--region"),
        ("on", "--on"),
        ("at", "--at"),
        ("real", "--real"),
    ):
        if key in kw:
            args += [flag, str(kw[key])]
    if kw.get("include_provisional"):
        args.append("--include-provisional")
    if kw.get("include_penalties") is False:
        args.append("--no-penalties")
    if kw.get("complete_only"):
        args.append("--complete-only")
    if "years" in kw:
        args += ["--years", "{}-{}".format(*kw["years"])]
    for key, flag in NAME_FLAGS.items():
        for name in kw.get(key, ()):
            args += [flag, name]
    if rates_path is not None:
        args += ["--rates", str(rates_path)]
    return args


def check_cli(env: Env, kw: dict[str, Any], by: tuple[str, ...], rates: str) -> None:
    args = cli_args(kw, by, env.rate_paths[rates])
    case = "finestats " + " ".join(args)
    run = run_cli(*args)
    want = oracle(lambda: ref.totals(DATA, RECORDS, by, oracle_settings(kw), env.rates[rates]))
    if want.refused:
        assert run.returncode == 2, f"{case}\nexit {run.returncode}; oracle: {want.why}"
        assert run.stderr.strip() and "Traceback" not in run.stderr, f"{case}\n{run.stderr}"
        return
    assert run.returncode == 0, f"{case}\nexit {run.returncode}: {run.stderr}"
    rows = list(csv.reader(io.StringIO(run.stdout)))
    if not want.value:
        assert len(rows) <= 1, f"{case}\n{rows}"
        return
    cur = kw.get("currency", "EUR").lower()
    real = kw.get("real")
    header = [*by, "n_fines", f"total_{cur}"]
    header += [f"total_{cur}_real_{real}"] if real is not None else []
    header += [f"median_{cur}", f"max_{cur}"]
    assert rows[0] == header, f"{case}\nheader {rows[0]}"
    assert [tuple(r[: len(by)]) for r in rows[1:]] == [
        tuple(str(k) for k in t.keys) for t in want.value
    ], f"{case}\ngroups or their order"
    compare_csv_totals(rows, want.value, by, kw, case)


# -- the oracle on its own: the figures the READMEs work out -----------------------------------


def test_the_oracle_reproduces_the_documented_figures(env: Env) -> None:
    rates = env.rates["default"]
    ba = DATA.by_id["ico-2020-british-airways"]
    conv = ref.convert_record(DATA, rates, ba, ref.Settings(currency="EUR", real=2024))
    assert (conv.rate, conv.fx_date) == (1 / 0.90915, dt.date(2020, 10, 16))
    assert round(conv.amount, 2) == 21_998_570.09
    assert round(conv.real, 2) == 26_397_865.33  # HICP 126.07 / 105.06
    clearview = {"currency": "GBP", "view": "effective", "matters": ["clearview-ai"]}
    for as_of, ico in (("2022-12-31", 7_552_800), ("2024-12-31", None), ("2025-12-31", 7_552_800)):
        s = oracle_settings({**clearview, "as_of": as_of})
        totals = ref.totals(DATA, RECORDS, ["regulator"], s, rates)
        assert {t.keys[0]: t.total for t in totals}.get("ICO") == ico, as_of
    dsg = oracle_settings({"currency": "GBP", "view": "effective", "defendants": ["DSG Retail"]})
    assert [t.total for t in ref.totals(DATA, RECORDS, ["defendant"], dsg, rates)] == [500_000]
    ba_notice = oracle_settings({"currency": "GBP", "include_provisional": True})
    (ico,) = ref.totals(
        DATA, [ba, DATA.by_id["ico-2019-british-airways-noi"]], ["regulator"], ba_notice, rates
    )
    assert (ico.n_fines, ico.total) == (1, 20_000_000)


def test_complete_only_judges_only_the_selected_fines(env: Env) -> None:
    """A rate file that stops in March 2025 converts every fine of 2019: the complete fines of
    2019 are answered, not refused for want of a rate of a 2025 fine outside the selection."""
    kw = {"currency": "EUR", "complete_only": True, "years": (2019, 2019)}
    check_totals(env, kw, ("regulator",), Shape("collection"), "cut")
    check_totals(env, kw, ("regulator",), Shape("damaged", 2, bad_amount=-1.0), "default")
    got = finestats.totals(env.collection, "regulator", rates=env.rates_arg("cut"), **kw)
    assert got.equals(finestats.totals(env.collection, "regulator", **kw))


def test_a_query_at_one_date_answers_when_the_scope_cannot_be_judged(env: Env) -> None:
    """Converted at 2018-01-01, every fine has a rate in a file that stops in March 2025, but
    the 39 fines decided after it cannot be judged against the scope (EUR at their own date):
    the totals are answered and say nothing of the scope, as the oracle refuses to judge it."""
    kw = {"currency": "EUR", "at": "2018-01-01"}
    check_totals(env, kw, ("regulator", "year"), Shape("collection"), "cut")
    got = finestats.totals(env.collection, "year", rates=env.rates_arg("cut"), **kw)
    assert meta_of(got).n_outside_scope is None and len(got) > 0
    same = finestats.totals(env.collection, "year", years=(2019, 2024), **kw)
    cut = finestats.totals(
        env.collection, "year", years=(2019, 2024), rates=env.rates_arg("cut"), **kw
    )
    assert meta_of(cut).n_outside_scope == meta_of(same).n_outside_scope is not None


# -- the properties ----------------------------------------------------------------------------


FAST = settings(
    max_examples=examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FAST
@given(kw=query_settings(), by=BY, shape=shapes(), rates=RATES)
def test_totals_match_the_oracle(env: Env, kw, by, shape, rates) -> None:
    check_totals(env, kw, by, shape, rates)


@settings(FAST, max_examples=examples(25))
@given(kw=query_settings(), axes=PIVOTS, shape=shapes(), rates=RATES)
def test_pivot_matches_the_oracle(env: Env, kw, axes, shape, rates) -> None:
    check_pivot(env, kw, axes, shape, rates)


@settings(FAST, max_examples=examples(25))
@given(kw=query_settings(), shape=shapes(), rates=RATES)
def test_convert_matches_the_oracle(env: Env, kw, shape, rates) -> None:
    check_convert(env, kw, shape, rates)


@settings(FAST, max_examples=examples(15))
@given(kw=query_settings(), shape=shapes(damaged=False), rates=RATES)
def test_converted_frame_exports_read_back(env: Env, kw, shape, rates) -> None:
    check_convert_export(env, kw, shape, rates)


@settings(FAST, max_examples=examples(15))
@given(kw=query_settings(), by=BY, edit=TABLE_EDITS, seed=st.integers(0, 99), rates=RATES)
def test_totals_exports_read_back(env: Env, kw, by, edit, seed, rates) -> None:
    check_totals_export(env, kw, by, edit, seed, rates)


@settings(FAST, max_examples=examples(10))
@given(kw=query_settings(), axes=PIVOTS, rates=RATES)
def test_pivot_exports_read_back(env: Env, kw, axes, rates) -> None:
    check_pivot_export(env, kw, axes, rates)


@settings(FAST, max_examples=examples(20))
@given(kw=query_settings(repeated=True), by=BY, rates=RATES)
def test_cli_summary_csv_matches_the_oracle(env: Env, kw, by, rates) -> None:
    check_cli(env, kw, by, rates)


@pytest.mark.slow
@settings(FAST, max_examples=sweep(400))
@given(
    kw=query_settings(),
    by=BY,
    axes=PIVOTS,
    shape=shapes(),
    rates=RATES,
    edit=TABLE_EDITS,
    seed=st.integers(0, 99),
)
def test_larger_sweep(env: Env, kw, by, axes, shape, rates, edit, seed) -> None:
    check_totals(env, kw, by, shape, rates)
    check_pivot(env, kw, axes, shape, rates)
    check_convert(env, kw, shape, rates)
    check_totals_export(env, kw, by, edit, seed, rates)


# -- a report's CSVs ---------------------------------------------------------------------------


REPORT = {
    "currency": "GBP",
    "view": "effective",
    "include_provisional": True,
    "years": (2019, 2025),
    "real": 2024,
}


@pytest.fixture(scope="module")
def gbp_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A report with settings of its own; its kernels import this checkout's finestats (a
    relative PYTHONPATH such as ``src`` would not reach them: they run in the report folder)."""
    from finestats.report import build_report

    params = {
        "view": "effective",
        "include_provisional": True,
        "start_year": 2019,
        "end_year": 2025,
        "real": 2024,
    }
    with pytest.MonkeyPatch.context() as mp:
        here = [str(REPO / "src"), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
        mp.setenv("PYTHONPATH", os.pathsep.join(str(Path(p).resolve()) for p in here if p))
        folder = tmp_path_factory.mktemp("oracle-report")
        yield build_report("GBP", params, folder, progress=False)


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.slow
def test_report_csvs_match_the_oracle(env: Env, gbp_report: Path) -> None:
    s = oracle_settings(REPORT)
    rates = env.rates["default"]
    for name, by in (
        ("totals_by_regulator_year.csv", ("regulator", "year")),
        ("totals_by_regulator.csv", ("regulator",)),
        ("totals_by_group.csv", ("group",)),
        ("totals_by_sector.csv", ("sector",)),
    ):
        want = ref.totals(DATA, RECORDS, by, s, rates)
        rows = _csv(gbp_report / name)
        seen = compare_csv_totals(rows, want, by, REPORT, name)
        assert len(seen) == len(want), f"{name}: {len(seen)} groups, oracle {len(want)}"
    wide = ref.pivot(DATA, RECORDS, "regulator", "year", s, rates)
    compare_csv_pivot(_csv(gbp_report / "pivot_regulator_year.csv"), wide, "regulator", "pivot")
    by_year = ref.totals(DATA, RECORDS, ("year",), s, rates)
    rows = _csv(gbp_report / "real_terms_by_year.csv")
    assert rows[0] == ["year", "nominal (GBP of each year)", "in 2024 prices"], rows[0]
    assert [int(r[0]) for r in rows[1:]] == [t.keys[0] for t in by_year]
    for row, t in zip(rows[1:], by_year, strict=True):
        assert cents(float(row[1]), t.total), (row, t)
        assert cents(float(row[2]), t.total_real), (row, t)
    # the fines behind the totals, one by one: what stands of each decision, converted
    rows = _csv(gbp_report / "fines_behind_totals.csv")
    col = {name: i for i, name in enumerate(rows[0])}
    got = {row[col["fine_id"]]: row for row in rows[1:]}
    want = {c.decision.fine_id: c for c in ref.select(DATA, RECORDS, s, rates)}
    assert sorted(got) == sorted(want)
    for fine_id, c in want.items():
        row, conv = got[fine_id], ref.convert_record(DATA, rates, c.decision, s, c.standing)
        assert (row[col["status"]], row[col["currency"]]) == (
            c.standing.status,
            c.standing.currency,
        )
        assert cents(float(row[col["amount"]]), c.standing.amount), fine_id
        assert cents(float(row[col["amount_gbp"]]), conv.amount), fine_id
        assert close(float(row[col["fx_rate"]]), conv.rate), fine_id
        assert row[col["fx_date"]] == conv.fx_date.isoformat(), fine_id


# -- the oracle catches each bug put back ------------------------------------------------------


def _buggy_what_stands(chain, steps, when, replaced):  # noqa: ANN001, ANN202
    """counting._what_stands before the DSG Retail fix: any set-aside drops the decision."""
    from finestats.events import STANDING

    timeline = [(when[r], 0, "record", r) for r in chain[1:]]
    timeline += [(e.date, 1, e.outcome, e.fine_id) for e in steps.itertuples()]
    current = chain[0]
    for _, _, what, record in sorted(timeline, key=lambda t: (t[0], t[1])):
        if what == "record" or STANDING[what]:
            current = record
        else:
            current = None
    return current


def _patch_events_from_attrs(mp: pytest.MonkeyPatch) -> None:
    """Court events reached counting through the frame's attrs: a copy without them, or a
    concatenation that loses them, counts as if no court had ruled."""
    from finestats import collection
    from finestats.events import empty_events

    original = collection._of_frame

    def of_frame(df: pd.DataFrame) -> finestats.Collection:
        c = original(df)
        return c if "finestats_source" in df.attrs else c.replace(events=empty_events())

    mp.setattr(collection, "_of_frame", of_frame)


def _patch_events_whole_file_only(mp: pytest.MonkeyPatch) -> None:
    """The court events applied only to a frame holding the whole file: filtering the records
    in Python first broke the effective view."""
    from finestats import collection
    from finestats.events import empty_events

    original = collection._of_frame

    def of_frame(df: pd.DataFrame) -> finestats.Collection:
        c = original(df)
        whole = len(df) == len(collection.load().fines)
        return c if whole else c.replace(events=empty_events())

    mp.setattr(collection, "_of_frame", of_frame)


def _patch_real_year_of_rate(mp: pytest.MonkeyPatch) -> None:
    """Constant prices deflated by the year of the rate used, not the fine's own year: under
    ``at`` every fine got the factor of the at date's year (1.0 when it is the base year)."""
    from finestats import conversion

    original = conversion.in_prices_of

    def in_prices_of(out, to, days, year, prices):  # noqa: ANN001, ANN202
        rate_days = out["fx_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        return original(out, to, rate_days, year, prices)

    mp.setattr(conversion, "in_prices_of", in_prices_of)


def _patch_pivot_nominal(mp: pytest.MonkeyPatch) -> None:
    """pivot(real=...) returned the nominal table."""
    totals_mod = importlib.import_module("finestats.totals")
    original = totals_mod.pivot

    def pivot(data, currency=None, *, real=None, **kw):  # noqa: ANN001, ANN202
        return original(data, currency, **kw)

    mp.setattr(totals_mod, "pivot", pivot)
    mp.setattr(finestats, "pivot", pivot)


def _patch_export_index(mp: pytest.MonkeyPatch) -> None:
    """A filtered, sorted or sampled frame's leftover row numbers were written as a column."""
    from finestats import export

    mp.setattr(export, "writes_index", lambda t: not t.index.equals(pd.RangeIndex(len(t))))


def _patch_export_rounds_floats(mp: pytest.MonkeyPatch) -> None:
    """Every float column was rounded to cents (HUF's rate 0.00283 written as 0.0)."""
    from finestats import export

    mp.setattr(export, "is_money", lambda name: True)


def _patch_cli_last_defendant(mp: pytest.MonkeyPatch) -> None:
    """A repeated --defendant kept only its last value."""
    from finestats import cli

    original = cli._query

    def query(kw: dict[str, Any]) -> finestats.Query:
        kw["defendants"] = kw["defendants"][-1:]
        return original(kw)

    mp.setattr(cli, "_query", query)


def _patch_complete_only_default_rates(mp: pytest.MonkeyPatch) -> None:
    """complete_only judged the scope at the default rates, not the caller's."""
    from finestats import counting

    original = counting.complete_mask
    mp.setattr(counting, "complete_mask", lambda c, rows, rates=None: original(c, rows))


def _patch_amounts_unchecked(mp: pytest.MonkeyPatch) -> None:
    """NaN, infinite and negative amounts went into the sums (NaN silently skipped)."""
    from finestats import conversion

    mp.setattr(conversion, "_check_amounts", lambda df, problems: None)


def _patch_set_aside_drops(mp: pytest.MonkeyPatch) -> None:
    from finestats import counting

    mp.setattr(counting, "_what_stands", _buggy_what_stands)


CLEARVIEW_2024 = {"currency": "GBP", "view": "effective", "as_of": "2024-12-31"}
ICO = Shape("regulators", regulators=("ICO",))
NAIH = Shape("regulators", regulators=("NAIH", "IMY"))
BUGS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], Callable[[Env], None]]] = {
    "export writes the index of a filtered frame": (
        _patch_export_index,
        lambda env: check_convert_export(env, {"currency": "EUR"}, ICO, "default"),
    ),
    "export writes a sorted totals table's index": (
        _patch_export_index,
        lambda env: check_totals_export(
            env, {"currency": "SEK"}, ("year",), "sorted", 0, "default"
        ),
    ),
    "export rounds every float column": (
        _patch_export_rounds_floats,
        lambda env: check_convert_export(env, {"currency": "EUR"}, NAIH, "default"),
    ),
    "constant prices ignore the decision year under at": (
        _patch_real_year_of_rate,
        lambda env: check_totals(
            env,
            {"currency": "EUR", "at": "2024-12-31", "real": 2024, "years": (2019, 2023)},
            ("year",),
            Shape("frame"),
            "default",
        ),
    ),
    "pivot(real=...) returns the nominal table": (
        _patch_pivot_nominal,
        lambda env: check_pivot(
            env,
            {"currency": "EUR", "real": 2024, "years": (2018, 2025)},
            ("regulator", "year"),
            Shape("collection"),
            "default",
        ),
    ),
    "effective view drops court events of a frame without attrs": (
        _patch_events_from_attrs,
        lambda env: check_totals(
            env, CLEARVIEW_2024, ("regulator",), Shape("halves", 100, True), "default"
        ),
    ),
    "set-aside of a reduction drops the whole fine (DSG Retail)": (
        _patch_set_aside_drops,
        lambda env: check_totals(
            env,
            {"currency": "GBP", "view": "effective", "defendants": ["DSG Retail"]},
            ("defendant",),
            Shape("frame"),
            "default",
        ),
    ),
    "filtering in Python breaks the effective view": (
        _patch_events_whole_file_only,
        lambda env: check_totals(env, CLEARVIEW_2024, ("regulator",), ICO, "default"),
    ),
    "a repeated --defendant keeps only the last": (
        _patch_cli_last_defendant,
        lambda env: check_cli(
            env, {"currency": "EUR", "defendants": ["clearview", "DSG"]}, ("defendant",), "default"
        ),
    ),
    "complete_only ignores the caller's rates": (
        _patch_complete_only_default_rates,
        lambda env: check_totals(  # SATS, NOK 10m (2023): EUR 1m or more at the scaled rates
            env,
            {"currency": "NOK", "complete_only": True},
            ("regulator",),
            Shape("collection"),
            "scaled",
        ),
    ),
    "the fines outside the scope are judged at the default rates": (
        _patch_complete_only_default_rates,
        lambda env: check_totals(  # SATS, NOK 10m (2023): inside at the scaled rates only
            env, {"currency": "NOK"}, ("regulator",), Shape("collection"), "scaled"
        ),
    ),
    "a NaN amount is dropped from totals": (
        _patch_amounts_unchecked,
        lambda env: check_totals(
            env, {"currency": "EUR"}, ("year",), Shape("damaged", 3), "default"
        ),
    ),
    "an infinite amount goes into totals": (
        _patch_amounts_unchecked,
        lambda env: check_totals(
            env, {"currency": "EUR"}, ("year",), Shape("damaged", 5, bad_amount=math.inf), "default"
        ),
    ),
    "a negative amount goes into totals": (
        _patch_amounts_unchecked,
        lambda env: check_totals(
            env, {"currency": "EUR"}, ("year",), Shape("damaged", 7, bad_amount=-1e6), "default"
        ),
    ),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_the_oracle_catches_the_bug_put_back(env: Env, bug: str) -> None:
    patch, witness = BUGS[bug]
    witness(env)  # finestats as it is agrees with the oracle here
    with pytest.MonkeyPatch.context() as mp:
        patch(mp)
        with pytest.raises(AssertionError):
            witness(env)
