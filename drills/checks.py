"""What every drill asserts at the end (issue 13).

* every accepted deposit has its rows — one funding request with exactly its
  three pieces — and nothing else was saved (no request nobody was told about,
  no request without all its pieces);
* every piece's file is in the storage and its sha256 is the one of the bytes
  the client sent (and the one recorded);
* ``storage-check`` finds no orphan once the sweep (which every worker runs)
  has passed, and no missing or altered document;
* the outbox drained: every email delivered, each exactly once (one
  ``Message-ID`` per outbox row, no row received twice).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from services import PYTHON, ROOT, log

from segur_app.domain.models import EmailStatus, FundingStatus

SENT, REJECTED = EmailStatus.SENT.value, FundingStatus.REJECTED.value


@dataclass
class Verdict:
    figures: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _storage_check(env: dict, *, repair: bool) -> tuple[int, str]:
    run = subprocess.run([PYTHON, "-m", "segur_app.cli", "storage-check",
                          *(["--repair"] if repair else [])],
                         cwd=ROOT, env={**env, "SEGUR_STORAGE_GRACE_SECONDS": "0",
                                        "SEGUR_STAGING_MAX_AGE_SECONDS": "0"},
                         capture_output=True, text=True, timeout=300)
    summary = [line for line in run.stdout.splitlines() if line.startswith("Bilan")]
    return run.returncode, (summary[-1] if summary else run.stdout[-400:] + run.stderr[-400:])


def wait_for_outbox(db_url: str, timeout: float) -> int:
    """Wait until no email is pending; the number still pending (0 = drained)."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    pending = conn.execute(text(
                        "SELECT count(*) FROM email_message WHERE status <> :sent"),
                        {"sent": SENT}).scalar()
            except Exception:  # noqa: BLE001 - the database may be restarting
                pending = -1
            if pending == 0 or time.monotonic() > deadline:
                return pending
            time.sleep(0.5)
    finally:
        engine.dispose()


