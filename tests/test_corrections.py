"""« Demande de compléments »: request, replacement (both versions kept), reminders,
deadline, optimistic lock and counters — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from segur_app.domain import storage_check, uploads
from segur_app.domain.dates import fr_datetime
from segur_app.domain.funding import correction_mails, corrections, export, instruction, staff_list, views
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.funding.corrections import CorrectionRefused
from segur_app.domain.funding.instruction import Conflict, InstructionError
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    AuditEvent,
    CorrectionRequest,
    EmailMessage,
    FundingKind,
    FundingRequest,
    FundingStatus,
    UserAccount,
)
from segur_app.domain.pdf import simple_pdf
from segur_app.domain.funding.staff_list import RequestFilters
from tests.test_funding import DEPOSIT_TIME, deposit, storage_dir, supplier  # noqa: F401

ASKED_AT = DEPOSIT_TIME + timedelta(days=2)


@pytest.fixture
def dossier(db, supplier, storage_dir):  # noqa: F811
    result = deposit(db, supplier, storage_dir)
    return db.get(FundingRequest, result.funding_request_id)


def _pieces(db, request_id: int) -> dict[str, Attachment]:
    return {a.kind: a for a in instruction.current_pieces(db, request_id)}


def mark_and_ask(db, dossier, staff_id: int, *, now=ASKED_AT) -> int:
    """One piece « Non conforme » (illegible), one « Conforme », then the request."""
    pieces = _pieces(db, dossier.id)
    db.refresh(dossier)
    version = instruction.review_attachment(
        db, attachment_id=pieces["pv_mise_en_service"].id, decision="non_conforme",
        reason="illisible", comment="Scan flou", staff_id=staff_id,
        expected_version=dossier.version)
    version = instruction.review_attachment(
        db, attachment_id=pieces["attestation_honneur"].id, decision="conforme",
        staff_id=staff_id, expected_version=version)
    return corrections.request_corrections(db, request_id=dossier.id, staff_id=staff_id,
                                           expected_version=version, message="Merci",
                                           now=now)


def new_version(storage_dir, kind: str = "pv_mise_en_service", text: str = "Version 2"):  # noqa: F811
    piece = AttachmentKind(kind)
    return uploads.stage(simple_pdf([text]), f"{kind}-v2.pdf",
                         policy=funding_deposit.piece_upload(piece), store=storage_dir)


def test_the_request_lists_each_piece_and_reason_and_sets_a_deadline(db, dossier, supplier):  # noqa: F811
    with pytest.raises(InstructionError, match="au moins une pièce"):
        corrections.request_corrections(db, request_id=dossier.id,
                                        staff_id=supplier.staff_id,
                                        expected_version=dossier.version)
    mark_and_ask(db, dossier, supplier.staff_id)
    db.refresh(dossier)
    assert dossier.status == FundingStatus.AWAITING_CORRECTIONS.value
    correction = db.exec(select(CorrectionRequest)).one()
    assert correction.due_at.replace(tzinfo=timezone.utc) == ASKED_AT + timedelta(days=30)
    email = db.exec(select(EmailMessage).where(
        EmailMessage.template == "correction_request")).one()
    assert email.to_address == "eishiro.oda@le-select.example"
    assert "- Procès-verbal de mise en service : Document illisible (Scan flou)" in email.body_text
    assert "Attestation sur l'honneur" not in email.body_text  # only the pieces asked for
    assert "avant le 24/06/2023" in email.body_text and "Merci" in email.body_text

    # The supplier's screen shows it, the staff history too.
    shown = corrections.supplier_correction(db, supplier_id=supplier.supplier_id,
                                            now=ASKED_AT)
    assert shown.dossier_number == dossier.dossier_number and shown.view.due_on == "24/06/2023"
    assert [(p.label, p.reason_label, p.comment) for p in shown.view.pieces] == [
        ("Procès-verbal de mise en service", "Document illisible", "Scan flou")]
    history = views.dossier_detail(db, request_id=dossier.id).history
    assert any(h.what.startswith("Demande de compléments — En cours → En attente de "
                                 "compléments — Procès-verbal de mise en service")
               for h in history)
    # While awaiting, the agents cannot change the controls nor ask again.
    with pytest.raises(InstructionError, match="en attente de compléments"):
        instruction.set_block_control(db, request_id=dossier.id, block="info", decision="ok",
                                      staff_id=supplier.staff_id,
                                      expected_version=dossier.version)
    with pytest.raises(InstructionError, match="déjà en attente"):
        corrections.request_corrections(db, request_id=dossier.id,
                                        staff_id=supplier.staff_id,
                                        expected_version=dossier.version)


def test_other_reason_needs_a_comment(db, dossier, supplier):  # noqa: F811
    piece = _pieces(db, dossier.id)["pv_mise_en_service"]
    with pytest.raises(InstructionError, match="commentaire"):
        instruction.review_attachment(db, attachment_id=piece.id, decision="non_conforme",
                                      reason="autre", staff_id=supplier.staff_id,
                                      expected_version=dossier.version)
    with pytest.raises(ValueError):
        instruction.review_attachment(db, attachment_id=piece.id, decision="non_conforme",
                                      reason="hostile", comment="x",
                                      staff_id=supplier.staff_id,
                                      expected_version=dossier.version)


def test_the_supplier_replaces_the_pieces_and_both_versions_stay(db, dossier, supplier,  # noqa: F811
                                                                 storage_dir):  # noqa: F811
    version = mark_and_ask(db, dossier, supplier.staff_id)
    old = _pieces(db, dossier.id)["pv_mise_en_service"]
    with pytest.raises(CorrectionRefused) as refused:
        corrections.send_corrections(db, supplier_id=supplier.supplier_id,
                                     user_id=supplier.supplier_user_id, request_id=dossier.id,
                                     expected_version=version, documents={},
                                     store=storage_dir)
    assert refused.value.field_errors == {"pv_mise_en_service": corrections.MSG_PIECE_REQUIRED}
    with pytest.raises(CorrectionRefused):  # another company's supplier
        corrections.send_corrections(db, supplier_id=supplier.supplier_id + 99,
                                     user_id=supplier.supplier_user_id, request_id=dossier.id,
                                     expected_version=version,
                                     documents={"pv_mise_en_service": new_version(storage_dir)},
                                     store=storage_dir)

    when = ASKED_AT + timedelta(days=3)
    corrections.send_corrections(
        db, supplier_id=supplier.supplier_id, user_id=supplier.supplier_user_id,
        request_id=dossier.id, expected_version=version, comment="Voici le bon scan",
        documents={"pv_mise_en_service": new_version(storage_dir),
                   "facture": new_version(storage_dir, "facture")},  # not asked: ignored
        store=storage_dir, now=when)
    db.expire_all()
    db.refresh(dossier)
    assert dossier.status == FundingStatus.IN_PROGRESS.value
    current = _pieces(db, dossier.id)
    assert set(current) == {"pv_mise_en_service", "attestation_honneur",
                            "justificatif_transmission"}
    replacement = current["pv_mise_en_service"]
    assert replacement.replaces_id == old.id and replacement.review_status == "a_instruire"
    assert current["attestation_honneur"].review_status == "conforme"  # kept
    kept = db.get(Attachment, old.id)
    assert kept.superseded_at is not None and kept.review_reason == "illisible"
    # Both files are stored and referenced: the storage check removes neither.
    import time

    report = storage_check.check(db, store=storage_dir, grace_seconds=0,
                                 staging_max_age_seconds=10**9, now=time.time() + 10)
    assert report.intact and report.referenced == 3 + 1 + 2 + 1  # pieces, old version, demo, receipt
    assert [e for e in report.unreferenced if not e.staged] == []
    # The staff view shows both versions; the agent who asked is emailed.
    (view,) = corrections.correction_views(db, request_id=dossier.id)
    assert not view.is_open and view.supplier_comment == "Voici le bon scan"
    assert (view.pieces[0].old_id, view.pieces[0].new_id) == (old.id, replacement.id)
    staff = db.get(UserAccount, supplier.staff_id)
    notice = db.exec(select(EmailMessage).where(
        EmailMessage.template == "corrections_received")).one()
    assert notice.to_address == staff.email and "Voici le bon scan" in notice.body_text
    supplier_view = views.funding_view(db, supplier_id=supplier.supplier_id,
                                       kind=FundingKind.ADVANCE)
    assert len(supplier_view.documents) == 3 and supplier_view.status_label == "En cours"
    # The supplier is told the pieces arrived; the agents' notification is not
    # among the supplier's emails.
    subjects = [e.subject for e in supplier_view.emails]
    assert not any(s.startswith("Compléments reçus pour le dossier") for s in subjects)
    ack = db.exec(select(EmailMessage).where(
        EmailMessage.template == "corrections_acknowledgement")).one()
    sender = db.get(UserAccount, supplier.supplier_user_id)
    assert ack.to_address == sender.email and ack.user_id == sender.id
    assert ack.subject == (
        f"Compléments reçus pour votre demande de financement {dossier.dossier_number}")
    assert ack.subject in subjects
    assert f"ont bien été reçus par l'Agence le {fr_datetime(when)} :" in ack.body_text
    assert f"- {instruction.piece_label('pv_mise_en_service')}" in ack.body_text
    assert instruction.piece_label("facture") not in ack.body_text  # not asked, not sent
    assert "de nouveau en cours d'instruction" in ack.body_text
    assert any("Demande de compléments" in e.subject for e in supplier_view.emails)
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-1] == "corrections_sent"
    # Nothing awaited any more.
    with pytest.raises(InstructionError):
        corrections.send_corrections(db, supplier_id=supplier.supplier_id,
                                     user_id=supplier.supplier_user_id, request_id=dossier.id,
                                     expected_version=dossier.version,
                                     documents={"pv_mise_en_service": new_version(storage_dir)},
                                     store=storage_dir)
    # Staff can now validate on the current pieces only.
    version = dossier.version
    for block in ("info", "bank"):
        version = instruction.set_block_control(db, request_id=dossier.id, block=block,
                                                decision="ok", staff_id=supplier.staff_id,
                                                expected_version=version)
    for piece in instruction.current_pieces(db, dossier.id):
        if piece.review_status != "conforme":
            version = instruction.review_attachment(
                db, attachment_id=piece.id, decision="conforme",
                staff_id=supplier.staff_id, expected_version=version)
    with pytest.raises(InstructionError):  # the old version is history, not a piece
        instruction.review_attachment(db, attachment_id=old.id, decision="conforme",
                                      staff_id=supplier.staff_id, expected_version=version)
    instruction.decide(db, request_id=dossier.id, validate=True,
                       staff_id=supplier.staff_id, expected_version=version,
                       assistance_url="https://portail.example/assistance")
    db.refresh(dossier)
    assert dossier.status == FundingStatus.VALIDATED.value


def test_a_reminder_is_sent_once_7_days_before_the_deadline(db, dossier, supplier):  # noqa: F811
    mark_and_ask(db, dossier, supplier.staff_id)
    assert correction_mails.send_due_reminders(db, now=ASKED_AT + timedelta(days=22)) == 0
    assert correction_mails.send_due_reminders(db, now=ASKED_AT + timedelta(days=23)) == 1
    assert correction_mails.send_due_reminders(db, now=ASKED_AT + timedelta(days=24)) == 0
    reminder = db.exec(select(EmailMessage).where(
        EmailMessage.template == "correction_reminder")).one()
    assert "avant le 24/06/2023" in reminder.body_text
    assert "Procès-verbal de mise en service : Document illisible" in reminder.body_text


def test_reminders_are_claimed_once_by_concurrent_workers(engine, db, dossier, supplier):  # noqa: F811
    mark_and_ask(db, dossier, supplier.staff_id)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def worker():
        barrier.wait()
        with Session(engine) as session:
            counts.append(correction_mails.send_due_reminders(
                session, now=ASKED_AT + timedelta(days=25)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 0, 0, 1]
    db.expire_all()
    assert len(db.exec(select(EmailMessage).where(
        EmailMessage.template == "correction_reminder")).all()) == 1


def test_past_the_deadline_staff_see_it_and_may_reject(db, dossier, supplier):  # noqa: F811
    mark_and_ask(db, dossier, supplier.staff_id)
    db.refresh(dossier)
    before = ASKED_AT + timedelta(days=29)
    with pytest.raises(InstructionError, match="délai de réponse"):
        instruction.decide(db, request_id=dossier.id, validate=False, reason="Sans réponse",
                           staff_id=supplier.staff_id, expected_version=dossier.version,
                           assistance_url="x", now=before)
    assert corrections.overdue_count(db, now=before) == 0
    after = ASKED_AT + timedelta(days=31)
    assert corrections.overdue_count(db, now=after) == 1
    assert corrections.correction_views(db, request_id=dossier.id, now=after)[0].overdue
    assert corrections.overdue_count(db) == 1  # the test dates are in the past
    rows, _ = staff_list.list_requests(db, filters=RequestFilters(status="complements"))
    assert [(r.status_label, r.overdue) for r in rows] == [("En attente de compléments", True)]
    with pytest.raises(InstructionError, match="en attente de compléments"):
        instruction.decide(db, request_id=dossier.id, validate=True,
                           staff_id=supplier.staff_id, expected_version=dossier.version,
                           assistance_url="x", now=after)
    instruction.decide(db, request_id=dossier.id, validate=False, reason="Sans réponse",
                       staff_id=supplier.staff_id, expected_version=dossier.version,
                       assistance_url="x", now=after)
    db.refresh(dossier)
    assert dossier.status == FundingStatus.REJECTED.value
    assert db.exec(select(CorrectionRequest)).one().closed_at is not None
    assert corrections.overdue_count(db, now=after) == 0
    assert correction_mails.send_due_reminders(db, now=ASKED_AT + timedelta(days=25)) == 0


def test_counters_and_filters_know_the_new_status(db, dossier, supplier, storage_dir):  # noqa: F811
    advance = staff_list.counters(db)[0]
    assert (advance.to_review, advance.in_progress, advance.awaiting) == (1, 0, 0)
    version = mark_and_ask(db, dossier, supplier.staff_id)
    advance = staff_list.counters(db)[0]
    assert (advance.to_review, advance.in_progress, advance.awaiting) == (0, 0, 1)
    assert advance.amount_requested == 30000
    _, total = staff_list.list_requests(db, filters=RequestFilters(status="complements"))
    assert total == 1
    _, total = staff_list.list_requests(db, filters=RequestFilters(status="en_cours"))
    assert total == 0
    assert "En attente de compléments" in export.export_csv(
        db, filters=RequestFilters()).decode("utf-8")
    corrections.send_corrections(db, supplier_id=supplier.supplier_id,
                                 user_id=supplier.supplier_user_id, request_id=dossier.id,
                                 expected_version=version,
                                 documents={"pv_mise_en_service": new_version(storage_dir)},
                                 store=storage_dir)
    advance = staff_list.counters(db)[0]
    assert (advance.to_review, advance.in_progress, advance.awaiting) == (0, 1, 0)


@pytest.mark.parametrize("rival", ["staff", "supplier"])
def test_staff_and_supplier_racing_on_one_version(engine, db, dossier, supplier,  # noqa: F811
                                                  storage_dir, rival):  # noqa: F811
    """An agent asks for corrections (or rejects) while another agent — or the
    supplier — acts on the same version: exactly one of them wins."""
    pieces = _pieces(db, dossier.id)
    db.refresh(dossier)
    version = instruction.review_attachment(
        db, attachment_id=pieces["pv_mise_en_service"].id, decision="non_conforme",
        reason="expire", staff_id=supplier.staff_id, expected_version=dossier.version)
    if rival == "supplier":
        version = corrections.request_corrections(
            db, request_id=dossier.id, staff_id=supplier.staff_id,
            expected_version=version, now=ASKED_AT - timedelta(days=40))  # overdue
    staged = new_version(storage_dir)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def first():
        barrier.wait()
        with Session(engine) as session:
            try:
                if rival == "staff":
                    corrections.request_corrections(session, request_id=dossier.id,
                                                    staff_id=supplier.staff_id,
                                                    expected_version=version)
                else:
                    instruction.decide(session, request_id=dossier.id, validate=False,
                                       reason="Délai dépassé", staff_id=supplier.staff_id,
                                       expected_version=version, assistance_url="x")
                outcomes.append("done")
            except Conflict:
                outcomes.append("conflict")

    def second():
        barrier.wait()
        with Session(engine) as session:
            try:
                if rival == "staff":
                    instruction.decide(session, request_id=dossier.id, validate=False,
                                       reason="Doublon", staff_id=supplier.staff_id,
                                       expected_version=version, assistance_url="x")
                else:
                    corrections.send_corrections(
                        session, supplier_id=supplier.supplier_id,
                        user_id=supplier.supplier_user_id, request_id=dossier.id,
                        expected_version=version, documents={"pv_mise_en_service": staged},
                        store=storage_dir)
                outcomes.append("done")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "done"]
    db.expire_all()
    request = db.get(FundingRequest, dossier.id)
    assert request.status in (FundingStatus.AWAITING_CORRECTIONS.value,
                              FundingStatus.REJECTED.value, FundingStatus.IN_PROGRESS.value)
    assert request.version == version + 1
    # One current piece per kind whoever won, and the counters still add up.
    kinds = [a.kind for a in instruction.current_pieces(db, dossier.id)]
    assert len(kinds) == len(set(kinds)) == 3
    counter = staff_list.counters(db)[0]
    assert (counter.to_review + counter.in_progress + counter.awaiting + counter.validated
            + counter.rejected) == 1


def test_no_reminder_when_the_delay_is_a_week_or_less(db, dossier, supplier, monkeypatch):  # noqa: F811
    from segur_app.core.config import get_settings

    monkeypatch.setenv("SEGUR_CORRECTION_DELAY_DAYS", "5")
    get_settings.cache_clear()
    try:
        mark_and_ask(db, dossier, supplier.staff_id)
    finally:
        get_settings.cache_clear()
    correction = db.exec(select(CorrectionRequest)).one()
    assert correction.due_at.replace(tzinfo=timezone.utc) == ASKED_AT + timedelta(days=5)
    assert correction_mails.send_due_reminders(db, now=ASKED_AT + timedelta(days=1)) == 0


def test_the_periodic_task_sends_the_reminders(engine, db, dossier, supplier):  # noqa: F811
    from segur_app import tasks

    mark_and_ask(db, dossier, supplier.staff_id, now=datetime.now(timezone.utc)
                 - timedelta(days=25))
    assert tasks.send_correction_reminders(engine=engine) == 1
    assert tasks.send_correction_reminders(engine=engine) == 0
