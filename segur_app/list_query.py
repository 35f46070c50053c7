"""Staff lists: their filters as URL query parameters (bookmarkable) and back.

Reflex-free: the list states (``state/``) and the CSV exports (``api/``)
parse the same query the same way, so « Exporter » exports what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode

from segur_app import routes
from segur_app.domain import news
from segur_app.domain.funding import staff_list as funding_list
from segur_app.domain.assistance.staff_list import TicketFilters
from segur_app.domain.assistance import staff_list as ticket_list
from segur_app.domain.enrolment import staff_list as enrolment_list
from segur_app.domain.enrolment.staff_list import PENDING_FILTER, EnrolmentFilters
from segur_app.domain.funding.staff_list import RequestFilters
from segur_app.domain.news import NewsFilters
from segur_app.domain.paging import Window

FILTER_PARAMS = (
    routes.PARAM_STATUS, routes.PARAM_KIND, routes.PARAM_FROM, routes.PARAM_TO,
    routes.PARAM_SEARCH, routes.PARAM_SORT,
)
TICKET_FILTER_PARAMS = (
    routes.PARAM_STATUS, routes.PARAM_CATEGORY, routes.PARAM_SEARCH, routes.PARAM_SORT,
)
NEWS_FILTER_PARAMS = (routes.PARAM_STATUS, routes.PARAM_CATEGORY, routes.PARAM_SORT)
ENROLMENT_FILTER_PARAMS = (
    routes.PARAM_STATUS, routes.PARAM_SEARCH, routes.PARAM_FROM, routes.PARAM_TO,
    routes.PARAM_SORT,
)
#: Without a status the enrolment list shows the pending requests; « Tous » is
#: the empty status, so it stays in the query (``kept_empty``).
ENROLMENT_KEPT_EMPTY = (routes.PARAM_STATUS,)


def url_params(query: str) -> dict[str, str]:
    """A URL's query parameters, blank ones kept: Reflex's ``query_parameters``
    drops them, yet the enrolment list's empty status (« Tous ») is not its default."""
    return dict(parse_qsl(query, keep_blank_values=True))


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def filters_from(params: dict[str, str]) -> RequestFilters:
    return RequestFilters(
        status=params.get(routes.PARAM_STATUS, ""),
        kind=params.get(routes.PARAM_KIND, ""),
        deposited_from=parse_date(params.get(routes.PARAM_FROM, "")),
        deposited_to=parse_date(params.get(routes.PARAM_TO, "")),
        search=params.get(routes.PARAM_SEARCH, "")[:100],
        sort=params.get(routes.PARAM_SORT, funding_list.DEFAULT_SORT),
    )


def enrolment_filters_from(params: dict[str, str]) -> EnrolmentFilters:
    """The staff enrolment list's filters from its URL (pending requests by default)."""
    return EnrolmentFilters(
        status=params.get(routes.PARAM_STATUS, PENDING_FILTER),
        search=params.get(routes.PARAM_SEARCH, "")[:100],
        submitted_from=parse_date(params.get(routes.PARAM_FROM, "")),
        submitted_to=parse_date(params.get(routes.PARAM_TO, "")),
        sort=params.get(routes.PARAM_SORT, enrolment_list.DEFAULT_SORT),
    )


def ticket_filters_from(params: dict[str, str]) -> TicketFilters:
    """The staff assistance list's filters (every ticket, open ones first, by default)."""
    return TicketFilters(
        status=params.get(routes.PARAM_STATUS, ""),
        category=params.get(routes.PARAM_CATEGORY, ""),
        search=params.get(routes.PARAM_SEARCH, "")[:100],
        sort=params.get(routes.PARAM_SORT, ticket_list.DEFAULT_SORT),
    )


def news_filters_from(params: dict[str, str]) -> NewsFilters:
    """The staff news list's filters (every item, newest first, by default)."""
    return NewsFilters(
        status=params.get(routes.PARAM_STATUS, ""),
        category=params.get(routes.PARAM_CATEGORY, ""),
        sort=params.get(routes.PARAM_SORT, news.STAFF_DEFAULT_SORT),
    )


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def window_from(params: dict[str, str]) -> Window:
    """The page asked for: ``page`` and the keyset cursor (``apres`` / ``avant``)."""
    return Window(
        page=_number(params.get(routes.PARAM_PAGE, "")) or 1,
        after=_number(params.get(routes.PARAM_AFTER, "")),
        before=_number(params.get(routes.PARAM_BEFORE, "")),
    )


def filter_query(params: dict[str, str], *, names: tuple[str, ...] = FILTER_PARAMS,
                 kept_empty: tuple[str, ...] = (), **extra: str | int) -> str:
    """The query string of the current filters ``names``: empty values dropped,
    except those of ``kept_empty`` that ``params`` holds (an empty filter that
    differs from its absence)."""
    values = {k: params.get(k, "") for k in names}
    values.update({k: str(v) for k, v in extra.items()})
    return urlencode({k: v for k, v in values.items()
                      if v or (k in kept_empty and k in params)})


def form_query(form: dict, *, names: tuple[str, ...] = FILTER_PARAMS,
               kept_empty: tuple[str, ...] = ()) -> str:
    """The query string of a submitted filter form (« Filtrer »)."""
    return filter_query({k: str(form.get(k, "") or "").strip() for k in names}, names=names,
                        kept_empty=kept_empty)


@dataclass(frozen=True)
class PageLinks:
    """First / previous / next / last page of a list, its filters kept. The
    neighbours are keyset links (``apres`` / ``avant``: the row next to the page)."""

    first: str
    previous: str
    next: str
    last: str


def page_links(route: str, params: dict[str, str], *, page: int, pages: int,
               first_id: int | None, last_id: int | None,
               names: tuple[str, ...] = FILTER_PARAMS) -> PageLinks:
    """The pagination links of the page shown (``first_id`` / ``last_id``: its rows)."""

    def href(number: int, **cursor: int) -> str:
        return route + "?" + filter_query(params, names=names, **{routes.PARAM_PAGE: number},
                                          **cursor)

    return PageLinks(
        first=href(1),
        previous=href(page - 1, **{routes.PARAM_BEFORE: first_id} if first_id else {}),
        next=href(page + 1, **{routes.PARAM_AFTER: last_id} if last_id else {}),
        last=href(pages),
    )
