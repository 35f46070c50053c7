"""A full advance deposit, 3 files of ≈ 4 MB: the portal next to a bare Reflex app
(issue 12, goal 2).

    .venv/bin/python bench/deposit.py [--rounds 3] [--runs 10] [--parallel 4] [--per-worker 3] [--s3]

One portal deposit, as a supplier's browser does it on « Ma demande d'avance »
(tab connected and hydrated, page loaded, before the clock starts):

1. three ``POST /_upload`` (real multipart requests, the session cookie and
   the tab token in the headers) to ``AdvanceState.stage_file``, one per
   piece: a PDF, a PNG and a JPEG of ≈ 4 MB each, valid (generated here,
   checked with ``segur_app.domain.uploads`` before the run);
2. the « Valider » event ``AdvanceState.submit`` on the websocket, until the
   update carrying the dossier number arrives.

Each portal deposit uses its own enrolled supplier (one advance per
supplier), created in the database beforehand and logged in through the
login form. The bare app does the same three uploads to a handler that reads
the files, then one ``incr`` event.

Rows: p50 over ``--runs`` sequential deposits; deposits/s with ``--parallel``
clients each doing ``--per-worker`` deposits back to back. Every round runs
the portal and the bare app alternately.

``--s3``: the portal keeps its documents (staged and deposited) in an
S3-compatible server started for the run on a loopback port
(``tests/s3_server.py``: moto's server mode, a Python emulator — far slower
than a real object store, so an upper bound of what the store costs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import struct
import time
import zlib

import _harness as h  # also puts the repository on sys.path
import httpx

from segur_app.domain import pdf  # noqa: E402  (after _harness: sys.path)

TARGET_SIZE = 4_000_000  # ≈ 4 MB, under the portal's 4 MiB limit
IDAT_CHUNK = 65536


# --------------------------------------------------------------------------- #
# Valid ≈ 4 MB samples (same structure as tests/document_samples.py, bigger)
# --------------------------------------------------------------------------- #


def _noise(size: int, seed: int) -> bytes:
    """Incompressible bytes: sizes stay ≈ 4 MB after compression."""
    return random.Random(seed).randbytes(size)


def sample_pdf() -> bytes:
    """A one-page PDF showing a scanned image (a Flate RGB image XObject)."""
    width = 1150
    height = (TARGET_SIZE - 2000) // (width * 3)
    image = zlib.compress(_noise(width * height * 3, 1), 1)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>"),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (width, height, len(image)) + image + b"\nendstream",
    ]
    return pdf.assemble(objects)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def sample_png() -> bytes:
    """An RGB photo-like PNG (noise), IDAT split in 64 KiB chunks like encoders do."""
    width = 1150
    height = (TARGET_SIZE - 2000) // (1 + width * 3)
    noise = _noise(height * width * 3, 2)
    raw = b"".join(b"\x00" + noise[y * width * 3:(y + 1) * width * 3] for y in range(height))
    compressed = zlib.compress(raw, 1)
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    out += _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    for start in range(0, len(compressed), IDAT_CHUNK):
        out += _png_chunk(b"IDAT", compressed[start:start + IDAT_CHUNK])
    out += _png_chunk(b"IEND", b"")
    return bytes(out)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def sample_jpeg() -> bytes:
    """A baseline JPEG: real headers, ≈ 4 MB of entropy-coded data (0xFF stuffed)."""
    width, height = 4000, 3000
    headers = (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xDB, b"\x00" + b"\x01" * 64)
        + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + _segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
        + _segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00")
        + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    )
    entropy = _noise(TARGET_SIZE - len(headers) - 20_000, 3).replace(b"\xff", b"\xff\x00")
    return headers + entropy + b"\xff\xd9"


def samples() -> list[tuple[str, str, bytes, str]]:
    """(piece kind, file name, bytes, MIME type) for the three advance pieces, checked
    with the portal's own upload checks."""
    from segur_app.domain import uploads
    from segur_app.domain.funding.deposit import ADVANCE_DOCUMENTS

    files = [("pv-mise-en-service.pdf", sample_pdf(), "application/pdf"),
             ("attestation-sur-l-honneur.png", sample_png(), "image/png"),
             ("justificatif-transmission.jpg", sample_jpeg(), "image/jpeg")]
    out = []
    for kind, (name, data, mime) in zip(ADVANCE_DOCUMENTS, files, strict=True):
        checked = uploads.check_document(data, name, field_label=kind.label)
        assert checked.mime_type == mime, (name, checked.mime_type)
        out.append((kind.value, name, data, mime))
    return out


