"""Absolute links to the portal's pages, as written in emails.

Reflex-free: used by the domain services (mail templates) as well as by the
states. Paths come from :mod:`segur_app.routes`, the address from
``SEGUR_PUBLIC_URL`` (``Settings.public_url``)::

    absolute_url(routes.LOGIN)
    # 'https://segurnum.asp-public.fr/segurnum/connexion'
    absolute_url(routes.RESET_PASSWORD, **{routes.RESET_TOKEN_PARAM: token})
    # 'https://…/reinitialiser-mot-de-passe?jeton=…'
"""

from __future__ import annotations

from urllib.parse import urlencode

from segur_app.core.config import get_settings


def absolute_url(route: str, **query: str | int | None) -> str:
    """The public address of ``route``, with ``query`` url-encoded (``None`` values
    left out). ``route`` is a constant of :mod:`segur_app.routes`."""
    if not route.startswith("/"):
        raise ValueError(f"not a route of segur_app.routes: {route!r}")
    url = get_settings().public_url.rstrip("/") + route
    present = {key: value for key, value in query.items() if value is not None}
    return f"{url}?{urlencode(present)}" if present else url

