"""« Effectuer ma demande d'enrôlement » (public): five steps, a summary, the confirmation.

Each step is a form checked on the server when « Étape suivante » is pressed
(messages next to the fields, a summary at the top, focus on the first
error); nothing is stored before « Envoyer ma demande ».
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import anti_robot_field, buttons, checked_field, error_list, error_text
from segur_app.components.funding import labelled_value
from segur_app.components.links import arrow_link, button_link, external_link, internal_link
from segur_app.components.referencing import problems_table
from segur_app.components.stepper import stepper
from segur_app.components.template import SitemapSection, template
from segur_app.domain.enrolment.submission import RIB_UPLOAD
from segur_app.domain.enrolment.form import FormField, Step, step_fields
from segur_app.domain.models import AttachmentKind
from segur_app.domain.referencing import JSON_UPLOAD
from segur_app.domain.validators import CIVILITIES
from segur_app.state.enrolment_form import (
    CONFIRMATION_ID,
    ERROR_SUMMARY_ID,
    REFUSAL_ID,
    RIB,
    STEP_TITLE_ID,
    EnrolmentFormState,
)

S = EnrolmentFormState
RIB_UPLOAD_ID = "piece-rib"
IMPORT_UPLOAD_ID = "import-json"


def _form_id(step: Step) -> str:
    return f"formulaire-etape-{int(step)}"


# --- fields -------------------------------------------------------------------------


def _text_field(field: FormField) -> rx.Component:
    return checked_field(
        field.label, field.name,
        error=S.errors[field.name],
        default_value=S.values[field.name],
        hint=field.hint or None,
        type=field.input_type,
        autocomplete=field.autocomplete,
        max_length=field.max_length,
        on_blur=lambda value: S.remember(field.name, value),
    )


def _civility_field(field: FormField) -> rx.Component:
    """« Civilité »: DSFR radio buttons in a fieldset (the first radio takes the focus)."""
    error = S.errors[field.name]
    legend_id, error_id = f"legende-{field.name}", f"erreur-{field.name}"
    choices = [
        rx.el.div(
            rx.el.div(
                rx.el.input(
                    type="radio", id=f"champ-{field.name}" + ("" if n == 0 else f"-{n}"),
                    name=field.name, value=value, default_checked=S.values[field.name] == value,
                    on_change=S.remember(field.name, value),
                ),
                rx.el.label(label, class_name="fr-label",
                            html_for=f"champ-{field.name}" + ("" if n == 0 else f"-{n}")),
                class_name="fr-radio-group",
            ),
            class_name="fr-fieldset__element fr-fieldset__element--inline",
        )
        for n, (value, label) in enumerate(CIVILITIES.items())
    ]
    return rx.el.fieldset(
        rx.el.legend(field.label, id=legend_id,
                     class_name="fr-fieldset__legend fr-fieldset__legend--regular"),
        *choices,
        rx.el.div(error_text(error, error_id), class_name="fr-messages-group"),
        aria_labelledby=f"{legend_id} {error_id}",
        role="radiogroup",
        class_name=rx.cond(error != "", "fr-fieldset fr-fieldset--error", "fr-fieldset"),
    )


def _field(field: FormField) -> rx.Component:
    return _civility_field(field) if field.input_type == "radio" else _text_field(field)


# --- steps --------------------------------------------------------------------------


def _step_form(step: Step, *children: rx.Component) -> rx.Component:
    return rx.el.form(
        *children,
        id=_form_id(step),
        key=S.form_revision.to_string(),
        on_submit=S.send if step == Step.SUMMARY else S.save_step,
        no_validate=True,
        aria_labelledby=STEP_TITLE_ID,
        class_name="segur-form",
    )


def _step_buttons(step: Step) -> rx.Component:
    children = []
    if step > Step.COMPANY:
        children.append(rx.el.button("Étape précédente", type="button", on_click=S.previous_step,
                                     class_name="fr-btn fr-btn--secondary"))
    if step == Step.SUMMARY:
        children.append(rx.el.button(
            rx.cond(S.submitting, "Envoi en cours…", "Envoyer ma demande"),
            type="submit", form=_form_id(step), disabled=S.submitting, class_name="fr-btn",
        ))
    else:
        children.append(rx.el.button("Étape suivante", type="submit", form=_form_id(step),
                                     class_name="fr-btn"))
    return buttons(*children)


def _data_step(step: Step, *after_fields: rx.Component) -> rx.Component:
    return rx.fragment(
        _step_form(step, *[_field(f) for f in step_fields(step)]),
        *after_fields,
        _step_buttons(step),
    )


def _import_block() -> rx.Component:
    return rx.el.div(
        rx.el.h3("Pré-remplir avec mon fichier json", class_name="fr-h6"),
        rx.el.p(
            "Si vous disposez du fichier json de votre référencement ANS, importez-le pour "
            "reprendre les informations de l'entreprise. ",
            internal_link("Vérifier mon fichier json", href=routes.JSON_SIMULATION,
                          class_name="fr-link"),
            class_name="fr-text--sm",
        ),
        file_picker(
            JSON_UPLOAD,
            label="Importer mon fichier json",
            upload_id=IMPORT_UPLOAD_ID,
            on_drop=S.import_file(rx.upload_files(upload_id=IMPORT_UPLOAD_ID)),
            on_drop_rejected=S.import_rejected,
        ),
        rx.cond(
            S.import_message != "",
            rx.el.div(rx.el.p(S.import_message), class_name="fr-alert fr-alert--success fr-alert--sm",
                      role="status"),
        ),
        rx.cond(
            S.import_problems.length() > 0,
            rx.el.div(
                rx.el.p("Le fichier n'a pas pu être importé :", class_name="fr-error-text",
                        role="alert"),
                problems_table(S.import_problems, caption="Erreurs du fichier json importé"),
            ),
        ),
        class_name="fr-background-alt--blue-france fr-p-3w fr-mb-4w",
    )


def _rib_field() -> rx.Component:
    return file_picker(
        RIB_UPLOAD,
        label=f"{AttachmentKind.RIB.label} *",
        upload_id=RIB_UPLOAD_ID,
        on_drop=S.stage_rib, staged_by=S, slot=RIB,
        on_drop_rejected=S.rib_rejected,
        file_name=S.rib_name,
        size=S.rib_size,
        error=S.errors["rib"],
        on_remove=S.remove_rib,
    )


# --- summary and sending --------------------------------------------------------------


def _recap_section(section) -> rx.Component:
    return rx.el.section(
        rx.el.div(
            rx.el.h3(section.title, class_name="fr-h6 fr-mb-1w"),
            rx.el.button(
                "Modifier", rx.el.span(" « ", section.title, " »", class_name="fr-sr-only"),
                type="button", on_click=S.edit_step(section.step),
                class_name="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-edit-line "
                           "fr-btn--icon-left",
            ),
            class_name="segur-recap-head",
        ),
        rx.el.ul(rx.foreach(section.lines, lambda line: labelled_value(line.label, line.value)),
                 class_name="segur-recap"),
        class_name="fr-mb-3w",
    )


def _cgu_field() -> rx.Component:
    error = S.errors["cgu"]
    return rx.el.div(
        rx.el.div(
            rx.el.input(type="checkbox", id="champ-cgu", name="cgu",
                        aria_describedby="erreur-cgu"),
            rx.el.label(
                "J'ai lu et j'accepte les conditions générales d'utilisation du portail "
                "SEGUR Numérique.",
                class_name="fr-label", html_for="champ-cgu",
            ),
            rx.el.div(error_text(error, "erreur-cgu"), class_name="fr-messages-group"),
            class_name=rx.cond(error != "", "fr-checkbox-group fr-checkbox-group--error",
                               "fr-checkbox-group"),
        ),
        rx.el.p(
            external_link("Lire les conditions générales d'utilisation", href=routes.CGU,
                          title="Conditions générales d'utilisation", class_name="fr-link"),
            class_name="fr-text--sm fr-mt-1w",
        ),
        class_name="fr-mb-4w",
    )


def _summary_step() -> rx.Component:
    return rx.fragment(
        rx.el.p("Vérifiez les informations de votre demande avant de l'envoyer."),
        rx.foreach(S.recap, _recap_section),
        rx.el.ul(labelled_value(AttachmentKind.RIB.label, S.rib_name), class_name="segur-recap fr-mb-4w"),
        _step_form(Step.SUMMARY, _cgu_field(), anti_robot_field("champ-site-internet")),
        _step_buttons(Step.SUMMARY),
    )


# --- page -------------------------------------------------------------------------------


def _refusal() -> rx.Component:
    return rx.cond(
        S.refusal != "",
        rx.el.div(
            rx.el.h3("Demande d'enrôlement impossible", class_name="fr-alert__title"),
            rx.el.p(S.refusal),
            rx.el.ul(
                rx.el.li(arrow_link("Accéder à mon espace personnel", routes.LOGIN)),
                rx.el.li(arrow_link("Contacter l'assistance", routes.ASSISTANCE)),
                class_name="segur-plain-list fr-mt-2w",
            ),
            class_name="fr-alert fr-alert--error fr-mb-3w",
            role="alert",
            id=REFUSAL_ID,
            tab_index=-1,
        ),
    )


def _form() -> rx.Component:
    return rx.fragment(
        stepper(tuple(step.title for step in Step), S.step, title_id=STEP_TITLE_ID),
        rx.el.p("Tous les champs sont obligatoires.", class_name="fr-text--sm"),
        rx.el.div(error_list(S.form_errors), id=ERROR_SUMMARY_ID, tab_index=-1),
        _refusal(),
        rx.match(
            S.step,
            (1, rx.fragment(_import_block(), _data_step(Step.COMPANY))),
            (2, _data_step(Step.LEGAL_REP)),
            (3, _data_step(Step.CONTACT)),
            (4, _data_step(Step.BANK, _rib_field())),
            _summary_step(),
        ),
    )


def _confirmation() -> rx.Component:
    return rx.fragment(
        rx.el.div(
            rx.el.h2("Votre demande d'enrôlement a bien été envoyée", class_name="fr-alert__title"),
            rx.el.p("Numéro de votre demande : ", rx.el.strong(S.submitted_number), "."),
            rx.el.p(
                "Un accusé de réception a été envoyé à ", rx.el.strong(S.submitted_email),
                ". Vous recevrez un autre courriel dès que l'ASP aura examiné votre demande ; "
                "si elle est validée, vos identifiants de connexion vous seront transmis par "
                "courriel.",
            ),
            class_name="fr-alert fr-alert--success fr-mb-4w",
            role="status",
            id=CONFIRMATION_ID,
            tab_index=-1,
        ),
        button_link("Retour à l'accueil", routes.HOME, icon="arrow-left-line"),
    )


@template(
    route=routes.ENROLMENT,
    title="Effectuer ma demande d'enrôlement",
    sitemap_section=SitemapSection.ENROLMENT,
    on_load=EnrolmentFormState.load,
)
def enrolment() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.p(
                "La demande d'enrôlement est réservée aux fournisseurs SAS référencés par "
                "l'Agence du numérique en santé (ANS). Un fournisseur SAS ne peut faire qu'un "
                "seul enrôlement. Une fois votre demande validée par l'ASP, vos identifiants "
                "de connexion vous seront transmis par courriel.",
            ),
            rx.cond(S.submitted_number != "", _confirmation(), _form()),
            class_name="fr-col-12 fr-col-lg-9",
        ),
        class_name="fr-grid-row",
    )

