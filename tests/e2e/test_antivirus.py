"""Antivirus and upload progress in Chromium, against the portal's real clamd.

The e2e portal runs with ``SEGUR_ANTIVIRUS=required`` and the test session's
clamd (tests/e2e/conftest.py): the EICAR file is refused next to its field;
a multi-megabyte piece shows its progress bar up to 100 %; an upload whose
connection drops says so; the deposited pieces are shown « Sain » to staff.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from segur_app import routes
from segur_app.domain.uploads import antivirus
from tests.clamd_helpers import eicar_pdf
from tests.document_samples import pdf_of_size, valid_jpeg, valid_png
from tests.e2e.conftest import ARTIFACTS, assert_accessible, create_account, enrolled_supplier, h1, log_in
from tests.e2e.test_advance_request import (
    ATTESTATION,
    JUSTIFICATIF,
    PV,
    choose_file_like_a_person,
)
from tests.e2e.test_staff_instruction import new_page, open_all_blocks, open_dossier

PV_PROGRESS = "#piece-pv_mise_en_service-envoi"


def _files(folder: Path) -> dict[str, Path]:
    samples = {
        "facture-virus.pdf": eicar_pdf(),
        "pv-3mo.pdf": pdf_of_size(3_500_000),
        "attestation.png": valid_png(40, 30),
        "justificatif.jpg": valid_jpeg(16, 16),
    }
    paths = {}
    for name, data in samples.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def _progress_values_seen(page: Page, selector: str, *, until: int, timeout: float) -> list[int]:
    """The values the progress bar takes until it reaches ``until`` (polled)."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(
            "s => { const p = document.querySelector(s); return p ? p.value : null; }", selector)
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
        if seen and seen[-1] >= until:
            return seen
        page.wait_for_timeout(50)  # polling step, not a synchronisation
    raise AssertionError(f"progress never reached {until}: {seen}")


def test_eicar_refused_progress_shown_and_pieces_sain_for_staff(portal, page: Page, browser,
                                                                 tmp_path):
    files = _files(tmp_path)
    supplier = enrolled_supplier(portal, identifiant="antivirus.fournisseur",
                                 password="Depot-Antivirus-31", company_name="EDITEUR ANTIVIRUS")
    log_in(page, portal, supplier.identifiant, supplier.password)
    page.goto(portal.url(routes.FUNDING_ADVANCE))
    expect(h1(page)).to_have_text("Ma demande de financement")
    main = page.get_by_role("main")

    # The EICAR test file (inside a well-formed PDF) is refused, with the French message.
    page.get_by_label(PV).set_input_files(files["facture-virus.pdf"])
    expect(main.get_by_text(f"{PV} : {antivirus.MSG_INFECTED}")).to_be_visible()
    expect(main.get_by_text("facture-virus.pdf")).to_have_count(0)
    assert_accessible(page)

    # A 3.5 Mo piece over a slowed-down upload link: the bar moves, then reaches 100 %.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 5, "downloadThroughput": -1,
        "uploadThroughput": 1_500_000})
    page.get_by_label(PV).set_input_files(files["pv-3mo.pdf"])
    bar = page.get_by_role("progressbar", name=re.compile("Envoi du fichier"))
    seen = _progress_values_seen(page, PV_PROGRESS, until=100, timeout=60)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert any(0 < value < 100 for value in seen), seen
    bar = page.get_by_role("progressbar", name="Fichier envoyé : 100 %")
    expect(bar).to_have_attribute("value", "100")
    expect(main.get_by_text("pv-3mo.pdf")).to_be_visible()
    expect(main.get_by_text(re.compile("le fichier contient un virus"))).to_have_count(0)
    assert_accessible(page)

    page.get_by_label(ATTESTATION).set_input_files(files["attestation.png"])
    page.get_by_label(JUSTIFICATIF).set_input_files(files["justificatif.jpg"])
    expect(main.get_by_text("justificatif.jpg")).to_be_visible()
    expect(main.get_by_role("progressbar")).to_have_count(3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "antivirus-progress-form.png"), full_page=True)
    page.get_by_role("button", name="Valider").click()
    confirmation = page.get_by_role("status").filter(has_text="bien été déposée")
    expect(confirmation).to_be_visible()
    number = re.search(r"FINSAS\d{6}", confirmation.inner_text()).group(0)

    # Staff see each piece's verdict; the scan is on, so no « désactivée » notice.
    staff = new_page(browser)
    create_account(portal, identifiant="agent.antivirus", password="Agent-Antivirus-47",
                   email="agent.antivirus@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    log_in(staff, portal, "agent.antivirus", "Agent-Antivirus-47")
    expect(h1(staff)).to_have_text("Tableau de bord de l'instruction")
    expect(staff.get_by_text("Analyse antivirus désactivée")).to_have_count(0)
    staff.goto(portal.url(routes.STAFF_FUNDING_REQUESTS))
    open_dossier(staff, number)
    open_all_blocks(staff)
    table = staff.get_by_role("table", name="Pièces jointes transmises")
    expect(table.get_by_role("columnheader", name="Antivirus")).to_be_visible()
    expect(table.get_by_text("Sain", exact=True)).to_have_count(3)
    table.scroll_into_view_if_needed()
    staff.screenshot(path=str(ARTIFACTS / "antivirus-staff-pieces.png"), full_page=True)
    assert_accessible(staff)
    staff.context.close()


def test_a_dropped_upload_connection_is_told(portal, page: Page, tmp_path):
    files = _files(tmp_path)
    supplier = enrolled_supplier(portal, identifiant="coupure.fournisseur",
                                 password="Depot-Coupure-58", company_name="EDITEUR COUPURE")
    log_in(page, portal, supplier.identifiant, supplier.password)
    page.goto(portal.url(routes.FUNDING_ADVANCE))
    expect(h1(page)).to_have_text("Ma demande de financement")
    main = page.get_by_role("main")

    # The upload request is cut (the websocket stays up): the field says so.
    page.route("**/_upload", lambda route: route.abort("connectionreset"))
    page.get_by_label(ATTESTATION).set_input_files(files["attestation.png"])
    message = main.get_by_text(
        f"{ATTESTATION} : la connexion a été interrompue pendant l'envoi du fichier.",
        exact=False)
    expect(message).to_be_visible(timeout=45_000)
    expect(main.get_by_role("progressbar")).to_have_count(0)

    # The connection is back: choosing the same file again (« Parcourir... ») works.
    page.unroute("**/_upload")
    choose_file_like_a_person(page, ATTESTATION, files["attestation.png"])
    expect(main.get_by_text("attestation.png")).to_be_visible()
    expect(message).to_have_count(0)
    expect(main.get_by_role("progressbar", name="Fichier envoyé : 100 %")).to_be_visible()
