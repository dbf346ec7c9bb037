"""Court events: ``events.csv``, the court and procedural steps that changed or confirmed the
standing of a fine without setting a new amount.

One row per step: an appeal lodged, dismissed or withdrawn, a fine upheld, set aside, reinstated,
a case remitted, leave to appeal refused. A court outcome that sets a new amount is not an event:
it is a ``reduced``/``annulled`` record in ``fines.csv``. The file lives beside the fines file it
describes, and is validated against it.

Only two outcomes change what counts (:data:`STANDING`): ``set-aside`` (the record the event
names stops standing: what it replaced stands again, or nothing if it was the decision itself)
and ``reinstated`` (it stands again). The others are the fine's history.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.csvtable import Checks, check_declared, read_cells, stripped_cells
from finestats.errors import Problem
from finestats.fileio import CACHE
from finestats.schema import EVENTS, OUTCOMES, names

EVENT_COLUMNS: tuple[str, ...] = names(EVENTS)
#: Outcomes that change whether a record stands: False = it stops, True = it stands again.
STANDING: dict[str, bool] = {"set-aside": False, "reinstated": True}

__all__ = ["EVENT_COLUMNS", "OUTCOMES", "STANDING", "empty_events", "events_path", "load_events"]


def load_events(path: str | os.PathLike[str], fines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load and validate an events file; with ``fines`` (the records of the fines file beside
    it), also check that each event names one of its records, is dated on or after that record's
    decision date, and does not contradict another event.

    Returns ``event_id``, ``fine_id``, ``court``, ``outcome``, ``source_url``, ``notes`` as text
    and ``date`` as datetime64[ns], in file order. Raises :class:`FineDataError` listing every
    problem as ``FILE:LINE: column 'C' value 'V': expected ...``. Read once per file content.
    """
    p = paths.absolute(path)
    key = ()  # the events are checked against the records' ids and decision dates
    if fines is not None:
        days = pd.to_datetime(fines["decision_date"]).to_numpy("datetime64[ns]").view("int64")
        key = (tuple(fines["fine_id"].astype(str)), tuple(days.tolist()))
    return CACHE.get([p], lambda: _load(p, fines), "events", key)


def _load(p: Path, fines: pd.DataFrame | None) -> pd.DataFrame:
    cells = read_cells(p, EVENT_COLUMNS, what="court events CSV file")
    frame = stripped_cells(cells)
    checks = Checks(cells, {c: i for i, c in enumerate(EVENT_COLUMNS)})
    days = check_declared(checks, frame, EVENTS)["date"]
    checks.flag(
        (frame["event_id"] != "").to_numpy(bool) & frame["event_id"].duplicated().to_numpy(bool),
        "event_id",
        "a unique event_id",
    )
    same = ["fine_id", "date", "court", "outcome"]
    checks.flag(
        frame.duplicated(same).to_numpy(bool),
        "outcome",
        "one row per court step (the same step is already listed under another event_id)",
    )
    _contradictions(checks, frame)
    if fines is not None:
        _against_fines(checks, frame, days, fines)
    checks.raise_if_any()
    out = frame.copy()
    out["date"] = days.astype("datetime64[ns]")
    out["notes"] = out["notes"].where(out["notes"] != "")
    return out


def _contradictions(checks: Checks, frame: pd.DataFrame) -> None:
    """A set-aside and a reinstatement of one record on one day: which stands cannot be told."""
    standing = frame[frame["outcome"].isin(list(STANDING))]
    kinds = standing.groupby(["fine_id", "date"])["outcome"].transform("nunique")
    clash = np.zeros(len(frame), dtype=bool)
    clash[frame.index.get_indexer(standing.index[(kinds > 1).to_numpy(bool)])] = True
    checks.flag(
        clash,
        "outcome",
        "one standing outcome per record and day (set-aside and reinstated on the same day)",
    )


def _against_fines(checks: Checks, frame: pd.DataFrame, days: np.ndarray, fines: pd.DataFrame):
    decided = pd.Series(fines["decision_date"].to_numpy(), index=fines["fine_id"].astype(str))
    decided = decided[~decided.index.duplicated()]
    known = frame["fine_id"].isin(decided.index).to_numpy(bool)
    checks.flag(
        (frame["fine_id"] != "").to_numpy(bool) & ~known,
        "fine_id",
        "the fine_id of a record in the fines file beside it",
    )
    when = frame["fine_id"].map(decided).to_numpy("datetime64[D]")
    early = known & ~np.isnat(days) & (days < when)
    for i in np.flatnonzero(early):
        checks.add(
            Problem(
                checks.cells.path,
                int(checks.cells.lines[i]),
                "date",
                frame["date"].iat[i],
                f"a date on or after the decision it concerns ({when[i]})",
            )
        )


def events_path(fines_path: str | os.PathLike[str]) -> Path:
    """Where the events of a fines file are: ``events.csv`` beside it."""
    return paths.companion(fines_path, paths.EVENTS_NAME)


def empty_events() -> pd.DataFrame:
    """An events frame with no rows (a collection without an events file)."""
    out = pd.DataFrame({c: pd.Series(dtype="str") for c in EVENT_COLUMNS})
    out["date"] = pd.Series(dtype="datetime64[ns]")
    return out
