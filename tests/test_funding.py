"""Advance request: numbering, the atomic deposit, the one-request rule, the consultation view."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from segur_app.domain import demo, mail, numbering, storage, uploads
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.funding import views
from segur_app.domain.funding.deposit import ADVANCE_DOCUMENTS, DepositRefused
from segur_app.domain.models import (
    Attachment,
    AuditEvent,
    EmailMessage,
    Enrolment,
    FundingKind,
    FundingRequest,
)
from segur_app.domain.pdf import simple_pdf
from tests.mail_helpers import mail_settings, running_smtp_server

ASSISTANCE = "http://localhost:3000/contacter-assistance"
DEPOSIT_TIME = datetime(2023, 5, 23, 9, 30, tzinfo=timezone.utc)
DEMO_FILES = 2  # the demo news PDF and the demo enrolment's RIB
FILES_PER_DEPOSIT = 4  # 3 pieces and the deposit receipt (PDF)


@pytest.fixture
def storage_dir(tmp_path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def supplier(db, storage_dir):
    summary = demo.load_demo_data(db, store=storage_dir, env="test")
    db.commit()
    return summary


def stage_all(storage_dir: Path) -> dict[str, uploads.StagedDocument]:
    return {
        kind.value: uploads.stage(
            simple_pdf([kind.label]), f"{kind.value}.pdf",
            policy=funding_deposit.piece_upload(kind), store=storage_dir,
        )
        for kind in ADVANCE_DOCUMENTS
    }


def deposit(db, supplier, storage_dir, documents=None, **overrides):
    kwargs = dict(
        supplier_id=supplier.supplier_id, user_id=supplier.supplier_user_id,
        recipient="eishiro.oda@le-select.example",
        documents=documents if documents is not None else stage_all(storage_dir),
        store=storage_dir, amount=30000, assistance_url=ASSISTANCE, now=DEPOSIT_TIME,
    )
    kwargs.update(overrides)
    return funding_deposit.deposit_request(db, kind=FundingKind.ADVANCE, **kwargs)


def staged_files(storage_dir: Path) -> list[Path]:
    return [p for p in (storage_dir / storage.STAGING).glob("*/*") if p.is_file()]


def final_files(storage_dir: Path) -> list[Path]:
    return [p for p in storage_dir.glob("*/*") if p.is_file() and storage.STAGING not in p.parts]


# --------------------------------------------------------------------------
# Numbering
# --------------------------------------------------------------------------


def test_numbers_are_sequential_per_series(db):
    assert [numbering.next_number(db, "FINSAS") for _ in range(3)] == [
        "FINSAS000001", "FINSAS000002", "FINSAS000003",
    ]
    assert numbering.next_number(db, "ENRSAS") == "ENRSAS000001"
    db.commit()


def test_concurrent_allocation_never_repeats_a_number(engine, db):
    numbering.next_number(db, "FINSAS")  # create the series row
    db.commit()
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(5):
                with Session(engine) as session:
                    number = numbering.next_number(session, "FINSAS")
                    session.commit()
                with lock:
                    numbers.append(number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(numbers) == 40 and len(set(numbers)) == 40
    assert sorted(numbers)[-1] == "FINSAS000041"


# --------------------------------------------------------------------------
# Deposit
# --------------------------------------------------------------------------


def test_deposit_stores_dossier_files_history_and_email_together(db, supplier, storage_dir):
    result = deposit(db, supplier, storage_dir)
    assert result.dossier_number == "FINSAS000001"

    request = db.exec(select(FundingRequest)).one()
    assert (request.kind, request.status, request.amount, request.vat_label) == (
        "avance", "en_cours", 30000, "HT - 0%",
    )
    assert request.iban == "FR7630006000011234567890189"
    attachments = db.exec(select(Attachment).where(Attachment.funding_request_id == request.id)).all()
    assert sorted(a.kind for a in attachments) == sorted(k.value for k in ADVANCE_DOCUMENTS)
    for attachment in attachments:
        data = storage.read_bytes(attachment.storage_key, store=storage_dir)
        assert data.startswith(b"%PDF-") and len(data) == attachment.size_bytes
    assert staged_files(storage_dir) == []
    history = db.exec(select(AuditEvent).where(AuditEvent.funding_request_id == request.id)).one()
    assert (history.action, history.new_status) == ("funding_deposited", "en_cours")
    email = db.exec(select(EmailMessage).where(EmailMessage.funding_request_id == request.id)).one()
    assert email.to_address == "eishiro.oda@le-select.example"
    assert "FINSAS000001" in email.body_text and "23/05/2023" in email.body_text
    assert ASSISTANCE in email.body_text


def test_only_one_advance_request_per_supplier(db, supplier, storage_dir):
    deposit(db, supplier, storage_dir)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir)
    assert refused.value.message == funding_deposit.MSG_ALREADY_DEPOSITED
    assert len(db.exec(select(FundingRequest)).all()) == 1
    assert len(db.exec(select(Attachment).where(Attachment.funding_request_id.is_not(None))).all()) == 3


def test_concurrent_deposits_create_exactly_one_dossier(engine, db, supplier, storage_dir):
    batches = [stage_all(storage_dir) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(batches))

    def worker(documents):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                deposit(session, supplier, storage_dir, documents=documents)
                outcomes.append("ok")
            except DepositRefused as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all(o in ("ok", funding_deposit.MSG_ALREADY_DEPOSITED) for o in outcomes), outcomes
    db.expire_all()
    assert len(db.exec(select(FundingRequest)).all()) == 1
    assert len(final_files(storage_dir)) == FILES_PER_DEPOSIT + DEMO_FILES


def _locked_receipts(monkeypatch, conflicts: int) -> list[int]:
    """The receipt's first ``conflicts`` attempts meet a locked database, as when
    another deposit's transaction holds SQLite's write lock; the attempts made."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from segur_app.domain import receipts

    real, attempts = receipts.ensure_funding_receipt, []

    def ensure(session, **kwargs):
        attempts.append(1)
        if len(attempts) <= conflicts:
            raise OperationalError("INSERT INTO attachment …", {},
                                   sqlite3.OperationalError("database is locked"))
        return real(session, **kwargs)

    monkeypatch.setattr(receipts, "ensure_funding_receipt", ensure)
    return attempts


