"""Staff: create, edit, publish and unpublish the « Actualités »."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import alert_if, buttons, submit_button
from segur_app.components.funding import badge
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.staff import select
from segur_app.components.staff_list import filter_form, link_pagination
from segur_app.domain import news
from segur_app.domain.models import NewsCategory
from segur_app.state.staff_news import (
    ATTACHMENT,
    CATEGORY_OPTIONS,
    SORT_OPTIONS,
    STATUS_OPTIONS,
    StaffNewsState,
)

S = StaffNewsState

UPLOAD_ID = "piece-actualite"


def _error(name: str) -> rx.Component:
    message = StaffNewsState.errors.get(name, "")
    return rx.cond(message != "", rx.el.p(message, class_name="fr-error-text", role="alert"))


def _input(label: str, name: str, value, *, type: str = "text") -> rx.Component:
    return rx.el.div(
        rx.el.label(label, class_name="fr-label", html_for=f"actualite-{name}"),
        rx.el.input(id=f"actualite-{name}", name=name, type=type, default_value=value,
                    class_name="fr-input", required=True),
        _error(name),
        class_name="fr-input-group",
    )


def _form() -> rx.Component:
    return rx.el.section(
        rx.el.h2(rx.cond(StaffNewsState.editing_id > 0, "Modifier l'actualité",
                         "Nouvelle actualité")),
        rx.el.form(
            _input("Titre", "title", StaffNewsState.title),
            select("Catégorie", "category", NewsCategory.options(),
                   value=StaffNewsState.category, field_id="actualite-category"),
            _error("category"),
            _input("Date de publication", "publication_date", StaffNewsState.publication_date,
                   type="date"),
            rx.el.div(
                rx.el.label("Texte", class_name="fr-label", html_for="actualite-body"),
                rx.el.textarea(id="actualite-body", name="body", rows=6, required=True,
                               default_value=StaffNewsState.body, class_name="fr-input"),
                _error("body"),
                class_name="fr-input-group",
            ),
            file_picker(
                news.ATTACHMENT_UPLOAD,
                label="Pièce jointe (facultative)",
                upload_id=UPLOAD_ID,
                on_drop=StaffNewsState.stage_file, staged_by=StaffNewsState, slot=ATTACHMENT,
                file_name=StaffNewsState.file_name,
                error=StaffNewsState.file_error,
                no_file="Aucun nouveau fichier sélectionné.",
            ),
            buttons(
                submit_button("Enregistrer"),
                rx.el.button("Annuler", type="button", on_click=StaffNewsState.new,
                             class_name="fr-btn fr-btn--secondary"),
            ),
            on_submit=StaffNewsState.save,
            key=StaffNewsState.form_key.to_string(),
            aria_label="Actualité",
        ),
        class_name="fr-mb-6w",
    )


def _row(row) -> rx.Component:
    return rx.el.tr(
        rx.el.td(row.title),
        rx.el.td(row.category),
        rx.el.td(row.published_on),
        rx.el.td(badge(row.state_label)),
        rx.el.td(row.attachment_name),
        rx.el.td(
            rx.el.button("Modifier", rx.el.span(" « ", row.title, " »", class_name="fr-sr-only"),
                         type="button", on_click=StaffNewsState.edit(row.id),
                         class_name="fr-btn fr-btn--sm fr-btn--tertiary fr-mr-1w"),
            rx.cond(
                row.is_published,
                rx.el.button("Dépublier", rx.el.span(" « ", row.title, " »", class_name="fr-sr-only"),
                             type="button",
                             on_click=StaffNewsState.toggle_published(row.id, False),
                             class_name="fr-btn fr-btn--sm fr-btn--secondary"),
                rx.el.button("Publier", rx.el.span(" « ", row.title, " »", class_name="fr-sr-only"),
                             type="button",
                             on_click=StaffNewsState.toggle_published(row.id, True),
                             class_name="fr-btn fr-btn--sm"),
            ),
        ),
    )


def _filters() -> rx.Component:
    return filter_form(
        (select("État", routes.PARAM_STATUS, STATUS_OPTIONS, value=S.status), "4"),
        (select("Catégorie de la liste", routes.PARAM_CATEGORY, CATEGORY_OPTIONS,
                value=S.category_filter), "4"),
        (select("Trier par", routes.PARAM_SORT, SORT_OPTIONS, value=S.sort), "4"),
        state=S, on_submit=S.apply_filters, reset_href=routes.STAFF_NEWS,
    )


@private_page(route=routes.STAFF_NEWS, title="Actualités", audience=Audience.STAFF,
              on_load=StaffNewsState.load)
def staff_news() -> rx.Component:
    return rx.fragment(
        alert_if(StaffNewsState.message, kind="success"),
        alert_if(StaffNewsState.errors.get("form", "")),
        _form(),
        rx.el.section(
            rx.el.h2("Actualités publiées et brouillons"),
            _filters(),
            rx.el.p(S.total.to_string(), " actualité(s)", role="status",
                    class_name="fr-text--bold"),
            rx.el.div(
                rx.el.table(
                    rx.el.caption("Actualités", class_name="fr-sr-only"),
                    rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in (
                        "Titre", "Catégorie", "Date de publication", "État", "Pièce jointe",
                        "Actions")])),
                    rx.el.tbody(rx.foreach(StaffNewsState.rows, _row)),
                ),
                class_name="fr-table fr-table--no-caption",
            ),
            link_pagination(S, label="Pagination des actualités"),
        ),
    )
