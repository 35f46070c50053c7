"""The staff list of assistance tickets: filters, sorts and keyset pages.

The machinery of the other staff lists: the filters come from the URL
(``list_query.ticket_filters_from``), every sort key ends with the id
(``paging.Key``), pages are keyset pages with page numbers
(``paging.page_ids``), and only the page's rows are read in full. By
default the open tickets come first, the oldest first (what waits longest).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from segur_app.domain import paging, search
from segur_app.domain.assistance.views import ticket_views
from segur_app.domain.models import AssistanceTicket, TicketCategory, TicketStatus
from segur_app.domain.numbering import TICKET_SERIES
from segur_app.domain.paging import Key, Window

__all__ = ["DEFAULT_SORT", "PAGE_SIZE", "SORTS", "TicketFilters", "ticket_page"]

PAGE_SIZE = 10
MAX_SEARCH_LENGTH = 100

_STATUS_RANK = sa.case(
    (AssistanceTicket.status == TicketStatus.OPEN.value, 0),
    (AssistanceTicket.status == TicketStatus.ANSWERED.value, 1),
    else_=2,
)
SORTS = {
    "statut": Key((_STATUS_RANK, AssistanceTicket.created_at, AssistanceTicket.id)),
    "depot_asc": Key((AssistanceTicket.created_at, AssistanceTicket.id)),
    "depot_desc": Key((AssistanceTicket.created_at, AssistanceTicket.id), descending=True),
    "numero": Key((AssistanceTicket.number,)),
}
DEFAULT_SORT = "statut"
_TICKET_NUMBER = re.compile(rf"^{TICKET_SERIES}\d{{6}}$", re.IGNORECASE)


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""  # a TicketStatus value, "" for all
    category: str = ""  # a TicketCategory value, "" for all
    search: str = ""  # a ticket number (or part of it), a contact's address or name
    sort: str = DEFAULT_SORT


def _key(sort: str) -> Key:
    return SORTS.get(sort, SORTS[DEFAULT_SORT])


def _search_condition(raw: str):
    """A complete number is an equality; otherwise part of the number, of the
    contact's address or of the contact's name (wildcards typed are literal)."""
    typed = raw.strip()[:MAX_SEARCH_LENGTH]
    if not typed:
        return None
    compact = typed.replace(" ", "")
    if _TICKET_NUMBER.match(compact):
        return AssistanceTicket.number == compact.upper()
    lowered = typed.lower()
    matches = [sa.func.lower(AssistanceTicket.contact_email).contains(lowered, autoescape=True),
               sa.func.lower(AssistanceTicket.contact_name).contains(lowered, autoescape=True)]
    fragment = search.number_fragment(search.term(compact), TICKET_SERIES)
    if fragment:
        matches.append(AssistanceTicket.number.contains(fragment, autoescape=True))
    return sa.or_(*matches)


def _conditions(filters: TicketFilters) -> list:
    conditions = []
    if filters.status in {s.value for s in TicketStatus}:
        conditions.append(AssistanceTicket.status == filters.status)
    if filters.category in {c.value for c in TicketCategory}:
        conditions.append(AssistanceTicket.category == filters.category)
    found = _search_condition(filters.search)
    if found is not None:
        conditions.append(found)
    return conditions


def ticket_page(session: Session, *, filters: TicketFilters = TicketFilters(),
                window: Window = Window(), page_size: int = PAGE_SIZE) -> paging.RowsPage:
    """One page of the filtered, sorted list as ``TicketView`` s, its total and the
    page number shown."""
    found = paging.rows_page(session, AssistanceTicket, conditions=_conditions(filters),
                             key=_key(filters.sort), window=window, page_size=page_size)
    return dataclasses.replace(found, rows=ticket_views(session, found.rows))
