"""The private portal frame: user block in the header, menus, guarded pages.

``private_page`` is ``template`` for logged-in screens: it runs the session
guard on load (suppliers, staff or both), shows the user's name, role and
« Se déconnecter » in the header, and renders the page body only once the
guard has accepted the session (nothing private flashes before that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from segur_app import routes
from segur_app.components.forms import native_form
from segur_app.components.navigation import NavEntry, NavLink, NavMenu
from segur_app.components.template import template
from segur_app.domain.access import Audience
from segur_app.state.base import SessionState

SUPPLIER_NAVIGATION: tuple[NavEntry, ...] = (
    NavLink("Accueil", routes.PRIVATE_HOME),
    NavLink("Enrôlement", routes.ENROLMENT_TRACKING),
    NavMenu(
        "Demande de financement",
        (
            NavLink("Ma demande d'avance", routes.FUNDING_ADVANCE),
            NavLink("Ma demande de solde", routes.FUNDING_BALANCE),
            NavLink("Suivi de ma demande de financement", routes.FUNDING_TRACKING),
        ),
    ),
    NavLink("Mon compte", routes.ACCOUNT),
    NavMenu(
        "Besoin d'aide ?",
        (
            NavLink("Aide et guide utilisateur", routes.HELP),
            NavLink("Contacter l'assistance", routes.ASSISTANCE),
            NavLink("Mes demandes d'assistance", routes.MY_TICKETS),
        ),
    ),
)

STAFF_NAVIGATION: tuple[NavEntry, ...] = (
    NavLink("Tableau de bord", routes.STAFF_HOME),
    NavLink("Demandes de financement", routes.STAFF_FUNDING_REQUESTS),
    NavLink("Enrôlements", routes.STAFF_ENROLMENTS),
    NavLink("Actualités", routes.STAFF_NEWS),
    NavLink("Assistance", routes.STAFF_ASSISTANCE),
    NavLink("Mon compte", routes.ACCOUNT),
)


_GUARDS = {
    Audience.SUPPLIER: SessionState.require_supplier,
    Audience.STAFF: SessionState.require_staff,
    Audience.USER: SessionState.require_user,
}


@dataclass(frozen=True)
class PrivatePage:
    route: str
    audience: Audience
    first_load: Any  # the event handler that checks the session on load


# Every private page as registered (tests check each first loader's audience).
PRIVATE_PAGES: list[PrivatePage] = []


def user_tools() -> rx.Component:
    """Header block: « Eishiro ODA », « Fournisseur SAS », « Se déconnecter »."""
    return rx.el.ul(
        rx.el.li(
            rx.el.p(
                rx.el.span(SessionState.user_name, class_name="segur-user__name"),
                rx.el.span(SessionState.role_label, class_name="segur-user__role"),
                class_name="segur-user fr-icon-account-circle-line",
            )
        ),
        rx.el.li(
            # A real form POST: api/session.py revokes the session, clears the
            # HttpOnly cookie and the tab's storage, then redirects.
            native_form(
                rx.el.button(
                    "Se déconnecter",
                    type="submit",
                    class_name="fr-btn fr-icon-logout-box-r-line",
                ),
                route=routes.SESSION_LOGOUT,
                label="Déconnexion",
                class_name="segur-logout",
            )
        ),
        class_name="fr-btns-group",
    )


def _only_when_authenticated(body: rx.Component) -> rx.Component:
    return rx.cond(
        SessionState.authenticated,
        body,
        rx.el.div(
            rx.el.p("Chargement de votre espace…", class_name="fr-text--lg"),
            class_name="fr-container fr-py-8w",
            role="status",
        ),
    )


def private_page(
    route: str,
    title: str,
    *,
    audience: Audience = Audience.SUPPLIER,
    heading: str | rx.Var | None = None,
    on_load: Any = None,
    guard: Any = None,
    navigation: tuple[NavEntry, ...] | None = None,
    with_breadcrumb: bool = True,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a logged-in screen; ``on_load`` runs after the session guard.

    ``guard`` replaces the audience's default guard (first-login screens,
    which must accept users who have not finished their first login).
    """
    # The page's own loader is a guarded handler (tests/test_authorisation_matrix.py
    # makes sure): it checks the session itself, so the audience's guard runs only
    # for pages without one — one event, one policy check per page load.
    loads = on_load if isinstance(on_load, list) else [on_load] if on_load is not None else []
    if guard is not None or not loads:
        loads = [guard or _GUARDS[audience], *loads]
    PRIVATE_PAGES.append(PrivatePage(route, audience, loads[0]))
    if navigation is None:
        navigation = STAFF_NAVIGATION if audience is Audience.STAFF else SUPPLIER_NAVIGATION
    return template(
        route=route,
        title=title,
        heading=heading,
        on_load=loads,
        navigation=navigation,
        tools=user_tools,
        home_route=routes.STAFF_HOME if audience is Audience.STAFF else routes.PRIVATE_HOME,
        with_breadcrumb=with_breadcrumb,
        wrap=_only_when_authenticated,
    )
