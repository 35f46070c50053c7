"""« Ma demande d'avance » / « Ma demande de solde » driven without a browser.

The supplier stages each piece, removes one, is refused a bad file, deposits
(dossier, pieces and confirmation email in the database; the form starts
again), cancels; a supplier who already deposited is sent to the tracking
screen. Guards are in tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.dates import fr_amount
from segur_app.domain import generated_documents, receipts
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.storage import MSG_UNAVAILABLE
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    EmailMessage,
    FundingKind,
    FundingRequest,
    FundingStatus,
    GeneratedDocumentKind,
    UserAccount,
)
from segur_app.state.funding import AdvanceState, BalanceState, TrackingState
from tests.document_samples import elf_executable, valid_pdf, valid_png
from tests.state_harness import (
    Tab,
    enrol_supplier,
    fresh,
    point_app_at,
    redirect_target,
    scenario,
    seed_people,
    upload,
)
from tests.conftest import outage_store
from tests.storage_helpers import staged_names, store_env

ADVANCE_PIECES = [kind.value for kind in funding_deposit.required_documents(FundingKind.ADVANCE)]


@pytest.fixture
def storage(tmp_path, engine, monkeypatch):
    path = tmp_path / "storage"
    point_app_at(monkeypatch, engine, path)
    yield path
    get_settings.cache_clear()


@pytest.fixture
def people(db, storage):
    """LE SELECT, enrolled with bank details, has deposited nothing yet."""
    return seed_people(db, storage, deposit=False)


async def _form(token: str, state=AdvanceState, path=routes.FUNDING_ADVANCE) -> Tab:
    tab = Tab(token=token, path=path)
    assert await tab.run(state.load) == []
    return tab


def _slot(form, kind: str):
    return next(slot for slot in form.slots if slot.kind == kind)


async def _stage(tab: Tab, kind: str, data: bytes | None = None, name: str | None = None,
                 state=AdvanceState):
    files = [upload(valid_pdf() if data is None else data, name or f"{kind}.pdf")]
    assert await tab.run(state.stage_file, kind, files) == []


@scenario
async def test_each_piece_is_staged_then_the_deposit_creates_the_dossier(db, people, storage):
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    assert [slot.kind for slot in form.slots] == ADVANCE_PIECES
    assert form.amount == "30\u202f000\u00a0€" and form.refusal == "" and form.summary is not None
    for kind in ADVANCE_PIECES:
        await _stage(tab, kind, name=f"Pièce {kind}.pdf")
        slot = _slot(form, kind)
        assert (slot.file_name, slot.error) == (f"Pièce {kind}.pdf", "")
        assert slot.size.endswith("octets")
    assert len(staged_names(storage)) == len(ADVANCE_PIECES)

    outputs = await tab.run(AdvanceState.submit)
    assert redirect_target(outputs) is None
    assert form.deposited_number.startswith("FINSAS") and len(form.deposited_number) == 12
    assert form.submitting is False and form.form_error == ""
    assert [slot.file_name for slot in form.slots] == ["", "", ""]  # the form starts again

    fresh(db)
    request = db.exec(select(FundingRequest)).one()
    assert (request.dossier_number, request.kind, request.status, request.amount) == (
        form.deposited_number, FundingKind.ADVANCE.value, FundingStatus.IN_PROGRESS.value, 30000)
    pieces = db.exec(select(Attachment).where(Attachment.funding_request_id == request.id)).all()
    assert sorted((p.kind, p.original_name) for p in pieces) == sorted(
        (kind, f"Pièce {kind}.pdf") for kind in ADVANCE_PIECES)
    owner = db.exec(select(UserAccount).where(
        UserAccount.identifiant == "test.ecomplementaire")).one()
    mail = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.ADVANCE_DEPOSIT_CONFIRMATION.value)).one()
    assert (mail.to_address, mail.funding_request_id) == (owner.email, request.id)
    assert staged_names(storage) == set()  # the staged copies were published then removed

    # A second click (or a replayed event) deposits nothing more.
    await tab.run(AdvanceState.submit)
    fresh(db)
    assert len(db.exec(select(FundingRequest)).all()) == 1

    # « Suivi de ma demande de financement » shows it.
    tab.navigate(routes.FUNDING_TRACKING)
    await tab.run(TrackingState.load)
    tracking = await tab.state(TrackingState)
    assert tracking.has_request and not tracking.has_balance
    assert form.deposited_number in tracking.view.dossier_number


@scenario
async def test_the_supplier_has_the_dossier_number_before_the_receipt_is_issued(
    db, people, storage, monkeypatch
):
    """« Valider » answers once the deposit has committed; the receipt is issued
    afterwards, and a failure there leaves the deposit a success."""
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    for kind in ADVANCE_PIECES:
        await _stage(tab, kind)
    real_issue = funding_deposit.issue_receipt
    seen = []

    def issue(session, *, deposited, store):
        seen.append((form.deposited_number, form.submitting, deposited.dossier_number))
        assert real_issue(session, deposited=deposited, store=store)

    monkeypatch.setattr(funding_deposit, "issue_receipt", issue)
    await tab.run(AdvanceState.submit)
    assert seen == [(form.deposited_number, False, form.deposited_number)]
    fresh(db)
    request = db.exec(select(FundingRequest)).one()
    assert generated_documents.find(db, kind=GeneratedDocumentKind.DEPOSIT_RECEIPT,
                                    funding_request_id=request.id) is not None

    # The receipt's failure: the deposit is told as done all the same.
    enrol_supplier(db, db.exec(select(UserAccount.supplier_id).where(
        UserAccount.identifiant == "autre.editeur")).one())
    other = await _form(people.other)
    monkeypatch.setattr(receipts, "receipt_pdf", lambda receipt: 1 / 0)
    monkeypatch.setattr(funding_deposit, "issue_receipt", real_issue)
    other_form = await other.state(AdvanceState)
    for kind in ADVANCE_PIECES:
        await _stage(other, kind)
    await other.run(AdvanceState.submit)
    assert other_form.deposited_number.startswith("FINSAS") and other_form.form_error == ""


@scenario
async def test_a_piece_can_be_replaced_and_removed(db, people, storage):
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    kind = ADVANCE_PIECES[0]
    await _stage(tab, kind, name="premier.pdf")
    await _stage(tab, kind, data=valid_png(), name="second.png")
    assert _slot(form, kind).file_name == "second.png"
    assert len(staged_names(storage)) == 1  # the replaced file was discarded

    assert await tab.run(AdvanceState.remove_file, kind) == []
    assert (_slot(form, kind).file_name, _slot(form, kind).size) == ("", "")
    assert staged_names(storage) == set()

    # Depositing without the pieces says which are missing, and creates nothing.
    await _stage(tab, ADVANCE_PIECES[1])
    await tab.run(AdvanceState.submit)
    assert form.deposited_number == "" and form.submitting is False
    assert form.form_error
    assert _slot(form, ADVANCE_PIECES[0]).error == funding_deposit.MSG_DOCUMENT_REQUIRED
    assert _slot(form, ADVANCE_PIECES[2]).error == funding_deposit.MSG_DOCUMENT_REQUIRED
    assert _slot(form, ADVANCE_PIECES[1]).error == ""
    fresh(db)
    assert db.exec(select(FundingRequest)).all() == []


@scenario
async def test_a_bad_file_is_refused_with_a_french_message(db, people, storage):
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    kind = ADVANCE_PIECES[0]
    label = _slot(form, kind).label
    await _stage(tab, kind, data=elf_executable(), name="programme.pdf")
    slot = _slot(form, kind)
    assert slot.file_name == "" and slot.error.startswith(f"{label} : ")
    assert "le contenu du fichier ne correspond pas à son extension" in slot.error
    await _stage(tab, kind, data=valid_pdf(), name="script.exe")
    assert "seuls les fichiers .png, .jpg, .jpeg ou .pdf sont acceptés" in _slot(form, kind).error
    assert staged_names(storage) == set()

    # A valid file clears the message; a piece this form does not ask for is ignored.
    await _stage(tab, kind)
    assert _slot(form, kind).error == "" and _slot(form, kind).file_name
    await _stage(tab, "rib")
    assert len(staged_names(storage)) == 1

    # What the browser refused before sending it.
    too_large = [{"errors": [{"code": "file-too-large"}]}]
    await tab.run(AdvanceState.client_rejected, ADVANCE_PIECES[1], too_large)
    assert _slot(form, ADVANCE_PIECES[1]).error == (
        f"{_slot(form, ADVANCE_PIECES[1]).label} : le fichier dépasse la taille maximum de 4 Mo.")
    await tab.run(AdvanceState.client_rejected, ADVANCE_PIECES[2],
                  [{"errors": [{"code": "too-many-files"}]}])
    assert _slot(form, ADVANCE_PIECES[2]).error.endswith(": un seul fichier peut être joint.")


@scenario
async def test_cancel_asks_only_when_files_were_chosen_and_discards_them(db, people, storage):
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    assert redirect_target(await tab.run(AdvanceState.ask_cancel)) == routes.PRIVATE_HOME
    assert form.confirm_cancel is False

    await _stage(tab, ADVANCE_PIECES[0])
    assert redirect_target(await tab.run(AdvanceState.ask_cancel)) is None
    assert form.confirm_cancel is True
    await tab.run(AdvanceState.keep_editing)
    assert form.confirm_cancel is False and _slot(form, ADVANCE_PIECES[0]).file_name

    await tab.run(AdvanceState.ask_cancel)
    assert redirect_target(await tab.run(AdvanceState.cancel)) == routes.PRIVATE_HOME
    assert form.confirm_cancel is False
    assert all(slot.file_name == "" for slot in form.slots)
    assert staged_names(storage) == set()
    fresh(db)
    assert db.exec(select(FundingRequest)).all() == []


@scenario
async def test_a_supplier_who_already_deposited_is_sent_to_the_tracking(db, people, storage):
    # Another tab of the same supplier deposits while this one is being filled.
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    for kind in ADVANCE_PIECES:
        await _stage(tab, kind)
    other_tab = Tab(token=people.owner, path=routes.FUNDING_ADVANCE, tab_token="tab-2")
    await other_tab.run(AdvanceState.load)
    for kind in ADVANCE_PIECES:
        await _stage(other_tab, kind)
    await other_tab.run(AdvanceState.submit)
    assert (await other_tab.state(AdvanceState)).deposited_number

    await tab.run(AdvanceState.submit)
    assert form.form_error == funding_deposit.MSG_ALREADY_DEPOSITED and form.deposited_number == ""
    assert all(slot.file_name == "" for slot in form.slots)
    assert staged_names(storage) == set()
    fresh(db)
    assert len(db.exec(select(FundingRequest)).all()) == 1

    # From now on the menu entry opens the consultation screen.
    assert redirect_target(await tab.run(AdvanceState.load)) == routes.FUNDING_TRACKING


@scenario
async def test_the_balance_is_deposited_once_the_advance_is_validated(db, people, storage):
    tab = await _form(people.owner, BalanceState, routes.FUNDING_BALANCE)
    form = await tab.state(BalanceState)
    assert form.refusal == funding_deposit.MSG_BALANCE_NOT_YET

    advance_tab = await _form(people.owner)
    for kind in ADVANCE_PIECES:
        await _stage(advance_tab, kind)
    await advance_tab.run(AdvanceState.submit)
    fresh(db)
    advance = db.exec(select(FundingRequest)).one()
    advance.status = FundingStatus.VALIDATED.value
    db.add(advance)
    db.commit()

    await tab.run(BalanceState.load)
    pieces = [kind.value for kind in funding_deposit.required_documents(FundingKind.BALANCE)]
    assert form.refusal == "" and [slot.kind for slot in form.slots] == pieces
    assert form.amount == fr_amount(get_settings().balance_amount)
    for kind in pieces:
        await _stage(tab, kind, state=BalanceState)
    await tab.run(BalanceState.submit)
    assert form.deposited_number.startswith("FINSAS") and form.form_error == ""
    fresh(db)
    balance = db.exec(select(FundingRequest).where(
        FundingRequest.kind == FundingKind.BALANCE.value)).one()
    assert balance.dossier_number == form.deposited_number
    assert sorted(a.kind for a in db.exec(select(Attachment).where(
        Attachment.funding_request_id == balance.id))) == sorted(pieces)
    assert db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.BALANCE_DEPOSIT_CONFIRMATION.value)).one()
    assert redirect_target(await tab.run(BalanceState.load)) == routes.FUNDING_TRACKING


# --------------------------------------------------------------------------
# With an object store (SEGUR_STORAGE_URL) that becomes unreachable
# --------------------------------------------------------------------------


@pytest.fixture
def object_store(s3_server, link, tmp_path, engine, monkeypatch):
    store = outage_store(s3_server, link)
    point_app_at(monkeypatch, engine, tmp_path / "unused")
    for name, value in store_env(store).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SEGUR_S3_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("SEGUR_S3_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()


@scenario
async def test_the_object_store_unreachable_at_deposit_time_refuses_it_with_a_clear_message(
    db, object_store, link
):
    people = seed_people(db, object_store, deposit=False)
    tab = await _form(people.owner)
    form = await tab.state(AdvanceState)
    for kind in ADVANCE_PIECES:
        await _stage(tab, kind)
    await _stage(tab, ADVANCE_PIECES[0], name="remplacée.pdf")  # the first one discarded
    deadline = time.monotonic() + 30  # by a worker thread: never on the event loop
    while len(staged_names(object_store)) != len(ADVANCE_PIECES):  # in the bucket
        assert time.monotonic() < deadline, staged_names(object_store)
        await asyncio.sleep(0.05)

    with link.unreachable():
        await tab.run(AdvanceState.submit)
        assert form.form_error == MSG_UNAVAILABLE
        assert form.deposited_number == "" and form.submitting is False
        await _stage(tab, ADVANCE_PIECES[0], name="autre.pdf")  # choosing a file fails too
        assert "momentanément indisponible" in _slot(form, ADVANCE_PIECES[0]).error
    fresh(db)
    assert db.exec(select(FundingRequest)).all() == []

    await tab.run(AdvanceState.submit)  # the store is back: the same files go through
    assert form.deposited_number.startswith("FINSAS") and form.form_error == ""
    assert staged_names(object_store) == set()
