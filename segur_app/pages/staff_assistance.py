"""Staff: the assistance tickets (open first), their answer and « Clore »."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.assistance import ticket_answer, ticket_summary
from segur_app.components.forms import alert_if, buttons, submit_button
from segur_app.components.pagination import button_pagination
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.staff import hidden
from segur_app.domain import assistance
from segur_app.domain.models import TicketStatus
from segur_app.state.assistance import StaffAssistanceState

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
                           max_length=assistance.MAX_ANSWER_LENGTH, class_name="fr-input"),
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


def _pagination() -> rx.Component:
    return button_pagination(S.page, S.pages, on_previous=S.previous_page, on_next=S.next_page,
                             label="Pagination des demandes d'assistance")


@private_page(route=routes.STAFF_ASSISTANCE, title="Demandes d'assistance",
              audience=Audience.STAFF, on_load=S.load)
def staff_assistance() -> rx.Component:
    return rx.fragment(
        rx.el.p(S.open_tickets, " demande(s) en attente de réponse sur ", S.total, ".",
                role="status"),
        alert_if(S.message, kind="success"),
        alert_if(S.error),
        rx.cond(
            S.tickets.length() > 0,
            rx.el.ul(rx.foreach(S.tickets, _ticket), class_name="segur-plain-list"),
            rx.el.p("Aucune demande d'assistance.", class_name="fr-text--lg"),
        ),
        _pagination(),
    )
