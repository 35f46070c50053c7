"""The sort by company name on the lists' own tables (``company_sort``, sort_ddl.py):
same rows in the same order as the supplier's ``search_text`` then the id, for
pages by number deep in the list as for keyset pages, and kept when a supplier
changes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from segur_app.domain import paging
from segur_app.domain.enrolment import staff_list as enrolment_list
from segur_app.domain.enrolment.staff_list import EnrolmentFilters
from segur_app.domain.funding import staff_list as funding_list
from segur_app.domain.funding.staff_list import RequestFilters
from segur_app.domain.models import Enrolment, FundingRequest, Supplier
from segur_app.domain.paging import Window
from tests.conftest import postgres_only

START = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
NAME = "denomination"


def _fill(db, count: int = 72) -> None:
    """Suppliers created in a shuffled name order, names equal once normalised
    (« ÉDITEUR 07 » / « editeur 07 »: tie broken by the SIRET), some with two dossiers
    (tie broken by the id)."""
    order = list(range(count))
    random.Random(13).shuffle(order)
    for n in order:
        name = f"{'ÉDITEUR' if n % 2 else 'editeur'} {n // 3:02d}"
        supplier = Supplier(ans_number=f"tndSAS{n + 5000}", siret=f"{n + 5000:014d}",
                            company_name=name, street="x", postal_code="75001", city="PARIS")
        db.add(supplier)
        db.flush()
        kinds = ("avance", "solde") if n % 4 == 0 else (("avance",) if n % 3 else ("solde",))
        for kind in kinds:
            db.add(FundingRequest(dossier_number=f"FINSAS{len(kinds) * 1000 + n:06d}"
                                  if kind == "solde" else f"FINSAS{n:06d}",
                                  supplier_id=supplier.id, kind=kind,
                                  status=("en_cours", "validee", "rejetee")[n % 3], amount=1,
                                  deposited_at=START + timedelta(hours=n)))
        db.add(Enrolment(number=f"ENRSAS{n:06d}", supplier_id=supplier.id,
                         status=("a_instruire", "en_cours", "validee", "rejetee")[n % 4],
                         submitted_at=START + timedelta(hours=n)))
    db.commit()


def _by_supplier_name(db, model, keep) -> list[int]:
    """Today's order, computed apart: the supplier's search_text, then the row's id."""
    rows = db.exec(sa.select(model.id, Supplier.search_text, model.__table__)
                   .join(Supplier, Supplier.id == model.supplier_id)).all()
    return [row[0] for row in sorted((r for r in rows if keep(r._mapping)),
                                     key=lambda r: (r[1], r[0]))]


FUNDING_CASES = [
    ({}, lambda r: True),
    ({"status": "en_cours"}, lambda r: r["status"] == "en_cours"),
    ({"kind": "avance"}, lambda r: r["kind"] == "avance"),
    ({"status": "validee", "kind": "avance"},
     lambda r: r["status"] == "validee" and r["kind"] == "avance"),
    ({"search": "editeur 1"}, lambda r: "editeur 1" in r["search_text"]),
]


