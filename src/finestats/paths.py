"""Where finestats finds things: every default location, in one place.

Data (``fines.csv`` and its companion files) is looked for, in order:

1. an explicit path (``--data``, ``load_fines(path)``), resolved against the current folder once;
2. ``$FINESTATS_DATA`` (likewise resolved once, so that kernels started elsewhere read the same
   file);
3. the current project: the nearest folder, from the current one upwards, holding
   ``data/raw/fines.csv`` (a data folder in the current project wins over the installed copy);
4. the source tree finestats was installed from in development mode (``pip install -e .``);
5. the copy shipped inside the installed package (``finestats/_shipped/data/``).

Companion files (``events.csv``, ``coverage.csv``) live beside the fines file they describe.
Reference files that do not belong to one collection (``price_indices.csv``,
``blocked_hosts.csv``) are taken beside the fines file when present, else from the default data
folder. Notebooks are found the same way as the data folder (project, source tree, shipped copy).
User state (downloaded rate snapshots, the live-rates cache) lives in :func:`finestats_home`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository root of a development install (it may not exist for a wheel install).
SOURCE_ROOT = PACKAGE_DIR.parents[1]
#: Data and notebooks copied into the wheel by the build (see setup.py).
SHIPPED_DIR = PACKAGE_DIR / "_shipped"

RAW = Path("data") / "raw"
FINES_NAME = "fines.csv"
EVENTS_NAME = "events.csv"
COVERAGE_NAME = "coverage.csv"
PRICES_NAME = "price_indices.csv"
BLOCKED_HOSTS_NAME = "blocked_hosts.csv"
NOTEBOOKS = "notebooks"

DATA_ENV = "FINESTATS_DATA"
HOME_ENV = "FINESTATS_HOME"


def absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute against the current folder (``~`` expanded); not resolved further,
    so the name a user gave stays recognisable in messages."""
    return Path(os.path.abspath(Path(path).expanduser()))


def project_root(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder from ``start`` (default: the current one) upwards that holds
    ``data/raw/fines.csv``, or None."""
    here = absolute(start or Path.cwd())
    for folder in (here, *here.parents):
        if (folder / RAW / FINES_NAME).is_file():
            return folder
    return None


def _first_existing(candidates: list[Path]) -> Path:
    for c in candidates:
        if c.exists():
            return c
    return candidates[-1]


def raw_data_dir() -> Path:
    """The default data folder: the current project's ``data/raw``, else the source tree's,
    else the shipped copy."""
    root = project_root()
    candidates = [root / RAW] if root else []
    candidates += [SOURCE_ROOT / RAW, SHIPPED_DIR / "data"]
    return _first_existing([c for c in candidates if (c / FINES_NAME).is_file()] or candidates)


def default_fines_path() -> Path:
    """``$FINESTATS_DATA`` (made absolute) if set, else ``fines.csv`` of :func:`raw_data_dir`."""
    env = os.environ.get(DATA_ENV)
    if env:
        return absolute(env)
    return raw_data_dir() / FINES_NAME


def fines_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The fines file to read: ``path`` made absolute, else :func:`default_fines_path`."""
    return absolute(path) if path is not None else default_fines_path()


def companion(fines: str | os.PathLike[str], name: str) -> Path:
    """The file ``name`` beside a fines file (it may not exist)."""
    return Path(fines).parent / name


def reference(fines: str | os.PathLike[str] | None, name: str) -> Path:
    """A reference file (price indices, blocked hosts): beside ``fines`` if there, else in the
    default data folder."""
    if fines is not None:
        beside = companion(fines, name)
        if beside.is_file():
            return beside
    return raw_data_dir() / name


def notebooks_dir() -> Path:
    """The report's notebooks: the current project's ``notebooks/``, else the source tree's,
    else the shipped copy."""
    root = project_root()
    candidates = [root / NOTEBOOKS] if root else []
    candidates += [SOURCE_ROOT / NOTEBOOKS, SHIPPED_DIR / NOTEBOOKS]
    return _first_existing([c for c in candidates if any(c.glob("*.ipynb"))] or candidates)


def processed_dir() -> Path:
    """``data/processed`` of the current project (for ``make data``)."""
    root = project_root() or Path.cwd()
    return root / "data" / "processed"


def finestats_home() -> Path:
    """User state: ``$FINESTATS_HOME`` if set, else the platform's user data folder
    (``~/.local/share/finestats`` on Linux)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return absolute(env)
    if sys.platform.startswith("linux"):  # what platformdirs gives on Linux, without importing it
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
        return base / "finestats"
    import platformdirs  # small; only needed off Linux when no FINESTATS_HOME is set

    return Path(platformdirs.user_data_dir("finestats", appauthor=False))


def rates_store_dir() -> Path:
    """Where ``finestats rates update`` keeps verified ECB snapshots."""
    return finestats_home() / "rates"


def forex_cache_path() -> Path:
    """The live-rates (forex-python) answer cache."""
    return finestats_home() / "forex_cache.json"
