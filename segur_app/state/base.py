"""The shared base state and the one way handlers declare who they are for.

Every event handler of every state declares its audience with a decorator:

    @guarded(Audience.STAFF)
    async def validate(self): ...       # principal() is the logged-in agent

    @public
    def toggle_menu(self): ...

``guarded`` runs ``domain.access.authorise`` (the same policy as the HTTP
routes) before the handler, with the session key of the websocket handshake
(``api.session.SessionHandshake``: the raw token never reaches Reflex), and
answers a refusal with a redirect. ``tests/test_authorisation_matrix.py``
enumerates every handler of the state tree and fails on one that declares
nothing.

The session itself lives in the database; the browser's HttpOnly cookie is
set and cleared by ``api.session`` (login and logout are HTTP form POSTs).
When the session a tab was filled for is gone (logout, expiry, revocation,
another login), :mod:`segur_app.state.binding` resets every state of the tab.

Only display values (name, role label) are public vars; the user's identity
for a handler comes from :func:`principal`, never from the browser.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from segur_app import routes
from segur_app.core.session import (
    MSG_LOGIN_REQUIRED,
    decide,
    MSG_SESSION_EXPIRED,
    home_route,
    key_from_authorization,
)
from segur_app.core.client_address import client_address
from segur_app.core.db import session_scope
from segur_app.domain.access import AUDIENCE_ATTRIBUTE, Audience, Decision, Outcome, Principal
from segur_app.domain.models import Role

T = TypeVar("T")

_PRINCIPAL: ContextVar[Principal | None] = ContextVar("segur_principal", default=None)


def principal() -> Principal:
    """The user a ``guarded`` handler runs for (only valid inside one)."""
    current = _PRINCIPAL.get()
    if current is None:
        raise RuntimeError("principal() outside a guarded handler")
    return current


async def in_transaction(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one committed transaction, off the event loop."""

    def run() -> T:
        with session_scope() as session:
            return work(session)

    return await asyncio.to_thread(run)


def _declare(fn: Callable, audience: Audience, *, background: bool = False) -> Callable:
    setattr(fn, AUDIENCE_ATTRIBUTE, audience)
    return rx.event(fn, background=True) if background else rx.event(fn)


def public(fn: Callable) -> Callable:
    """A handler anyone may run (it must not touch private data)."""
    return _declare(fn, Audience.PUBLIC)


def public_background(fn: Callable) -> Callable:
    """A background task anyone may start (``async with self`` to change the
    state; it must not touch private data)."""
    return _declare(fn, Audience.PUBLIC, background=True)


def guarded(audience: Audience, *, background: bool = False) -> Callable[[Callable], Callable]:
    """A handler that runs only once the access policy allows ``audience``.

    ``background=True``: a Reflex background event (long work, e.g. a deposit),
    which runs WITHOUT its tab's state lock — with Redis that lock expires
    (``redis_lock_expiration``, rxconfig.py). The policy check runs inside one
    ``async with self`` block; the handler (a coroutine) must itself read and
    write its state only inside short ``async with self`` blocks and do the
    slow work between them.
    """

    def decorate(fn: Callable) -> Callable:
        if background:
            if not inspect.iscoroutinefunction(fn):
                raise TypeError(f"{fn.__qualname__}: a background handler is an async def")

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                async with self:
                    refusal = await self._authorise(audience)
                if refusal is not None:
                    return refusal
                return await fn(self, *args, **kwargs)

            return _declare(wrapper, audience, background=True)
        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                refusal = await self._authorise(audience)
                if refusal is not None:
                    yield refusal
                    return
                async for update in fn(self, *args, **kwargs):
                    yield update

        else:

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                refusal = await self._authorise(audience)
                if refusal is not None:
                    return refusal
                result = fn(self, *args, **kwargs)
                return await result if inspect.isawaitable(result) else result

        return _declare(wrapper, audience)

    return decorate


