"""« Conditions générales d'utilisation » of the portal."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.branding import OPERATOR_NAME, SITE_NAME
from segur_app.components.content import bullet_list, paragraph, section
from segur_app.components.links import internal_link
from segur_app.components.template import SitemapSection, template
from segur_app.pages.faq import (
    ADVANCE_ATTACHMENTS,
    FILE_RULES,
    NO_ACCENTS,
    ONE_ENROLMENT_ONE_REQUEST,
    PASSWORD_RULES,
)
from segur_app.pages.legal import PERSONAL_DATA_ID


def _article(number: int, title: str, *children: rx.Component) -> rx.Component:
    return section(f"Article {number} - {title}", *children)


def _articles() -> list[rx.Component]:
    return [
        _article(
            1,
            "Objet",
            paragraph(
                "Les présentes conditions générales d'utilisation (CGU) définissent les "
                f"modalités d'accès et d'utilisation du {SITE_NAME}, mis à disposition par "
                f"l'{OPERATOR_NAME} (ASP) pour l'enrôlement des fournisseurs SAS et le dépôt "
                "de leurs demandes de financement au titre du Ségur du numérique en santé. "
                "L'utilisation du portail vaut acceptation des présentes CGU."
            ),
        ),
        _article(
            2,
            "Accès au portail",
            paragraph(
                "La partie publique du portail est accessible librement. L'utilisation du "
                "portail privé requiert d'être fournisseur SAS référencé Ségur auprès de "
                "l'Agence du Numérique en Santé (ANS) et enrôlé sur le portail."
            ),
            paragraph(ONE_ENROLMENT_ONE_REQUEST),
            paragraph(
                "Le portail est accessible en permanence, sauf interruption pour maintenance "
                "ou en cas de force majeure ; l'ASP s'efforce d'en informer les utilisateurs."
            ),
        ),
        _article(
            3,
            "Identifiants et sécurité",
            paragraph(
                "L'identifiant et le mot de passe sont transmis par mail après enrôlement. "
                "Ils sont personnels et confidentiels. Lors de la première connexion, "
                "l'utilisateur change son mot de passe et définit une question/réponse "
                "secrète en cas de perte des identifiants."
            ),
            bullet_list(PASSWORD_RULES, NO_ACCENTS),
            paragraph(
                "Toute utilisation du portail avec les identifiants de l'utilisateur est "
                "réputée faite par lui. En cas de perte ou de suspicion d'utilisation "
                "frauduleuse, l'utilisateur modifie sans délai son mot de passe et ",
                internal_link("contacte l'assistance", href=routes.ASSISTANCE),
                ".",
            ),
        ),
        _article(
            4,
            "Obligations de l'utilisateur",
            bullet_list(
                "Fournir des informations exactes, complètes et à jour, et signaler toute "
                "modification (coordonnées, coordonnées bancaires).",
                "Ne déposer qu'un seul enrôlement et qu'une seule demande de financement.",
                "Ne pas porter atteinte au fonctionnement ni à la sécurité du portail.",
                "Consulter régulièrement les messages reçus, y compris dans les courriers "
                "indésirables (ou spams).",
            ),
        ),
        _article(
            5,
            "Pièces justificatives",
            paragraph("La demande d'avance est accompagnée des pièces justificatives suivantes :"),
            rx.el.ol(*[rx.el.li(name) for name in ADVANCE_ATTACHMENTS]),
            paragraph(
                f"{FILE_RULES}. L'utilisateur garantit l'authenticité et la sincérité des "
                "pièces transmises. L'ASP peut demander tout document complémentaire ; une "
                "pièce non conforme peut entraîner le rejet de la demande."
            ),
        ),
        _article(
            6,
            "Responsabilité",
            paragraph(
                "L'ASP met en œuvre les moyens raisonnables pour assurer la disponibilité et "
                "la sécurité du portail. Elle ne saurait être tenue responsable d'une "
                "interruption du service, d'un dysfonctionnement du matériel de "
                "l'utilisateur ou d'une utilisation du portail non conforme aux présentes "
                "CGU. L'utilisateur est responsable des informations et documents qu'il "
                "dépose."
            ),
        ),
        _article(
            7,
            "Données personnelles",
            paragraph(
                "Le traitement des données personnelles et les droits des utilisateurs sont "
                "décrits dans la rubrique « ",
                internal_link(
                    "Données personnelles", href=f"{routes.LEGAL}#{PERSONAL_DATA_ID}"
                ),
                " » des mentions légales.",
            ),
        ),
        _article(
            8,
            "Évolution des CGU",
            paragraph(
                "L'ASP peut modifier les présentes CGU à tout moment ; la version applicable "
                "est celle publiée sur le portail lors de son utilisation."
            ),
        ),
        _article(
            9,
            "Droit applicable",
            paragraph(
                "Les présentes CGU sont soumises au droit français. Tout litige relatif à "
                "leur application relève de la compétence des juridictions françaises."
            ),
        ),
    ]


@template(
    route=routes.CGU,
    title="Conditions générales d'utilisation",
    sitemap_section=SitemapSection.INFORMATION,
)
def cgu() -> rx.Component:
    return rx.fragment(*_articles())
