"""Where the login page's style recalculation goes: Chromium traces of cold loads
(issue 12, goal 4).

    .venv/bin/python bench/page_trace.py [--loads 8] [--selector-stats] [--keep DIR]

Starts both apps as ``page_load.py`` does (prod mode, the portal's ``/connexion``
next to the bare app's ``/``), makes ``--loads`` cold loads of each, alternating,
each one recorded with Chromium's tracing (``Tracing`` through Playwright) from
the navigation until the page is usable (``page_load.PROBE``). From the main
frame's trace events (the SVG images' own documents left out) it prints, as
medians per load:

* the **style recalculations** (``UpdateLayoutTree``): how many, their wall time
  and their **thread time** (``tdur``: the CPU the renderer's main thread really
  spent; on a shared machine the rest is the thread waiting for a core), the
  largest one with its element count, the stylesheet parse
  (``ParseAuthorStyleSheet``) and the rule-set build (``RuleSet::addRulesFromSheet``),
  the layouts, and the data: SVG images decoded inside a recalculation;
* the largest portal load's recalculations one by one, with what scheduled each
  (``StyleRecalcInvalidationTracking`` reasons: nodes inserted, style rule
  change, class change…).

``--selector-stats`` adds the trace category ``disabled-by-default-blink.debug``,
which makes Blink emit one ``SelectorStats`` event per recalculation (what the
DevTools setting « Enable CSS selector stats » records): it then prints the
selectors of the portal by elapsed time and by match attempts, summed over the
loads. Selector stats slow matching down: their loads' times are not the
figures of the first table. ``--keep DIR`` writes each trace there as JSON;
``--running PORTAL BARE`` uses two apps already running at those base URLs.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import _harness as h
import page_load as pl

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "blink_style",
              "disabled-by-default-devtools.timeline.invalidationTracking"]
SELECTOR_CATEGORIES = ["blink.debug", "disabled-by-default-blink.debug"]


def traced_load(browser, url: str, categories: list[str]) -> tuple[list[dict], float]:
    """One cold load of ``url`` traced until usable: (trace events, usable ms)."""
    with pl.cold_page(browser) as (_context, page):
        browser.start_tracing(page=page, categories=categories)
        try:
            page.goto(url, wait_until="load")
            page.wait_for_function("window.__usableAt !== undefined")
            usable = page.evaluate("window.__usableAt")
        finally:
            data = browser.stop_tracing()
    trace = json.loads(data)
    return (trace["traceEvents"] if isinstance(trace, dict) else trace), usable


def _main_frame(events: list[dict], url: str) -> str:
    for event in events:
        begin = event.get("args", {}).get("beginData", {})
        if event.get("name") == "ParseHTML" and begin.get("url", "").startswith(url):
            return begin["frame"]
    raise RuntimeError(f"no ParseHTML of {url} in the trace")


def _complete(events: list[dict], name: str, pid: int, tid: int) -> list[dict]:
    return [e for e in events if e.get("name") == name and e.get("ph") == "X"
            and e.get("pid") == pid and e.get("tid") == tid]


def summarise(events: list[dict], url: str) -> dict:
    """The figures of one load's trace (ms), its recalculations one by one."""
    frame = _main_frame(events, url)
    recalcs = sorted((e for e in events if e.get("name") == "UpdateLayoutTree" and e.get("ph") == "X"
                      and e.get("args", {}).get("beginData", {}).get("frame") == frame),
                     key=lambda e: e["ts"])
    if not recalcs:
        raise RuntimeError("no style recalculation of the main frame in the trace")
    biggest = max(recalcs, key=lambda e: e["dur"])  # the page's renderer (not the first about:blank's)
    pid, tid = biggest["pid"], biggest["tid"]
    recalcs = [e for e in recalcs if e["pid"] == pid]
    start = min(e["ts"] for e in events if e.get("pid") == pid and e.get("ts"))
    reasons = sorted(((e["ts"], e["args"]["data"].get("reason", "?")) for e in events
                      if e.get("name") == "StyleRecalcInvalidationTracking"
                      and e.get("args", {}).get("data", {}).get("frame") == frame),
                     key=lambda r: r[0])
    rows, previous = [], start
    for e in recalcs:
        why = collections.Counter(reason for ts, reason in reasons if previous <= ts < e["ts"])
        images = [x for x in _complete(events, "SVGImage::DataChanged", pid, tid)
                  if e["ts"] <= x["ts"] <= e["ts"] + e["dur"]]
        rows.append({"at": (e["ts"] - start) / 1000, "wall": e["dur"] / 1000,
                     "cpu": e.get("tdur", 0) / 1000, "elements": e["args"].get("elementCount", 0),
                     "svg": sum(x.get("tdur", 0) for x in images) / 1000,
                     "why": ", ".join(f"{n}× {r}" for r, n in why.most_common(3))})
        previous = e["ts"]
    biggest = max(rows, key=lambda r: r["wall"])
    layouts = _complete(events, "Layout", pid, tid)

    def total(name: str, key: str = "dur") -> float:
        return sum(e.get(key, 0) for e in _complete(events, name, pid, tid)) / 1000

    return {
        "count": len(rows), "wall": sum(r["wall"] for r in rows), "cpu": sum(r["cpu"] for r in rows),
        "big_wall": biggest["wall"], "big_cpu": biggest["cpu"], "big_elements": biggest["elements"],
        "svg": sum(r["svg"] for r in rows),
        "parse_css": total("ParseAuthorStyleSheet", "tdur"),
        "ruleset": total("RuleSet::addRulesFromSheet", "tdur"),
        "task_wall": total("RunTask"), "task_cpu": total("RunTask", "tdur"),
        "layout_cpu": sum(e.get("tdur", 0) for e in layouts) / 1000, "layout_count": len(layouts),
        "rows": rows,
    }


