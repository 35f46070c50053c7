"""An assistance ticket as suppliers and staff see it (number, status, message, answer)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes

from segur_app.components.funding import badge
from segur_app.components.links import anchor


def attachment_link(ticket) -> rx.Component:
    return rx.cond(
        ticket.attachment_id,
        rx.el.p(
            anchor(
                "Pièce jointe : ", ticket.attachment_name,
                href=routes.DOCUMENTS + "/" + ticket.attachment_id.to_string(),
                class_name="fr-link fr-icon-attachment-line fr-link--icon-left",
                target="_blank",
                title="Pièce jointe de la demande " + ticket.number + " - nouvelle fenêtre",
            ),
            class_name="fr-mb-2w",
        ),
    )


def ticket_summary(ticket, *, level: str = "h2", staff: bool = False) -> rx.Component:
    """Heading, status badge, dates and the message of ``ticket`` (a TicketView var)."""
    heading = rx.el.h2 if level == "h2" else rx.el.h3
    details = [
        rx.el.li("Objet : ", ticket.category),
        rx.el.li("Envoyée le : ", ticket.created_on),
    ]
    if staff:
        details += [
            rx.el.li("Contact : ", rx.cond(ticket.contact_name != "",
                                           ticket.contact_name + " — ", ""),
                     ticket.contact_email),
        ]
    return rx.fragment(
        heading("Demande ", ticket.number, class_name="fr-h5 fr-mb-1w"),
        rx.el.p(badge(ticket.status_label), class_name="fr-mb-1w"),
        rx.el.ul(*details, class_name="fr-text--sm segur-plain-list"),
        rx.el.p("Votre message :" if not staff else "Message :", class_name="fr-text--bold fr-mb-1w"),
        rx.el.p(ticket.message, class_name="segur-ticket__text"),
        attachment_link(ticket),
    )


def ticket_answer(ticket, *, staff: bool = False) -> rx.Component:
    return rx.cond(
        ticket.answer != "",
        rx.el.div(
            rx.el.p(
                "Réponse de l'assistance" if not staff else "Réponse envoyée",
                " (le ", ticket.answered_on, ")",
                class_name="fr-text--bold fr-mb-1w",
            ),
            rx.el.p(ticket.answer, class_name="segur-ticket__text"),
            class_name="fr-background-alt--blue-france fr-p-2w fr-mb-2w",
        ),
    )
