"""Fault drills on the production profile (issue 13): ``make drills``.

    .venv/bin/python drills/run.py [--drills 1,2,3,4,5,6] [--smtp-down-seconds 120]
                                   [--soak-deposits 1000] [--soak-clients 20]

Starts, all private to this run: a PostgreSQL cluster (initdb), redis-server,
an SMTP server (aiosmtpd) and the portal (``reflex run --env prod``, 2 granian
workers, PostgreSQL + Redis); creates enrolled suppliers and an agent; then
runs each drill with scripted users (``actors.py``) and checks what must hold
(``checks.py``). Prints one table per drill; exit code 1 if any check failed.
See README « Mise en production » › « Exercices de panne ».
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import actors  # noqa: E402  (puts bench/ and the repository on sys.path)
import checks  # noqa: E402
import services as sv  # noqa: E402
from actors import Agent, Supplier, h  # noqa: E402

PORTAL_PORT = int(os.environ.get("DRILL_PORTAL_PORT", "3150"))
PG_PORT = int(os.environ.get("DRILL_PG_PORT", "3151"))
REDIS_PORT = int(os.environ.get("DRILL_REDIS_PORT", "3152"))
SMTP_PORT = int(os.environ.get("DRILL_SMTP_PORT", "3153"))
S3_PORT = int(os.environ.get("DRILL_S3_PORT", "3154"))
AGENT, AGENT_PASSWORD = "drill.agent", "Exercice-2026!x"


class Profile:
    """Everything a drill acts on."""

    def __init__(self, args) -> None:
        self.args = args
        self.workdir = sv.fresh_workdir()
        self.pg = sv.PrivatePostgres(PG_PORT, self.workdir / "pg")
        self.redis = sv.PrivateRedis(REDIS_PORT, self.workdir / "redis")
        self.smtp = sv.SmtpSink(SMTP_PORT)
        self.portal: sv.Portal | None = None
        self.s3 = None  # the S3-compatible server, when the storage backend exists
        self.pool: list[str] = []
        self.used = 0
        self.injected: dict[str, int] = {}

    def start(self, suppliers: int) -> None:
        self.pg.start()
        self.redis.start()
        self.smtp.up()
        env = sv.portal_env(workdir=self.workdir, port=PORTAL_PORT, db_url=self.pg.url,
                            redis_url=self.redis.url, smtp_port=SMTP_PORT,
                            workers=self.args.workers)
        if sv.s3_available() and os.environ.get("DRILL_STORAGE", "s3") == "s3":
            from tests.s3_server import start_s3_server

            self.s3 = start_s3_server(S3_PORT, self.workdir / "s3", bucket="segur")
            env.update(self.s3.settings_env("segur", "documents"))
            sv.log(f"[s3] S3-compatible server on 127.0.0.1:{S3_PORT} (tests/s3_server.py)")
        subprocess.run([sv.PYTHON, "-m", "segur_app.cli", "migrate"], cwd=sv.ROOT, env=env,
                       check=True, capture_output=True)
        sv.log(f"[data] {suppliers} enrolled suppliers and one agent")
        self.pool = h.create_suppliers(types.SimpleNamespace(db_url=self.pg.url), suppliers,
                                       prefix="drill")
        create_agent(self.pg.url)
        self.portal = sv.Portal(PORTAL_PORT, self.workdir, env)
        self.portal.start()

    def stop(self) -> None:
        for part in (self.portal, self.redis, self.s3):
            if part is not None:
                part.stop()
        self.smtp.down()
        self.pg.stop()
        if os.environ.get("DRILL_KEEP"):
            sv.log(f"kept {self.workdir}")
        else:
            sv.remove_workdir(self.workdir)

    def take(self, n: int) -> list[str]:
        chosen = self.pool[self.used:self.used + n]
        self.used += n
        return chosen

    def already_deposited(self, identifiant: str) -> bool:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.pg.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(
                    "SELECT count(*) FROM funding_request f JOIN user_account u "
                    "ON u.supplier_id = f.supplier_id WHERE u.identifiant = :i"),
                    {"i": identifiant}).scalar() > 0
        except Exception:  # noqa: BLE001 - the database may be restarting
            return False
        finally:
            engine.dispose()

    def suppliers(self, identifiants: list[str]) -> list[Supplier]:
        base = self.used
        return [Supplier(self.portal, i, base + n, already_deposited=self.already_deposited)
                for n, i in enumerate(identifiants)]

    def verify(self, outcomes, decisions, identifiants) -> checks.Verdict:
        return checks.verify(db_url=self.pg.url,
                             storage_dir=None if self.s3 else self.portal.storage_dir,
                             env=self.portal.env, outcomes=outcomes, decisions=decisions,
                             smtp=self.smtp, suppliers=set(identifiants))

    def count(self, fault: str) -> None:
        self.injected[fault] = self.injected.get(fault, 0) + 1

    # -- faults ---------------------------------------------------------------

    async def smtp_outage(self, seconds: float) -> None:
        self.count("SMTP down")
        self.smtp.down()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.smtp.up()

    async def restart_postgres(self) -> None:
        self.count("PostgreSQL restarted")
        await asyncio.to_thread(self.pg.restart)

    async def kill_worker(self) -> int:
        self.count("worker SIGKILLed")
        workers = self.portal.worker_pids()
        victim = random.choice(workers)
        os.kill(victim, signal.SIGKILL)
        # granian replaces it (core/workers.py): wait for the count to be back.
        await asyncio.to_thread(sv.wait_for, lambda: len(
            [p for p in self.portal.worker_pids() if p != victim]) >= len(workers),
            "worker respawned", 60, 0.5)
        return victim

    async def object_store_outage(self, seconds: float) -> None:
        self.count("object store unreachable")
        self.s3.pause()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.s3.resume()

    async def restart_redis(self, down_seconds: float = 3) -> None:
        self.count("Redis restarted")
        await asyncio.to_thread(self.redis.restart, down_seconds=down_seconds)


def create_agent(db_url: str) -> None:
    from sqlmodel import Session

    from segur_app.core.db import make_engine
    from segur_app.core.security import hash_password
    from segur_app.domain.models import Role, UserAccount
    from segur_app.domain.passwords import normalise_secret_answer

    engine = make_engine(db_url)
    with Session(engine) as session:
        session.add(UserAccount(
            identifiant=AGENT, email="agent.exercice@asp.example", first_name="Agent",
            last_name="EXERCICE", role=Role.STAFF.value, password_hash=hash_password(AGENT_PASSWORD),
            must_change_password=False, secret_question="Ville de naissance ?",
            secret_answer_hash=hash_password(normalise_secret_answer("Lyon"))))
        session.commit()
    engine.dispose()


async def deposit_all(suppliers: list[Supplier], concurrency: int, deadline: float):
    gate = asyncio.Semaphore(concurrency)

    async def one(s: Supplier):
        async with gate:
            return await s.deposit(deadline=deadline)

    return list(await asyncio.gather(*(one(s) for s in suppliers)))


async def reject_some(profile: Profile, outcomes, every: int, deadline: float):
    agent = Agent(profile.portal, AGENT, AGENT_PASSWORD)
    numbers = [o.number for o in outcomes if o.number][::every]
    return [await agent.reject(n, deadline=deadline) for n in numbers]


# --------------------------------------------------------------------------- #
# The drills
# --------------------------------------------------------------------------- #


async def drill_smtp(p: Profile):
    """1. SMTP down for --smtp-down-seconds while users deposit; then back."""
    ids = p.take(8)
    deadline = time.monotonic() + p.args.smtp_down_seconds + 240
    outage = asyncio.create_task(p.smtp_outage(p.args.smtp_down_seconds))
    outcomes = await deposit_all(p.suppliers(ids), 4, deadline)
    decisions = await reject_some(p, outcomes, 3, deadline)
    await outage
    return outcomes, decisions, ids, {"SMTP down (s)": p.args.smtp_down_seconds}


async def drill_postgres(p: Profile):
    """2. PostgreSQL restarted (immediate: like a crash) while « Valider » is in
    flight for at least two users, then again 2 s later."""
    ids = p.take(10)
    deadline = time.monotonic() + 240
    suppliers = p.suppliers(ids)
    task = asyncio.create_task(deposit_all(suppliers, 10, deadline))
    in_flight = 0
    wait_until = time.monotonic() + 90
    while time.monotonic() < wait_until and not task.done():  # « Valider » in flight
        if (in_flight := Supplier.submitting) >= 2:
            break
        await asyncio.sleep(0.01)
    await p.restart_postgres()
    await asyncio.sleep(2)
    await p.restart_postgres()
    outcomes = await task
    decisions = await reject_some(p, outcomes, 4, deadline)
    return outcomes, decisions, ids, {"PostgreSQL restarts": 2,
                                      "« Valider » in flight at the first restart": in_flight}


async def _staged_tab(s: Supplier) -> None:
    """A supplier's tab with its three files chosen (the form's state in Redis)."""
    await s.tab.open(h.ADVANCE_STATE)
    import httpx

    from deposit import _slot_error, upload

    async with httpx.AsyncClient(base_url=s.tab.portal.base_url, timeout=30) as http:
        for kind, name, data, mime in s.files:
            updates = await upload(http, s.tab.client, h.ADVANCE_STATE + ".stage_file",
                                   name, data, mime, {"kind": kind})
            if _slot_error(updates, kind) is not None:
                raise h.ReflexError(f"{name} refused")


async def _reconnect_and_read(s: Supplier, reloads: int = 4) -> dict:
    """Reload the tab (same tab token): what the hydrate shows of the form and
    session. A tab told « momentanément indisponible » (the first command on a
    connection Redis dropped) is reloaded again, as the message asks."""
    for _attempt in range(reloads):
        seen = await _read_reloaded(s)
        if seen.get("loaded"):
            return seen
        s.outcome.errors.append(f"reload showed {seen}")
        await asyncio.sleep(2)  # « Réessayez dans quelques instants »
    return seen


async def _read_reloaded(s: Supplier) -> dict:
    await s.tab.close()
    client = h.ReflexClient(s.tab.portal, cookie=s.tab.cookie, page=s.tab.page, token=s.tab.token)
    s.tab.client = client
    await client.connect(timeout=20)
    seen: dict = {}
    deadline = time.monotonic() + 45
    updates = 0
    # The hydrate (whole state), then the page's on_load (AdvanceState.load).
    while time.monotonic() < deadline and not seen.get("loaded"):
        try:
            update = await client.wait_for_any(timeout=max(0.1, deadline - time.monotonic()))
        except (TimeoutError, asyncio.TimeoutError):
            break
        updates += 1
        if actors.UNAVAILABLE in str(update):
            seen["told to reload"] = True
            break
        delta = update.get("delta") or {}
        if delta.get(h.ROOT_STATE, {}).get("is_hydrated_rx_state_") is True:
            seen["hydrated"] = True
        for name, value in delta.get(h.SESSION_STATE, {}).items():
            if name.startswith("user_identifiant") and value:
                seen["identifiant"] = value
        for name, value in delta.get(h.ADVANCE_STATE, {}).items():
            if name.startswith("slots"):
                seen["files"] = sum(1 for slot in value if slot.get("file_name"))
        if updates > 1 and h.ADVANCE_STATE in delta:
            seen["loaded"] = True
    await client.quiet(0.3)
    return seen


async def drill_worker_kill(p: Profile):
    """3. A worker SIGKILLed during sessions: the next event, on another worker,
    finds the session and the form (three files chosen) as they were."""
    ids = p.take(6)
    suppliers = p.suppliers(ids)
    for s in suppliers:
        await _staged_tab(s)
    victim = await p.kill_worker()
    kept, cut = 0, 0
    for s in suppliers:
        cut += s.tab.client.closed
        seen = await _reconnect_and_read(s)
        if seen.get("files") == 3 and seen.get("identifiant") == s.outcome.identifiant:
            kept += 1
        else:
            sv.log(f"[worker killed] {s.outcome.identifiant}: tab shows {seen}")
    deadline = time.monotonic() + 180
    outcomes = []
    for s in suppliers:  # « Valider » without choosing the files again
        try:
            await s._upload_and_submit_staged()
        except actors.RETRYABLE as exc:
            s.outcome.errors.append(str(exc)[:120])
        if not s.outcome.accepted:
            await s.deposit(deadline=deadline)
        await s.tab.close()
        outcomes.append(s.outcome)
    extra = {"worker killed (pid)": victim, "tabs whose websocket was cut": cut,
             "tabs that kept session and files": f"{kept} / {len(suppliers)}"}
    return outcomes, [], ids, extra, (kept == len(suppliers), "a tab lost its session or files")


async def drill_redis(p: Profile):
    """4. Redis restarted (no persistence): users may reload, nothing is lost,
    nobody is in someone else's tab."""
    ids = p.take(6)
    suppliers = p.suppliers(ids)
    for s in suppliers:
        await _staged_tab(s)
    p.count("Redis restarted")
    p.redis.stop()
    # Once the workers noticed (SEGUR_REDIS_CHECK_SECONDS), an event gets the message.
    await asyncio.sleep(2.5)
    told = 0
    for s in suppliers:
        try:
            s.tab.client.emit(h.ADVANCE_STATE + ".keep_editing")
            update = await s.tab.next_update(timeout=10)
            sv.log(f"[redis down] unexpected update {str(update)[:200]}")
        except actors.RETRYABLE as exc:
            if not s.tab.saw_unavailable:
                sv.log(f"[redis down] no message: {exc}")
        told += s.tab.saw_unavailable
    await asyncio.sleep(2)
    await asyncio.to_thread(p.redis.start)
    p.redis.restarts += 1
    own, foreign = 0, 0
    for s in suppliers:
        seen = await _reconnect_and_read(s)
        if seen.get("identifiant") == s.outcome.identifiant:
            own += 1
        elif seen.get("identifiant"):
            foreign += 1
        else:
            sv.log(f"[redis restarted] {s.outcome.identifiant}: tab shows {seen}")
    deadline = time.monotonic() + 180
    outcomes = await deposit_all(suppliers, 6, deadline)
    extra = {"told « momentanément indisponible »": f"{told} / {len(suppliers)}",
             "tabs back with their own session": f"{own} / {len(suppliers)}",
             "tabs showing someone else": foreign}
    return outcomes, [], ids, extra, (
        foreign == 0 and told == len(suppliers) and own == len(suppliers),
        "a tab showed another user or no user, or no message while Redis was down")


