"""« Contacter l'assistance » (public, and usable logged in): the ticket form and its
confirmation."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import anti_robot_field, buttons, error_list, error_text
from segur_app.components.links import arrow_link, button_link
from segur_app.components.template import SitemapSection, template
from segur_app.state.assistance import (
    ATTACHMENT,
    CONFIRMATION_ID,
    ERROR_SUMMARY_ID,
    AssistanceFormState,
)
from segur_app.domain.assistance import tickets

S = AssistanceFormState
UPLOAD_ID = "piece-assistance"
FORM_ID = "formulaire-assistance"


def _group(name: str, label: str, control: rx.Component, *, hint: str | None = None,
           kind: str = "input") -> rx.Component:
    error = S.errors[name]
    label_children: list = [label]
    if hint:
        label_children.append(rx.el.span(hint, class_name="fr-hint-text"))
    return rx.el.div(
        rx.el.label(*label_children, class_name="fr-label", html_for=f"assistance-{name}"),
        control,
        error_text(error, f"erreur-assistance-{name}"),
        class_name=rx.cond(error != "", f"fr-{kind}-group fr-{kind}-group--error",
                           f"fr-{kind}-group"),
    )


def _invalid(name: str):
    return rx.cond(S.errors[name] != "", "true", "false")


def _category() -> rx.Component:
    return _group(
        "category", f"{tickets.CATEGORY_FIELD_LABEL} *",
        rx.el.select(
            rx.el.option("Sélectionnez une option", value="", disabled=True),
            *[rx.el.option(label, value=value) for value, label in tickets.category_options()],
            id="assistance-category", name="category", required=True,
            default_value=S.category, class_name="fr-select",
            aria_invalid=_invalid("category"), aria_describedby="erreur-assistance-category",
        ),
        kind="select",
    )


def _message() -> rx.Component:
    return _group(
        "message", f"{tickets.MESSAGE_FIELD_LABEL} *",
        rx.el.textarea(
            id="assistance-message", name="message", rows=8, required=True,
            max_length=tickets.MAX_MESSAGE_LENGTH, default_value=S.message,
            class_name="fr-input", aria_invalid=_invalid("message"),
            aria_describedby="erreur-assistance-message",
        ),
        hint=f"{tickets.MAX_MESSAGE_LENGTH} caractères maximum.",
    )


def _text(name: str, label: str, value, *, type: str = "text", autocomplete: str,
          max_length: int, hint: str | None = None) -> rx.Component:
    return _group(
        name, label,
        rx.el.input(
            id=f"assistance-{name}", name=name, type=type, required=True,
            auto_complete=autocomplete, max_length=max_length, default_value=value,
            class_name="fr-input", aria_invalid=_invalid(name),
            aria_describedby=f"erreur-assistance-{name}",
        ),
        hint=hint,
    )


def _contact() -> rx.Component:
    return rx.cond(
        S.logged_in,
        rx.el.div(
            rx.el.label(
                "Adresse électronique de contact",
                rx.el.span("Celle de votre compte : la réponse vous sera envoyée à cette "
                           "adresse (modifiable dans « Mon compte »).",
                           class_name="fr-hint-text"),
                class_name="fr-label", html_for="assistance-account-email",
            ),
            rx.el.input(id="assistance-account-email", name="account_email", type="email",
                        value=S.account_email,
                        read_only=True, class_name="fr-input"),
            class_name="fr-input-group",
        ),
        rx.fragment(
            _text("contact_name", f"{tickets.NAME_FIELD_LABEL} *", S.contact_name,
                  autocomplete="name", max_length=tickets.MAX_NAME_LENGTH),
            _text("contact_email", "Adresse électronique de contact *", S.contact_email,
                  type="email", autocomplete="email", max_length=254,
                  hint="La réponse vous sera envoyée à cette adresse. Format attendu : "
                       "prenom.nom@domaine.fr"),
        ),
    )


def _form() -> rx.Component:
    return rx.fragment(
        rx.el.p("Les champs marqués d'un astérisque (*) sont obligatoires.",
                class_name="fr-text--sm"),
        rx.el.div(error_list(S.form_errors), id=ERROR_SUMMARY_ID, tab_index=-1),
        rx.el.form(
            _category(),
            _message(),
            _contact(),
            anti_robot_field("assistance-site-internet"),
            on_submit=S.send,
            key=S.form_key.to_string(),
            no_validate=True,
            aria_label="Contacter l'assistance",
            id=FORM_ID,
            class_name="segur-form",
        ),
        _attachment(),
        buttons(rx.el.button(
            rx.cond(S.submitting, "Envoi en cours…", "Envoyer ma demande"),
            type="submit", form=FORM_ID, class_name="fr-btn", disabled=S.submitting,
        )),
    )


def _attachment() -> rx.Component:
    return file_picker(
        tickets.ATTACHMENT_UPLOAD,
        label="Pièce jointe (facultative)",
        upload_id=UPLOAD_ID,
        on_drop=S.stage_file, staged_by=S, slot=ATTACHMENT,
        on_drop_rejected=S.file_rejected,
        file_name=S.file_name,
        size=S.file_size,
        error=S.errors["attachment"],
        on_remove=S.remove_file,
    )


def _confirmation() -> rx.Component:
    return rx.fragment(
        rx.el.div(
            rx.el.h2("Votre demande d'assistance a bien été envoyée",
                     class_name="fr-alert__title"),
            rx.el.p("Numéro de votre demande : ", rx.el.strong(S.submitted_number), "."),
            rx.el.p(
                "Un accusé de réception a été envoyé à ", rx.el.strong(S.submitted_email),
                ". La réponse de l'assistance vous sera envoyée par courriel à cette adresse.",
            ),
            class_name="fr-alert fr-alert--success fr-mb-4w",
            role="status",
            id=CONFIRMATION_ID,
            tab_index=-1,
        ),
        rx.el.ul(
            rx.cond(S.logged_in,
                    rx.el.li(button_link("Mes demandes d'assistance", routes.MY_TICKETS))),
            rx.el.li(rx.el.button("Envoyer une autre demande", type="button",
                                  on_click=S.new_request,
                                  class_name="fr-btn fr-btn--secondary")),
            class_name="fr-btns-group fr-btns-group--inline-md",
        ),
    )


@template(
    route=routes.ASSISTANCE,
    title="Contacter l'assistance",
    sitemap_section=SitemapSection.HELP,
    on_load=AssistanceFormState.load,
)
def assistance_page() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.p(
                "Votre question concerne l'utilisation du portail SEGUR Numérique ? Avant "
                "d'écrire, consultez ",
                arrow_link("les questions fréquentes", routes.FAQ), " et ",
                arrow_link("le guide utilisateur", routes.HELP_GUIDE), ".",
            ),
            rx.cond(
                S.submitted_number != "",
                _confirmation(),
                _form(),
            ),
            class_name="fr-col-12 fr-col-lg-9",
        ),
        class_name="fr-grid-row",
    )
