"""PDF documents the portal issues: « Accusé de dépôt » and « Décision ».

The PDFs are read back with pypdf (what a reader copies out of them), page 1
is rendered to PNG with pypdfium2 (saved under tests/artifacts/, checked not
blank), downloads go through the real ASGI routes with real sessions, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from segur_app import routes
from segur_app.api import asgi
from segur_app.core.config import get_settings
from segur_app.core.session import cookie_name
from segur_app.domain import dates, generated_documents, letters, pdf_layout, receipts, storage
from segur_app.domain.funding import deposit, instruction, views
from segur_app.domain.dates import fr_amount, fr_datetime
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.accounts import sessions
from segur_app.domain.models import (
    Attachment,
    EmailMessage,
    Enrolment,
    FundingKind,
    FundingRequest,
    GeneratedDocument,
    GeneratedDocumentKind,
    UserAccount,
)
from segur_app.state.enrolment_review import EnrolmentTrackingState
from segur_app.state.funding import TrackingState
from segur_app.state.instruction import DossierState
from tests.state_harness import Tab, enrol_supplier, fresh, point_app_at, scenario, seed_people
from tests.test_enrolment import stage_rib, submit
from tests.test_instruction import approve_everything

ARTIFACTS = Path(__file__).parent / "artifacts"
ASSISTANCE = "http://localhost:3000/contacter-assistance"
# The decisions' time: after every deposit of the tests (made now), in winter
# time (Paris = UTC+1) — next year's 3 December, 09:30 UTC.
DECIDED = datetime(datetime.now(timezone.utc).year + 1, 12, 3, 9, 30, tzinfo=timezone.utc)
HOSTILE_REASON = "Procès-verbal <b>non signé</b> & daté du 31/02 \x07\n« à redéposer »"


@pytest.fixture
def storage_dir(tmp_path, engine, monkeypatch):
    path = tmp_path / "storage"
    point_app_at(monkeypatch, engine, path)
    yield path
    get_settings.cache_clear()


@pytest.fixture
def people(db, storage_dir):
    """LE SELECT has deposited its advance (FINSAS…); another supplier; staff."""
    return seed_people(db, storage_dir)


def other_token(db, user: UserAccount) -> str:
    token = sessions.open_session(db, user=user)
    db.commit()
    return token


def pdf_text(data: bytes) -> str:
    """The text of every page, each run of white space (no-break ones too) as one space."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def spaced(value: str) -> str:
    return " ".join(value.split())


def request_of(db, number: str) -> FundingRequest:
    fresh(db)
    return db.exec(select(FundingRequest).where(FundingRequest.dossier_number == number)).one()


def stored(db, attachment: Attachment, storage_dir: Path) -> bytes:
    data = storage.read_bytes(attachment.storage_key, store=storage_dir)
    assert storage.file_sha256(storage.file_path(attachment.storage_key,
                                                 store=storage_dir)) == attachment.sha256
    return data


def document(db, kind: GeneratedDocumentKind, **owner) -> Attachment:
    fresh(db)
    found = generated_documents.find(db, kind=kind, **owner)
    assert found is not None, f"no {kind.label} for {owner}"
    return found


def render_page_one(data: bytes, name: str) -> Path:
    """Page 1 as a PNG under tests/artifacts/; fails if it is blank."""
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = pypdfium2.PdfDocument(data)
    try:
        image = pdf[0].render(scale=1.5).to_pil().convert("RGB")
    finally:
        pdf.close()
    target = ARTIFACTS / f"{name}.png"
    image.save(target)
    raw = image.tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    inked = sum(1 for r, g, b in pixels if r + g + b < 600)
    blue = sum(1 for r, g, b in pixels if b > 100 and r < 60 and g < 60)  # « bleu France »
    assert inked > len(pixels) // 200, f"{name}: page 1 is (almost) blank"
    assert blue > 500, f"{name}: the header and title are not drawn"
    return target


