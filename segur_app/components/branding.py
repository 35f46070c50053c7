"""The portal's identity: Marianne block, ASP operator, service name."""

from __future__ import annotations

import reflex as rx

SITE_NAME = "Portail SEGUR Numérique"
OPERATOR_ACRONYM = "ASP"
OPERATOR_NAME = "Agence de Services et de Paiement"
STATE_NAME = "République Française"
COPYRIGHT = "©SEGURNUM 2023"

# Title of the links back to the home page (DSFR: service - operator - State).
HOME_LINK_TITLE = f"Accueil - {SITE_NAME} - {OPERATOR_NAME} - {STATE_NAME}"


def marianne_block() -> rx.Component:
    """The official « République Française » block (Marianne drawn by the DSFR)."""
    return rx.el.p("République", rx.el.br(), "Française", class_name="fr-logo")


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
