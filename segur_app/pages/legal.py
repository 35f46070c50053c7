"""« Mentions légales »: publisher, hosting, personal data, cookies."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.branding import (
    OPERATOR_CITY,
    OPERATOR_NAME,
    OPERATOR_STREET,
    OPERATOR_WEBSITE,
    SITE_NAME,
    operator_address,
)
from segur_app.components.content import bullet_list, definition, paragraph, section
from segur_app.components.links import external_link, internal_link
from segur_app.components.template import SitemapSection, template

PERSONAL_DATA_ID = "donnees-personnelles"
CNIL_URL = "https://www.cnil.fr"


def _publisher() -> rx.Component:
    return section(
        "Éditeur du portail",
        paragraph(
            f"Le {SITE_NAME} est édité par l'{OPERATOR_NAME} (ASP), établissement public "
            "administratif de l'État :"
        ),
        operator_address(),
        paragraph(
            "Site internet : ",
            external_link(OPERATOR_WEBSITE, href=OPERATOR_WEBSITE, title=OPERATOR_NAME),
        ),
        section(
            "Directeur de la publication",
            paragraph(f"Le président-directeur général de l'{OPERATOR_NAME}."),
            level=3,
        ),
    )


def _hosting() -> rx.Component:
    return section(
        "Hébergement",
        paragraph(f"Le portail est hébergé par l'{OPERATOR_NAME} :"),
        operator_address(),
    )


def _personal_data() -> rx.Component:
    return section(
        "Données personnelles",
        paragraph(
            f"Les données collectées sur le portail sont traitées par l'{OPERATOR_NAME}, "
            "responsable de traitement, pour gérer l'enrôlement des fournisseurs SAS, "
            "l'instruction et le paiement de leurs demandes de financement au titre du "
            "Ségur du numérique en santé. Ce traitement est nécessaire à l'exécution d'une "
            "mission d'intérêt public (article 6.1.e du règlement général sur la "
            "protection des données, RGPD)."
        ),
        rx.el.ul(
            definition(
                "Données traitées",
                "identité et coordonnées professionnelles des interlocuteurs, informations "
                "sur la société (numéro unique de référencement ANS, SIRET, dénomination "
                "sociale, adresse), coordonnées bancaires, pièces justificatives, "
                "identifiants et traces de connexion",
            ),
            definition(
                "Destinataires",
                "les agents habilités de l'ASP et, pour le suivi du programme, les services "
                "de l'État et l'Agence du Numérique en Santé",
            ),
            definition(
                "Durée de conservation",
                "la durée du programme de financement, puis la durée d'archivage "
                "applicable aux pièces justificatives des dépenses publiques",
            ),
        ),
        paragraph(
            "Vous disposez d'un droit d'accès, de rectification, d'effacement, de "
            "limitation et d'opposition sur vos données. Pour les exercer, contactez le "
            "délégué à la protection des données (DPO) de l'ASP par courrier :"
        ),
        rx.el.address(
            f"{OPERATOR_NAME} - Délégué à la protection des données",
            rx.el.br(),
            OPERATOR_STREET,
            rx.el.br(),
            OPERATOR_CITY,
        ),
        paragraph(
            "ou en ligne depuis la page ",
            internal_link("Contacter l'assistance", href=routes.ASSISTANCE),
            ". Si vous estimez, après nous avoir contactés, que vos droits ne sont pas "
            "respectés, vous pouvez adresser une réclamation à la ",
            external_link(
                "Commission nationale de l'informatique et des libertés (CNIL)",
                href=CNIL_URL,
                title="Commission nationale de l'informatique et des libertés",
            ),
            ".",
        ),
        id=PERSONAL_DATA_ID,
    )


def _cookies() -> rx.Component:
    return section(
        "Cookies",
        paragraph(
            "Le portail dépose uniquement un cookie de session, strictement nécessaire à "
            "son fonctionnement (maintien de votre connexion à l'espace personnel). "
            "Conformément à l'article 82 de la loi Informatique et Libertés, ce cookie "
            "est exempté de consentement."
        ),
        paragraph(
            "Aucun cookie de mesure d'audience, publicitaire ou de réseau social n'est "
            "déposé."
        ),
    )


def _intellectual_property() -> rx.Component:
    return section(
        "Propriété intellectuelle et liens",
        bullet_list(
            "Les contenus du portail (textes, mise en page) sont la propriété de l'ASP, "
            "sauf mention contraire ; leur reproduction est autorisée sous réserve de "
            "mentionner la source.",
            "Le portail utilise le Système de Design de l'État (DSFR) et la police Marianne, "
            "réservés aux sites de l'État.",
            "Les liens vers d'autres sites s'ouvrent dans une nouvelle fenêtre ; l'ASP "
            "n'est pas responsable de leur contenu.",
        ),
    )


@template(route=routes.LEGAL, title="Mentions légales", sitemap_section=SitemapSection.INFORMATION)
def legal() -> rx.Component:
    return rx.fragment(
        _publisher(),
        _hosting(),
        _personal_data(),
        _cookies(),
        _intellectual_property(),
    )
