"""« Simuler mon fichier json » (public): check a referencing file before being referenced."""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.accordion import accordion, accordions_group
from segur_app.components.file_picker import file_picker
from segur_app.components.forms import buttons, submit_button
from segur_app.components.funding import labelled_value
from segur_app.components.links import button_link
from segur_app.components.referencing import problems_table
from segur_app.components.template import SitemapSection, template
from segur_app.domain import referencing
from segur_app.state.enrolment_form import JsonSimulationState

S = JsonSimulationState
UPLOAD_ID = "fichier-json"
MAX_PASTED_CHARACTERS = 500_000


def _file_form() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Vérifier un fichier", class_name="fr-h4"),
        file_picker(
            referencing.JSON_UPLOAD,
            label="Fichier json de référencement",
            hint=f"{referencing.JSON_UPLOAD.hint}. Il est vérifié dès qu'il est choisi.",
            upload_id=UPLOAD_ID,
            on_drop=S.check_file(rx.upload_files(upload_id=UPLOAD_ID)),
            on_drop_rejected=S.file_rejected,
            file_name=S.file_name,
            size=S.file_size,
            error=S.upload_error,
        ),
        class_name="fr-mb-4w",
    )


def _text_form() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Ou coller son contenu", class_name="fr-h4"),
        rx.el.form(
            rx.el.div(
                rx.el.label(
                    "Contenu du fichier json",
                    rx.el.span(f"{MAX_PASTED_CHARACTERS:_} caractères au maximum".replace("_", " "),
                               class_name="fr-hint-text"),
                    class_name="fr-label", html_for="champ-json_text",
                ),
                rx.el.textarea(id="champ-json_text", name="json_text", rows=12,
                               max_length=MAX_PASTED_CHARACTERS, spell_check=False,
                               class_name="fr-input segur-code"),
                class_name="fr-input-group",
            ),
            buttons(submit_button("Vérifier le texte")),
            on_submit=S.check_text,
            aria_label="Vérifier le contenu collé",
        ),
        class_name="fr-mb-4w",
    )


def _solutions_table() -> rx.Component:
    return rx.el.div(
        rx.el.table(
            rx.el.caption("Solutions référencées"),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in
                                   ("Solution", "Version", "Date de référencement")])),
            rx.el.tbody(rx.foreach(S.reading.solutions, lambda s: rx.el.tr(
                rx.el.td(s.name), rx.el.td(s.version), rx.el.td(s.referenced_on)))),
        ),
        class_name="fr-table",
    )


def _reading() -> rx.Component:
    read = S.reading
    return rx.fragment(
        rx.el.div(
            rx.el.h3("Le fichier est conforme", class_name="fr-alert__title"),
            rx.el.p(S.source, " : voici ce que le portail en lirait."),
            class_name="fr-alert fr-alert--success fr-mb-3w",
        ),
        rx.el.h3("Entreprise", class_name="fr-h5"),
        rx.el.ul(
            labelled_value("N° unique de référencement (ANS)", read.ans_number),
            labelled_value("Couloir", read.corridor),
            labelled_value("SIRET", read.siret),
            labelled_value("Dénomination sociale", read.company_name),
            labelled_value("Adresse", read.address),
            class_name="segur-recap fr-mb-3w",
        ),
        _solutions_table(),
        rx.el.h3("Financement applicable", class_name="fr-h5"),
        rx.el.ul(
            labelled_value("Couloir SAS - montant de l'avance", S.advance_amount),
            class_name="segur-recap fr-mb-3w",
        ),
        button_link("Effectuer ma demande d'enrôlement", routes.ENROLMENT),
    )


def _problems() -> rx.Component:
    return rx.fragment(
        rx.el.div(
            rx.el.h3("Le fichier n'est pas conforme", class_name="fr-alert__title"),
            rx.el.p(S.source, " : ", S.problems.length().to_string(),
                    " erreur(s) à corriger, détaillée(s) ci-dessous."),
            class_name="fr-alert fr-alert--error fr-mb-3w",
        ),
        problems_table(S.problems, caption="Erreurs du fichier json"),
    )


def _result() -> rx.Component:
    return rx.el.section(
        rx.cond(
            S.checked,
            rx.fragment(
                rx.el.h2("Résultat de la vérification", class_name="fr-h4"),
                rx.cond(S.reading, _reading(), _problems()),
            ),
        ),
        aria_live="polite",
        class_name="fr-mb-6w",
    )


def _format_help() -> rx.Component:
    return accordions_group(
        accordion(
            "Format du fichier json",
            rx.el.p("Le fichier est un objet JSON encodé en UTF-8, sans autre champ que "
                    "ceux-ci (tous obligatoires) :"),
            rx.el.div(
                rx.el.table(
                    rx.el.caption("Champs du fichier json", class_name="fr-sr-only"),
                    rx.el.thead(rx.el.tr(rx.el.th("Champ", scope="col"),
                                         rx.el.th("Contenu", scope="col"))),
                    rx.el.tbody(*[
                        rx.el.tr(rx.el.td(rx.el.code(doc.path)), rx.el.td(doc.description))
                        for doc in referencing.format_fields()
                    ]),
                ),
                class_name="fr-table",
            ),
        ),
        accordion(
            "Exemple de fichier",
            rx.el.pre(rx.el.code(referencing.example_text()), class_name="segur-code fr-p-2w"),
        ),
    )


@template(
    route=routes.JSON_SIMULATION,
    title="Simuler mon fichier json",
    sitemap_section=SitemapSection.ENROLMENT,
    on_load=JsonSimulationState.load,
)
def json_simulation() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.p(
                "Vous n'êtes pas encore référencé ? Vérifiez le fichier json de référencement "
                "que vous transmettrez : le portail indique chaque erreur avec son emplacement "
                "ou, si le fichier est conforme, les informations qu'il en lirait et le "
                "financement applicable. Rien n'est enregistré.",
            ),
            _file_form(),
            _text_form(),
            _result(),
            _format_help(),
            class_name="fr-col-12 fr-col-lg-9",
        ),
        class_name="fr-grid-row",
    )
