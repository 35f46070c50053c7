"""The upload checks alone, per file type: milliseconds per ≈ 4 MB file (issue 12, goal 2).

    .venv/bin/python bench/upload_checks.py [--runs 30]

The samples are those of ``bench/deposit.py`` (a PDF showing a scanned image,
an RGB PNG, a baseline JPEG, each ≈ 4 MB and incompressible). For each one,
in this process, no server:

* ``check_document`` — every check on bytes already in memory (size, name,
  libmagic, structure, active content, hidden archive, sha256);
* ``uploads.stage`` — what a form's upload costs: copied from a file object
  to a throw-away ``storage/staging`` (hashed, fsynced), then checked in
  place; twice: from a ``BytesIO`` (the bytes in memory: read and written
  piece by piece) and from a spooled temporary file of 1 MiB, the one
  Starlette gives Reflex's upload (a 4 MB upload is then on disk: a real
  file, copied by the kernel);
* the parts: libmagic alone, the format's structural walk alone, sha256 alone.

Prints a Markdown table of the medians (and the fastest run). The machine is
shared: compare figures of one run with each other.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from deposit import sample_jpeg, sample_pdf, sample_png  # noqa: E402

from segur_app.domain import uploads  # noqa: E402
from segur_app.domain.uploads import images, pdf  # noqa: E402

SPOOL_MAX_BYTES = 1024 * 1024  # starlette.formparsers.MultiPartParser.spool_max_size
STRUCTURE = {"PDF": pdf.check_pdf, "PNG": images.check_png, "JPEG": images.check_jpeg}


def timed(fn, runs: int) -> tuple[float, float]:
    """(median, fastest) in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def ms(value: float) -> str:
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    samples = [("PDF", "scan.pdf", sample_pdf()), ("PNG", "photo.png", sample_png()),
               ("JPEG", "photo.jpg", sample_jpeg())]
    policy = uploads.UploadPolicy(label="Pièce")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-checks-") as tmp:
        storage_dir = Path(tmp)
        for kind, name, data in samples:
            def stage(data=data, name=name):
                staged = uploads.stage(io.BytesIO(data), name, policy=policy,
                                       store=storage_dir)
                (storage_dir / "staging" / staged.key[:2] / staged.key).unlink()

            spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)
            spooled.write(data)

            def stage_spooled(name=name, spooled=spooled):
                spooled.seek(0)
                staged = uploads.stage(spooled, name, policy=policy, store=storage_dir)
                (storage_dir / "staging" / staged.key[:2] / staged.key).unlink()

            figures = [
                timed(lambda: uploads.check_document(data, name, field_label="Pièce"), args.runs),
                timed(stage, args.runs),
                timed(stage_spooled, args.runs),
                timed(lambda: uploads.sniff_mime(data), args.runs),
                timed(lambda: STRUCTURE[kind](data), args.runs),
                timed(lambda: hashlib.sha256(data).hexdigest(), args.runs),
            ]
            spooled.close()
            rows.append([kind, f"{len(data) / 1e6:.2f} MB",
                         *(f"{ms(median)} ({ms(fastest)})" for median, fastest in figures)])
    print(f"\nUpload checks — ms per file, median (fastest) of {args.runs} runs\n")
    headers = ["type", "size", "check_document", "stage from BytesIO", "stage from spooled file",
               "libmagic", "structure", "sha256"]
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
