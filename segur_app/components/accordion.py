"""DSFR accordions built on native ``<details>``/``<summary>``.

They open and close with the mouse or the keyboard (Enter/Space on the
summary) without JavaScript; ``assets/segur.css`` gives the open state the
DSFR look (``aria-expanded=true`` styles).
"""

from __future__ import annotations

import reflex as rx


def accordion(title: str, *content: rx.Component | str) -> rx.Component:
    """One collapsible item: ``title`` is the always visible summary."""
    return rx.el.details(
        rx.el.summary(title, class_name="fr-accordion__btn"),
        rx.el.div(*content, class_name="fr-collapse fr-collapse--expanded"),
        class_name="fr-accordion",
    )


def accordions_group(*items: rx.Component) -> rx.Component:
    """Consecutive accordions sharing their borders."""
    return rx.el.div(*items, class_name="fr-accordions-group")
