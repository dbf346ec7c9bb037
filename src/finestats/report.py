"""The report: every notebook run by papermill into its own folder of a report archive.

``build_report`` checks the parameters once (before any kernel starts), runs the notebooks
(``jobs`` at a time, in as many kernels on this very interpreter, each reused with a fresh
namespace for the next notebook: :mod:`finestats.kernels`), renders each as a
self-contained HTML page with the code hidden, compares the counted fines with the previous
report of the same currency, and writes ``manifest.json`` and the report's ``index.html``.

Crash safety: the report is built in ``out/.build-<name>-<pid>-*`` and renamed to a new folder
(a rename to a new name is atomic); ``out/latest`` is a symbolic link flipped atomically to the
newest complete report; the archive page ``out/index.html`` is rewritten atomically. A kill at
any moment leaves the previous reports and links intact; the leftovers of killed runs (build
and log folders of processes that no longer run) are removed when the next run starts.
A failed notebook's executed copy is kept in ``out/failed-<name>/``.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from finestats import changes, pages, paths
from finestats.errors import ReportError, UsageError
from finestats.fileio import ensure_dir, os_error, write_json
from finestats.kernels import KERNEL_NAME, KernelLanes, stop_orphans
from finestats.notebook import check_parameters
from finestats.records import source_of

# jsonschema (imported by papermill and nbconvert through nbformat) imports the optional package
# rfc3987_syntax when it is installed, which compiles a grammar at import: 1.3 s of every report
# spent on URI formats that nbformat's schemas never check. Marked absent for this process only.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

INDEX_NAME = "index.html"
MANIFEST_NAME = "manifest.json"
HEADLINE_NAME = "headline.json"
LATEST = "latest"
PACKAGES = ("finestats", "pandas", "matplotlib", "papermill", "nbconvert")
#: Parameters the report sets itself, never the user.
RESERVED = ("output_dir",)


@dataclass
class _Run:
    nb: Path
    executed: Path
    work: Path
    log: Path
    params: dict[str, Any]
    title: str = ""
    duration: float = 0.0
    files: list[str] = field(default_factory=list)


def build_report(
    currency: str = "EUR",
    parameters: dict[str, Any] | None = None,
    out: str | os.PathLike[str] = "reports",
    progress: bool = True,
    *,
    notebooks_dir: str | os.PathLike[str] | None = None,
    today: dt.date | None = None,
    jobs: int | None = None,
    keep: int | None = None,
) -> Path:
    """Run every notebook into a new folder ``out/<YYYY-MM-DD>-<CURRENCY>[-N]/``; return it.

    Each notebook gets ``currency``, ``output_dir`` and those of ``parameters`` it declares; a
    parameter no notebook declares is a UsageError, and every parameter is checked before any
    kernel starts. ``keep`` prunes the archive to the newest ``keep`` reports. A failing
    notebook raises :class:`ReportError` naming the notebook and the cell.
    """
    t0 = time.perf_counter()
    if str(out).strip() == "":
        raise UsageError("--out is empty: give a folder for the reports, e.g. --out reports")
    notebooks = _notebooks(Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir())
    cur, params, declared = _checked_parameters(currency, parameters, notebooks)
    first = declared[notebooks[0].name]
    ctx = check_parameters(**_check_args(cur, params, first), output_dir=None, require_fines=True)
    out_dir = _out_dir(out)  # created only once the parameters are known to be good
    _clean_leftovers(out_dir)
    name = _new_name(out_dir, f"{(today or dt.date.today()).isoformat()}-{cur}")
    build = Path(tempfile.mkdtemp(prefix=f".build-{name}-{os.getpid()}-", dir=out_dir))
    logs = Path(tempfile.mkdtemp(prefix=f".logs-{name}-{os.getpid()}-", dir=out_dir))
    build.chmod(0o755)
    runs = _plan(notebooks, declared, params, cur, build, logs)
    _say(progress, f"finestats report: {len(runs)} notebooks -> {out_dir / name}")
    try:
        _run_all(runs, jobs, progress, build, out_dir / f"failed-{name}")
        previous = changes.previous_report(out_dir, cur)
        change = changes.write_changes(ctx, build, previous)
        manifest = _manifest(name, cur, params, ctx, runs, change, time.perf_counter() - t0)
        write_json(build / MANIFEST_NAME, manifest)
        pages.write_report_index(build, manifest)
        final = out_dir / name
        os.rename(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    _point_latest(out_dir, name)
    shutil.rmtree(out_dir / f"failed-{name}", ignore_errors=True)
    pages.write_archive_index(out_dir, _prune(out_dir, keep))
    _say(progress, changes.summary_line(change, previous))
    _say(progress, f"finestats report: done in {time.perf_counter() - t0:.1f} s: {final}")
    return final


def _out_dir(out: str | os.PathLike[str]) -> Path:
    out_dir = paths.absolute(out)
    ensure_dir(out_dir)
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {out_dir}: permission denied")
    return out_dir


def _notebooks(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.glob("*.ipynb") if re.match(r"\d", p.name))
    if not found:
        raise UsageError(f"no notebooks (NN-name.ipynb) in {folder}")
    return found


def _checked_parameters(
    currency: str, parameters: dict[str, Any] | None, notebooks: list[Path]
) -> tuple[str, dict[str, Any], dict[str, set[str]]]:
    params = dict(parameters or {})
    cur = params.pop("currency", currency)
    if not isinstance(cur, str) or not cur.strip():
        raise UsageError(f"currency={cur!r}: expected an ISO 4217 currency code such as EUR")
    cur = cur.strip().upper()
    for key in RESERVED:
        if key in params:
            raise UsageError(f"{key} is set by the report; pass --out instead")
    declared = {nb.name: declared_parameters(nb) for nb in notebooks}
    everything = sorted(set().union(*declared.values()) - set(RESERVED))
    unknown = sorted(set(params) - set(everything))
    if unknown:
        raise UsageError(
            f"unknown parameter {', '.join(unknown)}: the notebooks declare "
            + ", ".join(everything)
        )
    for key in ("data_path", "rates_path"):  # resolved once, here: kernels run elsewhere
        value = params.get(key)
        if value is None and key == "data_path":
            params[key] = str(paths.default_fines_path())
        elif isinstance(value, str | os.PathLike) and str(value) not in ("", "forex", "bundled"):
            params[key] = str(paths.absolute(value))
    return cur, params, declared


def declared_parameters(nb_path: Path) -> set[str]:
    """The names the notebook's ``parameters`` cell assigns (read with ``ast``: the cell holds
    plain assignments; papermill is then imported only by the threads that run notebooks)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse("".join(cell.get("source", "")))
            except SyntaxError as exc:
                raise UsageError(
                    f"{nb_path.name}: the parameters cell is not valid Python ({exc.msg})"
                ) from None
            return {
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            }
    return set()


