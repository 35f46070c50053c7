"""« Demande de compléments » driven without a browser: the agent marks a piece
« Non conforme » with a reason and asks; the supplier sees the request, is refused
a bad file, replaces the piece and sends; the agent sees both versions. Guards are
in tests/test_authorisation_matrix.py."""

from __future__ import annotations

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.funding import instruction
from segur_app.domain.models import Attachment, EmailMessage, FundingRequest, FundingStatus
from segur_app.state.corrections import MSG_CHANGED, MSG_SENT, CorrectionFormState
from segur_app.state.funding import TrackingState
from segur_app.state.instruction import DashboardState, DossierState, StaffListState
from tests.document_samples import elf_executable, valid_pdf
from tests.state_harness import Tab, fresh, point_app_at, scenario, seed_people, upload

PIECE = "pv_mise_en_service"


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage")
    get_settings.cache_clear()


async def _staff_tab(people) -> Tab:
    tab = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUEST,
              query={routes.PARAM_NUMBER: people.dossier_number})
    assert await tab.run(DossierState.load) == []
    return tab


async def _ask(people) -> Tab:
    tab = await _staff_tab(people)
    page = await tab.state(DossierState)
    assert not page.can_ask
    piece = next(a for a in page.detail.attachments if a.kind_label.startswith("Procès"))
    await tab.run(DossierState.choose_reason, piece.id, "n'importe")
    assert page.error == "Choisissez un motif dans la liste."
    await tab.run(DossierState.choose_reason, piece.id, "expire")  # a draft: not yet saved
    assert page.message == "" and not page.can_ask
    await tab.run(DossierState.keep_draft, f"comment-{piece.id}", "Daté de 2019")
    await tab.run(DossierState.choose_review, piece.id, "non_conforme")
    assert page.error == "" and page.can_ask
    shown = next(a for a in page.detail.attachments if a.id == piece.id)
    assert (shown.reason, shown.reason_label) == ("expire", "Document expiré")
    await tab.run(DossierState.ask_corrections, {"message": "Merci de votre retour"})
    assert page.error == ""
    assert page.message.startswith("La demande de compléments a été envoyée")
    assert page.awaiting and not page.can_ask and page.due_on != ""
    assert page.view.status_label == "En attente de compléments"
    return tab


async def _supplier_tab(people) -> Tab:
    tab = Tab(token=people.owner, path=routes.FUNDING_TRACKING)
    assert await tab.run(TrackingState.load) == []
    assert await tab.run(CorrectionFormState.load) == []
    return tab


@scenario
async def test_ask_then_replace_then_both_versions_are_shown(db, people):
    staff = await _ask(people)
    email = db.exec(select(EmailMessage).where(EmailMessage.template == "correction_request")).one()
    assert "Document expiré (Daté de 2019)" in email.body_text
    assert "/demande-financement/suivi" in email.body_text

    tab = await _supplier_tab(people)
    form = await tab.state(CorrectionFormState)
    assert form.has_open and form.asked == [PIECE]
    assert [p.reason_label for p in form.correction.view.pieces] == ["Document expiré"]
    # The same checks as the deposit; a piece that was not asked for is not taken.
    await tab.run(CorrectionFormState.stage_file, PIECE, [upload(elf_executable(), "pv.pdf")])
    assert form.errors[PIECE] != "" and form.file_names[PIECE] == ""
    await tab.run(CorrectionFormState.stage_file, "facture", [upload(valid_pdf(), "f.pdf")])
    assert "facture" not in form._staged
    await tab.run(CorrectionFormState.send, {"comment": ""})
    assert form.form_error != "" and form.errors[PIECE] != ""
    await tab.run(CorrectionFormState.stage_file, PIECE, [upload(valid_pdf(), "PV signé.pdf")])
    assert form.file_names[PIECE] == "PV signé.pdf" and form.errors[PIECE] == ""
    outputs = await tab.run(CorrectionFormState.send, {"comment": "Voici le PV à jour"})
    assert form.form_error == "" and form.sent_message == MSG_SENT and not form.has_open
    assert outputs  # the consultation screen is reloaded
    await tab.run(TrackingState.load)
    tracking = await tab.state(TrackingState)
    assert tracking.view.status_label == "En cours"
    assert [d.file_name for d in tracking.view.documents if d.label.startswith("Procès")] == [
        "PV signé.pdf"]

    fresh(db)
    request = db.exec(select(FundingRequest)).one()
    assert request.status == FundingStatus.IN_PROGRESS.value
    versions = db.exec(select(Attachment).where(Attachment.kind == PIECE)).all()
    assert len(versions) == 2 and sum(v.superseded_at is None for v in versions) == 1

    await staff.run(DossierState.load)
    page = await staff.state(DossierState)
    assert not page.awaiting
    (round_,) = page.rounds
    assert round_.answered_on != "" and round_.supplier_comment == "Voici le PV à jour"
    (asked,) = round_.pieces
    assert asked.old_file_name != asked.new_file_name == "PV signé.pdf"
    assert {a.id for a in page.detail.attachments} == {
        v.id for v in db.exec(select(Attachment).where(
            Attachment.funding_request_id == request.id, Attachment.superseded_at.is_(None)))}
    notice = db.exec(select(EmailMessage).where(
        EmailMessage.template == "corrections_received")).one()
    assert people.dossier_number in notice.subject