async def drill_object_store(p: Profile):
    """5. Object store unreachable while users deposit: refused cleanly, nothing
    stored; once it is back the users' retries succeed."""
    if p.s3 is None:
        return None
    ids = p.take(6)
    deadline = time.monotonic() + 240
    task = asyncio.create_task(deposit_all(p.suppliers(ids), 6, deadline))
    await asyncio.sleep(1.0)  # uploads and « Valider » under way
    p.count("object store unreachable")
    p.s3.pause()
    await asyncio.sleep(p.args.s3_down_seconds)
    p.s3.resume()
    outcomes = await task
    return outcomes, [], ids, {"object store unreachable (s)": p.args.s3_down_seconds}


async def drill_soak(p: Profile):
    """6. Soak: --soak-deposits deposits from --soak-clients clients, faults 1–4 at random."""
    ids = p.take(p.args.soak_deposits)
    suppliers = p.suppliers(ids)
    deadline = time.monotonic() + p.args.soak_timeout
    rng = random.Random(13)
    before = dict(p.injected)
    started = time.monotonic()
    work = asyncio.create_task(deposit_all(suppliers, p.args.soak_clients, deadline))

    async def inject():
        faults = [lambda: p.smtp_outage(rng.uniform(5, 20)), p.restart_postgres,
                  p.kill_worker, lambda: p.restart_redis(rng.uniform(1, 4))]
        if p.s3 is not None:
            faults.append(lambda: p.object_store_outage(rng.uniform(3, 10)))
        while not work.done():
            pause = time.monotonic() + rng.uniform(8, 20)
            while time.monotonic() < pause and not work.done():
                await asyncio.sleep(0.2)
            if not work.done():
                try:
                    await rng.choice(faults)()
                except Exception as exc:  # noqa: BLE001 - reported, the soak goes on
                    sv.log(f"[soak] fault injection failed: {exc}")

    injector = asyncio.create_task(inject())
    outcomes = await work
    elapsed = time.monotonic() - started
    await injector  # ends after the fault under way, if any, is over (never cancelled mid-way)
    decisions = await reject_some(p, outcomes, 10, time.monotonic() + 300)
    times = [o.seconds for o in outcomes if o.accepted]
    faults = {k: v - before.get(k, 0) for k, v in p.injected.items() if v - before.get(k, 0)}
    extra = {"clients": p.args.soak_clients, "duration": f"{elapsed:.0f} s",
             "deposits per minute": f"{sum(o.accepted for o in outcomes) / elapsed * 60:.0f}",
             "deposit time p50 / p95 (retries included)":
                 f"{statistics.median(times):.2f} s / {h.percentile(times, 0.95):.2f} s"
                 if times else "–",
             "faults injected": ", ".join(f"{k} ×{v}" for k, v in faults.items()) or "none"}
    return outcomes, decisions, ids, extra


