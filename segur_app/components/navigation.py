"""Main navigation: a data model (links and drop-down menus) and its DSFR view.

Drop-down menus are native ``<details>``/``<summary>`` disclosures styled as
DSFR ``fr-nav__btn``/``fr-menu``: they open with the mouse and the keyboard
(Enter/Space) without any JavaScript, even before React hydration.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from segur_app import routes
from segur_app.components.links import internal_link


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str


@dataclass(frozen=True)
class NavMenu:
    label: str
    links: tuple[NavLink, ...]

    def contains(self, route: str) -> bool:
        return any(link.href == route for link in self.links)


NavEntry = NavLink | NavMenu

PUBLIC_NAVIGATION: tuple[NavEntry, ...] = (
    NavLink("Accueil", routes.HOME),
    NavLink("Enrôlement", routes.ENROLMENT),
    NavLink("Simuler mon fichier json", routes.JSON_SIMULATION),
    NavLink("Questions fréquentes", routes.FAQ),
    NavLink("Contacter l'assistance", routes.ASSISTANCE),
)

NAVIGATION_ID = "navigation-principale"


def _current(is_current: bool, value: str = "page") -> dict[str, str]:
    return {"aria_current": value} if is_current else {}


def _nav_link(link: NavLink, current_route: str, class_name: str = "fr-nav__link") -> rx.Component:
    return internal_link(
        link.label,
        href=link.href,
        class_name=class_name,
        **_current(link.href == current_route),
    )


def _nav_menu(menu: NavMenu, current_route: str) -> rx.Component:
    return rx.el.details(
        rx.el.summary(
            menu.label,
            class_name="fr-nav__btn",
            **_current(menu.contains(current_route), "true"),
        ),
        rx.el.div(
            rx.el.ul(
                *[rx.el.li(_nav_link(link, current_route)) for link in menu.links],
                class_name="fr-menu__list",
            ),
            class_name="fr-collapse fr-collapse--expanded fr-menu",
        ),
        class_name="segur-nav__disclosure",
    )


def _nav_item(entry: NavEntry, current_route: str) -> rx.Component:
    content = (
        _nav_menu(entry, current_route)
        if isinstance(entry, NavMenu)
        else _nav_link(entry, current_route)
    )
    return rx.el.li(content, class_name="fr-nav__item")


def main_navigation(entries: tuple[NavEntry, ...], current_route: str) -> rx.Component:
    """The DSFR ``fr-nav`` bar; the entry matching ``current_route`` is marked."""
    return rx.el.nav(
        rx.el.ul(
            *[_nav_item(entry, current_route) for entry in entries],
            class_name="fr-nav__list",
        ),
        id=NAVIGATION_ID,
        class_name="fr-nav",
        aria_label="Menu principal",
    )
