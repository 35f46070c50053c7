"""ASP staff instruct funding requests in Chromium.

Each test deposits through the UI for a supplier of its own
(``enrolled_supplier``): none depends on what another test left behind."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from segur_app import routes
from tests.document_samples import valid_jpeg, valid_pdf, valid_png
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    enrolled_supplier,
    h1,
    log_in,
    reset_account,
    wait_for_email,
)
from tests.e2e.test_access import try_new_password
from tests.e2e.test_advance_request import ATTESTATION, JUSTIFICATIF, PV


def deposit(page: Page, portal, tmp_path) -> str:
    """Deposit an advance request through the UI (logged in); returns the number."""
    paths = {}
    for name, data in (("pv.pdf", valid_pdf()), ("att.png", valid_png()), ("just.jpg", valid_jpeg())):
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    page.goto(portal.url(routes.FUNDING_ADVANCE))
    expect(h1(page)).to_have_text("Ma demande de financement")
    page.get_by_label(PV).set_input_files(paths["pv.pdf"])
    page.get_by_label(ATTESTATION).set_input_files(paths["att.png"])
    page.get_by_label(JUSTIFICATIF).set_input_files(paths["just.jpg"])
    expect(page.get_by_text("just.jpg")).to_be_visible()
    page.get_by_role("button", name="Valider").click()
    confirmation = page.get_by_role("status").filter(has_text="bien été déposée")
    expect(confirmation).to_be_visible()
    return re.search(r"FINSAS\d{6}", confirmation.inner_text()).group(0)


def open_dossier(page: Page, number: str) -> None:
    page.get_by_label("Ouvrir le dossier n°").fill(number)
    page.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(page.get_by_text(number).first).to_be_visible()
    expect(h1(page)).to_have_text("Instruction d'une demande de financement")


def open_all_blocks(page: Page) -> None:
    blocks = page.locator("details.segur-block")
    expect(blocks).to_have_count(4)
    for block in blocks.all():
        block.locator(":scope > summary").click()
        expect(block).to_have_attribute("open", "")


def mark_pieces_compliant(page: Page, count: int) -> None:
    """« Conforme » on each piece (one click: the radio saves at once), waiting for
    each decision to be shown."""
    decided = page.locator(".segur-staff-tool h4 .fr-badge").filter(
        has_text=re.compile(r"^Conforme$"))
    for index in range(count):
        group = page.get_by_role("group", name="Décision sur la pièce").nth(index)
        group.get_by_text("Conforme", exact=True).click()
        expect(decided).to_have_count(index + 1)


def decide_control(page: Page, title: str, decision: str) -> None:
    """One click on the block's radio button records the control."""
    group = page.get_by_role("group", name=f"Contrôle {title}")
    group.get_by_text(decision, exact=True).click()
    expect(page.get_by_role("status").get_by_text(
        f"Contrôle « {title} » enregistré : {decision}.")).to_be_visible()


def new_page(browser):
    page = browser.new_context(locale="fr-FR").new_page()
    page.set_default_timeout(15_000)
    return page


def supplier_with_advance(portal, page: Page, tmp_path, *, identifiant: str,
                          company_name: str):
    """A supplier of the test, logged in on ``page``, with an advance just deposited."""
    supplier = enrolled_supplier(portal, identifiant=identifiant, password="Depot-Avance-21",
                                 company_name=company_name)
    log_in(page, portal, supplier.identifiant, supplier.password)
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    return supplier, deposit(page, portal, tmp_path)


