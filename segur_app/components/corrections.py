"""« Demande de compléments »: the pieces asked for, their versions, the rounds.

Shared by the supplier's consultation screen (what to replace and why) and the
staff instruction screen (every round, both versions of each piece).
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.funding import badge
from segur_app.components.links import anchor


def document_link(document_id, file_name, *, context: str) -> rx.Component:
    """A link to a stored piece (``/documents/{id}``, checked on each request)."""
    return anchor(
        file_name,
        href=routes.DOCUMENTS + "/" + document_id.to_string(),
        target="_blank",
        title=context + " « " + file_name + " » - nouvelle fenêtre",
        class_name="fr-link",
    )


def _piece_row(piece, *, versions: bool) -> rx.Component:
    cells = [
        rx.el.td(piece.label),
        rx.el.td(piece.reason_label),
        rx.el.td(piece.comment),
        rx.el.td(document_link(piece.old_id, piece.old_file_name,
                               context="Ouvrir la version non conforme"),
                 rx.el.br(), rx.el.span("déposée le ", piece.old_deposited_on,
                                        class_name="fr-text--xs")),
    ]
    if versions:
        cells.append(rx.el.td(rx.cond(
            piece.new_id != 0,
            rx.fragment(document_link(piece.new_id, piece.new_file_name,
                                      context="Ouvrir la nouvelle version"),
                        rx.el.br(), rx.el.span("déposée le ", piece.new_deposited_on,
                                               class_name="fr-text--xs")),
            badge("En attente"),
        )))
    return rx.el.tr(*cells)


def asked_pieces_table(pieces, *, caption: str, versions: bool = False) -> rx.Component:
    """Pièce, motif, précision, the version found non conforme (and its replacement)."""
    headers = ["Pièce", "Motif", "Précision", "Version non conforme"]
    if versions:
        headers.append("Nouvelle version")
    return rx.el.div(
        rx.el.table(
            rx.el.caption(caption),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(pieces, lambda p: _piece_row(p, versions=versions))),
        ),
        class_name="fr-table",
    )


def _round(item) -> rx.Component:
    return rx.el.li(
        rx.el.h4(
            "Demande du ", item.requested_on, " — réponse attendue avant le ", item.due_on, " ",
            rx.cond(item.is_open,
                    rx.cond(item.overdue, badge("Délai dépassé"),
                            badge("En attente de compléments")),
                    rx.cond(item.answered_on != "", badge("Compléments reçus"), badge("Close"))),
            class_name="fr-h6",
        ),
        rx.cond(item.message != "", rx.el.p("Message au fournisseur : ", item.message,
                                            class_name="fr-text--sm")),
        rx.cond(item.reminder_sent, rx.el.p("Relance envoyée au fournisseur.",
                                            class_name="fr-text--sm")),
        asked_pieces_table(item.pieces, caption="Pièces demandées", versions=True),
        rx.cond(item.answered_on != "", rx.el.p(
            "Compléments reçus le ", item.answered_on,
            rx.cond(item.supplier_comment != "",
                    rx.fragment(" — Commentaire du fournisseur : ", item.supplier_comment)),
            class_name="fr-text--sm segur-pre-line",
        )),
        class_name="fr-mb-3w",
    )


def correction_rounds(rounds) -> rx.Component:
    """Every « Demande de compléments » of a dossier, newest first (staff)."""
    return rx.cond(
        rounds.length() > 0,
        rx.el.section(
            rx.el.h3("Demandes de compléments", class_name="fr-h5 fr-mt-3w"),
            rx.el.ul(rx.foreach(rounds, _round), class_name="segur-plain-list"),
        ),
    )
