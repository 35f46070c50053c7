"""« Suivi de ma demande de financement »: the consultation screen (guide section 3)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.dossier import blocks_section, recap_section
from segur_app.components.funding import badge
from segur_app.components.links import button_link, internal_link
from segur_app.components.private import private_page
from segur_app.state.funding import TrackingState


def _steps() -> rx.Component:
    """Both funding steps with their status."""
    return rx.el.ul(
        rx.el.li("1 - Ma demande d'avance : ", badge(TrackingState.view.status_label)),
        rx.el.li(
            "2 - Ma demande de solde : ",
            rx.cond(TrackingState.has_balance, badge(TrackingState.balance.status_label),
                    internal_link("non déposée", href=routes.FUNDING_BALANCE, class_name="fr-link")),
        ),
        class_name="segur-recap fr-mb-4w",
        aria_label="Étapes de la demande de financement",
    )


def _balance() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Ma demande de solde", class_name="fr-mt-6w"),
        recap_section(TrackingState.summary, TrackingState.balance),
        blocks_section(TrackingState.balance, prefix="solde-"),
    )


def _no_request() -> rx.Component:
    return rx.fragment(
        rx.el.p("Vous n'avez pas encore déposé de demande de financement."),
        button_link("Ma demande d'avance", routes.FUNDING_ADVANCE),
    )


@private_page(route=routes.FUNDING_TRACKING, title="Suivi de ma demande de financement",
              on_load=TrackingState.load)
def funding_tracking() -> rx.Component:
    return rx.fragment(
        rx.cond(
            TrackingState.has_request,
            rx.fragment(
                _steps(),
                recap_section(TrackingState.summary, TrackingState.view),
                blocks_section(TrackingState.view),
                rx.cond(TrackingState.has_balance, _balance()),
            ),
            _no_request(),
        ),
        rx.el.div(internal_link("← Retour", href=routes.PRIVATE_HOME, class_name="fr-link"),
                  class_name="fr-mt-4w"),
    )
