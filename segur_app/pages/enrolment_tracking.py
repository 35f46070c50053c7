"""« Suivi des demandes d'enrôlement » (logged-in supplier): the request, its status, its data."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.funding import (
    badge,
    bank_values,
    collapsible_block,
    labelled_value,
    value_list,
)
from segur_app.components.generated_documents import issued_documents
from segur_app.components.links import anchor, internal_link
from segur_app.components.private import private_page
from segur_app.state.enrolment_review import EnrolmentTrackingState

S = EnrolmentTrackingState


def _recap() -> rx.Component:
    view = S.view
    return rx.el.section(
        rx.el.h2("1 - Ma demande d'enrôlement"),
        rx.el.ul(
            labelled_value("N° unique de référencement (ANS)", view.ans_number),
            labelled_value("SIRET", view.siret),
            labelled_value("Dénomination sociale", view.company_name),
            labelled_value("Adresse", view.address),
            labelled_value("Numéro d'enrôlement", view.number),
            labelled_value("Date de dépôt", view.submitted_on),
            rx.el.li(rx.el.span("Statut de la demande : ", class_name="segur-label"),
                     badge(view.status_label)),
            labelled_value("Date de changement de statut", view.status_changed_on),
            rx.cond(view.decision_reason != "",
                    labelled_value("Motif du rejet", view.decision_reason)),
            class_name="segur-recap",
        ),
        issued_documents(S.issued),
        class_name="fr-mb-4w",
    )


def _documents() -> rx.Component:
    return rx.el.ul(
        rx.foreach(S.view.documents, lambda document: rx.el.li(
            document.label, " : ",
            anchor(
                document.file_name,
                href=routes.DOCUMENTS + "/" + document.id.to_string(),
                target="_blank",
                title="Ouvrir « " + document.file_name + " » - nouvelle fenêtre",
                class_name="fr-link",
            ),
            " (", document.size, ", déposé le ", document.deposited_on, ")",
        )),
        class_name="segur-recap",
    )


def _emails() -> rx.Component:
    return rx.cond(
        S.view.emails.length() > 0,
        rx.el.ul(rx.foreach(S.view.emails, lambda email: rx.el.li(
            rx.el.details(
                rx.el.summary(rx.el.span(email.date, " — ", email.subject), " ",
                              badge(email.status_label)),
                rx.el.div(email.body, class_name="segur-pre-line fr-p-2w segur-email"),
            ),
            class_name="fr-mb-2w",
        )), class_name="segur-plain-list"),
        rx.el.p("Aucun courriel envoyé pour le moment."),
    )


def _blocks() -> rx.Component:
    view = S.view
    return rx.el.section(
        rx.el.h2("2 - Informations transmises"),
        rx.el.div(
            collapsible_block(
                "Représentant légal", None,
                value_list(("Civilité", view.legal_rep_civility),
                           ("Nom", view.legal_rep_last_name),
                           ("Prénom", view.legal_rep_first_name),
                           ("Fonction", view.legal_rep_role)),
                block_id="bloc-representant",
            ),
            collapsible_block(
                "Contact", None,
                value_list(("Nom", view.contact_last_name), ("Prénom", view.contact_first_name),
                           ("Adresse électronique", view.contact_email),
                           ("Téléphone", view.contact_phone)),
                block_id="bloc-contact",
            ),
            collapsible_block(
                "Coordonnées bancaires", None,
                bank_values(view),
                block_id="bloc-coordonnees-bancaires",
            ),
            collapsible_block("Pièces justificatives", None, _documents(),
                              block_id="bloc-pieces-justificatives"),
            collapsible_block("Courriels automatiques envoyés", None, _emails(),
                              block_id="bloc-courriels"),
            class_name="fr-accordions-group",
        ),
        class_name="fr-mb-4w",
    )


def _previous() -> rx.Component:
    return rx.cond(
        S.view.previous.length() > 0,
        rx.el.section(
            rx.el.h2("Demandes précédentes"),
            rx.el.div(
                rx.el.table(
                    rx.el.caption("Demandes d'enrôlement précédentes", class_name="fr-sr-only"),
                    rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in (
                        "Numéro", "Date de dépôt", "Statut", "Date de changement de statut",
                        "Motif")])),
                    rx.el.tbody(rx.foreach(S.view.previous, lambda past: rx.el.tr(
                        rx.el.td(past.number), rx.el.td(past.submitted_on),
                        rx.el.td(badge(past.status_label)), rx.el.td(past.status_changed_on),
                        rx.el.td(past.reason),
                    ))),
                ),
                class_name="fr-table",
            ),
        ),
    )


@private_page(route=routes.ENROLMENT_TRACKING, title="Suivi des demandes d'enrôlement",
              on_load=EnrolmentTrackingState.load)
def enrolment_tracking() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.has_enrolment,
            rx.fragment(_recap(), _blocks(), _previous()),
            rx.el.p("Aucune demande d'enrôlement n'est rattachée à votre compte. "
                    "Contactez l'assistance si vous pensez qu'il s'agit d'une erreur."),
        ),
        rx.el.div(internal_link("← Retour", href=routes.PRIVATE_HOME, class_name="fr-link"),
                  class_name="fr-mt-4w"),
    )
