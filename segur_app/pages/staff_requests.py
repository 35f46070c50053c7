"""Staff list of funding requests: filters in the URL, sort, pagination, CSV export."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import buttons, field, form, submit_button
from segur_app.components.funding import badge
from segur_app.components.links import anchor, internal_link
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.components.staff import select
from segur_app.state.instruction import (
    KIND_OPTIONS,
    SORT_OPTIONS,
    STATUS_OPTIONS,
    StaffListState,
)


def _filters() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            rx.el.div(select("Statut", routes.PARAM_STATUS, STATUS_OPTIONS,
                             value=StaffListState.status), class_name="fr-col-12 fr-col-md-3"),
            rx.el.div(select("Type de demande", routes.PARAM_KIND, KIND_OPTIONS,
                             value=StaffListState.kind), class_name="fr-col-12 fr-col-md-3"),
            rx.el.div(field("Déposée à partir du", routes.PARAM_FROM, type="date", required=False,
                            default_value=StaffListState.date_from),
                      class_name="fr-col-12 fr-col-md-3"),
            rx.el.div(field("Déposée jusqu'au", routes.PARAM_TO, type="date", required=False,
                            default_value=StaffListState.date_to),
                      class_name="fr-col-12 fr-col-md-3"),
            rx.el.div(field("Rechercher", routes.PARAM_SEARCH, required=False, max_length=100,
                            hint="Numéro de dossier, SIRET, N° ANS ou dénomination",
                            default_value=StaffListState.search),
                      class_name="fr-col-12 fr-col-md-6"),
            rx.el.div(select("Trier par", routes.PARAM_SORT, SORT_OPTIONS,
                             value=StaffListState.sort), class_name="fr-col-12 fr-col-md-3"),
            class_name="fr-grid-row fr-grid-row--gutters",
        ),
        buttons(submit_button("Filtrer"),
                internal_link("Réinitialiser", href=routes.STAFF_FUNDING_REQUESTS,
                              class_name="fr-btn fr-btn--secondary")),
        on_submit=StaffListState.apply_filters,
        aria_label="Filtres",
        key=StaffListState.query,  # re-render the inputs with the URL's values
        class_name="fr-mb-4w",
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


def _page_link(label: str, href, enabled, modifier: str) -> rx.Component:
    class_name = f"fr-pagination__link fr-pagination__link--{modifier}"
    if modifier in ("prev", "next"):
        class_name += " fr-pagination__link--lg-label"
    return rx.cond(
        enabled,
        internal_link(label, href=href, class_name=class_name),
        rx.el.a(label, class_name=class_name, aria_disabled="true", role="link"),
    )


def _pagination() -> rx.Component:
    """First / previous / « Page n sur m » / next / last: the neighbours are keyset links
    (``apres`` / ``avant``: the row next to the page), as fast at page 5,000 as at page 1."""
    s = StaffListState
    return rx.el.nav(
        rx.el.ul(
            rx.el.li(_page_link("Première page", s.first_href, s.page > 1, "first")),
            rx.el.li(_page_link("Page précédente", s.previous_href, s.page > 1, "prev")),
            rx.el.li(rx.el.span("Page ", s.page.to_string(), " sur ", s.pages.to_string(),
                                class_name="fr-pagination__link", aria_current="page")),
            rx.el.li(_page_link("Page suivante", s.next_href, s.page < s.pages, "next")),
            rx.el.li(_page_link("Dernière page", s.last_href, s.page < s.pages, "last")),
            class_name="fr-pagination__list",
        ),
        class_name="fr-pagination",
        aria_label="Pagination des demandes",
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
        _pagination(),
        anchor("Exporter la liste (CSV)",
               href=routes.STAFF_FUNDING_EXPORT + "?" + StaffListState.query,
               class_name="fr-link fr-icon-download-line fr-link--icon-left", download=True),
    )
