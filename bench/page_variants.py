"""Variants of the served login page, measured against the page as shipped (issue 12, goal 4).

    .venv/bin/python bench/page_variants.py bench/variants/header_filter.py [--loads 20]
    .venv/bin/python bench/page_variants.py bench/variants/*.py --running http://127.0.0.1:3301 http://127.0.0.1:3302

A question such as « what would the first paint gain without the header's
blur? » is answered without rebuilding the portal: between two cold loads the
files the apps serve (``.web/build/client`` of the portal and of
``bench/bare_app``) are edited in place — their ``.gz`` twin rewritten too —
and restored afterwards (also on Ctrl-C / SIGTERM). Every round loads, in a
new random order, the page as shipped, each variant and the bare app, so
that the machine's drift falls on all of them alike; the table gives each
one's medians of « usable » and of the first contentful paint (the same
probe as ``page_load.py``) and its difference to the shipped page.

A variant file defines ``VARIANTS``, a dict ``name → Variant``:

* ``edits``: ``(app, path, old, new)`` tuples — ``app`` is ``"portal"`` or
  ``"bare"``, ``path`` a glob relative to that app's build directory that
  must match one file (hashed names change with each build), ``old`` a
  string found exactly once in it and replaced by ``new`` (``old`` empty:
  ``new`` is appended, e.g. one more rule at the end of the stylesheet;
  ``old`` a compiled ``re`` pattern of bytes: its one match replaced by the
  template ``new``, for minified code whose names change with each build);
* ``block_websocket``: the page's websocket is never connected (Playwright's
  ``route_web_socket``): no backend hydrate, no state delta to apply;
* ``apps``: the apps the variant is loaded on (default: the portal; a
  variant with edits for the bare app, such as a change to React Router's
  entry, should list both).

Wall-clock A/B on 2 shared cores cannot tell differences below ≈ 30 ms
(bench/README.md « Figures of 2026-12-06 »): rerun a batch before
concluding. Benchmarks, not tests.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import random
import re
import runpy
from dataclasses import dataclass
from pathlib import Path

import _harness as h
import page_load as pl

BUILDS = {"portal": h.ROOT / ".web" / "build" / "client",
          "bare": h.BARE_DIR / ".web" / "build" / "client"}
SHIPPED = "as shipped"


@dataclass(frozen=True)
class Variant:
    edits: tuple[tuple[str, str, str | re.Pattern, str], ...] = ()
    block_websocket: bool = False
    apps: tuple[str, ...] = ("portal",)


def _count(data: bytes, old) -> int:
    return len(old.findall(data)) if isinstance(old, re.Pattern) else data.count(old.encode())


def _edit(data: bytes, old, new: str) -> bytes:
    if isinstance(old, re.Pattern):
        return old.sub(new.encode(), data)
    return data.replace(old.encode(), new.encode()) if old else data + new.encode()


class ServedFiles:
    """The original bytes of every file a variant edits; writes a variant's
    version of each, or the original, with its precompressed twin."""

    def __init__(self, variants: dict[str, Variant]):
        self.original: dict[Path, bytes] = {}
        for name, variant in variants.items():
            for app, pattern, old, _new in variant.edits:
                path = self.resolve(app, pattern)
                data = self.original.setdefault(path, path.read_bytes())
                if old and _count(data, old) != 1:
                    raise SystemExit(f"{name}: {old[:60]!r} is not found exactly once in {path}")

    @staticmethod
    def resolve(app: str, pattern: str) -> Path:
        matches = sorted(BUILDS[app].glob(pattern))
        matches = [m for m in matches if m.suffix != ".gz"]
        if len(matches) != 1:
            raise SystemExit(f"{app}: {pattern!r} matches {len(matches)} files in {BUILDS[app]}")
        return matches[0]

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.write_bytes(data)
        twin = path.with_name(path.name + ".gz")
        if twin.exists():
            twin.write_bytes(gzip.compress(data, 9))

    def serve(self, variant: Variant | None) -> None:
        wanted = dict(self.original)
        for app, pattern, old, new in (variant.edits if variant else ()):
            path = self.resolve(app, pattern)
            wanted[path] = _edit(wanted[path], old, new)
        for path, data in wanted.items():
            if path.read_bytes() != data:
                self._write(path, data)

    def restore(self) -> None:
        self.serve(None)


def load(browser, url: str, variant: Variant | None) -> tuple[float, float]:
    with pl.cold_page(browser) as (_context, page):
        if variant and variant.block_websocket:
            page.route_web_socket("**/*", lambda _ws: None)  # accepted, never connected
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__usableAt !== undefined")
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
        return tuple(page.evaluate(
            "[window.__usableAt, performance.getEntriesByName('first-contentful-paint')[0].startTime]"))


def measure(variants: dict[str, Variant], urls: dict[str, str], loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    configs = [(app, SHIPPED) for app in urls]
    configs += [(app, name) for name, v in variants.items() for app in v.apps]
    results: dict[tuple[str, str], list[tuple[float, float]]] = {c: [] for c in configs}
    files = ServedFiles(variants)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=pl.CHROMIUM, args=pl.CHROMIUM_ARGS)
            try:
                for n in range(pl.WARMUP + loads):
                    order = configs[:]
                    random.Random(n).shuffle(order)
                    for app, name in order:
                        variant = variants.get(name)
                        files.serve(variant)
                        figures = load(browser, urls[app], variant)
                        if n >= pl.WARMUP:
                            results[(app, name)].append(figures)
                    h.log(f"load {n + 1}/{pl.WARMUP + loads} done")
            finally:
                browser.close()
    finally:
        files.restore()
    return results


def report(results: dict, loads: int) -> None:
    shipped = {app: (h.median([r[0] for r in rows]), h.median([r[1] for r in rows]))
               for (app, name), rows in results.items() if name == SHIPPED}
    table = []
    for (app, name), rows in results.items():
        usable, fcp = h.median([r[0] for r in rows]), h.median([r[1] for r in rows])
        base_usable, base_fcp = shipped[app]
        delta = "" if name == SHIPPED else f"{usable - base_usable:+.0f} / {fcp - base_fcp:+.0f} ms"
        table.append([app, name, f"{usable:.0f} ms", f"{fcp:.0f} ms", delta,
                      h.ratio(usable, shipped["bare"][0])])
    h.print_table(["app", "variant", "usable, median", "first paint, median",
                   "Δ to as shipped (usable / first paint)", "usable ÷ bare as shipped"],
                  table, title=f"Page variants — {loads} cold loads each, {h.machine_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", type=Path, help="variant files (bench/variants/)")
    parser.add_argument("--loads", type=int, default=20, help="cold loads per variant and app")
    parser.add_argument("--running", nargs=2, metavar=("PORTAL", "BARE"),
                        help="base URLs of apps already running (none started)")
    args = parser.parse_args()
    variants: dict[str, Variant] = {}
    for spec in args.specs:
        variants.update(runpy.run_path(str(spec))["VARIANTS"])
    with contextlib.ExitStack() as stack:
        if args.running:
            bases = dict(zip(("portal", "bare"), args.running))
        else:
            portal, bare = stack.enter_context(h.both_apps())
            bases = {"portal": portal.browser_url, "bare": bare.browser_url}
        urls = {app: bases[app] + pl.PATHS[app] for app in ("portal", "bare")}
        report(measure(variants, urls, args.loads), args.loads)


if __name__ == "__main__":
    h.main_wrapper(main)
