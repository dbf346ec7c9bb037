"""The Jupyter plumbing: the kernels a report runs its notebooks in, and notebooks kept clean.

Kernels: every kernel runs on this very interpreter (no kernelspec lookup: a user's own
``python3`` kernelspec, or an older installed finestats, can never be picked instead), writes its
own output to a log file, and dies with the report that started it: it watches its parent every
20 ms, and a later run stops the kernels a killed run left (their process ids are in its log
folder). :class:`KernelLanes` keeps one kernel per worker thread and reuses it, its user
namespace reset before each notebook.

Notebooks: committed without outputs (:func:`stripped`, the server's save hook, ``make
strip``), with their ``parameters`` cell generated from the declarations
(:func:`finestats.notebook.parameters_cell`; ``make notebooks``).

``python -m finestats.jupyter strip FILE...`` strips notebooks; ``... params FILE...`` rewrites
their parameters cells.
jupyter_client is imported inside the functions (it is only needed to build a report).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finestats.fileio import atomic_write_text
from finestats.notebook import OWN, parameters_cell

KERNEL_NAME = "finestats"
DISPLAY_NAME = "Python 3 (finestats)"
RESET = "get_ipython().reset(new_session=False)"


def kernel_manager_class() -> type:
    """An AsyncKernelManager class whose kernel runs on ``sys.executable`` (:data:`KERNEL_MAIN`)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[sys.executable, "-c", KERNEL_MAIN, "-f", "{connection_file}"],
        display_name=DISPLAY_NAME,
        language="python",
        name=KERNEL_NAME,
    )

    class FinestatsKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return spec

        def client(self, **kwargs: Any) -> Any:
            """A client of the kernel, remembered so that :meth:`close_clients` stops it:
            papermill leaves running the client of a kernel it was given (its sockets, zmq
            context and heartbeat thread: about 12 file descriptors a notebook)."""
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_finestats_clients", []).append(kc)
            return kc

        def close_clients(self) -> None:
            clients = self.__dict__.get("_finestats_clients", [])
            while clients:
                clients.pop().stop_channels()

    return FinestatsKernelManager


