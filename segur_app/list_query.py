"""Staff lists: their filters as URL query parameters (bookmarkable) and back.

Reflex-free: the list states (``state/``) and the CSV exports (``api/``)
parse the same query the same way, so « Exporter » exports what is shown.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from segur_app import routes
from segur_app.domain import instruction
from segur_app.domain.enrolment.staff_list import PENDING_FILTER, EnrolmentFilters
from segur_app.domain.instruction import RequestFilters
from segur_app.domain.paging import Window

FILTER_PARAMS = (
    routes.PARAM_STATUS, routes.PARAM_KIND, routes.PARAM_FROM, routes.PARAM_TO,
    routes.PARAM_SEARCH, routes.PARAM_SORT,
)


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
        sort=params.get(routes.PARAM_SORT, instruction.DEFAULT_SORT),
    )


def enrolment_filters_from(params: dict[str, str]) -> EnrolmentFilters:
    """The staff enrolment list's filters from its URL (pending requests by default)."""
    return EnrolmentFilters(
        status=params.get(routes.PARAM_STATUS, PENDING_FILTER),
        search=params.get(routes.PARAM_SEARCH, "")[:100],
        submitted_from=parse_date(params.get(routes.PARAM_FROM, "")),
        submitted_to=parse_date(params.get(routes.PARAM_TO, "")),
        sort=params.get(routes.PARAM_SORT, "depot_asc"),
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


def filter_query(params: dict[str, str], **extra: str | int) -> str:
    """The query string of the current filters (empty values dropped)."""
    values = {k: params.get(k, "") for k in FILTER_PARAMS}
    values.update({k: str(v) for k, v in extra.items()})
    return urlencode({k: v for k, v in values.items() if v})