@scenario
async def test_the_lists_and_dashboard_show_the_new_status(db, people):
    await _ask(people)
    tab = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUESTS,
              query={routes.PARAM_STATUS: "complements"})
    await tab.run(StaffListState.load)
    listing = await tab.state(StaffListState)
    assert [r.status_label for r in listing.rows] == ["En attente de compléments"]
    assert not listing.rows[0].overdue
    await tab.run(DashboardState.load)
    board = await tab.state(DashboardState)
    assert board.counters[0].awaiting == 1 and board.overdue == 0


@scenario
async def test_the_supplier_is_told_when_the_dossier_changed_meanwhile(db, people):
    staff = await _ask(people)
    tab = await _supplier_tab(people)
    form = await tab.state(CorrectionFormState)
    await tab.run(CorrectionFormState.stage_file, PIECE, [upload(valid_pdf(), "pv.pdf")])
    # Past the deadline the agent rejects while the supplier's screen is open.
    fresh(db)
    request = db.exec(select(FundingRequest)).one()
    from datetime import timedelta

    from segur_app.domain.models import CorrectionRequest, utcnow

    correction = db.exec(select(CorrectionRequest)).one()
    correction.due_at = utcnow() - timedelta(days=1)
    db.add(correction)
    db.commit()
    await staff.run(DossierState.load)
    page = await staff.state(DossierState)
    assert page.overdue
    await staff.run(DossierState.reject, {"reason": "Pas de réponse dans le délai"})
    assert page.error == "" and page.detail.decided
    await tab.run(CorrectionFormState.send, {"comment": ""})
    assert form.form_error == MSG_CHANGED and not form.has_open
    fresh(db)
    assert db.get(FundingRequest, request.id).status == FundingStatus.REJECTED.value
    assert len(instruction.current_pieces(db, request.id)) == 3


@scenario
async def test_all_compliant_with_confirmation_undo_and_previews(db, people):
    tab = await _staff_tab(people)
    page = await tab.state(DossierState)
    await tab.run(DossierState.ask_all_compliant, "hostile")
    assert page.confirm_block == ""
    await tab.run(DossierState.ask_all_compliant, "pieces")
    assert (page.confirm_block, page.confirm_title) == ("pieces", "Pièces justificatives")
    await tab.run(DossierState.cancel_all_compliant)
    assert page.confirm_block == "" and {a.review_status for a in page.detail.attachments} == {
        "a_instruire"}
    await tab.run(DossierState.ask_all_compliant, "pieces")
    await tab.run(DossierState.confirm_all_compliant)
    assert page.error == "" and page.message == "Bloc « Pièces justificatives » : tout est conforme."
    assert {a.review_status for a in page.detail.attachments} == {"conforme"}
    assert page.undo_label == "« Tout est conforme » du bloc « Pièces justificatives »"
    await tab.run(DossierState.undo)
    assert page.message == "La dernière modification a été annulée." and page.undo_label == ""
    assert {a.review_status for a in page.detail.attachments} == {"a_instruire"}
    await tab.run(DossierState.undo)  # nothing left to undo
    assert page.error == ""

    await tab.run(DossierState.choose_control, "info", "ok")
    await tab.run(DossierState.undo)
    assert page.detail.info_control == "a_instruire"

    await tab.run(DossierState.keep_draft, "reject-reason", "Pièces illisibles")
    await tab.run(DossierState.preview_decision, False)
    assert page.preview_title == "Aperçu du courriel de rejet"
    assert page.preview_place == "decision" and "Pièces illisibles" in page.preview_body
    await tab.run(DossierState.close_preview)
    assert page.preview_title == ""
    await tab.run(DossierState.preview_corrections)
    assert page.preview_place == "corrections"
    fresh(db)
    assert db.exec(select(EmailMessage).where(EmailMessage.template.in_(
        ["funding_decision", "correction_request"]))).all() == []
