"""« Ma demande de financement »: « 1 - Ma demande d'avance » (guide section 2) and
« 2 - Ma demande de solde », one form builder for both."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import alert, alert_if, buttons
from segur_app.components.funding import funding_steps, recap_list
from segur_app.components.links import button_link
from segur_app.components.private import private_page
from segur_app.domain.funding.deposit import piece_upload, required_documents
from segur_app.domain.models import AttachmentKind, FundingKind
from segur_app.state.funding import AdvanceState, BalanceState

TITLES = {FundingKind.ADVANCE: "Ma demande d'avance", FundingKind.BALANCE: "Ma demande de solde"}
AMOUNT_LABELS = {FundingKind.ADVANCE: "Montant de l'avance",
                 FundingKind.BALANCE: "Montant du solde"}


def _document_field(state, index: int, kind: AttachmentKind) -> rx.Component:
    slot = state.slots[index]
    upload_id = f"piece-{kind.value}"
    return file_picker(
        piece_upload(kind),
        label=f"{index + 1} - {kind.label} *",
        hint_id=f"aide-{kind.value}",
        upload_id=upload_id,
        on_drop=lambda files: state.stage_file(kind.value, files),
        staged_by=state, slot=kind.value,
        on_drop_rejected=state.client_rejected(kind.value),
        file_name=slot.file_name,
        size=slot.size,
        error=slot.error,
        on_remove=state.remove_file(kind.value),
        remove_label=kind.label,
    )


def _cancel_confirmation(state) -> rx.Component:
    return rx.cond(
        state.confirm_cancel,
        rx.el.div(
            rx.el.h3("Abandonner la demande ?", class_name="fr-alert__title"),
            rx.el.p("Les fichiers choisis ne seront pas conservés et aucune demande ne sera déposée."),
            buttons(
                rx.el.button("Oui, abandonner", type="button", on_click=state.cancel,
                             class_name="fr-btn"),
                rx.el.button("Non, continuer ma demande", type="button",
                             on_click=state.keep_editing,
                             class_name="fr-btn fr-btn--secondary"),
            ),
            class_name="fr-alert fr-alert--warning fr-mt-3w",
            role="alertdialog",
            aria_label="Abandonner la demande ?",
        ),
    )


def _form(state, kind: FundingKind) -> rx.Component:
    pieces = required_documents(kind)
    amount_id = f"montant-{kind.value}"
    return rx.el.section(
        rx.el.h2(TITLES[kind]),
        rx.el.h3("Informations de la demande"),
        alert_if(state.form_error),
        *[_document_field(state, i, piece) for i, piece in enumerate(pieces)],
        rx.el.div(
            rx.el.label(f"{len(pieces) + 1} - {AMOUNT_LABELS[kind]}",
                        class_name="fr-label", html_for=amount_id),
            rx.el.input(id=amount_id, value=state.amount, read_only=True,
                        class_name="fr-input", aria_readonly="true"),
            class_name="fr-input-group fr-mb-4w",
        ),
        buttons(
            rx.el.button(
                rx.cond(state.submitting, "Dépôt en cours…", "Valider"),
                type="button", on_click=state.submit,
                disabled=state.submitting, class_name="fr-btn",
            ),
            rx.el.button("Annuler", type="button", on_click=state.ask_cancel,
                         class_name="fr-btn fr-btn--secondary"),
        ),
        _cancel_confirmation(state),
    )


def _deposited(state, kind: FundingKind) -> rx.Component:
    return rx.fragment(
        rx.el.div(
            rx.el.h2(f"Votre {TITLES[kind][3:].lower()} a bien été déposée",
                     class_name="fr-alert__title"),
            rx.el.p(
                "Numéro de dossier : ", rx.el.strong(state.deposited_number),
                ". Un courriel de confirmation vous a été envoyé.",
            ),
            class_name="fr-alert fr-alert--success fr-mb-4w",
            role="status",
        ),
        button_link("Suivi de ma demande de financement", routes.FUNDING_TRACKING),
    )


def funding_form(state, kind: FundingKind) -> rx.Component:
    """The whole screen body for ``kind`` driven by ``state``."""
    return rx.fragment(
        funding_steps(1 if kind is FundingKind.ADVANCE else 2),
        rx.el.section(
            rx.el.h2("Récapitulatif"),
            rx.cond(state.summary, recap_list(state.summary)),
            class_name="fr-mb-4w",
        ),
        rx.cond(
            state.deposited_number != "",
            _deposited(state, kind),
            rx.cond(state.refusal != "", alert(state.refusal, kind="info"), _form(state, kind)),
        ),
    )


@private_page(route=routes.FUNDING_ADVANCE, title="Ma demande d'avance",
              heading="Ma demande de financement", on_load=AdvanceState.load)
def funding_advance() -> rx.Component:
    return funding_form(AdvanceState, FundingKind.ADVANCE)


@private_page(route=routes.FUNDING_BALANCE, title="Ma demande de solde",
              heading="Ma demande de financement", on_load=BalanceState.load)
def funding_balance() -> rx.Component:
    return funding_form(BalanceState, FundingKind.BALANCE)
