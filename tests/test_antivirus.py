"""The antivirus scan at staging, against a real clamd (tests/clamd_helpers.py).

Every upload use (funding pieces, enrolment RIB, assistance and news
attachments) goes through ``uploads.stage``: the EICAR test file is refused
there with a French message and nothing is left in staging; a clean file is
staged « sain » and the verdict reaches its attachment row; a stopped clamd
refuses uploads when the scan is required and gives « erreur » when optional.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from segur_app.core.config import Settings
from segur_app.domain import demo, news, uploads
from segur_app.domain.funding import deposit, views
from segur_app.domain.enrolment import staff_list, submission
from segur_app.domain.funding.deposit import ADVANCE_DOCUMENTS
from segur_app.domain.models import Attachment, AttachmentKind, FundingKind, ScanResult, UserAccount
from segur_app.domain.pdf import simple_pdf
from segur_app.domain.uploads import Scanner, antivirus
from segur_app.domain.uploads.antivirus import ClamdNetworkSocket, ClamdUnixSocket
from segur_app.domain.assistance import tickets
from tests.clamd_helpers import EICAR, SIGNATURE_NAME, ClamdServer, eicar_pdf
from tests.document_samples import valid_png

NOW = datetime(2024, 3, 4, 9, 30, tzinfo=timezone.utc)
ASSISTANCE_URL = "http://localhost:3000/contacter-assistance"

POLICIES = {
    "piece": deposit.piece_upload(AttachmentKind.PV_MISE_EN_SERVICE),
    "rib": submission.RIB_UPLOAD,
    "assistance": tickets.ATTACHMENT_UPLOAD,
    "news": news.ATTACHMENT_UPLOAD,
}


@pytest.fixture
def storage_dir(tmp_path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def stopped_clamd(tmp_path):
    """The address of a clamd that ran and has been stopped."""
    server = ClamdServer(tmp_path / "clamd").start()
    server.stop()
    return server.address


def leftovers(storage_dir: Path) -> list[Path]:
    return [p for p in storage_dir.rglob("*") if p.is_file()] if storage_dir.exists() else []


@pytest.mark.parametrize("use", list(POLICIES))
@pytest.mark.parametrize("content", ["eicar_file", "eicar_in_pdf"])
def test_eicar_is_refused_at_staging_for_every_upload_use(clamd, storage_dir, use, content):
    policy = POLICIES[use]
    data = EICAR if content == "eicar_file" else eicar_pdf()
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.stage(io.BytesIO(data), "document.pdf", policy=policy, store=storage_dir,
                      scanner=clamd.scanner("required"))
    assert refused.value.reason == "infected"
    assert refused.value.message == f"{policy.label} : {antivirus.MSG_INFECTED}"
    assert "virus" in refused.value.message
    assert refused.value.detail.startswith(SIGNATURE_NAME)
    assert leftovers(storage_dir) == []  # never stored, not even in staging


@pytest.mark.parametrize("mode", ["required", "optional"])
def test_eicar_is_refused_whether_the_scan_is_required_or_optional(clamd, storage_dir, mode):
    with pytest.raises(uploads.DocumentRejected, match="virus"):
        uploads.stage(eicar_pdf(), "facture.pdf", policy=POLICIES["piece"],
                      store=storage_dir, scanner=clamd.scanner(mode))
    assert leftovers(storage_dir) == []


@pytest.mark.parametrize("use", list(POLICIES))
def test_a_clean_file_is_staged_sain(clamd, storage_dir, use):
    staged = uploads.stage(simple_pdf(["Document sain"]), "sain.pdf", policy=POLICIES[use],
                           store=storage_dir, scanner=clamd.scanner("required"))
    assert staged.scan_result == ScanResult.CLEAN.value == "sain"
    assert ScanResult(staged.scan_result).label == "Sain"


def test_a_multi_megabyte_image_is_streamed_and_found_clean(clamd, storage_dir):
    big = valid_png(1500, 800)  # uncompressed-ish IDAT, a few Mo
    staged = uploads.stage(io.BytesIO(big), "scan.png", policy=POLICIES["rib"],
                           store=storage_dir, scanner=clamd.scanner("required"))
    assert staged.scan_result == "sain" and staged.size_bytes == len(big)


def test_clamd_over_tcp(clamd, storage_dir):
    scanner = Scanner(mode="required", address=f"127.0.0.1:{clamd.tcp_port}", timeout=10)
    assert isinstance(antivirus.clamd_client(scanner.address, timeout=1), ClamdNetworkSocket)
    assert scanner.ping()
    assert scanner.scan(io.BytesIO(EICAR)).result is ScanResult.INFECTED
    staged = uploads.stage(simple_pdf(["ok"]), "ok.pdf", policy=POLICIES["news"],
                           store=storage_dir, scanner=scanner)
    assert staged.scan_result == "sain"


def test_socket_addresses():
    assert isinstance(antivirus.clamd_client("/run/clamav/clamd.ctl", timeout=1), ClamdUnixSocket)
    unix = antivirus.clamd_client("unix:///run/clamav/clamd.ctl", timeout=1)
    assert isinstance(unix, ClamdUnixSocket) and unix.unix_socket == "/run/clamav/clamd.ctl"
    tcp = antivirus.clamd_client("clamav.internal:3310", timeout=1)
    assert isinstance(tcp, ClamdNetworkSocket) and (tcp.host, tcp.port) == ("clamav.internal", 3310)
    v6 = antivirus.clamd_client("[::1]:3310", timeout=1)
    assert (v6.host, v6.port) == ("::1", 3310)
    with pytest.raises(ValueError):
        Scanner(mode="sometimes")


def test_stopped_clamd_required_refuses_with_a_french_message(stopped_clamd, storage_dir):
    scanner = Scanner(mode="required", address=stopped_clamd, timeout=2)
    assert not scanner.ping()
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.stage(simple_pdf(["ok"]), "ok.pdf", policy=POLICIES["rib"],
                      store=storage_dir, scanner=scanner)
    assert refused.value.reason == "antivirus_unavailable"
    assert refused.value.message.startswith("Relevé d'identité bancaire (RIB) : analyse antivirus "
                                            "indisponible")
    assert "Réessayez plus tard" in refused.value.message
    assert leftovers(storage_dir) == []


def test_stopped_clamd_optional_stages_with_erreur(stopped_clamd, storage_dir):
    staged = uploads.stage(simple_pdf(["ok"]), "ok.pdf", policy=POLICIES["rib"],
                           store=storage_dir,
                           scanner=Scanner(mode="optional", address=stopped_clamd, timeout=2))
    assert staged.scan_result == ScanResult.ERROR.value == "erreur"


def test_off_scans_nothing(stopped_clamd, storage_dir):
    staged = uploads.stage(simple_pdf(["ok"]), "ok.pdf", policy=POLICIES["rib"],
                           store=storage_dir,
                           scanner=Scanner(mode="off", address=stopped_clamd))
    assert staged.scan_result == ScanResult.NOT_SCANNED.value == "non_analyse"


def test_mode_defaults_required_in_production_off_in_the_embedded_set_up(monkeypatch):
    monkeypatch.delenv("SEGUR_ANTIVIRUS", raising=False)
    assert Settings(env="production").antivirus_mode == "required"
    assert Settings(env="development").antivirus_mode == "off"
    assert Settings(env="production", antivirus="optional").antivirus_mode == "optional"
    monkeypatch.setenv("SEGUR_ANTIVIRUS", "optional")
    monkeypatch.setenv("SEGUR_CLAMD_SOCKET", "127.0.0.1:3310")
    settings = Settings(env="production")
    scanner = Scanner.from_settings(settings)
    assert (scanner.mode, scanner.address) == ("optional", "127.0.0.1:3310")
    monkeypatch.setenv("SEGUR_ANTIVIRUS", "maybe")
    with pytest.raises(ValueError):
        Settings()


# -- the verdict reaches the attachment rows ------------------------------------------


def test_the_verdict_is_carried_to_each_attachment_row(db, clamd, stopped_clamd, storage_dir):
    summary = demo.load_demo_data(db, store=storage_dir, env="test")
    db.commit()
    clean, optional = clamd.scanner("required"), Scanner(mode="optional", address=stopped_clamd,
                                                         timeout=2)
    documents = {
        kind.value: uploads.stage(simple_pdf([kind.label]), f"{kind.value}.pdf",
                                  policy=deposit.piece_upload(kind), store=storage_dir,
                                  scanner=optional if index == 0 else clean)
        for index, kind in enumerate(ADVANCE_DOCUMENTS)
    }
    request_id = deposit.deposit_request(
        db, kind=FundingKind.ADVANCE, supplier_id=summary.supplier_id,
        user_id=summary.supplier_user_id, recipient="eishiro.oda@le-select.example",
        documents=documents, store=storage_dir, amount=30000,
        assistance_url=ASSISTANCE_URL, now=NOW,
    ).funding_request_id
    rows = db.exec(select(Attachment).where(Attachment.funding_request_id == request_id)).all()
    by_kind = {row.kind: row.scan_result for row in rows}
    assert by_kind == {kind.value: ("erreur" if index == 0 else "sain")
                       for index, kind in enumerate(ADVANCE_DOCUMENTS)}
    view = views.funding_view(db, supplier_id=summary.supplier_id,
                              kind=FundingKind.ADVANCE)
    assert sorted(d.scan_label for d in view.documents) == ["Erreur d'analyse", "Sain", "Sain"]

    staff = db.exec(select(UserAccount).where(UserAccount.role == "staff")).first()
    note = uploads.stage(simple_pdf(["note"]), "note.pdf", policy=news.ATTACHMENT_UPLOAD,
                         store=storage_dir, scanner=clean)
    news_id = news.save_news(
        db, news_id=None, staff_id=staff.id, attachment=note, store=storage_dir,
        data=news.NewsInput("Titre", "Texte", "FOURNISSEUR", NOW.date()))
    capture = uploads.stage(valid_png(), "capture.png", policy=tickets.ATTACHMENT_UPLOAD,
                            store=storage_dir, scanner=clean)
    tickets.create_ticket(
        db, data=tickets.TicketInput(category="avance", message="Question ?",
                                        contact_email="claire@exemple.fr", contact_name="Claire"),
        user_id=None, attachment=capture, store=storage_dir,
        assistance_url=ASSISTANCE_URL, now=NOW)
    news_row = db.exec(select(Attachment).where(Attachment.news_id == news_id)).one()
    ticket_row = db.exec(select(Attachment).where(Attachment.kind == "assistance")).one()
    assert (news_row.scan_result, ticket_row.scan_result) == ("sain", "sain")


def test_staff_views_carry_the_verdict(db, clamd, stopped_clamd, storage_dir):
    from tests.test_enrolment import submit

    rib = uploads.stage(simple_pdf(["RIB"]), "rib.pdf", policy=submission.RIB_UPLOAD,
                        store=storage_dir,
                        scanner=Scanner(mode="optional", address=stopped_clamd, timeout=2))
    submit(db, storage_dir, rib=rib)
    [item] = staff_list.list_enrolments(
        db, filters=staff_list.EnrolmentFilters(), page=1, page_size=10).items
    assert item.rib_scan_label == ScanResult.ERROR.label == "Erreur d'analyse"
