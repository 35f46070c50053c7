"""« Tout est conforme », « Annuler » and the email previews (domain, SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from segur_app.domain.funding import correction_mails, instruction, quick_review
from segur_app.domain.funding.instruction import Conflict, InstructionError
from segur_app.domain.models import AuditEvent, EmailMessage, FundingRequest
from tests.test_corrections import dossier, mark_and_ask  # noqa: F401  (fixture)
from tests.test_funding import storage_dir, supplier  # noqa: F401  (fixtures)


def test_all_compliant_per_block_then_undo(db, dossier, supplier):  # noqa: F811
    staff = supplier.staff_id
    pieces = instruction.current_pieces(db, dossier.id)
    db.refresh(dossier)
    version = instruction.review_attachment(db, attachment_id=pieces[0].id,
                                            decision="non_conforme", reason="illisible",
                                            comment="Flou", staff_id=staff,
                                            expected_version=dossier.version)
    version, previous = quick_review.all_compliant(db, request_id=dossier.id, block="pieces",
                                                   staff_id=staff, expected_version=version)
    db.expire_all()
    assert {p.review_status for p in instruction.current_pieces(db, dossier.id)} == {"conforme"}
    assert [p.status for p in previous.pieces] == ["non_conforme", "a_instruire", "a_instruire"]
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "attachment_review")).all()
    assert len(events) == 4

    version, _ = quick_review.restore(db, request_id=dossier.id, previous=previous,
                                      staff_id=staff, expected_version=version)
    db.expire_all()
    first = instruction.current_pieces(db, dossier.id)[0]
    assert (first.review_status, first.review_reason, first.review_comment) == (
        "non_conforme", "illisible", "Flou")

    version, previous = quick_review.all_compliant(db, request_id=dossier.id, block="bank",
                                                   staff_id=staff, expected_version=version)
    assert previous.controls == {"bank": ("a_instruire", "")}
    assert db.get(FundingRequest, dossier.id).bank_control == "ok"
    with pytest.raises(Conflict):  # a stale screen
        quick_review.all_compliant(db, request_id=dossier.id, block="info", staff_id=staff,
                                   expected_version=version - 1)
    with pytest.raises(InstructionError):
        quick_review.all_compliant(db, request_id=dossier.id, block="hostile", staff_id=staff,
                                   expected_version=version)
    before = quick_review.previous_of(db, request_id=dossier.id, block="info")
    assert before.controls == {"info": ("a_instruire", "")}


def test_previews_render_the_outbox_templates_and_queue_nothing(db, dossier, supplier):  # noqa: F811
    validated = quick_review.decision_preview(db, request_id=dossier.id, validate=True,
                                              assistance_url="https://x.example/aide")
    rejected = quick_review.decision_preview(db, request_id=dossier.id, validate=False,
                                             reason="Pièces illisibles")
    assert f"{dossier.dossier_number} a été validée" in validated.subject
    assert "Motif du rejet : Pièces illisibles" in rejected.text
    assert rejected == instruction.decision_email(dossier, validate=False,
                                                  reason="Pièces illisibles")
    pieces = instruction.current_pieces(db, dossier.id)
    db.refresh(dossier)
    instruction.review_attachment(db, attachment_id=pieces[0].id, decision="non_conforme",
                                  reason="expire", staff_id=supplier.staff_id,
                                  expected_version=dossier.version)
    preview = correction_mails.request_email_preview(db, request_id=dossier.id, message="Merci")
    assert "Document expiré" in preview.text and "Merci" in preview.text
    assert db.exec(select(EmailMessage).where(
        EmailMessage.template.in_(["funding_decision", "correction_request"]))).all() == []
    assert quick_review.decision_preview(db, request_id=99999, validate=True) is None


def test_nothing_quick_while_awaiting_corrections(db, dossier, supplier):  # noqa: F811
    version = mark_and_ask(db, dossier, supplier.staff_id)
    with pytest.raises(InstructionError, match="en attente de compléments"):
        quick_review.all_compliant(db, request_id=dossier.id, block="pieces",
                                   staff_id=supplier.staff_id, expected_version=version)
