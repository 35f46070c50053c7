"""« Demandes d'enrôlement à instruire » (ASP staff).

The requests (pending ones by default; filters, search and sort in the URL,
CSV export), 10 per page, each with its data, automatic verifications, RIB
preview and history; pending ones have « Valider » and « Rejeter » (reason
required).
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert_if, buttons, field, submit_button
from segur_app.components.staff import select
from segur_app.domain.enrolment.staff_list import PENDING_FILTER
from segur_app.domain.models import EnrolmentStatus
from segur_app.components.dossier import scan_badge
from segur_app.components.funding import badge, labelled_value
from segur_app.components.links import anchor, internal_link
from segur_app.components.pagination import button_pagination
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.domain.enrolment.rules import MAX_REASON_LENGTH
from segur_app.state.enrolment_review import StaffEnrolmentsState

S = StaffEnrolmentsState


def _data(item) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h4("Entreprise", class_name="fr-h6"),
            rx.el.ul(
                labelled_value("N° unique de référencement (ANS)", item.ans_number),
                labelled_value("SIRET", item.siret),
                labelled_value("Dénomination sociale", item.company_name),
                labelled_value("Adresse", item.address),
                labelled_value("Représentant légal", item.legal_rep),
                class_name="segur-recap",
            ),
            class_name="fr-col-12 fr-col-md-6",
        ),
        rx.el.div(
            rx.el.h4("Contact et coordonnées bancaires", class_name="fr-h6"),
            rx.el.ul(
                labelled_value("Contact", item.contact_name),
                labelled_value("Adresse électronique", item.contact_email),
                labelled_value("Téléphone", item.contact_phone),
                labelled_value("IBAN", item.iban),
                labelled_value("BIC", item.bic),
                labelled_value("Titulaire", item.holder),
                labelled_value("Domiciliation", item.domiciliation),
                rx.el.li(
                    rx.el.span("RIB : ", class_name="segur-label"),
                    rx.cond(
                        item.rib_id > 0,
                        anchor(item.rib_name, href=routes.DOCUMENTS + "/" + item.rib_id.to_string(),
                               target="_blank", class_name="fr-link",
                               title="Ouvrir le RIB de la demande " + item.number
                                     + " - nouvelle fenêtre"),
                        "absent",
                    ),
                    rx.cond(item.rib_id > 0, rx.fragment(" ", scan_badge(item.rib_scan_label))),
                ),
                class_name="segur-recap",
            ),
            class_name="fr-col-12 fr-col-md-6",
        ),
        class_name="fr-grid-row fr-grid-row--gutters fr-mb-2w",
    )


STATUS_OPTIONS = [(PENDING_FILTER, "En attente de décision"), ("", "Tous les statuts"),
                  *EnrolmentStatus.options()]
SORT_OPTIONS = [("depot_asc", "Date de dépôt (anciennes d'abord)"),
                ("depot_desc", "Date de dépôt (récentes d'abord)"),
                ("numero", "Numéro"), ("denomination", "Dénomination sociale")]


def _filters() -> rx.Component:
    def column(child, size: str = "3") -> rx.Component:
        return rx.el.div(child, class_name=f"fr-col-12 fr-col-md-{size}")

    return rx.el.form(
        rx.el.div(
            column(select("Statut", routes.PARAM_STATUS, STATUS_OPTIONS, value=S.status,
                          field_id="enrolement-statut")),
            column(field("Déposée à partir du", routes.PARAM_FROM, type="date", required=False,
                         default_value=S.date_from, field_id="enrolement-du")),
            column(field("Déposée jusqu'au", routes.PARAM_TO, type="date", required=False,
                         default_value=S.date_to, field_id="enrolement-au")),
            column(select("Trier par", routes.PARAM_SORT, SORT_OPTIONS, value=S.sort,
                          field_id="enrolement-tri")),
            column(field("Rechercher", routes.PARAM_SEARCH, required=False, max_length=100,
                         hint="Numéro ENRSAS, SIRET, N° ANS ou dénomination",
                         default_value=S.search, field_id="enrolement-recherche"), "6"),
            class_name="fr-grid-row fr-grid-row--gutters",
        ),
        buttons(submit_button("Filtrer")),
        on_submit=S.apply_filters,
        key=S.query,
        aria_label="Filtres des demandes d'enrôlement",
        class_name="fr-mb-4w",
    )


def _checks(item) -> rx.Component:
    """Automatic verifications (SIRET, ANS, IBAN, BIC) with their result."""
    return rx.el.div(
        rx.el.h4("Vérifications automatiques", class_name="fr-h6"),
        rx.el.ul(rx.foreach(item.checks, lambda c: rx.el.li(
            c.label, " : ",
            rx.cond(c.ok, badge("Conforme"), badge("Non conforme")),
            rx.cond(c.ok, "", rx.el.span(" — ", c.detail, class_name="fr-text--sm")),
        )), class_name="segur-recap"),
        class_name="fr-mb-2w",
    )


def _rib_preview(item) -> rx.Component:
    url = routes.DOCUMENTS + "/" + item.rib_id.to_string()
    return rx.cond(
        item.rib_id > 0,
        rx.el.details(
            rx.el.summary("Aperçu du RIB ", item.rib_name),
            rx.cond(
                item.rib_mime == "application/pdf",
                rx.el.iframe(src=url, title="Aperçu du RIB de la demande " + item.number,
                             class_name="segur-preview"),
                rx.el.img(src=url, alt="Aperçu du RIB de la demande " + item.number,
                          class_name="segur-preview segur-preview--image"),
            ),
            class_name="fr-mb-2w",
        ),
    )


def _history(item) -> rx.Component:
    return rx.el.details(
        rx.el.summary("Historique de la demande ", item.number),
        rx.el.ul(rx.foreach(item.history, lambda h: rx.el.li(
            rx.el.span(h.when, class_name="segur-label"), " — ", h.what)),
            class_name="segur-history"),
        class_name="fr-mb-2w",
    )


def _reason_field(item) -> rx.Component:
    """« Motif du rejet »: the label wraps the textarea (no per-item id is needed);
    the text is kept in state when the field loses the focus."""
    error = rx.cond(S.reason_error_id == item.id, S.reason_error, "")
    has_error = error != ""
    return rx.el.div(
        rx.el.label(
            "Motif du rejet",
            rx.el.span("Obligatoire pour rejeter ; il est envoyé au demandeur.",
                       class_name="fr-hint-text"),
            rx.el.textarea(
                rows=3, max_length=MAX_REASON_LENGTH,
                on_blur=lambda value: S.set_reason(item.id, value),
                aria_invalid=rx.cond(has_error, "true", "false"),
                custom_attrs={"data-motif": item.id.to_string()},
                class_name=rx.cond(has_error, "fr-input fr-input--error", "fr-input"),
            ),
            class_name="fr-label",
        ),
        rx.cond(has_error, rx.el.p(error, class_name="fr-error-text", role="alert")),
        class_name=rx.cond(has_error, "fr-input-group fr-input-group--error", "fr-input-group"),
    )


def _decisions(item) -> rx.Component:
    return rx.el.div(
        rx.cond(item.can_take, rx.el.button(
            "Prendre en charge", rx.el.span(" la demande ", item.number, class_name="fr-sr-only"),
            type="button", on_click=S.take(item.id, item.version),
            class_name="fr-btn fr-btn--tertiary fr-mb-3w fr-mr-2w",
        )),
        rx.el.button(
            "Valider", rx.el.span(" la demande ", item.number, class_name="fr-sr-only"),
            type="button", on_click=S.approve(item.id, item.version),
            class_name="fr-btn fr-mb-3w",
        ),
        _reason_field(item),
        rx.el.button(
            "Rejeter", rx.el.span(" la demande ", item.number, class_name="fr-sr-only"),
            type="button", on_click=S.reject(item.id, item.version),
            class_name="fr-btn fr-btn--secondary",
        ),
    )


def _item(item) -> rx.Component:
    return rx.el.li(
        rx.el.article(
            rx.el.h3(
                internal_link(
                    "Demande ", item.number, " — ", item.company_name,
                    href=routes.STAFF_ENROLMENTS + "?" + routes.PARAM_STATUS + "=&"
                    + routes.PARAM_SEARCH + "=" + item.number,
                ),
                class_name="fr-h5 fr-mb-1w",
            ),
            rx.el.p("Déposée le ", item.submitted_on, " ", badge(item.status_label),
                    class_name="fr-text--sm"),
            _data(item),
            _checks(item),
            _rib_preview(item),
            _history(item),
            rx.cond(item.pending, _decisions(item)),
            class_name="fr-p-3w segur-news",
        ),
        class_name="fr-mb-3w",
    )


def _pagination() -> rx.Component:
    return button_pagination(S.page, S.pages, on_previous=S.previous_page, on_next=S.next_page,
                             label="Pagination des demandes d'enrôlement")


@private_page(route=routes.STAFF_ENROLMENTS, title="Demandes d'enrôlement à instruire",
              audience=Audience.STAFF, on_load=StaffEnrolmentsState.load)
def staff_enrolments() -> rx.Component:
    return rx.fragment(
        alert_if(S.message, kind="success"),
        alert_if(S.error),
        _filters(),
        rx.el.p(S.total.to_string(), " demande(s)", aria_live="polite",
                class_name="fr-text--bold"),
        rx.cond(
            S.items.length() > 0,
            rx.el.ul(rx.foreach(S.items, _item), class_name="segur-plain-list"),
        ),
        _pagination(),
        anchor("Exporter la liste (CSV)", href=routes.STAFF_ENROLMENT_EXPORT + "?" + S.query,
               class_name="fr-link fr-icon-download-line fr-link--icon-left", download=True),
    )
