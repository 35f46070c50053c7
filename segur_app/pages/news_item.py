"""One news item in full (« Lire la suite »)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert
from segur_app.components.links import arrow_link
from segur_app.components.news import attachment_link, news_meta
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.state.home import NewsItemState


@private_page(route=routes.NEWS, title="Actualité", audience=Audience.USER,
              on_load=NewsItemState.load)
def news_item() -> rx.Component:
    item = NewsItemState.item
    return rx.fragment(
        rx.cond(
            NewsItemState.found,
            rx.el.article(
                rx.el.h2(item.title),
                news_meta(item),
                rx.el.p(item.body, class_name="segur-pre-line"),
                attachment_link(item),
                class_name="fr-mb-4w",
            ),
            alert("Cette actualité n'existe pas ou n'est plus publiée."),
        ),
        arrow_link("Retour à l'accueil", routes.PRIVATE_HOME),
    )