class KernelLanes:
    """A pool of kernels, each reset before it runs another notebook. :meth:`start` launches
    kernels ahead of need (they boot while the caller imports and prepares); :meth:`acquire`
    takes a free one (or launches one) and :meth:`release` gives it back, so that several
    notebooks, and several reports in one process, share kernels."""

    def __init__(self, log_dir: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        self._log_dir, self._cwd = log_dir, cwd
        self._env = dict(os.environ if env is None else env)
        self._lock = threading.Lock()
        self._all: list[Any] = []
        self._free: list[Any] = []
        self._used: set[int] = set()
        self._sockets: str | None = None  # where the kernels' sockets are named (see _launch)
        self._folder: Path | None = None  # a folder made for them, removed by shutdown

    def start(self, n: int) -> None:
        """Launch ``n`` kernels now, without waiting for them to be ready."""
        for _ in range(n):
            km = self._launch()
            with self._lock:
                self._free.append(km)

    def _launch(self) -> Any:
        from nbclient.util import run_sync

        with self._lock:
            n = len(self._all)
            if self._sockets is None:
                self._sockets = self._socket_prefix()
            # Unix sockets, not TCP: a TCP port is picked free here and bound by the kernel a
            # moment later, and another process (a second report, a browser) can take it in
            # between ("Address already in use": the kernel dies before it ever replies).
            km = kernel_manager_class()(
                kernel_name=KERNEL_NAME, transport="ipc", ip=f"{self._sockets}-{n}"
            )
            self._all.append(km)
        with open(self._log_dir / f"kernel-{n}.log", "ab") as log:  # the kernel keeps its own
            run_sync(km.start_kernel)(cwd=str(self._cwd), stdout=log, stderr=log, env=self._env)
        record_kernel(self._log_dir, km)
        return km

    def _socket_prefix(self) -> str:
        """Linux: names in the abstract socket namespace (``@finestats-PID-RANDOM``), no file
        at all, gone with the kernels even when the report is killed. Elsewhere: files in a
        folder made for them (:meth:`shutdown` removes it)."""
        if sys.platform.startswith("linux"):
            return f"@finestats-{os.getpid()}-{secrets.token_hex(6)}"
        self._folder = Path(tempfile.mkdtemp(prefix="finestats-kernels-"))
        return str(self._folder / "kernel")

    def acquire(self) -> Any:
        """A kernel manager with a started kernel and an empty user namespace."""
        from nbclient.util import run_sync

        while True:
            with self._lock:
                km = self._free.pop(0) if self._free else None
            if km is None:
                return self._launch()
            if id(km) not in self._used:
                return km  # fresh: nothing to reset
            if run_sync(km.is_alive)():
                run_sync(_reset)(km)
                return km
            # a kernel that died is dropped; take (or launch) another

    def release(self, km: Any) -> None:
        """Give a kernel back for the next notebook (the clients the last one used stopped)."""
        km.close_clients()
        with self._lock:
            self._used.add(id(km))
            self._free.append(km)

    def log_of(self, km: Any) -> Path | None:
        """The log file of a kernel this object started."""
        with self._lock:
            return self._log_dir / f"kernel-{self._all.index(km)}.log" if km in self._all else None

    def shutdown(self) -> None:
        """Stop every kernel (called once, after the last notebook)."""
        from nbclient.util import run_sync

        for km in self._all:
            km.close_clients()
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a kernel that already died needs no stopping
                pass
        if self._folder is not None:  # made by mkdtemp for these kernels alone
            shutil.rmtree(self._folder, ignore_errors=True)


async def _reset(km: Any) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        reply = await kc.execute_interactive(RESET, timeout=60, store_history=False)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not reset the kernel: {reply['content']}")
    finally:
        kc.stop_channels()


#: The file, in a report's log folder, that lists the process ids of the kernels it started.
KERNEL_PIDS = "kernels.pid"
#: How often a kernel checks that the report that started it still runs (seconds).
PARENT_POLL = 0.02


def record_kernel(log_dir: Path, km: Any) -> None:
    """Append the kernel's process id to the log folder's :data:`KERNEL_PIDS`, so that a later
    run can stop the kernels of a report that was killed before it could."""
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if pid:
        with open(log_dir / KERNEL_PIDS, "a", encoding="ascii") as fh:
            fh.write(f"{pid}\n")


def stop_orphans(log_dir: Path, report_pid: int, timeout: float = 5.0) -> None:
    """Stop the kernels listed in a killed report's log folder that still run: only processes
    started by that report (their environment names it as the parent), then wait for them."""
    try:
        pids = [int(x) for x in (log_dir / KERNEL_PIDS).read_text().split() if x.isdigit()]
    except OSError:
        return
    mine = [p for p in pids if _started_by(p, report_pid)]
    for pid in mine:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while any(_running(p) for p in mine) and time.monotonic() < deadline:
        time.sleep(0.01)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _started_by(pid: int, parent: int) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = fh.read().split(b"\0")
    except OSError:
        return False
    return f"JPY_PARENT_PID={parent}".encode() in env


#: What a report's kernel runs (``python -c KERNEL_MAIN -f CONNECTION_FILE``): what
#: ``ipykernel_launcher`` runs, plus a watch that exits at once when the report that started it
#: is gone (ipykernel's own check runs once a second), so that no kernel outlives its report.
#: Plain Python, so that a kernel imports nothing of finestats before its notebook does.
KERNEL_MAIN = f"""
import os, sys, threading, time
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
parent = int(os.environ.get("JPY_PARENT_PID") or 0)
if parent:
    if os.getppid() != parent:
        os._exit(1)
    def watch():
        while os.getppid() == parent:
            time.sleep({PARENT_POLL})
        os._exit(1)
    threading.Thread(target=watch, name="finestats-parent-watch", daemon=True).start()
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


# --------------------------------------------------------------------------------------------
# Keeping committed notebooks clean


def stripped(nb: dict[str, Any]) -> dict[str, Any]:
    """A notebook without outputs, execution counts, per-cell UI state (tags and ids kept) or
    saved widget state (``metadata.widgets``: the explorer's widgets live in the kernel only)."""
    meta = nb.get("metadata")
    if isinstance(meta, dict):
        meta.pop("widgets", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        cell["metadata"] = {k: v for k, v in meta.items() if k == "tags"}
    return nb


def notebook_text(nb: dict[str, Any]) -> str:
    """The JSON text JupyterLab (nbformat) writes: one-space indent, sorted keys, final newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def strip_outputs_hook(model: dict[str, Any], **_: Any) -> None:
    """A Jupyter server ``pre_save_hook``: notebooks are saved without outputs, so that an
    autosave never puts outputs into a tracked file (the browser keeps showing them)."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        stripped(model["content"])


def parameters_source(nb: dict[str, Any]) -> str:
    """The source of a notebook's ``parameters`` cell ("" if it has none)."""
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell.get("source", ""))
    return ""


def with_parameters(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook with its parameters cell generated from the declarations, keeping the
    notebook's own parameters (:data:`finestats.notebook.OWN`) that it declares."""
    source = parameters_source(nb)
    own = [
        name
        for name in OWN
        if any(
            line.startswith(f"{name}:") or line.startswith(f"{name} ")
            for line in source.splitlines()
        )
    ]
    text = parameters_cell(own)
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = text.splitlines(keepends=True)
    return nb


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m finestats.jupyter strip|params FILE...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("strip", "params"):
        print("usage: python -m finestats.jupyter strip|params NOTEBOOK.ipynb...", file=sys.stderr)
        return 2
    for name in args[1:]:
        path = Path(name)
        before = path.read_text(encoding="utf-8")
        nb = json.loads(before)
        nb = stripped(nb) if args[0] == "strip" else with_parameters(nb)
        text = notebook_text(nb)
        if text != before:
            atomic_write_text(path, text)
            print(f"{'stripped' if args[0] == 'strip' else 'parameters of'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
