"""« Demandes d'enrôlement à instruire » (staff) driven without a browser:
take in charge, approve (the account is opened), reject (reason required),
stale versions refused, the filter form. Guards are in
tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.enrolment import rules
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import EmailMessage, Enrolment, EnrolmentStatus, Role, UserAccount
from segur_app.state.enrolment_review import StaffEnrolmentsState
from tests.state_harness import Tab, fresh, point_app_at, redirect_target, scenario, seed_people
from tests.test_enrolment import submit


@pytest.fixture
def world(db, engine, tmp_path, monkeypatch):
    """The demo data and one request waiting for a decision."""
    storage = tmp_path / "storage"
    point_app_at(monkeypatch, engine, storage)
    people = seed_people(db, storage, deposit=False)
    submitted = submit(db, storage)
    db.commit()
    yield people, submitted
    get_settings.cache_clear()


async def _list(people) -> tuple[Tab, StaffEnrolmentsState]:
    tab = Tab(token=people.staff, path=routes.STAFF_ENROLMENTS)
    await tab.run(StaffEnrolmentsState.load)
    return tab, await tab.state(StaffEnrolmentsState)


def _row(db, enrolment_id: int) -> Enrolment:
    fresh(db)  # see what the handlers committed
    return db.get(Enrolment, enrolment_id)


def _mails(db, template: TemplateName) -> list[EmailMessage]:
    return list(db.exec(select(EmailMessage).where(EmailMessage.template == template.value)))


@scenario
async def test_taking_in_charge_marks_the_request_en_cours(db, world):
    people, submitted = world
    tab, page = await _list(people)
    [item] = page.items
    assert (item.number, item.version, item.can_take) == (submitted.number, 1, True)

    await tab.run(StaffEnrolmentsState.take, item.id, item.version)
    assert page.message == f"La demande {submitted.number} est prise en charge."
    assert page.error == ""
    row = _row(db, item.id)
    assert (row.status, row.version) == (EnrolmentStatus.IN_PROGRESS.value, 2)
    [shown] = page.items  # still pending, now « En cours »
    assert (shown.status_label, shown.version, shown.can_take) == ("En cours", 2, False)

    await tab.run(StaffEnrolmentsState.take, item.id, 2)  # already taken
    assert page.error == rules.MSG_DECISION_CONFLICT and page.message == ""
    assert _row(db, item.id).version == 2


@scenario
async def test_approval_opens_the_account_and_sends_the_credentials(db, world):
    people, submitted = world
    tab, page = await _list(people)
    [item] = page.items
    other_tab, other_page = await _list(people)
    await other_tab.run(StaffEnrolmentsState.take, item.id, item.version)

    # This page still shows version 1: refused, nothing opened.
    await tab.run(StaffEnrolmentsState.approve, item.id, item.version)
    assert page.error == rules.MSG_DECISION_CONFLICT and page.message == ""
    assert _row(db, item.id).status == EnrolmentStatus.IN_PROGRESS.value
    assert _mails(db, TemplateName.ACCOUNT_CREDENTIALS) == []
    assert page.items[0].version == 2  # the list was reloaded

    await tab.run(StaffEnrolmentsState.approve, item.id, page.items[0].version)
    assert page.error == ""
    row = _row(db, item.id)
    assert row.status == EnrolmentStatus.VALIDATED.value and row.decided_by_id
    account = db.exec(select(UserAccount).where(
        UserAccount.supplier_id == row.supplier_id)).one()
    assert (account.role, account.email, account.must_change_password) == (
        Role.SUPPLIER.value, "je.legall@editeur.example", True)
    assert page.message == (
        f"La demande {submitted.number} a été validée : le compte « {account.identifiant} » "
        f"a été créé et ses identifiants envoyés à {account.email}.")
    assert [m.to_address for m in _mails(db, TemplateName.ACCOUNT_CREDENTIALS)] == [account.email]
    assert [m.enrolment_id for m in _mails(db, TemplateName.ENROLMENT_DECISION)] == [row.id]
    assert page.items == [] and page.total == 0  # no longer waiting


@scenario
async def test_rejection_requires_a_reason_which_is_emailed(db, world):
    people, submitted = world
    tab, page = await _list(people)
    [item] = page.items

    out = await tab.run(StaffEnrolmentsState.reject, item.id, item.version)
    assert out  # the focus goes to the reason field
    assert (page.reason_error_id, page.reason_error) == (item.id, rules.MSG_REASON_REQUIRED)
    assert _row(db, item.id).status == EnrolmentStatus.TO_REVIEW.value

    too_long = "x" * (rules.MAX_REASON_LENGTH + 5)
    await tab.run(StaffEnrolmentsState.set_reason, item.id, too_long)
    await tab.run(StaffEnrolmentsState.reject, item.id, item.version)
    assert page.error == rules.MSG_REASON_TOO_LONG and page.reason_error == ""
    assert _row(db, item.id).status == EnrolmentStatus.TO_REVIEW.value

    await tab.run(StaffEnrolmentsState.set_reason, item.id, "  RIB illisible  ")
    await tab.run(StaffEnrolmentsState.reject, item.id, item.version)
    assert page.error == "" and page.reason_error_id == 0
    assert page.message == (
        f"La demande {submitted.number} a été rejetée ; le motif a été envoyé par courriel.")
    row = _row(db, item.id)
    assert (row.status, row.decision_reason) == (EnrolmentStatus.REJECTED.value, "RIB illisible")
    [mail] = _mails(db, TemplateName.ENROLMENT_DECISION)
    assert mail.to_address == "je.legall@editeur.example" and "RIB illisible" in mail.body_text
    assert not db.exec(select(UserAccount).where(UserAccount.supplier_id == row.supplier_id)).all()

    # The reason typed is forgotten once used: a new « Rejeter » asks for one again.
    await tab.run(StaffEnrolmentsState.reject, item.id, row.version)
    assert page.reason_error == rules.MSG_REASON_REQUIRED


@scenario
async def test_the_filter_form_redirects_with_its_query(db, world):
    people, submitted = world
    tab, page = await _list(people)
    form = {routes.PARAM_STATUS: "", routes.PARAM_SEARCH: "  EXEMPLE ",
            routes.PARAM_SORT: "depot_desc", routes.PARAM_FROM: "", "autre": "x"}
    target = redirect_target(await tab.run(StaffEnrolmentsState.apply_filters, form))
    assert urlsplit(target).path == routes.STAFF_ENROLMENTS
    assert parse_qs(urlsplit(target).query, keep_blank_values=True) == {
        routes.PARAM_STATUS: [""], routes.PARAM_SEARCH: ["EXEMPLE"],
        routes.PARAM_SORT: ["depot_desc"]}

    tab.follow(target)  # every status, searched
    await tab.run(StaffEnrolmentsState.load)
    assert [item.number for item in page.items] == [submitted.number]
    assert (page.search, page.sort) == ("EXEMPLE", "depot_desc")
    # The export link exports what is shown: every status (an empty one), not the default.
    tab.navigate(routes.STAFF_ENROLMENTS, {routes.PARAM_STATUS: ""})
    await tab.run(StaffEnrolmentsState.load)
    assert parse_qs(page.query, keep_blank_values=True) == {routes.PARAM_STATUS: [""]}
    assert {item.company_name for item in page.items} >= {"LE SELECT"}  # validated too
    tab.follow(f"{routes.STAFF_ENROLMENTS}?{routes.PARAM_STATUS}=validee")
    await tab.run(StaffEnrolmentsState.load)
    assert [item.company_name for item in page.items] == ["LE SELECT"]
