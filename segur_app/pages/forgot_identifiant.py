"""« J'ai oublié mon identifiant »: the identifiant is emailed to the account's address."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert, alert_if, buttons, field, form, submit_button
from segur_app.components.links import arrow_link
from segur_app.components.template import SitemapSection, template
from segur_app.state.access import MSG_IDENTIFIANT_SENT, ForgotIdentifiantState


@template(
    route=routes.FORGOT_ID,
    title="J'ai oublié mon identifiant",
    sitemap_section=SitemapSection.ACCESS,
    on_load=ForgotIdentifiantState.reset_form,
)
def forgot_identifiant() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.cond(
                ForgotIdentifiantState.done,
                alert(MSG_IDENTIFIANT_SENT, kind="success"),
                rx.fragment(
                    alert_if(ForgotIdentifiantState.error),
                    form(
                        field("Votre adresse électronique", "email", type="email",
                              autocomplete="email", max_length=254,
                              hint="L'adresse électronique associée à votre compte."),
                        buttons(submit_button("Valider")),
                        on_submit=ForgotIdentifiantState.submit,
                        label="Rappel de l'identifiant",
                    ),
                ),
            ),
            arrow_link("Retour à la connexion", routes.LOGIN),
            class_name="fr-col-12 fr-col-md-8 fr-col-lg-6",
        ),
        class_name="fr-grid-row",
    )
