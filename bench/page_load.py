"""Login page « usable » in Chromium: the portal's /connexion next to the bare app's
index (issue 12, goal 4).

    .venv/bin/python bench/page_load.py [--rounds 3] [--loads 10]

Both apps in prod mode; Chromium (/usr/bin/chromium, or $SEGUR_E2E_CHROMIUM)
through Playwright. Every load is cold: a new browser context (empty cache,
no cookies, no storage). The loads alternate portal / bare, ``--loads`` of
each per round. Measured from the navigation start (``performance.now()``):

* **usable**: React has hydrated the page (``window.__reflex`` is defined, set
  by Reflex's root component once mounted) and the first input is enabled —
  the figure of the issue;
* **fcp**: the first contentful paint (``first-contentful-paint`` entry): when
  the page's first text or image was on screen — the portal's login form
  works from then on (a native POST, ``api/session.py``), before hydration;
* **state**: the backend's hydrate reached the page (the websocket message
  setting ``is_hydrated`` true: on_load handlers done, state-backed content shown);
* **load**: the ``load`` event; **bytes**: bytes transferred (document +
  every resource, compressed as sent), **requests**: their number.

``--proxy`` puts both apps behind Caddy (TLS with its internal CA, HTTP/2:
one connection for every request instead of HTTP/1.1's six), as
``deploy/Caddyfile`` puts the portal in production.

``--list`` makes one cold load per app instead and prints every request of
it: path, type, status, bytes transferred and decoded, start and end on the
page's clock, and the ``Cache-Control`` header it was served with.

    .venv/bin/python bench/page_load.py --list [--only portal]

``--profile`` makes ``--loads`` cold loads per app and prints the median
main-thread time by kind (script, style recalculation, layout) read through
the DevTools protocol when the page became usable, then where V8's sampling
profiler found the main thread until then: each script's JavaScript self time,
``(program)`` for the renderer's own work (HTML and CSS parsing, style, layout,
images), ``(idle)``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re

import _harness as h
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = os.environ.get("SEGUR_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WARMUP = 2

# Runs before any script of the page: records when the page became usable and
# when the backend's hydrate arrived, on the page's own clock.
PROBE = r"""
(() => {
  const check = () => {
    if (window.__usableAt !== undefined) return true;
    const input = document.querySelector("input");
    if (window.__reflex !== undefined && input && !input.disabled) {
      window.__usableAt = performance.now();
      return true;
    }
    return false;
  };
  const frame = () => { if (!check()) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const timer = setInterval(() => { if (check()) clearInterval(timer); }, 2);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (window.__stateAt === undefined && typeof event.data === "string"
            && event.data.includes('"is_hydrated_rx_state_":true')) {
          window.__stateAt = performance.now();
        }
      });
    }
  };
})();
"""

METRICS = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    usable: window.__usableAt,
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
    state: window.__stateAt ?? null,
    load: nav.loadEventEnd,
    bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
    requests: 1 + resources.length,
  };
}
"""


PATHS = {"portal": "/connexion", "bare": "/"}
"""The page each app is loaded at: the portal's login page, the bare app's index."""


@contextlib.contextmanager
def browser_and_urls(running: list[str] | None = None):
    """Chromium and the URL of each app's page (:data:`PATHS`): the apps started
    here (``h.both_apps``), or already running at the base URLs ``running``
    (portal, bare)."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        if running:
            bases = dict(zip(("portal", "bare"), running))
        else:
            portal, bare = stack.enter_context(h.both_apps())
            bases = {"portal": portal.browser_url, "bare": bare.browser_url}
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser, {kind: bases[kind] + path for kind, path in PATHS.items()}
        finally:
            with contextlib.suppress(Exception):
                browser.close()


@contextlib.contextmanager
def cold_page(browser):
    """A page in a new browser context (empty cache, no cookies), the probe installed."""
    # ignore_https_errors: behind the bench's Caddy (--proxy), its internal CA.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900},
                                  ignore_https_errors=True)
    try:
        context.add_init_script(PROBE)
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield context, page
    finally:
        context.close()


def cold_load(browser, url: str) -> dict:
    with cold_page(browser) as (_context, page):
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__usableAt !== undefined")
        with contextlib.suppress(PlaywrightTimeout):  # reported as missing
            page.wait_for_function("window.__stateAt !== undefined", timeout=15_000)
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "performance.getEntriesByName('first-contentful-paint').length > 0", timeout=15_000)
        page.wait_for_timeout(200)  # late resources (fonts) into the byte count
        return page.evaluate(METRICS)


# Every resource of the page, from the Resource Timing entries (same clock as above).
RESOURCES = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const row = (e, type) => ({
    url: e.name, type, start: e.startTime, end: e.responseEnd,
    transfer: e.transferSize, decoded: e.decodedBodySize,
  });
  return [row(nav, "document"),
          ...performance.getEntriesByType("resource").map(e => row(e, e.initiatorType))];
}
"""