def decide(db, number: str, *, validate: bool, store: Path, reason: str = "") -> None:
    request = request_of(db, number)
    staff_id = db.exec(select(UserAccount.id).where(UserAccount.role == "staff")).first()
    version = approve_everything(db, request, staff_id) if validate else request.version
    instruction.decide(db, request_id=request.id, validate=validate, reason=reason,
                       staff_id=staff_id, expected_version=version, assistance_url=ASSISTANCE,
                       store=store, now=DECIDED)


def get(path: str, token: str | None, *, follow: bool = True):
    """GET ``path`` with the session ``token``; a redirect to a document is followed
    with the same session (``follow``)."""
    client = TestClient(asgi.transform(_not_found), base_url="http://localhost:3000",
                        follow_redirects=False)
    headers = {"Cookie": f"{cookie_name()}={token}"} if token else {}
    response = client.get(path, headers=headers)
    if follow and response.status_code == 303:
        assert response.headers["location"].startswith(routes.DOCUMENTS + "/")
        return client.get(response.headers["location"], headers=headers)
    return response


async def _not_found(scope, receive, send):
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


# --- the deposit receipt -------------------------------------------------------------


def test_the_deposit_receipt_names_the_dossier_amount_company_and_every_piece(
    db, people, storage_dir
):
    request = request_of(db, people.dossier_number)
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    data = stored(db, receipt, storage_dir)
    assert data.startswith(b"%PDF-") and receipt.mime_type == "application/pdf"
    assert receipt.original_name == f"accuse-de-depot-{people.dossier_number}.pdf"
    text = pdf_text(data)
    assert "Accusé de dépôt" in text and "Portail Ségur Numérique" in text
    assert "Agence de Services et de Paiement" in text
    assert people.dossier_number in text and "Demande d'avance" in text
    assert spaced(fr_amount(30000)) == "30 000 €" and "30 000 €" in text
    assert "LE SELECT" in text and "39431067600017" in text and "tndSAS0032" in text
    deposited = fr_datetime(request.deposited_at)  # Paris time, « 01/12/2026 à 21:05 »
    assert f"{deposited} (heure de Paris)" in text
    pieces = db.exec(select(Attachment).where(Attachment.funding_request_id == request.id)).all()
    assert len(pieces) == 3
    for piece in pieces:
        assert piece.sha256 in text, f"sha256 of {piece.kind} missing"
    # It is not one of the dossier's pieces: controls and validation never see it.
    assert receipt.id not in {p.id for p in pieces}
    detail = views.dossier_detail(db, request_id=request.id)
    assert len(detail.attachments) == 3 and len(detail.supplier_view.documents) == 3
    render_page_one(data, "pdf-accuse-de-depot")


def test_the_confirmation_email_links_to_the_receipt(db, people, storage_dir):
    request = request_of(db, people.dossier_number)
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    email = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.ADVANCE_DEPOSIT_CONFIRMATION.value)).one()
    url = (f"{get_settings().public_url}{routes.DOCUMENTS}/accuse-de-depot/"
           f"{people.dossier_number}")
    assert generated_documents.receipt_url(people.dossier_number) == url
    assert url in email.body_text
    assert f'<a href="{url}">' in email.body_html
    # Following it leads to the stored receipt.
    followed = get(generated_documents.receipt_path(people.dossier_number), people.owner)
    assert followed.status_code == 200 and followed.content == stored(db, receipt, storage_dir)
    assert followed.headers["content-disposition"].startswith("attachment;")


