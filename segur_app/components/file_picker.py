"""A DSFR file field built on ``rx.upload``: « Parcourir... », the chosen file, its error.

The ``<label>`` wraps the (hidden) file input, so it is the input's accessible
name and a click anywhere on it opens the file chooser. The file is sent to
the state as soon as it is chosen (``on_drop``), checked there and staged.
"""

from __future__ import annotations

import reflex as rx

NO_FILE = "Aucun fichier sélectionné."


def file_picker(
    *,
    label: str,
    hint: str,
    upload_id: str,
    on_drop,
    on_drop_rejected,
    max_size: int,
    file_name: rx.Var | None = None,
    size: rx.Var | None = None,
    error: rx.Var | None = None,
    on_remove=None,
    accept: dict[str, list[str]] | None = None,
) -> rx.Component:
    """``file_name``/``size``: the chosen file (shown when given); ``error``: its message."""
    error = error if error is not None else rx.Var.create("")
    has_error = error != ""
    chosen = rx.fragment()
    if file_name is not None:
        chosen = rx.el.p(
            rx.cond(file_name != "", rx.fragment(file_name, " (", size, ")"), NO_FILE),
            class_name="fr-text--sm fr-mb-1w segur-upload__file",
            aria_live="polite",
        )
    remove = rx.fragment()
    if on_remove is not None and file_name is not None:
        remove = rx.cond(
            file_name != "",
            rx.el.button(
                "Retirer le fichier",
                rx.el.span(f" « {label} »", class_name="fr-sr-only"),
                type="button",
                on_click=on_remove,
                class_name="fr-btn fr-btn--tertiary-no-outline fr-btn--sm "
                           "fr-icon-delete-line fr-btn--icon-left",
            ),
        )
    return rx.el.div(
        rx.el.label(
            rx.el.span(label, class_name="fr-label"),
            rx.el.span(hint, class_name="fr-hint-text"),
            rx.upload.root(
                rx.el.span("Parcourir...", class_name="fr-btn fr-btn--secondary fr-btn--sm"),
                id=upload_id,
                multiple=False,
                max_files=1,
                max_size=max_size,
                accept=accept,
                on_drop=on_drop,
                on_drop_rejected=on_drop_rejected,
                class_name="segur-upload",
            ),
            class_name="segur-upload__label",
        ),
        chosen,
        remove,
        rx.cond(has_error, rx.el.p(error, class_name="fr-error-text", role="alert")),
        class_name=rx.cond(has_error, "fr-upload-group fr-input-group--error fr-mb-4w",
                           "fr-upload-group fr-mb-4w"),
    )
