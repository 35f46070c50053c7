"""Business rules that the database itself enforces (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from segur_app.domain.models import (
    Attachment,
    Enrolment,
    EnrolmentStatus,
    FundingKind,
    FundingRequest,
    Role,
    Supplier,
    UserAccount,
)


def make_supplier(db: Session, n: int = 1) -> Supplier:
    supplier = Supplier(
        ans_number=f"tndSAS{n:04d}",
        siret=f"{n:014d}",
        company_name=f"SOCIETE {n}",
        street="1 rue de la Paix",
        postal_code="75002",
        city="PARIS",
    )
    db.add(supplier)
    db.commit()
    return supplier


def make_funding(supplier: Supplier, number: str, kind: FundingKind = FundingKind.ADVANCE):
    return FundingRequest(
        dossier_number=number, supplier_id=supplier.id, kind=kind.value, amount=30000
    )


def assert_refused(db: Session, *rows) -> None:
    db.add_all(rows)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_one_funding_request_per_kind_per_supplier(db):
    supplier = make_supplier(db)
    db.add(make_funding(supplier, "FINSAS000001"))
    db.commit()
    assert_refused(db, make_funding(supplier, "FINSAS000002"))
    # The balance is a different kind: allowed.
    db.add(make_funding(supplier, "FINSAS000003", FundingKind.BALANCE))
    db.commit()


def test_dossier_numbers_are_unique(db):
    first, second = make_supplier(db, 1), make_supplier(db, 2)
    db.add(make_funding(first, "FINSAS000001"))
    db.commit()
    assert_refused(db, make_funding(second, "FINSAS000001"))


def test_unknown_status_or_kind_is_refused(db):
    supplier = make_supplier(db)
    bad_status = make_funding(supplier, "FINSAS000001")
    bad_status.status = "approved-ish"
    assert_refused(db, bad_status)
    bad_kind = make_funding(supplier, "FINSAS000002")
    bad_kind.kind = "bonus"
    assert_refused(db, bad_kind)


def test_one_active_enrolment_per_supplier_but_retry_after_rejection(db):
    supplier = make_supplier(db)
    first = Enrolment(number="ENRSAS000001", supplier_id=supplier.id)
    db.add(first)
    db.commit()
    assert_refused(db, Enrolment(number="ENRSAS000002", supplier_id=supplier.id))

    first.status = EnrolmentStatus.REJECTED.value
    db.add(first)
    db.commit()
    db.add(Enrolment(number="ENRSAS000003", supplier_id=supplier.id))
    db.commit()


def test_siret_ans_number_and_identifiant_are_unique(db):
    make_supplier(db, 1)
    duplicate = Supplier(
        ans_number="tndSAS9999", siret=f"{1:014d}", company_name="X",
        street="x", postal_code="75001", city="PARIS",
    )
    assert_refused(db, duplicate)

    def account(identifiant: str) -> UserAccount:
        return UserAccount(
            identifiant=identifiant, email="a@b.example", first_name="A", last_name="B",
            role=Role.STAFF.value, password_hash="x",
        )

    db.add(account("agent.one"))
    db.commit()
    assert_refused(db, account("agent.one"))
    bad_role = account("agent.two")
    bad_role.role = "admin"
    assert_refused(db, bad_role)


def test_attachment_one_per_kind_per_request_and_non_empty(db):
    supplier = make_supplier(db)
    request = make_funding(supplier, "FINSAS000001")
    db.add(request)
    db.commit()

    def attachment(key: str, size: int = 10) -> Attachment:
        return Attachment(
            kind="pv_mise_en_service", original_name="pv.pdf", size_bytes=size,
            sha256="0" * 64, mime_type="application/pdf", storage_key=key,
            funding_request_id=request.id,
        )

    db.add(attachment("a" * 32))
    db.commit()
    assert_refused(db, attachment("b" * 32))
    empty = attachment("c" * 32, size=0)
    empty.kind = "attestation_honneur"
    assert_refused(db, empty)


def test_foreign_keys_are_enforced(db):
    orphan = FundingRequest(
        dossier_number="FINSAS000009", supplier_id=424242, kind="avance", amount=1
    )
    assert_refused(db, orphan)
