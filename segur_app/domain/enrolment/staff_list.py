"""The staff list of enrolment requests and its CSV export (pending ones by default).

Same principles as ``funding/staff_list.py`` (and what every staff list shares,
``lists.py``): conditions on ``enrolment`` alone (a
search reaches the supplier through indexed subqueries), sort keys ending with
the id, keyset pages (``paging.py``), the pending filter written exactly as
its partial index ``ix_enrolment_pending_submitted``; only the page's ten rows
are read in full (with their bank details, RIB and history). The dashboard's
enrolment counters (:func:`enrolment_counters`) are read here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import lists, paging, search
from segur_app.domain.dates import day_start_utc, fr_date
from segur_app.domain.enrolment.rules import PENDING_STATUSES
from segur_app.domain.enrolment.views import (
    PendingPage,
    enrolment_history,
    pending_view,
    ribs_by_enrolment,
)
from segur_app.domain.models import (
    ENROLMENT_PENDING,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    Supplier,
)
from segur_app.domain.lists import counted_rows, counted_total, csv_bytes
from segur_app.domain.paging import Key, Window

PENDING_FILTER = "en_attente"  # submitted or in review (models.ENROLMENT_PENDING)
DEFAULT_SORT = "depot_asc"


@dataclass(frozen=True)
class EnrolmentFilters:
    """Staff list filters; the default shows the requests waiting for a decision."""

    status: str = PENDING_FILTER
    search: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    sort: str = DEFAULT_SORT


ENROLMENT_CSV_HEADER = [
    "Numéro", "Date de dépôt", "Statut", "Dénomination sociale", "SIRET", "N° ANS",
    "Contact", "Adresse électronique", "Téléphone",
]


SORTS = {
    "depot_asc": Key((Enrolment.submitted_at, Enrolment.id)),
    "depot_desc": Key((Enrolment.submitted_at, Enrolment.id), descending=True),
    "numero": Key((Enrolment.number,)),
    lists.NAME_SORT: Key((Enrolment.company_sort, Enrolment.id)),  # supplier's search_text
}
_ENROLMENT_NUMBER = re.compile(r"^ENRSAS\d{6}$", re.IGNORECASE)


def _key(sort: str) -> Key:
    return lists.sort_key(SORTS, sort, DEFAULT_SORT)


def _conditions(session: Session, filters: EnrolmentFilters, *, unindexed: bool = False) -> list:
    """Conditions on ``enrolment`` only; ``unindexed``: see ``paging.walk_sort_index``."""
    conditions = []
    if filters.status == PENDING_FILTER:
        conditions.append(sa.text(("+" if unindexed else "") + ENROLMENT_PENDING))
    elif filters.status in {s.value for s in EnrolmentStatus}:
        status = paging.unindexed(Enrolment.status) if unindexed else Enrolment.status
        conditions.append(status == filters.status)
    if filters.submitted_from:
        conditions.append(Enrolment.submitted_at >= day_start_utc(filters.submitted_from))
    if filters.submitted_to:
        conditions.append(
            Enrolment.submitted_at < day_start_utc(filters.submitted_to + timedelta(days=1))
        )
    compact = filters.search.strip().replace(" ", "")
    if _ENROLMENT_NUMBER.match(compact):
        conditions.append(Enrolment.number == compact.upper())
    elif lists.SIRET.match(compact):
        conditions.append(lists.of_suppliers(Enrolment, Supplier.siret == compact))
    else:
        found = search.text_search(
            lists.dialect(session), filters.search, own_table=Enrolment.__table__,
            number_column="number",
            number_prefix="ENRSAS", supplier_table=Supplier.__table__)
        if found is not None:
            conditions.append(found)
    return conditions


def list_enrolments(
    session: Session, *, filters: EnrolmentFilters, page: int, page_size: int,
    after: int | None = None, before: int | None = None,
) -> PendingPage:
    """One page of the filtered staff list; ``after`` / ``before``: the row next to it."""
    conditions = _conditions(session, filters)
    if filters.search.strip() or filters.submitted_from or filters.submitted_to:
        total = session.exec(
            select(sa.func.count()).select_from(Enrolment).where(*conditions)).one()
    else:  # the status alone: from list_counter (kept by triggers)
        statuses = {s.value for s in EnrolmentStatus}
        total = counted_total(session, "enrolment", statuses=(
            PENDING_STATUSES if filters.status == PENDING_FILTER
            else {filters.status} if filters.status in statuses else None))
    if lists.walks_name_index(session, filters.sort, total):
        conditions = _conditions(session, filters, unindexed=True)
    key = _key(filters.sort)
    ids, page = paging.page_ids(
        session, ids=select(Enrolment.id).where(*conditions), key=key,
        key_of=lists.key_reader(session, key, model=Enrolment),
        window=Window(page=page, after=after, before=before), total=total, page_size=page_size)
    rows = {e.id: (e, s, b) for e, s, b in session.exec(
        select(Enrolment, Supplier, BankDetails)
        .join(Supplier, Supplier.id == Enrolment.supplier_id)
        .join(BankDetails, BankDetails.supplier_id == Supplier.id, isouter=True)
        .where(Enrolment.id.in_(ids))
    ).all()} if ids else {}
    ribs = ribs_by_enrolment(session, ids)
    history = enrolment_history(session, ids)
    items = [pending_view(*rows[i], ribs.get(i), history.get(i, [])) for i in ids if i in rows]
    return PendingPage(items=items, total=total, page=page,
                       pages=paging.page_count(total, page_size))


def export_enrolments_csv(session: Session, *, filters: EnrolmentFilters) -> bytes:
    """The filtered list for French spreadsheets (UTF-8 with BOM, ';')."""
    query = (
        sa.select(Enrolment.number, Enrolment.submitted_at, Enrolment.status,
                  Supplier.company_name, Supplier.siret, Supplier.ans_number,
                  Enrolment.contact_first_name, Enrolment.contact_last_name,
                  Enrolment.contact_email, Enrolment.contact_phone)
        .join(Supplier, Supplier.id == Enrolment.supplier_id)
        .where(*_conditions(session, filters))
        .order_by(*_key(filters.sort).order_by())
        .execution_options(yield_per=1000)
    )
    rows = (
        [number, fr_date(submitted_at), EnrolmentStatus(status).label, company, siret, ans,
         f"{first} {last}".strip(), email, phone]
        for number, submitted_at, status, company, siret, ans, first, last, email, phone
        in session.exec(query)
    )
    return csv_bytes(ENROLMENT_CSV_HEADER, rows, free_text=(3, 5, 6, 7, 8))


# ---------------------------------------------------------------------------
# Dashboard counters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentCounter:
    to_review: int
    in_progress: int
    validated: int
    rejected: int


def enrolment_counters(session: Session) -> EnrolmentCounter:
    """Enrolments per status, from ``list_counter``."""
    rows: dict[str, int] = {}
    for _, status, _, n, _ in counted_rows(session, "enrolment"):
        rows[status] = rows.get(status, 0) + int(n)
    return EnrolmentCounter(
        to_review=rows.get(EnrolmentStatus.TO_REVIEW.value, 0),
        in_progress=rows.get(EnrolmentStatus.IN_PROGRESS.value, 0),
        validated=rows.get(EnrolmentStatus.VALIDATED.value, 0),
        rejected=rows.get(EnrolmentStatus.REJECTED.value, 0),
    )