def _check_args(cur: str, params: dict[str, Any], first: set[str]) -> dict[str, Any]:
    """The report's own selection (its headline, archive entry and changes): the parameters of
    the first notebook, the totals."""
    return {
        "currency": cur,
        **{k: v for k, v in params.items() if k in first and k not in RESERVED},
    }


def _clean_leftovers(out_dir: Path) -> None:
    """Remove build and log folders of runs whose process is gone (killed runs), after stopping
    any kernel such a run left behind (kernels would otherwise keep writing into its folder)."""
    dead = []
    for p in out_dir.glob(".[bl][uo][ig][ls]*-*"):
        m = re.match(r"\.(build|logs)-.+-(\d+)-[^-]+$", p.name)
        if p.is_dir() and m and not _alive(int(m.group(2))):
            dead.append((m.group(1), int(m.group(2)), p))
    for kind, pid, p in sorted(dead, key=lambda t: t[0] != "logs"):  # kernels first
        if kind == "logs":
            stop_orphans(p, pid)
    for _, _, p in dead:
        _remove_tree(p)
    for p in out_dir.glob(f".{LATEST}.*"):  # a link made but not yet flipped
        p.unlink(missing_ok=True)


def _remove_tree(path: Path, attempts: int = 50) -> None:
    """``rmtree`` that retries while a dying process still adds files (each try is short)."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.02)


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


def _new_name(out_dir: Path, base: str) -> str:
    name, n = base, 1
    while (out_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _plan(notebooks, declared, params, cur, build: Path, logs: Path) -> list[_Run]:
    runs = []
    for nb in notebooks:
        nb_params = {k: v for k, v in params.items() if k in declared[nb.name]}
        if "currency" in declared[nb.name]:
            nb_params["currency"] = cur
        work = build / f".work-{nb.stem}"  # its own output folder: attribution, no clobbering
        work.mkdir()
        if "output_dir" in declared[nb.name]:
            nb_params["output_dir"] = str(work)
        runs.append(
            _Run(
                nb,
                build / nb.name,
                work,
                logs / f"{nb.stem}.log",
                nb_params,
                pages.notebook_title(nb),
            )
        )
    return runs


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def _execute(run: _Run, lanes: KernelLanes) -> BaseException | None:
    """Run one notebook in this thread's kernel; return the exception, if any."""
    import papermill as pm

    t0 = time.perf_counter()
    try:
        km = lanes.kernel()
        run.log = lanes.log_of(km) or run.log
        pm.execute_notebook(
            str(run.nb),
            str(run.executed),
            parameters=run.params,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            request_save_on_cell_execute=False,  # one write at the end, not two per cell
            log_output=False,
            km=km,
        )
    except Exception as exc:
        return exc
    finally:
        run.duration = time.perf_counter() - t0
    return None


