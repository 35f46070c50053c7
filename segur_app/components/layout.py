"""The page frame shared by every screen: skip links, header, main, footer."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from segur_app.components.footer import FOOTER_ID, footer
from segur_app.components.header import PUBLIC_SHORTCUTS, Shortcut, header
from segur_app.components.links import anchor
from segur_app.components.navigation import NAVIGATION_ID, PUBLIC_NAVIGATION, NavEntry

CONTENT_ID = "contenu"

SKIP_LINKS: tuple[tuple[str, str], ...] = (
    ("Contenu", CONTENT_ID),
    ("Menu", NAVIGATION_ID),
    ("Pied de page", FOOTER_ID),
)


def skip_links() -> rx.Component:
    """DSFR « Accès rapide » links, visible when they receive the focus."""
    return rx.el.div(
        rx.el.nav(
            rx.el.ul(
                *[
                    rx.el.li(anchor(label, href=f"#{target}", class_name="fr-link"))
                    for label, target in SKIP_LINKS
                ],
                class_name="fr-skiplinks__list",
            ),
            class_name="fr-container",
            aria_label="Accès rapide",
        ),
        class_name="fr-skiplinks",
    )


def layout(
    *content: rx.Component,
    current_route: str,
    navigation: tuple[NavEntry, ...] = PUBLIC_NAVIGATION,
    shortcuts: tuple[Shortcut, ...] = PUBLIC_SHORTCUTS,
    tools: Callable[[], rx.Component] | None = None,
) -> rx.Component:
    """Wrap ``content`` in the portal frame; ``current_route`` marks the nav."""
    return rx.fragment(
        skip_links(),
        header(navigation, shortcuts, current_route, tools),
        # tabIndex=-1: the « Contenu » skip link can move the focus here.
        rx.el.main(*content, id=CONTENT_ID, tab_index=-1, class_name="segur-main"),
        footer(current_route),
    )
