"""The dossier as the supplier sees it (récapitulatif + the four blocks).

Shared by the supplier's consultation screen and the staff instruction screen,
which adds its controls inside the blocks.
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes

from segur_app.components.funding import (
    badge,
    bank_values,
    collapsible_block,
    labelled_value,
    recap_list,
)
from segur_app.components.generated_documents import issued_documents
from segur_app.components.links import anchor


def recap_section(summary, view) -> rx.Component:
    """« 1 - Ma demande récapitulatif »: supplier, dossier number, dates, status, and
    the PDFs issued for the dossier (deposit receipt, decision letter)."""
    return rx.el.section(
        rx.el.h2("1 - Ma demande récapitulatif"),
        recap_list(summary),
        rx.el.ul(
            labelled_value("Numéro de dossier", view.dossier_number),
            labelled_value("Date de dépôt", view.deposited_on),
            rx.el.li(rx.el.span("Statut de la demande : ", class_name="segur-label"),
                     badge(view.status_label)),
            labelled_value("Date de changement de statut", view.status_changed_on),
            class_name="segur-recap",
        ),
        issued_documents(view.issued),
        class_name="fr-mb-4w",
    )


def scan_badge(label) -> rx.Component:
    """The antivirus verdict of a piece (staff only), « Analyse antivirus : Sain »."""
    return rx.el.span(rx.el.span("Analyse antivirus : ", class_name="fr-sr-only"), badge(label))


def _document_row(document, staff: bool) -> rx.Component:
    return rx.el.tr(
        rx.el.td(document.label),
        rx.el.td(
            anchor(
                document.file_name,
                href=routes.DOCUMENTS + "/" + document.id.to_string(),
                target="_blank",
                title="Ouvrir « " + document.file_name + " » - nouvelle fenêtre",
                class_name="fr-link",
            ),
        ),
        rx.el.td(document.size),
        rx.el.td(document.deposited_on),
        rx.el.td(badge(document.review_label)),
        *([rx.el.td(scan_badge(document.scan_label))] if staff else []),
    )


def _documents_table(view, staff: bool) -> rx.Component:
    headers = ("Pièce", "Fichier", "Taille", "Date de dépôt", "Statut") + (
        ("Antivirus",) if staff else ())
    return rx.el.div(
        rx.el.table(
            rx.el.caption("Pièces jointes transmises", class_name="fr-sr-only"),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(view.documents, lambda d: _document_row(d, staff))),
        ),
        class_name="fr-table fr-table--no-caption",
    )


def _email_item(email) -> rx.Component:
    return rx.el.li(
        rx.el.details(
            rx.el.summary(
                rx.el.span(email.date, " — ", email.subject),
                " ",
                badge(email.status_label),
            ),
            rx.el.div(email.body, class_name="segur-pre-line fr-p-2w segur-email"),
        ),
        class_name="fr-mb-2w",
    )


def blocks_section(
    view, tools: dict[str, rx.Component] | None = None, *, prefix: str = "",
    staff: bool = False,
) -> rx.Component:
    """« 2 - Informations de la demande »: the four collapsible blocks.

    ``tools`` adds staff controls at the end of a block, keyed by block id
    ("informations", "coordonnees-bancaires", "pieces-justificatives");
    ``staff`` adds the antivirus verdict of each piece.
    """
    tools = tools or {}
    return rx.el.section(
        rx.el.h2("2 - Informations de la demande"),
        rx.el.div(
            collapsible_block(
                "Informations de la demande", view.info_control_label,
                rx.el.ul(
                    labelled_value("Taux de TVA", view.vat_label),
                    rx.el.li(rx.el.span(view.amount_label, " : ", class_name="segur-label"),
                             rx.el.strong(view.amount)),
                    class_name="segur-recap",
                ),
                tools.get("informations", rx.fragment()),
                block_id=prefix + "bloc-informations",
            ),
            collapsible_block(
                "Coordonnées bancaires", view.bank_control_label,
                bank_values(view),
                tools.get("coordonnees-bancaires", rx.fragment()),
                block_id=prefix + "bloc-coordonnees-bancaires",
            ),
            collapsible_block(
                "Pièces justificatives", view.documents_badge, _documents_table(view, staff),
                tools.get("pieces-justificatives", rx.fragment()),
                block_id=prefix + "bloc-pieces-justificatives",
            ),
            collapsible_block(
                "Courriels automatiques envoyés", None,
                rx.cond(
                    view.emails.length() > 0,
                    rx.el.ul(rx.foreach(view.emails, _email_item), class_name="segur-plain-list"),
                    rx.el.p("Aucun courriel envoyé pour le moment."),
                ),
                block_id=prefix + "bloc-courriels",
            ),
            class_name="fr-accordions-group",
        ),
        class_name="fr-mb-4w",
    )
