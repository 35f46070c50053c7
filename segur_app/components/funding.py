"""Pieces of the funding screens: steps, récapitulatif, badges, collapsible blocks."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.links import internal_link
from segur_app.domain.models import ScanResult

BADGE_CLASSES = {
    "Contrôle OK": "fr-badge--success",
    "Conforme": "fr-badge--success",
    "Validée": "fr-badge--success",
    "Contrôle KO": "fr-badge--error",
    "Non conforme": "fr-badge--error",
    "Rejetée": "fr-badge--error",
    "En cours": "fr-badge--info",
    "A instruire": "fr-badge--new",
    "Envoyé": "fr-badge--success",
    "En attente": "fr-badge--new",
    "Echec": "fr-badge--error",
    "Publiée": "fr-badge--success",
    "Brouillon": "fr-badge--new",
    ScanResult.CLEAN.label: "fr-badge--success",
    ScanResult.INFECTED.label: "fr-badge--error",
    ScanResult.ERROR.label: "fr-badge--warning",
    "En attente de compléments": "fr-badge--warning",
    "Délai dépassé": "fr-badge--error",
    "Compléments reçus": "fr-badge--info",
}


def badge(label: rx.Var | str) -> rx.Component:
    """A DSFR badge coloured after its label (Contrôle OK, A instruire, …)."""
    if not isinstance(label, rx.Var):
        return rx.el.span(label, class_name=f"fr-badge fr-badge--sm {BADGE_CLASSES.get(label, '')}")
    base = "fr-badge fr-badge--sm"
    class_name = rx.match(
        label, *[(text, f"{base} {cls}") for text, cls in BADGE_CLASSES.items()], base
    )
    return rx.el.span(label, class_name=class_name)


def funding_steps(current: int) -> rx.Component:
    """« 1 - Ma demande d'avance » / « 2 - Ma demande de solde »."""
    steps = (
        ("1 - Ma demande d'avance", routes.FUNDING_ADVANCE),
        ("2 - Ma demande de solde", routes.FUNDING_BALANCE),
    )
    return rx.el.nav(
        rx.el.ol(
            *[
                rx.el.li(
                    rx.el.span(label, class_name="segur-steps__current", aria_current="step")
                    if number == current
                    else internal_link(label, href=href, class_name="fr-link"),
                )
                for number, (label, href) in enumerate(steps, start=1)
            ],
            class_name="segur-steps",
        ),
        aria_label="Étapes de la demande de financement",
        class_name="fr-mb-4w",
    )


def labelled_value(label: str, value: rx.Var | str) -> rx.Component:
    return rx.el.li(rx.el.span(label + " : ", class_name="segur-label"), rx.el.strong(value))


def value_list(*pairs: tuple[str, rx.Var | str]) -> rx.Component:
    """« Label : value » lines, as in the guide's blocks."""
    return rx.el.ul(*[labelled_value(label, value) for label, value in pairs],
                    class_name="segur-recap")


def bank_values(view) -> rx.Component:
    """« Coordonnées bancaires »: IBAN, BIC, Titulaire, Domiciliation of ``view``."""
    return value_list(("IBAN", view.iban), ("BIC", view.bic), ("Titulaire", view.holder),
                      ("Domiciliation", view.domiciliation))


def recap_list(summary) -> rx.Component:
    """The supplier's identity as in the guide's « Récapitulatif »."""
    return rx.el.ul(
        labelled_value("N° unique de référencement (ANS)", summary.ans_number),
        labelled_value("SIRET", summary.siret),
        labelled_value("Dénomination sociale", summary.company_name),
        labelled_value("Adresse", summary.address),
        class_name="segur-recap",
    )


def collapsible_block(title: str, badge_label: rx.Var | str | None, *content: rx.Component,
                      block_id: str) -> rx.Component:
    """One of the consultation screen's « blocs dynamiques (cliquables) »."""
    summary_children: list = [rx.el.span(title, class_name="segur-block__title")]
    if badge_label is not None:
        summary_children.append(badge(badge_label))
    return rx.el.details(
        rx.el.summary(*summary_children, class_name="fr-accordion__btn segur-block__summary"),
        rx.el.div(*content, class_name="fr-px-3w fr-pb-3w"),
        class_name="fr-accordion segur-block",
        id=block_id,
    )
