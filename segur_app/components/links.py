"""Links: client-side links inside the portal, plain anchors, new-tab links.

``rx.el.a`` is React Router's ``Link`` in Reflex 0.10 (client-side
navigation); ``anchor`` is a raw ``<a>`` for in-page fragments (skip links)
and other sites, so that the browser's native behaviour (focus move, new tab)
is kept.
"""

from __future__ import annotations

import reflex as rx
from reflex.components.el.elements.inline import A

NEW_WINDOW = "nouvelle fenêtre"


def internal_link(*children: rx.Component | str, href: str, **props) -> rx.Component:
    """A link to a page of the portal (client-side navigation, no reload)."""
    return rx.el.a(*children, href=href, **props)


def anchor(*children: rx.Component | str, href: str, **props) -> rx.Component:
    """A raw ``<a>``: in-page fragment (``#contenu``) or document link."""
    return A.create(*children, href=href, **props)


def external_link(
    *children: rx.Component | str, href: str, title: str, **props
) -> rx.Component:
    """A link opening another site in a new tab; ``title`` names the target."""
    return anchor(
        *children,
        href=href,
        target="_blank",
        rel="noopener external",
        title=f"{title} - {NEW_WINDOW}",
        **props,
    )


def button_link(
    text: str, href: str, *, icon: str | None = None, variant: str = "", size: str = ""
) -> rx.Component:
    """An internal link looking like a DSFR button.

    ``variant``: "" (primary), "secondary", "tertiary"; ``size``: "", "sm", "lg";
    ``icon``: a DSFR icon name such as "account-circle-line".
    """
    classes = ["fr-btn"]
    classes += [f"fr-btn--{modifier}" for modifier in (variant, size) if modifier]
    if icon:
        classes += [f"fr-icon-{icon}", "fr-btn--icon-left"]
    return internal_link(text, href=href, class_name=" ".join(classes))


def arrow_link(text: str, href: str) -> rx.Component:
    """A DSFR link preceded by a right arrow (the guide's « → » links)."""
    return internal_link(
        text,
        href=href,
        class_name="fr-link fr-icon-arrow-right-line fr-link--icon-left",
    )
