"""``list_counter`` (triggers, counters_ddl.py) stays exact: whatever rows do, concurrently,
committed or rolled back, it equals a recount — on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from segur_app.domain.enrolment import staff_list as enrolment_list
from segur_app.domain.funding import staff_list
from segur_app.domain.models import Enrolment, FundingRequest, ListCounter, Supplier

START = datetime(2024, 5, 1, tzinfo=timezone.utc)


def recount(session: Session) -> dict[tuple, tuple[int, int]]:
    """What the counters must say, counted from the rows themselves."""
    rows = {}
    for kind, status, started, n, amount in session.exec(
            sa.select(FundingRequest.kind, FundingRequest.status,
                      FundingRequest.instruction_started, sa.func.count(),
                      sa.func.sum(FundingRequest.amount))
            .group_by(FundingRequest.kind, FundingRequest.status,
                      FundingRequest.instruction_started)):
        rows[("funding_request", kind, status, bool(started))] = (n, int(amount))
    for status, n in session.exec(sa.select(Enrolment.status, sa.func.count())
                                  .group_by(Enrolment.status)):
        rows[("enrolment", "", status, False)] = (n, 0)
    return rows


def counted(session: Session) -> dict[tuple, tuple[int, int]]:
    return {(c.list_name, c.kind, c.status, bool(c.started)): (c.row_count, c.amount_total)
            for c in session.exec(select(ListCounter)) if c.row_count}


def _suppliers(db, count: int) -> list[int]:
    ids = []
    for n in range(count):
        supplier = Supplier(ans_number=f"tndSAS{n + 5000:04d}", siret=f"{n + 5000:014d}",
                            company_name=f"COMPTÉ {n}", street="x", postal_code="75001",
                            city="PARIS")
        db.add(supplier)
        db.flush()
        ids.append(supplier.id)
    db.commit()
    return ids


def test_counters_follow_every_kind_of_change(db):
    suppliers = _suppliers(db, 3)
    request = FundingRequest(dossier_number="FINSAS005000", supplier_id=suppliers[0],
                             kind="avance", amount=30000)
    db.add(request)
    db.add(Enrolment(number="ENRSAS005000", supplier_id=suppliers[0]))
    db.commit()
    assert counted(db) == recount(db)
    for change in ({"status": "validee"}, {"instruction_started": True}, {"amount": 12345},
                   {"kind": "solde", "status": "rejetee"}):
        for name, value in change.items():
            setattr(request, name, value)
        db.add(request)
        db.commit()
        assert counted(db) == recount(db), change
    db.add(FundingRequest(dossier_number="FINSAS005001", supplier_id=suppliers[1],
                          kind="avance", amount=1))
    db.rollback()  # never happened: not counted
    db.execute(sa.update(Enrolment.__table__).values(status="validee"))  # Core updates too
    db.delete(request)
    db.commit()
    assert counted(db) == recount(db)
    assert enrolment_list.enrolment_counters(db).validated == 1
    assert [c.amount_requested for c in staff_list.counters(db)] == [0, 0]


def test_counters_stay_exact_under_concurrent_changes(engine, db):
    """Eight writers insert, move between groups and delete dossiers and enrolments at
    once, some in multi-row transactions, some rolled back (PostgreSQL: real concurrency,
    deadlocks and conflicts included); the counters equal a recount."""
    suppliers = _suppliers(db, 40)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    numbers = iter(range(6000, 9000))
    lock = threading.Lock()

    def number() -> int:
        with lock:
            return next(numbers)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(25):
            with Session(engine) as session:
                try:
                    for _ in range(rng.choice((1, 1, 2))):
                        _change(session, rng, suppliers, number)
                    if rng.random() < 0.2:
                        session.rollback()
                    else:
                        session.commit()
                except DBAPIError:  # unique constraint, deadlock, serialisation: rolled back
                    session.rollback()
                except BaseException as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.expire_all()
    assert counted(db) == recount(db)
    assert sum(n for (name, *_), (n, _) in counted(db).items() if name == "funding_request") > 0


def _change(session: Session, rng: random.Random, suppliers: list[int], number) -> None:
    action = rng.choice(("insert", "insert", "move", "move", "start", "delete", "enrol", "decide"))
    requests = session.exec(select(FundingRequest.id)).all()
    if action == "insert" or not requests:
        session.add(FundingRequest(
            dossier_number=f"FINSAS{number():06d}", supplier_id=rng.choice(suppliers),
            kind=rng.choice(("avance", "solde")), amount=rng.choice((30000, 70000)),
            deposited_at=START))
    elif action in ("move", "start"):
        values = ({"status": rng.choice(("en_cours", "validee", "rejetee"))} if action == "move"
                  else {"instruction_started": rng.random() < 0.5})
        session.execute(sa.update(FundingRequest.__table__)
                        .where(FundingRequest.__table__.c.id == rng.choice(requests))
                        .values(**values))
    elif action == "delete":
        session.execute(sa.delete(FundingRequest.__table__)
                        .where(FundingRequest.__table__.c.id == rng.choice(requests)))
    elif action == "enrol":
        session.add(Enrolment(number=f"ENRSAS{number():06d}", supplier_id=rng.choice(suppliers),
                              status="rejetee"))
    else:
        enrolments = session.exec(select(Enrolment.id)).all()
        if enrolments:
            session.execute(sa.update(Enrolment.__table__)
                            .where(Enrolment.__table__.c.id == rng.choice(enrolments))
                            .values(status=rng.choice(("a_instruire", "validee", "rejetee"))))
    session.flush()
