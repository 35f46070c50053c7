"""CSV export of the staff list: ``GET /instruction/export/demandes-financement.csv``.

Staff only (session cookie checked on the request itself); same query
parameters as the list page, so « Exporter » exports exactly what is shown.
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
from segur_app.domain import accounts, instruction
from segur_app.domain.models import Role
from segur_app.state.instruction import filters_from


def _export(token: str | None, params: dict[str, str]) -> tuple[int, bytes]:
    with session_scope() as session:
        found = accounts.resolve_session(session, token)
        if found is None:
            return 401, b""
        user = found[1]
        if user.role != Role.STAFF.value or user.must_change_password:
            accounts.audit(session, "access_refused", actor_user_id=user.id,
                           route=routes.STAFF_FUNDING_EXPORT)
            return 403, b""
        return 200, instruction.export_csv(session, filters=filters_from(params))


async def export_funding_requests(request: Request) -> Response:
    status, data = await asyncio.to_thread(
        _export, request.cookies.get(SESSION_COOKIE), dict(request.query_params)
    )
    if status == 401:
        return PlainTextResponse("Authentification requise.", status_code=401)
    if status == 403:
        return PlainTextResponse("Accès réservé aux agents de l'ASP.", status_code=403)
    filename = f"demandes-financement-{date.today().isoformat()}.csv"
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


http_routes = [Route(routes.STAFF_FUNDING_EXPORT, export_funding_requests, methods=["GET"])]
