"""``finestats rates update``: download the ECB's full history, verify it, keep it.

The only network use of finestats besides the opt-in live source. The download (default: the
ECB's ``eurofxref-hist.zip``) is bounded by a timeout and a size limit, then verified:

* it parses as one whole ECB file (every row complete, every value finite and positive),
* its dates run in one direction without repeats,
* it is at least as new as the bundled snapshot,
* where it overlaps the bundled history, the rates agree within rounding.

Only then is it stored, atomically, in :func:`finestats.paths.rates_store_dir` as
``eurofxref-hist-<snapshot date>.zip`` beside a JSON record (snapshot date, SHA-256, URL,
download time) written last. Any failure raises RatesError and leaves the snapshots in use as
they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from finestats import paths
from finestats.errors import RatesError
from finestats.fileio import atomic_write, write_json
from finestats.rates import ECB_HIST_URL, RateTable, read_ecb_bytes
from finestats.snapshots import (
    STORE_PREFIX,
    Snapshot,
    bundled_snapshot,
    load_rates,
    stored_snapshots,
)

ECB_ZIP_URL = ECB_HIST_URL
MAX_BYTES = 64 * 1024 * 1024
#: Rates of the same day from two ECB files may differ only by rounding.
RTOL = 1e-4


def update(url: str = ECB_ZIP_URL, *, timeout: float = 30.0, store: Path | None = None) -> Snapshot:
    """Download, verify and store an ECB history file; return the stored snapshot."""
    if timeout <= 0:
        raise RatesError(f"timeout must be positive, not {timeout}")
    folder = store or paths.rates_store_dir()
    data = download(url, timeout)
    table = read_ecb_bytes(data, url, f"ECB eurofxref-hist download ({url})")
    verify(table, data)
    return _store(folder, url, data, table)


def download(url: str, timeout: float) -> bytes:
    """The bytes at ``url`` (http or https only), within ``timeout`` seconds per network step and
    :data:`MAX_BYTES` in size. The network stack (urllib, http, ssl: ~15 ms) is imported here, so
    that the CLI's other commands do not pay for it."""
    import urllib.error
    import urllib.request

    if not url.lower().startswith(("https://", "http://")):
        raise RatesError(f"{url}: only http(s) addresses are downloaded")
    request = urllib.request.Request(url, headers={"User-Agent": "finestats rates update"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RatesError(
            f"{url}: HTTP {exc.code} {exc.reason}; the rates in use are unchanged"
        ) from None
    except TimeoutError:
        raise RatesError(
            f"{url}: no answer within {timeout:g} s; the rates in use are unchanged"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RatesError(
            f"{url}: cannot download ({reason}); the rates in use are unchanged"
        ) from None
    if len(data) > MAX_BYTES:
        raise RatesError(f"{url}: larger than {MAX_BYTES // 2**20} MiB; not an ECB history file")
    return data


def verify(table: RateTable, data: bytes) -> None:
    """Check a downloaded table against the bundled snapshot (see the module docstring)."""
    _one_direction(data)
    bundled = load_rates("bundled")
    if table.snapshot_date < bundled.snapshot_date:
        raise RatesError(
            f"the download ends {table.snapshot_label}, before the bundled snapshot "
            f"({bundled.snapshot_label}); keeping the rates in use"
        )
    common_days = table.frame.index.intersection(bundled.frame.index)
    common_cols = [c for c in bundled.currencies if c in table.frame.columns and c != "EUR"]
    a = bundled.frame.loc[common_days, common_cols].to_numpy()
    b = table.frame.loc[common_days, common_cols].to_numpy()
    both = ~np.isnan(a) & ~np.isnan(b)
    bad = both & ~np.isclose(a, b, rtol=RTOL, atol=0)
    if bad.any():
        i, j = (int(x[0]) for x in np.nonzero(bad))
        raise RatesError(
            f"the download disagrees with the bundled history on {common_days[i].date()} "
            f"{common_cols[j]}: {b[i, j]} vs {a[i, j]}; keeping the rates in use"
        )
    if len(common_days) < len(bundled.frame) * 0.9:
        raise RatesError("the download does not hold the bundled history; keeping the rates in use")


def _one_direction(data: bytes) -> None:
    text = data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            text = zf.read(zf.namelist()[0])
    days = [line.split(b",", 1)[0] for line in text.splitlines()[1:] if line.strip()]
    order = np.array(days, dtype="datetime64[D]")
    steps = np.diff(order.astype(np.int64))
    if not ((steps > 0).all() or (steps < 0).all()):
        raise RatesError(
            "the download's dates do not run in one direction; keeping the rates in use"
        )


def _store(folder: Path, url: str, data: bytes, table: RateTable) -> Snapshot:
    sha = hashlib.sha256(data).hexdigest()
    stem = f"{STORE_PREFIX}{table.snapshot_label}"
    name = f"{stem}.zip"
    if data[:4] != b"PK\x03\x04":  # keep every stored snapshot a zip
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("eurofxref-hist.csv", (1980, 1, 1, 0, 0, 0)), data)
        data = buf.getvalue()
        sha = hashlib.sha256(data).hexdigest()
    atomic_write(folder / name, lambda tmp: tmp.write_bytes(data))
    record = {
        "file": name,
        "snapshot_date": table.snapshot_label,
        "sha256": sha,
        "url": url,
        "downloaded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bundled_snapshot": bundled_snapshot().snapshot_date,
    }
    write_json(folder / f"{stem}.json", record)
    return next(s for s in stored_snapshots(folder) if s.sha256 == sha)
