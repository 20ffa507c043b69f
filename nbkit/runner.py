"""Execute notebooks headless from a fresh kernel, timing them and tracking memory.

Used by ``python -m nbkit run``. Executed copies go to ``build/executed/``
(git-ignored), so the notebooks in the repo stay without outputs.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import config

BUILD_DIR = Path("build") / "executed"


@dataclass
class RunResult:
    """How one notebook ran: ``ok``, wall time (s), peak kernel memory (MiB), error text."""

    notebook: str
    scale: str
    ok: bool
    wall_s: float
    peak_mib: float
    error: str = ""
    executed: str = ""


class _PeakMemory:
    """Samples the resident memory of this process's children (the kernel) every 0.2 s."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self._me = psutil.Process(os.getpid())
        self._interval = interval
        self._stop = threading.Event()
        self.peak_bytes = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for child in self._me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self._interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


#: Seconds to wait for a cell's ``execute_reply`` after the kernel has already reported the cell idle.
LOST_REPLY_GRACE = 15.0


def _robust_client_class():
    """nbclient's ``NotebookClient``, made robust to a lost ``execute_reply``.

    With ipykernel 7, a cell that displays a widget now and then never gets its
    reply on the shell channel although the kernel has finished it and said so
    on IOPub (nbclient#312, ipykernel#1554): plain nbclient then waits for the
    whole cell timeout (30 min) and fails. Here, once IOPub has reported the
    cell idle, the reply gets ``LOST_REPLY_GRACE`` more seconds; after that the
    cell counts as done, its status read from its outputs (an error output
    makes it an error, as the reply would have).
    """
    import asyncio

    from nbclient import NotebookClient

    class RobustNotebookClient(NotebookClient):
        lost_reply_grace = LOST_REPLY_GRACE

        async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
            reply = asyncio.ensure_future(super()._async_poll_for_reply(
                msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive))
            try:
                while not reply.done():
                    await asyncio.wait({reply}, timeout=1.0)
                    if not reply.done() and task_poll_output_msg.done():
                        await asyncio.wait({reply}, timeout=self.lost_reply_grace)
                        if not reply.done():
                            return self._reply_from_outputs(msg_id, cell, task_poll_kernel_alive)
                return reply.result()
            finally:
                if not reply.done():
                    reply.cancel()

        def _reply_from_outputs(self, msg_id, cell, task_poll_kernel_alive):
            task_poll_kernel_alive.cancel()
            self.log.warning("no execute_reply %.0f s after the cell went idle: taking it as done", self.lost_reply_grace)
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            content = {"status": "error" if errors else "ok", "execution_count": cell.get("execution_count")}
            if errors:
                content.update(ename=errors[0].get("ename", ""), evalue=errors[0].get("evalue", ""),
                               traceback=errors[0].get("traceback", []))
            return {"parent_header": {"msg_id": msg_id}, "header": {"msg_type": "execute_reply"},
                    "metadata": {}, "content": content}

    return RobustNotebookClient


def run_notebook(path: str | Path, scale: str | None = None, timeout: int = 1800,
                 out_dir: str | Path = BUILD_DIR) -> RunResult:
    """Run one notebook top to bottom in a fresh kernel at a scale profile.

    path: an ``.ipynb`` file. scale: ``smoke|default|full`` (None: the active
    one). timeout: seconds allowed per cell. Returns a ``RunResult``; a failing
    cell gives ``ok=False`` with the error's last lines, it does not raise.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"{path} is not a notebook file (.ipynb); give a path like notebooks/00_start_here.ipynb")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds per cell, got {timeout!r}")
    scale = config.set_scale(scale) if scale is not None else config.scale()
    nb = nbformat.read(path, as_version=4)
    client = _robust_client_class()(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    error = ""
    start = time.perf_counter()
    with _PeakMemory() as memory:
        try:
            client.execute()
        except CellExecutionError as exc:
            error = "\n".join(str(exc).strip().splitlines()[-6:])
        except Exception as exc:  # noqa: BLE001 - a dead kernel or a timeout is a failed run, said plainly
            error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    out = Path(out_dir) / scale
    out.mkdir(parents=True, exist_ok=True)
    executed = out / path.name
    nbformat.write(nb, executed)
    return RunResult(str(path), scale, not error, wall, memory.peak_bytes / 2**20, error, str(executed))
