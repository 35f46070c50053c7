"""Receipts and decision letters issued afterwards for the dossiers that lack them
(``domain/missing_documents.py``; the hourly housekeeping and ``cli
issue-missing-documents``), on SQLite and PostgreSQL.

A dossier « from before » is made the way it would be: the real deposit, then
its generated-document rows deleted, as if migration 0012 had found it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from segur_app import cli, tasks
from segur_app.domain import missing_documents, receipts, storage
from segur_app.domain.dates import fr_datetime
from segur_app.domain.models import (
    Attachment,
    GeneratedDocument,
    GeneratedDocumentKind,
)
from tests.state_harness import fresh
from tests.test_generated_documents import (  # noqa: F401  (fixtures)
    DECIDED,
    decide,
    document,
    pdf_text,
    people,
    request_of,
    storage_dir,
    stored,
)

# The pass's time: after the deposits of the tests, which are made now.
LATER = (datetime.now(timezone.utc) + timedelta(days=42)).replace(microsecond=0)
NONE_MISSING = {"funding_receipts": 0, "enrolment_receipts": 0, "decision_letters": 0}


def forget_generated_documents(db, **owner) -> None:
    """Delete the dossier's generated documents, as before migration 0012."""
    condition = [getattr(GeneratedDocument, k) == v for k, v in owner.items()]
    for row in db.exec(select(GeneratedDocument).where(*condition)).all():
        attachment = db.get(Attachment, row.attachment_id)
        db.delete(row)
        db.flush()
        db.delete(attachment)
    db.commit()


def settle(db, storage_dir) -> None:
    """Issue what the demo data lacks (its enrolments are inserted without a
    receipt), so that each test starts from a complete set."""
    missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()


def test_one_pass_completes_the_demo_data_and_the_next_finds_nothing(db, people, storage_dir):
    decide(db, people.dossier_number, validate=False, reason="Pièces illisibles.",
           store=storage_dir)
    # The deposit and decision of today issued theirs; the demo's enrolments have none.
    before = missing_documents.missing_counts(db)
    assert before["funding_receipts"] == before["decision_letters"] == 0
    assert before["enrolment_receipts"] >= 1
    issued = missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()
    assert issued.enrolment_receipts == before["enrolment_receipts"] and issued.total == (
        before["enrolment_receipts"])
    assert missing_documents.missing_counts(db) == NONE_MISSING
    assert missing_documents.issue_missing(db, store=storage_dir, now=LATER) == (
        missing_documents.Issued())


def test_a_dossier_from_before_gets_its_receipt_and_letter_as_they_were(db, people, storage_dir):
    settle(db, storage_dir)
    decide(db, people.dossier_number, validate=False, reason="Pièces illisibles.",
           store=storage_dir)
    request = request_of(db, people.dossier_number)
    originals = db.exec(select(Attachment).where(
        Attachment.funding_request_id == request.id)).all()
    # A replacement sent after a « Demande de compléments »: not on the receipt.
    new_file = storage.store_bytes(b"%PDF-1.4 nouvelle version", store=storage_dir)
    replacement = Attachment(
        kind=originals[0].kind,
        original_name="nouvelle-version.pdf", size_bytes=new_file.size_bytes,
        sha256=new_file.sha256, mime_type="application/pdf", storage_key=new_file.key,
        uploaded_at=request.deposited_at + timedelta(days=3), funding_request_id=request.id,
        replaces_id=originals[0].id)
    originals[0].superseded_at = replacement.uploaded_at
    db.add(originals[0])
    db.flush()
    db.add(replacement)
    db.commit()
    forget_generated_documents(db, funding_request_id=request.id)
    assert missing_documents.missing_counts(db) == {**NONE_MISSING, "funding_receipts": 1,
                                                    "decision_letters": 1}

    issued = missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()
    assert (issued.funding_receipts, issued.decision_letters, issued.skipped) == (1, 1, 0)
    assert missing_documents.missing_counts(db) == NONE_MISSING

    request = request_of(db, people.dossier_number)
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    text = pdf_text(stored(db, receipt, storage_dir))
    assert people.dossier_number in text
    assert f"{fr_datetime(request.deposited_at)} (heure de Paris)" in text  # not LATER
    for piece in originals:
        assert piece.sha256 in text
    assert replacement.sha256 not in text and "nouvelle-version.pdf" not in text
    letter = document(db, GeneratedDocumentKind.DECISION_LETTER, funding_request_id=request.id)
    letter_text = pdf_text(stored(db, letter, storage_dir))
    assert "rejetée" in letter_text and "Pièces illisibles." in letter_text
    assert f"03/12/{DECIDED.year} à 10:30 (heure de Paris)" in letter_text  # the decision's own date
    row = db.exec(select(GeneratedDocument).where(
        GeneratedDocument.attachment_id == letter.id)).one()
    assert row.generated_at.replace(tzinfo=timezone.utc) == LATER

    # A second pass finds nothing to do.
    assert missing_documents.issue_missing(db, store=storage_dir, now=LATER).total == 0


