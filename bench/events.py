"""Event latency and throughput: the portal next to a bare Reflex app (issue 12, goal 1).

    .venv/bin/python bench/events.py [--rounds 3] [--clients 50] [--events 300] [--per-client 40]

Starts both apps in prod mode (ports 3301 / 3302), opens websocket tabs like
browsers do (the portal's suppliers log in through the real form POST first,
the cookie goes into the handshake), then measures each row alternately on
the portal and on the bare app, ``--rounds`` times, in closed loops (a client
sends its next event when the update of the previous one arrived):

* cheap public handler, 1 client: ``LoginState.clear_messages`` (anonymous,
  on /connexion) vs the bare ``incr``;
* guarded handler, 1 client and N clients: ``SessionState.require_user`` as
  a supplier (each of the N tabs has its own session) followed by
  ``clear_messages`` (a guarded event that changes nothing sends no update, so
  the public event's update tells when both were processed) vs ``incr`` twice;
  latencies are of the pair, throughputs count both events;
* ``HomeState.load`` (the private home's on_load), 1 and N clients: back on
  the home page with the same news it assigns nothing and sends no update,
  so it is measured as the guarded handler is, followed by ``clear_messages``,
  vs ``incr`` twice.

Prints the median over the rounds of each figure, with the ratios
portal / bare, then every round's figures (the machine is shared: look at
the spread before believing a ratio). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _harness as h

WARMUP = 50


async def closed_loop(clients: list[h.ReflexClient], sequence: tuple[list[str], int],
                      per_client: int):
    """Every client sends ``per_client`` times its sequence of events (handlers,
    updates they cause) back to back; (latencies of a sequence, events/s)."""
    handlers, updates = sequence
    latencies: list[float] = []

    async def run(client: h.ReflexClient) -> None:
        for _ in range(per_client):
            start = time.perf_counter()
            await client.call_sequence(handlers, updates)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    wall = time.perf_counter() - start
    return latencies, len(latencies) * len(handlers) / wall


INCR = h.BARE_STATE + ".incr"
CLEAR = h.LOGIN_STATE + ".clear_messages"
GUARDED = h.SESSION_STATE + ".require_user"
# A guarded event of a tab whose session is unchanged changes nothing, so Reflex
# sends no update: it is measured followed by a cheap public event on the same
# tab (processed after it, under the tab's lock) whose update ends the sequence;
# the bare app runs two ``incr`` (two updates).
PAIR_PORTAL = ([GUARDED, CLEAR], 1)
PAIR_BARE = ([INCR, INCR], 2)
# HomeState.load of a tab already on the home page changes nothing either.
HOME_PORTAL = ([h.HOME_STATE + ".load", CLEAR], 1)
ONE_BARE = ([INCR], 1)


def measures(args) -> list[dict]:
    """(label, portal sequence, portal tabs, bare sequence, clients, sequences per client)."""
    one, many = args.events, args.per_client
    return [
        {"label": "cheap public handler (`LoginState.clear_messages`), 1 client",
         "portal": ([CLEAR], 1), "bare": ONE_BARE, "tabs": "public", "clients": 1, "n": one},
        {"label": "guarded handler (`SessionState.require_user`) + `clear_messages`, 1 client",
         "portal": PAIR_PORTAL, "bare": PAIR_BARE, "tabs": "private", "clients": 1, "n": one},
        {"label": f"guarded handler (`require_user`) + `clear_messages`, {args.clients} clients",
         "portal": PAIR_PORTAL, "bare": PAIR_BARE, "tabs": "private",
         "clients": args.clients, "n": many},
        {"label": "`HomeState.load` + `clear_messages`, 1 client",
         "portal": HOME_PORTAL, "bare": PAIR_BARE, "tabs": "private", "clients": 1, "n": one},
        {"label": f"`HomeState.load` + `clear_messages`, {args.clients} clients",
         "portal": HOME_PORTAL, "bare": PAIR_BARE, "tabs": "private",
         "clients": args.clients, "n": many},
    ]


async def bench(portal: h.App, bare: h.App, args) -> None:
    log = h.log
    log(f"[portal] creating {args.clients} suppliers (first login done) and logging them in")
    identifiants = h.create_suppliers(portal, args.clients)
    cookies = await h.login_many(portal, identifiants)
    tabs = {}
    try:
        log("[portal] opening tabs: 1 anonymous on /connexion, "
            f"{args.clients} suppliers on /espace")
        tabs["portal", "public"] = await h.open_tabs(
            portal, 1, page="/connexion", cookies=[None], settle=h.LOGIN_STATE)
        tabs["portal", "private"] = await h.open_tabs(
            portal, args.clients, page="/espace", cookies=cookies, settle=h.HOME_STATE)
        log(f"[bare] opening {args.clients} tabs on /")
        tabs["bare", "all"] = await h.open_tabs(bare, args.clients, page="/", cookies=[None])

        rows = measures(args)
        results = {(m["label"], kind): [] for m in rows for kind in ("portal", "bare")}
        for m in rows:  # warm both code paths
            await closed_loop(tabs["portal", m["tabs"]][:1], m["portal"], WARMUP)
        await closed_loop(tabs["bare", "all"][:1], PAIR_BARE, WARMUP)

        for round_no in range(1, args.rounds + 1):
            order = ("portal", "bare") if round_no % 2 else ("bare", "portal")
            for m in rows:
                for kind in order:
                    if kind == "portal":
                        clients, handler = tabs["portal", m["tabs"]][: m["clients"]], m["portal"]
                    else:
                        clients, handler = tabs["bare", "all"][: m["clients"]], m["bare"]
                    latencies, rate = await closed_loop(clients, handler, m["n"])
                    p50, p95 = h.percentile(latencies, 0.5), h.percentile(latencies, 0.95)
                    results[m["label"], kind].append((p50, p95, rate))
                    what = m["label"] if kind == "portal" else f"incr, {m['clients']} client(s)"
                    log(f"round {round_no} {kind:6} {what}: p50 {h.fmt_ms(p50)}, "
                        f"p95 {h.fmt_ms(p95)}, {rate:,.0f} ev/s")
                    await asyncio.sleep(0.5)
    finally:
        for clients in tabs.values():
            await h.close_all(clients)

    report(rows, results, args)


def _median_of(values, index):
    return h.median([v[index] for v in values])


def report(rows, results, args) -> None:
    table = []
    for m in rows:
        portal, bare = results[m["label"], "portal"], results[m["label"], "bare"]
        p50p, p50b = _median_of(portal, 0), _median_of(bare, 0)
        p95p, p95b = _median_of(portal, 1), _median_of(bare, 1)
        ratep, rateb = _median_of(portal, 2), _median_of(bare, 2)
        table.append([
            m["label"],
            f"{h.fmt_ms(p50p)} / {h.fmt_ms(p95p)} / {h.fmt_rate(ratep, 'ev/s')}",
            f"{h.fmt_ms(p50b)} / {h.fmt_ms(p95b)} / {h.fmt_rate(rateb, 'ev/s')}",
            f"{h.ratio(p50p, p50b)} / {h.ratio(p95p, p95b)} / {h.ratio(rateb, ratep)}",
        ])
    h.print_table(
        ["measure", "portal p50 / p95 / throughput", "bare Reflex (`incr`) p50 / p95 / throughput",
         "ratio p50 / p95 / bare÷portal throughput"],
        table,
        title=f"Events — median of {args.rounds} rounds, {h.machine_note()}",
    )
    goal_rows = []
    for m in rows:
        if "guarded" not in m["label"]:
            continue
        portal, bare = results[m["label"], "portal"], results[m["label"], "bare"]
        p50_ratio = _median_of(portal, 0) / _median_of(bare, 0)
        if m["clients"] == 1:
            goal_rows.append([m["label"], "p50 ≤ 1.5× bare", f"{p50_ratio:.2f}×",
                              "yes" if p50_ratio <= 1.5 else "no"])
        else:
            rate = _median_of(portal, 2)
            goal_rows.append([m["label"], "p50 ≤ 2× bare and ≥ 1,500 ev/s",
                              f"{p50_ratio:.2f}×, {rate:,.0f} ev/s",
                              "yes" if p50_ratio <= 2 and rate >= 1500 else "no"])
    h.print_table(["goal 1 (issue 12)", "target", "measured", "met"], goal_rows,
                  title="Goal 1")
    per_round = []
    for m in rows:
        for kind in ("portal", "bare"):
            values = results[m["label"], kind]
            per_round.append([m["label"], kind,
                              h.spread([v[0] for v in values], h.fmt_ms),
                              h.spread([v[2] for v in values], lambda r: f"{r:,.0f}")])
    h.print_table(["measure", "app", "p50 per round", "ev/s per round"], per_round,
                  title="Every round (noise)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=300, help="events of the 1-client rows")
    parser.add_argument("--per-client", type=int, default=40,
                        help="events per client of the N-client rows")
    args = parser.parse_args()
    with h.both_apps() as (portal, bare):
        asyncio.run(bench(portal, bare, args))


if __name__ == "__main__":
    h.main_wrapper(main)
