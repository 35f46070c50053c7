"""« Questions fréquentes »: the user guide's rules, as accordions by topic."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.accordion import accordion, accordions_group
from segur_app.components.content import bullet_list, definition, paragraph, section
from segur_app.components.links import internal_link
from segur_app.components.template import SitemapSection, template
from segur_app.core.config import get_settings
from segur_app.domain.dates import fr_amount

PASSWORD_RULES = (
    "Le mot de passe doit être différent de l'identifiant et comporter 8 caractères "
    "minimum dont 1 chiffre et 1 caractère spécial minimum (exemples: .,;?!:%#)."
)
NO_ACCENTS = "Les caractères accentués ne sont pas autorisés."
ADVANCE_ATTACHMENTS = (
    "Procès-verbal de mise en service",
    "Attestation sur l'honneur de procuration de documents à la destination des "
    "Régulateurs et des Effecteurs",
    "Justificatif de transmission des données à la plateforme numérique SAS",
)
FILE_RULES = "Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo"
ONE_ENROLMENT_ONE_REQUEST = (
    "Attention, un fournisseur SAS ne peut faire qu'un seul enrôlement et qu'une seule "
    "demande de financement."
)


def _portal_questions() -> rx.Component:
    return accordions_group(
        accordion(
            "Qui peut utiliser le portail SEGUR Numérique ?",
            paragraph(
                "L'utilisation du portail requiert d'être fournisseur SAS référencé Ségur "
                "auprès de l'Agence du Numérique en Santé (ANS) et enrôlé sur le portail."
            ),
            paragraph(ONE_ENROLMENT_ONE_REQUEST),
        ),
        accordion(
            "Comment effectuer ma demande d'enrôlement ?",
            paragraph(
                "Depuis la page d'accueil, cliquez sur « ",
                internal_link("Effectuer ma demande d'enrôlement", href=routes.ENROLMENT),
                " ». Un fournisseur SAS ne peut faire qu'un seul enrôlement.",
            ),
            paragraph(
                "Une fois votre enrôlement accepté, votre identifiant et votre mot de passe "
                "vous sont transmis par mail."
            ),
        ),
        accordion(
            "Je ne suis pas encore référencé : que puis-je faire ?",
            paragraph(
                "Le référencement Ségur est délivré par l'Agence du Numérique en Santé. En "
                "attendant, le lien « ",
                internal_link("Simuler mon fichier json", href=routes.JSON_SIMULATION),
                " » de la page d'accueil vous permet de vérifier votre fichier json.",
            ),
        ),
    )


def _login_questions() -> rx.Component:
    return accordions_group(
        accordion(
            "Comment me connecter à mon espace personnel ?",
            paragraph(
                "Cliquez sur le bouton « ",
                internal_link("Se connecter", href=routes.LOGIN),
                " », renseignez votre identifiant et votre mot de passe préalablement "
                "transmis par mail, puis cliquez sur le bouton « Valider ».",
            ),
        ),
        accordion(
            "Que dois-je faire lors de ma première connexion ?",
            paragraph(
                "Lors de la première connexion sur votre espace privé, vous serez amenés à "
                "changer de mot de passe et définir une question/réponse secrète en cas de "
                "perte des identifiants."
            ),
            paragraph(
                "Remplissez les trois champs relatifs au mot de passe (ancien mot de passe, "
                "nouveau mot de passe et confirmation) en respectant les règles de sécurité "
                "suivantes, puis cliquez sur le bouton « Changement du mot de passe » :"
            ),
            bullet_list(PASSWORD_RULES, NO_ACCENTS),
            paragraph(
                "Remplissez ensuite les champs relatifs à la question secrète (la question "
                "et sa réponse) et cliquez sur le bouton « Envoyer ». Vous êtes alors dirigé "
                "vers l'écran d'accueil du portail privé."
            ),
        ),
        accordion(
            "J'ai oublié mon identifiant ou mon mot de passe : comment faire ?",
            paragraph(
                "Sur l'écran « Accéder à mon espace personnel », cliquez sur « ",
                internal_link("J'ai oublié mon identifiant", href=routes.FORGOT_ID),
                " » ou « ",
                internal_link("J'ai oublié mon mot de passe", href=routes.FORGOT_PASSWORD),
                " » en cas de perte des identifiants. La question/réponse secrète définie "
                "lors de votre première connexion vous sera demandée.",
            ),
        ),
    )


def _funding_questions() -> rx.Component:
    amount = get_settings().advance_amount
    return accordions_group(
        accordion(
            "Comment déposer ma demande d'avance ?",
            paragraph(
                "Depuis votre espace personnel, cliquez sur l'onglet « Demande de "
                "financement » puis sur « Ma demande d'avance ». Le formulaire demande 3 "
                "pièces jointes, chacune ajoutée avec le bouton « Parcourir » :"
            ),
            rx.el.ol(*[rx.el.li(name) for name in ADVANCE_ATTACHMENTS]),
            paragraph(
                f"Le champ non éditable « Montant de l'avance » indique le montant de "
                f"l'avance versée : {fr_amount(amount)}. Cliquez sur le bouton « Valider » pour "
                "confirmer le dépôt de la demande d'avance ; vous recevrez un mail de "
                "confirmation du dépôt."
            ),
        ),
        accordion(
            "Puis-je déposer plusieurs demandes de financement ?",
            paragraph(
                ONE_ENROLMENT_ONE_REQUEST,
                " Une seule demande d'avance peut donc être déposée.",
            ),
        ),
        accordion(
            "Quand puis-je déposer ma demande de solde ?",
            paragraph(
                "La demande de solde (« 2 - Ma demande de solde ») ne peut être déposée "
                "qu'une fois votre demande d'avance validée par l'Agence."
            ),
        ),
        accordion(
            "Quels fichiers puis-je joindre à ma demande ?",
            paragraph(f"{FILE_RULES}."),
            paragraph("Chaque pièce jointe marquée d'un astérisque (*) est obligatoire."),
        ),
    )


def _tracking_questions() -> rx.Component:
    return accordions_group(
        accordion(
            "Comment consulter ma demande de financement ?",
            paragraph(
                "Sur l'écran d'accueil du portail privé, cliquez sur « Suivi de ma demande "
                "de financement ». Un récapitulatif de la demande de financement est affiché :"
            ),
            bullet_list(
                "Numéro unique de référencement ANS",
                "SIRET",
                "Dénomination sociale",
                "Adresse",
                "Numéro du dossier attribué à votre demande (unique)",
                "Date de dépôt",
                "Statut de la demande",
                "Date de changement",
            ),
        ),
        accordion(
            "Que signifie le statut de ma demande ?",
            paragraph(
                "Le statut de la demande indique si la demande est en attente "
                "d'instruction, validée ou rejetée :"
            ),
            rx.el.ul(
                definition(
                    "A instruire",
                    "l'élément (par exemple les pièces justificatives) n'a pas encore été "
                    "examiné par l'Agence",
                ),
                definition(
                    "En cours",
                    "votre demande a bien été réceptionnée et est en cours de traitement",
                ),
                definition(
                    "Validée", "votre demande a été acceptée à l'issue de l'instruction"
                ),
                definition(
                    "Rejetée", "votre demande n'a pas été acceptée à l'issue de l'instruction"
                ),
            ),
            paragraph("En cas de validation ou rejet de la demande, un mail vous sera envoyé."),
        ),
        accordion(
            "Que contient l'écran de consultation de ma demande ?",
            paragraph(
                "L'écran de consultation est composé de 4 blocs dynamiques (cliquables) "
                "affichant l'ensemble des informations relatives à la demande :"
            ),
            rx.el.ul(
                definition("Informations de la demande", "Taux de TVA, Montant de l'avance"),
                definition("Coordonnées bancaires", "IBAN, BIC, Titulaire, Domiciliation"),
                definition(
                    "Pièces justificatives",
                    "Pièces jointes transmises depuis le formulaire de dépôt de la demande "
                    "de financement",
                ),
                definition(
                    "Courriels automatiques envoyés",
                    "Historique des courriers électroniques envoyés",
                ),
            ),
        ),
        accordion(
            "Je n'ai pas reçu de mail : que faire ?",
            paragraph(
                "Nous vous invitons à consulter régulièrement les messages reçus y compris "
                "dans les courriers indésirables (ou spams) sur l'adresse électronique que "
                "vous nous avez communiquée. Si le problème persiste, ",
                internal_link("contactez l'assistance", href=routes.ASSISTANCE),
                ".",
            ),
        ),
    )


@template(route=routes.FAQ, title="Questions fréquentes", sitemap_section=SitemapSection.HELP)
def faq() -> rx.Component:
    return rx.fragment(
        paragraph(
            "Retrouvez ci-dessous les réponses aux questions les plus fréquentes sur "
            "l'utilisation du portail. Pour toute question supplémentaire, vous pouvez ",
            internal_link("contacter l'assistance", href=routes.ASSISTANCE),
            ".",
            class_name="fr-text--lead fr-mb-6w",
        ),
        section("Accès au portail et enrôlement", _portal_questions()),
        section("Connexion et identifiants", _login_questions()),
        section("Demande de financement", _funding_questions()),
        section("Suivi de ma demande", _tracking_questions()),
    )
