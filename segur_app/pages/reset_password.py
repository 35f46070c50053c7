"""The page of the emailed reset link: secret answer, then a new password."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert, buttons, error_list, field, form, submit_button
from segur_app.components.links import arrow_link
from segur_app.components.template import template
from segur_app.domain.accounts.recovery import MSG_RESET_LINK_INVALID
from segur_app.pages.first_login import password_rules
from segur_app.state.access import ResetPasswordState


@template(
    route=routes.RESET_PASSWORD,
    title="Réinitialisation du mot de passe",
    on_load=ResetPasswordState.load,
    # The token is in the URL: never leak it to other sites.
    meta=[{"name": "referrer", "content": "no-referrer"}],
)
def reset_password() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            error_list(ResetPasswordState.errors),
            rx.cond(
                ResetPasswordState.link_valid,
                form(
                    rx.cond(
                        ResetPasswordState.has_question,
                        rx.fragment(
                            rx.el.p(
                                rx.el.strong("Votre question secrète : "),
                                ResetPasswordState.question,
                            ),
                            field("Entrez la réponse :", "answer", autocomplete="off",
                                  max_length=255),
                        ),
                    ),
                    password_rules(),
                    field("Entrez le nouveau mot de passe :", "new_password", type="password",
                          autocomplete="new-password", max_length=129),
                    field("Confirmez le nouveau mot de passe :", "confirmation",
                          type="password", autocomplete="new-password", max_length=129),
                    buttons(submit_button("Valider")),
                    on_submit=ResetPasswordState.submit,
                    label="Nouveau mot de passe",
                ),
                alert(MSG_RESET_LINK_INVALID),
            ),
            arrow_link("Retour à la connexion", routes.LOGIN),
            class_name="fr-col-12 fr-col-md-8 fr-col-lg-6",
        ),
        class_name="fr-grid-row",
    )