def test_an_undecided_dossier_gets_no_letter(db, people, storage_dir):
    settle(db, storage_dir)
    request = request_of(db, people.dossier_number)
    forget_generated_documents(db, funding_request_id=request.id)
    issued = missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()
    assert (issued.funding_receipts, issued.decision_letters) == (1, 0)
    fresh(db)
    kinds = db.exec(select(GeneratedDocument.kind).where(
        GeneratedDocument.funding_request_id == request.id)).all()
    assert kinds == [GeneratedDocumentKind.DEPOSIT_RECEIPT.value]


def test_enrolments_from_before_get_their_receipt_and_the_limit_is_kept(db, people, storage_dir):
    settle(db, storage_dir)
    request = request_of(db, people.dossier_number)
    forget_generated_documents(db, funding_request_id=request.id)
    enrolment_ids = db.exec(select(GeneratedDocument.enrolment_id).where(
        GeneratedDocument.enrolment_id.is_not(None))).all()
    for enrolment_id in enrolment_ids:
        forget_generated_documents(db, enrolment_id=enrolment_id)
    missing = missing_documents.missing_counts(db)
    assert missing["funding_receipts"] == 1 and missing["enrolment_receipts"] == len(enrolment_ids)
    first = missing_documents.issue_missing(db, store=storage_dir, now=LATER, limit=1)
    db.commit()
    assert first.total == 1
    rest = missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()
    assert first.total + rest.total == 1 + len(enrolment_ids)
    assert missing_documents.missing_counts(db) == NONE_MISSING


def test_a_document_issued_meanwhile_by_another_worker_is_skipped(
    db, engine, people, storage_dir, monkeypatch
):
    """Two workers' housekeeping at once: the second copy meets the unique
    constraint in its savepoint and is skipped; the first stays, the transaction
    goes on."""
    settle(db, storage_dir)
    request = request_of(db, people.dossier_number)
    forget_generated_documents(db, funding_request_id=request.id)
    original = receipts.issue_funding_receipt

    def raced(session, *, request, store, now):
        with Session(engine) as other:  # the other worker, committed first
            original(other, request=other.get(type(request), request.id),
                     store=store, now=now)
            other.commit()
        return original(session, request=request, store=store, now=now)

    monkeypatch.setattr(receipts, "issue_funding_receipt", raced)
    issued = missing_documents.issue_missing(db, store=storage_dir, now=LATER)
    db.commit()
    assert (issued.funding_receipts, issued.skipped) == (0, 1)
    fresh(db)
    assert len(db.exec(select(GeneratedDocument).where(
        GeneratedDocument.funding_request_id == request.id)).all()) == 1


def test_the_housekeeping_and_the_command_issue_them(db, engine, people, storage_dir, capsys):
    settle(db, storage_dir)
    request = request_of(db, people.dossier_number)
    forget_generated_documents(db, funding_request_id=request.id)
    assert tasks.issue_missing_documents(engine=engine) == 1
    assert missing_documents.missing_counts(db) == NONE_MISSING
    forget_generated_documents(db, funding_request_id=request.id)
    assert cli.main(["issue-missing-documents"]) == 0
    out = capsys.readouterr().out
    assert "1 accusé(s) de dépôt (1 de demandes de financement" in out
    assert missing_documents.missing_counts(db) == NONE_MISSING
    assert storage.read_bytes(
        document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
        .storage_key, store=storage_dir).startswith(b"%PDF-")
