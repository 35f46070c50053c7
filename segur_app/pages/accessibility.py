"""« Déclaration d'accessibilité » (RGAA model of the DINUM)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.branding import OPERATOR_NAME, SITE_NAME, operator_address
from segur_app.components.content import bullet_list, paragraph, section
from segur_app.components.links import external_link, internal_link
from segur_app.components.template import SitemapSection, template

PORTAL_URL = "https://segurnum.asp-public.fr"
DEFENDER_FORM_URL = "https://formulaire.defenseurdesdroits.fr/"
DEFENDER_DELEGATES_URL = "https://www.defenseurdesdroits.fr/carte-des-delegues"


def _conformity() -> rx.Component:
    return section(
        "État de conformité",
        paragraph(
            f"Le {SITE_NAME} est partiellement conforme avec le référentiel général "
            "d'amélioration de l'accessibilité (RGAA), version 4.1, en raison des "
            "non-conformités et des contenus énumérés ci-dessous."
        ),
        section(
            "Résultats des tests",
            paragraph(
                "L'état de conformité repose sur une auto-évaluation des pages publiques "
                "du portail (accueil, questions fréquentes, plan du site, accessibilité, "
                "mentions légales et conditions générales d'utilisation). Un audit complet "
                "sera réalisé à la mise en service de l'espace personnel."
            ),
            level=3,
        ),
    )


def _non_accessible_content() -> rx.Component:
    return section(
        "Contenus non accessibles",
        section(
            "Non-conformités",
            bullet_list(
                "Les documents téléchargeables proposés en lien vers d'autres sites (par "
                "exemple la présentation officielle du Ségur du numérique en santé) peuvent "
                "ne pas être accessibles.",
                "Les écrans de l'espace personnel, en cours de construction, n'ont pas "
                "encore été évalués.",
            ),
            level=3,
        ),
        section("Dérogations pour charge disproportionnée", paragraph("Aucune."), level=3),
        section(
            "Contenus non soumis à l'obligation d'accessibilité",
            bullet_list(
                "Les pièces justificatives déposées par les fournisseurs SAS (fichiers PDF "
                "ou images).",
                "Les contenus de tiers qui ne sont ni financés ni développés par l'ASP.",
            ),
            level=3,
        ),
    )


def _establishment() -> rx.Component:
    return section(
        "Établissement de cette déclaration d'accessibilité",
        paragraph("Cette déclaration a été établie le 15 mai 2023."),
        section(
            "Technologies utilisées pour la réalisation du portail",
            bullet_list("HTML5", "CSS (Système de Design de l'État)", "JavaScript"),
            level=3,
        ),
        section(
            "Outils utilisés pour vérifier l'accessibilité",
            bullet_list("Moteur de tests automatisés axe-core", "Navigation au clavier seul"),
            level=3,
        ),
    )


def _contact() -> rx.Component:
    return section(
        "Amélioration et contact",
        paragraph(
            "Si vous n'arrivez pas à accéder à un contenu ou à un service, vous pouvez "
            "contacter le responsable du portail pour être orienté vers une alternative "
            "accessible ou obtenir le contenu sous une autre forme :"
        ),
        bullet_list(
            rx.fragment(
                "en ligne : ",
                internal_link("Contacter l'assistance", href=routes.ASSISTANCE),
            ),
            rx.fragment("par courrier :", operator_address()),
        ),
    )


def _remedies() -> rx.Component:
    return section(
        "Voies de recours",
        paragraph(
            "Cette procédure est à utiliser dans le cas suivant : vous avez signalé au "
            "responsable du portail un défaut d'accessibilité qui vous empêche d'accéder à "
            "un contenu ou à un des services du portail et vous n'avez pas obtenu de "
            "réponse satisfaisante. Vous pouvez :"
        ),
        bullet_list(
            external_link(
                "Écrire un message au Défenseur des droits",
                href=DEFENDER_FORM_URL,
                title="Écrire un message au Défenseur des droits",
            ),
            external_link(
                "Contacter le délégué du Défenseur des droits dans votre région",
                href=DEFENDER_DELEGATES_URL,
                title="Contacter le délégué du Défenseur des droits dans votre région",
            ),
            "Envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : "
            "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07",
            "Contacter le Défenseur des droits par téléphone : 09 69 39 00 00",
        ),
    )


@template(
    route=routes.ACCESSIBILITY,
    title="Accessibilité",
    heading="Déclaration d'accessibilité",
    sitemap_section=SitemapSection.INFORMATION,
)
def accessibility() -> rx.Component:
    return rx.fragment(
        paragraph(
            f"L'{OPERATOR_NAME} s'engage à rendre ses services numériques accessibles, "
            "conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005."
        ),
        paragraph(
            f"Cette déclaration d'accessibilité s'applique au {SITE_NAME} (",
            external_link(PORTAL_URL, href=PORTAL_URL, title=SITE_NAME),
            ").",
            class_name="fr-mb-6w",
        ),
        _conformity(),
        _non_accessible_content(),
        _establishment(),
        _contact(),
        _remedies(),
    )
