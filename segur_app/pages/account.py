"""« Mon compte » and the confirmation page of a new contact address."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert, alert_if, buttons, error_list, field, form, submit_button
from segur_app.components.funding import labelled_value, recap_list
from segur_app.components.links import arrow_link
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.template import template
from segur_app.domain.accounts.profile import MSG_EMAIL_LINK_INVALID
from segur_app.pages.first_login import password_change_fields, password_rules
from segur_app.state.account import AccountState, ConfirmEmailState


def _identity() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Mes informations"),
        rx.el.ul(
            labelled_value("Identifiant", AccountState.user_identifiant),
            labelled_value("Nom", AccountState.user_name),
            labelled_value("Adresse électronique", AccountState.email),
            labelled_value("Rôle", AccountState.role_label),
            class_name="segur-recap",
        ),
        rx.cond(AccountState.summary, rx.fragment(
            rx.el.h3("Fournisseur SAS", class_name="fr-mt-3w"),
            recap_list(AccountState.summary),
        )),
        class_name="fr-mb-6w",
    )


def _form_section(title: str, errors, *children: rx.Component, submit: str,
                  on_submit, intro: rx.Component | None = None) -> rx.Component:
    return rx.el.section(
        rx.el.h2(title),
        intro if intro is not None else rx.fragment(),
        error_list(errors),
        form(*children, buttons(submit_button(submit)), on_submit=on_submit, label=title),
        class_name="fr-mb-6w",
    )


def _current_password(field_id: str) -> rx.Component:
    return field("Votre mot de passe actuel", "password", type="password",
                 autocomplete="current-password", max_length=129, field_id=field_id)


def _password() -> rx.Component:
    return _form_section("Changer mon mot de passe", AccountState.password_errors,
                         *password_change_fields(), submit="Changement du mot de passe",
                         on_submit=AccountState.change_password, intro=password_rules())


def _question() -> rx.Component:
    return _form_section(
        "Changer ma question secrète", AccountState.question_errors,
        _current_password("question-mdp"),
        field("Entrez la question secrète :", "question", autocomplete="off", max_length=255),
        field("Entrez la réponse :", "answer", autocomplete="off", max_length=255),
        submit="Changer la question secrète", on_submit=AccountState.change_question,
    )


def _email() -> rx.Component:
    return _form_section(
        "Changer mon adresse électronique", AccountState.email_errors,
        _current_password("adresse-mdp"),
        field("Nouvelle adresse électronique", "email", type="email", autocomplete="email"),
        field("Confirmez la nouvelle adresse électronique", "email_confirmation", type="email",
              autocomplete="off"),
        submit="Changer l'adresse électronique", on_submit=AccountState.change_email,
    )


def _sessions() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Mes dernières connexions"),
        rx.el.ul(rx.foreach(AccountState.logins, lambda login: rx.el.li(
            login.when, " — adresse ", login.client_address)), class_name="segur-recap"),
        buttons(rx.el.button("Fermer mes autres sessions", type="button",
                             on_click=AccountState.end_other_sessions,
                             class_name="fr-btn fr-btn--secondary fr-mt-2w")),
        class_name="fr-mb-6w",
    )


@private_page(route=routes.ACCOUNT, title="Mon compte", audience=Audience.USER,
              on_load=AccountState.load)
def account() -> rx.Component:
    return rx.fragment(
        alert_if(AccountState.message, kind="success"),
        _identity(), _password(), _question(), _email(), _sessions(),
    )


@template(route=routes.CONFIRM_EMAIL, title="Confirmation de l'adresse électronique",
          on_load=ConfirmEmailState.load,
          meta=[{"name": "referrer", "content": "no-referrer"}])
def confirm_email() -> rx.Component:
    return rx.fragment(
        rx.cond(
            ConfirmEmailState.confirmed_email != "",
            alert("Votre nouvelle adresse électronique est confirmée : "
                  + ConfirmEmailState.confirmed_email, kind="success"),
            rx.cond(ConfirmEmailState.done,
                    alert(MSG_EMAIL_LINK_INVALID)),
        ),
        arrow_link("Accéder à mon espace personnel", routes.LOGIN),
    )
