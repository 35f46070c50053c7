"""The staff list of funding requests and the dashboard counters.

Built to stay under 50 ms at 100,000 dossiers on SQLite and PostgreSQL
(``bench/list_requests.py``): filters are conditions on ``funding_request``
alone (a search reaches the supplier through indexed subqueries, so counting
never joins), every sort key ends with the id and has its index, pages are
keyset pages (``paging.py``), rows are read as plain columns for one page's
ids, the dashboard counts from ``list_counter``. The CSV export of the same
filters is in :mod:`.export`; what every staff list shares is in ``domain/lists.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import lists, paging, search
from segur_app.domain.dates import day_start_utc, fr_amount, fr_date
from segur_app.domain.models import (
    CORRECTION_OPEN,
    CorrectionRequest,
    FundingKind,
    FundingRequest,
    FundingStatus,
    Supplier,
    utcnow,
)
from segur_app.domain.paging import Key, Window

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Sort name -> key (columns ending with a unique one, one direction), so that
# pages and « previous / next dossier » are row-value ranges on an index.
SORTS = {
    "depot_desc": Key((FundingRequest.deposited_at, FundingRequest.id), descending=True),
    "depot_asc": Key((FundingRequest.deposited_at, FundingRequest.id)),
    "numero": Key((FundingRequest.dossier_number,)),
    "statut": Key((FundingRequest.status, FundingRequest.deposited_at, FundingRequest.id)),
    # Normalised company name (the supplier's search_text, copied: sort_ddl.py):
    # same order on both backends, one index of this table.
    lists.NAME_SORT: Key((FundingRequest.company_sort, FundingRequest.id)),
}
DEFAULT_SORT = "depot_desc"

DOSSIER_NUMBER = re.compile(r"^FINSAS\d{6}$", re.IGNORECASE)
ANS_NUMBER = re.compile(r"^tndSAS\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""
    kind: str = ""
    deposited_from: date | None = None
    deposited_to: date | None = None
    search: str = ""
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class RequestRow:
    id: int
    dossier_number: str
    kind_label: str
    company_name: str
    siret: str
    ans_number: str
    deposited_on: str
    status: str
    status_label: str
    amount: int
    amount_label: str  # « 30 000 € »
    overdue: bool = False  # awaiting corrections past the deadline (« Délai dépassé »)


@dataclass(frozen=True)
class RequestPage:
    rows: list[RequestRow]
    total: int
    page: int
    pages: int


def sort_key(sort: str) -> Key:
    return lists.sort_key(SORTS, sort, DEFAULT_SORT)


def _search_condition(dialect: str, raw: str):
    """A complete dossier number, SIRET or ANS number is an indexed equality;
    anything else is a trigram-indexed substring search (``search.py``)."""
    compact = raw.strip().replace(" ", "")
    if DOSSIER_NUMBER.match(compact):
        return FundingRequest.dossier_number == compact.upper()
    if lists.SIRET.match(compact):
        return lists.of_suppliers(FundingRequest, Supplier.siret == compact)
    if ANS_NUMBER.match(compact):
        return lists.of_suppliers(FundingRequest, Supplier.ans_number == "tndSAS" + compact[6:])
    return search.text_search(
        dialect, raw, own_table=FundingRequest.__table__, number_column="dossier_number",
        number_prefix="FINSAS", supplier_table=Supplier.__table__)


def filter_conditions(session: Session, filters: RequestFilters, *,
                      unindexed: bool = False) -> list:
    """Conditions on ``funding_request`` only (the search through subqueries);
    ``unindexed``: status and kind cannot pick an index (``paging.walk_sort_index``)."""
    conditions = []
    status, kind = FundingRequest.status, FundingRequest.kind
    if unindexed:
        status, kind = paging.unindexed(status), paging.unindexed(kind)
    if filters.status in {s.value for s in FundingStatus}:
        conditions.append(status == filters.status)
    if filters.kind in {k.value for k in FundingKind}:
        conditions.append(kind == filters.kind)
    if filters.deposited_from:
        conditions.append(FundingRequest.deposited_at >= day_start_utc(filters.deposited_from))
    if filters.deposited_to:
        conditions.append(
            FundingRequest.deposited_at < day_start_utc(filters.deposited_to + timedelta(days=1))
        )
    found = _search_condition(lists.dialect(session), filters.search)
    if found is not None:
        conditions.append(found)
    return conditions


ROW_COLUMNS = (
    FundingRequest.id, FundingRequest.dossier_number, FundingRequest.kind, Supplier.company_name,
    Supplier.siret, Supplier.ans_number, FundingRequest.deposited_at, FundingRequest.status,
    FundingRequest.amount,
)


def rows_query():
    return sa.select(*ROW_COLUMNS).join(Supplier, Supplier.id == FundingRequest.supplier_id)


def _row(values, overdue: frozenset[int] = frozenset()) -> RequestRow:
    id_, number, kind, company, siret, ans, deposited_at, status, amount = values
    return RequestRow(
        overdue=id_ in overdue,
        id=id_, dossier_number=number, kind_label=FundingKind(kind).label, company_name=company,
        siret=siret, ans_number=ans, deposited_on=fr_date(deposited_at), status=status,
        status_label=FundingStatus(status).label, amount=amount,
        amount_label=fr_amount(amount),
    )


def _total(session: Session, filters: RequestFilters, conditions: list) -> int:
    """Matches of the filters: from ``list_counter`` unless dates or a search narrow them."""
    if not (filters.deposited_from or filters.deposited_to or filters.search.strip()):
        statuses = {s.value for s in FundingStatus}
        return lists.counted_total(
            session, "funding_request",
            statuses={filters.status} if filters.status in statuses else None,
            kind=filters.kind if filters.kind in {k.value for k in FundingKind} else "")
    return session.exec(
        select(sa.func.count()).select_from(FundingRequest).where(*conditions)).one()


def request_page(session: Session, *, filters: RequestFilters, window: Window = Window(),
                 page_size: int = PAGE_SIZE) -> RequestPage:
    """One page of the filtered, sorted list, the total and the page number shown."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    conditions = filter_conditions(session, filters)
    total = _total(session, filters, conditions)
    if lists.walks_name_index(session, filters.sort, total):
        conditions = filter_conditions(session, filters, unindexed=True)
    key = sort_key(filters.sort)
    ids, page = paging.page_ids(
        session, ids=select(FundingRequest.id).where(*conditions), key=key,
        key_of=lists.key_reader(session, key, model=FundingRequest), window=window, total=total,
        page_size=page_size)
    by_id = {values[0]: values for values in session.exec(
        rows_query().where(FundingRequest.id.in_(ids))).all()} if ids else {}
    late = overdue_ids(session, ids) if ids else frozenset()
    rows = [_row(by_id[i], late) for i in ids if i in by_id]
    return RequestPage(rows, total, page, paging.page_count(total, page_size))


