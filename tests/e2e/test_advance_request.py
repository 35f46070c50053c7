"""« Ma demande d'avance » then « Suivi de ma demande de financement » in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.document_samples import valid_jpeg, valid_pdf, valid_png
from tests.e2e.conftest import assert_accessible, enrolled_supplier, h1, log_in

PV = "Procès-verbal de mise en service"
ATTESTATION = (
    "Attestation sur l'honneur de procuration de documents à la destination des "
    "Régulateurs et des Effecteurs"
)
JUSTIFICATIF = "Justificatif de transmission des données à la plateforme numérique SAS"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pieces")
    samples = {
        "pv-mise-en-service.pdf": valid_pdf(),
        "attestation.png": valid_png(40, 30),
        "justificatif.JPG": valid_jpeg(16, 16),
        "faux.pdf": b"<!DOCTYPE html><html><body>pas un PDF</body></html>",
        "programme.png": b"MZ\x90\x00\x03" + b"\x00" * 400,
    }
    paths = {}
    for name, data in samples.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def choose_file_like_a_person(page: Page, field: str, path: Path) -> None:
    """Click « Parcourir... » of ``field`` and pick ``path`` in the file chooser."""
    zone = page.locator("label.segur-upload__label").filter(has_text=field)
    with page.expect_file_chooser() as chooser:
        zone.get_by_text("Parcourir...").click()
    chooser.value.set_files(path)


def test_supplier_deposits_the_advance_request_and_consults_it(portal, page: Page, files, browser):
    # A supplier of this test, enrolled, its first login already done (see test_access).
    supplier = enrolled_supplier(portal, identifiant="avance.fournisseur",
                                 password="Depot-Avance-21", company_name="EDITEUR AVANCE")
    log_in(page, portal, supplier.identifiant, supplier.password)
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")

    # Before any deposit the consultation screen says so.
    page.get_by_role("link", name="Suivi de ma demande de financement").click()
    expect(page.get_by_text("Vous n'avez pas encore déposé de demande de financement.")).to_be_visible()

    nav = page.get_by_role("navigation", name="Menu principal")
    nav.get_by_text("Demande de financement", exact=True).click()
    nav.get_by_role("link", name="Ma demande d'avance").click()
    expect(h1(page)).to_have_text("Ma demande de financement")
    expect(page.get_by_text("1 - Ma demande d'avance")).to_be_visible()
    expect(page.get_by_text("2 - Ma demande de solde")).to_be_visible()
    main = page.get_by_role("main")
    for text in (supplier.ans_number, supplier.siret, supplier.company_name, supplier.address):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text("Aucun fichier sélectionné.")).to_have_count(3)
    expect(main.get_by_text("Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo")).to_have_count(3)
    expect(page.get_by_label("4 - Montant de l'avance")).to_have_value("30\u202f000\u00a0€")
    assert_accessible(page)

    # Validating with no file: each field says it is required, nothing stored.
    page.get_by_role("button", name="Valider").click()
    expect(main.get_by_text("Ce document est obligatoire.")).to_have_count(3)

    # Wrong files get a precise message naming the field.
    page.get_by_label(PV).set_input_files(files["faux.pdf"])
    expect(main.get_by_text(re.compile(PV + " : le contenu du fichier ne correspond pas"))).to_be_visible()
    page.get_by_label(ATTESTATION).set_input_files(files["programme.png"])
    expect(main.get_by_text(re.compile(re.escape(ATTESTATION) + " : "))).to_be_visible()

    # Real files, then replace one and remove/re-add another.
    page.get_by_label(PV).set_input_files(files["attestation.png"])
    expect(main.get_by_text("attestation.png")).to_be_visible()
    page.get_by_label(PV).set_input_files(files["pv-mise-en-service.pdf"])
    expect(main.get_by_text("pv-mise-en-service.pdf")).to_be_visible()
    expect(main.get_by_text("attestation.png")).to_have_count(0)
    page.get_by_label(ATTESTATION).set_input_files(files["attestation.png"])
    page.get_by_label(JUSTIFICATIF).set_input_files(files["justificatif.JPG"])
    expect(main.get_by_text("justificatif.JPG")).to_be_visible()
    page.get_by_role("button", name=re.compile("Retirer le fichier « " + re.escape(JUSTIFICATIF))).click()
    expect(main.get_by_text("justificatif.JPG")).to_have_count(0)
    choose_file_like_a_person(page, JUSTIFICATIF, files["justificatif.JPG"])
    expect(main.get_by_text("justificatif.JPG")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Valider").click()
    confirmation = page.get_by_role("status").filter(has_text="Votre demande d'avance a bien été déposée")
    expect(confirmation).to_be_visible()
    number = re.search(r"FINSAS\d{6}", confirmation.inner_text()).group(0)
    assert_accessible(page)

    # The menu entry now opens the consultation screen.
    nav.get_by_text("Demande de financement", exact=True).click()
    nav.get_by_role("link", name="Ma demande d'avance").click()
    expect(h1(page)).to_have_text("Suivi de ma demande de financement")
    for text in (number, supplier.ans_number, "En cours"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text(re.compile(r"Date de dépôt : \d{2}/\d{2}/\d{4}"))).to_be_visible()

    blocks = {
        "Informations de la demande": ("HT - 0%", "30\u202f000\u00a0€"),
        "Coordonnées bancaires": (supplier.iban_grouped, supplier.bic),
        "Pièces justificatives": ("pv-mise-en-service.pdf", "attestation.png"),
        "Courriels automatiques envoyés": ("Accusé de réception",),
    }
    for title, texts in blocks.items():
        block = main.locator("details.segur-block").filter(has_text=title)
        block.locator(":scope > summary").click()
        expect(block).to_have_attribute("open", "")
        for text in texts:
            expect(block.get_by_text(text, exact=False).first).to_be_visible()
    pieces = main.locator("details.segur-block").filter(has_text="Pièces justificatives")
    expect(pieces.locator(":scope > summary")).to_contain_text("A instruire")
    assert_accessible(page)

    # The email block lists the confirmation; it can be opened and read.
    emails = main.locator("details.segur-block").filter(has_text="Courriels automatiques envoyés")
    emails.locator("li details summary").first.click()
    body = emails.locator(".segur-email").first
    expect(body).to_be_visible()
    expect(body).to_contain_text(f"Votre demande de financement {number}")
    expect(body).to_contain_text("« plateforme numérique Service d'Accès aux Soins »")

    # Download an attachment through the authorised route.
    href = pieces.get_by_role("link", name=re.compile("pv-mise-en-service.pdf")).get_attribute("href")
    response = page.context.request.get(portal.url(href))
    assert response.status == 200 and response.body() == files["pv-mise-en-service.pdf"].read_bytes()

    page.get_by_role("link", name="← Retour").click()
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")

    # Another supplier account cannot download it, nor the neighbouring pieces.
    other = browser.new_context(locale="fr-FR")
    try:
        other_page = other.new_page()
        neighbour = enrolled_supplier(portal, identifiant="autre.fournisseur",
                                      password="Autre-Fourn-31", company_name="EDITEUR VOISIN")
        log_in(other_page, portal, neighbour.identifiant, neighbour.password)
        expect(other_page.get_by_role("heading", level=1)).to_have_text("Accueil fournisseur SAS")
        attachment_id = int(href.rsplit("/", 1)[1])
        # The three pieces of the dossier were stored one after the other.
        for candidate in (attachment_id, attachment_id + 1, attachment_id + 2):
            status = other.request.get(portal.url(f"/documents/{candidate}")).status
            assert status == 404, (candidate, status)
    finally:
        other.close()
