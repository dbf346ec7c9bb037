"""Benchmark finestats.convert against currency_converter's per-row convert.

Run: ``PYTHONPATH=src python bench/bench_convert.py [N_ROWS]`` (default 1,000,000 rows).

Prints: rate-table load time (cold) beside ``CurrencyConverter()`` construction, finestats time
for N rows (every column of fines.csv, as loaded) to USD with the audit columns (best of 5),
currency_converter's time on 100,000 of the same rows (one Python call per row), both as
rows/s and their ratio, and peak memory.
Targets: N=1e6 in < 0.2 s, >= 20x currency_converter, table load faster than its construction.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from finestats import convert, ecb, load_fines, load_rates, rates, snapshots

CURRENCIES = ["EUR", "USD", "GBP", "SEK", "NOK", "DKK", "PLN", "CHF", "JPY", "CZK", "HUF"]
N_CC = 100_000


def synthetic(n: int, snapshot: pd.Timestamp, seed: int = 20240611) -> pd.DataFrame:
    """``n`` records with every column of a loaded fines.csv (the shipped records drawn at
    random), with random amounts, currencies and decision dates over the whole ECB history."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("1999-01-04", "D")
    span = (np.datetime64(snapshot.date(), "D") - start).astype(int) + 1
    days = start + rng.integers(0, span, n)
    records = load_fines()
    out = records.iloc[rng.integers(0, len(records), n)].reset_index(drop=True)
    out["fine_id"] = pd.RangeIndex(n).astype(str)
    out["amount"] = rng.lognormal(12, 2, n).round(2)
    out["currency"] = pd.Categorical(rng.choice(CURRENCIES, n), categories=CURRENCIES)
    out["decision_date"] = days.astype("datetime64[ns]")
    return out


def best_of(k: int, fn) -> float:
    times = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n: int = 1_000_000) -> None:
    print(f"pandas {pd.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")

    snapshots.bundled_snapshot.cache_clear()
    ecb._read_cached.cache_clear()
    rates._table_cached.cache_clear()
    t = time.perf_counter()
    table = load_rates()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    table.daily()
    t_dense = time.perf_counter() - t

    from currency_converter import CurrencyConverter

    t = time.perf_counter()
    cc = CurrencyConverter(
        fallback_on_missing_rate=True, fallback_on_missing_rate_method="last_known"
    )
    t_cc_init = time.perf_counter() - t
    print(
        f"rate table load (cold, zip -> RateTable): {t_load * 1e3:7.1f} ms "
        f"(+ {t_dense * 1e3:.1f} ms day-lookup arrays on first convert)"
    )
    print(
        f"CurrencyConverter() construction:        {t_cc_init * 1e3:7.1f} ms "
        f"-> finestats load {t_cc_init / t_load:.1f}x faster"
    )

    df = synthetic(n, table.snapshot_date)
    out = convert(df, "USD")  # warm-up, and the result used below
    t_fs = best_of(5, lambda: convert(df, "USD"))
    df_str = df.astype({"currency": object})
    t_fs_obj = best_of(3, lambda: convert(df_str, "USD"))
    print(
        f"finestats convert {n:,} rows -> USD (best of 5): {t_fs * 1e3:7.1f} ms (target < 200 ms)"
    )
    print(f"  same with currency as object strings (best of 3): {t_fs_obj * 1e3:7.1f} ms")

    sub = df.iloc[:N_CC]
    amounts = sub["amount"].tolist()
    curs = sub["currency"].astype(str).tolist()
    dates = [d.date() for d in sub["decision_date"]]
    t = time.perf_counter()
    cc_vals = [
        cc.convert(a, c, "USD", date=d) for a, c, d in zip(amounts, curs, dates, strict=True)
    ]
    t_cc = time.perf_counter() - t
    diff = np.abs(np.array(cc_vals) / out["amount_usd"].to_numpy()[:N_CC] - 1)
    fs_rps, cc_rps = n / t_fs, N_CC / t_cc
    print(f"currency_converter per-row convert, {N_CC:,} rows: {t_cc:.2f} s")
    print(f"rows/s  finestats {fs_rps:,.0f}   currency_converter {cc_rps:,.0f}")
    print(f"ratio   {fs_rps / cc_rps:,.0f}x (target >= 20x)")
    print(f"max relative difference vs currency_converter on those rows: {diff.max():.2e}")

    del out
    tracemalloc.start()
    convert(df, "USD")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    in_mb = df.memory_usage(deep=True).sum() / 2**20
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"memory  convert peak allocations {peak / 2**20:.0f} MiB "
        f"(input frame {in_mb:.0f} MiB); process max RSS {maxrss:.0f} MiB"
    )
    print(f"snapshot {table.source}, {table.frame.index[0].date()}..{table.snapshot_date.date()}")
    print(f"run at {dt.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