def overdue_ids(session: Session, ids: list[int], *, now=None) -> frozenset[int]:
    """Which of these dossiers wait for corrections past their deadline."""
    return frozenset(session.exec(
        select(CorrectionRequest.funding_request_id).where(
            CorrectionRequest.funding_request_id.in_(ids), sa.text(CORRECTION_OPEN),
            CorrectionRequest.due_at <= (now or utcnow()))
    ).all())


def list_requests(
    session: Session, *, filters: RequestFilters, page: int = 1, page_size: int = PAGE_SIZE,
    after: int | None = None, before: int | None = None,
) -> tuple[list[RequestRow], int]:
    """One page of the filtered, sorted list and the total number of matches."""
    result = request_page(session, filters=filters, page_size=page_size,
                          window=Window(page=page, after=after, before=before))
    return result.rows, result.total


def neighbours(
    session: Session, *, filters: RequestFilters, request_id: int
) -> tuple[int | None, int | None]:
    """Ids of the previous and next dossiers around ``request_id`` in the list order.

    Two indexed single-row queries (a range on the sort key), not a scan of the list.
    """
    key = sort_key(filters.sort)
    current = lists.key_reader(session, key, model=FundingRequest)(request_id)
    if current is None:
        return None, None
    conditions = filter_conditions(session, filters)
    if (filters.sort == lists.NAME_SORT and (filters.status or filters.kind)
            and lists.dialect(session) == "sqlite"):
        if lists.walks_name_index(session, filters.sort, _total(session, filters, conditions)):
            conditions = filter_conditions(session, filters, unindexed=True)

    def first(*, reverse: bool) -> int | None:
        return session.exec(
            select(FundingRequest.id)
            .where(*conditions, key.beyond(current, reverse=reverse))
            .order_by(*key.order_by(reverse=reverse))
            .limit(1)
        ).first()

    return first(reverse=True), first(reverse=False)


# ---------------------------------------------------------------------------
# Dashboard counters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    kind_label: str
    to_review: int
    in_progress: int
    validated: int
    rejected: int
    amount_requested: int
    amount_validated: int
    amount_requested_label: str = ""  # « 120 000 € »
    amount_validated_label: str = ""
    awaiting: int = 0  # « En attente de compléments »


OPEN_STATUSES = (FundingStatus.TO_REVIEW.value, FundingStatus.IN_PROGRESS.value)


def counters(session: Session) -> list[Counter]:
    """Per kind: how many dossiers wait, are being instructed, validated, rejected.

    « A instruire »: deposited and not touched yet; « En cours »: an agent has
    recorded at least one control (``instruction_started``); « En attente de
    compléments »: its own status (not open for the agents until the supplier answers). Read from
    ``list_counter`` (kept exact by triggers, counters_ddl.py): a dozen rows.
    """
    rows = lists.counted_rows(session, "funding_request")
    result = []
    for kind in FundingKind:
        mine = [r for r in rows if r[0] == kind.value]

        def count(*, status=None, started=None) -> int:
            return sum(int(n) for _, s, st, n, _ in mine
                       if (status is None and s in OPEN_STATUSES or s == status)
                       and (started is None or bool(st) == started))

        requested = sum(int(a or 0) for *_, a in mine)
        validated = sum(int(a or 0) for _, s, _, _, a in mine
                        if s == FundingStatus.VALIDATED.value)
        result.append(Counter(
            kind.label,
            to_review=count(started=False),
            in_progress=count(started=True),
            validated=count(status=FundingStatus.VALIDATED.value),
            rejected=count(status=FundingStatus.REJECTED.value),
            awaiting=count(status=FundingStatus.AWAITING_CORRECTIONS.value),
            amount_requested=requested,
            amount_validated=validated,
            amount_requested_label=fr_amount(requested),
            amount_validated_label=fr_amount(validated),
        ))
    return result