def test_the_receipt_is_issued_after_the_commit_and_on_demand_if_that_failed(
    db, people, storage_dir, monkeypatch, caplog
):
    """The receipt is rendered once the deposit has committed: its failure does not
    undo the deposit, and the email's link still gives the receipt (issued then),
    with the same content as one issued at the deposit."""
    from tests.test_funding import stage_all

    real_pdf = receipts.receipt_pdf

    def broken(receipt):
        raise RuntimeError("fonts missing")

    other = db.exec(select(UserAccount).where(UserAccount.identifiant == "autre.editeur")).one()
    enrol_supplier(db, other.supplier_id)
    monkeypatch.setattr(receipts, "receipt_pdf", broken)
    with caplog.at_level("WARNING", logger="segur_app.domain.funding.deposit"):
        result = deposit.deposit_request(
            db, kind=FundingKind.ADVANCE, supplier_id=other.supplier_id, user_id=other.id,
            recipient=other.email, documents=stage_all(storage_dir), store=storage_dir,
            amount=30000, assistance_url=ASSISTANCE)
    assert "not issued after the deposit" in caplog.text
    request = request_of(db, result.dossier_number)  # the deposit stands, whole
    assert len(db.exec(select(Attachment).where(
        Attachment.funding_request_id == request.id)).all()) == 3
    assert generated_documents.find(db, kind=GeneratedDocumentKind.DEPOSIT_RECEIPT,
                                    funding_request_id=request.id) is None
    email = db.exec(select(EmailMessage).where(EmailMessage.funding_request_id == request.id)).one()
    assert generated_documents.receipt_url(result.dossier_number) in email.body_text

    # « Suivi » lists it all the same, linked to the route that issues it.
    path = generated_documents.receipt_path(result.dossier_number)
    shown = views.funding_view(db, supplier_id=other.supplier_id, kind=FundingKind.ADVANCE).issued
    assert [(d.kind, d.href, d.size) for d in shown] == [("accuse_depot", path, "")]

    monkeypatch.setattr(receipts, "receipt_pdf", real_pdf)
    assert get(path, people.owner).status_code == 404  # another supplier's dossier
    assert get(path, None).status_code == 401
    assert get(generated_documents.receipt_path("FINSAS999999"), people.staff).status_code == 404
    assert generated_documents.find(db, kind=GeneratedDocumentKind.DEPOSIT_RECEIPT,
                                    funding_request_id=request.id) is None  # not issued for them
    first = get(path, other_token(db, other))
    assert first.status_code == 200 and first.content.startswith(b"%PDF-")
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    assert first.content == stored(db, receipt, storage_dir)
    assert receipts.receipt_pdf(receipts.funding_receipt(db, request)) == first.content
    for piece in db.exec(select(Attachment).where(Attachment.funding_request_id == request.id)):
        assert piece.sha256 in pdf_text(first.content)
    # Issued once: the next click, and staff, get the same document.
    assert get(path, people.staff).content == first.content
    assert len(db.exec(select(GeneratedDocument).where(
        GeneratedDocument.funding_request_id == request.id)).all()) == 1


def test_a_receipt_issued_twice_at_once_is_stored_once(db, people, storage_dir):
    """The deposit's own issue and a click on the email's link may race: the second
    meets the unique constraint and returns the first one's document."""
    request = request_of(db, people.dossier_number)
    first = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    # As seen by a second worker that looked before the first one committed.
    real_find = generated_documents.find
    calls = []

    def stale_find(session, **kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_find(session, **kwargs)

    generated_documents.find = stale_find
    try:
        again = receipts.ensure_funding_receipt(db, request=request, store=storage_dir,
                                                now=request.deposited_at)
    finally:
        generated_documents.find = real_find
    db.commit()
    assert again.id == first.id and len(calls) == 2
    assert len(db.exec(select(GeneratedDocument)).all()) == 1


def test_the_receipt_is_the_same_at_every_download_and_from_the_stored_rows(
    db, people, storage_dir
):
    request = request_of(db, people.dossier_number)
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, funding_request_id=request.id)
    path = generated_documents.download_path(receipt.id)
    first, second = get(path, people.owner), get(path, people.owner)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == stored(db, receipt, storage_dir)
    # Deterministic: the rows of the deposit give the same bytes again.
    assert receipts.receipt_pdf(receipts.funding_receipt(db, request)) == first.content


