"""The portal's PDF documents rendered in a process of their own, beside the worker.

Rendering a receipt with ReportLab is pure-Python CPU work (≈ 20–40 ms a
page): in the backend worker it holds the GIL, so every tab served by that
worker (events, the next deposit's checks) waits behind it, and without
Redis the portal has one worker. Here each worker that calls :func:`start`
(the lifespan task ``tasks.run_pdf_process``) gets one helper process,
started with ``spawn`` (a clean interpreter: no copy of the worker's event
loop, sockets or threads), that imports ReportLab once and renders what it
is sent; the worker only waits for the bytes, off its event loop, while its
GIL serves the others. A second core then does the rendering.

What it renders must be picklable (a frozen dataclass such as
``receipts.Receipt``) and the function a module-level one: the helper runs
the same code as the worker, so the same receipt gives the same bytes.

Whatever happens to the helper the document is still issued: not started
(tests, CLI, the hourly pass of another process), broken (killed, out of
memory) or too slow (:data:`TIMEOUT_SECONDS`), :func:`render` renders in the
caller, and a broken helper is replaced for the next call. The helper
never outlives its worker: it exits as soon as its parent is gone (a
SIGKILLed worker leaves no orphan behind, and the one granian starts in its
place starts its own).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT_SECONDS = 60.0
PARENT_CHECK_SECONDS = 0.5

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)  # the worker is gone: so is its helper


def _helper_started(parent_pid: int) -> None:
    """In the helper: Ctrl-C is its worker's business; exit with the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="pdf-parent-watch").start()


def start() -> None:
    """Start this process's PDF helper (idempotent). It is ready once the first
    :func:`render` returns (``tasks.run_pdf_process`` warms it up)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_helper_started, initargs=(os.getpid(),))


def stop() -> None:
    """Stop the helper (idempotent); later renders run in the caller."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def running() -> bool:
    return _pool is not None


def _replace(broken: ProcessPoolExecutor) -> None:
    """A broken helper is shut down and a new one started (unless stopped meanwhile)."""
    global _pool
    with _lock:
        if _pool is not broken:
            return
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)
    start()


def render(function: Callable[[T], bytes], document: T, *,
           timeout: float = TIMEOUT_SECONDS) -> bytes:
    """``function(document)``, in the helper when it runs, else here. Blocking:
    call it from a thread (``asyncio.to_thread``), never on the event loop."""
    pool = _pool
    if pool is None:
        return function(document)
    try:
        future = pool.submit(function, document)
    except (BrokenProcessPool, RuntimeError) as exc:  # died / shut down meanwhile
        return _in_caller(pool, function, document, exc)
    try:
        return future.result(timeout=timeout)
    except (BrokenProcessPool, FutureTimeout) as exc:
        if isinstance(exc, FutureTimeout):  # stuck: it would block the next ones
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        return _in_caller(pool, function, document, exc)


def _in_caller(pool: ProcessPoolExecutor, function: Callable[[T], bytes], document: T,
               exc: BaseException) -> bytes:
    log.warning("PDF helper unavailable (%s): rendered in the worker", type(exc).__name__)
    _replace(pool)
    return function(document)
