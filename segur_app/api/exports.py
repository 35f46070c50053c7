"""CSV exports of the staff lists (funding requests, enrolments).

Staff only (session cookie checked on the request itself); same query
parameters as the list pages, so « Exporter » exports exactly what is shown.
"""

from __future__ import annotations

import asyncio
from datetime import date

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from segur_app import routes
from segur_app.core.db import session_scope
from segur_app.core.security import SESSION_COOKIE
from segur_app.domain import accounts, enrolment_views, instruction
from segur_app.domain.models import Role
from segur_app.state.instruction import enrolment_filters_from, filters_from


def _export(token: str | None, route: str, build) -> tuple[int, bytes]:
    with session_scope() as session:
        found = accounts.resolve_session(session, token)
        if found is None:
            return 401, b""
        user = found[1]
        if user.role != Role.STAFF.value or user.must_change_password:
            accounts.audit(session, "access_refused", actor_user_id=user.id, route=route)
            return 403, b""
        return 200, build(session)


def csv_route(route: str, filename: str, build) -> Route:
    """A staff-only CSV download; ``build(session, params)`` returns the bytes."""

    async def export(request: Request) -> Response:
        params = dict(request.query_params)
        status, data = await asyncio.to_thread(
            _export, request.cookies.get(SESSION_COOKIE), route, lambda s: build(s, params)
        )
        if status == 401:
            return PlainTextResponse("Authentification requise.", status_code=401)
        if status == 403:
            return PlainTextResponse("Accès réservé aux agents de l'ASP.", status_code=403)
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

    return Route(route, export, methods=["GET"])


http_routes = [
    csv_route(routes.STAFF_FUNDING_EXPORT, "demandes-financement",
              lambda s, p: instruction.export_csv(s, filters=filters_from(p))),
    csv_route(routes.STAFF_ENROLMENT_EXPORT, "enrolements",
              lambda s, p: enrolment_views.export_enrolments_csv(s, filters=enrolment_filters_from(p))),
]
