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
app), which lowers its first 500; compare the rounds before trusting one
figure. The table gives, per variant, how many tabs its app had open after
each round: the goal (≤ 200 KB « with 500 tabs open ») is read on the first
round of the first variant of each app (its 500 first tabs); the later rounds
give what each further tab costs once the process is warm.

``--redis URL`` runs both apps as the production profile does: their tab
states in Redis (the portal in database 14 of that server, the bare app in 15,
both emptied first; one backend worker each) instead of the disk state manager
(which keeps every tab's whole state tree in the process's memory until it
expires). A tab then costs its process's memory **plus** what its states take
in Redis (``INFO memory`` ``used_memory``, read around each round: only one
app is active at a time); both are printed, and their sum.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

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


def redis_used(client) -> int:
    """Bytes Redis holds (``used_memory``); 0 without Redis."""
    return int(client.info("memory")["used_memory"]) if client is not None else 0


async def bench(portal: h.App, bare: h.App, args, redis_client=None) -> None:
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
        open_per_app = {portal.kind: 0, bare.kind: 0}
        for round_no in range(1, args.rounds + 1):
            order = variants if round_no % 2 else list(reversed(variants))
            for label, app, page, tab_cookies, settle in order:
                redis_before = redis_used(redis_client)
                before, after = await add_tabs(app, args.tabs, page, tab_cookies, settle, opened)
                in_redis = (redis_used(redis_client) - redis_before) / args.tabs
                open_per_app[app.kind] += args.tabs
                grown = sum(after.values()) - sum(before.values())
                per_tab = grown * 1024 / args.tabs
                results[label].append({"before": sum(before.values()), "after": sum(after.values()),
                                       "process": per_tab, "redis": in_redis,
                                       "open": open_per_app[app.kind]})
                detail = ", ".join(f"pid {pid} {before.get(pid, 0) // 1024}→{kib // 1024} MiB"
                                   for pid, kib in after.items())
                h.log(f"round {round_no} {label}: +{args.tabs} tabs ({open_per_app[app.kind]} open "
                      f"in that app): {detail}: {per_tab / 1000:.0f} KB per tab"
                      + (f" + {in_redis / 1000:.1f} KB in Redis" if redis_client is not None else ""))
    finally:
        h.log(f"closing {len(opened)} tabs")
        await h.close_all(opened)
    report(results, args, redis=redis_client is not None)


def report(results, args, *, redis: bool = False) -> None:
    def total(v: dict) -> float:
        return v["process"] + v["redis"]

    bare_later = h.median([total(v) for v in results["bare Reflex, index"] if v["open"] > args.tabs]
                          or [total(v) for v in results["bare Reflex, index"]])
    rows = []
    for label, values in results.items():
        first = values[0]
        later = [total(v) for v in values if v["open"] > args.tabs]
        per_round = " / ".join(
            f"{total(v) / 1000:.0f} ({v['open']})" for v in values)
        goal = ""
        if not label.startswith("bare") and first["open"] == args.tabs:
            goal = f"≤ 200 KB at {args.tabs} tabs: " + ("yes" if total(first) <= 200_000 else "no")
        rows.append([
            label,
            f"{total(first) / 1000:.0f} KB" if first["open"] == args.tabs else "–",
            f"{h.median(later) / 1000:.0f} KB" if later else "–",
            h.ratio(h.median(later), bare_later) if later else "–",
            per_round,
            *([f"{h.median([v['process'] for v in values]) / 1000:.0f} + "
               f"{h.median([v['redis'] for v in values]) / 1000:.1f} KB"] if redis else []),
            f"{values[-1]['before'] / 1024:.0f} → {values[-1]['after'] / 1024:.0f} MiB",
            goal,
        ])
    state = "tab states in Redis" if redis else "tab states in the process (disk state manager)"
    h.print_table(
        ["tabs", f"per tab, the app's first {args.tabs}", "per tab, later rounds (median)",
         "later rounds, ratio to bare", "per round: KB per tab (tabs open in that app)",
         *(["process + Redis per tab (median)"] if redis else []),
         "RSS around the last round", "goal"],
        rows,
        title=(f"Memory — {args.tabs} tabs per round, {args.rounds} rounds, {state}, "
               f"{h.machine_note()}"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tabs", type=int, default=500)
    parser.add_argument("--redis", metavar="URL",
                        help="tab states in this Redis server (databases 14 and 15), as in production")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        client, envs = None, ({}, {})
        if args.redis:
            import redis

            base = args.redis.rstrip("/")
            for db in (14, 15):
                redis.Redis.from_url(f"{base}/{db}").flushdb()
            client = redis.Redis.from_url(f"{base}/14")
            one_worker = {"GRANIAN_WORKERS": "1", "SEGUR_WORKERS": "1"}
            envs = ({**one_worker, "REFLEX_REDIS_URL": f"{base}/14"},
                    {**one_worker, "REFLEX_REDIS_URL": f"{base}/15"})
        portal, bare = stack.enter_context(h.both_apps(*envs))
        asyncio.run(bench(portal, bare, args, client))


if __name__ == "__main__":
    h.main_wrapper(main)
