"""Staff dashboard: counters per kind and status, entry points to the lists."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from segur_app import routes
from segur_app.components.forms import alert
from segur_app.components.links import button_link, internal_link
from segur_app.components.private import private_page
from segur_app.domain.access import Audience
from segur_app.domain.models import FundingKind, FundingStatus
from segur_app.state.antivirus import AntivirusNoticeState
from segur_app.state.instruction import DashboardState

ANTIVIRUS_OFF_TITLE = "Analyse antivirus désactivée"
ANTIVIRUS_OFF_TEXT = (
    "Les pièces déposées sur ce portail ne sont pas analysées par l'antivirus "
    "(SEGUR_ANTIVIRUS=off). Ce réglage est réservé à l'installation de démonstration."
)


def _list_link(text, kind: FundingKind | None, status: FundingStatus) -> rx.Component:
    query = urlencode({**({routes.PARAM_KIND: kind.value} if kind else {}),
                       routes.PARAM_STATUS: status.value})
    return internal_link(text, href=f"{routes.STAFF_FUNDING_REQUESTS}?{query}", class_name="fr-link")


def _counter_row(counter) -> rx.Component:
    return rx.el.tr(
        rx.el.th(counter.kind_label, scope="row"),
        rx.el.td(counter.to_review),
        rx.el.td(counter.in_progress),
        rx.el.td(counter.awaiting),
        rx.el.td(counter.validated),
        rx.el.td(counter.rejected),
        rx.el.td(counter.amount_requested_label),
        rx.el.td(counter.amount_validated_label),
    )


@private_page(route=routes.STAFF_HOME, title="Tableau de bord de l'instruction",
              audience=Audience.STAFF, on_load=DashboardState.load)
def staff_dashboard() -> rx.Component:
    return rx.fragment(
        rx.cond(AntivirusNoticeState.antivirus_disabled,
                alert(ANTIVIRUS_OFF_TEXT, kind="warning", title=ANTIVIRUS_OFF_TITLE)),
        rx.el.section(
            rx.el.h2("Demandes de financement"),
            rx.el.div(
                rx.el.table(
                    rx.el.caption("Demandes de financement par statut"),
                    rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in (
                        "Type", "A instruire", "En cours", "En attente de compléments",
                        "Validées", "Rejetées",
                        "Montant demandé", "Montant validé")])),
                    rx.el.tbody(rx.foreach(DashboardState.counters, _counter_row)),
                ),
                class_name="fr-table",
            ),
            rx.cond(DashboardState.overdue > 0, rx.el.p(
                _list_link(rx.fragment(DashboardState.overdue.to_string(),
                                       " dossier(s) en attente de compléments"),
                           None, FundingStatus.AWAITING_CORRECTIONS),
                " dont le délai de réponse est dépassé : ils peuvent être rejetés.",
                class_name="fr-mb-2w",
            )),
            rx.el.h2("Demandes d'enrôlement", class_name="fr-mt-4w"),
            rx.cond(DashboardState.enrolments, rx.el.div(
                rx.el.table(
                    rx.el.caption("Demandes d'enrôlement par statut"),
                    rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in (
                        "A instruire", "En cours", "Validées", "Rejetées")])),
                    rx.el.tbody(rx.el.tr(
                        rx.el.td(DashboardState.enrolments.to_review),
                        rx.el.td(DashboardState.enrolments.in_progress),
                        rx.el.td(DashboardState.enrolments.validated),
                        rx.el.td(DashboardState.enrolments.rejected),
                    )),
                ),
                class_name="fr-table",
            )),
            rx.el.ul(
                rx.el.li(button_link("Demandes de financement", routes.STAFF_FUNDING_REQUESTS)),
                rx.el.li(button_link("Demandes d'enrôlement", routes.STAFF_ENROLMENTS,
                                     variant="secondary")),
                class_name="fr-btns-group fr-btns-group--inline-md",
            ),
            rx.el.p(
                "Accès direct : ",
                _list_link("avances à instruire", FundingKind.ADVANCE, FundingStatus.IN_PROGRESS),
                " · ",
                _list_link("soldes à instruire", FundingKind.BALANCE, FundingStatus.IN_PROGRESS),
                class_name="fr-mt-2w",
            ),
        ),
    )