# --------------------------------------------------------------------------- #
# One deposit
# --------------------------------------------------------------------------- #


async def upload(http: httpx.AsyncClient, tab: h.ReflexClient, handler: str, name: str,
                 data: bytes, mime: str, args: dict | None = None) -> list[dict]:
    """One ``POST /_upload`` like Reflex's frontend; the ndjson updates it streams back."""
    form = {"__reflex_event_args": json.dumps(args)} if args else {}
    headers = {"Reflex-Client-Token": tab.token, "Reflex-Event-Handler": handler}
    if tab.cookie:
        headers["Cookie"] = tab.cookie
    response = await http.post("/_upload", headers=headers, data=form,
                               files=[("files", (name, data, mime))])
    if response.status_code != 200:
        raise h.ReflexError(f"upload {name}: HTTP {response.status_code} {response.text[:200]}")
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _slot_error(updates: list[dict], kind: str) -> str | None:
    """The error shown on the slot of ``kind`` (None when the file was accepted)."""
    for update in updates:
        try:
            slots = h.delta_value(update, h.ADVANCE_STATE, "slots")
        except KeyError:
            continue
        for slot in slots:
            if slot.get("kind") == kind:
                if slot.get("error"):
                    return slot["error"]
                return None if slot.get("file_name") else "no file staged"
    return "no update of the slots"


async def portal_deposit(http, tab: h.ReflexClient, files) -> tuple[float, float]:
    """(upload seconds, submit seconds) of one complete advance deposit."""
    start = time.perf_counter()
    for kind, name, data, mime in files:
        updates = await upload(http, tab, h.ADVANCE_STATE + ".stage_file", name, data, mime,
                               {"kind": kind})
        if (error := _slot_error(updates, kind)) is not None:
            raise h.ReflexError(f"{name} refused: {error}")
    uploaded = time.perf_counter()
    tab.emit(h.ADVANCE_STATE + ".submit")
    while True:
        update = await tab.wait_for(h.ADVANCE_STATE, timeout=120)
        state = update["delta"][h.ADVANCE_STATE]
        if state.get("form_error_rx_state_"):
            raise h.ReflexError(f"deposit refused: {state['form_error_rx_state_']}")
        if state.get("deposited_number_rx_state_"):
            break
    done = time.perf_counter()
    return uploaded - start, done - uploaded


async def bare_deposit(http, tab: h.ReflexClient, files) -> tuple[float, float]:
    start = time.perf_counter()
    for _kind, name, data, mime in files:
        updates = await upload(http, tab, h.BARE_STATE + ".receive", name, data, mime)
        if not any(h.BARE_STATE in (u.get("delta") or {}) for u in updates):
            raise h.ReflexError(f"bare upload of {name}: no update")
    uploaded = time.perf_counter()
    await tab.call(h.BARE_STATE + ".incr")
    return uploaded - start, time.perf_counter() - uploaded


# --------------------------------------------------------------------------- #
# Rounds
# --------------------------------------------------------------------------- #


async def run_round(app: h.App, tabs: list[h.ReflexClient], files, args):
    """Sequential runs then parallel workers; returns the figures of the round."""
    deposit = portal_deposit if app.kind == "portal" else bare_deposit
    sequential, parallel = tabs[: args.runs], tabs[args.runs:]
    totals, uploads, submits = [], [], []
    async with httpx.AsyncClient(base_url=app.base_url, timeout=120) as http:
        for tab in sequential:
            up, sub = await deposit(http, tab, files)
            totals.append(up + sub)
            uploads.append(up)
            submits.append(sub)

    parallel_totals: list[float] = []

    async def worker(worker_tabs: list[h.ReflexClient]) -> None:
        async with httpx.AsyncClient(base_url=app.base_url, timeout=120) as http:
            for tab in worker_tabs:
                up, sub = await deposit(http, tab, files)
                parallel_totals.append(up + sub)

    groups = [parallel[n:: args.parallel] for n in range(args.parallel)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(g) for g in groups))
    rate = len(parallel) / (time.perf_counter() - start)
    return {
        "p50": h.percentile(totals, 0.5), "p95": h.percentile(totals, 0.95),
        "upload_p50": h.percentile(uploads, 0.5), "submit_p50": h.percentile(submits, 0.5),
        "parallel_p50": h.percentile(parallel_totals, 0.5), "rate": rate,
    }


