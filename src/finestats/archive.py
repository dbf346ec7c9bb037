"""The report archive: one folder per report in ``out/``, ``out/latest``, names, pruning, the lock.

Trust only what finestats made: a report is a folder directly inside ``out/`` whose name has the
shape ``YYYY-MM-DD-CUR[-N]`` and whose ``manifest.json`` names that very folder. Anything else in
``out/`` (a renamed report, a web app's ``manifest.json``, a file someone edited) is left alone:
never listed, compared, pruned or linked. Names are derived from folders, never from a
manifest's text, and a name once given is never given again (a bookmark keeps meaning one
report). Only such report folders and the build folders of runs that are gone are ever deleted.

Two reports into one archive both complete, under distinct names: the archive's lock is held
while a name is chosen and while a finished report is moved into place (not while notebooks
run). A damaged state file or manifest means "no comparison" with a warning, never a crash.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from finestats.errors import ReportWarning, UsageError
from finestats.fileio import ensure_dir, os_error, write_json
from finestats.jupyter import stop_orphans

MANIFEST_NAME = "manifest.json"
LATEST = "latest"
LOCK_NAME = ".finestats.lock"
STATE_NAME = ".finestats-archive.json"
NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}-[A-Z]{3})(?:-(\d+))?$")
_LEFTOVER_RE = re.compile(r"^\.(build|logs)-(\d{4}-\d{2}-\d{2}-[A-Z]{3}(?:-\d+)?)-(\d+)-[^-/]+$")


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold the archive's lock (another report waits for it; each holds it briefly)."""
    try:
        fh = open(out_dir / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the with block)
    except OSError as exc:
        raise os_error(out_dir / LOCK_NAME, exc, "lock the report archive") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare(out: str | os.PathLike[str]) -> Path:
    """The archive folder, created if needed, checked writable, with a usable ``latest``."""
    out_dir = Path(out)
    ensure_dir(out_dir)
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {out_dir}: permission denied")
    latest = out_dir / LATEST
    if latest.exists() and not latest.is_symlink():
        raise UsageError(
            f"{latest} is a folder or file, not the link finestats keeps to the newest report: "
            "move it away (or pass another --out)"
        )
    return out_dir


def new_name(out_dir: Path, base: str) -> str:
    """A report name for ``base`` (``YYYY-MM-DD-CUR``) that no folder has, no report being built
    now has, and no earlier report of this archive ever had (call under :func:`locked`; the
    name is recorded as given when the report is moved into place: :func:`record_name`)."""
    issued = set(_read_state(out_dir).get("issued", []))
    building = {m.group(2) for p in out_dir.iterdir() if (m := _LEFTOVER_RE.match(p.name))}
    used = issued | building | {p.name for p in out_dir.iterdir()}
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}-{n}"
    return name


def record_name(out_dir: Path, name: str) -> None:
    """Remember that ``name`` was given, so that it is never given again (call under
    :func:`locked`)."""
    state = _read_state(out_dir)
    state["issued"] = sorted(set(state.get("issued", [])) | {name})
    write_json(out_dir / STATE_NAME, state)


def _read_state(out_dir: Path) -> dict[str, Any]:
    path = out_dir / STATE_NAME
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(state, dict) and isinstance(state.get("issued", []), list):
            return {"issued": [str(x) for x in state.get("issued", []) if NAME_RE.match(str(x))]}
    except (OSError, ValueError):
        pass
    warnings.warn(
        f"{path} is damaged; report names are chosen from the folders alone",
        ReportWarning,
        stacklevel=3,
    )
    return {}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a report folder finestats made, else None (with a warning when a folder
    of a report's shape holds a damaged or foreign manifest)."""
    if folder.is_symlink() or not folder.is_dir() or not NAME_RE.match(folder.name):
        return None
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        manifest = None
    if isinstance(manifest, dict) and manifest.get("report") == folder.name:
        return manifest
    warnings.warn(
        f"{path} is not a finestats manifest of {folder.name}; that folder is left alone",
        ReportWarning,
        stacklevel=3,
    )
    return None


def reports_in(out_dir: Path) -> list[dict[str, Any]]:
    """The manifests of the complete reports finestats made in an archive, oldest first."""
    found = []
    for folder in out_dir.iterdir() if out_dir.is_dir() else []:
        manifest = read_manifest(folder)
        if manifest is not None:
            found.append(manifest)
    return sorted(found, key=lambda m: (str(m.get("created", "")), m["report"]))


def point_latest(out_dir: Path, name: str) -> None:
    """Flip ``out/latest`` to ``name`` atomically (a new link renamed over the old one)."""
    tmp = out_dir / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(name, tmp, target_is_directory=True)
        os.replace(tmp, out_dir / LATEST)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(out_dir / LATEST, exc, "update the link") from None


def prune(out_dir: Path, keep: int | None) -> list[dict[str, Any]]:
    """Remove all but the newest ``keep`` reports (never the one ``latest`` points to, never a
    folder that is not a report finestats made); return the manifests of those that remain."""
    found = reports_in(out_dir)
    if keep is None or len(found) <= keep:
        return found
    if keep < 1:
        raise UsageError(f"--keep {keep}: expected 1 or more")
    link = out_dir / LATEST
    latest = os.readlink(link) if link.is_symlink() else None
    for manifest in found[: len(found) - keep]:
        folder = out_dir / manifest["report"]  # a name checked against its own folder
        if folder.name != latest and folder.parent == out_dir and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
    return reports_in(out_dir)


def clean_leftovers(out_dir: Path) -> None:
    """Remove the build and log folders of runs whose process is gone (killed runs), after
    stopping any kernel such a run left behind (it would otherwise keep writing into them)."""
    dead = []
    for p in out_dir.iterdir():
        m = _LEFTOVER_RE.match(p.name)
        if m and p.is_dir() and not p.is_symlink() and not _alive(int(m.group(3))):
            dead.append((m.group(1), int(m.group(3)), p))
    for kind, pid, p in dead:
        if kind == "logs":
            stop_orphans(p, pid)
    for _, _, p in dead:
        _remove_tree(p)
    for p in out_dir.glob(f".{LATEST}.*"):  # a link made but not yet flipped
        if p.is_symlink():
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_tree(path: Path, attempts: int = 50) -> None:
    """``rmtree`` that retries while a dying process still adds files (each try is short)."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.02)


def today_base(currency: str, today: dt.date | None = None) -> str:
    """``YYYY-MM-DD-CUR``: the base of a new report's name."""
    return f"{(today or dt.date.today()).isoformat()}-{currency}"
