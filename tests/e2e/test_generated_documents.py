"""The supplier downloads the PDF deposit receipt, then the decision letter, in Chromium."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from segur_app import routes
from tests.e2e.conftest import assert_accessible, create_account, enrolled_supplier, h1, log_in
from tests.e2e.test_staff_instruction import (
    decide_control,
    mark_pieces_compliant,
    new_page,
    open_all_blocks,
    open_dossier,
    supplier_with_advance,
)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def download(page: Page, link_name: str) -> tuple[str, bytes]:
    """Click the download link ``link_name``; returns its href and the file's bytes."""
    link = page.get_by_role("link", name=re.compile(f"^{re.escape(link_name)}"))
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    href = link.get_attribute("href")
    with open(info.value.path(), "rb") as fh:
        return href, fh.read()


def test_the_supplier_downloads_the_receipt_then_the_decision_letter(
    portal, page: Page, browser, tmp_path
):
    supplier_page = new_page(browser)
    supplier, number = supplier_with_advance(portal, supplier_page, tmp_path,
                                             identifiant="pdf.fournisseur",
                                             company_name="EDITEUR PDF")

    # « Suivi de ma demande de financement »: the receipt of the deposit just made.
    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    expect(h1(supplier_page)).to_have_text("Suivi de ma demande de financement")
    receipt_href, receipt = download(supplier_page, "Télécharger l'accusé de dépôt")
    assert receipt.startswith(b"%PDF-")
    text = pdf_text(receipt)
    assert number in text and "EDITEUR PDF" in text and "30 000 €" in text
    response = supplier_page.context.request.get(portal.url(receipt_href))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == receipt  # the same document at every download
    assert_accessible(supplier_page)

    # Another supplier, and a visitor without a session, cannot read it.
    other_page = new_page(browser)
    other = enrolled_supplier(portal, identifiant="pdf.autre", password="Autre-Depot-31",
                              company_name="AUTRE EDITEUR PDF")
    log_in(other_page, portal, other.identifiant, other.password)
    expect(h1(other_page)).to_have_text("Accueil fournisseur SAS")
    assert other_page.context.request.get(portal.url(receipt_href)).status == 404
    anonymous = browser.new_context(locale="fr-FR")
    assert anonymous.request.get(portal.url(receipt_href)).status == 401
    anonymous.close()
    other_page.context.close()

    # An agent validates the request; the dossier screen lists both documents.
    create_account(portal, identifiant="agent.pdf", password="Agent-Pdf-2026",
                   email="agent.pdf@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.pdf", "Agent-Pdf-2026")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_FUNDING_REQUESTS))
    open_dossier(page, number)
    open_all_blocks(page)
    decide_control(page, "Informations de la demande", "Contrôle OK")
    decide_control(page, "Coordonnées bancaires", "Contrôle OK")
    mark_pieces_compliant(page, 3)
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_text("La demande a été validée.")).to_be_visible()
    letter_link = page.get_by_role("link", name=re.compile("^Télécharger le courrier de décision"))
    expect(letter_link).to_be_visible()
    staff_copy = page.context.request.get(portal.url(letter_link.get_attribute("href")))
    assert staff_copy.status == 200 and staff_copy.body().startswith(b"%PDF-")
    assert_accessible(page)

    # The supplier downloads the decision letter from the consultation screen.
    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    expect(supplier_page.get_by_role("main").get_by_text("Validée").first).to_be_visible()
    _, letter = download(supplier_page, "Télécharger le courrier de décision")
    assert letter == staff_copy.body()
    text = pdf_text(letter)
    assert number in text and "a été validée" in text and "30 000 €" in text
    assert supplier.iban_grouped in text
    supplier_page.screenshot(path=str(tmp_path / "suivi-documents.png"), full_page=True)
    supplier_page.context.close()
