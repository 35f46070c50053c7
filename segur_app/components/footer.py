"""DSFR footer: identity, State sites, partners, legal links."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from segur_app import routes
from segur_app.components.branding import (
    COPYRIGHT,
    OPERATOR_NAME,
    SITE_NAME,
    STATE_NAME,
    marianne_block,
    operator_logo,
)
from segur_app.components.links import external_link, internal_link
from segur_app.components.navigation import NavLink

FOOTER_ID = "pied-de-page"

DESCRIPTION = (
    f"Le {SITE_NAME} est le portail de l'{OPERATOR_NAME} (ASP) dédié aux "
    "fournisseurs SAS référencés Ségur auprès de l'Agence du Numérique en Santé : "
    "enrôlement et demandes de financement à l'équipement numérique."
)

STATE_SITES: tuple[NavLink, ...] = (
    NavLink("legifrance.gouv.fr", "https://www.legifrance.gouv.fr"),
    NavLink("gouvernement.fr", "https://www.gouvernement.fr"),
    NavLink("service-public.fr", "https://www.service-public.fr"),
    NavLink("data.gouv.fr", "https://www.data.gouv.fr"),
)

BOTTOM_LINKS: tuple[NavLink, ...] = (
    NavLink("Plan du site", routes.SITEMAP),
    NavLink("Accessibilité", routes.ACCESSIBILITY),
    NavLink("Mentions légales", routes.LEGAL),
    NavLink("CGU", routes.CGU),
)


@dataclass(frozen=True)
class Partner:
    name: str
    tagline: str = ""


MAIN_PARTNER = Partner("Agence du Numérique en Santé")
OTHER_PARTNERS: tuple[Partner, ...] = (
    Partner("Financé par l'Union européenne", "NextGenerationEU"),
    Partner("CNSA", "Caisse nationale de solidarité pour l'autonomie"),
    Partner("l'Assurance Maladie", "Agir ensemble, protéger chacun"),
)


def _brand() -> rx.Component:
    return rx.el.div(
        marianne_block(),
        internal_link(
            operator_logo(),
            href=routes.HOME,
            title=f"Retour à l'accueil du site - {SITE_NAME} - {OPERATOR_NAME} - {STATE_NAME}",
            class_name="fr-footer__brand-link",
        ),
        class_name="fr-footer__brand fr-enlarge-link",
    )


def _content() -> rx.Component:
    return rx.el.div(
        rx.el.p(DESCRIPTION, class_name="fr-footer__content-desc"),
        rx.el.ul(
            *[
                rx.el.li(
                    external_link(
                        site.label,
                        href=site.href,
                        title=site.label,
                        class_name="fr-footer__content-link",
                    ),
                    class_name="fr-footer__content-item",
                )
                for site in STATE_SITES
            ],
            class_name="fr-footer__content-list",
        ),
        class_name="fr-footer__content",
    )


def _partner(partner: Partner) -> rx.Component:
    lines = [rx.el.span(partner.name, class_name="segur-partner__name")]
    if partner.tagline:
        lines.append(rx.el.span(partner.tagline, class_name="segur-partner__tagline"))
    return rx.el.p(*lines, class_name="segur-partner")


def _partners() -> rx.Component:
    return rx.el.div(
        rx.el.h2("Nos partenaires", class_name="fr-footer__partners-title"),
        rx.el.div(
            rx.el.div(_partner(MAIN_PARTNER), class_name="fr-footer__partners-main"),
            rx.el.div(
                rx.el.ul(*[rx.el.li(_partner(partner)) for partner in OTHER_PARTNERS]),
                class_name="fr-footer__partners-sub",
            ),
            class_name="fr-footer__partners-logos",
        ),
        class_name="fr-footer__partners",
    )


def _bottom(current_route: str) -> rx.Component:
    return rx.el.div(
        rx.el.ul(
            *[
                rx.el.li(
                    internal_link(
                        link.label,
                        href=link.href,
                        class_name="fr-footer__bottom-link",
                        **({"aria_current": "page"} if link.href == current_route else {}),
                    ),
                    class_name="fr-footer__bottom-item",
                )
                for link in BOTTOM_LINKS
            ],
            class_name="fr-footer__bottom-list",
        ),
        rx.el.div(rx.el.p(COPYRIGHT), class_name="fr-footer__bottom-copy"),
        class_name="fr-footer__bottom",
    )


def footer(current_route: str) -> rx.Component:
    """The site footer (``contentinfo`` landmark)."""
    return rx.el.footer(
        rx.el.div(
            rx.el.div(_brand(), _content(), class_name="fr-footer__body"),
            _partners(),
            _bottom(current_route),
            class_name="fr-container",
        ),
        id=FOOTER_ID,
        class_name="fr-footer",
    )
