"""What changed since the previous report: fines added, changed or removed, by fine_id, and the
effect on the total.

Each report keeps the fines it counted (``counted_fines.csv``: fine_id, regulator, defendant,
decision date, status, amount as decided and in the report's currency). The next report of the
same currency compares its own list with that one and writes ``changes.csv`` (one row per
difference) and a summary into its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finestats.analyses import counted_converted
from finestats.export import export_csv
from finestats.formatting import format_amount

COUNTED = "counted_fines.csv"
CHANGES = "changes.csv"
COMPARED = ("regulator", "defendant", "decision_date", "status", "amount", "currency")


def previous_report(out_dir: Path, currency: str) -> Path | None:
    """The newest complete report of ``currency`` in an archive folder (with its counted fines)."""
    best: tuple[str, Path] | None = None
    for manifest in out_dir.glob("*/manifest.json"):
        folder = manifest.parent
        if folder.is_symlink() or not (folder / COUNTED).is_file():
            continue
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("currency") == currency:
            key = (meta.get("created", ""), meta.get("report", ""))
            best = max(best, (key, folder), key=lambda t: t[0]) if best else (key, folder)
    return best[1] if best else None


def write_changes(ctx: Any, build: Path, previous: Path | None) -> dict[str, Any]:
    """Write this report's ``counted_fines.csv`` and, against ``previous``, ``changes.csv``;
    return the summary for the manifest."""
    cur = ctx.query.currency.lower()
    now = counted_converted(ctx.df, ctx.query, ctx.rates)
    cols = ["fine_id", *COMPARED, f"amount_{cur}"]
    now = now[cols].reset_index(drop=True)
    for c in ("regulator", "status", "currency"):
        now[c] = now[c].astype(str)
    export_csv(now, build / COUNTED)
    total_now = float(now[f"amount_{cur}"].sum())
    if previous is None:
        return {
            "previous": None,
            "added": len(now),
            "changed": 0,
            "removed": 0,
            "total_before": None,
            "total_after": total_now,
        }
    before = pd.read_csv(previous / COUNTED, dtype={"fine_id": str}, parse_dates=["decision_date"])
    diff = compare(before, now, f"amount_{cur}")
    export_csv(diff, build / CHANGES)
    total_before = float(before[f"amount_{cur}"].sum()) if f"amount_{cur}" in before else None
    counts = diff["change"].value_counts()
    return {
        "previous": previous.name,
        "added": int(counts.get("added", 0)),
        "changed": int(counts.get("changed", 0)),
        "removed": int(counts.get("removed", 0)),
        "total_before": total_before,
        "total_after": total_now,
    }


def compare(before: pd.DataFrame, now: pd.DataFrame, amount_col: str) -> pd.DataFrame:
    """One row per fine added, removed or changed (by fine_id): what changed and the effect on
    the total (``delta``, in the report's currency)."""
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
            delta = n.loc[fid, amount_col] - b.loc[fid, amount_col]
            rows.append(_row(fid, "changed", n.loc[fid], ", ".join(what), delta))
    columns = ["fine_id", "change", "fields", "regulator", "defendant", "delta"]
    return pd.DataFrame(rows, columns=columns).rename(columns={"delta": f"delta_{amount_col[7:]}"})


def _row(fid: str, change: str, rec: pd.Series, fields: str, delta: float) -> dict[str, Any]:
    return {
        "fine_id": fid,
        "change": change,
        "fields": fields,
        "regulator": str(rec["regulator"]),
        "defendant": str(rec["defendant"]),
        "delta": float(delta),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
        try:
            return bool(np.isclose(float(a), float(b), rtol=0, atol=0.005))
        except (TypeError, ValueError):
            return False
    return (
        str(pd.Timestamp(a).date()) == str(pd.Timestamp(b).date())
        if _is_date(a)
        else str(a) == str(b)
    )


def _is_date(v: Any) -> bool:
    return isinstance(v, pd.Timestamp)


def summary_line(change: dict[str, Any], previous: Path | None) -> str:
    """One line for the terminal: nothing new, or what changed and its effect on the total."""
    if previous is None:
        return "finestats report: first report of this currency in the archive"
    if not (change["added"] or change["changed"] or change["removed"]):
        return f"finestats report: nothing changed since {previous.name}"
    delta = (change["total_after"] or 0) - (change["total_before"] or 0)
    return (
        f"finestats report: since {previous.name}: {change['added']} added, {change['changed']} "
        f"changed, {change['removed']} removed; total {'+' if delta >= 0 else '-'}"
        f"{format_amount(abs(delta))}"
    )
