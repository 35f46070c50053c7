"""« Suivi de ma demande de financement »: the consultation screen (guide section 3)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.corrections import asked_pieces_table
from segur_app.components.dossier import blocks_section, recap_section
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import alert_if, buttons
from segur_app.components.funding import badge
from segur_app.components.links import button_link, internal_link
from segur_app.components.private import private_page
from segur_app.components.staff import textarea
from segur_app.domain.funding.deposit import piece_upload
from segur_app.domain.models import AttachmentKind
from segur_app.state.corrections import CorrectionFormState, piece_kinds
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


def _new_version(kind: AttachmentKind) -> rx.Component:
    state = CorrectionFormState
    upload_id = f"complement-{kind.value}"
    return rx.cond(
        state.asked.contains(kind.value),
        file_picker(
            piece_upload(kind),
            label=f"Nouvelle version : {kind.label} *",
            hint_id=f"aide-complement-{kind.value}",
            upload_id=upload_id,
            on_drop=state.stage_file(kind.value, rx.upload_files(upload_id=upload_id)),
            on_drop_rejected=state.client_rejected(kind.value),
            file_name=state.file_names[kind.value],
            size=state.sizes[kind.value],
            error=state.errors[kind.value],
            on_remove=state.remove_file(kind.value),
            remove_label=kind.label,
        ),
    )


def _correction_request() -> rx.Component:
    """« Demande de compléments »: what to replace and why, and the answer form."""
    state = CorrectionFormState
    correction = state.correction
    return rx.el.section(
        rx.el.div(
            rx.el.h2("Demande de compléments", class_name="fr-alert__title",
                     id="titre-complements"),
            rx.el.p(
                "L'ASP vous demande de remplacer les pièces ci-dessous de votre ",
                correction.kind_label.lower(), " n° ", correction.dossier_number,
                " avant le ", rx.el.strong(correction.view.due_on), ".",
            ),
            rx.cond(correction.view.message != "",
                    rx.el.p("Message de l'instructeur : ", correction.view.message)),
            class_name="fr-alert fr-alert--warning fr-mb-3w",
        ),
        asked_pieces_table(correction.view.pieces, caption="Pièces à remplacer"),
        rx.el.h3("Déposer les nouvelles versions"),
        alert_if(state.form_error),
        *[_new_version(kind) for kind in piece_kinds()],
        rx.el.form(
            textarea("Commentaire pour l'instructeur (facultatif)", "comment",
                     field_id="commentaire-complements"),
            buttons(rx.el.button(
                rx.cond(state.submitting, "Envoi en cours…", "Envoyer les compléments"),
                type="submit", disabled=state.submitting, class_name="fr-btn")),
            on_submit=state.send,
            aria_label="Envoi des compléments",
        ),
        class_name="fr-mb-6w",
        aria_labelledby="titre-complements",
    )


def _no_request() -> rx.Component:
    return rx.fragment(
        rx.el.p("Vous n'avez pas encore déposé de demande de financement."),
        button_link("Ma demande d'avance", routes.FUNDING_ADVANCE),
    )


@private_page(route=routes.FUNDING_TRACKING, title="Suivi de ma demande de financement",
              on_load=[TrackingState.load, CorrectionFormState.load])
def funding_tracking() -> rx.Component:
    return rx.fragment(
        alert_if(CorrectionFormState.sent_message, kind="success"),
        rx.cond(
            TrackingState.has_request,
            rx.fragment(
                _steps(),
                rx.cond(CorrectionFormState.has_open, _correction_request()),
                recap_section(TrackingState.summary, TrackingState.view),
                blocks_section(TrackingState.view),
                rx.cond(TrackingState.has_balance, _balance()),
            ),
            _no_request(),
        ),
        rx.el.div(internal_link("← Retour", href=routes.PRIVATE_HOME, class_name="fr-link"),
                  class_name="fr-mt-4w"),
    )
