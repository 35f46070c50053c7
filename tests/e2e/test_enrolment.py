"""Enrolment in Chromium: the public request, the staff decision, the new supplier's
first login and tracking; one enrolment per SIRET; « Simuler mon fichier json »."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from segur_app import routes
from tests.document_samples import valid_pdf
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    email_text,
    h1,
    log_in,
    wait_for_email,
    wait_out_minimum_fill_time,
)

SIRET = "75100001900016"
ANS = "tstSAS0501"
CONTACT_EMAIL = "lea.martin@editeur-e2e.example"
RIB = "Relevé d'identité bancaire (RIB)"
ONE_ENROLMENT = "Un fournisseur SAS ne peut faire qu'un seul enrôlement"


def referencing_file(**overrides) -> dict:
    document = {
        "version_format": "1.0",
        "numero_referencement_ans": ANS,
        "couloir": "SAS",
        "siret": SIRET,
        "denomination_sociale": "ÉDITEUR DE BOUT EN BOUT",
        "adresse": {"voie": "8 rue des Tests", "code_postal": "69003", "commune": "LYON"},
        "solutions": [{"nom": "Régulation E2E", "version": "3.2", "date_referencement": "2023-04-12"}],
    }
    document.update(overrides)
    return document


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("enrolement")
    samples = {
        "referencement.json": json.dumps(referencing_file(), ensure_ascii=False).encode(),
        "mauvais.json": json.dumps(referencing_file(siret="7510000190001", couloir="SIH")).encode(),
        "rib.pdf": valid_pdf(),
    }
    paths = {}
    for name, data in samples.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def step_title(page: Page):
    return page.locator("#etape-titre")


def wait_for_app(page: Page) -> None:
    page.wait_for_function("() => window.__reflex !== undefined")


def next_step(page: Page) -> None:
    page.get_by_role("button", name="Étape suivante").click()


def field_error(page: Page, name: str):
    return page.locator(f"#erreur-{name}")




def test_a_new_supplier_enrols_is_approved_and_logs_in(portal, page: Page, browser, files):
    page.goto(portal.url(routes.HOME))
    wait_for_app(page)
    page.get_by_role("main").get_by_role("link", name="Effectuer ma demande d'enrôlement").click()
    expect(h1(page)).to_have_text("Effectuer ma demande d'enrôlement")
    displayed_at = time.monotonic()
    expect(step_title(page)).to_contain_text("Entreprise")
    expect(step_title(page)).to_contain_text("Étape 1 sur 5")
    expect(page.get_by_text("Étape suivante : Représentant légal")).to_be_visible()
    assert_accessible(page)

    # Step 1: nothing typed → a message next to each field, and a summary.
    next_step(page)
    expect(field_error(page, "siret")).to_have_text("Le SIRET est obligatoire.")
    expect(page.get_by_label("SIRET")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")).to_be_visible()
    assert_accessible(page)

    # The company is pre-filled from the referencing file.
    page.get_by_label("Importer mon fichier json").set_input_files(files["mauvais.json"])
    expect(page.get_by_role("cell", name="$.couloir")).to_be_visible()
    page.get_by_label("Importer mon fichier json").set_input_files(files["referencement.json"])
    expect(page.get_by_text("Les informations de votre fichier json ont été reprises")).to_be_visible()
    expect(page.get_by_label("SIRET")).to_have_value(SIRET)
    expect(page.get_by_label("N° unique de référencement (ANS)")).to_have_value(ANS)
    expect(page.get_by_label("Commune")).to_have_value("LYON")
    page.get_by_label("SIRET").fill("75100001900017")
    next_step(page)
    expect(field_error(page, "siret")).to_contain_text("clé de contrôle")
    page.get_by_label("SIRET").fill("751 000 019 00016")
    next_step(page)

    # Step 2: legal representative.
    expect(step_title(page)).to_contain_text("Représentant légal")
    expect(step_title(page)).to_be_focused()
    page.locator("label", has_text="Madame").click()  # DSFR draws the radio on its label
    expect(page.get_by_label("Madame")).to_be_checked()
    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Prénom", exact=True).fill("Sophie")
    page.get_by_label("Fonction").fill("Présidente")
    assert_accessible(page)
    next_step(page)

    # Step 3: contact for the portal account (the email typed twice).
    expect(step_title(page)).to_contain_text("Contact")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Prénom", exact=True).fill("Léa")
    page.get_by_label("Adresse électronique", exact=False).first.fill(CONTACT_EMAIL)
    page.get_by_label("Confirmation de l'adresse électronique").fill("lea.martin@editeur.example")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    next_step(page)
    expect(field_error(page, "contact_email_confirmation")).to_have_text(
        "Les deux adresses électroniques saisies ne sont pas identiques.")
    page.get_by_label("Confirmation de l'adresse électronique").fill(CONTACT_EMAIL)
    # « Étape précédente » keeps what was typed.
    page.get_by_role("button", name="Étape précédente").click()
    expect(page.get_by_label("Prénom", exact=True)).to_have_value("Sophie")
    next_step(page)
    expect(page.get_by_label("Confirmation de l'adresse électronique")).to_have_value(CONTACT_EMAIL)
    next_step(page)

    # Step 4: bank details — an invalid IBAN first.
    expect(step_title(page)).to_contain_text("Coordonnées bancaires")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_label("BIC").fill("AGRIFRPPXXX")
    page.get_by_label("Titulaire").fill("ÉDITEUR DE BOUT EN BOUT")
    page.get_by_label("Domiciliation").fill("CRÉDIT AGRICOLE LYON")
    next_step(page)
    expect(field_error(page, "iban")).to_contain_text("L'IBAN n'est pas valide : sa clé de contrôle")
    rib_zone = page.locator(".fr-upload-group").filter(has_text=RIB)
    expect(rib_zone.locator(".fr-error-text")).to_have_text("Le relevé d'identité bancaire (RIB) est obligatoire.")
    expect(page.get_by_label("IBAN")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label(RIB).set_input_files(files["rib.pdf"])
    expect(page.get_by_text("rib.pdf")).to_be_visible()
    next_step(page)

    # Step 5: summary, CGU, sending.
    expect(step_title(page)).to_contain_text("Récapitulatif et envoi")
    main = page.get_by_role("main")
    for text in (SIRET, ANS, "ÉDITEUR DE BOUT EN BOUT", "Madame", "Sophie", CONTACT_EMAIL,
                 "06 12 34 56 78", "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPPXXX", "rib.pdf"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    assert_accessible(page)
    # A form sent less than 3 s after it was displayed is taken for a robot: be human.
    wait_out_minimum_fill_time(displayed_at)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(field_error(page, "cgu")).to_contain_text("accepter les conditions générales")
    page.locator("label", has_text="J'ai lu et j'accepte").click()
    expect(page.get_by_label("J'ai lu et j'accepte les conditions générales d'utilisation")).to_be_checked()
    # A robot filling the hidden field is refused, without saying why.
    honeypot = page.locator("#champ-site-internet")
    expect(page.locator(".segur-honeypot")).to_have_attribute("aria-hidden", "true")
    # Out of sight: a sighted person never sees « Ne pas remplir ce champ ».
    box = page.locator(".segur-honeypot").bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    expect(honeypot).to_have_attribute("tabindex", "-1")
    honeypot.evaluate("element => { element.value = 'https://spam.example'; }")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("alert").filter(has_text="Votre demande n'a pas pu être envoyée")).to_be_visible()
    honeypot.evaluate("element => { element.value = ''; }")
    page.get_by_role("button", name="Envoyer ma demande").click()
    confirmation = page.get_by_role("status").filter(has_text="Votre demande d'enrôlement a bien été envoyée")
    expect(confirmation).to_be_visible()
    number = re.search(r"ENRSAS\d{6}", confirmation.inner_text()).group(0)
    expect(confirmation).to_contain_text(CONTACT_EMAIL)
    assert_accessible(page)
    acknowledgement = wait_for_email(portal, to=CONTACT_EMAIL, subject="Accusé de réception")
    assert number in email_text(acknowledgement)

    # An ASP agent validates it.
    create_account(portal, identifiant="agent.enrolement", password="Agent-Enrol-42",
                   email="agent.enrolement@asp.example", role="staff",
                   secret_question="Service ?", secret_answer="Instruction")
    log_in(page, portal, "agent.enrolement", "Agent-Enrol-42")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Enrôlements").click()
    expect(h1(page)).to_have_text("Demandes d'enrôlement à instruire")
    request = page.get_by_role("article").filter(has_text=number)
    expect(request).to_contain_text("ÉDITEUR DE BOUT EN BOUT")
    expect(request).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    rib_href = request.get_by_role("link", name="rib.pdf").get_attribute("href")
    assert page.context.request.get(portal.url(rib_href)).body() == files["rib.pdf"].read_bytes()
    # Automatic verifications, RIB preview and history help the decision.
    expect(request).to_contain_text("SIRET (clé de contrôle) : Conforme")
    expect(request).to_contain_text("IBAN (format du pays et clé) : Conforme")
    request.get_by_text("Aperçu du RIB").click()
    expect(request.locator("iframe.segur-preview")).to_be_visible()
    request.get_by_text("Historique de la demande").click()
    expect(request).to_contain_text("Demande déposée")
    assert_accessible(page)
    request.get_by_role("button", name=re.compile("^Prendre en charge")).click()
    expect(page.get_by_text(f"La demande {number} est prise en charge.")).to_be_visible()
    expect(request).to_contain_text("En cours")
    expect(request.get_by_role("button", name=re.compile("^Prendre en charge"))).to_have_count(0)
    request.get_by_role("button", name=re.compile("^Valider")).click()
    expect(page.get_by_role("status").filter(has_text=f"La demande {number} a été validée")).to_contain_text(
        "le compte « lea.martin »")
    expect(page.get_by_role("article").filter(has_text=number)).to_have_count(0)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")

    # The credentials arrive by email; the first login changes the password.
    text = email_text(wait_for_email(portal, to=CONTACT_EMAIL, subject="Vos identifiants de connexion"))
    identifiant = re.search(r"Identifiant : (\S+)", text).group(1)
    password = re.search(r"Mot de passe temporaire : (\S+)", text).group(1)
    assert identifiant == "lea.martin"
    decision = wait_for_email(portal, to=CONTACT_EMAIL, subject="a été validée")
    assert number in email_text(decision)

    log_in(page, portal, identifiant, password)
    expect(h1(page)).to_have_text("Changement du mot de passe pour lea.martin")
    page.get_by_label("Entrez l'ancien mot de passe").fill(password)
    page.get_by_label("Entrez le nouveau mot de passe").fill("Lagune-Bleue-58")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Lagune-Bleue-58")
    page.get_by_role("button", name="Changement du mot de passe").click()
    expect(h1(page)).to_have_text("Positionnement de la question secrète pour lea.martin")
    page.get_by_label("Entrez la question secrète").fill("Premier éditeur ?")
    page.get_by_label("Entrez la réponse").fill("Lyon Santé")
    page.get_by_role("button", name="Envoyer").click()
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    expect(page.get_by_role("banner")).to_contain_text("Léa Martin")

    # Tracking, from the home button.
    page.get_by_role("link", name="Suivi des demandes d'enrôlement").click()
    expect(h1(page)).to_have_text("Suivi des demandes d'enrôlement")
    main = page.get_by_role("main")
    for text in (number, SIRET, ANS, "Validée"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text(re.compile(r"Date de dépôt : \d{2}/\d{2}/\d{4}"))).to_be_visible()
    blocks = {
        ("bloc-representant", "Représentant légal"): ("Bernard", "Présidente"),
        ("bloc-contact", "Contact"): (CONTACT_EMAIL, "06 12 34 56 78"),
        ("bloc-coordonnees-bancaires", "Coordonnées bancaires"): (
            "**** **** **** **** **** ***0 189", "AGRIFRPPXXX"),
        ("bloc-pieces-justificatives", "Pièces justificatives"): ("rib.pdf",),
        ("bloc-courriels", "Courriels automatiques envoyés"): (
            "Accusé de réception", "Vos identifiants de connexion"),
    }
    for (block_id, title), texts in blocks.items():
        block = main.locator(f"details#{block_id}")
        expect(block.locator(":scope > summary")).to_contain_text(title)
        block.locator(":scope > summary").click()
        for text in texts:
            expect(block.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text("FR76 3000 6000 0112 3456 7890 189")).to_have_count(0)
    expect(main.get_by_text(password)).to_have_count(0)
    assert_accessible(page)

    # …and from the « Enrôlement » menu entry.
    page.get_by_role("link", name="← Retour").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Enrôlement").click()
    expect(h1(page)).to_have_text("Suivi des demandes d'enrôlement")

    # A second enrolment for the same SIRET is refused.
    other = browser.new_context(locale="fr-FR")
    try:
        visitor = other.new_page()
        visitor.goto(portal.url(routes.ENROLMENT))
        wait_for_app(visitor)
        for label, value in (
            ("N° unique de référencement (ANS)", "autSAS0777"), ("SIRET", SIRET),
            ("Dénomination sociale", "COPIE"), ("Voie", "1 place Bellecour"),
            ("Code postal", "69002"), ("Commune", "LYON"),
        ):
            visitor.get_by_label(label).fill(value)
        visitor.get_by_role("button", name="Étape suivante").click()
        refusal = visitor.get_by_role("alert").filter(has_text=ONE_ENROLMENT)
        expect(refusal).to_be_visible()
        expect(refusal.get_by_role("link", name="Contacter l'assistance")).to_be_visible()
        expect(visitor.locator("#erreur-siret")).to_have_text(
            "Une demande d'enrôlement existe déjà pour ce SIRET.")
        expect(visitor.locator("#etape-titre")).to_contain_text("Entreprise")
        assert_accessible(visitor)
    finally:
        other.close()


def test_json_simulation_lists_errors_then_reads_a_good_file(portal, page: Page, files):
    page.goto(portal.url(routes.HOME))
    wait_for_app(page)
    page.get_by_role("main").get_by_role("link", name="Simuler mon fichier json").click()
    expect(h1(page)).to_have_text("Simuler mon fichier json")
    assert_accessible(page)

    page.get_by_label("Fichier json de référencement").set_input_files(files["mauvais.json"])
    expect(page.get_by_role("heading", name="Le fichier n'est pas conforme")).to_be_visible()
    table = page.get_by_role("table", name="Erreurs du fichier json")
    expect(table.get_by_role("row").filter(has_text="$.siret")).to_contain_text("exactement 14 chiffres")
    expect(table.get_by_role("row").filter(has_text="$.couloir")).to_contain_text('"SAS"')
    expect(page.get_by_text("Fichier « mauvais.json » : 2 erreur(s)")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Contenu du fichier json").fill('{"siret": "1",}')
    page.get_by_role("button", name="Vérifier le texte").click()
    expect(page.get_by_role("cell", name=re.compile("virgule|nom de champ"))).to_be_visible()

    page.get_by_label("Contenu du fichier json").fill(json.dumps(referencing_file(), ensure_ascii=False))
    page.get_by_role("button", name="Vérifier le texte").click()
    expect(page.get_by_role("heading", name="Le fichier est conforme")).to_be_visible()
    main = page.get_by_role("main")
    for text in (SIRET, ANS, "ÉDITEUR DE BOUT EN BOUT", "8 rue des Tests , 69003, LYON", "30\u202f000\u00a0€"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    solutions = page.get_by_role("table", name="Solutions référencées")
    expect(solutions).to_contain_text("Régulation E2E")
    expect(solutions).to_contain_text("12/04/2023")
    page.locator("details summary", has_text="Format du fichier json").click()
    expect(page.get_by_role("cell", name="solutions[].date_referencement")).to_be_visible()
    assert_accessible(page)


def test_staff_must_give_a_reason_to_reject(portal, page: Page):
    create_account(portal, identifiant="agent.rejet", password="Agent-Rejet-43",
                   email="agent.rejet@asp.example", role="staff",
                   secret_question="Service ?", secret_answer="Instruction")
    _insert_pending_request(portal)
    log_in(page, portal, "agent.rejet", "Agent-Rejet-43")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_ENROLMENTS))
    request = page.get_by_role("article").filter(has_text="A REJETER")
    request.get_by_role("button", name=re.compile("^Rejeter")).click()
    expect(request.get_by_text("Le motif du rejet est obligatoire.")).to_be_visible()
    assert_accessible(page)
    request.get_by_label("Motif du rejet").fill("Le SIRET ne correspond pas au référencement ANS.")
    request.get_by_role("button", name=re.compile("^Rejeter")).click()
    expect(page.get_by_role("status").filter(has_text="a été rejetée")).to_be_visible()
    message = wait_for_email(portal, to="rejet@editeur-e2e.example", subject="a été rejetée")
    assert "Motif du rejet : Le SIRET ne correspond pas au référencement ANS." in email_text(message)

    # Suppliers are kept out of the staff screen.
    create_account(portal, identifiant="fournisseur.enrol", password="Fourn-Enrol-44",
                   email="fournisseur.enrol@le-select.example",
                   secret_question="Ville ?", secret_answer="Antony")
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, portal, "fournisseur.enrol", "Fourn-Enrol-44")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    page.goto(portal.url(routes.STAFF_ENROLMENTS))
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")


def _insert_pending_request(portal) -> None:
    """A pending request submitted through the domain service (as the form would)."""
    from segur_app.core.db import make_engine
    from segur_app.domain import uploads
    from segur_app.domain.enrolment import submission
    from segur_app.domain.enrolment.form import validate_all
    from sqlmodel import Session

    values = {
        "ans_number": "rejSAS0001", "siret": "65432109000015", "company_name": "A REJETER",
        "street": "2 rue du Refus", "postal_code": "75002", "city": "PARIS",
        "legal_rep_civility": "M.", "legal_rep_last_name": "Petit", "legal_rep_first_name": "Paul",
        "legal_rep_role": "Gérant", "contact_last_name": "Petit", "contact_first_name": "Paul",
        "contact_email": "rejet@editeur-e2e.example",
        "contact_email_confirmation": "rejet@editeur-e2e.example",
        "contact_phone": "0102030405", "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPPXXX", "holder": "A REJETER", "domiciliation": "PARIS",
    }
    store = portal.store
    rib = uploads.stage(valid_pdf(), "rib.pdf", policy=submission.RIB_UPLOAD,
                        store=store)
    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            submission.submit(
                session, data=validate_all(values).data, rib=rib, cgu_accepted=True,
                store=store, assistance_url=portal.url(routes.ASSISTANCE),
            )
    finally:
        engine.dispose()
