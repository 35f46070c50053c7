"""The progress of a file being sent, and the message when its upload stops
(``StagedUploadsMixin``: ``upload_begun`` / ``upload_progressed`` / ``watch_upload``),
driven without a browser on « Ma demande d'avance »."""

from __future__ import annotations

import pytest

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.models import AttachmentKind, FundingKind
from segur_app.state.funding import AdvanceState
from tests.document_samples import elf_executable, valid_pdf
from tests.state_harness import Tab, point_app_at, scenario, seed_people, upload

PIECE = funding_deposit.required_documents(FundingKind.ADVANCE)[0].value


@pytest.fixture
def storage(tmp_path, engine, monkeypatch):
    path = tmp_path / "storage"
    point_app_at(monkeypatch, engine, path)
    monkeypatch.setenv("SEGUR_ANTIVIRUS", "off")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def people(db, storage):
    return seed_people(db, storage, deposit=False)


async def _form(token: str) -> tuple[Tab, AdvanceState]:
    tab = Tab(token=token, path=routes.FUNDING_ADVANCE)
    await tab.run(AdvanceState.load)
    return tab, await tab.state(AdvanceState)


def _slot(form):
    return next(slot for slot in form.slots if slot.kind == PIECE)


@scenario
async def test_progress_follows_the_upload_and_stays_at_100_once_received(db, people, storage):
    tab, form = await _form(people.owner)
    [watch] = await tab.run(AdvanceState.upload_begun, PIECE)
    assert watch.handler.fn.__name__ == "watch_upload"  # the watch starts with the upload
    assert form.upload_progress == {PIECE: 0}
    await tab.run(AdvanceState.upload_progressed, PIECE, {"loaded": 1, "total": 2, "progress": 0.5})
    assert form.upload_progress == {PIECE: 50}
    for hostile in ({"progress": "n/a"}, {"progress": None}, {}):
        await tab.run(AdvanceState.upload_progressed, PIECE, hostile)
    await tab.run(AdvanceState.upload_progressed, PIECE, {"progress": 7})
    assert form.upload_progress == {PIECE: 100}
    await tab.run(AdvanceState.stage_file, PIECE, [upload(valid_pdf(), "pv.pdf")])
    assert form.upload_progress == {PIECE: 100} and _slot(form).file_name == "pv.pdf"
    await tab.run(AdvanceState.remove_file, PIECE)
    assert form.upload_progress == {}

    # A refused file: no bar, its message.
    await tab.run(AdvanceState.upload_begun, PIECE)
    await tab.run(AdvanceState.stage_file, PIECE, [upload(elf_executable(), "pv.pdf")])
    assert form.upload_progress == {} and _slot(form).error

    # A slot this form does not have, or progress without an upload: nothing.
    assert await tab.run(AdvanceState.upload_begun, AttachmentKind.RIB.value) == []
    await tab.run(AdvanceState.upload_progressed, PIECE, {"progress": 0.3})
    assert form.upload_progress == {}


@scenario
async def test_an_upload_that_stops_says_the_connection_dropped(db, people, storage):
    tab, form = await _form(people.owner)
    await tab.run(AdvanceState.upload_begun, PIECE)
    await tab.run(AdvanceState.upload_progressed, PIECE, {"progress": 0.4})
    form._upload_watched = [PIECE]  # a watch is running: a replayed one returns at once
    await tab.run(AdvanceState.watch_upload, PIECE)
    assert _slot(form).error == "" and form.upload_progress == {PIECE: 40}
    form._upload_watched = []
    form._upload_stall_seconds = 0.0
    await tab.run(AdvanceState.watch_upload, PIECE)  # returns once it has decided
    assert form._upload_watched == []
    policy = funding_deposit.piece_upload(AttachmentKind(PIECE))
    assert _slot(form).error == policy.interrupted()
    assert "la connexion a été interrompue pendant l'envoi du fichier" in _slot(form).error
    assert form.upload_progress == {}

    # An upload that arrives in time is not flagged.
    form._upload_stall_seconds = 60.0
    await tab.run(AdvanceState.upload_begun, PIECE)
    assert _slot(form).error == ""
    await tab.run(AdvanceState.stage_file, PIECE, [upload(valid_pdf(), "pv.pdf")])
    await tab.run(AdvanceState.watch_upload, PIECE)
    assert _slot(form).error == "" and form.upload_progress == {PIECE: 100}
