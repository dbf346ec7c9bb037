"""The report: every notebook run by papermill into its own folder of a report archive.

``build_report`` checks every parameter of every notebook once, before any kernel starts (names,
values, the real-terms base year against the currency's price index, a profiled regulator or a
drawn matter against the data), runs the notebooks (``jobs`` at a time, each kernel on this very
interpreter and reused with a fresh namespace: :mod:`finestats.jupyter`), renders each as a
self-contained HTML page with the code hidden, compares the counted fines with the previous
report of the same settings, and writes ``manifest.json``, a workbook of every table and the
report's ``index.html``.

Notebooks numbered ``00`` (``00-explore.ipynb``, the live explorer) are interactive: their
widgets need a person at the controls and keep no state in a saved notebook, so the report never
runs them (:data:`INTERACTIVE_PREFIX`); it keeps its static charts.

A notebook whose selection leaves it nothing to show (no fine in the years asked, no decision
of its matter) is **skipped**, not failed: its page says why in one sentence, and the index and
the manifest list it with the reason. Every notebook receives every selection setting.

Crash safety: the report is built in ``out/.build-<name>-<pid>-*`` and renamed to a new folder
(a rename to a new name is atomic); ``out/latest`` is a symbolic link flipped atomically to the
newest complete report; the archive page ``out/index.html`` is rewritten atomically. A kill at
any moment leaves the previous reports and links intact; the leftovers of killed runs are removed
when the next run starts (:mod:`finestats.archive`). A failed notebook's executed copy is kept in
``out/failed-<name>/``.
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

from finestats import archive, changes, pages, paths
from finestats.coverage import scope_text
from finestats.errors import NothingToShow, ReportError, UsageError
from finestats.fileio import write_json
from finestats.formatting import filters_text, view_text
from finestats.jupyter import KERNEL_NAME, KernelLanes, parameters_source
from finestats.notebook import (
    OWN,
    PATHS,
    Context,
    check_parameters,
    known_parameters,
    nothing_matches,
)
from finestats.rates import rates_keyword
from finestats.workbook import report_workbook

HEADLINE_NAME = "headline.json"
PACKAGES = ("finestats", "pandas", "matplotlib", "papermill", "nbconvert")
#: Parameters the report sets itself, never the user.
RESERVED = ("output_dir",)
SKIPPED = "NothingToShow"
#: Notebooks whose name starts with this are interactive (widgets): the report leaves them out.
INTERACTIVE_PREFIX = "00-"


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
    status: str = "ok"
    reason: str = ""


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
    kernels: KernelLanes | None = None,
) -> Path:
    """Run every notebook into a new folder ``out/<YYYY-MM-DD>-<CURRENCY>[-N]/``; return it.

    Every notebook gets ``currency``, ``output_dir`` and every parameter given (each notebook
    accepts every selection setting; a notebook's own parameter, such as 02's ``regulator``,
    goes to the notebooks that declare it). A parameter no notebook knows is a UsageError, and
    every parameter is checked before any kernel starts. ``keep`` prunes the archive to the
    newest ``keep`` reports. A failing notebook raises :class:`ReportError` naming the notebook
    and the cell; a skipped one is listed with its reason. ``kernels`` (a
    :class:`~finestats.jupyter.KernelLanes` the caller started and shuts down) are used instead
    of new ones: several reports in one process start their kernels once.
    """
    t0 = time.perf_counter()
    if str(out).strip() == "":
        raise UsageError("--out is empty: give a folder for the reports, e.g. --out reports")
    notebooks = _notebooks(Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir())
    cur, params, declared, ctx = _checked_parameters(currency, parameters, notebooks)
    _check_years(ctx)
    out_dir = archive.prepare(paths.absolute(out))  # created once the parameters are good
    with archive.locked(out_dir):
        archive.clean_leftovers(out_dir)
        name = archive.new_name(out_dir, archive.today_base(cur, today))
        build = Path(tempfile.mkdtemp(prefix=f".build-{name}-{os.getpid()}-", dir=out_dir))
        logs = Path(tempfile.mkdtemp(prefix=f".logs-{name}-{os.getpid()}-", dir=out_dir))
    build.chmod(0o755)
    runs = _plan(notebooks, declared, params, cur, build, logs)
    _say(progress, f"finestats report: {len(runs)} notebooks -> {out_dir / name}")
    try:
        _run_all(runs, jobs, progress, build, out_dir / f"failed-{name}", kernels)
        query = ctx.query.as_dict()
        previous = changes.previous_report(out_dir, cur, query)
        change = changes.write_changes(ctx, build, previous)
        manifest = _manifest(name, cur, params, ctx, runs, change, time.perf_counter() - t0)
        manifest["workbook"] = report_workbook(build, manifest).name
        write_json(build / archive.MANIFEST_NAME, manifest)
        pages.write_report_index(build, manifest)
        with archive.locked(out_dir):
            final = out_dir / name
            os.rename(build, final)
            archive.record_name(out_dir, name)
            archive.point_latest(out_dir, name)
            shutil.rmtree(out_dir / f"failed-{name}", ignore_errors=True)
            pages.write_archive_index(out_dir, archive.prune(out_dir, keep))
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    _say(progress, changes.summary_line(change, previous))
    skipped = [r for r in runs if r.status == "skipped"]
    for r in skipped:
        _say(progress, f"finestats report: {r.nb.stem} skipped: {r.reason}")
    _say(progress, f"finestats report: done in {time.perf_counter() - t0:.1f} s: {final}")
    return final


def _notebooks(folder: Path) -> list[Path]:
    """The notebooks a report runs: ``NN-name.ipynb``, in name order, except the interactive
    ones (numbered 00)."""
    found = sorted(
        p
        for p in folder.glob("*.ipynb")
        if re.match(r"\d", p.name) and not p.name.startswith(INTERACTIVE_PREFIX)
    )
    if not found:
        raise UsageError(f"no notebooks (NN-name.ipynb) in {folder}")
    return found


def _checked_parameters(
    currency: str, parameters: dict[str, Any] | None, notebooks: list[Path]
) -> tuple[str, dict[str, Any], dict[str, set[str]], Context]:
    """The report's currency, parameters, the parameters each notebook declares, and the context
    of the report's own selection, every parameter checked (names, values, each notebook's own
    parameters against the data) before any kernel starts; paths resolved once, here."""
    params = dict(parameters or {})
    cur = params.pop("currency", currency)
    for key in RESERVED:
        if key in params:
            raise UsageError(f"{key} is set by the report; pass --out instead")
    declared = {nb.name: declared_parameters(nb) for nb in notebooks}
    everything = known_parameters() - set(RESERVED)
    unknown = sorted(set(params) - everything)
    if unknown:
        raise UsageError(
            f"unknown parameter {', '.join(unknown)}: the notebooks take "
            + ", ".join(sorted(everything))
        )
    for key in ("data_path", "rates_path"):  # resolved once, here: kernels run elsewhere
        value = params.get(key)
        if value is None and key == "data_path":
            params[key] = str(paths.default_fines_path())
        elif isinstance(value, str | os.PathLike) and str(value) and not rates_keyword(value):
            params[key] = str(paths.absolute(value))
    shared = _report_selection(cur, params)
    ctx = check_parameters(**shared, output_dir=None, require_fines=False)
    cur = ctx.query.currency
    for nb in notebooks:  # a notebook's own parameters (02's regulator...), with the shared ones
        own = {k: v for k, v in params.items() if k in OWN and k in declared[nb.name]}
        if own:
            check_parameters(**shared, **own, output_dir=None, require_fines=False)
    return cur, params, declared, ctx


def _check_years(ctx: Any) -> None:
    """Years entirely outside the data are a mistake, not an empty report."""
    years = ctx.query.years
    data_years = ctx.data.fines["year"]
    if years is not None and (years[1] < data_years.min() or years[0] > data_years.max()):
        raise UsageError(nothing_matches(ctx.data, ctx.query))


def declared_parameters(nb_path: Path) -> set[str]:
    """The names the notebook's ``parameters`` cell assigns (read with ``ast``: the cell holds
    plain assignments; papermill is then imported only by the threads that run notebooks)."""
    source = parameters_source(json.loads(nb_path.read_text(encoding="utf-8")))
    try:
        tree = ast.parse(source)
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


def _report_selection(cur: str, params: dict[str, Any]) -> dict[str, Any]:
    """The report's own selection (its headline, archive entry and changes): the shared
    parameters, without the notebooks' own."""
    return {"currency": cur, **{k: v for k, v in params.items() if k not in OWN}}


