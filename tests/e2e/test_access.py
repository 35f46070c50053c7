"""Access to the private portal in Chromium (guide section 1)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from segur_app import routes
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    email_text,
    h1,
    reset_account,
    send_login_form,
    wait_for_email,
)

GENERIC_ERROR = "Identifiant ou mot de passe incorrect."
HOME_URL = re.compile(r"/espace/?$")


def open_login(page: Page, portal) -> None:
    page.goto(portal.url(routes.HOME))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")


def try_new_password(page: Page, old: str, new: str) -> None:
    page.get_by_label("Entrez l'ancien mot de passe").fill(old)
    page.get_by_label("Entrez le nouveau mot de passe").fill(new)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(new)
    page.get_by_role("button", name="Changement du mot de passe").click()


def test_demo_supplier_first_login_to_home_and_logout(portal, page: Page):
    reset_account(portal, "test.ecomplementaire", password="Segur2023!",
                  must_change_password=True)
    open_login(page, portal)
    assert_accessible(page)
    expect(page.get_by_role("link", name="J'ai oublié mon identifiant")).to_be_visible()
    expect(page.get_by_role("link", name="J'ai oublié mon mot de passe")).to_be_visible()

    send_login_form(page, "test.ecomplementaire", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)
    send_login_form(page, "nobody.here", "Segur2023!")
    expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)

    send_login_form(page, "test.ecomplementaire", "Segur2023!")
    expect(h1(page)).to_have_text("Changement du mot de passe pour test.ecomplementaire")
    expect(page.get_by_text("8 caractères minimum dont 1 chiffre")).to_be_visible()
    expect(page.get_by_text("Les caractères accentués ne sont pas autorisés.")).to_be_visible()
    assert_accessible(page)
    # Nothing else is reachable before the password is changed.
    page.goto(portal.url(routes.PRIVATE_HOME))
    expect(h1(page)).to_have_text("Changement du mot de passe pour test.ecomplementaire")

    for attempt, message in (
        ("Ab1!", "au moins 8 caractères"),
        ("Abcdefgh!", "au moins 1 chiffre"),
        ("Élégant-2024", "Les caractères accentués ne sont pas autorisés."),
    ):
        try_new_password(page, "Segur2023!", attempt)
        expect(page.get_by_role("alert")).to_contain_text(message)
    assert_accessible(page)
    try_new_password(page, "Segur2023!", "Ambre-Lagon-73")

    expect(h1(page)).to_have_text("Positionnement de la question secrète pour test.ecomplementaire")
    assert_accessible(page)
    page.get_by_label("Entrez la question secrète").fill("Ville de naissance ?")
    page.get_by_label("Entrez la réponse").fill("Antony")
    page.get_by_role("button", name="Envoyer").click()

    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    expect(page).to_have_url(HOME_URL)
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("Eishiro ODA")
    expect(banner).to_contain_text("Fournisseur SAS")
    nav = page.get_by_role("navigation", name="Menu principal")
    for entry in ("Accueil", "Enrôlement", "Demande de financement", "Mon compte", "Besoin d'aide ?"):
        expect(nav.get_by_text(entry, exact=True)).to_be_visible()
    news = page.get_by_role("article").filter(has_text="TEST SAS")
    expect(news).to_contain_text("Publiée le : 13/02/2023")
    expect(news).to_contain_text("Catégorie : FOURNISSEUR")
    expect(news).to_contain_text("Ceci est le test pour le couloir SAS")
    expect(page.get_by_role("link", name="Suivi des demandes d'enrôlement")).to_be_visible()
    expect(page.get_by_role("link", name="Suivi de ma demande de financement")).to_be_visible()
    assert_accessible(page)

    # The attachment is served to the logged-in user through the authorised route.
    href = news.get_by_role("link", name="Pièce jointe").get_attribute("href")
    response = page.context.request.get(portal.url(href))
    assert response.status == 200 and response.body().startswith(b"%PDF-")
    assert response.headers["content-type"] == "application/pdf"

    news.get_by_role("link", name=re.compile("Lire la suite")).click()
    expect(page.get_by_role("heading", name="TEST SAS")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Retour à l'accueil").click()
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")

    page.reload()
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    expect(page.get_by_role("banner")).to_contain_text("Eishiro ODA")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    page.goto(portal.url(routes.PRIVATE_HOME))
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")
    expect(page.get_by_text("TEST SAS")).to_have_count(0)
    assert page.context.request.get(portal.url(href)).status == 401

    # The new password works, the temporary one no longer does.
    send_login_form(page, "test.ecomplementaire", "Segur2023!")
    expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)
    send_login_form(page, "test.ecomplementaire", "Ambre-Lagon-73")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")


def test_forgotten_password_round_trip_through_the_emailed_link(portal, page: Page):
    create_account(
        portal, identifiant="camille.martin", password="Ancien-Secret-11",
        email="camille.martin@le-select.example", secret_question="Nom de mon chien ?",
        secret_answer="Rex",
    )
    open_login(page, portal)
    page.get_by_role("link", name="J'ai oublié mon mot de passe").click()
    expect(h1(page)).to_have_text("J'ai oublié mon mot de passe")
    assert_accessible(page)
    page.get_by_label("Votre identifiant").fill("camille.martin")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("status")).to_contain_text("Si cet identifiant correspond")

    message = wait_for_email(portal, to="camille.martin@le-select.example",
                             subject="Réinitialisation de votre mot de passe")
    link = re.search(r"https?://\S+" + re.escape(routes.RESET_PASSWORD) + r"\S+",
                     email_text(message)).group(0)
    page.goto(link.replace(portal.env["SEGUR_PUBLIC_URL"], portal.base_url))
    expect(page.get_by_text("Nom de mon chien ?")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Entrez la réponse").fill("Médor")
    page.get_by_label("Entrez le nouveau mot de passe").fill("Nouveau-Depart-42")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Nouveau-Depart-42")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_contain_text("Il vous reste 2 essai(s)")

    page.get_by_label("Entrez la réponse").fill("  rex ")
    page.get_by_label("Entrez le nouveau mot de passe").fill("Nouveau-Depart-42")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Nouveau-Depart-42")
    page.get_by_role("button", name="Valider").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")
    expect(page.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()

    send_login_form(page, "camille.martin", "Ancien-Secret-11")
    expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)
    send_login_form(page, "camille.martin", "Nouveau-Depart-42")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")

    # The link is single use.
    page.goto(link.replace(portal.env["SEGUR_PUBLIC_URL"], portal.base_url))
    expect(page.get_by_role("alert")).to_contain_text("Ce lien n'est plus valide")


def test_forgotten_identifiant_is_emailed(portal, page: Page):
    create_account(portal, identifiant="dominique.petit", password="Valide-Pass-77",
                   email="dominique.petit@le-select.example")
    page.goto(portal.url(routes.FORGOT_ID))
    page.wait_for_function("() => window.__reflex !== undefined")
    assert_accessible(page)
    page.get_by_label("Votre adresse électronique").fill("Dominique.Petit@le-select.example")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("status")).to_contain_text("Si cette adresse électronique correspond")
    message = wait_for_email(portal, to="dominique.petit@le-select.example",
                             subject="Rappel de votre identifiant")
    assert "dominique.petit" in email_text(message)


def test_lockout_after_five_failures(portal, page: Page):
    create_account(portal, identifiant="lock.test", password="Valide-Pass-88",
                   email="lock.test@le-select.example")
    open_login(page, portal)
    for _ in range(4):
        send_login_form(page, "lock.test", "mauvais")
        expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)
    send_login_form(page, "lock.test", "mauvais")
    expect(page.get_by_role("alert")).to_contain_text("verrouillé pendant 15 minutes")
    send_login_form(page, "lock.test", "Valide-Pass-88")
    expect(page.get_by_role("alert")).to_contain_text("verrouillé")


def test_staff_lands_on_the_dashboard_and_suppliers_are_kept_out(portal, page: Page):
    create_account(portal, identifiant="agent.deux", password="Agent-Pass-55",
                   email="agent.deux@asp.example", role="staff",
                   secret_question="Service ?", secret_answer="Instruction")
    open_login(page, portal)
    send_login_form(page, "agent.deux", "Agent-Pass-55")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    expect(page.get_by_role("banner")).to_contain_text("Agent ASP")
    assert_accessible(page)
    # Staff are not suppliers: the supplier home sends them back to their dashboard.
    page.goto(portal.url(routes.PRIVATE_HOME))
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")

    create_account(portal, identifiant="fournisseur.deux", password="Fourn-Pass-66",
                   email="fournisseur.deux@le-select.example",
                   secret_question="Ville ?", secret_answer="Antony")
    send_login_form(page, "fournisseur.deux", "Fourn-Pass-66")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    page.goto(portal.url(routes.STAFF_HOME))
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
