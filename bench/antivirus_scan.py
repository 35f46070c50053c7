"""What the antivirus adds to a deposit's uploads: ``uploads.stage`` of the three ≈ 4 MB
samples of ``bench/deposit.py`` with the scan off, then required (a real clamd with the
test suite's one local signature, tests/clamd_helpers.py), alternately; then clamd alone.

    .venv/bin/python bench/antivirus_scan.py [--runs 7]

Needs ``clamd`` (apt-get install clamav-daemon). The machine is shared: compare the
figures of one run with each other. Benchmarks, not tests: nothing here asserts a figure.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from deposit import samples  # noqa: E402

from segur_app.domain import uploads  # noqa: E402
from segur_app.domain.funding import deposit  # noqa: E402
from segur_app.domain.models import AttachmentKind  # noqa: E402
from tests.clamd_helpers import ClamdServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    files = samples()
    work = Path(tempfile.mkdtemp(prefix="antivirus-bench-"))
    server = ClamdServer(work / "clamd").start()
    try:
        print("| scan | 3 files ≈ 4 MB staged, p50 | fastest |\n|---|---|---|")
        for mode in ("off", "required", "off", "required"):
            scanner = server.scanner(mode)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                for kind, name, data, _mime in files:
                    uploads.stage(io.BytesIO(data), name, scanner=scanner,
                                  policy=deposit.piece_upload(AttachmentKind(kind)),
                                  store=work / "storage")
                times.append((time.perf_counter() - start) * 1000)
            print(f"| {mode} | {statistics.median(times):.0f} ms | {min(times):.0f} ms |")
        scanner = server.scanner("required")
        for _kind, name, data, _mime in files:
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                scanner.scan(io.BytesIO(data))
                times.append((time.perf_counter() - start) * 1000)
            print(f"| clamd alone, {name} | {statistics.median(times):.0f} ms | {min(times):.0f} ms |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
