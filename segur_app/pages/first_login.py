"""First login: « Changement du mot de passe » then « Positionnement de la question secrète »."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import buttons, error_list, field, form, submit_button
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.domain.passwords import ACCENTS_TEXT, RULES_TEXT
from segur_app.state.access import FirstLoginState


def password_rules() -> rx.Component:
    """The rules exactly as the guide's screen states them."""
    return rx.el.div(
        rx.el.p(RULES_TEXT, class_name="fr-mb-1v"),
        rx.el.p(ACCENTS_TEXT),
        class_name="fr-callout fr-icon-information-line fr-mb-3w",
        id="regles-mot-de-passe",
    )


def password_change_fields() -> list[rx.Component]:
    """The three password fields of the guide's « Changement du mot de passe »."""
    return [
        field("Entrez l'ancien mot de passe :", "old_password", type="password",
              autocomplete="current-password", max_length=129),
        field("Entrez le nouveau mot de passe :", "new_password", type="password",
              autocomplete="new-password", max_length=129,
              aria_describedby="regles-mot-de-passe"),
        field("Confirmez le nouveau mot de passe :", "confirmation", type="password",
              autocomplete="new-password", max_length=129),
    ]


def _narrow(*children: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.div(*children, class_name="fr-col-12 fr-col-md-8 fr-col-lg-7"),
        class_name="fr-grid-row",
    )


@private_page(
    route=routes.FIRST_LOGIN_PASSWORD,
    title="Changement du mot de passe",
    heading="Changement du mot de passe pour " + FirstLoginState.user_identifiant,
    audience=Audience.USER,
    guard=FirstLoginState.load_password_step,
    with_breadcrumb=False,
)
def first_login_password() -> rx.Component:
    return _narrow(
        password_rules(),
        error_list(FirstLoginState.errors),
        form(
            *password_change_fields(),
            buttons(submit_button("Changement du mot de passe")),
            on_submit=FirstLoginState.change_password,
            label="Changement du mot de passe",
        ),
    )


@private_page(
    route=routes.FIRST_LOGIN_SECRET_QUESTION,
    title="Positionnement de la question secrète",
    heading="Positionnement de la question secrète pour " + FirstLoginState.user_identifiant,
    audience=Audience.USER,
    guard=FirstLoginState.load_question_step,
    with_breadcrumb=False,
)
def first_login_secret_question() -> rx.Component:
    return _narrow(
        rx.el.p(
            "La question secrète vous sera posée si vous perdez votre mot de passe. "
            "Choisissez une question dont vous seul connaissez la réponse.",
        ),
        error_list(FirstLoginState.errors),
        form(
            field("Entrez la question secrète :", "question", autocomplete="off",
                  max_length=255),
            field("Entrez la réponse :", "answer", autocomplete="off", max_length=255,
                  hint="Les majuscules, les accents et les espaces ne sont pas pris en compte."),
            buttons(submit_button("Envoyer")),
            on_submit=FirstLoginState.set_secret_question,
            label="Question secrète",
        ),
    )