def list_requests(browser, url: str) -> list[dict]:
    """One cold load of ``url``: each request with its timing, sizes and headers."""
    with cold_page(browser) as (_context, page):
        headers: dict[str, tuple[int, str]] = {}

        def on_response(response) -> None:
            with contextlib.suppress(Exception):
                headers[response.url] = (response.status,
                                         response.all_headers().get("cache-control", "–"))

        page.on("response", on_response)
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__usableAt !== undefined")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function("window.__stateAt !== undefined", timeout=15_000)
        page.wait_for_timeout(300)
        rows = page.evaluate(RESOURCES)
        usable = page.evaluate("window.__usableAt")
    for row in rows:
        row["status"], row["cache_control"] = headers.get(row["url"], (0, "?"))
    rows.append({"url": "(usable)", "type": "", "start": usable, "end": usable,
                 "transfer": 0, "decoded": 0, "status": "", "cache_control": ""})
    return rows


def print_requests(kind: str, url: str, rows: list[dict]) -> None:
    from urllib.parse import urlsplit

    table = []
    for row in sorted(rows[:-1], key=lambda r: r["start"]) + rows[-1:]:
        parts = urlsplit(row["url"])
        path = parts.path + (f"?{parts.query}" if parts.query else "") if parts.scheme else row["url"]
        table.append([
            f"`{path[:90]}`", row["type"], str(row["status"]),
            f"{row['transfer'] / 1024:,.1f}", f"{row['decoded'] / 1024:,.1f}",
            f"{row['start']:.0f}", f"{row['end']:.0f}", row["cache_control"],
        ])
    real = rows[:-1]
    table.append(["**total**", "", f"{len(real)} requests",
                  f"{sum(r['transfer'] for r in real) / 1024:,.1f}",
                  f"{sum(r['decoded'] for r in real) / 1024:,.1f}", "", "", ""])
    h.print_table(
        ["path", "type", "status", "KiB sent", "KiB decoded", "start ms", "end ms", "Cache-Control"],
        table, title=f"{kind}: {url} — one cold load, {h.machine_note()}",
    )


def list_mode(apps: dict[str, h.App], args) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for kind, app in apps.items():
                url = app.browser_url + PATHS[kind]
                list_requests(browser, url)  # warm-up (server caches, first compile of pages)
                print_requests(kind, url, list_requests(browser, url))
        finally:
            browser.close()


# Main-thread time by kind (Chrome DevTools Protocol ``Performance.getMetrics``),
# read when the page became usable: where a cold load spends its CPU.
PROFILE_METRICS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration",
                   "Nodes", "LayoutCount", "RecalcStyleCount")


def _script_name(url: str, function: str) -> str:
    """``/assets/entry.client-DMqNtF3h.js`` → ``entry.client``; V8's pseudo-frames kept."""
    if not url:
        return function if function.startswith("(") else "(browser built-ins)"
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if not name.endswith(".js"):
        return "(the page's inline scripts)"
    return re.sub(r"-[A-Za-z0-9_-]{8}$", "", name[:-3])


def profile_load(browser, url: str) -> dict:
    """One cold load of ``url``: usable time, the main thread's busy time by kind and
    (V8's sampling profiler) the JavaScript self time by script; ``(program)`` is the
    renderer's own work outside JavaScript (parsing, style, layout, images)."""
    with cold_page(browser) as (context, page):
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "timeTicks"})
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__usableAt !== undefined")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        profile = cdp.send("Profiler.stop")["profile"]
        figures = {name: metrics.get(name, 0.0) for name in PROFILE_METRICS}
        figures["usable"] = page.evaluate("window.__usableAt")
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    scripts: dict[str, float] = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"]):
        frame = frames[node_id]
        name = _script_name(frame["url"], frame["functionName"])
        scripts[name] = scripts.get(name, 0.0) + delta / 1000
    figures["scripts"] = scripts
    return figures


def profile_mode(apps: dict[str, h.App], args) -> None:
    from playwright.sync_api import sync_playwright

    loads: dict[str, list[dict]] = {kind: [] for kind in apps}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for kind, app in apps.items():
                for _ in range(WARMUP):
                    profile_load(browser, app.browser_url + PATHS[kind])
            for n in range(args.loads):
                for kind in (("portal", "bare") if n % 2 == 0 else ("bare", "portal")):
                    if kind in apps:
                        loads[kind].append(profile_load(browser, apps[kind].browser_url + PATHS[kind]))
        finally:
            browser.close()
    rows = []
    for name in ("usable", *PROFILE_METRICS):
        cells = []
        for kind in apps:
            value = h.median([f[name] for f in loads[kind]])
            cells.append(f"{value * 1000:.0f} ms" if name.endswith("Duration")
                         else f"{value:.0f} ms" if name == "usable" else f"{value:.0f}")
        rows.append([name, *cells])
    h.print_table(["main thread, median", *apps], rows,
                  title=f"Cold-load profile — {args.loads} loads per app, {h.machine_note()}")
    names = sorted({name for kind in apps for f in loads[kind] for name in f["scripts"]},
                   key=lambda name: -max(h.median([f["scripts"].get(name, 0.0) for f in loads[kind]])
                                         for kind in apps))
    rows = [[f"`{name}`", *(f"{h.median([f['scripts'].get(name, 0.0) for f in loads[kind]]):.1f} ms"
                            for kind in apps)]
            for name in names[:14]]
    h.print_table(["sampled self time until usable, median", *apps], rows,
                  title="Where the main thread's samples fall (V8 sampling profiler, 0.2 ms)")


