"""« J'ai oublié mon mot de passe »: a single-use reset link is emailed."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert, alert_if, buttons, field, form, submit_button
from segur_app.components.links import arrow_link
from segur_app.components.template import SitemapSection, template
from segur_app.state.access import MSG_RESET_SENT, ForgotPasswordState


@template(
    route=routes.FORGOT_PASSWORD,
    title="J'ai oublié mon mot de passe",
    sitemap_section=SitemapSection.ACCESS,
    on_load=ForgotPasswordState.reset_form,
)
def forgot_password() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.cond(
                ForgotPasswordState.done,
                alert(MSG_RESET_SENT, kind="success"),
                rx.fragment(
                    alert_if(ForgotPasswordState.error),
                    form(
                        field("Votre identifiant", "identifiant", autocomplete="username",
                              max_length=64),
                        buttons(submit_button("Valider")),
                        on_submit=ForgotPasswordState.submit,
                        label="Réinitialisation du mot de passe",
                    ),
                ),
            ),
            arrow_link("Retour à la connexion", routes.LOGIN),
            class_name="fr-col-12 fr-col-md-8 fr-col-lg-6",
        ),
        class_name="fr-grid-row",
    )
