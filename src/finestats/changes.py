"""What changed since the previous report of the same parameters: fines added, changed or removed,
by fine_id, and the effect on the total.

Each report keeps the fines it counted twice: ``counted_fines.csv`` for people (formula-like
text neutralised, amounts to the cent) and ``state.json`` for the next report (the values as
they are). The next report with the same settings compares its own list with that state and
writes ``changes.csv`` (one row per difference) and a summary into its manifest. A state file
that is damaged or was not written by finestats means "no comparison", with a warning.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from finestats.analyses import counted_converted
from finestats.archive import reports_in
from finestats.errors import ReportWarning
from finestats.export import export_csv
from finestats.fileio import write_json
from finestats.formatting import format_amount

COUNTED = "counted_fines.csv"
STATE = "state.json"
CHANGES = "changes.csv"
COMPARED = ("regulator", "defendant", "decision_date", "status", "amount", "currency")
STATE_VERSION = 1


def previous_report(out_dir: Path, currency: str, query: dict[str, Any]) -> Path | None:
    """The newest report of the archive made with the same settings (currency and query)."""
    same = [
        m for m in reports_in(out_dir) if m.get("currency") == currency and m.get("query") == query
    ]
    return out_dir / same[-1]["report"] if same else None


def write_changes(ctx: Any, build: Path, previous: Path | None) -> dict[str, Any]:
    """Write this report's ``counted_fines.csv`` and ``state.json`` and, against ``previous``,
    ``changes.csv``; return the summary for the manifest."""
    cur = ctx.query.currency.lower()
    now = counted_converted(ctx.data, ctx.query, ctx.rates)
    cols = ["fine_id", *COMPARED, f"amount_{cur}"]
    now = now[cols].reset_index(drop=True)
    for c in ("regulator", "status", "currency"):
        now[c] = now[c].astype(str)
    export_csv(now, build / COUNTED)
    write_json(build / STATE, {"version": STATE_VERSION, "amount": cur, "counted": _records(now)})
    total_now = float(now[f"amount_{cur}"].sum())
    before = read_state(previous, cur) if previous is not None else None
    if before is None:
        return {
            "previous": None,
            "added": len(now),
            "changed": 0,
            "removed": 0,
            "total_before": None,
            "total_after": total_now,
        }
    diff = compare(before, now, f"amount_{cur}")
    export_csv(diff, build / CHANGES)
    counts = diff["change"].value_counts()
    return {
        "previous": previous.name,
        "added": int(counts.get("added", 0)),
        "changed": int(counts.get("changed", 0)),
        "removed": int(counts.get("removed", 0)),
        "total_before": float(before[f"amount_{cur}"].sum()),
        "total_after": total_now,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.copy()
    out["decision_date"] = out["decision_date"].dt.strftime("%Y-%m-%d")
    return out.to_dict(orient="records")


def read_state(folder: Path, cur: str) -> pd.DataFrame | None:
    """The counted fines a report kept, or None (with a warning) if its state is missing,
    damaged or not what finestats writes."""
    path = folder / STATE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != STATE_VERSION or doc.get("amount") != cur:
            raise ValueError("not a state of this currency")
        frame = pd.DataFrame(doc["counted"], columns=["fine_id", *COMPARED, f"amount_{cur}"])
        frame["decision_date"] = pd.to_datetime(frame["decision_date"], format="%Y-%m-%d")
        for col in ("amount", f"amount_{cur}"):
            frame[col] = pd.to_numeric(frame[col], errors="raise").astype("float64")
        if frame["fine_id"].duplicated().any() or frame.isna().any().any():
            raise ValueError("duplicate or missing values")
        for col in ("fine_id", "regulator", "defendant", "status", "currency"):
            frame[col] = frame[col].astype(str)
        return frame
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        warnings.warn(
            f"{path}: cannot be compared with ({exc}); this report says what it counts but not "
            "what changed",
            ReportWarning,
            stacklevel=2,
        )
        return None


def compare(before: pd.DataFrame, now: pd.DataFrame, amount_col: str) -> pd.DataFrame:
    """One row per fine added, removed or changed (by fine_id): what changed and the effect on
    the total (``delta``, in the report's currency, to the cent)."""
    b = before.set_index("fine_id")
    n = now.set_index("fine_id")
    rows = []
    for fid in sorted(set(n.index) - set(b.index)):
        rows.append(_row(fid, "added", n.loc[fid], "", n.loc[fid, amount_col]))
    for fid in sorted(set(b.index) - set(n.index)):
        rows.append(_row(fid, "removed", b.loc[fid], "", -b.loc[fid, amount_col]))
    for fid in sorted(set(b.index) & set(n.index)):
        what = [c for c in COMPARED if not _same(b.loc[fid, c], n.loc[fid, c])]
        if what:
            delta = _cents(n.loc[fid, amount_col]) - _cents(b.loc[fid, amount_col])
            rows.append(_row(fid, "changed", n.loc[fid], ", ".join(what), delta))
    columns = ["fine_id", "change", "fields", "regulator", "defendant", "delta"]
    return pd.DataFrame(rows, columns=columns).rename(columns={"delta": f"delta_{amount_col[7:]}"})


def _cents(x: Any) -> float:
    return round(float(x), 2)


def _row(fid: str, change: str, rec: pd.Series, fields: str, delta: float) -> dict[str, Any]:
    return {
        "fine_id": fid,
        "change": change,
        "fields": fields,
        "regulator": str(rec["regulator"]),
        "defendant": str(rec["defendant"]),
        "delta": _cents(delta),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        return pd.Timestamp(a).date() == pd.Timestamp(b).date()
    if isinstance(a, float) or isinstance(b, float):
        try:
            return _cents(a) == _cents(b)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def summary_line(change: dict[str, Any], previous: Path | None) -> str:
    """One line for the terminal: nothing new, or what changed and its effect on the total."""
    if not change.get("previous"):
        return "finestats report: no earlier report of these settings to compare with"
    if not (change["added"] or change["changed"] or change["removed"]):
        return f"finestats report: nothing changed since {change['previous']}"
    return (
        f"finestats report: since {change['previous']}: {change['added']} added, "
        f"{change['changed']} changed, {change['removed']} removed; {effect_text(change)}"
    )


def effect_text(change: dict[str, Any], currency: str = "") -> str:
    """``total +EUR 1.2M``, ``total -EUR 3k`` or ``total unchanged`` (to the cent)."""
    delta = round((change["total_after"] or 0) - (change["total_before"] or 0), 2)
    if delta == 0 or math.isnan(delta):
        return "total unchanged"
    sign = "+" if delta > 0 else "-"
    return f"total {sign}{format_amount(abs(delta), currency)}"
