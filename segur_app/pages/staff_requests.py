"""Staff list of funding requests: filters in the URL, sort, pagination, CSV export."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import buttons, field, form, submit_button
from segur_app.components.funding import badge
from segur_app.components.links import anchor, internal_link
from segur_app.components.private import private_page
from segur_app.components.staff_list import filter_form, link_pagination
from segur_app.domain.access import Audience
from segur_app.components.staff import select
from segur_app.state.instruction import (
    KIND_OPTIONS,
    SORT_OPTIONS,
    STATUS_OPTIONS,
    StaffListState,
)


def _filters() -> rx.Component:
    return filter_form(
        (select("Statut", routes.PARAM_STATUS, STATUS_OPTIONS, value=StaffListState.status), "3"),
        (select("Type de demande", routes.PARAM_KIND, KIND_OPTIONS, value=StaffListState.kind),
         "3"),
        (field("Déposée à partir du", routes.PARAM_FROM, type="date", required=False,
               default_value=StaffListState.date_from), "3"),
        (field("Déposée jusqu'au", routes.PARAM_TO, type="date", required=False,
               default_value=StaffListState.date_to), "3"),
        (field("Rechercher", routes.PARAM_SEARCH, required=False, max_length=100,
               hint="Numéro de dossier, SIRET, N° ANS ou dénomination",
               default_value=StaffListState.search), "6"),
        (select("Trier par", routes.PARAM_SORT, SORT_OPTIONS, value=StaffListState.sort), "3"),
        state=StaffListState, on_submit=StaffListState.apply_filters,
        reset_href=routes.STAFF_FUNDING_REQUESTS,
    )


def _row(row) -> rx.Component:
    return rx.el.tr(
        rx.el.td(internal_link(
            row.dossier_number,
            href=routes.STAFF_FUNDING_REQUEST + "?" + routes.PARAM_NUMBER + "=" + row.dossier_number
            + rx.cond(StaffListState.query != "", "&" + StaffListState.query, ""),
            class_name="fr-link",
        )),
        rx.el.td(row.kind_label),
        rx.el.td(row.company_name),
        rx.el.td(row.siret),
        rx.el.td(row.ans_number),
        rx.el.td(row.deposited_on),
        rx.el.td(badge(row.status_label),
                 rx.cond(row.overdue, rx.fragment(" ", badge("Délai dépassé")))),
        rx.el.td(row.amount_label),
    )


@private_page(route=routes.STAFF_FUNDING_REQUESTS, title="Demandes de financement",
              audience=Audience.STAFF, on_load=StaffListState.load)
def staff_requests() -> rx.Component:
    return rx.fragment(
        form(
            field("Ouvrir le dossier n°", routes.PARAM_NUMBER, max_length=16,
                  hint="Par exemple FINSAS000001"),
            buttons(submit_button("Ouvrir")),
            on_submit=StaffListState.open_number,
            label="Ouvrir un dossier par son numéro",
        ),
        _filters(),
        rx.el.p(StaffListState.total.to_string(), " demande(s)", role="status",
                class_name="fr-text--bold"),
        rx.el.div(
            rx.el.table(
                rx.el.caption("Demandes de financement", class_name="fr-sr-only"),
                rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in (
                    "Numéro de dossier", "Type", "Dénomination sociale", "SIRET", "N° ANS",
                    "Date de dépôt", "Statut", "Montant")])),
                rx.el.tbody(rx.foreach(StaffListState.rows, _row)),
            ),
            class_name="fr-table fr-table--no-caption",
        ),
        link_pagination(StaffListState, label="Pagination des demandes"),
        anchor("Exporter la liste (CSV)",
               href=routes.STAFF_FUNDING_EXPORT + "?" + StaffListState.query,
               class_name="fr-link fr-icon-download-line fr-link--icon-left", download=True),
    )
