"""« J'ai oublié mon mot de passe »: a single-use reset link is emailed."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import field, one_field_request
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
    return one_field_request(
        ForgotPasswordState,
        done_message=MSG_RESET_SENT,
        input_field=field("Votre identifiant", "identifiant", autocomplete="username",
                          max_length=64),
        label="Réinitialisation du mot de passe",
        back=arrow_link("Retour à la connexion", routes.LOGIN),
    )
