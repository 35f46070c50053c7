"""Staff instruction of a funding request, driven without a browser.

Controls, piece reviews, notes, « Valider » / « Rejeter » (with the optimistic
lock: a page shown before another agent's change is refused with the conflict
message), previous / next within the list's filters, and the list's filter
form. Guards are in tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.funding import instruction
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    EmailMessage,
    FundingRequest,
    FundingStatus,
    StaffNote,
)
from segur_app.state.instruction import DossierState, StaffListState
from tests.mail_helpers import make_dossier
from tests.state_harness import Tab, fresh, point_app_at, redirect_target, scenario, seed_people

MSG_VALIDATED = "La demande a été validée. Le fournisseur est informé par courriel."
MSG_REJECTED = "La demande a été rejetée. Le fournisseur est informé par courriel."


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage")
    get_settings.cache_clear()


async def _dossier(token: str, number: str, tab_token: str = "tab-test", **filters) -> Tab:
    tab = Tab(token=token, path=routes.STAFF_FUNDING_REQUEST, tab_token=tab_token,
              query={routes.PARAM_NUMBER: number, **filters})
    assert await tab.run(DossierState.load) == []
    return tab


def _request(db, number: str) -> FundingRequest:
    fresh(db)  # see what the handlers committed
    return db.exec(select(FundingRequest).where(FundingRequest.dossier_number == number)).one()


async def _everything_ok(tab: Tab) -> None:
    page = await tab.state(DossierState)
    for block in ("info", "bank"):
        await tab.run(DossierState.choose_control, block, "ok")
        assert page.error == ""
    for piece in page.detail.attachments:
        await tab.run(DossierState.choose_review, piece.id, "conforme")
        assert page.error == ""


@scenario
async def test_controls_and_reviews_are_recorded_and_shown(db, people):
    tab = await _dossier(people.staff, people.dossier_number)
    page = await tab.state(DossierState)
    assert page.found and page.detail.dossier_number == people.dossier_number
    version = page.detail.version

    # One action each: the radio button saves; a comment typed before is its draft.
    await tab.run(DossierState.choose_control, "bank", "ko")
    assert page.error == instruction.MSG_COMMENT_REQUIRED and page.message == ""
    await tab.run(DossierState.choose_control, "bank", "peut-être")
    assert page.error == "Choisissez une décision de contrôle."
    await tab.run(DossierState.keep_draft, "control-bank", "IBAN illisible")
    await tab.run(DossierState.choose_control, "bank", "ko")
    assert page.error == ""
    assert page.message == "Contrôle « Coordonnées bancaires » enregistré : Contrôle KO."
    assert page.undo_label == "le contrôle « Coordonnées bancaires »"
    assert (page.detail.bank_control, page.detail.bank_comment) == ("ko", "IBAN illisible")
    request = _request(db, people.dossier_number)
    assert (request.bank_control, request.bank_control_comment) == ("ko", "IBAN illisible")
    assert request.version > version and page.detail.version == request.version

    piece = page.detail.attachments[0]
    await tab.run(DossierState.choose_review, piece.id, "peut-être")
    assert page.error == "Choisissez une décision pour la pièce."
    await tab.run(DossierState.choose_review, 999999, "conforme")
    assert page.error == instruction.MSG_NOT_FOUND
    await tab.run(DossierState.keep_draft, f"comment-{piece.id}", "  ")
    await tab.run(DossierState.choose_review, piece.id, "non_conforme")
    assert page.error == instruction.MSG_COMMENT_REQUIRED
    await tab.run(DossierState.keep_draft, f"comment-{piece.id}", "Non signé")
    await tab.run(DossierState.choose_review, piece.id, "non_conforme")
    assert page.message == f"« {piece.kind_label} » : Non conforme." and page.error == ""
    shown = next(a for a in page.detail.attachments if a.id == piece.id)
    assert (shown.review_status, shown.comment) == ("non_conforme", "Non signé")
    fresh(db)
    stored = db.get(Attachment, piece.id)
    assert (stored.review_status, stored.review_comment) == ("non_conforme", "Non signé")

    # Not every control is OK: « Valider » is refused, nothing changes.
    await tab.run(DossierState.validate)
    assert page.error == instruction.MSG_CONTROLS_INCOMPLETE
    assert _request(db, people.dossier_number).status == FundingStatus.IN_PROGRESS.value


@scenario
async def test_notes_are_added_to_the_dossier(db, people):
    tab = await _dossier(people.staff, people.dossier_number)
    page = await tab.state(DossierState)
    await tab.run(DossierState.add_note, {"note": "   "})
    assert page.error == instruction.MSG_NOTE_REQUIRED
    await tab.run(DossierState.add_note, {"note": "Appeler le fournisseur lundi"})
    assert page.message == "Note ajoutée." and page.error == ""
    assert [note.text for note in page.detail.notes] == ["Appeler le fournisseur lundi"]
    fresh(db)
    assert [n.text for n in db.exec(select(StaffNote))] == ["Appeler le fournisseur lundi"]


@scenario
async def test_validation_records_the_decision_and_emails_the_supplier(db, people):
    tab = await _dossier(people.staff, people.dossier_number)
    page = await tab.state(DossierState)
    await _everything_ok(tab)
    assert page.detail.can_validate
    await tab.run(DossierState.validate)
    assert (page.message, page.error) == (MSG_VALIDATED, "")
    assert page.detail.decided and page.detail.status == FundingStatus.VALIDATED.value
    request = _request(db, people.dossier_number)
    assert request.status == FundingStatus.VALIDATED.value and request.decided_by_id
    mail = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.FUNDING_DECISION.value)).one()
    assert mail.funding_request_id == request.id

    # A decided dossier can no longer be changed.
    await tab.run(DossierState.reject, {"reason": "Trop tard"})
    assert page.error == instruction.MSG_ALREADY_DECIDED
    assert _request(db, people.dossier_number).status == FundingStatus.VALIDATED.value


@scenario
async def test_rejection_needs_a_reason(db, people):
    tab = await _dossier(people.staff, people.dossier_number)
    page = await tab.state(DossierState)
    await tab.run(DossierState.reject, {"reason": "  "})
    assert page.error == instruction.MSG_REASON_REQUIRED
    assert _request(db, people.dossier_number).status == FundingStatus.IN_PROGRESS.value
    await tab.run(DossierState.reject, {"reason": "Pièces illisibles"})
    assert (page.message, page.error) == (MSG_REJECTED, "")
    assert page.detail.decision_reason == "Pièces illisibles"
    request = _request(db, people.dossier_number)
    assert (request.status, request.decision_reason) == (
        FundingStatus.REJECTED.value, "Pièces illisibles")
    assert db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.FUNDING_DECISION.value)).one()


@pytest.mark.parametrize("action", ["validate", "reject", "choose_control", "choose_review"])
@scenario
async def test_a_page_shown_before_another_agents_change_is_refused(db, people, action):
    mine = await _dossier(people.staff, people.dossier_number, tab_token="tab-mine")
    page = await mine.state(DossierState)
    await _everything_ok(mine)
    theirs = await _dossier(people.staff, people.dossier_number, tab_token="tab-theirs")
    await theirs.run(DossierState.keep_draft, "control-info", "revu")
    await theirs.run(DossierState.choose_control, "info", "ok")
    before = _request(db, people.dossier_number)

    piece = page.detail.attachments[0].id
    arguments = {
        "validate": (),
        "reject": ({"reason": "Motif"},),
        "choose_control": ("bank", "ko"),
        "choose_review": (piece, "non_conforme"),
    }[action]
    await mine.run(DossierState.keep_draft, "control-bank", "Doute")
    await mine.run(DossierState.keep_draft, f"comment-{piece}", "Doute")
    await mine.run(getattr(DossierState, action), *arguments)
    assert page.error == instruction.MSG_CONFLICT and page.message == ""
    after = _request(db, people.dossier_number)
    assert (after.status, after.version, after.bank_control) == (
        before.status, before.version, before.bank_control)
    assert db.get(Attachment, piece).review_status == "conforme"

    # The page was refreshed with the other agent's change: acting again works.
    assert page.detail.info_comment == "revu"
    await mine.run(getattr(DossierState, action), *arguments)
    assert page.error == ""


@scenario
async def test_previous_and_next_follow_the_lists_filters(db, people):
    first = _request(db, people.dossier_number)
    base = first.deposited_at.replace(tzinfo=first.deposited_at.tzinfo or timezone.utc)
    for number, siret, hours in (("FINSAS009250", "12345678901234", 1),
                                 ("FINSAS009251", "12345678901235", 2)):
        row = make_dossier(db, number=number, siret=siret)
        row.deposited_at = base + timedelta(hours=hours)
        db.add(row)
    db.commit()

    tab = await _dossier(people.staff, "FINSAS009250", **{routes.PARAM_SORT: "numero"})
    page = await tab.state(DossierState)
    previous, following = urlsplit(page.previous_href), urlsplit(page.next_href)
    assert previous.path == following.path == routes.STAFF_FUNDING_REQUEST
    assert parse_qs(previous.query) == {routes.PARAM_NUMBER: [people.dossier_number],
                                        routes.PARAM_SORT: ["numero"]}
    assert parse_qs(following.query)[routes.PARAM_NUMBER] == ["FINSAS009251"]
    assert page.list_href == f"{routes.STAFF_FUNDING_REQUESTS}?{routes.PARAM_SORT}=numero"

    tab.follow(page.next_href)
    await tab.run(DossierState.load)
    assert page.detail.dossier_number == "FINSAS009251" and page.next_href == ""
    tab.follow(page.previous_href)
    await tab.run(DossierState.load)
    tab.follow(page.previous_href)
    await tab.run(DossierState.load)
    assert page.detail.dossier_number == people.dossier_number and page.previous_href == ""

    # Within a search, the other dossiers are not neighbours.
    # (default order: the latest deposit first).
    tab = await _dossier(people.staff, "FINSAS009250", **{routes.PARAM_SEARCH: "Exemple"})
    page = await tab.state(DossierState)
    assert "FINSAS009251" in page.previous_href and "q=Exemple" in page.previous_href
    assert page.next_href == ""

    # An unknown number shows « introuvable », not someone else's dossier.
    tab = await _dossier(people.staff, "FINSAS999999")
    page = await tab.state(DossierState)
    assert page.found is False and page.detail is None


@scenario
async def test_the_filter_form_redirects_to_a_bookmarkable_list(db, people):
    tab = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUESTS)
    form = {routes.PARAM_STATUS: FundingStatus.IN_PROGRESS.value, routes.PARAM_KIND: "",
            routes.PARAM_SEARCH: "  LE SELECT ", routes.PARAM_SORT: "numero",
            routes.PARAM_FROM: "2020-01-01", "ignored": "x"}
    target = redirect_target(await tab.run(StaffListState.apply_filters, form))
    path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
    assert path == routes.STAFF_FUNDING_REQUESTS
    assert query == {routes.PARAM_STATUS: ["en_cours"], routes.PARAM_SEARCH: ["LE SELECT"],
                     routes.PARAM_SORT: ["numero"], routes.PARAM_FROM: ["2020-01-01"]}
    assert redirect_target(await tab.run(StaffListState.apply_filters, {})) == (
        routes.STAFF_FUNDING_REQUESTS)

    tab.follow(target)
    await tab.run(StaffListState.load)
    listing = await tab.state(StaffListState)
    assert [row.dossier_number for row in listing.rows] == [people.dossier_number]
    assert (listing.status, listing.search, listing.sort, listing.date_from) == (
        "en_cours", "LE SELECT", "numero", "2020-01-01")
    tab.follow(f"{routes.STAFF_FUNDING_REQUESTS}?{routes.PARAM_STATUS}=validee")
    await tab.run(StaffListState.load)
    assert listing.rows == [] and listing.total == 0

    # « Rechercher un dossier par son numéro ».
    found = await tab.run(StaffListState.open_number,
                          {routes.PARAM_NUMBER: f" {people.dossier_number.lower()} "})
    assert redirect_target(found) == (
        f"{routes.STAFF_FUNDING_REQUEST}?{routes.PARAM_NUMBER}={people.dossier_number}")
    missing = await tab.run(StaffListState.open_number, {routes.PARAM_NUMBER: "FINSAS0"})
    assert redirect_target(missing) == f"{routes.STAFF_FUNDING_REQUESTS}?q=FINSAS0"
    assert _request(db, people.dossier_number).status == FundingStatus.IN_PROGRESS.value
