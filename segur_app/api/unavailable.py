"""The database unreachable during an HTTP request: a French 503, one log line.

A PostgreSQL restart (or failover) makes the requests in flight fail with
``sqlalchemy.exc.OperationalError`` / ``InterfaceError``; without this
handler they reach granian as « Application callable raised an exception »
(a 500 and a 150-line traceback each). :func:`database_unavailable` answers
``503`` with :data:`~segur_app.api.redis_health.UNAVAILABLE_MESSAGE` (JSON for
``/_upload``, a short page otherwise) and logs one line; nothing was
committed by a transaction that failed, so the user may simply try again.
The pool checks connections before use (``pool_pre_ping``): once the server
is back the next request works.
"""

from __future__ import annotations

import html
import logging

from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from segur_app.api.redis_health import UNAVAILABLE_MESSAGE

log = logging.getLogger("segur_app.database")

PAGE = (
    "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
    "<title>Service momentanément indisponible</title></head><body>"
    f"<h1>Service momentanément indisponible</h1><p>{html.escape(UNAVAILABLE_MESSAGE)}</p>"
    "<p><a href=\"/\">Revenir à l'accueil</a></p></body></html>"
).encode("utf-8")


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for ``OperationalError`` / ``InterfaceError``
    (``Starlette(exception_handlers=EXCEPTION_HANDLERS)`` in ``api/asgi.py``)."""
    orig = getattr(exc, "orig", None) or exc
    log.error("database unreachable during %s %s: %s", request.method, request.url.path,
              (str(orig).splitlines() or [type(orig).__name__])[0][:160])
    headers = {"Cache-Control": "no-store", "Retry-After": "5"}
    if request.url.path.rstrip("/").endswith("/_upload"):
        return JSONResponse({"detail": UNAVAILABLE_MESSAGE}, status_code=503, headers=headers)
    return HTMLResponse(PAGE, status_code=503, headers=headers)


EXCEPTION_HANDLERS = {OperationalError: database_unavailable, InterfaceError: database_unavailable}
