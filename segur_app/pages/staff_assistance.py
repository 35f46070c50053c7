"""Staff: the assistance tickets (open first; filters, sort and page in the URL), their
answer and « Clore »."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.assistance import ticket_answer, ticket_summary
from segur_app.components.forms import alert_if, buttons, field, submit_button
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.staff import hidden, select
from segur_app.components.staff_list import filter_form, link_pagination
from segur_app.domain.models import TicketStatus
from segur_app.state.assistance import (
    CATEGORY_OPTIONS,
    SORT_OPTIONS,
    STATUS_OPTIONS,
    StaffAssistanceState,
)
from segur_app.domain.assistance import tickets

S = StaffAssistanceState


def _answer_form(ticket) -> rx.Component:
    field_id = "reponse-" + ticket.id.to_string()
    error = S.answer_errors.get(ticket.id.to_string(), "")
    return rx.el.form(
        hidden("ticket_id", ticket.id),
        rx.el.div(
            rx.el.label("Réponse à la demande ", ticket.number, class_name="fr-label",
                        html_for=field_id),
            rx.el.textarea(id=field_id, name="answer", rows=5, required=True,
                           max_length=tickets.MAX_ANSWER_LENGTH, class_name="fr-input"),
            rx.cond(error != "", rx.el.p(error, class_name="fr-error-text", role="alert")),
            class_name=rx.cond(error != "", "fr-input-group fr-input-group--error",
                               "fr-input-group"),
        ),
        buttons(submit_button("Envoyer la réponse")),
        on_submit=S.answer,
        reset_on_submit=False,
        no_validate=True,
        key=S.form_key.to_string() + "-" + ticket.id.to_string(),
        aria_label="Répondre à la demande " + ticket.number,
        class_name="segur-form",
    )


def _ticket(ticket) -> rx.Component:
    return rx.el.li(
        rx.el.article(
            ticket_summary(ticket, staff=True),
            ticket_answer(ticket, staff=True),
            rx.cond(ticket.status == TicketStatus.OPEN.value, _answer_form(ticket)),
            rx.cond(
                ticket.status != TicketStatus.CLOSED.value,
                rx.el.button(
                    "Clore", rx.el.span(" la demande ", ticket.number, class_name="fr-sr-only"),
                    type="button", on_click=S.close(ticket.id),
                    class_name="fr-btn fr-btn--secondary fr-btn--sm",
                ),
                rx.el.p("Close le ", ticket.closed_on, class_name="fr-text--sm"),
            ),
            class_name="fr-p-3w segur-ticket",
        ),
        class_name="fr-mb-3w",
    )


def _filters() -> rx.Component:
    return filter_form(
        (select("Statut", routes.PARAM_STATUS, STATUS_OPTIONS, value=S.status), "3"),
        (select("Objet de la demande", routes.PARAM_CATEGORY, CATEGORY_OPTIONS,
                value=S.category), "3"),
        (field("Rechercher", routes.PARAM_SEARCH, required=False, max_length=100,
               hint="Numéro de demande, adresse électronique ou nom du contact",
               default_value=S.search), "3"),
        (select("Trier par", routes.PARAM_SORT, SORT_OPTIONS, value=S.sort), "3"),
        state=S, on_submit=S.apply_filters, reset_href=routes.STAFF_ASSISTANCE,
    )


@private_page(route=routes.STAFF_ASSISTANCE, title="Demandes d'assistance",
              audience=Audience.STAFF, on_load=S.load)
def staff_assistance() -> rx.Component:
    return rx.fragment(
        rx.el.p(S.open_tickets, " demande(s) en attente de réponse.", role="status"),
        alert_if(S.message, kind="success"),
        alert_if(S.error),
        _filters(),
        rx.el.p(S.total.to_string(), " demande(s)", class_name="fr-text--bold"),
        rx.cond(
            S.tickets.length() > 0,
            rx.el.ul(rx.foreach(S.tickets, _ticket), class_name="segur-plain-list"),
            rx.el.p("Aucune demande d'assistance.", class_name="fr-text--lg"),
        ),
        link_pagination(S, label="Pagination des demandes d'assistance"),
    )
