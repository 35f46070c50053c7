"""« Accueil fournisseur SAS »: news and the two tracking shortcuts (guide 1, last screen)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.links import button_link
from segur_app.components.news import news_card
from segur_app.components.pagination import button_pagination
from segur_app.components.private import private_page
from segur_app.state.home import HomeState


def _pagination() -> rx.Component:
    return button_pagination(
        HomeState.news_page, HomeState.news_pages, on_previous=HomeState.previous_page,
        on_next=HomeState.next_page, label="Pagination des actualités",
        previous_text="Actualités plus récentes", next_text="Actualités plus anciennes",
    )


@private_page(route=routes.PRIVATE_HOME, title="Accueil fournisseur SAS", on_load=HomeState.load)
def private_home() -> rx.Component:
    return rx.fragment(
        rx.el.section(
            rx.el.h2("Actualités"),
            rx.cond(
                HomeState.news.length() > 0,
                rx.foreach(HomeState.news, news_card),
                rx.el.p("Aucune actualité pour le moment."),
            ),
            _pagination(),
            class_name="fr-mb-6w",
        ),
        rx.el.section(
            rx.el.h2("Mes demandes", class_name="fr-sr-only"),
            rx.el.ul(
                rx.el.li(button_link("Suivi des demandes d'enrôlement", routes.ENROLMENT_TRACKING,
                                     variant="secondary", size="lg")),
                rx.el.li(button_link("Suivi de ma demande de financement", routes.FUNDING_TRACKING,
                                     size="lg")),
                class_name="fr-btns-group fr-btns-group--inline-lg",
            ),
        ),
    )