def _run_all(
    runs: list[_Run], jobs: int | None, progress: bool, build: Path, failed_dir: Path
) -> None:
    """Run the notebooks ``jobs`` at a time (one reused kernel per job); as each finishes, move
    its files into ``build`` and render its HTML page. After a failure no new notebook starts;
    the first failure is raised."""
    n_jobs = max(1, min(len(runs), jobs or os.cpu_count() or 1))
    failures: list[tuple[_Run, BaseException]] = []
    lanes = KernelLanes(runs[0].log.parent, runs[0].nb.parent)
    lanes.start(n_jobs)  # they boot while papermill and nbconvert are imported
    # The notebooks with most charts first, so that no lane is left with a long one at the end.
    order = sorted(runs, key=lambda r: -r.nb.read_text(encoding="utf-8").count("save_figure("))
    try:
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="finestats-nb") as pool:
            futures = {pool.submit(_execute, run, lanes): run for run in order}
            exporter = pages.html_exporter()  # built while the first kernels start
            for done, fut in enumerate(as_completed(futures), 1):
                run = futures[fut]
                if fut.cancelled():
                    continue
                exc = fut.result()
                label = f"  [{done}/{len(runs)}] {run.nb.stem} ({run.duration:.1f} s)"
                if exc is not None:
                    _say(progress, f"{label} FAILED")
                    failures.append((run, exc))
                    for other in futures:
                        other.cancel()
                    continue
                if not failures:
                    run.files = _collect(run, build)
                    pages.write_notebook_page(exporter, run.executed, build / f"{run.nb.stem}.html")
                    _say(progress, f"{label} ok")
    finally:
        lanes.shutdown()
    if failures:
        run, exc = min(failures, key=lambda f: runs.index(f[0]))
        others = [f[0].nb.name for f in failures if f[0] is not run]
        raise _report_error(run, exc, failed_dir, others)


def _collect(run: _Run, build: Path) -> list[str]:
    """Move what a notebook wrote into the report folder, in name order."""
    files = sorted(p for p in run.work.iterdir() if not p.name.startswith("."))
    for p in files:
        if (build / p.name).exists():
            raise UsageError(f"{run.nb.name} writes {p.name}, which another notebook also writes")
        os.replace(p, build / p.name)
    shutil.rmtree(run.work, ignore_errors=True)
    return [p.name for p in files]


def _keep_failed(run: _Run, failed_dir: Path, with_log: bool) -> Path | None:
    shutil.rmtree(failed_dir, ignore_errors=True)
    failed_dir.mkdir(parents=True, exist_ok=True)
    if with_log and run.log.is_file() and run.log.stat().st_size:
        shutil.move(str(run.log), failed_dir / f"{run.executed.stem}.kernel.log")
    if not run.executed.exists():
        return None
    target = failed_dir / run.executed.name
    shutil.move(str(run.executed), target)
    return target


