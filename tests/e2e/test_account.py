"""« Mon compte » in Chromium: password change, other sessions, email change."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from segur_app import routes
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    email_text,
    h1,
    log_in,
    wait_for_email,
)


def test_supplier_manages_the_account(portal, page: Page, browser):
    create_account(portal, identifiant="compte.test", password="Compte-Test-12",
                   email="compte.test@le-select.example", secret_question="Q ?",
                   secret_answer="reponse")
    other = browser.new_context(locale="fr-FR").new_page()
    other.set_default_timeout(15_000)
    log_in(other, portal, "compte.test", "Compte-Test-12")
    expect(other.get_by_role("heading", level=1)).to_have_text("Accueil fournisseur SAS")

    log_in(page, portal, "compte.test", "Compte-Test-12")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mon compte").click()
    expect(h1(page)).to_have_text("Mon compte")
    main = page.get_by_role("main")
    for text in ("compte.test", "compte.test@le-select.example", "Fournisseur SAS", "LE SELECT"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text(re.compile(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2} — adresse"))).to_have_count(2)
    assert_accessible(page)

    section = page.get_by_role("form", name="Changer mon mot de passe")
    section.get_by_label("Entrez l'ancien mot de passe").fill("Compte-Test-12")
    section.get_by_label("Entrez le nouveau mot de passe").fill("abc")
    section.get_by_label("Confirmez le nouveau mot de passe").fill("abc")
    section.get_by_role("button").click()
    expect(main.get_by_role("alert")).to_contain_text("au moins 8 caractères")
    section.get_by_label("Entrez l'ancien mot de passe").fill("Compte-Test-12")
    section.get_by_label("Entrez le nouveau mot de passe").fill("Nouveau-Compte-34")
    section.get_by_label("Confirmez le nouveau mot de passe").fill("Nouveau-Compte-34")
    section.get_by_role("button").click()
    expect(main.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()
    wait_for_email(portal, to="compte.test@le-select.example", subject="Modification de votre mot de passe")

    # The other browser's session has been ended.
    other.goto(portal.url(routes.PRIVATE_HOME))
    expect(other.get_by_role("heading", level=1)).to_have_text("Accéder à mon espace personnel")
    other.context.close()

    email_form = page.get_by_role("form", name="Changer mon adresse électronique")
    email_form.get_by_label("Votre mot de passe actuel").fill("Nouveau-Compte-34")
    email_form.get_by_label("Nouvelle adresse électronique", exact=True).fill("nouvelle.adresse@le-select.example")
    email_form.get_by_label("Confirmez la nouvelle adresse électronique").fill("nouvelle.adresse@le-select.example")
    email_form.get_by_role("button").click()
    expect(main.get_by_text("Un lien de confirmation a été envoyé")).to_be_visible()
    message = wait_for_email(portal, to="nouvelle.adresse@le-select.example", subject="Confirmez")
    wait_for_email(portal, to="compte.test@le-select.example", subject="Changement d'adresse")
    link = re.search(r"https?://\S+" + re.escape(routes.CONFIRM_EMAIL) + r"\S+", email_text(message)).group(0)
    page.goto(link.replace(portal.env["SEGUR_PUBLIC_URL"], portal.base_url))
    expect(page.get_by_text("Votre nouvelle adresse électronique est confirmée")).to_be_visible()
    assert_accessible(page)

    page.goto(portal.url(routes.ACCOUNT))
    expect(page.get_by_role("main").get_by_text("nouvelle.adresse@le-select.example")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, portal, "compte.test", "Compte-Test-12")
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    log_in(page, portal, "compte.test", "Nouveau-Compte-34")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