def test_a_lock_conflict_delays_the_receipt_without_losing_it(db, supplier, storage_dir,
                                                                monkeypatch, caplog):
    attempts = _locked_receipts(monkeypatch, conflicts=funding_deposit.RECEIPT_ATTEMPTS - 1)
    with caplog.at_level("WARNING", logger="segur_app.domain.funding.deposit"):
        deposit(db, supplier, storage_dir)
    assert len(attempts) == funding_deposit.RECEIPT_ATTEMPTS
    assert "not issued" not in caplog.text
    assert len(final_files(storage_dir)) == FILES_PER_DEPOSIT + DEMO_FILES  # the receipt too


def test_a_lasting_lock_conflict_leaves_the_receipt_for_later_and_the_deposit_whole(
    db, supplier, storage_dir, monkeypatch, caplog
):
    attempts = _locked_receipts(monkeypatch, conflicts=funding_deposit.RECEIPT_ATTEMPTS)
    with caplog.at_level("WARNING", logger="segur_app.domain.funding.deposit"):
        deposit(db, supplier, storage_dir)
    assert len(attempts) == funding_deposit.RECEIPT_ATTEMPTS
    assert caplog.text.count("not issued after the deposit") == 1
    assert "database is locked" in caplog.text
    assert len(db.exec(select(FundingRequest)).all()) == 1
    assert len(final_files(storage_dir)) == FILES_PER_DEPOSIT - 1 + DEMO_FILES  # no receipt yet