def test_agent_instructs_and_validates_an_advance(portal, page: Page, browser, tmp_path):
    supplier_page = new_page(browser)
    supplier, number = supplier_with_advance(portal, supplier_page, tmp_path,
                                             identifiant="instruit.fournisseur",
                                             company_name="EDITEUR INSTRUIT")

    # The agent's first login goes through the password change and secret question.
    reset_account(portal, "agent.asp", password="Instruct2023!", must_change_password=True)
    log_in(page, portal, "agent.asp", "Instruct2023!")
    expect(h1(page)).to_have_text("Changement du mot de passe pour agent.asp")
    try_new_password(page, "Instruct2023!", "Agent-Instruit-64")
    expect(h1(page)).to_contain_text("Positionnement de la question secrète")
    page.get_by_label("Entrez la question secrète").fill("Service ?")
    page.get_by_label("Entrez la réponse").fill("Instruction")
    page.get_by_role("button", name="Envoyer").click()
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    expect(page.get_by_role("table", name="Demandes de financement par statut")).to_contain_text("Demande d'avance")
    expect(page.get_by_role("table", name="Demandes d'enrôlement par statut")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("main").get_by_role("link", name="Demandes de financement").click()
    expect(h1(page)).to_have_text("Demandes de financement")
    assert_accessible(page)
    open_dossier(page, number)
    expect(page.get_by_text(supplier.company_name).first).to_be_visible()
    assert_accessible(page)

    # Validation is impossible until every control is OK.
    expect(page.get_by_role("button", name="Valider", exact=True)).to_be_disabled()
    open_all_blocks(page)
    decide_control(page, "Informations de la demande", "Contrôle OK")
    decide_control(page, "Coordonnées bancaires", "Contrôle OK")

    pieces = page.get_by_role("group", name="Décision sur la pièce")
    expect(pieces).to_have_count(3)
    # Preview of the PDF and of the image, in the page.
    for summary in page.locator("summary", has_text="Aperçu de").all():
        summary.click()
    expect(page.locator("iframe.segur-preview")).to_be_visible()
    image = page.locator("img.segur-preview").first
    expect(image).to_be_visible()
    assert image.get_attribute("alt").startswith("Aperçu de « ")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    mark_pieces_compliant(page, 3)
    expect(page.locator("#bloc-pieces-justificatives > summary")).to_contain_text("Contrôle OK")
    assert_accessible(page)

    page.get_by_role("textbox", name="Nouvelle note").fill("Dossier complet, RAS.")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.get_by_text("Dossier complet, RAS.")).to_be_visible()

    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_text("La demande a été validée.")).to_be_visible()
    expect(page.get_by_role("region", name="Historique").or_(page.locator("section").filter(
        has_text="Historique")).first).to_contain_text("Demande validée")

    # The supplier sees « Validée » and the validation email.
    wait_for_email(portal, to=supplier.email, subject="validée")
    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    main = supplier_page.get_by_role("main")
    expect(main.get_by_text("Validée").first).to_be_visible()
    emails = main.locator("details.segur-block").filter(has_text="Courriels automatiques envoyés")
    emails.locator(":scope > summary").click()
    expect(emails).to_contain_text("validée")
    supplier_page.context.close()


def test_rejection_with_reason_and_supplier_kept_out(portal, page: Page, browser, tmp_path):
    supplier_page = new_page(browser)
    rejected, number = supplier_with_advance(portal, supplier_page, tmp_path,
                                             identifiant="rejet.fournisseur",
                                             company_name="EDITEUR REJETE")
    search = f"?{routes.PARAM_SEARCH}=EDITEUR+REJETE"

    # A supplier on a staff URL is sent back to their own home.
    supplier_page.goto(portal.url(routes.STAFF_FUNDING_REQUESTS))
    expect(supplier_page.get_by_role("heading", level=1)).to_have_text("Accueil fournisseur SAS")
    assert supplier_page.context.request.get(portal.url(routes.STAFF_FUNDING_EXPORT)).status == 403

    create_account(portal, identifiant="agent.rejet.financement", password="Agent-Rejet-52",
                   email="agent.rejet@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.rejet.financement", "Agent-Rejet-52")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_FUNDING_REQUESTS) + search)
    expect(page.get_by_role("table").filter(has_text=number)).to_be_visible()
    csv = page.context.request.get(portal.url(routes.STAFF_FUNDING_EXPORT) + search)
    assert csv.status == 200 and csv.body().startswith("\ufeff".encode())
    assert number in csv.body().decode("utf-8-sig") and ";" in csv.body().decode("utf-8-sig")
    page.get_by_role("link", name=number).click()
    expect(h1(page)).to_have_text("Instruction d'une demande de financement")

    # An empty reason: the browser refuses to send the form (required field).
    reason = page.get_by_label("Motif du rejet")
    expect(reason).to_have_attribute("required", "")
    page.get_by_role("button", name="Rejeter").click()
    assert reason.evaluate("field => field.validity.valueMissing")
    page.get_by_label("Motif du rejet").fill("Attestation non signée par le représentant légal.")
    page.get_by_role("button", name="Rejeter").click()
    expect(page.get_by_text("La demande a été rejetée.")).to_be_visible()

    message = wait_for_email(portal, to=rejected.email, subject="rejet")
    assert "Attestation non signée" in message.get_body(preferencelist=("plain",)).get_content()
    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    expect(supplier_page.get_by_role("main").get_by_text("Rejetée").first).to_be_visible()
    supplier_page.context.close()