def test_a_failed_deposit_leaves_no_receipt(db, people, storage_dir):
    """The balance cannot be deposited yet: nothing is generated, nothing stored."""
    before = set(db.exec(select(Attachment.storage_key)).all())
    with pytest.raises(deposit.DepositRefused):
        deposit.deposit_request(
            db, kind=FundingKind.BALANCE, supplier_id=request_of(db, people.dossier_number)
            .supplier_id, user_id=1, recipient="x@example.org", documents={},
            store=storage_dir, amount=70000, assistance_url=ASSISTANCE)
    assert set(db.exec(select(Attachment.storage_key)).all()) == before
    assert len(db.exec(select(GeneratedDocument)).all()) == 1


def test_the_enrolment_receipt_lists_the_rib_and_is_linked_from_the_acknowledgement(
    db, storage_dir
):
    result = submit(db, storage_dir, rib=stage_rib(storage_dir))
    receipt = document(db, GeneratedDocumentKind.DEPOSIT_RECEIPT, enrolment_id=result.enrolment_id)
    text = pdf_text(stored(db, receipt, storage_dir))
    enrolment = db.get(Enrolment, result.enrolment_id)
    rib = db.exec(select(Attachment).where(Attachment.enrolment_id == enrolment.id)).one()
    assert result.number.startswith("ENRSAS") and result.number in text
    assert "Demande d'enrôlement" in text and rib.sha256 in text
    assert f"{fr_datetime(enrolment.submitted_at)} (heure de Paris)" in text
    assert "Montant" not in text  # an enrolment asks for no money
    email = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.ENROLMENT_ACKNOWLEDGEMENT.value)).one()
    assert generated_documents.download_url(receipt.id) in email.body_text
    render_page_one(stored(db, receipt, storage_dir), "pdf-accuse-de-depot-enrolement")


# --- the decision letter ---------------------------------------------------------------


def test_a_rejection_letter_quotes_the_reason_and_is_linked_from_the_email(
    db, people, storage_dir
):
    decide(db, people.dossier_number, validate=False, reason=HOSTILE_REASON,
           store=storage_dir)
    request = request_of(db, people.dossier_number)
    letter = document(db, GeneratedDocumentKind.DECISION_LETTER, funding_request_id=request.id)
    assert letter.original_name == f"decision-{people.dossier_number}.pdf"
    data = stored(db, letter, storage_dir)
    text = pdf_text(data)
    assert people.dossier_number in text and "rejetée" in text
    # The reason exactly as typed: markup shown as text, the control character dropped.
    assert "Procès-verbal <b>non signé</b> & daté du 31/02" in text
    assert "« à redéposer »" in text
    assert f"03/12/{DECIDED.year} à 10:30 (heure de Paris)" in text  # 09:30 UTC in December
    email = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.FUNDING_DECISION.value)).one()
    assert generated_documents.download_url(letter.id) in email.body_text
    render_page_one(data, "pdf-decision-rejet")


def test_a_validation_letter_states_the_amount_and_the_account(db, people, storage_dir):
    decide(db, people.dossier_number, validate=True, store=storage_dir)
    request = request_of(db, people.dossier_number)
    letter = document(db, GeneratedDocumentKind.DECISION_LETTER, funding_request_id=request.id)
    text = pdf_text(stored(db, letter, storage_dir))
    assert "validée" in text and "30 000 €" in text and "Motif" not in text
    assert dates.group_iban(people.iban) in text
    assert letters.letter_pdf(letters.funding_decision(db, request)) == stored(
        db, letter, storage_dir)
    render_page_one(stored(db, letter, storage_dir), "pdf-decision-validation")


def test_a_long_reason_flows_onto_a_second_page():
    decision = letters.Decision(
        validated=False, request_label="Demande de solde", number="FINSAS000042",
        deposited_at=DECIDED, decided_at=DECIDED, company_name="ÉDITIONS « L'ŒIL »",
        address="1 rue de Rivoli , 75001, PARIS", siret="73282932000074", addressee="",
        amount=70000, vat_label="HT - 0%", iban="", holder="",
        reason="\n".join(f"Point {n} : la pièce ne correspond pas." for n in range(80)),
    )
    data = letters.letter_pdf(decision)
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    text = pdf_text(data)
    assert "Point 0 :" in text and "Point 79 :" in text and "ÉDITIONS « L'ŒIL »" in text
    assert "Page 2" in text and pdf_layout.PORTAL in text