def verify(*, db_url: str, storage_dir, env: dict, outcomes, decisions, smtp,
           suppliers: set[str], mail_timeout: float = 420) -> Verdict:
    """``mail_timeout`` exceeds the outbox lease (5 min): an email claimed by a
    delivery round that a database restart interrupted waits for its lease."""
    verdict = Verdict()
    problems = verdict.problems
    waited = time.monotonic()
    pending = wait_for_outbox(db_url, mail_timeout)
    waited = time.monotonic() - waited
    if pending:
        problems.append(f"{pending} email(s) not delivered after {mail_timeout:.0f} s")
    time.sleep(2)  # a duplicate delivery would arrive now

    engine = create_engine(db_url)
    with engine.connect() as conn:
        requests = conn.execute(text(
            "SELECT f.id, f.dossier_number, u.identifiant, f.status FROM funding_request f "
            "JOIN user_account u ON u.supplier_id = f.supplier_id")).all()
        pieces = conn.execute(text(
            "SELECT funding_request_id, kind, sha256, storage_key FROM attachment "
            "WHERE funding_request_id IS NOT NULL")).all()
        mails = conn.execute(text(
            "SELECT id, created_at, status, funding_request_id FROM email_message")).all()
    engine.dispose()

    ours = [r for r in requests if r.identifiant in suppliers]
    by_user = {r.identifiant: r for r in ours}
    by_request: dict[int, list] = {}
    for piece in pieces:
        by_request.setdefault(piece.funding_request_id, []).append(piece)
    accepted = [o for o in outcomes if o.accepted]
    refused = [o for o in outcomes if not o.accepted]

    for o in accepted:
        row = by_user.get(o.identifiant)
        if row is None:
            problems.append(f"{o.identifiant}: deposit {o.number} accepted but no row")
            continue
        if o.number and o.number != row.dossier_number:
            problems.append(f"{o.identifiant}: shown {o.number}, saved {row.dossier_number}")
        kinds = {p.kind: p for p in by_request.get(row.id, [])}
        if set(kinds) != set(o.sha256):
            problems.append(f"{row.dossier_number}: pieces {sorted(kinds)} (half saved)")
            continue
        for kind, piece in kinds.items():
            if piece.sha256 != o.sha256[kind]:
                problems.append(f"{row.dossier_number}/{kind}: recorded sha256 differs")
            if storage_dir is None:
                continue  # object store: storage-check reads each object's sha256 below
            path = storage_dir / piece.storage_key[:2] / piece.storage_key
            try:
                stored = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                problems.append(f"{row.dossier_number}/{kind}: file missing")
                continue
            if stored != o.sha256[kind]:
                problems.append(f"{row.dossier_number}/{kind}: stored file's sha256 differs")
    for o in refused:
        if o.identifiant in by_user:
            problems.append(f"{o.identifiant}: never told it was deposited, yet a row exists")
    extra = set(by_user) - {o.identifiant for o in outcomes}
    if extra:
        problems.append(f"rows for suppliers that did not deposit: {sorted(extra)[:5]}")

    received = smtp.snapshot()
    ids = Counter(message_id for _to, _subject, message_id in received)
    duplicates = sum(n - 1 for n in ids.values() if n > 1)
    if duplicates:
        twice = sorted(m for m, n in ids.items() if n > 1)[:5]
        problems.append(f"{duplicates} duplicate email(s): {', '.join(twice)} "
                        "(grep their outbox ids in the kept portal log)")
    expected = {f"<outbox-{m.id}." for m in mails}
    got = {message_id.split(".", 1)[0] + "." for message_id in ids}
    missing = len(expected - got)
    if missing:
        problems.append(f"{missing} outbox email(s) never received")
    mails_per_request = Counter(m.funding_request_id for m in mails if m.funding_request_id)
    decided = {d.number for d in decisions if d.done}
    for o in accepted:
        row = by_user.get(o.identifiant)
        if row is None:
            continue
        wanted = 2 if row.dossier_number in decided else 1
        if mails_per_request.get(row.id, 0) != wanted:
            problems.append(f"{row.dossier_number}: {mails_per_request.get(row.id, 0)} "
                            f"email(s), expected {wanted}")
    status_of = {r.dossier_number: r.status for r in ours}
    for d in decisions:
        if d.done and status_of.get(d.number) != REJECTED:
            problems.append(f"{d.number}: rejection shown, status {status_of.get(d.number)!r}")

    code_before, before = _storage_check(env, repair=False)
    code_repair, _ = _storage_check(env, repair=True)
    code_after, after = _storage_check(env, repair=False)
    if code_after != 0:
        problems.append(f"storage-check after the sweep: exit {code_after} — {after}")
    if code_before == 3:
        problems.append(f"storage-check: a document is missing or altered — {before}")

    verdict.figures = {
        "outbox drained after the drill in": f"{waited:.0f} s",
        "deposits accepted": len(accepted),
        "  of which confirmed on retry": sum(o.confirmed_later for o in accepted),
        "deposits given up": len(refused),
        "rows (funding requests)": len(ours),
        "pieces checked (sha256)": sum(len(by_request.get(by_user[o.identifiant].id, []))
                                      for o in accepted if o.identifiant in by_user),
        "decisions": len(decided),
        "emails in outbox / received / duplicates": f"{len(mails)} / {len(ids)} / {duplicates}",
        "failed attempts (retried)": sum(len(o.errors) for o in outcomes)
        + sum(len(d.errors) for d in decisions),
        "saw « momentanément indisponible »": sum(o.saw_unavailable for o in outcomes),
        "saw « Un incident technique a interrompu… » (deposit in flight)": sum(
            any("incident technique" in e for e in o.errors) for o in outcomes),
        "storage-check before the sweep": before,
        "storage-check after the sweep": after,
    }
    return verdict


def print_verdict(name: str, verdict: Verdict) -> None:
    print(f"\n### {name}: {'OK' if verdict.ok else 'FAILED'}\n")
    print("| measure | value |\n|---|---|")
    for key, value in verdict.figures.items():
        print(f"| {key} | {value} |")
    for problem in verdict.problems[:30]:
        print(f"- PROBLEM: {problem}")
    sys.stdout.flush()
    log(f"[{name}] {'OK' if verdict.ok else 'FAILED: ' + '; '.join(verdict.problems[:5])}")
