"""The antivirus through the forms' states (no browser), against the real clamd.

« Ma demande d'avance »: the EICAR file is refused next to its field with the
French message and nothing is staged; with clamd stopped, ``required`` shows
« analyse antivirus indisponible… Réessayez plus tard » and ``optional``
stages the file with « erreur »; the staff dashboard says when the scan is off.
"""

from __future__ import annotations

import pytest

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.models import FundingKind
from segur_app.domain.uploads import antivirus
from segur_app.state.antivirus import AntivirusNoticeState
from segur_app.state.funding import AdvanceState
from tests.clamd_helpers import EICAR, ClamdServer, eicar_pdf
from tests.document_samples import valid_pdf
from tests.state_harness import Tab, point_app_at, scenario, seed_people, upload
from tests.storage_helpers import staged_names

PIECE = funding_deposit.required_documents(FundingKind.ADVANCE)[0].value


@pytest.fixture
def storage(tmp_path, engine, monkeypatch):
    path = tmp_path / "storage"
    point_app_at(monkeypatch, engine, path)
    yield path
    get_settings.cache_clear()


@pytest.fixture
def people(db, storage):
    return seed_people(db, storage, deposit=False)


def use_antivirus(monkeypatch, mode: str, address: str) -> None:
    monkeypatch.setenv("SEGUR_ANTIVIRUS", mode)
    monkeypatch.setenv("SEGUR_CLAMD_SOCKET", address)
    get_settings.cache_clear()


async def _stage(tab: Tab, data: bytes, name: str = "pv.pdf"):
    assert await tab.run(AdvanceState.stage_file, PIECE, [upload(data, name)]) == []
    form = await tab.state(AdvanceState)
    return next(slot for slot in form.slots if slot.kind == PIECE)


@scenario
async def test_eicar_is_refused_next_to_the_field(db, people, storage, clamd, monkeypatch):
    use_antivirus(monkeypatch, "required", clamd.address)
    tab = Tab(token=people.owner, path=routes.FUNDING_ADVANCE)
    await tab.run(AdvanceState.load)
    for data, name in ((EICAR, "eicar.pdf"), (eicar_pdf(), "facture.pdf")):
        slot = await _stage(tab, data, name)
        assert slot.file_name == ""
        assert slot.error == f"{slot.label} : {antivirus.MSG_INFECTED}"
        assert "le fichier contient un virus" in slot.error
        assert staged_names(storage) == set()
    slot = await _stage(tab, valid_pdf())
    assert slot.error == "" and slot.file_name == "pv.pdf"
    form = await tab.state(AdvanceState)
    assert form._staged[PIECE].scan_result == "sain"


@scenario
async def test_clamd_stopped(db, people, storage, tmp_path, monkeypatch):
    stopped = ClamdServer(tmp_path / "clamd").start()
    stopped.stop()
    use_antivirus(monkeypatch, "required", stopped.address)
    tab = Tab(token=people.owner, path=routes.FUNDING_ADVANCE)
    await tab.run(AdvanceState.load)
    slot = await _stage(tab, valid_pdf())
    assert slot.file_name == ""
    assert "analyse antivirus indisponible" in slot.error
    assert slot.error.endswith("Réessayez plus tard.")
    assert staged_names(storage) == set()

    use_antivirus(monkeypatch, "optional", stopped.address)
    slot = await _stage(tab, valid_pdf())
    assert slot.error == "" and slot.file_name == "pv.pdf"
    assert (await tab.state(AdvanceState))._staged[PIECE].scan_result == "erreur"


@scenario
async def test_the_dashboard_notice_follows_the_setting(db, people, storage, monkeypatch):
    use_antivirus(monkeypatch, "off", "/nowhere")
    tab = Tab(token=people.staff, path=routes.STAFF_HOME)
    assert (await tab.state(AntivirusNoticeState)).antivirus_disabled is True
    use_antivirus(monkeypatch, "required", "/nowhere")
    tab = Tab(token=people.staff, path=routes.STAFF_HOME)
    assert (await tab.state(AntivirusNoticeState)).antivirus_disabled is False