# --- who downloads what ------------------------------------------------------------------


def test_only_the_owner_and_staff_download_the_documents(db, people, storage_dir):
    decide(db, people.dossier_number, validate=False, reason="Pièce illisible",
           store=storage_dir)
    request = request_of(db, people.dossier_number)
    for kind in GeneratedDocumentKind:
        attachment = document(db, kind, funding_request_id=request.id)
        path = generated_documents.download_path(attachment.id)
        for visitor, token in (("owner", people.owner), ("staff", people.staff)):
            response = get(path, token)
            assert response.status_code == 200, (kind, visitor)
            assert response.headers["content-type"] == "application/pdf"
            assert response.content.startswith(b"%PDF-")
            assert response.headers["cache-control"] == "private, no-store"
        attachment_header = get(path + "?dl=1", people.owner).headers["content-disposition"]
        assert attachment_header.startswith("attachment;") and people.dossier_number in (
            attachment_header)
        assert get(path, people.other).status_code == 404  # another supplier: no such document
        assert get(path, None).status_code == 401
        assert get(path, people.first_login).status_code in (401, 403)


# --- the screens ------------------------------------------------------------------------


@scenario
async def test_the_consultation_screen_and_the_staff_dossier_list_the_documents(
    db, people, storage_dir
):
    tab = Tab(token=people.owner, path=routes.FUNDING_TRACKING)
    await tab.run(TrackingState.load)
    shown = (await tab.state(TrackingState)).view.issued
    assert [d.label for d in shown] == ["Accusé de dépôt"]
    assert shown[0].download_text == "Télécharger l'accusé de dépôt"
    assert shown[0].size.endswith("ko")
    assert shown[0].href == generated_documents.download_path(shown[0].id) + "?dl=1"

    decide(db, people.dossier_number, validate=False, reason="Pièce illisible",
           store=storage_dir)
    await tab.run(TrackingState.load)
    assert [d.kind for d in (await tab.state(TrackingState)).view.issued] == [
        "accuse_depot", "decision"]

    staff = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUEST,
                query={routes.PARAM_NUMBER: people.dossier_number}, tab_token="tab-staff")
    await staff.run(DossierState.load)
    page = await staff.state(DossierState)
    assert [d.label for d in page.view.issued] == ["Accusé de dépôt", "Courrier de décision"]


@scenario
async def test_the_enrolment_tracking_screen_lists_the_receipt(db, people, storage_dir):
    # The demo enrolment predates the feature (no receipt); a new one has its receipt.
    tab = Tab(token=people.owner, path=routes.ENROLMENT_TRACKING)
    await tab.run(EnrolmentTrackingState.load)
    assert (await tab.state(EnrolmentTrackingState)).issued == []

    enrolment = db.exec(select(Enrolment)).one()
    receipts.issue_enrolment_receipt(db, enrolment=enrolment, store=storage_dir,
                                     now=enrolment.submitted_at)
    db.commit()
    await tab.run(EnrolmentTrackingState.load)
    page = await tab.state(EnrolmentTrackingState)
    assert [d.file_name for d in page.issued] == [f"accuse-de-depot-{enrolment.number}.pdf"]


def test_reportlab_runs_with_its_c_accelerators():
    """``rl-accel`` (requirements.txt) is what ReportLab uses: without it, it silently
    falls back to pure-Python string width and escaping, ≈ 25 % of a receipt's render."""
    from reportlab.lib import rl_accel

    assert {"instanceStringWidthTTF", "escapePDF", "fp_str"} <= set(rl_accel._c_funcs)
