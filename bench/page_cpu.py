"""Where the machine's cores go during a cold load of the login page: CPU time of
every process and thread group, read from /proc (issue 12, goal 4).

    .venv/bin/python bench/page_cpu.py [--loads 12] [--running PORTAL BARE]

Starts both apps as ``page_load.py`` does (prod mode, the portal's ``/connexion``
next to the bare app's ``/``; ``--running`` uses two apps already running at
those base URLs), then makes ``--loads`` cold loads of each, alternating, as
``page_load.py`` does (new browser context, the same probe). Around each load,
from the navigation until the page is usable, it reads the CPU time (user +
system, ``/proc/<pid>/stat`` and ``/proc/<pid>/task/<tid>/stat``) of:

* Chromium's **browser** process (its main thread, its IO thread, the rest), the
  **renderer** (main thread, thread pool — V8's off-thread compile, raster,
  font decoding —, IO thread, the rest), the GPU process, the network service
  and its other helpers;
* the two apps' servers (every process whose command line names reflex or
  granian) and everything else on the machine (this script and Playwright's
  driver included).

It prints the mean CPU per load of each group next to the median « usable »
time, and the sum over every process: on a machine with C cores a load whose
total CPU is T cannot become usable before T / C, whatever its order of work.
Clock ticks are 10 ms: the means are good to a few ms over a dozen loads.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re

import _harness as h
import page_load as pl

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
THREAD_GROUPS = {"chromium": "main thread", "Chrome_IOThread": "IO thread",
                 "Chrome_ChildIOT": "IO thread", "ThreadPoolForeg": "thread pool"}


def _ticks(stat: str) -> int:
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _group(cmdline: str) -> str | None:
    """The group of a process, ``None`` for the Chromium processes split by thread."""
    if "chromium" in cmdline:
        if "--type=renderer" in cmdline or "--type=" not in cmdline:
            return None
        if "--type=gpu-process" in cmdline:
            return "Chromium GPU process"
        if "network" in cmdline:
            return "Chromium network service"
        return "Chromium, other helpers"
    if "reflex" in cmdline or "granian" in cmdline:
        return "the apps' servers"
    return "everything else (this script, Playwright…)"


def snapshot() -> dict[tuple[str, int], tuple[int, str]]:
    """CPU ticks now: per process, or per thread for Chromium's browser and renderers."""
    out: dict[tuple[str, int], tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline") as fh:
                cmdline = fh.read().replace("\0", " ")
        except OSError:
            continue
        group = _group(cmdline)
        if group is not None:
            out[("p", int(entry))] = (_ticks(stat), group)
            continue
        process = "renderer" if "--type=renderer" in cmdline else "browser"
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{entry}/task"):
                with contextlib.suppress(OSError), open(f"/proc/{entry}/task/{tid}/stat") as fh:
                    stat = fh.read()
                    name = re.sub(r"\d+$", "", stat[stat.index("(") + 1:stat.rindex(")")])
                    out[("t", int(tid))] = (_ticks(stat),
                                            f"Chromium {process}: {THREAD_GROUPS.get(name, 'other threads')}")
    return out


def measured_load(browser, url: str) -> tuple[float, dict[str, float]]:
    """One cold load: (usable ms, CPU ms per group from the navigation to usable)."""
    with pl.cold_page(browser) as (_context, page):
        before = snapshot()
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.__usableAt !== undefined")
        after = snapshot()
        usable = page.evaluate("window.__usableAt")
    cpu: dict[str, float] = collections.Counter()
    for key, (ticks, group) in after.items():
        cpu[group] += (ticks - before.get(key, (0, group))[0]) * TICK_MS
    return usable, dict(cpu)


def report(loads: dict[str, list[tuple[float, dict[str, float]]]], args) -> None:
    groups = sorted({g for kind in loads for _, cpu in loads[kind] for g in cpu})
    mean = {kind: {g: sum(cpu.get(g, 0.0) for _, cpu in loads[kind]) / len(loads[kind]) for g in groups}
            for kind in loads}
    rows = [["usable, median", *(f"{h.median([u for u, _ in loads[k]]):.0f} ms" for k in loads), ""]]
    rows += [[g, *(f"{mean[k][g]:.0f} ms" for k in loads), f"{mean['portal'][g] - mean['bare'][g]:+.0f} ms"]
             for g in groups]
    totals = {k: sum(mean[k].values()) for k in loads}
    cores = os.cpu_count() or 1
    rows.append(["**every process**", *(f"**{totals[k]:.0f} ms**" for k in loads),
                 f"{totals['portal'] - totals['bare']:+.0f} ms"])
    rows.append([f"every process ÷ {cores} cores (the least wall time it needs)",
                 *(f"{totals[k] / cores:.0f} ms" for k in loads), ""])
    h.print_table(["CPU from navigation to usable, mean per load", "portal `/connexion`", "bare `/`",
                   "portal − bare"], rows,
                  title=f"CPU of a cold load — {args.loads} loads per app, {h.machine_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=12, help="cold loads per app")
    parser.add_argument("--running", nargs=2, metavar=("PORTAL", "BARE"),
                        help="base URLs of apps already running (none started)")
    args = parser.parse_args()
    loads: dict[str, list] = {"portal": [], "bare": []}
    with pl.browser_and_urls(args.running) as (browser, urls):
        for url in urls.values():
            for _ in range(pl.WARMUP):
                measured_load(browser, url)
        for n in range(args.loads):
            for kind in (("portal", "bare") if n % 2 == 0 else ("bare", "portal")):
                usable, cpu = measured_load(browser, urls[kind])
                loads[kind].append((usable, cpu))
                h.log(f"load {n + 1} {kind:6}: usable {usable:.0f} ms, CPU {sum(cpu.values()):.0f} ms")
    report(loads, args)


if __name__ == "__main__":
    h.main_wrapper(main)
