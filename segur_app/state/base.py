"""The shared base state: who is logged in, and the authorisation guards.

Every feature state inherits :class:`SessionState` and calls one of its
guards at the top of EVERY event handler (not only in ``on_load``): the
browser's cookie holds a random token, the session itself lives in the
database and is checked again each time (revoked, idle or too old sessions
are refused).

Only display values (name, role label) are public vars; the user id lives in
a backend-only var and no hash or other secret ever reaches the browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.core.security import SESSION_COOKIE
from segur_app.domain import accounts
from segur_app.domain.models import Role, UserAccount

T = TypeVar("T")

MSG_LOGIN_REQUIRED = "Veuillez vous connecter pour accéder à votre espace personnel."
MSG_SESSION_EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."
MSG_LOGGED_OUT = "Vous êtes déconnecté."

# Where a logged-in user must go for each step of accounts.next_step().
STEP_ROUTES = {
    "change_password": routes.FIRST_LOGIN_PASSWORD,
    "secret_question": routes.FIRST_LOGIN_SECRET_QUESTION,
}


@dataclass(frozen=True)
class CurrentUser:
    """A detached snapshot of the logged-in user, safe to keep in handlers."""

    id: int
    identifiant: str
    display_name: str
    role: str
    supplier_id: int | None
    next_step: str

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF.value

    @property
    def home_route(self) -> str:
        if self.next_step in STEP_ROUTES:
            return STEP_ROUTES[self.next_step]
        return routes.STAFF_HOME if self.is_staff else routes.PRIVATE_HOME


def snapshot(user: UserAccount) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        identifiant=user.identifiant,
        display_name=user.display_name,
        role=user.role,
        supplier_id=user.supplier_id,
        next_step=accounts.next_step(user),
    )


async def in_transaction(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one committed transaction, off the event loop."""

    def run() -> T:
        with session_scope() as session:
            return work(session)

    return await asyncio.to_thread(run)


def resolve_user(session: Session, token: str) -> tuple[UserAccount | None, CurrentUser | None]:
    found = accounts.resolve_session(session, token)
    if found is None:
        return None, None
    return found[1], snapshot(found[1])


class SessionState(rx.State):
    """Base of every state: the session cookie and the guards."""

    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        same_site="strict",
        max_age=int(accounts.SESSION_ABSOLUTE_TIMEOUT.total_seconds()),
        secure=get_settings().public_url.startswith("https://"),
    )
    # Display only.
    authenticated: bool = False
    user_name: str = ""
    user_identifiant: str = ""
    role_label: str = ""
    is_staff: bool = False
    # One-shot message shown on the login screen (expired session, logout...).
    notice: str = ""

    # Backend-only (never sent to the browser).
    _user_id: int | None = None

    # -- helpers -------------------------------------------------------------

    def _client(self) -> dict[str, str | None]:
        return {
            "client_address": self.router.session.client_ip or None,
            "user_agent": (self.router.headers.user_agent or "")[:255] or None,
        }

    def _remember(self, user: CurrentUser) -> None:
        self.authenticated = True
        self._user_id = user.id
        self.user_name = user.display_name
        self.user_identifiant = user.identifiant
        self.role_label = Role(user.role).label
        self.is_staff = user.is_staff

    def _forget(self) -> None:
        self.authenticated = False
        self._user_id = None
        self.user_name = self.user_identifiant = self.role_label = ""
        self.is_staff = False

    async def _current_user(self) -> CurrentUser | None:
        token = self.session_token
        _, user = await in_transaction(lambda s: resolve_user(s, token))
        return user

    async def _guard(
        self, *, staff: bool | None = None, steps: tuple[str, ...] = ("home",)
    ) -> tuple[CurrentUser | None, Any]:
        """Check the session (and role, and first-login step) again.

        Returns ``(user, None)`` when allowed, else ``(None, redirect)`` — the
        handler must return that redirect at once.
        ``staff``: True = staff only, False = suppliers only, None = both.
        """
        user = await self._current_user()
        if user is None:
            if not self.notice:  # keep a more precise message (e.g. just logged out)
                self.notice = (
                    MSG_SESSION_EXPIRED if self.authenticated or self.session_token
                    else MSG_LOGIN_REQUIRED
                )
            self._forget()
            self.session_token = ""
            return None, rx.redirect(routes.LOGIN)
        self._remember(user)
        if user.next_step not in steps:
            return None, rx.redirect(user.home_route)
        if staff is not None and user.is_staff != staff:
            route = self.router.url.path
            address = self._client()["client_address"]
            await in_transaction(
                lambda s: accounts.audit(
                    s, "access_refused", actor_user_id=user.id, client_address=address,
                    route=route,
                )
            )
            return None, rx.redirect(user.home_route)
        return user, None

    # -- on_load guards --------------------------------------------------------

    @rx.event
    async def require_supplier(self):
        _, redirect = await self._guard(staff=False)
        return redirect

    @rx.event
    async def require_staff(self):
        _, redirect = await self._guard(staff=True)
        return redirect

    @rx.event
    async def require_user(self):
        _, redirect = await self._guard()
        return redirect

    @rx.event
    async def redirect_if_logged_in(self):
        """Public access screens: a logged-in user goes straight to their space."""
        user = await self._current_user()
        if user is not None:
            self._remember(user)
            return rx.redirect(user.home_route)
        self._forget()
        return None

    # -- logout ------------------------------------------------------------------

    @rx.event
    async def logout(self):
        token = self.session_token
        await in_transaction(lambda s: accounts.revoke_session(s, token))
        self._forget()
        self.session_token = ""
        self.notice = MSG_LOGGED_OUT
        return [rx.remove_cookie(SESSION_COOKIE, {"path": "/"}), rx.redirect(routes.LOGIN)]
