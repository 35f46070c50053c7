"""Enrolment: the form's steps, the submission, one enrolment per supplier, decisions, views."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from segur_app.domain import anti_abuse, mail, storage, uploads
from segur_app.domain.enrolment import decision, rules, staff_list, submission, views
from segur_app.domain.credentials import base_identifiant, temporary_password, unique_identifiant
from segur_app.domain.enrolment.rules import DecisionRefused, EnrolmentRefused
from segur_app.domain.enrolment.form import (
    FIELDS,
    Step,
    empty_values,
    summary,
    validate_all,
    validate_step,
)
from segur_app.domain.models import (
    Attachment,
    AuditEvent,
    BankDetails,
    EmailMessage,
    Enrolment,
    Role,
    Supplier,
    UserAccount,
)
from segur_app.domain.passwords import password_problems
from segur_app.domain.pdf import simple_pdf
from segur_app.domain.accounts import first_login, login as account_login
from tests.mail_helpers import mail_settings, running_smtp_server

ASSISTANCE = "http://localhost:3000/contacter-assistance"
LOGIN = "http://localhost:3000/connexion"
SUBMITTED_AT = datetime(2024, 3, 4, 10, 0, tzinfo=timezone.utc)
SIRET = "81234567600017"
ANS = "abcSAS0101"


def form_values(**overrides: str) -> dict[str, str]:
    values = {
        "ans_number": ANS, "siret": SIRET, "company_name": "ÉDITEUR EXEMPLE",
        "street": "12 rue de la Santé", "postal_code": "75013", "city": "PARIS",
        "legal_rep_civility": "Mme", "legal_rep_last_name": "Durand",
        "legal_rep_first_name": "Claire", "legal_rep_role": "Présidente",
        "contact_last_name": "Le Gall", "contact_first_name": "Jean-Éric",
        "contact_email": "je.legall@editeur.example",
        "contact_email_confirmation": "JE.LEGALL@editeur.example",
        "contact_phone": "+33 6 12 34 56 78",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
        "holder": "ÉDITEUR EXEMPLE", "domiciliation": "CRÉDIT AGRICOLE PARIS",
    }
    values.update(overrides)
    return values


def data(**overrides: str):
    result = validate_all(form_values(**overrides))
    assert result.errors == {}
    return result.data


@pytest.fixture
def storage_dir(tmp_path) -> Path:
    return tmp_path / "storage"


def stage_rib(storage_dir: Path) -> uploads.StagedDocument:
    return uploads.stage(simple_pdf(["RIB"]), "rib.pdf", policy=submission.RIB_UPLOAD,
                         store=storage_dir)


def submit(session, storage_dir, *, rib=None, **overrides):
    return submission.submit(
        session, data=data(**overrides), rib=rib or stage_rib(storage_dir), cgu_accepted=True,
        store=storage_dir, assistance_url=ASSISTANCE, client_address="203.0.113.7",
        now=SUBMITTED_AT,
    )


def staff(db) -> UserAccount:
    account = UserAccount(identifiant="agent.test", email="agent@asp.example", first_name="Agent",
                          last_name="TEST", role=Role.STAFF.value, password_hash="x",
                          must_change_password=False)
    db.add(account)
    db.commit()
    return account


def approve(db, agent, enrolment_id, *, version=1):
    result = decision.decide(
        db, enrolment_id=enrolment_id, validate=True, expected_version=version,
        staff_id=agent.id, login_url=LOGIN, assistance_url=ASSISTANCE, now=SUBMITTED_AT + timedelta(days=1),
    )
    db.commit()
    return result


def reject(db, agent, enrolment_id, *, version=1, reason="RIB illisible"):
    result = decision.decide(
        db, enrolment_id=enrolment_id, validate=False, expected_version=version,
        staff_id=agent.id, reason=reason, login_url=LOGIN, assistance_url=ASSISTANCE,
        now=SUBMITTED_AT + timedelta(days=1),
    )
    db.commit()
    return result.number


FILES_PER_ENROLMENT = 2  # the RIB and the deposit receipt (PDF)


def final_files(storage_dir: Path) -> list[Path]:
    return [p for p in storage_dir.glob("*/*") if p.is_file() and storage.STAGING not in p.parts]


def staged_files(storage_dir: Path) -> list[Path]:
    return [p for p in (storage_dir / storage.STAGING).glob("*/*") if p.is_file()]


# --------------------------------------------------------------------------
# The form's steps
# --------------------------------------------------------------------------


def test_each_step_checks_its_own_fields():
    values = empty_values()
    assert set(values) == {f.name for f in FIELDS}
    result = validate_step(Step.COMPANY, values)
    assert set(result.errors) == {"ans_number", "siret", "company_name", "street",
                                  "postal_code", "city"}
    result = validate_step(Step.COMPANY, form_values(siret="39431067600018"))
    assert list(result.errors) == ["siret"] and "clé de contrôle" in result.errors["siret"]
    result = validate_step(Step.CONTACT, form_values(contact_email_confirmation="autre@x.fr"))
    assert result.errors == {"contact_email_confirmation":
                             "Les deux adresses électroniques saisies ne sont pas identiques."}
    result = validate_step(Step.BANK, form_values(bic="DEUTDEFF"))
    assert "ne correspond pas au pays de l'IBAN" in result.errors["bic"]
    # An invalid IBAN does not add a confusing BIC error.
    result = validate_step(Step.BANK, form_values(iban="FR7630006000011234567890188"))
    assert list(result.errors) == ["iban"]


def test_validate_all_normalises_and_points_at_the_first_invalid_step():
    result = validate_all(form_values(legal_rep_civility="", contact_phone="12"))
    assert result.data is None and result.first_invalid_step == Step.LEGAL_REP
    assert set(result.errors) == {"legal_rep_civility", "contact_phone"}
    ok = data(ans_number="ABCsas0101")
    assert (ok.ans_number, ok.iban, ok.contact_phone, ok.contact_email) == (
        ANS, "FR7630006000011234567890189", "06 12 34 56 78", "je.legall@editeur.example",
    )
    sections = summary(ok)
    assert [s.title for s in sections] == ["Entreprise", "Représentant légal", "Contact",
                                           "Coordonnées bancaires"]
    lines = {line.label: line.value for s in sections for line in s.lines}
    assert lines["Civilité"] == "Madame"
    assert lines["IBAN"] == "FR76 3000 6000 0112 3456 7890 189"


# --------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------


def test_submission_stores_everything_together(db, storage_dir):
    result = submit(db, storage_dir)
    assert result.number == "ENRSAS000001" and result.contact_email == "je.legall@editeur.example"

    row = db.exec(select(Enrolment)).one()
    assert (row.status, row.legal_rep_first_name, row.contact_phone) == (
        "a_instruire", "Claire", "06 12 34 56 78",
    )
    supplier = db.get(Supplier, row.supplier_id)
    assert (supplier.siret, supplier.ans_number, supplier.postal_code) == (SIRET, ANS, "75013")
    bank = db.exec(select(BankDetails).where(BankDetails.supplier_id == supplier.id)).one()
    assert (bank.iban, bank.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")
    rib = db.exec(select(Attachment).where(Attachment.enrolment_id == row.id)).one()
    assert rib.kind == "rib" and rib.funding_request_id is None
    assert storage.read_bytes(rib.storage_key, store=storage_dir).startswith(b"%PDF-")
    assert staged_files(storage_dir) == []
    event = db.exec(select(AuditEvent).where(AuditEvent.enrolment_id == row.id)).one()
    assert (event.action, event.new_status, event.client_address) == (
        "enrolment_submitted", "a_instruire", "203.0.113.7",
    )
    assert '"cgu_accepted": true' in event.details and "je.legall@editeur.example" in event.details
    email = db.exec(select(EmailMessage).where(EmailMessage.enrolment_id == row.id)).one()
    assert email.template == "enrolment_acknowledgement"
    assert email.to_address == "je.legall@editeur.example"
    assert "ENRSAS000001" in email.body_text and ASSISTANCE in email.body_text
    # No account before approval.
    assert db.exec(select(UserAccount)).all() == []


def test_rib_and_cgu_are_required(db, storage_dir):
    with pytest.raises(EnrolmentRefused) as refused:
        submission.submit(
            db, data=data(), rib=stage_rib(storage_dir), cgu_accepted=False,
            store=storage_dir, assistance_url=ASSISTANCE,
        )
    assert set(refused.value.field_errors) == {"cgu"}
    with pytest.raises(EnrolmentRefused) as refused:
        submission.submit(
            db, data=data(), rib=None, cgu_accepted=True, store=storage_dir,
            assistance_url=ASSISTANCE,
        )
    assert refused.value.field_errors == {"rib": "Le relevé d'identité bancaire (RIB) est obligatoire."}
    assert db.exec(select(Enrolment)).all() == []


def test_a_tampered_staged_rib_is_refused(db, storage_dir):
    rib = stage_rib(storage_dir)
    (storage_dir / storage.STAGING / rib.key[:2] / rib.key).write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(EnrolmentRefused) as refused:
        submit(db, storage_dir, rib=rib)
    assert "Relevé d'identité bancaire (RIB) : " in refused.value.field_errors["rib"]
    assert db.exec(select(Supplier)).all() == []


def test_a_failure_mid_submission_leaves_nothing(db, storage_dir, monkeypatch):
    rib = stage_rib(storage_dir)

    def broken_publish(key, *, sha256, store, **_):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "publish_staged", broken_publish)
    with pytest.raises(OSError):
        submit(db, storage_dir, rib=rib)
    for table in (Supplier, BankDetails, Enrolment, EmailMessage):
        assert db.exec(select(table)).all() == []
    assert len(staged_files(storage_dir)) == 1
    monkeypatch.undo()
    assert submit(db, storage_dir, rib=rib).number


# --------------------------------------------------------------------------
# One enrolment per supplier
# --------------------------------------------------------------------------


def test_a_second_request_for_the_same_siret_or_ans_number_is_refused(db, storage_dir):
    submit(db, storage_dir)
    with pytest.raises(EnrolmentRefused) as same_siret:
        submit(db, storage_dir, ans_number="zzzSAS0999")
    assert same_siret.value.message == rules.MSG_ONE_ENROLMENT
    assert same_siret.value.field_errors == {"siret": rules.MSG_SIRET_TAKEN}
    with pytest.raises(EnrolmentRefused) as same_ans:
        submit(db, storage_dir, siret="90123456700013")
    assert same_ans.value.field_errors == {"ans_number": rules.MSG_ANS_TAKEN}
    assert submission.duplicate_errors(db, siret=SIRET, ans_number="x") == {
        "siret": rules.MSG_SIRET_TAKEN
    }
    assert len(db.exec(select(Enrolment)).all()) == 1
    assert len(final_files(storage_dir)) == FILES_PER_ENROLMENT


def test_the_rule_holds_whatever_the_status_unless_rejected(db, storage_dir):
    agent = staff(db)
    first = submit(db, storage_dir)
    approve(db, agent, first.enrolment_id)
    with pytest.raises(EnrolmentRefused):
        submit(db, storage_dir)

    other = submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    reject(db, agent, other.enrolment_id)
    again = submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202",
                   iban="DE89 3704 0044 0532 0130 00", bic="DEUTDEFF",
                   company_name="NOUVEAU NOM")
    assert again.number == "ENRSAS000003"
    supplier_ids = {e.supplier_id for e in db.exec(select(Enrolment)).all()
                    if e.id in (other.enrolment_id, again.enrolment_id)}
    assert len(supplier_ids) == 1  # the supplier row is reused, its data updated
    supplier = db.get(Supplier, supplier_ids.pop())
    assert supplier.company_name == "NOUVEAU NOM"
    bank = db.exec(select(BankDetails).where(BankDetails.supplier_id == supplier.id)).one()
    assert bank.iban == "DE89370400440532013000"


def test_an_ans_number_of_another_siret_is_refused(db, storage_dir):
    agent = staff(db)
    first = submit(db, storage_dir)
    reject(db, agent, first.enrolment_id)
    submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    with pytest.raises(EnrolmentRefused) as refused:
        submit(db, storage_dir, ans_number="defSAS0202")
    assert refused.value.message == rules.MSG_ONE_ENROLMENT


def test_the_database_constraints_catch_what_the_pre_check_misses(db, storage_dir, monkeypatch):
    """The race window between the check and the insert: the constraints decide."""
    agent = staff(db)
    submit(db, storage_dir)
    real_check = submission.duplicate_errors
    calls = {"n": 0}

    def blind_first_check(*args, **kwargs):
        calls["n"] += 1
        return {} if calls["n"] == 1 else real_check(*args, **kwargs)

    monkeypatch.setattr(submission, "duplicate_errors", blind_first_check)
    with pytest.raises(EnrolmentRefused) as refused:  # unique SIRET on supplier
        submit(db, storage_dir, ans_number="zzzSAS0001")
    assert refused.value.message == rules.MSG_ONE_ENROLMENT
    assert refused.value.field_errors == {"siret": rules.MSG_SIRET_TAKEN}

    # Same supplier row reused: the partial unique index on enrolment answers.
    rejected = submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    reject(db, agent, rejected.enrolment_id)
    submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    calls["n"] = 0
    with pytest.raises(EnrolmentRefused) as refused:
        submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    assert refused.value.message == rules.MSG_ONE_ENROLMENT
    assert len(db.exec(select(Enrolment)).all()) == 3
    assert len(final_files(storage_dir)) == 3 * FILES_PER_ENROLMENT
    assert len(staged_files(storage_dir)) == 2


@pytest.mark.parametrize("other", [{"ans_number": "zzzSAS0001"}, {"siret": "65432109000015"}],
                         ids=["same-siret", "same-ans"])
def test_concurrent_submissions_create_exactly_one_enrolment(engine, db, storage_dir, other):
    """Same company sent from 6 browsers at once: the database keeps one."""
    ribs = [stage_rib(storage_dir) for _ in range(6)]
    variants = [{}, other] * 3
    outcomes: list[str] = []
    barrier = threading.Barrier(len(ribs))

    def worker(rib, overrides):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                submit(session, storage_dir, rib=rib, **overrides)
                outcomes.append("ok")
            except EnrolmentRefused as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=worker, args=pair) for pair in zip(ribs, variants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all(o in ("ok", rules.MSG_ONE_ENROLMENT) for o in outcomes), outcomes
    db.expire_all()
    assert len(db.exec(select(Enrolment)).all()) == 1
    assert len(db.exec(select(Supplier)).all()) == 1
    assert len(final_files(storage_dir)) == FILES_PER_ENROLMENT
    assert len(staged_files(storage_dir)) == 5


# --------------------------------------------------------------------------
# Abuse resistance
# --------------------------------------------------------------------------


def test_anti_bot_rules():
    assert anti_abuse.looks_automated(honeypot="http://spam.example", elapsed_seconds=60)
    assert anti_abuse.looks_automated(honeypot="", elapsed_seconds=1.5)
    assert anti_abuse.looks_automated(honeypot="", elapsed_seconds=None)
    assert not anti_abuse.looks_automated(honeypot=" ", elapsed_seconds=45)


def test_submissions_are_limited_per_address(db):
    now = SUBMITTED_AT
    for _ in range(rules.SUBMISSIONS_PER_ADDRESS):
        assert submission.register_submission_attempt(db, client_address="198.51.100.1", now=now)
    assert not submission.register_submission_attempt(db, client_address="198.51.100.1", now=now)
    assert submission.register_submission_attempt(db, client_address="198.51.100.2", now=now)
    later = now + anti_abuse.ABUSE_WINDOW + timedelta(minutes=1)
    assert submission.register_submission_attempt(db, client_address="198.51.100.1", now=later)
    throttled = db.exec(select(AuditEvent).where(
        AuditEvent.action == rules.AUDIT_SUBMISSION_THROTTLED)).all()
    assert len(throttled) == 1


# --------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------


def test_approval_opens_a_working_account(db, storage_dir):
    agent = staff(db)
    submitted = submit(db, storage_dir)
    result = approve(db, agent, submitted.enrolment_id)
    assert result.identifiant == "jean-eric.le-gall"

    row = db.get(Enrolment, submitted.enrolment_id)
    assert (row.status, row.version, row.decided_by_id) == ("validee", 2, agent.id)
    account = db.exec(select(UserAccount).where(UserAccount.identifiant == result.identifiant)).one()
    assert (account.role, account.supplier_id, account.email) == (
        "supplier", row.supplier_id, "je.legall@editeur.example",
    )
    assert account.must_change_password and account.secret_answer_hash is None
    expires = account.temp_password_expires_at.replace(tzinfo=timezone.utc)
    assert expires == SUBMITTED_AT + timedelta(days=8)

    credentials = db.exec(select(EmailMessage).where(EmailMessage.template == "account_credentials")).one()
    assert credentials.enrolment_id == row.id and credentials.user_id == account.id
    password = credentials.body_text.split("Mot de passe temporaire : ")[1].split()[0]
    assert password_problems(password, identifiant=account.identifiant) == []

    # The emailed password opens a session, and the first login starts.
    login = account_login.authenticate(db, identifiant=result.identifiant, password=password,
                                  now=SUBMITTED_AT + timedelta(days=2))
    assert login.ok
    account = db.get(UserAccount, login.user_id)
    assert first_login.next_step(account) == first_login.STEP_CHANGE_PASSWORD
    expired = account_login.authenticate(db, identifiant=result.identifiant, password=password,
                                    now=SUBMITTED_AT + timedelta(days=9))
    assert expired.error == account_login.MSG_TEMPORARY_EXPIRED

    history = db.exec(select(AuditEvent).where(AuditEvent.enrolment_id == row.id)
                      .order_by(AuditEvent.id)).all()
    assert [(h.action, h.old_status, h.new_status) for h in history] == [
        ("enrolment_submitted", None, "a_instruire"),
        ("enrolment_approved", "a_instruire", "validee"),
    ]
    assert history[1].actor_user_id == agent.id
    created = db.exec(select(AuditEvent).where(AuditEvent.action == "account_created")).one()
    assert created.subject_user_id == account.id and created.actor_user_id == agent.id

    # Supplier-side tracking: the password never shows, whatever the email's status.
    view = views.enrolment_tracking(db, supplier_id=row.supplier_id)
    assert (view.number, view.status_label, view.submitted_on, view.status_changed_on) == (
        "ENRSAS000001", "Validée", "04/03/2024", "05/03/2024",
    )
    assert view.iban == "**** **** **** **** **** ***0 189"
    assert (view.legal_rep_civility, view.contact_email) == ("Madame", "je.legall@editeur.example")
    assert [d.file_name for d in view.documents] == ["rib.pdf"]
    assert len(view.emails) == 3
    assert all(password not in e.body for e in view.emails)


def test_identifiants_are_made_unique(db, storage_dir):
    agent = staff(db)
    first = submit(db, storage_dir)
    second = submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202")
    assert approve(db, agent, first.enrolment_id).identifiant == "jean-eric.le-gall"
    assert approve(db, agent, second.enrolment_id).identifiant == "jean-eric.le-gall2"
    assert unique_identifiant(db, "Jean-Éric", "LE GALL") == "jean-eric.le-gall3"
    assert base_identifiant("Zoë", "d’Artagnan") == "zoe.d-artagnan"
    assert password_problems(temporary_password("x.y"), identifiant="x.y") == []


def test_rejection_needs_a_reason_and_emails_it(db, storage_dir):
    agent = staff(db)
    submitted = submit(db, storage_dir)
    with pytest.raises(DecisionRefused) as refused:
        reject(db, agent, submitted.enrolment_id, reason="   ")
    assert refused.value.message == rules.MSG_REASON_REQUIRED
    reject(db, agent, submitted.enrolment_id, reason="Le RIB ne correspond pas au titulaire.")
    row = db.get(Enrolment, submitted.enrolment_id)
    assert (row.status, row.decision_reason) == ("rejetee", "Le RIB ne correspond pas au titulaire.")
    email = db.exec(select(EmailMessage).where(EmailMessage.template == "enrolment_decision")).one()
    assert "Motif du rejet : Le RIB ne correspond pas au titulaire." in email.body_text
    assert db.exec(select(UserAccount).where(UserAccount.role == "supplier")).all() == []
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "enrolment_rejected")).one()
    assert event.actor_user_id == agent.id and "titulaire" in event.details


def test_a_stale_decision_is_refused(db, storage_dir):
    agent = staff(db)
    submitted = submit(db, storage_dir)
    approve(db, agent, submitted.enrolment_id, version=1)
    with pytest.raises(DecisionRefused) as refused:
        reject(db, agent, submitted.enrolment_id, version=1)
    assert refused.value.message == rules.MSG_DECISION_CONFLICT
    db.rollback()
    with pytest.raises(DecisionRefused):  # right version, but no longer pending
        approve(db, agent, submitted.enrolment_id, version=2)
    db.rollback()
    with pytest.raises(DecisionRefused) as missing:
        approve(db, agent, 9999)
    assert missing.value.message == rules.MSG_NOT_FOUND


def test_concurrent_decisions_apply_once(engine, db, storage_dir):
    agent = staff(db)
    submitted = submit(db, storage_dir)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def worker(index):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                if index % 2:
                    approve(session, agent, submitted.enrolment_id)
                else:
                    reject(session, agent, submitted.enrolment_id)
                outcomes.append("ok")
            except DecisionRefused as exc:
                session.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    db.expire_all()
    assert db.get(Enrolment, submitted.enrolment_id).version == 2
    assert len(db.exec(select(EmailMessage).where(EmailMessage.template != "enrolment_acknowledgement")).all()) in (1, 2)


def test_pending_list_is_paginated(db, storage_dir):
    def pending(db, *, page):  # the default filters: the requests to decide, oldest first
        return staff_list.list_enrolments(
            db, filters=staff_list.EnrolmentFilters(), page=page, page_size=3)

    sirets = ["81234567600017", "90123456700013", "75100001900016", "65432109000015",
              "50123456100014"]
    for index, siret in enumerate(sirets):
        submit(db, storage_dir, siret=siret, ans_number=f"abcSAS{index:04d}")
    agent = staff(db)
    first = db.exec(select(Enrolment).order_by(Enrolment.id)).first()
    reject(db, agent, first.id)
    page = pending(db, page=1)
    assert (page.total, page.pages, page.page) == (4, 2, 1)
    assert [i.siret for i in page.items] == sirets[1:4]
    item = page.items[0]
    assert item.iban == "FR76 3000 6000 0112 3456 7890 189" and item.rib_id > 0
    assert item.legal_rep == "Mme Claire Durand, Présidente"
    assert item.status_label == "A instruire"
    assert pending(db, page=7).page == 2
    assert [i.siret for i in pending(db, page=2).items] == sirets[4:]


def test_staff_list_filters_search_and_csv(db, storage_dir):
    import csv
    import io

    from segur_app.domain.enrolment.staff_list import EnrolmentFilters

    sirets = ["81234567600017", "90123456700013", "75100001900016"]
    for index, siret in enumerate(sirets):
        submit(db, storage_dir, siret=siret, ans_number=f"abcSAS{index:04d}",
               company_name=f"EDITEUR {index}")
    agent = staff(db)
    first = db.exec(select(Enrolment).order_by(Enrolment.id)).first()
    reject(db, agent, first.id)

    def listed(**filters):
        page = staff_list.list_enrolments(db, filters=EnrolmentFilters(**filters),
                                               page=1, page_size=10)
        return [item.siret for item in page.items]

    assert listed() == sirets[1:]  # pending by default
    assert listed(status="rejetee") == sirets[:1]
    assert listed(status="") == sirets  # every status
    assert listed(status="", search=sirets[2]) == sirets[2:]
    assert listed(status="", search=first.number.lower()) == sirets[:1]
    assert listed(status="", search="editeur 1") == sirets[1:2]
    assert listed(status="", sort="depot_desc") == sirets[::-1]
    assert listed(status="", submitted_from=date(2030, 1, 1)) == []

    data = staff_list.export_enrolments_csv(db, filters=EnrolmentFilters(status=""))
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == staff_list.ENROLMENT_CSV_HEADER
    assert [line[4] for line in lines[1:]] == sirets
    assert lines[1][2] == "Rejetée"


def test_taking_a_request_in_charge_then_deciding(db, storage_dir):

    result = submit(db, storage_dir)
    db.commit()
    agent = staff(db)
    row = db.exec(select(Enrolment).where(Enrolment.number == result.number)).one()
    message = decision.take_in_charge(db, enrolment_id=row.id, expected_version=row.version,
                                       staff_id=agent.id)
    db.commit()
    db.refresh(row)
    assert row.status == "en_cours" and result.number in message
    assert staff_list.enrolment_counters(db).in_progress == 1
    with pytest.raises(rules.DecisionRefused):  # already taken (and stale version)
        decision.take_in_charge(db, enrolment_id=row.id, expected_version=row.version,
                                 staff_id=agent.id)
    db.rollback()
    approve(db, agent, row.id, version=row.version)
    db.refresh(row)
    assert row.status == "validee"


# --------------------------------------------------------------------------
# Emails through a real SMTP server
# --------------------------------------------------------------------------


def deliver(engine, smtp, tmp_path) -> list:
    transport = mail.SmtpTransport.from_settings(
        mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path / "outbox")
    )
    mail.deliver_due(engine, transport=transport,
                     now=datetime.now(timezone.utc) + timedelta(seconds=1))
    return smtp.handler.snapshot()


def text_of(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_acknowledgement_credentials_and_rejection_emails_over_smtp(db, engine, storage_dir, tmp_path):
    agent = staff(db)
    first = submit(db, storage_dir)
    second = submit(db, storage_dir, siret="90123456700013", ans_number="defSAS0202",
                    contact_email="autre@editeur.example",
                    contact_email_confirmation="autre@editeur.example")
    with running_smtp_server() as smtp:
        acknowledgements = deliver(engine, smtp, tmp_path)
        assert sorted(r.rcpt_tos[0] for r in acknowledgements) == [
            "autre@editeur.example", "je.legall@editeur.example",
        ]
        ack = next(r for r in acknowledgements if r.rcpt_tos == ["je.legall@editeur.example"])
        assert ack.message["Subject"] == "Accusé de réception de votre demande d'enrôlement ENRSAS000001"
        assert "Votre demande d'enrôlement ENRSAS000001 sur le portail Ségur Numérique a bien été réceptionnée" in text_of(ack)

        approve(db, agent, first.enrolment_id)
        reject(db, agent, second.enrolment_id, reason="SIRET radié.")
        decisions = deliver(engine, smtp, tmp_path)[2:]

    by_subject = {r.message["Subject"]: r for r in decisions}
    credentials = by_subject["Vos identifiants de connexion au portail Ségur Numérique"]
    assert credentials.rcpt_tos == ["je.legall@editeur.example"]
    body = text_of(credentials)
    assert "Identifiant : jean-eric.le-gall" in body
    password = body.split("Mot de passe temporaire : ")[1].split()[0]
    assert password_problems(password, identifiant="jean-eric.le-gall") == []
    assert "doit être changé lors de votre première connexion" in body and LOGIN in body
    assert "Votre demande d'enrôlement ENRSAS000001 a été validée" in by_subject
    rejection = by_subject["Votre demande d'enrôlement ENRSAS000002 a été rejetée"]
    assert rejection.rcpt_tos == ["autre@editeur.example"]
    assert "Motif du rejet : SIRET radié." in text_of(rejection)
    # Once sent, the stored credentials email no longer holds the password.
    db.expire_all()
    stored = db.exec(select(EmailMessage).where(EmailMessage.template == "account_credentials")).one()
    assert password not in stored.body_text and stored.status == "envoye"


def test_staff_see_verification_results_and_history():
    from segur_app.domain.enrolment.views import verification_checks
    from segur_app.domain.models import BankDetails, Supplier

    good = Supplier(ans_number="tndSAS0032", siret="39431067600017", company_name="LE SELECT",
                    street="x", postal_code="92160", city="ANTONY")
    bank = BankDetails(supplier_id=1, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                       holder="LE SELECT", domiciliation="CA")
    assert all(c.ok for c in verification_checks(good, bank))
    bad = Supplier(ans_number="SAS", siret="39431067600018", company_name="X", street="x",
                   postal_code="92160", city="ANTONY")
    wrong_bank = BankDetails(supplier_id=1, iban="FR7630006000011234567890180",
                             bic="DEUTDEFFXXX", holder="X", domiciliation="X")
    results = {c.label: c for c in verification_checks(bad, wrong_bank)}
    assert not results["SIRET (clé de contrôle)"].ok
    assert not results["N° de référencement ANS (format)"].ok
    assert not results["IBAN (format du pays et clé)"].ok
    assert [c.label for c in verification_checks(good, None)][-1] == "Coordonnées bancaires"
