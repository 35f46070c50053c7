"""The PDF helper process: same bytes as in the worker, survives its own death and
slowness (the document is still issued), never outlives its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from segur_app.domain import pdf_process, receipts

ROOT = Path(__file__).resolve().parents[1]


def process_id(_: object) -> bytes:
    return str(os.getpid()).encode()


def slow_outside(parent_pid: int) -> bytes:
    if os.getpid() != parent_pid:
        time.sleep(60)
    return b"rendered"


def wait_until(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture
def helper():
    pdf_process.start()
    yield
    pdf_process.stop()


def test_without_the_helper_a_document_is_rendered_in_the_caller():
    assert not pdf_process.running()
    assert pdf_process.render(process_id, None) == str(os.getpid()).encode()


def test_the_helper_renders_the_same_receipt_in_another_process(helper):
    helper_pid = int(pdf_process.render(process_id, None))
    assert helper_pid != os.getpid()
    assert receipts.warm_up() == receipts.receipt_pdf(receipts.SAMPLE)
    assert receipts.warm_up().startswith(b"%PDF-")


def test_a_killed_helper_costs_no_document_and_is_replaced(helper):
    first = int(pdf_process.render(process_id, None))
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not _alive(first), what="helper gone")
    # The next document is still rendered (here, or by the new helper)…
    assert pdf_process.render(process_id, None)
    # …and a new helper serves the ones after.
    second = int(wait_until(lambda: (pid := pdf_process.render(process_id, None))
                            != str(os.getpid()).encode() and pid, what="new helper"))
    assert second not in (first, os.getpid())


def test_a_stuck_helper_is_killed_and_the_document_rendered_here(helper):
    stuck = int(pdf_process.render(process_id, None))
    started = time.monotonic()
    assert pdf_process.render(slow_outside, os.getpid(), timeout=0.5) == b"rendered"
    assert time.monotonic() - started < 10
    wait_until(lambda: not _alive(stuck), what="stuck helper killed")
    assert int(pdf_process.render(process_id, None)) not in (stuck, os.getpid())


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def test_the_helper_exits_with_its_worker():
    # A "worker" that starts its helper, prints the helper's pid and waits.
    script = textwrap.dedent("""
        import sys, time
        from segur_app.domain import pdf_process
        from tests.test_pdf_process import process_id
        pdf_process.start()
        print(pdf_process.render(process_id, None).decode(), flush=True)
        time.sleep(120)
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        helper_pid = int(worker.stdout.readline())
        assert _alive(helper_pid)
        worker.kill()  # SIGKILL: no cleanup of its own
        worker.wait(timeout=10)
        wait_until(lambda: not _alive(helper_pid), timeout=10, what="orphan helper exit")
    finally:
        worker.kill()
        worker.stdout.close()
