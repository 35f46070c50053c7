"""« Accéder à mon espace personnel » (guide 1, second screen)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert_if, buttons, field, native_form, submit_button
from segur_app.components.links import arrow_link
from segur_app.components.template import SitemapSection, template
from segur_app.state.access import LoginState


@template(
    route=routes.LOGIN,
    title="Accéder à mon espace personnel",
    sitemap_section=SitemapSection.ACCESS,
    on_load=[LoginState.redirect_if_logged_in, LoginState.clear_messages],
)
def login() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            alert_if(LoginState.notice, kind="info"),
            alert_if(LoginState.error),
            rx.el.p(
                "Renseignez votre identifiant et votre mot de passe préalablement "
                "transmis par mail.",
                class_name="fr-text--sm",
            ),
            # A real form POST (api/session.py sets the HttpOnly cookie and
            # redirects): it works even before the page has hydrated.
            native_form(
                field("Votre identifiant", "identifiant", autocomplete="username",
                      max_length=64),
                field("Votre mot de passe", "password", type="password",
                      autocomplete="current-password", max_length=129),
                buttons(submit_button("Valider")),
                route=routes.SESSION_LOGIN,
                label="Connexion",
                class_name="segur-form",
            ),
            rx.el.ul(
                rx.el.li(arrow_link("J'ai oublié mon identifiant", routes.FORGOT_ID)),
                rx.el.li(arrow_link("J'ai oublié mon mot de passe", routes.FORGOT_PASSWORD)),
                class_name="segur-plain-list fr-mt-3w",
            ),
            class_name="fr-col-12 fr-col-md-8 fr-col-lg-6",
        ),
        class_name="fr-grid-row",
    )