def test_staff_publish_a_news_item_that_suppliers_read(portal, page: Page, browser, tmp_path):
    create_account(portal, identifiant="agent.news", password="Agent-News-73",
                   email="agent.news@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.news", "Agent-News-73")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Actualités").click()
    expect(h1(page)).to_have_text("Actualités")
    expect(page.get_by_role("table").filter(has_text="TEST SAS")).to_be_visible()
    assert_accessible(page)

    note = tmp_path / "calendrier.pdf"
    note.write_bytes(valid_pdf())
    page.get_by_label("Titre").fill("Calendrier des soldes")
    page.get_by_label("Texte").fill("Les demandes de solde ouvrent le 1er mars.")
    page.get_by_label("Pièce jointe (facultative)").set_input_files(note)
    expect(page.get_by_text("calendrier.pdf")).to_be_visible()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Actualité enregistrée.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Calendrier des soldes")
    expect(row).to_contain_text("Brouillon")
    row.get_by_role("button", name=re.compile("^Publier")).click()
    expect(row).to_contain_text("Publiée")

    reader = browser.new_context(locale="fr-FR").new_page()
    reader.set_default_timeout(15_000)
    create_account(portal, identifiant="lecteur.news", password="Lecteur-News-84",
                   email="lecteur@le-select.example", secret_question="Q ?", secret_answer="reponse")
    log_in(reader, portal, "lecteur.news", "Lecteur-News-84")
    article = reader.get_by_role("article").filter(has_text="Calendrier des soldes")
    expect(article).to_contain_text("Les demandes de solde ouvrent le 1er mars.")
    href = article.get_by_role("link", name="Pièce jointe").get_attribute("href")
    assert reader.context.request.get(portal.url(href)).body() == valid_pdf()
    reader.context.close()


def _validate_directly(portal, number: str) -> None:
    """Mark the request ``number`` « Validée » (its instruction is tested above)."""
    from sqlmodel import Session, select

    from segur_app.core.db import make_engine
    from segur_app.domain.models import FundingRequest, FundingStatus

    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            request = session.exec(
                select(FundingRequest).where(FundingRequest.dossier_number == number)).one()
            request.status = FundingStatus.VALIDATED.value
            session.add(request)
            session.commit()
    finally:
        engine.dispose()


def test_balance_request_after_the_validated_advance(portal, page: Page, browser, tmp_path):
    supplier, advance = supplier_with_advance(portal, page, tmp_path,
                                              identifiant="solde.fournisseur",
                                              company_name="EDITEUR SOLDE")
    _validate_directly(portal, advance)

    facture, pv = tmp_path / "facture.pdf", tmp_path / "pv-verification.png"
    facture.write_bytes(valid_pdf())
    pv.write_bytes(valid_png(20, 20))
    nav = page.get_by_role("navigation", name="Menu principal")
    nav.get_by_text("Demande de financement", exact=True).click()
    nav.get_by_role("link", name="Ma demande de solde").click()
    expect(h1(page)).to_have_text("Ma demande de financement")
    expect(page.get_by_role("heading", name="Ma demande de solde")).to_be_visible()
    expect(page.get_by_label("3 - Montant du solde")).to_have_value("70\u202f000\u00a0€")
    assert_accessible(page)
    page.get_by_label("Copie de la facture émise au client final").set_input_files(facture)
    page.get_by_label("Procès-verbal de vérification d'aptitude").set_input_files(pv)
    expect(page.get_by_text("pv-verification.png")).to_be_visible()
    page.get_by_role("button", name="Valider").click()
    confirmation = page.get_by_role("status").filter(has_text="Votre demande de solde a bien été déposée")
    expect(confirmation).to_be_visible()
    number = re.search(r"FINSAS\d{6}", confirmation.inner_text()).group(0)
    wait_for_email(portal, to=supplier.email, subject=number)

    # Staff validate the balance like the advance.
    staff = new_page(browser)
    create_account(portal, identifiant="agent.solde", password="Agent-Solde-95",
                   email="agent.solde@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(staff, portal, "agent.solde", "Agent-Solde-95")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Tableau de bord de l'instruction")
    staff.goto(portal.url(routes.STAFF_FUNDING_REQUESTS) + "?type=solde")
    open_dossier(staff, number)
    open_all_blocks(staff)
    decide_control(staff, "Informations de la demande", "Contrôle OK")
    decide_control(staff, "Coordonnées bancaires", "Contrôle OK")
    mark_pieces_compliant(staff, 2)
    staff.get_by_role("button", name="Valider", exact=True).click()
    expect(staff.get_by_text("La demande a été validée.")).to_be_visible()
    staff.context.close()

    page.goto(portal.url(routes.FUNDING_TRACKING))
    steps = page.get_by_role("list", name="Étapes de la demande de financement")
    expect(steps).to_contain_text("1 - Ma demande d'avance : Validée")
    expect(steps).to_contain_text("2 - Ma demande de solde : Validée")
    expect(page.get_by_role("heading", name="Ma demande de solde")).to_be_visible()
    assert_accessible(page)


