"""A collection: the fine records and everything counting needs beside them.

Counting depends on more than the records: the court events (the effective view), the declared
scope (``complete_only``) and the price indices (constant prices). :func:`load` reads them all
from one data folder and returns a :class:`Collection`; every counting function accepts one, so
the companion files reach it explicitly, never through ``DataFrame.attrs``.

A plain records frame is accepted too, and its companions are told from its **content**, so that
a filtered, sorted, copied or concatenated frame counts the same as the frame it came from:

* records that are all records of the default collection (``finestats.load()``, where
  :func:`finestats.load_fines` reads by default) get its court events and scope;
* records none of which are (a frame built by hand, another file) get none: no court events,
  no declared scope (price indices, which are reference data, come from the default folder);
* a mix of both cannot be told: what needs the companions (the effective view,
  ``complete_only``) fails with a message saying to pass them, as does a frame read from another
  data folder that holds companions of its own (use ``finestats.load(path)``).

Companions passed explicitly (``events=``, ``coverage=``, ``prices=``) always win. A frame's
metadata may refuse a guess; it never changes a figure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from finestats import paths
from finestats.coverage import coverage_path, load_coverage
from finestats.errors import UsageError
from finestats.events import empty_events, events_path, load_events
from finestats.prices import load_prices
from finestats.records import Source, load_fines, source_of

__all__ = ["Collection", "Data", "load", "resolve"]


class Collection:
    """The records of one fines file and its companions.

    ``fines``: the typed records (:func:`finestats.load_fines`); ``events``: the court events
    (an empty frame when there are none); ``coverage``: the declared scope (None: no scope
    declared, the records are a sample); ``prices``: the consumer price indices (None: none
    found); ``source``: the fines file and its SHA-256 (None for records built by hand);
    ``undetermined``: why the companions of a plain frame could not be told ("" when they
    could), raised by :meth:`need_events` and :meth:`need_coverage`.

    A companion may be given as a function that reads it: it is read on first use (a command
    that never needs the court events or the price indices never reads them). Treat a
    Collection as read-only; :meth:`replace` makes a changed copy.
    """

    _FIELDS = ("fines", "events", "coverage", "prices", "source", "undetermined")

    def __init__(
        self,
        fines: pd.DataFrame,
        events: pd.DataFrame | Callable[[], pd.DataFrame],
        coverage: pd.DataFrame | None | Callable[[], pd.DataFrame | None] = None,
        prices: pd.DataFrame | None | Callable[[], pd.DataFrame | None] = None,
        source: Source | None = None,
        undetermined: str = "",
    ) -> None:
        self.fines = fines
        self.source = source
        self.undetermined = undetermined
        self._given = {"events": events, "coverage": coverage, "prices": prices}
        self._read: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _companion(self, name: str) -> Any:
        with self._lock:
            if name not in self._read:
                given = self._given[name]
                self._read[name] = given() if callable(given) else given
            return self._read[name]

    @property
    def events(self) -> pd.DataFrame:
        return self._companion("events")

    @property
    def coverage(self) -> pd.DataFrame | None:
        return self._companion("coverage")

    @property
    def prices(self) -> pd.DataFrame | None:
        return self._companion("prices")

    def prices_for(self, real: int | None) -> pd.DataFrame | None:
        """The price indices when a query asks for constant prices (``real``), else None: a
        nominal result never reads them."""
        return self.prices if real is not None else None

    def replace(self, **changes: Any) -> Collection:
        unknown = set(changes) - set(self._FIELDS)
        if unknown:
            raise TypeError(f"unknown Collection fields: {sorted(unknown)}")
        current = {
            "fines": self.fines,
            "source": self.source,
            "undetermined": self.undetermined,
            **{k: self._read.get(k, self._given[k]) for k in ("events", "coverage", "prices")},
        }
        return Collection(**{**current, **changes})

    def __len__(self) -> int:
        return len(self.fines)

    def __repr__(self) -> str:
        where = self.source.path if self.source else "records built by hand"
        return f"Collection({len(self.fines)} records from {where})"

    def need_events(self) -> pd.DataFrame:
        """The court events, or a UsageError saying why they cannot be told."""
        if self.undetermined:
            raise UsageError(self.undetermined + "; pass events= (finestats.load_events)")
        return self.events

    def need_coverage(self) -> pd.DataFrame | None:
        """The declared scope, or a UsageError saying why it cannot be told."""
        if self.undetermined:
            raise UsageError(self.undetermined + "; pass coverage= (finestats.load_coverage)")
        return self.coverage


#: What the counting functions accept: a Collection, or a records frame.
Data = Collection | pd.DataFrame


def load(path: str | os.PathLike[str] | None = None, *, lazy: bool = False) -> Collection:
    """The records at ``path`` (default: :func:`finestats.paths.default_fines_path`) with the
    ``events.csv`` and ``coverage.csv`` beside them and the price indices beside them (else the
    default data folder's), each validated; read once per file content. With ``lazy``, a
    companion is read (and validated) when first used: a command that needs no court events
    or price indices does not read them."""
    p = paths.fines_path(path)
    fines = load_fines(p)
    ev, cov = events_path(p), coverage_path(p)
    c = Collection(
        fines,
        lambda: load_events(ev, fines) if ev.is_file() else empty_events(),
        lambda: load_coverage(cov) if cov.is_file() else None,
        lambda: _prices(p),
        source_of(fines),
    )
    if not lazy:
        _ = c.events, c.coverage, c.prices
    return c


def _prices(fines_path: Path) -> pd.DataFrame | None:
    price_file = paths.reference(fines_path, paths.PRICES_NAME)
    return load_prices(price_file) if price_file.is_file() else None


def resolve(
    data: Data,
    *,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
) -> Collection:
    """``data`` as a Collection: a Collection as it is (with the companions given replacing its
    own); a records frame with the companions given, else those told from its content (see the
    module docstring)."""
    if isinstance(data, Collection):
        out = data
    elif isinstance(data, pd.DataFrame):
        out = _of_frame(data)
    else:
        raise UsageError(
            f"expected fine records (a DataFrame or finestats.load()), not {type(data).__name__}"
        )
    changes: dict[str, Any] = {
        k: v
        for k, v in (("events", events), ("coverage", coverage), ("prices", prices))
        if v is not None
    }
    if events is not None and coverage is not None:
        changes["undetermined"] = ""
    return out.replace(**changes) if changes else out


def _of_frame(df: pd.DataFrame) -> Collection:
    if "fine_id" not in df.columns:
        raise UsageError(
            "expected fine records (finestats.load_fines() or finestats.load()), "
            f"a frame with columns {list(df.columns)[:6]}"
        )
    src = source_of(df)
    default = load(lazy=True)
    foreign = _foreign_companions(src)
    known = df["fine_id"].astype(str).isin(default.fines["fine_id"].astype(str))
    if foreign:
        return Collection(df, empty_events(), None, lambda: default.prices, src, foreign)
    if known.all():
        return Collection(
            df, lambda: default.events, lambda: default.coverage, lambda: default.prices, src
        )
    if known.any():
        why = (
            "these records mix records of the default collection with others, so their court "
            "events and scope cannot be told"
        )
        return Collection(df, empty_events(), None, lambda: default.prices, src, why)
    return Collection(df, empty_events(), None, lambda: default.prices, src)


def _foreign_companions(src: Source | None) -> str:
    """Why a frame read from another data folder with companions of its own is refused ("" if
    it is not)."""
    if src is None or Path(src.path).parent == paths.default_fines_path().parent:
        return ""
    found = [
        name
        for name, present in (
            ("events", events_path(src.path).is_file()),
            ("coverage", coverage_path(src.path).is_file()),
        )
        if present
    ]
    if not found:
        return ""
    return (
        f"these records come from {src.path}, which has its own {' and '.join(found)} beside "
        f"it: use finestats.load({str(src.path)!r})"
    )
