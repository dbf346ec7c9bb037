"""Court events: ``events.csv``, the court and procedural steps that changed or confirmed the
standing of a fine without setting a new amount.

One row per step: an appeal lodged, dismissed or withdrawn, a fine upheld, set aside, reinstated,
a case remitted, leave to appeal refused. A court outcome that sets a new amount is not an event:
it is a ``reduced``/``annulled`` record in ``fines.csv``. The file lives beside the fines file it
describes; :func:`events_for` finds it from a loaded records frame.

Only two outcomes change what counts (:data:`STANDING`): ``set-aside`` (the fine stops counting
from that date) and ``reinstated`` (it counts again). The others are the fine's history.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from finestats import paths
from finestats.csvtable import Checks, read_cells
from finestats.errors import Problem
from finestats.parsing import strict_dates
from finestats.records import SLUG_RE, source_of

EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "fine_id",
    "date",
    "court",
    "outcome",
    "source_url",
    "notes",
)
OUTCOMES: tuple[str, ...] = (
    "appeal-lodged",
    "appeal-dismissed",
    "appeal-withdrawn",
    "upheld",
    "set-aside",
    "reinstated",
    "remitted",
    "leave-refused",
)
#: Outcomes that change whether a fine counts: False = it stops counting, True = it counts again.
STANDING: dict[str, bool] = {"set-aside": False, "reinstated": True}


def load_events(path: str | os.PathLike[str], fines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load and validate an events file; with ``fines``, also check that each event names a
    record of it and is dated on or after that record's decision date.

    Returns ``event_id``, ``fine_id``, ``court``, ``outcome``, ``source_url``, ``notes`` as text
    and ``date`` as datetime64[ns], in file order. Raises :class:`FineDataError` listing every
    problem as ``FILE:LINE: column 'C' value 'V': expected ...``.
    """
    p = paths.absolute(path)
    cells = read_cells(p, EVENT_COLUMNS, what="court events CSV file")
    frame = cells.frame.apply(lambda s: s.str.strip())
    checks = Checks(cells, {c: i for i, c in enumerate(EVENT_COLUMNS)})
    checks.required([c for c in EVENT_COLUMNS if c != "notes"])
    filled = lambda col: (frame[col] != "").to_numpy(bool)  # noqa: E731
    ids = frame["event_id"]
    checks.flag(
        filled("event_id") & ~ids.str.fullmatch(SLUG_RE.pattern[1:-1]).fillna(False),
        "event_id",
        "a lowercase slug such as ico-2022-clearview-ai-set-aside-2023",
    )
    checks.flag(
        filled("event_id") & ids.duplicated().to_numpy(bool), "event_id", "a unique event_id"
    )
    days, bad = strict_dates(frame["date"])
    checks.flag(bad, "date", "an ISO date (YYYY-MM-DD)")
    checks.flag(
        days > np.datetime64(pd.Timestamp.today().date(), "D"),
        "date",
        "a date that is not in the future",
    )
    checks.flag(
        filled("outcome") & ~frame["outcome"].isin(OUTCOMES).to_numpy(bool),
        "outcome",
        "one of " + ", ".join(OUTCOMES),
    )
    checks.flag(
        filled("source_url") & ~frame["source_url"].str.match(r"https?://").fillna(False),
        "source_url",
        "an http(s) URL of the page that states the step",
    )
    if fines is not None:
        _against_fines(checks, frame, days, fines)
    checks.raise_if_any()
    out = frame.copy()
    out["date"] = days.astype("datetime64[ns]")
    out["notes"] = out["notes"].where(out["notes"] != "")
    return out


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


def events_for(df: pd.DataFrame) -> pd.DataFrame | None:
    """The events beside the file a records frame was loaded from (validated against it), or None
    when the frame was built by hand or there is no events file."""
    src = source_of(df)
    if src is None:
        return None
    path = events_path(src.path)
    try:
        st = path.stat()
    except OSError:
        return None
    return _cached(str(path), st.st_mtime_ns, st.st_size, src.sha256, df)


def _cached(path: str, mtime: int, size: int, fines_sha: str, df: pd.DataFrame) -> pd.DataFrame:
    key = (path, mtime, size, fines_sha)
    hit = _CACHE.get(key)
    if hit is None:
        hit = load_events(path, df)
        _CACHE.clear()
        _CACHE[key] = hit
    return hit


_CACHE: dict[tuple, pd.DataFrame] = {}


def standing_dropped(
    counted: pd.DataFrame, roots: pd.Series, latest_date: pd.Series, events: pd.DataFrame
) -> np.ndarray:
    """Mask of the counted decisions that stand set aside: the last ``set-aside``/``reinstated``
    event on the decision's chain, dated on or after its latest outcome record, is a set-aside.

    ``roots`` maps every record id of a chain to its decision's id; ``latest_date`` is each
    counted decision's latest outcome date (indexed like ``counted``)."""
    steps = events[events["outcome"].isin(list(STANDING))]
    if steps.empty:
        return np.zeros(len(counted), dtype=bool)
    steps = steps.assign(root=steps["fine_id"].map(roots)).dropna(subset=["root"])
    last = steps.sort_values("date", kind="stable").groupby("root").tail(1).set_index("root")
    decision = counted["fine_id"].astype(str)
    step_date = decision.map(last["date"]).to_numpy("datetime64[ns]")
    stands = decision.map(last["outcome"]).map(STANDING).to_numpy(object)
    relevant = ~np.isnat(step_date) & (step_date >= latest_date.to_numpy("datetime64[ns]"))
    return relevant & (stands == False)  # noqa: E712 (object array of True/False/NaN)
