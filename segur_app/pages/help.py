"""« Besoin d'aide ? » (public) and the user guide rewritten as a help page."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.content import bullet_list, paragraph, section
from segur_app.components.links import anchor, arrow_link, button_link, internal_link
from segur_app.components.template import SitemapSection, template
from segur_app.pages.faq import ADVANCE_ATTACHMENTS, FILE_RULES, ONE_ENROLMENT_ONE_REQUEST, PASSWORD_RULES
from segur_app.state.assistance import HelpState

TOP_QUESTIONS = (
    ("Qui peut utiliser le portail SEGUR Numérique ?",
     "L'utilisation du portail requiert d'être fournisseur SAS référencé Ségur auprès de "
     "l'Agence du Numérique en Santé (ANS) et enrôlé sur le portail."),
    ("J'ai perdu mes identifiants : que faire ?",
     "Sur l'écran « Accéder à mon espace personnel », cliquez sur « J'ai oublié mon "
     "identifiant » ou « J'ai oublié mon mot de passe »."),
    ("Combien de demandes puis-je déposer ?", ONE_ENROLMENT_ONE_REQUEST),
)


def _b(label: str) -> rx.Component:
    """A button or link label of the portal, as the guide prints it: « **Valider** »."""
    return rx.fragment("« ", rx.el.strong(label), " »")


@template(route=routes.HELP, title="Besoin d'aide ?", sitemap_section=SitemapSection.HELP,
          on_load=HelpState.load)
def help_page() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            paragraph(
                "Cette page rassemble l'aide du portail SEGUR Numérique : le guide "
                "utilisateur, les questions fréquentes et le formulaire de contact de "
                "l'assistance de l'ASP."
            ),
            section(
                "Guide utilisateur",
                paragraph(
                    "Le guide « Dépôt d'une demande d'avance » explique pas à pas l'accès au "
                    "portail privé, le dépôt d'une demande de financement et la consultation "
                    "de la demande déposée."
                ),
                arrow_link("Consulter le guide utilisateur fournisseur SAS", routes.HELP_GUIDE),
            ),
            section(
                "Questions fréquentes",
                *[
                    rx.fragment(rx.el.h3(question, class_name="fr-h6 fr-mb-1w"),
                                paragraph(answer))
                    for question, answer in TOP_QUESTIONS
                ],
                arrow_link("Consulter les questions fréquentes", routes.FAQ),
            ),
            section(
                "Contacter l'assistance",
                paragraph(
                    "Vous n'avez pas trouvé de réponse ? Adressez votre question au support "
                    "de l'ASP : un numéro de demande vous est attribué et la réponse vous est "
                    "envoyée par courriel."
                ),
                rx.el.ul(
                    rx.el.li(button_link("Contacter l'assistance", routes.ASSISTANCE,
                                         icon="mail-line")),
                    rx.cond(
                        HelpState.is_supplier,
                        rx.el.li(button_link("Mes demandes d'assistance", routes.MY_TICKETS,
                                             variant="secondary")),
                    ),
                    class_name="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left",
                ),
            ),
            class_name="fr-col-12 fr-col-lg-9",
        ),
        class_name="fr-grid-row",
    )


@template(route=routes.HELP_GUIDE, title="Guide utilisateur fournisseur SAS",
          sitemap_section=SitemapSection.HELP)
def help_guide() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            paragraph(
                "Ce guide vise à vous aider dans la compréhension du dépôt d'une demande "
                "d'avance sur le portail SEGUR Numérique. L'utilisation du portail requiert "
                "d'être fournisseur SAS référencé Ségur auprès de l'Agence du Numérique en "
                "Santé (ANS) et enrôlé sur le portail."
            ),
            rx.el.div(
                rx.el.p(ONE_ENROLMENT_ONE_REQUEST, class_name="fr-callout__text"),
                class_name="fr-callout fr-icon-warning-line fr-mb-4w",
            ),
            rx.el.nav(
                rx.el.h2("Sommaire", class_name="fr-h6"),
                rx.el.ol(
                    rx.el.li(anchor("L'accès au portail privé", href="#acces")),
                    rx.el.li(anchor("Le dépôt d'une demande de financement", href="#depot")),
                    rx.el.li(anchor("La consultation de la demande déposée",
                                     href="#consultation")),
                ),
                aria_label="Sommaire du guide",
                class_name="fr-mb-6w",
            ),
            rx.el.section(
                rx.el.h2("1. L'accès au portail privé", id="acces"),
                rx.el.ol(
                    rx.el.li("Vous accédez au portail public (",
                             internal_link("page d'accueil", href=routes.HOME), ")."),
                    rx.el.li("Vous cliquez sur le bouton ", _b("Se connecter"), "."),
                    rx.el.li("Sur l'écran « Accéder à mon espace personnel », vous renseignez "
                             "votre identifiant et votre mot de passe préalablement transmis "
                             "par mail, puis vous cliquez sur le bouton ", _b("Valider"), "."),
                    rx.el.li("En cas de perte des identifiants, vous cliquez sur ",
                             _b("J'ai oublié mon identifiant"), " ou ",
                             _b("J'ai oublié mon mot de passe"), "."),
                ),
                rx.el.h3("Première connexion", class_name="fr-h5"),
                paragraph(
                    "Lors de la première connexion sur votre espace privé, vous serez amené à "
                    "changer de mot de passe et à définir une question/réponse secrète en cas "
                    "de perte des identifiants."
                ),
                rx.el.ol(
                    rx.el.li("Écran « Changement du mot de passe » : vous remplissez les trois "
                             "champs relatifs au mot de passe (ancien, nouveau, confirmation) "
                             "en respectant les règles de sécurité indiquées, puis vous "
                             "cliquez sur le bouton ", _b("Changement du mot de passe"), "."),
                    rx.el.li("Écran « Positionnement de la question secrète » : vous remplissez "
                             "la question secrète et sa réponse, puis vous cliquez sur le "
                             "bouton ", _b("Envoyer"), "."),
                ),
                paragraph(PASSWORD_RULES, " Les caractères accentués ne sont pas autorisés.",
                          class_name="fr-text--sm"),
                paragraph(
                    "Vous êtes ensuite dirigé vers l'écran « Accueil fournisseur SAS ». Pour "
                    "consulter vos demandes d'enrôlement, cliquez sur ",
                    _b("Suivi des demandes d'enrôlement"), ".",
                ),
                class_name="fr-mb-6w",
            ),
            rx.el.section(
                rx.el.h2("2. Le dépôt d'une demande de financement", id="depot"),
                paragraph(
                    "Pour déposer votre demande de financement, cliquez sur l'onglet ",
                    _b("Demande de financement"), " puis sur ", _b("Ma demande d'avance"), ".",
                ),
                paragraph("Vous êtes ensuite dirigé vers l'écran de dépôt de demande :"),
                rx.el.ol(
                    rx.el.li("Pour déposer votre demande d'avance, vous devez compléter un "
                             "formulaire demandant 3 pièces jointes."),
                    *[
                        rx.el.li("Vous devez joindre « ", piece, " » en cliquant sur le "
                                 "bouton ", _b("Parcourir"), ".")
                        for piece in ADVANCE_ATTACHMENTS
                    ],
                    rx.el.li("Le champ non éditable « Montant de l'avance » indique le "
                             "montant de l'avance versée."),
                    rx.el.li("Vous cliquez sur le bouton ", _b("Valider"),
                             " pour confirmer le dépôt de la demande d'avance."),
                ),
                paragraph(FILE_RULES, ".", class_name="fr-text--sm"),
                paragraph(
                    "Vous recevrez un mail de confirmation du dépôt de la demande d'avance, "
                    "qui rappelle le numéro de dossier (par exemple FINSAS009250). Nous vous "
                    "invitons à consulter régulièrement les messages reçus, y compris dans les "
                    "courriers indésirables (ou spams)."
                ),
                class_name="fr-mb-6w",
            ),
            rx.el.section(
                rx.el.h2("3. La consultation de la demande déposée", id="consultation"),
                paragraph(
                    "Pour consulter vos demandes de financement, cliquez sur ",
                    _b("Suivi de ma demande de financement"),
                    " depuis l'écran d'accueil du portail privé.",
                ),
                paragraph("Un récapitulatif de la demande de financement est affiché :"),
                bullet_list(
                    "Numéro unique de référencement ANS", "SIRET", "Dénomination sociale",
                    "Adresse", "Numéro du dossier attribué à votre demande (unique)",
                    "Date de dépôt", "Statut de la demande", "Date de changement de statut",
                ),
                paragraph(
                    "NB : le statut de la demande indique si la demande est en attente "
                    "d'instruction, validée ou rejetée. En cas de validation ou de rejet de "
                    "la demande, un mail vous sera envoyé."
                ),
                paragraph(
                    "L'écran de consultation est composé de 4 blocs dynamiques (cliquables) "
                    "affichant l'ensemble des informations relatives à la demande :"
                ),
                rx.el.ul(
                    rx.el.li(rx.el.strong("Informations de la demande"),
                             " : Taux de TVA, Montant de l'avance"),
                    rx.el.li(rx.el.strong("Coordonnées bancaires"),
                             " : IBAN, BIC, Titulaire, Domiciliation"),
                    rx.el.li(rx.el.strong("Pièces justificatives"),
                             " : pièces jointes transmises depuis le formulaire de dépôt de "
                             "la demande de financement"),
                    rx.el.li(rx.el.strong("Courriels automatiques envoyés"),
                             " : historique des courriers électroniques envoyés"),
                ),
                class_name="fr-mb-6w",
            ),
            section(
                "Une question supplémentaire ?",
                paragraph(
                    "Pour toute question supplémentaire sur l'utilisation du portail, vous "
                    "pouvez contacter le support de l'ASP."
                ),
                rx.el.ul(
                    rx.el.li(arrow_link("Contacter l'assistance", routes.ASSISTANCE)),
                    rx.el.li(arrow_link("Consulter les questions fréquentes", routes.FAQ)),
                    class_name="segur-plain-list",
                ),
            ),
            class_name="fr-col-12 fr-col-lg-9",
        ),
        class_name="fr-grid-row",
    )