def test_staff_filter_and_export_enrolments(portal, page: Page):
    listed = enrolled_supplier(portal, identifiant="liste.fournisseur",
                               password="Liste-Fourn-17", company_name="EDITEUR LISTE")
    create_account(portal, identifiant="agent.liste.enrolements", password="Agent-Liste-17",
                   email="agent.liste@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.liste.enrolements", "Agent-Liste-17")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_ENROLMENTS))
    expect(h1(page)).to_have_text("Demandes d'enrôlement à instruire")
    form = page.get_by_role("form", name="Filtres des demandes d'enrôlement")
    form.get_by_label("Statut").select_option(label="Validée")
    form.get_by_label("Rechercher").fill(listed.company_name)
    form.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"statut=validee"))
    card = page.get_by_role("article").filter(has_text=listed.company_name)
    expect(card).to_contain_text("Validée")
    expect(card.get_by_role("button", name=re.compile("^Valider"))).to_have_count(0)
    assert_accessible(page)
    export = page.get_by_role("link", name="Exporter la liste (CSV)").get_attribute("href")
    response = page.context.request.get(portal.url(export))
    text = response.body().decode("utf-8-sig")
    assert response.status == 200 and listed.company_name in text and "Validée" in text


def _add_listed_dossiers(portal, count: int) -> None:
    """``count`` dossiers of companies « PAGINATION nn » straight into the portal's database."""
    from datetime import datetime, timedelta, timezone

    from sqlmodel import Session

    from segur_app.core.db import make_engine
    from segur_app.domain.models import FundingRequest, Supplier

    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            for n in range(count):
                supplier = Supplier(ans_number=f"tndSAS9{n:03d}", siret=f"9{n:013d}",
                                    company_name=f"PAGINATION {n:02d}", street="1 rue de la Paix",
                                    postal_code="75002", city="PARIS")
                session.add(supplier)
                session.flush()
                session.add(FundingRequest(
                    dossier_number=f"FINSAS9{n:05d}", supplier_id=supplier.id, kind="avance",
                    amount=30000, deposited_at=datetime(2024, 1, 1, tzinfo=timezone.utc)
                    + timedelta(hours=n)))
            session.commit()
    finally:
        engine.dispose()


def test_staff_page_through_the_funding_requests(portal, page: Page):
    _add_listed_dossiers(portal, 45)
    create_account(portal, identifiant="agent.pages", password="Agent-Pages-31",
                   email="agent.pages@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.pages", "Agent-Pages-31")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_FUNDING_REQUESTS))
    form = page.get_by_role("form", name="Filtres")
    form.get_by_label("Rechercher").fill("Pagination")
    form.get_by_label("Trier par").select_option(label="Dénomination sociale")
    form.get_by_role("button", name="Filtrer").click()
    pagination = page.get_by_role("navigation", name="Pagination des demandes")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(page.get_by_role("status").filter(has_text="demande(s)")).to_have_text("45 demande(s)")
    expect(pagination).to_contain_text("Page 1 sur 3")
    expect(rows.first).to_contain_text("PAGINATION 00")
    assert_accessible(page)

    pagination.get_by_role("link", name="Page suivante").click()
    expect(pagination).to_contain_text("Page 2 sur 3")
    expect(page).to_have_url(re.compile(r"apres=\d+"))
    expect(rows.first).to_contain_text("PAGINATION 20")
    pagination.get_by_role("link", name="Dernière page").click()
    expect(pagination).to_contain_text("Page 3 sur 3")
    expect(rows).to_have_count(5)
    expect(rows.last).to_contain_text("PAGINATION 44")
    pagination.get_by_role("link", name="Page précédente").click()
    expect(pagination).to_contain_text("Page 2 sur 3")
    expect(page).to_have_url(re.compile(r"avant=\d+"))
    expect(rows.last).to_contain_text("PAGINATION 39")
    pagination.get_by_role("link", name="Première page").click()
    expect(pagination).to_contain_text("Page 1 sur 3")
    expect(rows.first).to_contain_text("PAGINATION 00")
