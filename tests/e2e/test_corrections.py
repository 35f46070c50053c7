"""« Demande de compléments » in Chromium: the agent asks for a piece again, the
supplier sees why and replaces it, the agent sees both versions and validates.

Works on a supplier of its own (``enrolled_supplier``) and an agent of its own."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from segur_app import routes
from segur_app.state.corrections import MSG_SENT
from tests.document_samples import valid_pdf
from tests.e2e.conftest import (
    assert_accessible,
    create_account,
    email_text,
    h1,
    log_in,
    wait_for_email,
)
from tests.e2e.test_advance_request import PV
from tests.e2e.test_staff_instruction import (
    decide_control,
    mark_pieces_compliant,
    new_page,
    open_all_blocks,
    supplier_with_advance,
)


def test_correction_round_trip(portal, page: Page, browser, tmp_path):
    log = portal.data_dir / "reflex.log"
    log_start = log.stat().st_size
    supplier_page = new_page(browser)
    supplier, number = supplier_with_advance(portal, supplier_page, tmp_path,
                                             identifiant="complements.fournisseur",
                                             company_name="EDITEUR A COMPLETER")
    create_account(portal, identifiant="agent.complements", password="Agent-Complements-48",
                   email="agent.complements@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(page, portal, "agent.complements", "Agent-Complements-48")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_FUNDING_REQUEST) + f"?{routes.PARAM_NUMBER}={number}")
    expect(h1(page)).to_have_text("Instruction d'une demande de financement")
    open_all_blocks(page)

    # The agent marks the PV « Non conforme » with a reason, then asks for it again.
    expect(page.get_by_role("button", name="Demander des compléments")).to_have_count(0)
    piece = page.get_by_role("group", name=f"Instruction de la pièce « {PV} »")
    piece.get_by_label("Motif de non-conformité").select_option(label="Document illisible")
    piece.get_by_label("Commentaire").fill("Le scan est flou")
    piece.get_by_text("Non conforme", exact=True).click()  # one click records it
    expect(page.get_by_text("Motif actuel : Document illisible")).to_be_visible()
    expect(page.get_by_text("Commentaire actuel : Le scan est flou")).to_be_visible()
    # What the supplier will receive, before sending anything.
    page.get_by_role("button", name="Prévisualiser le courriel").first.click()
    preview = page.get_by_role("region", name="Aperçu du courriel de demande de compléments")
    expect(preview).to_contain_text(f"{PV} : Document illisible (Le scan est flou)")
    assert_accessible(page)
    preview.get_by_role("button", name="Fermer l'aperçu").click()
    expect(preview).to_have_count(0)
    ask = page.get_by_role("form", name="Demande de compléments")
    ask.get_by_label("Message au fournisseur (facultatif)").fill("Merci de rescanner le PV.")
    ask.get_by_role("button", name="Demander des compléments").click()
    expect(page.get_by_text("La demande de compléments a été envoyée.")).to_be_visible()
    expect(page.get_by_text("En attente de compléments du fournisseur")).to_be_visible()
    assert_accessible(page)

    request = wait_for_email(portal, to=supplier.email, subject="Demande de compléments")
    body = email_text(request)
    assert f"{PV} : Document illisible (Le scan est flou)" in body
    assert "Merci de rescanner le PV." in body

    # The supplier sees the request and replaces only that piece.
    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    panel = supplier_page.get_by_role("region", name="Demande de compléments")
    expect(panel).to_contain_text("Document illisible")
    expect(panel).to_contain_text("Le scan est flou")
    expect(panel).to_contain_text("Merci de rescanner le PV.")
    expect(supplier_page.get_by_label("Nouvelle version :")).to_have_count(1)
    assert_accessible(supplier_page)
    second = tmp_path / "pv-rescanne.pdf"
    second.write_bytes(valid_pdf())
    supplier_page.get_by_label(f"Nouvelle version : {PV}").set_input_files(second)
    expect(panel.get_by_text("pv-rescanne.pdf")).to_be_visible()
    supplier_page.get_by_label("Commentaire pour l'instructeur (facultatif)").fill(
        "Voici un scan lisible.")
    supplier_page.get_by_role("button", name="Envoyer les compléments").click()
    expect(supplier_page.get_by_text(MSG_SENT)).to_be_visible()
    expect(panel).to_have_count(0)
    expect(supplier_page.get_by_role("main").get_by_text("En cours").first).to_be_visible()
    assert_accessible(supplier_page)

    # The agent is told, sees both versions (the old one still opens) and validates.
    notice = wait_for_email(portal, to="agent.complements@asp.example",
                            subject="Compléments reçus")
    assert "Voici un scan lisible." in email_text(notice)
    page.reload()
    expect(h1(page)).to_have_text("Instruction d'une demande de financement")
    open_all_blocks(page)
    rounds = page.get_by_role("table", name="Pièces demandées")
    expect(rounds).to_contain_text("pv.pdf")
    expect(rounds).to_contain_text("pv-rescanne.pdf")
    expect(page.locator("p", has_text="Commentaire du fournisseur : Voici un scan lisible.")
           ).to_be_visible()
    old = rounds.get_by_role("link", name="pv.pdf")
    response = page.context.request.get(portal.url(old.get_attribute("href")))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert_accessible(page)

    decide_control(page, "Informations de la demande", "Contrôle OK")
    decide_control(page, "Coordonnées bancaires", "Contrôle OK")
    expect(page.get_by_role("group", name="Décision sur la pièce")).to_have_count(3)
    # « Tout est conforme » on the pieces, with a confirmation; « Annuler » puts them back.
    page.get_by_role("button", name="Tout est conforme : bloc « Pièces justificatives »").click()
    dialog = page.get_by_role("alertdialog", name="Tout est conforme ?")
    expect(dialog.get_by_role("button", name="Confirmer")).to_be_focused()
    dialog.get_by_role("button", name="Ne rien changer").click()
    expect(dialog).to_have_count(0)
    badges = page.locator(".segur-staff-tool h4 .fr-badge").filter(
        has_text=re.compile(r"^Conforme$"))
    expect(badges).to_have_count(0)
    page.get_by_role("button", name="Tout est conforme : bloc « Pièces justificatives »").click()
    # The dialog comes with the server's answer: Enter once « Confirmer » has the focus.
    expect(dialog.get_by_role("button", name="Confirmer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(badges).to_have_count(3)
    assert_accessible(page)
    page.get_by_role("status").get_by_role("button", name="Annuler").click()
    expect(page.get_by_role("status")).to_contain_text("La dernière modification a été annulée.")
    expect(badges).to_have_count(0)
    mark_pieces_compliant(page, 3)
    page.get_by_role("button", name="Prévisualiser le courriel de validation").click()
    expect(page.get_by_role("region", name="Aperçu du courriel de validation")).to_contain_text(
        f"Votre demande de financement {number} a été validée")
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_text("La demande a été validée.")).to_be_visible()

    supplier_page.goto(portal.url(routes.FUNDING_TRACKING))
    expect(supplier_page.get_by_role("main").get_by_text("Validée").first).to_be_visible()
    supplier_page.context.close()
    # No handler failed on the way (Reflex logs it and shows « Une erreur est survenue »).
    with open(log, "rb") as handle:
        handle.seek(log_start)
        assert b"event handler failed" not in handle.read()
