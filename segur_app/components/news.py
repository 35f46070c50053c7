"""News item cards (« Actualités »)."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.links import anchor, internal_link


def attachment_link(item) -> rx.Component:
    return rx.cond(
        item.attachment_id,
        anchor(
            "Pièce jointe",
            href=routes.DOCUMENTS + "/" + item.attachment_id.to_string(),
            class_name="fr-link fr-icon-attachment-line fr-link--icon-left",
            target="_blank",
            title="Pièce jointe de « " + item.title + " » - nouvelle fenêtre",
        ),
    )


def news_meta(item) -> rx.Component:
    return rx.el.p(
        "Publiée le : ", item.published_on, " — Catégorie : ", item.category,
        class_name="fr-card__detail fr-text--sm fr-mb-1w",
    )


def news_card(item) -> rx.Component:
    """One news item of the home list: title, attachment, date, category, excerpt."""
    return rx.el.article(
        rx.el.h3(item.title, class_name="fr-h5 fr-mb-1w"),
        news_meta(item),
        rx.el.p(item.excerpt),
        rx.el.div(
            attachment_link(item),
            internal_link(
                "Lire la suite",
                href=routes.NEWS + "?" + routes.NEWS_ID_PARAM + "=" + item.id.to_string(),
                class_name="fr-btn fr-btn--sm fr-btn--secondary",
                title="Lire la suite de « " + item.title + " »",
            ),
            class_name="segur-news__actions",
        ),
        class_name="segur-news fr-p-3w fr-mb-3w",
    )
