"""The staff list states page with keyset cursors and still show « Page n sur m »."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest

from segur_app import routes
from segur_app.core import db as core_db
from segur_app.domain.funding import staff_list as funding_list
from segur_app.domain.enrolment import staff_list
from segur_app.domain.enrolment.staff_list import EnrolmentFilters
from segur_app.domain.models import Enrolment, Supplier
from segur_app.domain.funding.staff_list import RequestFilters
from segur_app.state.enrolment_review import STAFF_PAGE_SIZE, StaffEnrolmentsState
from segur_app.state.instruction import StaffListState
from tests.state_harness import Tab, seed_people
from tests.test_instruction import add_dossiers


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    return seed_people(db, tmp_path / "storage")


def _follow(tab: Tab, href: str) -> None:
    parts = urlsplit(href)
    tab.navigate(parts.path, dict(parse_qsl(parts.query)))


def test_funding_list_links_walk_the_pages(db, people):
    add_dossiers(db, 45, start=datetime(2024, 1, 1, tzinfo=timezone.utc), company="PAGINÉ")
    wanted = RequestFilters(search="pagine", sort="denomination")
    numbered = [[r.dossier_number for r in funding_list.request_page(
        db, filters=wanted, window=funding_list.Window(page=n)).rows] for n in (1, 2, 3)]

    async def scenario():
        tab = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUESTS,
                  query={routes.PARAM_SEARCH: "pagine", routes.PARAM_SORT: "denomination"})
        state = await tab.state(StaffListState)

        async def shown():
            await tab.run(StaffListState.load)
            return state.page, state.pages, [r.dossier_number for r in state.rows]

        assert await shown() == (1, 3, numbered[0])
        _follow(tab, state.next_href)
        assert routes.PARAM_AFTER in state.next_href and "q=pagine" in state.next_href
        assert await shown() == (2, 3, numbered[1])
        _follow(tab, state.next_href)
        assert await shown() == (3, 3, numbered[2])
        _follow(tab, state.previous_href)
        assert routes.PARAM_BEFORE in state.previous_href
        assert await shown() == (2, 3, numbered[1])
        _follow(tab, state.last_href)
        assert await shown() == (3, 3, numbered[2])
        _follow(tab, state.first_href)
        assert await shown() == (1, 3, numbered[0])

    asyncio.run(scenario())


def test_enrolment_list_pages_forward_and_back_and_keeps_its_page(db, people):
    for n in range(25):
        supplier = Supplier(ans_number=f"tndSAS{n + 3000:04d}", siret=f"{n + 3000:014d}",
                            company_name=f"ENRÔLÉ {n:02d}", street="x", postal_code="75001",
                            city="PARIS")
        db.add(supplier)
        db.flush()
        db.add(Enrolment(number=f"ENRSAS{n + 3000:06d}", supplier_id=supplier.id,
                         submitted_at=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=n)))
    db.commit()
    filters = EnrolmentFilters(search="enrole")
    numbered = [[i.number for i in staff_list.list_enrolments(
        db, filters=filters, page=n, page_size=STAFF_PAGE_SIZE).items] for n in (1, 2, 3)]

    async def scenario():
        tab = Tab(token=people.staff, path=routes.STAFF_ENROLMENTS,
                  query={routes.PARAM_STATUS: "en_attente", routes.PARAM_SEARCH: "enrole"})
        state = await tab.state(StaffEnrolmentsState)

        def shown():
            return state.page, state.pages, [i.number for i in state.items]

        await tab.run(StaffEnrolmentsState.load)
        assert shown() == (1, 3, numbered[0])
        await tab.run(StaffEnrolmentsState.next_page)
        await tab.run(StaffEnrolmentsState.next_page)
        assert shown() == (3, 3, numbered[2])
        await tab.run(StaffEnrolmentsState.previous_page)
        assert shown() == (2, 3, numbered[1])
        # A decision reloads the page it was taken on.
        item = state.items[0]
        await tab.run(StaffEnrolmentsState.take, item.id, item.version)
        assert state.error == "" and shown() == (2, 3, numbered[1])

    asyncio.run(scenario())