def selector_stats(events: list[dict], totals: dict[str, list[float]]) -> None:
    """Add the trace's ``SelectorStats`` to ``totals``: selector → [µs, attempts, matches]."""
    for event in events:
        if event.get("name") != "SelectorStats":
            continue
        for row in event.get("args", {}).get("selector_stats", {}).get("selector_timings", []):
            cell = totals.setdefault(row["selector"], [0.0, 0, 0])
            cell[0] += row["elapsed (us)"]
            cell[1] += row["match_attempts"]
            cell[2] += row["match_count"]


FIGURES = (
    ("usable", "usable", "{:.0f} ms"),
    ("style recalculations (`UpdateLayoutTree`)", "count", "{:.0f}"),
    ("their wall time, sum", "wall", "{:.1f} ms"),
    ("their thread time (CPU), sum", "cpu", "{:.1f} ms"),
    ("largest recalculation: wall / CPU", ("big_wall", "big_cpu"), "{:.1f} / {:.1f} ms"),
    ("largest recalculation: elements", "big_elements", "{:.0f}"),
    ("data: SVG images decoded inside recalculations (CPU)", "svg", "{:.1f} ms"),
    ("stylesheet parse (`ParseAuthorStyleSheet`, CPU)", "parse_css", "{:.1f} ms"),
    ("rule-set build (`RuleSet::addRulesFromSheet`, CPU)", "ruleset", "{:.1f} ms"),
    ("layouts: count / CPU", ("layout_count", "layout_cpu"), "{:.0f} / {:.1f} ms"),
    ("main thread's tasks until usable: wall / CPU", ("task_wall", "task_cpu"), "{:.0f} / {:.0f} ms"),
)


def report(loads: dict[str, list[dict]], args, selectors: dict[str, list[float]]) -> None:
    rows = []
    for label, key, fmt in FIGURES:
        keys = key if isinstance(key, tuple) else (key,)
        rows.append([label, *(fmt.format(*(h.median([f[k] for f in loads[kind]]) for k in keys))
                              for kind in loads)])
    extra = " (selector stats on: slower matching)" if args.selector_stats else ""
    h.print_table(["per cold load, median", *loads], rows,
                  title=f"Style recalculation in Chromium traces — {args.loads} loads per app{extra}, "
                        f"{h.machine_note()}")
    slowest = max(loads["portal"], key=lambda f: f["wall"])
    h.print_table(["at ms", "wall ms", "CPU ms", "elements", "data: SVG CPU ms", "scheduled by (since the previous)"],
                  [[f"{r['at']:.0f}", f"{r['wall']:.1f}", f"{r['cpu']:.1f}", str(r["elements"]),
                    f"{r['svg']:.1f}", r["why"] or "–"] for r in slowest["rows"]],
                  title="The portal's recalculations, one by one (its slowest load)")
    if selectors:
        for title, index in (("elapsed", 0), ("match attempts", 1)):
            top = sorted(selectors.items(), key=lambda kv: -kv[1][index])[:15]
            h.print_table(["selector", "elapsed µs", "match attempts", "matches"],
                          [[f"`{s[:90]}`", f"{v[0]:.0f}", str(v[1]), str(v[2])] for s, v in top],
                          title=f"Portal selectors by {title}, summed over {args.loads} loads "
                                f"(all selectors: {sum(v[0] for v in selectors.values()) / 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=8, help="traced cold loads per app")
    parser.add_argument("--selector-stats", action="store_true",
                        help="also record Blink's SelectorStats (disabled-by-default-blink.debug)")
    parser.add_argument("--keep", type=Path, help="write every trace into this directory")
    parser.add_argument("--running", nargs=2, metavar=("PORTAL", "BARE"),
                        help="base URLs of apps already running (none started)")
    args = parser.parse_args()
    categories = CATEGORIES + (SELECTOR_CATEGORIES if args.selector_stats else [])
    loads: dict[str, list[dict]] = {"portal": [], "bare": []}
    selectors: dict[str, list[float]] = {}
    with pl.browser_and_urls(args.running) as (browser, urls):
        for url in urls.values():
            for _ in range(pl.WARMUP):
                pl.cold_load(browser, url)
        for n in range(args.loads):
            for kind in (("portal", "bare") if n % 2 == 0 else ("bare", "portal")):
                events, usable = traced_load(browser, urls[kind], categories)
                figures = summarise(events, urls[kind])
                figures["usable"] = usable
                loads[kind].append(figures)
                if kind == "portal":
                    selector_stats(events, selectors)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"{kind}-{n + 1}.json").write_text(json.dumps(events))
                h.log(f"load {n + 1} {kind:6}: usable {usable:.0f} ms, {figures['count']} recalcs, "
                      f"{figures['wall']:.1f} ms wall / {figures['cpu']:.1f} ms CPU")
    report(loads, args, selectors)


if __name__ == "__main__":
    h.main_wrapper(main)