def test_database_failure_mid_deposit_leaves_nothing(db, supplier, storage_dir, monkeypatch):
    documents = stage_all(storage_dir)

    def broken_queue(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(mail, "queue_email", broken_queue)
    with pytest.raises(RuntimeError):
        deposit(db, supplier, storage_dir, documents=documents)
    assert db.exec(select(FundingRequest)).all() == []
    assert db.exec(select(Attachment).where(Attachment.funding_request_id.is_not(None))).all() == []
    assert len(final_files(storage_dir)) == DEMO_FILES
    assert len(staged_files(storage_dir)) == 3  # still there for a new attempt
    monkeypatch.undo()
    assert deposit(db, supplier, storage_dir, documents=documents).dossier_number


def test_storage_failure_mid_deposit_rolls_back_and_removes_published_files(
    db, supplier, storage_dir, monkeypatch
):
    documents = stage_all(storage_dir)
    real_publish = storage.publish_staged
    calls = {"n": 0}

    def flaky_publish(key, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_publish(key, **kwargs)

    monkeypatch.setattr(storage, "publish_staged", flaky_publish)
    with pytest.raises(OSError):
        deposit(db, supplier, storage_dir, documents=documents)
    assert db.exec(select(FundingRequest)).all() == []
    assert db.exec(select(EmailMessage)).all() == []
    assert len(final_files(storage_dir)) == DEMO_FILES
    assert len(staged_files(storage_dir)) == 3


def test_every_document_is_required(db, supplier, storage_dir):
    documents = stage_all(storage_dir)
    documents.pop(ADVANCE_DOCUMENTS[1].value)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir, documents=documents)
    assert refused.value.field_errors == {
        ADVANCE_DOCUMENTS[1].value: funding_deposit.MSG_DOCUMENT_REQUIRED}
    assert db.exec(select(FundingRequest)).all() == []


def test_a_tampered_staged_file_is_refused(db, supplier, storage_dir):
    documents = stage_all(storage_dir)
    key = documents[ADVANCE_DOCUMENTS[0].value].key
    path = storage_dir / storage.STAGING / key[:2] / key
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(DepositRefused):
        deposit(db, supplier, storage_dir, documents=documents)
    assert db.exec(select(FundingRequest)).all() == []


def test_only_enrolled_suppliers_can_deposit(db, supplier, storage_dir):
    enrolment = db.exec(select(Enrolment)).one()
    enrolment.status = "a_instruire"
    db.add(enrolment)
    db.commit()
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir)
    assert refused.value.message == funding_deposit.MSG_NOT_ENROLLED
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir, supplier_id=None)
    assert refused.value.message == funding_deposit.MSG_NOT_SUPPLIER


# --------------------------------------------------------------------------
# Consultation and email
# --------------------------------------------------------------------------


def test_consultation_view(db, supplier, storage_dir):
    assert views.funding_view(db, supplier_id=supplier.supplier_id,
                              kind=FundingKind.ADVANCE) is None
    deposit(db, supplier, storage_dir)
    view = views.funding_view(db, supplier_id=supplier.supplier_id,
                              kind=FundingKind.ADVANCE)
    assert view.dossier_number == "FINSAS000001"
    assert view.deposited_on == view.status_changed_on == "23/05/2023"
    assert view.status_label == "En cours"
    assert view.vat_label == "HT - 0%" and view.amount == "30\u202f000\u00a0€"
    assert view.iban == "FR76 3000 6000 0112 3456 7890 189"
    assert view.documents_badge == "A instruire"
    assert [d.label for d in view.documents] == [k.label for k in ADVANCE_DOCUMENTS]
    assert all(d.review_label == "A instruire" for d in view.documents)
    assert [e.status_label for e in view.emails] == ["En attente"]


def test_documents_badge():
    assert views.documents_badge(["a_instruire", "conforme"]) == "A instruire"
    assert views.documents_badge(["conforme", "conforme"]) == "Contrôle OK"
    assert views.documents_badge(["conforme", "non_conforme"]) == "Contrôle KO"


