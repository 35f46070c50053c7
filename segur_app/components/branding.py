"""The portal's identity: Marianne block, ASP operator, service name."""

from __future__ import annotations

import reflex as rx

from segur_app.frontend import dsfr_logo
from segur_app.frontend.dsfr_bundle import DSFR_DIR

SITE_NAME = "Portail SEGUR Numérique"
OPERATOR_ACRONYM = "ASP"
OPERATOR_NAME = "Agence de Services et de Paiement"
STATE_NAME = "République Française"
COPYRIGHT = "©SEGURNUM 2023"

# Title of the links back to the home page (DSFR: service - operator - State).
HOME_LINK_TITLE = f"Accueil - {SITE_NAME} - {OPERATOR_NAME} - {STATE_NAME}"


def _svg(node: dsfr_logo.SvgNode, extra_attrs: dict[str, str] | None = None, **props) -> rx.Component:
    factory = rx.el.svg if node.tag == "svg" else getattr(rx.el.svg, node.tag)
    return factory(*(_svg(child) for child in node.children),
                   custom_attrs={**dict(node.attrs), **(extra_attrs or {})}, **props)


def _logo_image(node: dsfr_logo.SvgNode, class_name: str) -> rx.Component:
    """A drawing of the block, hidden from assistive technologies (the words
    « République Française » are the block's text)."""
    return _svg(node, {"aria-hidden": "true", "focusable": "false"}, class_name=class_name)


@rx.memo
def marianne_block() -> rx.Component:
    """The official « République Française » block: the DSFR's ``.fr-logo``,
    its Marianne and devise drawn inline (segur_app/frontend/dsfr_logo.py).
    A memo component: the drawings are compiled once, in a module every page
    shares, not into each page (the header and the footer both show it)."""
    return rx.el.p(
        _logo_image(dsfr_logo.marianne(DSFR_DIR), "segur-logo__marianne"),
        "République", rx.el.br(), "Française",
        _logo_image(dsfr_logo.devise(DSFR_DIR), "segur-logo__devise"),
        class_name="fr-logo",
    )


def operator_logo() -> rx.Component:
    """The ASP identity, as text (no image: crisp, translatable, accessible)."""
    return rx.el.p(
        rx.el.span(OPERATOR_ACRONYM, class_name="segur-operator__acronym"),
        rx.el.span(
            "Agence de Services", rx.el.br(), "et de Paiement", class_name="segur-operator__name"
        ),
        class_name="segur-operator",
    )

OPERATOR_STREET = "2 rue du Maupas"
OPERATOR_CITY = "87040 Limoges Cedex 1"
OPERATOR_WEBSITE = "https://www.asp.gouv.fr"


def operator_address() -> rx.Component:
    """The ASP postal address, as an ``<address>`` block."""
    return rx.el.address(OPERATOR_NAME, rx.el.br(), OPERATOR_STREET, rx.el.br(), OPERATOR_CITY)