def _report_error(
    run: _Run, exc: BaseException, failed_dir: Path, others: list[str]
) -> ReportError:
    from papermill.exceptions import PapermillExecutionError

    more = f" (also failed: {', '.join(others)})" if others else ""
    if isinstance(exc, PapermillExecutionError):
        kept = _keep_failed(run, failed_dir, with_log=False)
        return ReportError(
            run.nb.name,
            cell_index=exc.cell_index,
            exec_count=exc.exec_count,
            ename=exc.ename,
            evalue=exc.evalue + more,
            kept=kept,
        )
    kept = _keep_failed(run, failed_dir, with_log=True)
    err = ReportError(run.nb.name, ename=type(exc).__name__, evalue=str(exc) + more, kept=kept)
    err.__cause__ = exc
    return err


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _manifest(
    name, cur, params, ctx, runs: list[_Run], change: dict, seconds: float
) -> dict[str, Any]:
    src = source_of(ctx.df)
    head_file = runs[0].executed.parent / HEADLINE_NAME
    head = json.loads(head_file.read_text(encoding="utf-8")) if head_file.is_file() else {}
    return {
        "report": name,
        "date": name[:10],
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "currency": cur,
        "parameters": {"currency": cur, **params},
        "query": ctx.query.as_dict(),
        "rate_source": ctx.rates.source,
        "rate_snapshot": getattr(ctx.rates, "snapshot_label", "live"),
        "rate_sha256": getattr(ctx.rates, "sha256", ""),
        "data_file": str(src.path) if src else None,
        "data_sha256": src.sha256 if src else None,
        "n_fines": head.get("n_fines"),
        "total": head.get("total"),
        "scope": head.get("scope"),
        "changes": change,
        "versions": _versions(),
        "python": sys.version.split()[0],
        "duration_s": round(seconds, 2),
        "notebooks": [
            {
                "notebook": r.nb.name,
                "title": r.title,
                "executed": r.nb.name,
                "html": f"{r.nb.stem}.html",
                "status": "ok",
                "duration_s": round(r.duration, 2),
                "parameters": {k: v for k, v in r.params.items() if k not in RESERVED},
                "files": r.files,
            }
            for r in runs
        ],
    }


def _point_latest(out_dir: Path, name: str) -> None:
    """Flip ``out/latest`` to ``name`` atomically (a new link renamed over the old one)."""
    tmp = out_dir / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(name, tmp, target_is_directory=True)
        os.replace(tmp, out_dir / LATEST)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(out_dir / LATEST, exc, "update the link") from None


def reports_in(out_dir: Path) -> list[dict[str, Any]]:
    """The manifests of the complete reports in an archive folder, oldest first."""
    found = []
    for manifest in out_dir.glob(f"*/{MANIFEST_NAME}"):
        folder = manifest.parent
        if folder.is_symlink() or folder.name.startswith((".", "failed-")):
            continue
        try:
            found.append(json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(found, key=lambda m: (m.get("created", ""), m.get("report", "")))


def _prune(out_dir: Path, keep: int | None) -> list[dict[str, Any]]:
    """Remove all but the newest ``keep`` reports (the one ``latest`` points to is always kept);
    return the manifests of those that remain."""
    found = reports_in(out_dir)
    if keep is None or len(found) <= keep:
        return found
    if keep < 1:
        raise UsageError(f"--keep {keep}: expected 1 or more")
    latest = os.readlink(out_dir / LATEST) if (out_dir / LATEST).is_symlink() else None
    for m in found[: len(found) - keep]:
        if m["report"] != latest:
            shutil.rmtree(out_dir / m["report"], ignore_errors=True)
    return reports_in(out_dir)


def data_frame_of(report: Path, name: str) -> pd.DataFrame:
    """A CSV a report wrote, read back (for comparisons and tests)."""
    return pd.read_csv(report / name)
