"""Small text helpers for content pages (sections, lists, breadcrumb...)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.links import internal_link

Child = rx.Component | str


def breadcrumb(current_label: str, home_route: str = routes.HOME) -> rx.Component:
    """DSFR « fil d'Ariane »: Accueil > current page (always displayed)."""
    return rx.el.nav(
        rx.el.ol(
            rx.el.li(internal_link("Accueil", href=home_route, class_name="fr-breadcrumb__link")),
            rx.el.li(
                rx.el.span(current_label, class_name="fr-breadcrumb__link", aria_current="page")
            ),
            class_name="fr-breadcrumb__list",
        ),
        class_name="fr-breadcrumb",
        aria_label="vous êtes ici :",
    )


def section(title: str, *children: Child, level: int = 2, **props) -> rx.Component:
    """A titled ``<section>`` (``h2`` by default, ``h3`` with ``level=3``)."""
    heading = rx.el.h2 if level == 2 else rx.el.h3
    spacing = "fr-mb-6w" if level == 2 else "fr-mb-4w"
    return rx.el.section(heading(title), *children, class_name=spacing, **props)


def paragraph(*children: Child, **props) -> rx.Component:
    return rx.el.p(*children, **props)


def bullet_list(*items: Child) -> rx.Component:
    return rx.el.ul(*[rx.el.li(item) for item in items])


def definition(term: str, *description: Child) -> rx.Component:
    """A « term : description » list item, the term in bold."""
    return rx.el.li(rx.el.strong(term), " : ", *description)
