"""Pieces of the instruction screen's one-action controls: the feedback bar with
« Annuler », the « Tout est conforme » confirmation, the email preview."""

from __future__ import annotations

import reflex as rx

from segur_app.components.forms import buttons


def feedback_bar(*, message, error, undo_label, on_undo) -> rx.Component:
    """Fixed at the bottom of the window, so the result of a change (and its
    « Annuler ») is seen wherever the agent is in the page."""
    return rx.fragment(
        rx.el.div(
            rx.cond(error != "", rx.el.p(error, class_name="fr-error-text fr-mt-0", role="alert")),
            rx.cond(message != "", rx.el.p(message, class_name="fr-mb-0")),
            rx.cond(undo_label != "", rx.el.button(
                "Annuler", rx.el.span(" ", undo_label, class_name="fr-sr-only"),
                type="button", on_click=on_undo,
                class_name="fr-btn fr-btn--secondary fr-btn--sm fr-icon-arrow-go-back-line "
                           "fr-btn--icon-left",
            )),
            role="status",
            class_name=rx.cond((message != "") | (error != ""), "segur-feedback-bar",
                               "segur-feedback-bar fr-hidden"),
        ),
        rx.cond((message != "") | (error != ""), rx.el.div(class_name="segur-feedback-spacer")),
    )


def all_compliant_button(block: str, title: str, *, on_ask) -> rx.Component:
    return rx.el.button(
        "Tout est conforme", rx.el.span(f" : bloc « {title} »", class_name="fr-sr-only"),
        type="button", on_click=on_ask,
        class_name="fr-btn fr-btn--tertiary fr-btn--sm fr-icon-check-line fr-btn--icon-left "
                   "fr-mt-2w",
    )


def all_compliant_confirmation(*, title, on_confirm, on_cancel) -> rx.Component:
    return rx.el.div(
        rx.el.h4("Tout est conforme ?", class_name="fr-alert__title"),
        rx.el.p("Le bloc « ", title, " » sera entièrement marqué conforme "
                "(contrôle OK, toutes ses pièces « Conforme »). Vous pourrez annuler."),
        buttons(
            rx.el.button("Confirmer", type="button", on_click=on_confirm, auto_focus=True,
                         class_name="fr-btn fr-btn--sm"),
            rx.el.button("Ne rien changer", type="button", on_click=on_cancel,
                         class_name="fr-btn fr-btn--secondary fr-btn--sm"),
        ),
        role="alertdialog",
        aria_label="Tout est conforme ?",
        class_name="fr-alert fr-alert--info fr-mt-2w",
    )


def email_preview(*, title, subject, body, on_close) -> rx.Component:
    """What the supplier would receive, rendered from the outbox's template."""
    return rx.el.section(
        rx.el.h3(title, class_name="fr-h6"),
        rx.el.p(rx.el.span("Objet : ", class_name="segur-label"), rx.el.strong(subject)),
        rx.el.div(body, class_name="segur-pre-line fr-p-2w segur-email"),
        buttons(rx.el.button("Fermer l'aperçu", type="button", on_click=on_close,
                             class_name="fr-btn fr-btn--secondary fr-btn--sm")),
        aria_label=title,
        class_name="segur-staff-tool fr-mb-3w",
    )
