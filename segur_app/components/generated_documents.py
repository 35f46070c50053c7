"""The download links of the PDFs the portal issued for a dossier (receipt, decision letter)."""

from __future__ import annotations

import reflex as rx

from segur_app.components.links import anchor


def _download(document) -> rx.Component:
    return rx.el.div(
        rx.el.p(
            anchor(
                document.download_text,
                rx.cond(
                    document.size != "",
                    rx.el.span("PDF – ", document.size, " – émis le ", document.generated_on,
                               class_name="fr-download__detail"),
                    rx.el.span("PDF", class_name="fr-download__detail"),
                ),
                href=document.href,
                download=document.file_name,
                class_name="fr-download__link",
            ),
        ),
        class_name="fr-download",
    )


def issued_documents(documents, *, title: str = "Documents de la demande") -> rx.Component:
    """``documents``: a list var of ``GeneratedDocumentView``; nothing shown when empty."""
    return rx.cond(
        documents.length() > 0,
        rx.el.section(
            rx.el.h3(title, class_name="fr-h6"),
            rx.foreach(documents, _download),
            class_name="fr-mt-3w segur-issued-documents",
        ),
    )
