"""Memory per idle connected tab, 500 tabs open: the portal next to a bare Reflex app
(issue 12, goal 5).

    .venv/bin/python bench/memory.py [--rounds 3] [--tabs 500]

Both apps in prod mode. Each round, alternately on each app: the resident
memory (RSS) of the app's processes (the ``reflex run`` process and its
backend worker) is read, ``--tabs`` more websocket tabs connect and hydrate
like browsers (on_load handlers done), stay idle a few seconds, RSS is read
again; (after − before) / tabs is the cost of one tab. Tabs stay open until
the end (memory freed by closed connections would be reused by the next
ones and hide their cost), so round 2 measures tabs 501–1000 of a variant.

Portal tabs: anonymous on the login page (/connexion), and logged-in
suppliers on their home (/espace, 10 sessions shared round-robin: a tab's
states are per tab, not per session). Bare tabs: its index.

RSS is coarse: the first tabs of a process may reuse memory the process
freed after starting (the portal imports and compiles more than the bare
app), which lowers round 1; compare the rounds before trusting one figure.
"""

from __future__ import annotations

import argparse
import asyncio

import _harness as h

IDLE_SECONDS = 5
SESSIONS = 10


def rss_total(app: h.App) -> int:
    return sum(app.rss_kib().values())


async def add_tabs(app: h.App, tabs: int, page: str, cookies, settle, opened: list):
    """RSS (KiB, per process) before and after ``tabs`` more idle tabs; they stay open."""
    await asyncio.sleep(2)
    before = app.rss_kib()
    opened.extend(await h.open_tabs(app, tabs, page=page, cookies=cookies, settle=settle))
    await asyncio.sleep(IDLE_SECONDS)
    return before, app.rss_kib()


async def bench(portal: h.App, bare: h.App, args) -> None:
    identifiants = h.create_suppliers(portal, SESSIONS)
    cookies = await h.login_many(portal, identifiants)
    variants = [
        ("portal, anonymous on /connexion", portal, "/connexion", [None], h.LOGIN_STATE),
        ("bare Reflex, index", bare, "/", [None], None),
        ("portal, supplier on /espace", portal, "/espace", cookies, h.HOME_STATE),
    ]
    opened: list[h.ReflexClient] = []
    try:
        # Warm up: the first tabs pay for imports and caches, not for a tab.
        for _label, app, page, tab_cookies, settle in variants:
            await h.close_all(await h.open_tabs(app, 20, page=page, cookies=tab_cookies,
                                                settle=settle))
        results = {label: [] for label, *_ in variants}
        for round_no in range(1, args.rounds + 1):
            order = variants if round_no % 2 else list(reversed(variants))
            for label, app, page, tab_cookies, settle in order:
                before, after = await add_tabs(app, args.tabs, page, tab_cookies, settle, opened)
                grown = sum(after.values()) - sum(before.values())
                per_tab = grown * 1024 / args.tabs
                results[label].append((sum(before.values()), sum(after.values()), per_tab))
                detail = ", ".join(f"pid {pid} {before.get(pid, 0) // 1024}→{kib // 1024} MiB"
                                   for pid, kib in after.items())
                h.log(f"round {round_no} {label}: +{args.tabs} tabs ({len(opened)} open): "
                      f"{detail}: {per_tab / 1000:.0f} KB per tab")
    finally:
        h.log(f"closing {len(opened)} tabs")
        await h.close_all(opened)
    report(results, args)


def report(results, args) -> None:
    bare = h.median([r[2] for r in results["bare Reflex, index"]])
    rows = []
    for label, values in results.items():
        per_tab = h.median([v[2] for v in values])
        last = values[-1]
        rows.append([
            label, f"{per_tab / 1000:.0f} KB",
            h.spread([v[2] for v in values], lambda b: f"{b / 1000:.0f}"),
            f"{last[0] / 1024:.0f} → {last[1] / 1024:.0f} MiB",
            h.ratio(per_tab, bare),
            "" if label.startswith("bare") else ("≤ 200 KB: yes" if per_tab <= 200_000
                                                 else "≤ 200 KB: no"),
        ])
    h.print_table(
        ["tabs", "memory per idle tab (median)", "per round (KB)", "RSS around the last round",
         "ratio to bare", "goal"],
        rows,
        title=f"Memory — {args.tabs} tabs connected, {args.rounds} rounds, {h.machine_note()}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tabs", type=int, default=500)
    args = parser.parse_args()
    with h.both_apps() as (portal, bare):
        asyncio.run(bench(portal, bare, args))


if __name__ == "__main__":
    h.main_wrapper(main)
