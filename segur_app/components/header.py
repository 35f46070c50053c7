"""DSFR header: Marianne + ASP identity, service name, shortcuts, navigation.

On small screens the navigation lives in a DSFR ``fr-modal`` opened by the
« Menu » button through the native Popover API (``popovertarget``): it opens
with the keyboard, closes with Escape or « Fermer », and needs no JavaScript.
On large screens the DSFR stylesheet displays the same block inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx

from segur_app import routes
from segur_app.components.branding import (
    HOME_LINK_TITLE,
    SITE_NAME,
    marianne_block,
    operator_logo,
)
from segur_app.components.links import internal_link
from segur_app.components.navigation import NavEntry, main_navigation


@dataclass(frozen=True)
class Shortcut:
    """A header « raccourci » (top right on desktop, in the menu on mobile)."""

    label: str
    href: str
    icon: str


PUBLIC_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("Se connecter", routes.LOGIN, "account-circle-line"),
)

MENU_ID = "menu-principal"
MENU_BUTTON_ID = "bouton-menu-principal"


def _menu_toggle(label: str, action: str, **props) -> rx.Component:
    return rx.el.button(
        label,
        type="button",
        title=label,
        custom_attrs={"popoverTarget": MENU_ID, "popoverTargetAction": action},
        **props,
    )


def _brand() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.div(marianne_block(), class_name="fr-header__logo"),
            rx.el.div(operator_logo(), class_name="fr-header__operator"),
            rx.el.div(
                _menu_toggle(
                    "Menu", "show", id=MENU_BUTTON_ID, class_name="fr-btn--menu fr-btn"
                ),
                class_name="fr-header__navbar",
            ),
            class_name="fr-header__brand-top",
        ),
        rx.el.div(
            internal_link(
                rx.el.p(SITE_NAME, class_name="fr-header__service-title"),
                href=routes.HOME,
                title=HOME_LINK_TITLE,
            ),
            class_name="fr-header__service",
        ),
        class_name="fr-header__brand fr-enlarge-link",
    )


def _shortcuts(shortcuts: tuple[Shortcut, ...]) -> rx.Component:
    return rx.el.ul(
        *[
            rx.el.li(
                internal_link(
                    shortcut.label,
                    href=shortcut.href,
                    class_name=f"fr-btn fr-icon-{shortcut.icon}",
                )
            )
            for shortcut in shortcuts
        ],
        class_name="fr-btns-group",
    )


def _tools(links: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.div(links, class_name="fr-header__tools-links"),
        class_name="fr-header__tools",
    )


def _menu(
    navigation: tuple[NavEntry, ...], links: rx.Component, current_route: str
) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            _menu_toggle("Fermer", "hide", class_name="fr-btn--close fr-btn"),
            # Mobile copy of the shortcuts (hidden by the DSFR on large screens).
            rx.el.div(links, class_name="fr-header__menu-links"),
            main_navigation(navigation, current_route),
            class_name="fr-container",
        ),
        id=MENU_ID,
        class_name="fr-header__menu fr-modal",
        aria_labelledby=MENU_BUTTON_ID,
        custom_attrs={"popover": "auto"},
    )


def header(
    navigation: tuple[NavEntry, ...],
    shortcuts: tuple[Shortcut, ...],
    current_route: str,
    tools: Callable[[], rx.Component] | None = None,
) -> rx.Component:
    """The site header (``banner`` landmark).

    ``tools`` (private pages) replaces the shortcut links by its own block,
    e.g. the logged-in user's name and « Se déconnecter ».
    """
    links = tools or (lambda: _shortcuts(shortcuts))
    return rx.el.header(
        rx.el.div(
            rx.el.div(
                rx.el.div(_brand(), _tools(links()), class_name="fr-header__body-row"),
                class_name="fr-container",
            ),
            class_name="fr-header__body",
        ),
        _menu(navigation, links(), current_route),
        class_name="fr-header",
    )
