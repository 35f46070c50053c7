"""Staff instruction of funding requests: lists, controls, decisions, conflicts, CSV."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from segur_app.domain.enrolment import staff_list as enrolment_list
from segur_app.domain.funding import export, instruction, staff_list, views
from segur_app.domain.funding.instruction import Conflict, InstructionError
from segur_app.domain.funding.staff_list import RequestFilters
from segur_app.domain.models import (
    Attachment,
    AuditEvent,
    EmailMessage,
    FundingRequest,
    Supplier,
)
from tests.test_funding import deposit, storage_dir, supplier  # noqa: F401  (fixtures)

ASSISTANCE = "http://localhost:3000/contacter-assistance"


@pytest.fixture
def dossier(db, supplier, storage_dir):  # noqa: F811
    result = deposit(db, supplier, storage_dir)
    return db.get(FundingRequest, result.funding_request_id)


def add_dossiers(db, count: int, *, start: datetime, company: str = "EDITEUR"):
    """Bulk dossiers of distinct suppliers, one per day from ``start``."""
    rows = []
    for n in range(count):
        supplier = Supplier(ans_number=f"tndSAS{n + 100:04d}", siret=f"{n + 100:014d}",
                            company_name=f"{company} {n:02d}", street="x",
                            postal_code="75001", city="PARIS")
        db.add(supplier)
        db.flush()
        request = FundingRequest(dossier_number=f"FINSAS{n + 500:06d}", supplier_id=supplier.id,
                                 kind="avance" if n % 2 == 0 else "solde",
                                 status="en_cours" if n % 3 else "validee",
                                 amount=30000, deposited_at=start + timedelta(days=n))
        db.add(request)
        rows.append(request)
    db.commit()
    return rows


def test_list_filters_search_sort_and_paginate(db):
    add_dossiers(db, 25, start=datetime(2024, 1, 1, 10, tzinfo=timezone.utc))
    rows, total = staff_list.list_requests(db, filters=RequestFilters(), page=1, page_size=10)
    assert total == 25 and len(rows) == 10
    assert rows[0].dossier_number == "FINSAS000524"  # newest first
    page3, _ = staff_list.list_requests(db, filters=RequestFilters(), page=3, page_size=10)
    assert len(page3) == 5

    _, avances = staff_list.list_requests(db, filters=RequestFilters(kind="avance"))
    assert avances == 13
    _, validated = staff_list.list_requests(db, filters=RequestFilters(status="validee"))
    assert validated == 9
    _, january = staff_list.list_requests(
        db, filters=RequestFilters(deposited_from=date(2024, 1, 5), deposited_to=date(2024, 1, 9)))
    assert january == 5
    for term, expected in (("FINSAS000507", 1), ("finsas000507", 1), ("000507", 1),
                           ("editeur 1", 10), ("00000000000103", 1),
                           ("tndsas0104", 1), ("inconnu", 0)):
        _, found = staff_list.list_requests(db, filters=RequestFilters(search=term))
        assert found == expected, term
    by_name, _ = staff_list.list_requests(db, filters=RequestFilters(sort="denomination"),
                                          page_size=3)
    assert [r.company_name for r in by_name] == ["EDITEUR 00", "EDITEUR 01", "EDITEUR 02"]
    # Unknown filter values are ignored rather than trusted.
    _, everything = staff_list.list_requests(db, filters=RequestFilters(status="' OR 1=1 --"))
    assert everything == 25


def test_previous_and_next_follow_the_filtered_order(db):
    rows = add_dossiers(db, 6, start=datetime(2024, 1, 1, tzinfo=timezone.utc))
    filters = RequestFilters(kind="avance")  # dossiers 0, 2, 4; newest first: 4, 2, 0
    previous, following = staff_list.neighbours(db, filters=filters, request_id=rows[2].id)
    assert (previous, following) == (rows[4].id, rows[0].id)
    assert staff_list.neighbours(db, filters=filters, request_id=rows[4].id) == (None, rows[2].id)
    numbered = RequestFilters(sort="numero")
    assert staff_list.neighbours(db, filters=numbered, request_id=rows[0].id) == (None, rows[1].id)


def test_counters(db, dossier):
    add_dossiers(db, 6, start=datetime(2024, 1, 1, tzinfo=timezone.utc))
    advance, balance = staff_list.counters(db)
    # Advances: dossier 0 is validated; the demo dossier and dossiers 2, 4 are untouched.
    assert (advance.to_review, advance.in_progress, advance.validated, advance.rejected) == (3, 0, 1, 0)
    assert advance.amount_requested == 4 * 30000 and advance.amount_validated == 30000
    assert (balance.to_review, balance.validated) == (2, 1)


def approve_everything(db, dossier, staff_id) -> int:
    version = dossier.version
    for block in ("info", "bank"):
        version = instruction.set_block_control(db, request_id=dossier.id, block=block,
                                                decision="ok", staff_id=staff_id,
                                                expected_version=version)
    for attachment in db.exec(select(Attachment).where(Attachment.funding_request_id == dossier.id)):
        version = instruction.review_attachment(db, attachment_id=attachment.id,
                                                decision="conforme", staff_id=staff_id,
                                                expected_version=version)
    return version


def test_validation_requires_every_control_then_emails_the_supplier(db, dossier, supplier, storage_dir):  # noqa: F811
    staff_id = supplier.staff_id
    with pytest.raises(InstructionError, match="tous les contrôles"):
        instruction.decide(db, request_id=dossier.id, store=storage_dir,
                           validate=True, staff_id=staff_id,
                           expected_version=dossier.version, assistance_url=ASSISTANCE)
    with pytest.raises(InstructionError, match="commentaire"):
        instruction.set_block_control(db, request_id=dossier.id, block="bank", decision="ko",
                                      staff_id=staff_id, expected_version=dossier.version)
    detail = views.dossier_detail(db, request_id=dossier.id)
    assert detail.supplier_view.documents_badge == "A instruire" and not detail.can_validate

    version = approve_everything(db, dossier, staff_id)
    detail = views.dossier_detail(db, request_id=dossier.id)
    assert detail.can_validate and detail.supplier_view.documents_badge == "Contrôle OK"
    assert detail.supplier_view.info_control_label == "Contrôle OK"

    when = datetime(2023, 6, 1, 12, tzinfo=timezone.utc)
    instruction.decide(db, request_id=dossier.id, store=storage_dir,
                           validate=True, staff_id=staff_id,
                       expected_version=version, assistance_url=ASSISTANCE, now=when)
    db.refresh(dossier)
    assert dossier.status == "validee" and dossier.decided_by_id == staff_id
    view = views.dossier_detail(db, request_id=dossier.id).supplier_view
    assert (view.status_label, view.status_changed_on) == ("Validée", "01/06/2023")
    email = db.exec(select(EmailMessage).where(EmailMessage.template == "funding_decision")).one()
    assert email.funding_request_id == dossier.id and dossier.dossier_number in email.subject + email.body_text
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.funding_request_id == dossier.id))]
    assert actions.count("funding_control") == 2 and actions.count("attachment_review") == 3
    assert "funding_validated" in actions
    # A decided dossier is frozen.
    with pytest.raises(InstructionError, match="déjà fait l'objet"):
        instruction.decide(db, request_id=dossier.id, store=storage_dir,
                           validate=False, reason="x",
                           staff_id=staff_id, expected_version=dossier.version,
                           assistance_url=ASSISTANCE)


def test_rejection_needs_a_reason_which_is_emailed(db, dossier, supplier, storage_dir):  # noqa: F811
    staff_id = supplier.staff_id
    with pytest.raises(InstructionError, match="motif"):
        instruction.decide(db, request_id=dossier.id, store=storage_dir,
                           validate=False, reason="  ",
                           staff_id=staff_id, expected_version=dossier.version,
                           assistance_url=ASSISTANCE)
    instruction.decide(db, request_id=dossier.id, store=storage_dir,
                           validate=False,
                       reason="Procès-verbal non signé", staff_id=staff_id,
                       expected_version=dossier.version, assistance_url=ASSISTANCE)
    db.refresh(dossier)
    assert dossier.status == "rejetee" and dossier.decision_reason == "Procès-verbal non signé"
    email = db.exec(select(EmailMessage).where(EmailMessage.template == "funding_decision")).one()
    assert "Procès-verbal non signé" in email.body_text


def test_stale_version_is_a_conflict_not_an_overwrite(db, dossier, supplier):  # noqa: F811
    staff_id = supplier.staff_id
    shown = dossier.version
    instruction.set_block_control(db, request_id=dossier.id, block="info", decision="ok",
                                  staff_id=staff_id, expected_version=shown)
    with pytest.raises(Conflict):
        instruction.set_block_control(db, request_id=dossier.id, block="info", decision="ko",
                                      comment="x", staff_id=staff_id, expected_version=shown)
    db.refresh(dossier)
    assert dossier.info_control == "ok"


def test_two_agents_deciding_at_once_give_one_decision(engine, db, dossier, supplier, storage_dir):  # noqa: F811
    staff_id = supplier.staff_id
    version = approve_everything(db, dossier, staff_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def agent(validate: bool):
        barrier.wait()
        with Session(engine) as session:
            try:
                instruction.decide(session, request_id=dossier.id, validate=validate,
                                   store=storage_dir,
                                   reason="" if validate else "Doublon", staff_id=staff_id,
                                   expected_version=version, assistance_url=ASSISTANCE)
                outcomes.append("decided")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=agent, args=(v,)) for v in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "decided"]
    decisions = db.exec(select(AuditEvent).where(
        AuditEvent.funding_request_id == dossier.id,
        AuditEvent.action.in_(["funding_validated", "funding_rejected"]))).all()
    assert len(decisions) == 1
    assert len(db.exec(select(EmailMessage).where(EmailMessage.template == "funding_decision")).all()) == 1


def test_notes_and_history(db, dossier, supplier):  # noqa: F811
    staff_id = supplier.staff_id
    with pytest.raises(InstructionError):
        instruction.add_note(db, request_id=dossier.id, text="   ", staff_id=staff_id)
    instruction.add_note(db, request_id=dossier.id, text="Appeler le fournisseur", staff_id=staff_id)
    instruction.set_block_control(db, request_id=dossier.id, block="bank", decision="ko",
                                  comment="RIB illisible", staff_id=staff_id,
                                  expected_version=dossier.version)
    detail = views.dossier_detail(db, request_id=dossier.id)
    assert [n.text for n in detail.notes] == ["Appeler le fournisseur"]
    assert detail.notes[0].who == "Agent ASP"
    assert detail.history[0].who == "Agent ASP"
    assert "Coordonnées bancaires" in detail.history[0].what and "RIB illisible" in detail.history[0].what
    assert detail.history[-1].what.startswith("Dépôt de la demande")
    assert detail.bank_comment == "RIB illisible"


def test_csv_export_opens_in_french_spreadsheets(db):
    rows = add_dossiers(db, 3, start=datetime(2024, 2, 1, tzinfo=timezone.utc), company="=HYPERLINK")
    data = export.export_csv(db, filters=RequestFilters(kind="avance"))
    assert data.startswith("\ufeff".encode("utf-8"))
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == export.CSV_HEADER
    assert [line[0] for line in lines[1:]] == [rows[2].dossier_number, rows[0].dossier_number]
    assert lines[1][2].startswith("'=HYPERLINK")  # formula neutralised
    assert lines[1][5:8] == ["03/02/2024", "En cours", "30000"]


def test_enrolment_counters(db, supplier):  # noqa: F811
    counters = enrolment_list.enrolment_counters(db)
    assert (counters.to_review, counters.in_progress, counters.validated, counters.rejected) == (
        0, 0, 1, 0)  # the demo enrolment is approved


def recount(db) -> list[tuple[int, int]]:
    """The dashboard's « A instruire » / « En cours » per kind, by the definition
    (a control or a piece decision recorded), not by the maintained flag."""
    import sqlalchemy as sa

    touched = sa.or_(
        FundingRequest.info_control != "a_instruire", FundingRequest.bank_control != "a_instruire",
        sa.exists().where(Attachment.funding_request_id == FundingRequest.id,
                          Attachment.review_status != "a_instruire"))
    result = []
    for kind in ("avance", "solde"):
        open_ = [FundingRequest.kind == kind, FundingRequest.status.in_(["a_instruire", "en_cours"])]
        result.append((
            db.exec(select(sa.func.count()).select_from(FundingRequest).where(*open_, ~touched)).one(),
            db.exec(select(sa.func.count()).select_from(FundingRequest).where(*open_, touched)).one(),
        ))
    return result


def shown(db) -> list[tuple[int, int]]:
    return [(c.to_review, c.in_progress) for c in staff_list.counters(db)]


def test_counters_follow_controls_and_pieces_both_ways(db, dossier, supplier):  # noqa: F811
    staff_id = supplier.staff_id
    piece = db.exec(select(Attachment).where(Attachment.funding_request_id == dossier.id)).first()
    assert shown(db)[0] == (1, 0)
    steps = [
        ("control", "info", "ok", (0, 1)), ("control", "info", "a_instruire", (1, 0)),
        ("piece", piece.id, "conforme", (0, 1)), ("control", "bank", "ok", (0, 1)),
        ("piece", piece.id, "a_instruire", (0, 1)), ("control", "bank", "a_instruire", (1, 0)),
    ]
    version = dossier.version
    for what, target, decision, expected in steps:
        if what == "control":
            version = instruction.set_block_control(db, request_id=dossier.id, block=target,
                                                    decision=decision, staff_id=staff_id,
                                                    expected_version=version)
        else:
            version = instruction.review_attachment(db, attachment_id=target, decision=decision,
                                                    staff_id=staff_id, expected_version=version)
        assert shown(db)[0] == expected == recount(db)[0], (what, target, decision)


def test_counters_stay_exact_when_agents_work_at_once(engine, db, dossier, supplier):  # noqa: F811
    """Eight agents change controls and pieces of the same dossiers at once (PostgreSQL:
    real concurrency); whatever wins, the counters equal a recount."""
    import random

    staff_id = supplier.staff_id
    add_dossiers(db, 5, start=datetime(2024, 1, 1, tzinfo=timezone.utc))
    targets = [(r.id, None) for r in db.exec(select(FundingRequest))] + [
        (dossier.id, a.id)
        for a in db.exec(select(Attachment).where(Attachment.funding_request_id == dossier.id))]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def agent(seed: int):
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(12):
            request_id, piece = rng.choice(targets)
            with Session(engine) as session:
                try:
                    version = session.get(FundingRequest, request_id).version
                    if piece is None:
                        instruction.set_block_control(
                            session, request_id=request_id, block=rng.choice(["info", "bank"]),
                            decision=rng.choice(["ok", "a_instruire"]), staff_id=staff_id,
                            expected_version=version)
                    else:
                        instruction.review_attachment(
                            session, attachment_id=piece,
                            decision=rng.choice(["conforme", "a_instruire"]), staff_id=staff_id,
                            expected_version=version)
                except InstructionError:  # a conflict, or a dossier already decided
                    session.rollback()
                except BaseException as exc:  # reported below, in the test's thread
                    errors.append(exc)

    threads = [threading.Thread(target=agent, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.expire_all()
    assert shown(db) == recount(db)