def bench(portal: h.App, bare: h.App, args) -> None:
    from playwright.sync_api import sync_playwright

    urls = {"portal": portal.browser_url + PATHS["portal"], "bare": bare.browser_url + PATHS["bare"]}
    results = {kind: [[] for _ in range(args.rounds)] for kind in urls}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for kind, url in urls.items():
                for _ in range(WARMUP):
                    cold_load(browser, url)
            for round_no in range(args.rounds):
                for n in range(args.loads):
                    order = ("portal", "bare") if (round_no + n) % 2 == 0 else ("bare", "portal")
                    for kind in order:
                        figures = cold_load(browser, urls[kind])
                        results[kind][round_no].append(figures)
                        h.log(f"round {round_no + 1} load {n + 1} {kind:6}: usable "
                              f"{figures['usable']:.0f} ms, state "
                              f"{figures['state'] or float('nan'):.0f} ms, "
                              f"{figures['bytes'] / 1024:.0f} KiB")
        finally:
            browser.close()
    report(results, args)


def report(results, args) -> None:
    def med(kind, key):
        values = [f[key] for rnd in results[kind] for f in rnd if f[key] is not None]
        return h.median(values)

    rows = []
    for label, key, unit in (
        ("login page usable (hydrated, first input enabled), median", "usable", "ms"),
        ("first contentful paint, median", "fcp", "ms"),
        ("backend state received (`is_hydrated`), median", "state", "ms"),
        ("`load` event, median", "load", "ms"),
        ("bytes transferred", "bytes", "KiB"),
        ("requests", "requests", ""),
    ):
        portal, bare = med("portal", key), med("bare", key)
        if unit == "ms":
            cells = [f"{portal:.0f} ms", f"{bare:.0f} ms"]
        elif unit == "KiB":
            cells = [f"{portal / 1024:,.0f} KiB", f"{bare / 1024:,.0f} KiB"]
        else:
            cells = [f"{portal:.0f}", f"{bare:.0f}"]
        goal = "≤ 1.3× bare" if key == "usable" else ""
        rows.append([label, *cells, h.ratio(portal, bare), goal])
    h.print_table(
        ["measure", "portal `/connexion`", "bare Reflex `/`", "ratio", "goal"], rows,
        title=(f"Page load — {args.rounds}×{args.loads} cold loads per app, Chromium, "
               f"{h.machine_note()}"),
    )
    noise = []
    for kind in ("portal", "bare"):
        per_round = [h.median([f["usable"] for f in rnd]) for rnd in results[kind]]
        noise.append([kind, h.spread(per_round, lambda v: f"{v:.0f} ms")])
    h.print_table(["app", "usable, median per round"], noise, title="Every round (noise)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loads", type=int, default=10, help="cold loads per app and round")
    parser.add_argument("--list", action="store_true",
                        help="one cold load per app: list every request (size, timing, cache)")
    parser.add_argument("--only", choices=("portal", "bare"),
                        help="with --list: start and list only this app")
    parser.add_argument("--profile", action="store_true",
                        help="main-thread time by kind (script, style, layout) at usable")
    parser.add_argument("--proxy", action="store_true",
                        help="both apps behind Caddy (TLS, HTTP/2), as deploy/Caddyfile puts the portal")
    args = parser.parse_args()
    if args.profile:
        kinds = [args.only] if args.only else ["portal", "bare"]
        with contextlib.ExitStack() as stack:
            apps = {kind: stack.enter_context(h.running(kind)) for kind in kinds}
            profile_mode(apps, args)
        return
    if args.list:
        kinds = [args.only] if args.only else ["portal", "bare"]
        with contextlib.ExitStack() as stack:
            apps = {kind: stack.enter_context(h.running(kind)) for kind in kinds}
            list_mode(apps, args)
        return
    if args.proxy:
        with h.both_apps(h.proxy_env("portal"), h.proxy_env("bare")) as (portal, bare), \
                h.behind_caddy(portal, bare):
            bench(portal, bare, args)
        return
    with h.both_apps() as (portal, bare):
        bench(portal, bare, args)


if __name__ == "__main__":
    h.main_wrapper(main)
