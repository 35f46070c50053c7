"""Public home page (guide « 1. L'accès au portail privé », first screen)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.branding import SITE_NAME
from segur_app.components.content import paragraph, section
from segur_app.components.links import arrow_link, button_link, external_link
from segur_app.components.template import SitemapSection, template

ANS_SEGUR_URL = "https://esante.gouv.fr/segur"
OFFICIAL_PRESENTATION_URL = (
    "https://esante.gouv.fr/sites/default/files/media_entity/documents/"
    "Segur_ChantierD_DocCommun_VF.pdf"
)


def _home_block(title: str, *children: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h2(title, class_name="fr-h6 fr-mb-2w"),
            *children,
            class_name="segur-home-block",
        ),
        class_name="fr-col-12 fr-col-md-6 fr-col-lg-3",
    )


def _access_blocks() -> rx.Component:
    return rx.el.div(
        _home_block(
            "Accéder à mon espace personnel",
            button_link("Se connecter", routes.LOGIN, icon="account-circle-line", size="lg"),
        ),
        _home_block(
            "Vous n'avez pas de compte ?",
            button_link("Effectuer ma demande d'enrôlement", routes.ENROLMENT, variant="secondary"),
        ),
        _home_block(
            "Vous n'êtes pas encore référencé ?",
            button_link("Simuler mon fichier json", routes.JSON_SIMULATION, variant="secondary"),
        ),
        _home_block(
            "Besoin d'aide ?",
            rx.el.ul(
                rx.el.li(arrow_link("Consulter les questions fréquentes", routes.FAQ)),
                rx.el.li(arrow_link("Contacter l'assistance", routes.ASSISTANCE)),
                class_name="segur-plain-list",
            ),
        ),
        class_name="fr-grid-row fr-grid-row--gutters fr-mb-6w",
    )


def _segur_section() -> rx.Component:
    return section(
        "Qu'est-ce que le Ségur du numérique en santé ?",
        paragraph(
            "De mai à juillet 2020, le Ségur de la santé a réuni l'ensemble des acteurs du "
            "système de soin. En plus des moyens dédiés à la revalorisation des métiers, un "
            "plan massif d'investissement de 6 milliards d'euros est lancé, dont deux "
            "milliards d'euros accordés pour soutenir le développement massif et cohérent du "
            "numérique en santé en France."
        ),
        paragraph(
            "Cet investissement historique vise à accélérer la modernisation, "
            "l'interopérabilité, la réversibilité, la convergence et la sécurité des systèmes "
            "d'information en santé. L'ambition est de généraliser le partage fluide et "
            "sécurisé des données de santé entre professionnels et usagers, pour mieux "
            "prévenir et mieux soigner."
        ),
        paragraph(
            "Pour une présentation plus complète du Ségur du numérique en santé, vous pouvez "
            "consulter le ",
            external_link(
                "site de l'Agence du numérique en santé",
                href=ANS_SEGUR_URL,
                title="site de l'Agence du numérique en santé",
            ),
            ", ou télécharger la ",
            external_link(
                "présentation officielle",
                href=OFFICIAL_PRESENTATION_URL,
                title="présentation officielle (PDF)",
            ),
            ".",
        ),
    )


def _funding_section() -> rx.Component:
    return section(
        "Qu'est-ce que le financement à l'équipement numérique des acteurs de l'offre de soins ?",
        paragraph(
            "Dans le cadre du Ségur du Numérique en santé, l'Etat met en place un mécanisme "
            "d'achat pour compte au bénéfice des acteurs de l'offre de soins, sous la forme "
            "d'un système ouvert et non sélectif (SONS) de référencement et de financement "
            "d'éditeurs de solutions logicielles. Seules les solutions référencées par "
            "l'Agence du numérique en santé seront éligibles à ce financement."
        ),
    )


@template(
    route=routes.HOME,
    title="Accueil",
    heading=SITE_NAME,
    with_breadcrumb=False,
    sitemap_section=SitemapSection.HOME,
)
def home() -> rx.Component:
    return rx.fragment(_access_blocks(), _segur_section(), _funding_section())
