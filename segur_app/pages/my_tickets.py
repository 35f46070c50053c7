"""« Mes demandes d'assistance » (supplier): the tickets sent while logged in."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.assistance import ticket_answer, ticket_summary
from segur_app.components.links import button_link
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.state.assistance import MyTicketsState


def _ticket(ticket) -> rx.Component:
    return rx.el.li(
        rx.el.article(
            ticket_summary(ticket),
            ticket_answer(ticket),
            class_name="fr-p-3w segur-ticket",
        ),
        class_name="fr-mb-3w",
    )


@private_page(route=routes.MY_TICKETS, title="Mes demandes d'assistance",
              audience=Audience.SUPPLIER, on_load=MyTicketsState.load)
def my_tickets() -> rx.Component:
    return rx.fragment(
        rx.el.p("Retrouvez ici les demandes envoyées à l'assistance de l'ASP depuis votre "
                "espace personnel et leurs réponses."),
        rx.cond(
            MyTicketsState.tickets.length() > 0,
            rx.el.ul(rx.foreach(MyTicketsState.tickets, _ticket), class_name="segur-plain-list"),
            rx.el.p("Vous n'avez encore envoyé aucune demande d'assistance.",
                    class_name="fr-text--lg"),
        ),
        rx.el.ul(
            rx.el.li(button_link("Contacter l'assistance", routes.ASSISTANCE, icon="mail-line")),
            rx.el.li(button_link("Besoin d'aide ?", routes.HELP, variant="secondary")),
            class_name="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left",
        ),
    )
