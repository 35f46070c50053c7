"""The server's share of a cold load of the login page (issue 12, goal 4).

    .venv/bin/python bench/page_requests.py [--runs 40]

Starts both apps (as ``page_load.py``), lists the requests of one cold load in
Chromium (the portal's ``/connexion``, the bare app's ``/``), then asks the
server for each of them again, one at a time on a new connection with
Chromium's ``Accept-Encoding``, ``--runs`` times, and prints each request's
median time (request sent → body read) and their sum: how much of the
page's time the server itself takes (the security headers, the page's CSP
hashes, the precompressed static files).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import statistics
import time
from urllib.parse import urlsplit

import _harness as h
import page_load as pl

PATHS = {"portal": "/connexion", "bare": "/"}


def timed_get(port: int, path: str) -> tuple[float, int, int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip, deflate, br, zstd",
                                                 "Accept": "*/*"})
        response = connection.getresponse()
        body = response.read()
        return (time.perf_counter() - started, response.status, len(body),
                response.getheader("content-encoding") or "–")
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        apps = {kind: stack.enter_context(h.running(kind)) for kind in PATHS}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=pl.CHROMIUM, args=pl.CHROMIUM_ARGS)
            try:
                loads = {}
                for kind, app in apps.items():
                    url = app.browser_url + PATHS[kind]
                    pl.list_requests(browser, url)  # warm-up
                    rows = pl.list_requests(browser, url)
                    loads[kind] = [url] + [r["url"] for r in rows
                                           if r["url"].startswith("http") and r["url"] != url]
            finally:
                browser.close()
        totals = []
        for kind, app in apps.items():
            rows = []
            for url in loads[kind]:
                parts = urlsplit(url)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                runs = [timed_get(app.port, path) for _ in range(args.runs)]
                median = statistics.median(r[0] for r in runs)
                _, status, size, encoding = runs[-1]
                rows.append((median, [h.fmt_ms(median), str(status), f"{size / 1024:.1f}",
                                      encoding, path[:80]]))
            rows.sort(key=lambda row: -row[0])
            total = sum(row[0] for row in rows)
            totals.append([kind, str(len(rows)), h.fmt_ms(total)])
            h.print_table(["median", "status", "KiB sent", "encoding", "path"],
                          [row[1] for row in rows], title=f"{kind}: {PATHS[kind]}")
        h.print_table(["app", "requests", "server time, sum of medians"], totals,
                      title=f"Server time of one cold load — {h.machine_note()}")


if __name__ == "__main__":
    h.main_wrapper(main)
