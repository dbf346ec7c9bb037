"""The kernels the report runs its notebooks in.

Every kernel runs on this very interpreter (no kernelspec lookup: a user's own ``python3``
kernelspec, or an older installed finestats, can never be picked instead) and writes its own
output to a log file, not the terminal.

:class:`KernelLanes` keeps one kernel per worker thread and reuses it for the notebooks that
thread runs: a kernel start and the heavy imports (pandas, matplotlib) are paid once per lane,
not once per notebook. Before each notebook the kernel's user namespace is reset, so that no
notebook can use a name another one defined; what stays is the imported modules.

jupyter_client is imported inside the functions (it is only needed to build a report).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

KERNEL_NAME = "finestats"
DISPLAY_NAME = "Python 3 (finestats)"
RESET = "get_ipython().reset(new_session=False)"


def kernel_manager_class(log_path: Path) -> type:
    """An AsyncKernelManager class that starts the kernel on ``sys.executable`` and sends its
    stdout and stderr to ``log_path``."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=DISPLAY_NAME,
        language="python",
        name=KERNEL_NAME,
    )

    class FinestatsKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return spec

        async def _async_start_kernel(self, **kw: Any) -> None:
            with open(log_path, "ab") as log:  # the kernel keeps its own descriptor
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_start_kernel(**kw)

        start_kernel = _async_start_kernel

    return FinestatsKernelManager


class KernelLanes:
    """One kernel per thread, reset before each later use. :meth:`start` launches kernels ahead
    of need (they boot while the caller imports and prepares); a thread takes one of those, or
    starts its own."""

    def __init__(self, log_dir: Path, cwd: Path) -> None:
        self._log_dir, self._cwd = log_dir, cwd
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []
        self._ready: list[Any] = []

    def start(self, n: int) -> None:
        """Launch ``n`` kernels now, without waiting for them to be ready."""
        for _ in range(n):
            self._ready.append(self._launch())

    def _launch(self) -> Any:
        from nbclient.util import run_sync

        with self._lock:
            n = len(self._all)
            km = kernel_manager_class(self._log_dir / f"kernel-{n}.log")(kernel_name=KERNEL_NAME)
            self._all.append(km)
        run_sync(km.start_kernel)(cwd=str(self._cwd))
        return km

    def kernel(self) -> Any:
        """This thread's kernel manager, with a started kernel and an empty user namespace."""
        from nbclient.util import run_sync

        km = getattr(self._local, "km", None)
        if km is not None and run_sync(km.is_alive)():
            run_sync(_reset)(km)
            return km
        with self._lock:
            km = self._ready.pop(0) if self._ready else None
        self._local.km = km if km is not None else self._launch()
        return self._local.km

    def log_of(self, km: Any) -> Path | None:
        """The log file of a kernel this object started."""
        with self._lock:
            return self._log_dir / f"kernel-{self._all.index(km)}.log" if km in self._all else None

    def shutdown(self) -> None:
        """Stop every kernel (called once, after the last notebook)."""
        from nbclient.util import run_sync

        for km in self._all:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a kernel that already died needs no stopping
                pass


async def _reset(km: Any) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        reply = await kc.execute_interactive(RESET, timeout=60, store_history=False)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not reset the kernel: {reply['content']}")
    finally:
        kc.stop_channels()