def _plan(notebooks, declared, params, cur, build: Path, logs: Path) -> list[_Run]:
    runs = []
    paths_given = {p.name for p in PATHS}
    for nb in notebooks:
        names = declared[nb.name]
        nb_params = {
            k: v for k, v in params.items() if k in names or (k not in OWN and k not in paths_given)
        }
        nb_params.update({k: v for k, v in params.items() if k in paths_given and k in names})
        nb_params["currency"] = cur
        work = build / f".work-{nb.stem}"  # its own output folder: attribution, no clobbering
        work.mkdir()
        if "output_dir" in names:
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
    km = None
    try:
        km = lanes.acquire()
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
        if km is not None:
            lanes.release(km)
    return None


def _skipped(exc: BaseException) -> str | None:
    """The reason if ``exc`` is a notebook that stopped with nothing to show."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError) and exc.ename == SKIPPED:
        return " ".join(str(exc.evalue).split())
    if isinstance(exc, NothingToShow):
        return str(exc)
    return None


def _run_all(
    runs: list[_Run],
    jobs: int | None,
    progress: bool,
    build: Path,
    failed_dir: Path,
    kernels: KernelLanes | None = None,
) -> None:
    """Run the notebooks ``jobs`` at a time (one reused kernel per job); as each finishes, move
    its files into ``build`` and render its HTML page. After a failure no new notebook starts;
    the first failure is raised. A notebook with nothing to show is marked skipped."""
    n_jobs = max(1, min(len(runs), jobs or os.cpu_count() or 1))
    failures: list[tuple[_Run, BaseException]] = []
    lanes = kernels or report_kernels(runs[0].log.parent, runs[0].nb.parent)
    if kernels is None:
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
                reason = _skipped(exc) if exc is not None else None
                if exc is not None and reason is None:
                    _say(progress, f"{label} FAILED")
                    failures.append((run, exc))
                    for other in futures:
                        other.cancel()
                    continue
                if reason is not None:
                    run.status, run.reason = "skipped", reason
                if not failures:
                    run.files = _collect(run, build)
                    pages.write_notebook_page(exporter, run.executed, build, run.files)
                    _say(progress, f"{label} {run.status}")
    finally:
        if kernels is None:
            lanes.shutdown()
    if failures:
        run, exc = min(failures, key=lambda f: runs.index(f[0]))
        others = [f[0].nb.name for f in failures if f[0] is not run]
        raise _report_error(run, exc, failed_dir, others)


def report_kernels(log_dir: Path, cwd: Path) -> KernelLanes:
    """Kernels for reports: on this interpreter, with one user folder (``FINESTATS_HOME`` made
    absolute here, so that a relative one means the same folder in the kernels)."""
    env = {**os.environ, paths.HOME_ENV: str(paths.finestats_home())}
    return KernelLanes(log_dir, cwd, env)


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


def _period(ctx: Any) -> str:
    """The period the report covers, in words (its years filter, else the data's span)."""
    q = ctx.query
    verb = "decided" if q.year_of == "decision_date" else "announced"
    if q.years is not None:
        a, b = q.years
        return f"fines {verb} {a}" if a == b else f"fines {verb} {a}-{b}"
    dates = ctx.data.fines["decision_date"]
    return f"decisions of {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"


def _manifest(
    name, cur, params, ctx, runs: list[_Run], change: dict, seconds: float
) -> dict[str, Any]:
    src = ctx.data.source
    head_file = runs[0].executed.parent / HEADLINE_NAME
    head = json.loads(head_file.read_text(encoding="utf-8")) if head_file.is_file() else {}
    return {
        "report": name,
        "date": name[:10],
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "currency": cur,
        "parameters": {"currency": cur, **params},
        "query": ctx.query.as_dict(),
        "filters": filters_text(ctx.query),
        "view": view_text(ctx.query),
        "rate_source": ctx.rates.source,
        "rate_snapshot": getattr(ctx.rates, "snapshot_label", "live"),
        "rate_sha256": getattr(ctx.rates, "sha256", ""),
        "data_file": str(src.path) if src else None,
        "data_sha256": src.sha256 if src else None,
        "n_records": len(ctx.data.fines),
        "n_fines": head.get("n_fines", 0),
        "total": head.get("total", 0.0),
        "scope": head.get("scope") or scope_text(ctx.data.coverage),
        "period": _period(ctx),
        "changes": change,
        "versions": _versions(),
        "python": sys.version.split()[0],
        "duration_s": round(seconds, 2),
        "skipped": [{"notebook": r.nb.name, "reason": r.reason} for r in runs if r.reason],
        "notebooks": [
            {
                "notebook": r.nb.name,
                "title": r.title,
                "executed": r.nb.name,
                "html": f"{r.nb.stem}.html",
                "status": r.status,
                "reason": r.reason,
                "duration_s": round(r.duration, 2),
                "parameters": {k: v for k, v in r.params.items() if k not in RESERVED},
                "files": r.files,
            }
            for r in runs
        ],
    }


def reports_in(out_dir: Path) -> list[dict[str, Any]]:
    """The manifests of the complete reports in an archive folder, oldest first."""
    return archive.reports_in(out_dir)