def test_confirmation_email_is_delivered_by_smtp(db, engine, supplier, storage_dir, tmp_path):
    deposit(db, supplier, storage_dir)
    with running_smtp_server() as smtp:
        transport = mail.SmtpTransport.from_settings(
            mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path / "outbox")
        )
        report = mail.deliver_due(engine, transport=transport,
                                  now=datetime.now(timezone.utc) + timedelta(seconds=1))
        assert report.sent == 1
        [received] = smtp.handler.snapshot()
    assert received.rcpt_tos == ["eishiro.oda@le-select.example"]
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    for fragment in (
        "Madame, Monsieur,",
        "Votre demande de financement FINSAS000001",
        "« plateforme numérique Service d'Accès aux Soins »",
        "en date du 23/05/2023",
        "Elle est en cours de traitement.",
        "courriers indésirables",
        ASSISTANCE,
        "Ce message a été généré automatiquement, merci de ne pas y répondre.",
    ):
        assert fragment in text
    view = views.funding_view(db, supplier_id=supplier.supplier_id,
                              kind=FundingKind.ADVANCE)
    db.expire_all()
    view = views.funding_view(db, supplier_id=supplier.supplier_id,
                              kind=FundingKind.ADVANCE)
    assert [e.status_label for e in view.emails] == ["Envoyé"]
    assert "FINSAS000001" in view.emails[0].body


# --------------------------------------------------------------------------
# Balance request (« Ma demande de solde »)
# --------------------------------------------------------------------------


def stage_balance(storage_dir: Path) -> dict[str, uploads.StagedDocument]:
    return {
        kind.value: uploads.stage(
            simple_pdf([kind.label]), f"{kind.value}.pdf",
            policy=funding_deposit.piece_upload(kind), store=storage_dir,
        )
        for kind in funding_deposit.required_documents(FundingKind.BALANCE)
    }


def deposit_balance(db, supplier, storage_dir, **overrides):
    kwargs = dict(
        kind=FundingKind.BALANCE, supplier_id=supplier.supplier_id,
        user_id=supplier.supplier_user_id, recipient="eishiro.oda@le-select.example",
        documents=stage_balance(storage_dir), store=storage_dir, amount=70000,
        assistance_url=ASSISTANCE,
    )
    kwargs.update(overrides)
    return funding_deposit.deposit_request(db, **kwargs)


def test_balance_opens_only_once_the_advance_is_validated(db, supplier, storage_dir):
    assert [k.value for k in funding_deposit.required_documents(FundingKind.BALANCE)] == [
        "facture", "pv_verification",
    ]
    with pytest.raises(DepositRefused) as refused:
        deposit_balance(db, supplier, storage_dir)
    assert refused.value.message == funding_deposit.MSG_BALANCE_NOT_YET
    advance = deposit(db, supplier, storage_dir)
    with pytest.raises(DepositRefused) as refused:
        deposit_balance(db, supplier, storage_dir)
    assert refused.value.message == funding_deposit.MSG_BALANCE_NOT_YET  # deposited, not validated

    request = db.get(FundingRequest, advance.funding_request_id)
    request.status = "validee"
    db.add(request)
    db.commit()
    result = deposit_balance(db, supplier, storage_dir)
    assert result.dossier_number == "FINSAS000002"
    balance = db.get(FundingRequest, result.funding_request_id)
    assert (balance.kind, balance.amount, balance.status) == ("solde", 70000, "en_cours")
    pieces = db.exec(select(Attachment.kind).where(Attachment.funding_request_id == balance.id)).all()
    assert sorted(pieces) == ["facture", "pv_verification"]
    email = db.exec(select(EmailMessage).where(EmailMessage.funding_request_id == balance.id)).one()
    assert email.template == "balance_deposit_confirmation" and "FINSAS000002" in email.body_text
    view = views.funding_view(db, supplier_id=supplier.supplier_id, kind=FundingKind.BALANCE)
    assert (view.amount_label, view.amount) == ("Montant du solde", "70\u202f000\u00a0€")

    with pytest.raises(DepositRefused) as refused:
        deposit_balance(db, supplier, storage_dir)
    assert refused.value.message == funding_deposit.MSG_BALANCE_ALREADY_DEPOSITED
    assert len(db.exec(select(FundingRequest)).all()) == 2