async def warm_up(portal: h.App, bare: h.App, files, cookie: str) -> None:
    """One deposit on each app first (imports, caches, connection pools)."""
    for app, deposit, page, cookies, settle in (
        (portal, portal_deposit, "/demande-financement/avance", [cookie], h.ADVANCE_STATE),
        (bare, bare_deposit, "/", [None], None),
    ):
        tabs = await h.open_tabs(app, 1, page=page, cookies=cookies, settle=settle)
        try:
            async with httpx.AsyncClient(base_url=app.base_url, timeout=120) as http:
                await deposit(http, tabs[0], files)
        finally:
            await h.close_all(tabs)


async def bench(portal: h.App, bare: h.App, files, args) -> None:
    per_round = args.runs + args.parallel * args.per_worker
    h.log(f"[portal] creating {per_round * args.rounds} enrolled suppliers and logging them in")
    identifiants = h.create_suppliers(portal, per_round * args.rounds + 1)
    cookies = await h.login_many(portal, identifiants)
    warmup_cookie = cookies.pop()
    results = {"portal": [], "bare": []}
    await warm_up(portal, bare, files, warmup_cookie)
    for round_no in range(1, args.rounds + 1):
        order = ("portal", "bare") if round_no % 2 else ("bare", "portal")
        for kind in order:
            app = portal if kind == "portal" else bare
            if kind == "portal":
                mine = cookies[(round_no - 1) * per_round: round_no * per_round]
                tabs = await h.open_tabs(app, per_round, page="/demande-financement/avance",
                                         cookies=mine, settle=h.ADVANCE_STATE)
            else:
                tabs = await h.open_tabs(app, per_round, page="/", cookies=[None])
            try:
                figures = await run_round(app, tabs, files, args)
            finally:
                await h.close_all(tabs)
            results[kind].append(figures)
            h.log(f"round {round_no} {kind:6}: p50 {h.fmt_ms(figures['p50'])} "
                  f"(uploads {h.fmt_ms(figures['upload_p50'])}, submit "
                  f"{h.fmt_ms(figures['submit_p50'])}), {args.parallel} in parallel: "
                  f"{figures['rate']:.1f} deposits/s")
            await asyncio.sleep(1)
    report(results, args)


def report(results, args) -> None:
    def med(kind, key):
        return h.median([r[key] for r in results[kind]])

    rows = [
        ["full deposit, 3 files ≈ 4 MB, 1 client, p50", "p50", "≤ 100 ms"],
        ["  of which the 3 uploads, p50", "upload_p50", ""],
        ["  of which the submit event, p50", "submit_p50", ""],
        ["full deposit, 1 client, p95", "p95", ""],
        [f"{args.parallel} in parallel, p50 of one deposit", "parallel_p50", ""],
        [f"{args.parallel} in parallel, deposits/s", "rate", "≥ 10 /s"],
    ]
    table = []
    for label, key, goal in rows:
        portal, bare = med("portal", key), med("bare", key)
        if key == "rate":
            table.append([label, f"{portal:.1f} /s", f"{bare:.1f} /s", h.ratio(bare, portal) +
                          " (bare÷portal)", goal])
        else:
            table.append([label, h.fmt_ms(portal), h.fmt_ms(bare), h.ratio(portal, bare), goal])
    h.print_table(["measure", "portal", "bare Reflex (same uploads + `incr`)", "ratio", "goal"],
                  table, title=f"Deposit — median of {args.rounds} rounds, {h.machine_note()}")
    noise = []
    for kind in ("portal", "bare"):
        noise.append([kind, h.spread([r["p50"] for r in results[kind]], h.fmt_ms),
                      h.spread([r["rate"] for r in results[kind]], lambda v: f"{v:.1f}")])
    h.print_table(["app", "p50 per round", "deposits/s per round"], noise,
                  title="Every round (noise)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10, help="sequential deposits per round")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--per-worker", type=int, default=3)
    parser.add_argument("--s3", action="store_true",
                        help="documents in an S3-compatible store (tests/s3_server.py)")
    args = parser.parse_args()
    h.log("building and checking the samples (PDF, PNG, JPEG of ≈ 4 MB)")
    files = samples()
    h.log("  " + ", ".join(f"{name} {len(data):,} B" for _k, name, data, _m in files))
    with contextlib.ExitStack() as stack:
        if args.s3:
            from tests.s3_server import start_s3_server

            server = stack.enter_context(start_s3_server(bucket="segur-bench"))
            os.environ.update(server.settings_env("segur-bench", "documents"))
            h.log(f"[portal] documents in s3://segur-bench/documents/ on {server.url}")
        with h.both_apps() as (portal, bare):
            asyncio.run(bench(portal, bare, files, args))


if __name__ == "__main__":
    h.main_wrapper(main)
