"""The public portal in real Chromium: texts of the guide, navigation, accessibility."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from segur_app import routes
from segur_app.core.db import make_engine
from segur_app.domain import mail
from tests.e2e.conftest import assert_accessible, h1, wait_for_email

PUBLIC_PAGES = {
    routes.HOME: "Portail SEGUR Numérique",
    routes.LOGIN: "Accéder à mon espace personnel",
    routes.FORGOT_ID: "J'ai oublié mon identifiant",
    routes.FORGOT_PASSWORD: "J'ai oublié mon mot de passe",
    routes.ENROLMENT: "Effectuer ma demande d'enrôlement",
    routes.JSON_SIMULATION: "Simuler mon fichier json",
    routes.FAQ: "Questions fréquentes",
    routes.ASSISTANCE: "Contacter l'assistance",
    routes.HELP: "Besoin d'aide ?",
    routes.SITEMAP: "Plan du site",
    routes.ACCESSIBILITY: "Déclaration d'accessibilité",
    routes.LEGAL: "Mentions légales",
    routes.CGU: "Conditions générales d'utilisation",
}


def wait_for_app(page: Page) -> None:
    page.wait_for_function("() => window.__reflex !== undefined")


def test_home_shows_the_guide_entry_points(portal, page: Page):
    page.goto(portal.url(routes.HOME))
    expect(h1(page)).to_have_text("Portail SEGUR Numérique")
    expect(page).to_have_title(re.compile("Portail SEGUR Numérique"))
    assert page.locator("html").get_attribute("lang") == "fr"
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(main.get_by_text("Vous n'avez pas de compte ?")).to_be_visible()
    expect(main.get_by_role("link", name="Effectuer ma demande d'enrôlement")).to_be_visible()
    expect(main.get_by_text("Vous n'êtes pas encore référencé ?")).to_be_visible()
    expect(main.get_by_role("link", name="Simuler mon fichier json")).to_be_visible()
    expect(main.get_by_role("link", name="Consulter les questions fréquentes")).to_be_visible()
    expect(main.get_by_role("link", name="Contacter l'assistance")).to_be_visible()
    expect(page.get_by_role("heading", name="Qu'est-ce que le Ségur du numérique en santé ?")).to_be_visible()
    expect(page.get_by_role(
        "heading",
        name="Qu'est-ce que le financement à l'équipement numérique des acteurs de l'offre de soins ?",
    )).to_be_visible()
    expect(main.get_by_text("6 milliards d'euros", exact=False)).to_be_visible()

    footer = page.get_by_role("contentinfo")
    for partner in ("Agence du Numérique en Santé", "NextGenerationEU", "Assurance Maladie"):
        expect(footer.get_by_text(partner, exact=False).first).to_be_visible()
    expect(footer.get_by_text("solidarité pour l'autonomie", exact=False).first).to_be_visible()
    for site in ("legifrance.gouv.fr", "gouvernement.fr", "service-public.fr", "data.gouv.fr"):
        link = footer.get_by_role("link", name=site, exact=True)
        expect(link).to_have_attribute("href", re.compile(r"^https://(www\.)?" + re.escape(site)))
    for name in ("Plan du site", "Accessibilité", "Mentions légales", "CGU"):
        expect(footer.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert_accessible(page)


def test_a_visitor_clicks_through_help_and_legal_pages(portal, page: Page):
    page.goto(portal.url(routes.HOME))
    wait_for_app(page)
    page.get_by_role("main").get_by_role("link", name="Consulter les questions fréquentes").click()
    expect(h1(page)).to_have_text("Questions fréquentes")
    question = page.locator("details.fr-accordion summary", has_text="Quels fichiers puis-je joindre").first
    question.click()
    answer = page.locator("details.fr-accordion[open]").first
    expect(answer).to_contain_text("4 Mo")
    expect(answer).to_contain_text(".pdf")
    assert_accessible(page)

    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Plan du site", exact=True).click()
    expect(h1(page)).to_have_text("Plan du site")
    expect(page.get_by_role("main").get_by_role("link", name="Questions fréquentes", exact=True)).to_be_visible()
    assert_accessible(page)

    for link, heading in (
        ("Mentions légales", "Mentions légales"),
        ("Accessibilité", "Déclaration d'accessibilité"),
        ("CGU", "Conditions générales d'utilisation"),
    ):
        page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True).click()
        expect(h1(page)).to_have_text(heading)
        assert_accessible(page)

    page.get_by_role("banner").get_by_role("link", name="Se connecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")


@pytest.mark.parametrize("route", list(PUBLIC_PAGES))
def test_every_public_route_renders_accessibly(portal, page: Page, route: str):
    response = page.goto(portal.url(route))
    assert response is not None and response.ok
    expect(h1(page)).to_have_text(PUBLIC_PAGES[route])
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("banner")).to_contain_text("Portail SEGUR Numérique")
    assert_accessible(page)


def test_private_documents_are_not_public(portal):
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(portal.url("/documents/1"), timeout=10)
    assert anonymous.value.code == 401
    # Reflex's public upload folder must not expose our private storage.
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(portal.url("/_upload/segur.db"), timeout=10)


def test_the_running_portal_delivers_its_outbox(portal):
    """The app's background worker picks up queued emails (file transport here)."""
    engine = make_engine(portal.env["REFLEX_DB_URL"])
    with Session(engine) as session:
        mail.queue_email(
            session, template="e2e_probe", to="probe@example.org",
            subject="Sonde de bout en bout", text="Bonjour",
        )
        session.commit()
    engine.dispose()
    wait_for_email(portal, to="probe@example.org", subject="Sonde de bout en bout")
