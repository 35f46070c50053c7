"""« J'ai oublié mon identifiant »: the identifiant is emailed to the account's address."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import field, one_field_request
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
    return one_field_request(
        ForgotIdentifiantState,
        done_message=MSG_IDENTIFIANT_SENT,
        input_field=field("Votre adresse électronique", "email", type="email",
                          autocomplete="email", max_length=254,
                          hint="L'adresse électronique associée à votre compte."),
        label="Rappel de l'identifiant",
        back=arrow_link("Retour à la connexion", routes.LOGIN),
    )
