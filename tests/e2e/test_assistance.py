"""« Besoin d'aide ? », « Contacter l'assistance », staff answers and
« Mes demandes d'assistance », in Chromium."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from segur_app import routes
from tests.document_samples import valid_png
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    email_text,
    enrolled_supplier,
    h1,
    log_in,
    wait_for_email,
    wait_out_minimum_fill_time,
)

TICKET = re.compile(r"ASSSAS\d{6}")


def _ready(page: Page) -> None:
    page.wait_for_function("() => window.__reflex !== undefined")


def test_public_request_gets_a_number_and_an_acknowledgement(portal, page: Page):
    page.goto(portal.url(routes.HELP))
    expect(h1(page)).to_have_text("Besoin d'aide ?")
    expect(page.get_by_role("link", name="Consulter les questions fréquentes")).to_be_visible()
    expect(page.get_by_role("link", name="Mes demandes d'assistance")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Consulter le guide utilisateur fournisseur SAS").click()
    expect(h1(page)).to_have_text("Guide utilisateur fournisseur SAS")
    expect(page.get_by_text("« Changement du mot de passe »").first).to_be_visible()
    assert_accessible(page)

    page.goto(portal.url(routes.ASSISTANCE))
    expect(h1(page)).to_have_text("Contacter l'assistance")
    _ready(page)
    displayed_at = time.monotonic()
    assert_accessible(page)
    page.get_by_label("Adresse électronique de contact").fill("pas-une-adresse")
    wait_out_minimum_fill_time(displayed_at)  # a person takes longer than a robot
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_text("Veuillez choisir l'objet de votre demande.")).to_be_visible()
    expect(page.get_by_text("Le message est obligatoire.")).to_be_visible()
    expect(page.get_by_text("L'adresse électronique n'est pas valide")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Objet de votre demande").select_option(label="Connexion et identifiants")
    page.get_by_label("Votre message").fill("Je n'ai pas reçu mes identifiants.\nMerci.")
    page.get_by_label("Nom et prénom").fill("Claire DUPONT")
    page.get_by_label("Adresse électronique de contact").fill("asst.public@exemple.fr")
    page.get_by_role("button", name="Envoyer ma demande").click()
    confirmation = page.get_by_role("status").filter(has_text="bien été envoyée")
    expect(confirmation).to_be_visible()
    number = TICKET.search(confirmation.inner_text()).group(0)
    assert_accessible(page)
    message = wait_for_email(portal, to="asst.public@exemple.fr",
                             subject=f"Accusé de réception de votre demande d'assistance {number}")
    assert "« Connexion et identifiants »" in email_text(message)


def test_supplier_asks_staff_answer_supplier_reads(portal, page: Page, browser, tmp_path):
    supplier = enrolled_supplier(portal, identifiant="asst.fournisseur",
                                 password="Assist-Four-31", company_name="EDITEUR ASSISTE")
    create_account(portal, identifiant="asst.agent", password="Assist-Agent-31",
                   email="asst.agent@exemple.fr", role="staff", secret_question="Ville ?",
                   secret_answer="Antony")
    capture = tmp_path / "capture.png"
    capture.write_bytes(valid_png())

    log_in(page, portal, supplier.identifiant, supplier.password)
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    page.goto(portal.url(routes.HELP))
    expect(page.get_by_role("link", name="Mes demandes d'assistance").last).to_be_visible()
    page.get_by_role("link", name="Contacter l'assistance").last.click()
    expect(h1(page)).to_have_text("Contacter l'assistance")
    contact = page.get_by_label("Adresse électronique de contact")
    expect(contact).to_have_value(supplier.email)
    expect(contact).to_have_attribute("readonly", "")
    expect(page.get_by_label("Nom et prénom")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Objet de votre demande").select_option(label="Demande d'avance")
    page.get_by_label("Votre message").fill("Quel format pour le procès-verbal ?")
    page.get_by_label("Pièce jointe (facultative)").set_input_files(capture)
    expect(page.get_by_text("capture.png")).to_be_visible()
    page.get_by_role("button", name="Envoyer ma demande").click()
    confirmation = page.get_by_role("status").filter(has_text="bien été envoyée")
    expect(confirmation).to_be_visible()
    number = TICKET.search(confirmation.inner_text()).group(0)
    wait_for_email(portal, to=supplier.email,
                   subject=f"Accusé de réception de votre demande d'assistance {number}")

    page.get_by_role("link", name="Mes demandes d'assistance").last.click()
    expect(h1(page)).to_have_text("Mes demandes d'assistance")
    mine = page.locator("article").filter(has_text=number)
    expect(mine.get_by_text("En attente de réponse")).to_be_visible()
    href = mine.get_by_role("link", name=re.compile("capture.png")).get_attribute("href")
    response = page.context.request.get(portal.url(href))
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert_accessible(page)

    agent = browser.new_context(locale="fr-FR").new_page()
    agent.set_default_timeout(15_000)
    log_in(agent, portal, "asst.agent", "Assist-Agent-31")
    expect(h1(agent)).not_to_have_text("Accéder à mon espace personnel")
    agent.get_by_role("link", name="Assistance", exact=True).click()
    expect(h1(agent)).to_have_text("Demandes d'assistance")
    ticket = agent.locator("article").filter(has_text=number)
    expect(ticket.get_by_text(supplier.email)).to_be_visible()
    expect(ticket.get_by_role("link", name=re.compile("capture.png"))).to_be_visible()
    assert_accessible(agent)
    ticket.get_by_role("button", name="Envoyer la réponse").click()
    expect(ticket.get_by_text("La réponse est obligatoire.")).to_be_visible()
    ticket.get_by_label(f"Réponse à la demande {number}").fill(
        "Un PDF ou une image de 4 Mo au plus.")
    ticket.get_by_role("button", name="Envoyer la réponse").click()
    expect(agent.get_by_text(f"La réponse à la demande {number} a été envoyée.")).to_be_visible()
    answer = wait_for_email(portal, to=supplier.email,
                            subject=f"Réponse à votre demande d'assistance {number}")
    assert "Un PDF ou une image de 4 Mo au plus." in email_text(answer)

    page.reload()
    mine = page.locator("article").filter(has_text=number)
    expect(mine.get_by_text("Répondue")).to_be_visible()
    expect(mine.get_by_text("Un PDF ou une image de 4 Mo au plus.")).to_be_visible()
    assert_accessible(page)

    ticket.get_by_role("button", name=f"Clore la demande {number}").click()
    expect(agent.get_by_text(f"La demande {number} a été close.")).to_be_visible()
    agent.context.close()

    # Another supplier's session cannot read the ticket's attachment.
    neighbour = enrolled_supplier(portal, identifiant="asst.autre",
                                  password="Assist-Autre-31", company_name="EDITEUR VOISIN ASSISTE")
    other = browser.new_context(locale="fr-FR").new_page()
    other.set_default_timeout(15_000)
    log_in(other, portal, neighbour.identifiant, neighbour.password)
    expect(h1(other)).to_have_text("Accueil fournisseur SAS")
    assert other.context.request.get(portal.url(href)).status in (403, 404)
    other.goto(portal.url(routes.MY_TICKETS))
    expect(other.get_by_text("Vous n'avez encore envoyé aucune demande d'assistance.")).to_be_visible()
    other.context.close()