DRILLS = {1: ("1 SMTP down", drill_smtp), 2: ("2 PostgreSQL restarted", drill_postgres),
          3: ("3 worker SIGKILLed", drill_worker_kill), 4: ("4 Redis restarted", drill_redis),
          5: ("5 object store unreachable", drill_object_store), 6: ("6 soak", drill_soak)}


def needed_suppliers(args, chosen) -> int:
    return sum({1: 8, 2: 10, 3: 6, 4: 6, 5: 6, 6: args.soak_deposits}[d] for d in chosen)


async def run(profile: Profile, chosen: list[int]) -> bool:
    ok = True
    for number in chosen:
        name, drill = DRILLS[number]
        sv.log(f"=== drill {name}")
        result = await drill(profile)
        if result is None:
            print(f"\n### {name}: SKIPPED — documents are in the local directory: "
                  "no S3 storage backend (SEGUR_STORAGE_URL=s3://…, tests/s3_server.py) "
                  "on this branch, or DRILL_STORAGE=local\n")
            continue
        outcomes, decisions, ids, extra, *own_check = result
        verdict = await asyncio.to_thread(profile.verify, outcomes, decisions, ids)
        verdict.figures = {**extra, **verdict.figures}
        for passed, problem in own_check:
            if not passed:
                verdict.problems.append(problem)
        checks.print_verdict(name, verdict)
        ok &= verdict.ok
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drills", default="1,2,3,4,5,6")
    parser.add_argument("--smtp-down-seconds", type=float,
                        default=float(os.environ.get("DRILL_SMTP_DOWN_SECONDS", "120")))
    parser.add_argument("--soak-deposits", type=int,
                        default=int(os.environ.get("DRILL_SOAK_DEPOSITS", "1000")))
    parser.add_argument("--soak-clients", type=int, default=20)
    parser.add_argument("--s3-down-seconds", type=float, default=25)  # > 3 attempts × 5 s
    parser.add_argument("--soak-timeout", type=float, default=1800)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    chosen = [int(d) for d in args.drills.split(",") if d.strip()]
    profile = Profile(args)
    started = time.monotonic()
    ok = False

    def interrupted(signum, _frame):
        # Stop every service of the run at once (process groups, the private
        # cluster) and leave: waiting for asyncio to cancel users blocked on
        # services that are gone could take minutes.
        sv.log(f"signal {signum}: stopping the profile")
        profile.stop()
        os._exit(130)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    ok = False
    try:
        profile.start(needed_suppliers(args, chosen))
        storage = "S3-compatible object store" if profile.s3 else "local storage"
        print(f"# Fault drills — {h.machine_note()}, {args.workers} workers, "
              f"PostgreSQL + Redis + SMTP private to the run, {storage}")
        ok = asyncio.run(run(profile, chosen))
    finally:
        if not ok:  # what the portal logged stays for the post-mortem
            sv.keep_portal_log(profile.workdir)
        profile.stop()
        print(f"\nTotal {time.monotonic() - started:.0f} s — {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
