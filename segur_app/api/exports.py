"""CSV exports of the staff lists (funding requests, enrolments).

Staff only (``domain.access.authorise``, audience ``STAFF``, on the request
itself); same query parameters as the list pages, so « Exporter » exports exactly what is shown.
"""

from __future__ import annotations

import asyncio
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from segur_app import routes
from segur_app.api.session import guarded_route
from segur_app.core.db import session_scope
from segur_app.domain.enrolment import staff_list
from segur_app.domain.funding import export
from segur_app.domain.access import Audience
from segur_app.list_query import enrolment_filters_from, filters_from


def _export(build) -> bytes:
    with session_scope() as session:
        return build(session)


def csv_route(route: str, filename: str, build) -> Route:
    """A staff-only CSV download; ``build(session, params)`` returns the bytes."""

    @guarded_route(route, Audience.STAFF)
    async def export(request: Request, _who) -> Response:
        params = dict(request.query_params)
        data = await asyncio.to_thread(_export, lambda s: build(s, params))
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition":
                    f'attachment; filename="{filename}-{date.today().isoformat()}.csv"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return export


http_routes = [
    csv_route(routes.STAFF_FUNDING_EXPORT, "demandes-financement",
              lambda s, p: export.export_csv(s, filters=filters_from(p))),
    csv_route(routes.STAFF_ENROLMENT_EXPORT, "enrolements",
              lambda s, p: staff_list.export_enrolments_csv(s, filters=enrolment_filters_from(p))),
]
