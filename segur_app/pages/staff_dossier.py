"""Instruction of one funding request: what the supplier sees, plus the staff tools."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.corrections import correction_rounds
from segur_app.components.dossier import blocks_section, recap_section
from segur_app.components.forms import alert, buttons, submit_button
from segur_app.components.funding import badge
from segur_app.components.links import internal_link
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.quick_review import (
    all_compliant_button,
    all_compliant_confirmation,
    email_preview,
    feedback_bar,
)
from segur_app.components.staff import radio_group, select, textarea
from segur_app.domain.models import ControlStatus, CorrectionReason, ReviewStatus
from segur_app.domain.funding.quick_review import BLOCK_TITLES, PIECES_BLOCK
from segur_app.state.instruction import DossierState

CONTROL_OPTIONS = ControlStatus.options()
REVIEW_OPTIONS = ReviewStatus.options()
REASON_OPTIONS = [("", "Choisir un motif"), *CorrectionReason.options()]


def _all_compliant(block: str, title: str) -> rx.Component:
    """« Tout est conforme » for a block, then its confirmation."""
    return rx.fragment(
        all_compliant_button(block, title, on_ask=DossierState.ask_all_compliant(block)),
        rx.cond(DossierState.confirm_block == block, all_compliant_confirmation(
            title=DossierState.confirm_title, on_confirm=DossierState.confirm_all_compliant,
            on_cancel=DossierState.cancel_all_compliant)),
    )


def _control_form(block: str, title: str, current, comment) -> rx.Component:
    return rx.el.div(
        rx.el.h4(f"Contrôle du bloc « {title} »", class_name="fr-h6 fr-mt-3w"),
        textarea("Commentaire", "comment", field_id=f"commentaire-{block}",
                 hint="Obligatoire pour un contrôle KO : saisissez-le avant de choisir "
                      "« Contrôle KO ».",
                 key=DossierState.detail.version.to_string() + block,
                 on_blur=lambda value: DossierState.keep_draft(f"control-{block}", value)),
        rx.cond(comment != "", rx.el.p("Commentaire actuel : ", comment, class_name="fr-text--sm")),
        radio_group(f"Décision sur le bloc « {title} »", f"controle-{block}", CONTROL_OPTIONS,
                    current=current, group_id=f"controle-{block}",
                    on_choose=lambda value: DossierState.choose_control(block, value)),
        rx.cond(~DossierState.awaiting, _all_compliant(block, title)),
        role="group",
        aria_label=f"Contrôle {title}",
        class_name="segur-staff-tool",
    )


def _preview(piece) -> rx.Component:
    url = routes.DOCUMENTS + "/" + piece.id.to_string()
    return rx.cond(
        piece.mime_type == "application/pdf",
        rx.el.iframe(src=url, title="Aperçu de « " + piece.file_name + " »",
                     class_name="segur-preview"),
        rx.el.img(src=url, alt="Aperçu de « " + piece.file_name + " »",
                  class_name="segur-preview segur-preview--image"),
    )


def _piece_review(piece) -> rx.Component:
    key = piece.id.to_string()
    return rx.el.div(
        rx.el.h4(piece.kind_label, " ", badge(piece.review_label), class_name="fr-h6"),
        rx.el.details(
            rx.el.summary("Aperçu de ", piece.file_name),
            _preview(piece),
        ),
        select("Motif de non-conformité", "reason", REASON_OPTIONS, value=piece.reason,
               field_id="motif-piece-" + key, key=DossierState.detail.version.to_string() + key,
               on_change=lambda value: DossierState.choose_reason(piece.id, value)),
        textarea("Commentaire", "comment", field_id="commentaire-piece-" + key,
                 hint="Transmis au fournisseur avec le motif ; obligatoire pour le motif "
                      "« Autre ». Saisissez-le avant de choisir « Non conforme ».",
                 key=DossierState.detail.version.to_string() + "c" + key,
                 on_blur=lambda value: DossierState.keep_draft("comment-" + key, value)),
        rx.cond(piece.reason_label != "",
                rx.el.p("Motif actuel : ", piece.reason_label, class_name="fr-text--sm")),
        rx.cond(piece.comment != "",
                rx.el.p("Commentaire actuel : ", piece.comment, class_name="fr-text--sm")),
        radio_group("Décision sur la pièce", "decision-" + key, REVIEW_OPTIONS,
                    current=piece.review_status, group_id="piece-" + key,
                    on_choose=lambda value: DossierState.choose_review(piece.id, value)),
        role="group",
        aria_label="Instruction de la pièce « " + piece.kind_label + " »",
        class_name="segur-staff-tool fr-mb-3w",
    )


def _preview_here(place: str) -> rx.Component:
    return rx.cond(
        (DossierState.preview_title != "") & (DossierState.preview_place == place),
        email_preview(title=DossierState.preview_title, subject=DossierState.preview_subject,
                      body=DossierState.preview_body, on_close=DossierState.close_preview),
    )


def _tools() -> dict[str, rx.Component]:
    detail = DossierState.detail
    return {
        "informations": _control_form("info", "Informations de la demande",
                                      detail.info_control, detail.info_comment),
        "coordonnees-bancaires": _control_form("bank", "Coordonnées bancaires",
                                               detail.bank_control, detail.bank_comment),
        "pieces-justificatives": rx.el.div(
            rx.cond(DossierState.awaiting, rx.fragment(), rx.fragment(
                rx.foreach(detail.attachments, _piece_review),
                _all_compliant(PIECES_BLOCK, BLOCK_TITLES[PIECES_BLOCK]),
            )),
            _ask_corrections(),
            correction_rounds(DossierState.rounds),
            class_name="fr-mt-3w",
        ),
    }


def _ask_corrections() -> rx.Component:
    """« Demander des compléments » (pieces marked « Non conforme »), or where it stands."""
    return rx.cond(
        DossierState.awaiting,
        rx.el.div(
            rx.el.p(
                "En attente de compléments du fournisseur : réponse attendue avant le ",
                DossierState.due_on, ". ",
                rx.cond(DossierState.overdue, badge("Délai dépassé")),
            ),
            class_name="fr-alert fr-alert--info fr-mb-3w",
        ),
        rx.cond(
            DossierState.can_ask,
            rx.el.form(
                rx.el.h4("Demande de compléments", class_name="fr-h6"),
                rx.el.p("Les pièces « Non conforme » seront demandées au fournisseur avec leur "
                        "motif ; il disposera d'un délai pour les remplacer.",
                        class_name="fr-text--sm"),
                textarea("Message au fournisseur (facultatif)", "message",
                         field_id="message-complements",
                         on_blur=lambda value: DossierState.keep_draft("corrections-message",
                                                                       value)),
                buttons(submit_button("Demander des compléments"),
                        rx.el.button("Prévisualiser le courriel", type="button",
                                     on_click=DossierState.preview_corrections,
                                     class_name="fr-btn fr-btn--secondary")),
                _preview_here("corrections"),
                on_submit=DossierState.ask_corrections,
                reset_on_submit=True,
                aria_label="Demande de compléments",
                class_name="segur-staff-tool fr-mb-3w",
            ),
            rx.cond(~DossierState.detail.decided, rx.el.p(
                "Pour demander des compléments, marquez les pièces concernées « Non conforme » "
                "avec leur motif.", class_name="fr-text--sm")),
        ),
    )


def _decision() -> rx.Component:
    detail = DossierState.detail
    return rx.el.section(
        rx.el.h2("Décision"),
        rx.cond(
            detail.decided,
            rx.el.p("Décision prise : ", badge(DossierState.view.status_label),
                    rx.cond(detail.decision_reason != "", rx.fragment(" — Motif : ",
                                                                      detail.decision_reason))),
            rx.fragment(
                rx.cond(~detail.can_validate, rx.el.p(
                    "« Valider » est possible lorsque tous les contrôles sont « Contrôle OK » "
                    "et toutes les pièces « Conforme ».", class_name="fr-text--sm")),
                buttons(rx.el.button("Valider", type="button", on_click=DossierState.validate,
                                     disabled=~detail.can_validate, class_name="fr-btn"),
                        rx.el.button("Prévisualiser le courriel de validation", type="button",
                                     on_click=DossierState.preview_decision(True),
                                     class_name="fr-btn fr-btn--secondary")),
                rx.cond(DossierState.awaiting & ~DossierState.overdue, rx.el.p(
                    "Le dossier est en attente de compléments : il pourra être rejeté une fois "
                    "le délai de réponse du fournisseur dépassé.", class_name="fr-text--sm"),
                rx.el.form(
                    textarea("Motif du rejet", "reason", field_id="motif-rejet", required=True,
                             on_blur=lambda value: DossierState.keep_draft("reject-reason",
                                                                           value)),
                    buttons(rx.el.button("Rejeter", type="submit",
                                         class_name="fr-btn fr-btn--secondary"),
                            rx.el.button("Prévisualiser le courriel de rejet", type="button",
                                         on_click=DossierState.preview_decision(False),
                                         class_name="fr-btn fr-btn--tertiary")),
                    on_submit=DossierState.reject,
                    aria_label="Rejet de la demande",
                    class_name="fr-mt-3w",
                )),
            ),
        ),
        _preview_here("decision"),
        class_name="fr-mb-4w",
    )


def _notes_and_history() -> rx.Component:
    detail = DossierState.detail
    return rx.fragment(
        rx.el.section(
            rx.el.h2("Notes internes"),
            rx.el.p("Visibles uniquement par les agents de l'ASP.", class_name="fr-text--sm"),
            rx.el.form(
                textarea("Nouvelle note", "note", field_id="note-interne", required=True),
                buttons(submit_button("Ajouter la note")),
                on_submit=DossierState.add_note,
                reset_on_submit=True,
                aria_label="Nouvelle note interne",
            ),
            rx.el.ul(rx.foreach(detail.notes, lambda n: rx.el.li(
                rx.el.strong(n.when, " — ", n.who), rx.el.p(n.text, class_name="segur-pre-line"),
            )), class_name="segur-plain-list"),
            class_name="fr-mb-4w",
        ),
        rx.el.section(
            rx.el.h2("Historique"),
            rx.el.ul(rx.foreach(detail.history, lambda h: rx.el.li(
                rx.el.span(h.when, class_name="segur-label"), " — ", h.who, " : ", h.what,
            )), class_name="segur-history"),
            class_name="fr-mb-4w",
        ),
    )


def _navigation() -> rx.Component:
    return rx.el.nav(
        rx.el.ul(
            rx.el.li(internal_link("Retour à la liste", href=DossierState.list_href,
                                   class_name="fr-link")),
            rx.cond(DossierState.previous_href != "", rx.el.li(internal_link(
                "Dossier précédent", href=DossierState.previous_href, class_name="fr-link"))),
            rx.cond(DossierState.next_href != "", rx.el.li(internal_link(
                "Dossier suivant", href=DossierState.next_href, class_name="fr-link"))),
            class_name="segur-dossier-nav",
        ),
        aria_label="Navigation entre les dossiers",
        class_name="fr-mb-3w",
    )


@private_page(route=routes.STAFF_FUNDING_REQUEST, title="Instruction d'une demande de financement",
              audience=Audience.STAFF, on_load=DossierState.load)
def staff_dossier() -> rx.Component:
    return rx.fragment(
        _navigation(),
        feedback_bar(message=DossierState.message, error=DossierState.error,
                     undo_label=DossierState.undo_label, on_undo=DossierState.undo),
        rx.cond(
            DossierState.found,
            rx.fragment(
                rx.el.p(rx.el.strong(DossierState.detail.dossier_number), " — ",
                        DossierState.detail.company_name, class_name="fr-text--lead"),
                recap_section(DossierState.summary, DossierState.view),
                blocks_section(DossierState.view, tools=_tools(), staff=True),
                _decision(),
                _notes_and_history(),
            ),
            alert("Dossier introuvable."),
        ),
    )