class SessionState(rx.State):
    """Base of every state: who is logged in (display only), the policy check."""

    # Display only.
    authenticated: bool = False
    user_name: str = ""
    user_identifiant: str = ""
    role_label: str = ""
    is_staff: bool = False
    # One-shot message shown on the login screen (expired session...).
    notice: str = ""

    # Backend-only: the session key this tab's states were filled for
    # (segur_app.state.binding compares it with the key of every event).
    _bound_key: str = ""

    # -- helpers -------------------------------------------------------------

    def _session_key(self) -> str:
        return key_from_authorization(self.router.headers.raw_headers.get("authorization", ""))

    def _client(self) -> dict[str, str | None]:
        return {
            # X-Forwarded-For only through SEGUR_TRUSTED_PROXIES (core/client_address.py).
            "client_address": client_address(
                self.router.session.client_ip or None, self.router.headers.raw_headers
            ),
            "user_agent": (self.router.headers.user_agent or "")[:255] or None,
        }

    def _remember(self, user: Principal) -> None:
        shown = {
            "authenticated": True,
            "user_name": user.display_name,
            "user_identifiant": user.identifiant,
            "role_label": Role(user.role).label,
            "is_staff": user.is_staff,
        }
        self._assign_changed(**shown)

    def _assign_changed(self, **values) -> None:
        """Assign only the vars whose value changes: Reflex marks a var dirty on
        every assignment, and a dirty var is sent to the tab (and the state
        persisted) after the event — on every guarded event or page load
        otherwise, unchanged."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    async def _policy(self, audience: Audience) -> Decision:
        key = self._session_key()
        route = self.router.url.path
        address = self._client()["client_address"]
        return await decide(key, audience, route=route, client_address=address)

    async def _visitor(self) -> Principal | None:
        """On public screens: the logged-in user, if any (never a redirect). A
        session that ended since the tab was filled wipes the tab first."""
        decision = await self._policy(Audience.PUBLIC)
        if decision.principal is None and self.authenticated:
            await wipe_tab(self, bound_key=self._session_key())
        elif decision.principal is not None:
            self._remember(decision.principal)
        return decision.principal

    async def _authorise(self, audience: Audience) -> Any:
        """None when allowed (and principal() set), else the redirect to return."""
        decision = await self._policy(audience)
        found = decision.principal
        if found is None and decision.outcome is not Outcome.ALLOWED:
            if self.authenticated or decision.outcome is Outcome.EXPIRED:
                await wipe_tab(self, bound_key=self._session_key())
            self.notice = (
                MSG_SESSION_EXPIRED if decision.outcome is Outcome.EXPIRED else MSG_LOGIN_REQUIRED
            )
            return rx.redirect(routes.LOGIN)
        if found is not None:
            if self.authenticated and (
                self.user_identifiant != found.identifiant or self.is_staff != found.is_staff
            ):  # another user, or the role changed: nothing of before may stay
                await wipe_tab(self, bound_key=self._session_key())
            self._remember(found)
        if not decision.allowed:
            return rx.redirect(home_route(found))
        _PRINCIPAL.set(found)
        return None

    # -- on_load guards of the private pages ------------------------------------

    @guarded(Audience.SUPPLIER)
    def require_supplier(self):
        return None

    @guarded(Audience.STAFF)
    def require_staff(self):
        return None

    @guarded(Audience.USER)
    def require_user(self):
        return None

    @public
    async def redirect_if_logged_in(self):
        """Public access screens: a logged-in user goes straight to their space."""
        found = await self._visitor()
        return None if found is None else rx.redirect(home_route(found))


def state_tree(cls: type[rx.State] | None = None) -> list[type[rx.State]]:
    """Every state class of the portal: SessionState and all its substates."""
    cls = cls or SessionState
    found = [cls]
    for sub in sorted(cls.get_substates(), key=lambda sub: sub.__name__):
        found.extend(state_tree(sub))
    return found


async def wipe_tab(state: rx.State, *, bound_key: str) -> None:
    """Reset every state of the tab (the whole tree under SessionState, loaded
    first, so a state added tomorrow is reset too), then bind it to ``bound_key``."""
    root = state._get_root_state()
    for cls in state_tree():
        await root.get_state(cls)
    base = await root.get_state(SessionState)
    base.reset()
    base._bound_key = bound_key