@pytest.mark.parametrize("walk", [False, True], ids=["planner", "sqlite-walks-name-index"])
@pytest.mark.parametrize("filters,keep", FUNDING_CASES)
def test_a_deep_page_by_number_is_the_keyset_walk_in_supplier_name_order(
        db, monkeypatch, walk, filters, keep):
    if walk:
        monkeypatch.setattr(paging, "SQLITE_WALK_ABOVE", 0)
    _fill(db)
    wanted = RequestFilters(sort=NAME, **filters)
    size = 4
    order = _by_supplier_name(db, FundingRequest, keep)

    def page(**window) -> tuple[int, list[int]]:
        result = funding_list.request_page(db, filters=wanted, window=Window(**window),
                                           page_size=size)
        return result.page, [r.id for r in result.rows]

    pages = -(-len(order) // size)
    assert len(order) > 3 * size
    reference = [order[i:i + size] for i in range(0, len(order), size)]
    assert [page(page=n)[1] for n in range(1, pages + 1)] == reference
    walked, ids = [reference[0]], page(page=1)[1]
    for number in range(2, pages + 1):  # « Page suivante » from the first page to the last
        shown, ids = page(page=number, after=ids[-1])
        assert shown == number
        walked.append(ids)
    assert walked == reference
    for number in range(pages - 1, 0, -1):  # « Page précédente » back to the first
        shown, ids = page(page=number, before=ids[0])
        assert (shown, ids) == (number, reference[number - 1])
    middle = order.index(reference[pages // 2][0])
    assert funding_list.neighbours(db, filters=wanted, request_id=order[middle]) == (
        order[middle - 1], order[middle + 1])


@pytest.mark.parametrize("walk", [False, True], ids=["planner", "sqlite-walks-name-index"])
@pytest.mark.parametrize("status,keep", [
    ("", lambda r: True),
    ("en_attente", lambda r: r["status"] in ("a_instruire", "en_cours")),
    ("validee", lambda r: r["status"] == "validee"),
])
def test_enrolments_deep_page_by_number_in_supplier_name_order(db, monkeypatch, walk, status,
                                                               keep):
    if walk:
        monkeypatch.setattr(paging, "SQLITE_WALK_ABOVE", 0)
    _fill(db)
    filters = EnrolmentFilters(status=status, sort=NAME)
    order = _by_supplier_name(db, Enrolment, keep)
    reference = [order[i:i + 3] for i in range(0, len(order), 3)]
    assert len(reference) > 4

    def page(number: int, **cursor) -> list[int]:
        return [e.id for e in enrolment_list.list_enrolments(
            db, filters=filters, page=number, page_size=3, **cursor).items]

    assert [page(n) for n in range(1, len(reference) + 1)] == reference
    ids, walked = page(1), []
    for number in range(2, len(reference) + 1):
        walked.append(ids)
        ids = page(number, after=ids[-1])
    assert walked + [ids] == reference


def _names(db, model=FundingRequest) -> list[str]:
    """The supplier names down the list sorted by company name (every status)."""
    if model is Enrolment:
        items = enrolment_list.list_enrolments(
            db, filters=EnrolmentFilters(status="", sort=NAME), page=1, page_size=50).items
        return [e.company_name for e in items]
    return [r.company_name for r in funding_list.request_page(
        db, filters=RequestFilters(sort=NAME), page_size=50).rows]


def _copies_agree(db) -> None:
    for model in (FundingRequest, Enrolment):
        rows = db.exec(sa.select(model.company_sort, Supplier.search_text)
                       .join(Supplier, Supplier.id == model.supplier_id)).all()
        assert rows and all(copy == text for copy, text in rows)


def test_a_supplier_changing_its_name_moves_its_dossiers_and_enrolment(db, engine):
    suppliers = {}
    for n, name in enumerate(["ALPHA", "MILIEU", "ZÉNITH"]):
        supplier = Supplier(ans_number=f"tndSAS{n + 7000}", siret=f"{n + 7000:014d}",
                            company_name=name, street="x", postal_code="75001", city="PARIS")
        db.add(supplier)
        db.flush()
        suppliers[name] = supplier
        db.add(FundingRequest(dossier_number=f"FINSAS{n + 7000:06d}", supplier_id=supplier.id,
                              kind="avance", amount=1))
        db.add(Enrolment(number=f"ENRSAS{n + 7000:06d}", supplier_id=supplier.id))
    db.commit()
    assert _names(db) == _names(db, Enrolment) == ["ALPHA", "MILIEU", "ZÉNITH"]
    version = db.exec(select(FundingRequest.version).order_by(FundingRequest.id)).all()

    suppliers["ZÉNITH"].company_name = "Aaron Éditions"  # the ORM (search_text by its events)
    db.add(suppliers["ZÉNITH"])
    db.commit()
    assert _names(db) == _names(db, Enrolment) == ["Aaron Éditions", "ALPHA", "MILIEU"]
    assert db.exec(select(FundingRequest.version).order_by(FundingRequest.id)
                   ).all() == version  # the rename does not touch the dossiers' optimistic lock

    with engine.begin() as conn:  # a Core update that sets search_text, as it must
        conn.execute(sa.update(Supplier.__table__).where(Supplier.id == suppliers["ALPHA"].id)
                     .values(company_name="ZZ TOP", search_text="zz top"))
        conn.execute(sa.insert(FundingRequest.__table__), [{  # a Core insert (bulk loads)
            "dossier_number": "FINSAS007010", "supplier_id": suppliers["MILIEU"].id,
            "kind": "solde", "status": "en_cours", "deposited_at": START,
            "status_changed_at": START, "amount": 1, "vat_label": "", "iban": "", "bic": "",
            "bank_holder": "", "bank_domiciliation": "", "info_control": "a_instruire",
            "bank_control": "a_instruire", "version": 1}])
    db.expire_all()  # the session's Supplier objects were changed behind its back
    assert _names(db) == ["Aaron Éditions", "MILIEU", "MILIEU", "ZZ TOP"]
    assert _names(db, Enrolment) == ["Aaron Éditions", "MILIEU", "ZZ TOP"]

    moved = db.exec(select(FundingRequest).where(
        FundingRequest.dossier_number == "FINSAS007010")).one()
    moved.supplier_id = suppliers["ZÉNITH"].id  # a row moved to another supplier
    db.add(moved)
    db.commit()
    assert _names(db) == ["Aaron Éditions", "Aaron Éditions", "MILIEU", "ZZ TOP"]
    _copies_agree(db)


@postgres_only  # SQLite runs one writer at a time: no concurrent rename to miss
def test_postgresql_a_deposit_and_a_rename_of_its_supplier_do_not_miss_each_other(engine):
    """PostgreSQL: the insert reads its supplier FOR SHARE, so a concurrent rename waits
    for it (and then rewrites the committed row) instead of missing it."""
    with engine.begin() as conn:
        supplier_id = conn.execute(sa.insert(Supplier.__table__).returning(Supplier.id), [{
            "ans_number": "tndSAS8000", "siret": "00000000008000", "company_name": "AVANT",
            "street": "x", "postal_code": "75001", "city": "PARIS", "created_at": START}]
        ).scalar_one()
    deposit, rename = engine.connect(), engine.connect()
    try:
        deposit.begin()
        deposit.execute(sa.insert(FundingRequest.__table__), [{
            "dossier_number": "FINSAS008000", "supplier_id": supplier_id, "kind": "avance",
            "status": "en_cours", "deposited_at": START, "status_changed_at": START, "amount": 1,
            "vat_label": "", "iban": "", "bic": "", "bank_holder": "", "bank_domiciliation": "",
            "info_control": "a_instruire", "bank_control": "a_instruire", "version": 1}])
        rename.begin()
        rename.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(sa.exc.OperationalError, match="lock"):
            rename.execute(sa.update(Supplier.__table__).where(Supplier.id == supplier_id)
                           .values(company_name="APRÈS", search_text="apres"))
        rename.rollback()
        deposit.commit()
        with rename.begin():
            rename.execute(sa.update(Supplier.__table__).where(Supplier.id == supplier_id)
                           .values(company_name="APRÈS", search_text="apres"))
        assert rename.execute(sa.select(FundingRequest.company_sort).where(
            FundingRequest.supplier_id == supplier_id)).scalar_one() == "apres"
    finally:
        deposit.close()
        rename.close()
        with engine.begin() as conn:
            conn.execute(sa.delete(FundingRequest.__table__))
            conn.execute(sa.delete(Supplier.__table__))
