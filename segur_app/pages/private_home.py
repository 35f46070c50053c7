"""« Accueil fournisseur SAS »: news and the two tracking shortcuts (guide 1, last screen)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.links import button_link
from segur_app.components.news import news_card
from segur_app.components.private import private_page
from segur_app.state.home import HomeState


def _pagination() -> rx.Component:
    return rx.cond(
        HomeState.news_pages > 1,
        rx.el.nav(
            rx.el.ul(
                rx.el.li(rx.el.button(
                    "Actualités plus récentes", type="button", on_click=HomeState.previous_page,
                    disabled=HomeState.news_page <= 1,
                    class_name="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label",
                )),
                rx.el.li(rx.el.span(
                    "Page ", HomeState.news_page.to_string(), " sur ",
                    HomeState.news_pages.to_string(), class_name="fr-pagination__link",
                    aria_current="page",
                )),
                rx.el.li(rx.el.button(
                    "Actualités plus anciennes", type="button", on_click=HomeState.next_page,
                    disabled=HomeState.news_page >= HomeState.news_pages,
                    class_name="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label",
                )),
                class_name="fr-pagination__list",
            ),
            class_name="fr-pagination",
            aria_label="Pagination des actualités",
        ),
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
