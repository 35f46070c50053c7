"""The session as both web layers see it (``api/`` and ``state/`` import this,
never each other): the cookie's name, the header the websocket handshake
carries instead of the cookie, where a user lands, the login page's messages.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from urllib.parse import urlencode

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core import db
from segur_app.core.security import session_cookie_name
from segur_app.domain import access
from segur_app.domain.access import Audience, Decision, Principal
from segur_app.domain.accounts import first_login, login

AUTH_SCHEME = "SegurSession"
# Messages of the login page, by the code carried in LOGIN_MESSAGE_PARAM:
# the redirect never carries free text.
MSG_FILL_LOGIN = "Veuillez saisir votre identifiant et votre mot de passe."
MSG_LOGGED_OUT = "Vous êtes déconnecté."
MSG_SESSION_EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."
MSG_LOGIN_REQUIRED = "Veuillez vous connecter pour accéder à votre espace personnel."
MSG_PASSWORD_CHANGED = "Votre mot de passe a été modifié. Vous pouvez vous connecter."
MSG_REFUSED = "La connexion a été refusée. Veuillez réessayer depuis cette page."
LOGIN_ERRORS = {
    "echec": login.MSG_BAD_CREDENTIALS,
    "verrouille": login.MSG_BAD_CREDENTIALS_LOCKED,
    "trop-de-tentatives": login.MSG_THROTTLED,
    "provisoire-expire": login.MSG_TEMPORARY_EXPIRED,
    "incomplet": MSG_FILL_LOGIN,
    "refuse": MSG_REFUSED,
}
LOGIN_NOTICES = {
    "deconnecte": MSG_LOGGED_OUT,
    "expiree": MSG_SESSION_EXPIRED,
    "connexion-requise": MSG_LOGIN_REQUIRED,
    "mot-de-passe-modifie": MSG_PASSWORD_CHANGED,
}
CODE_OF_ERROR = {message: code for code, message in LOGIN_ERRORS.items()}


def cookie_name() -> str:
    return session_cookie_name(secure=get_settings().is_https)


def home_route(principal: Principal) -> str:
    """Where a logged-in user goes: the pending first-login step, else their home."""
    if principal.next_step == first_login.STEP_CHANGE_PASSWORD:
        return routes.FIRST_LOGIN_PASSWORD
    if principal.next_step == first_login.STEP_SECRET_QUESTION:
        return routes.FIRST_LOGIN_SECRET_QUESTION
    return routes.STAFF_HOME if principal.is_staff else routes.PRIVATE_HOME


def login_url(code: str) -> str:
    return f"{routes.LOGIN}?{urlencode({routes.LOGIN_MESSAGE_PARAM: code})}"


def key_from_authorization(value: str) -> str:
    """The session key of a header written by ``api.session.SessionHandshake``."""
    scheme, _, key = (value or "").partition(" ")
    return key if scheme == AUTH_SCHEME else ""


# --- the access policy for one request or event ----------------------------------


async def decide(
    key: str, audience: Audience, *, route: str | None = None, client_address: str | None = None,
) -> Decision:
    """The access policy for one event: from the process cache when it can
    (``access.cached_decision``: one primary-key read, on the event loop for
    SQLite, whose reads never wait in WAL mode), else the full check."""
    engine = db.get_engine()
    if engine.dialect.name == "sqlite":
        decision = access.cached_decision(engine, session_key=key, audience=audience)
    else:
        decision = await asyncio.to_thread(
            access.cached_decision, engine, session_key=key, audience=audience
        )
    if decision is not None:
        return decision

    def full_check() -> Decision:
        with db.session_scope() as session:
            return access.authorise(
                session, session_key=key, audience=audience, route=route,
                client_address=client_address,
            )

    return await asyncio.to_thread(full_check)


# --- uploads in flight -------------------------------------------------------------
# Reflex runs an upload (``POST /_upload``) in the tab named by its
# ``Reflex-Client-Token`` header, with the router data of that tab's last
# websocket event: the upload's own cookie would be ignored. The handshake
# middleware records the session key of each upload in flight here (per
# process: the worker that receives the request runs its event), and
# ``state.binding.TabBinding`` refuses an upload whose key is not the one the
# tab is bound to.
_UPLOADS: defaultdict[str, Counter] = defaultdict(Counter)


def begin_upload(tab_token: str, key: str) -> None:
    _UPLOADS[tab_token][key] += 1


def end_upload(tab_token: str, key: str) -> None:
    keys = _UPLOADS.get(tab_token)
    if keys is None:
        return
    keys[key] -= 1
    if keys[key] <= 0:
        del keys[key]
    if not keys:
        del _UPLOADS[tab_token]


def upload_keys(tab_token: str) -> set[str]:
    """The session keys of the uploads in flight for a tab."""
    keys = _UPLOADS.get(tab_token)
    return set(keys) if keys else set()
