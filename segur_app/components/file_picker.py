"""The DSFR file field of every form: « Parcourir... », the chosen file, its error.

Built on ``rx.upload`` and configured by the field's ``uploads.UploadPolicy``
(hint, the size and count the browser enforces, the types its chooser offers).
The ``<label>`` wraps the (hidden) file input, so it is the input's accessible
name and a click anywhere on it opens the file chooser. The file is sent to
the state as soon as it is chosen (``on_drop``), checked there and staged
(``state/uploads.py``). A field whose file is staged (``staged_by``: its
state, a ``StagedUploadsMixin``) shows the progress of the sending (a
``<progress>`` with its label, « Envoi du fichier : 42 % ») and is told when
the connection drops during it.
"""

from __future__ import annotations

import reflex as rx

from segur_app.domain.uploads import UploadPolicy

NO_FILE = "Aucun fichier sélectionné."
SENDING = "Envoi du fichier : "
SENT = "Fichier envoyé : "


def _progress(percent: rx.Var, *, upload_id: str) -> rx.Component:
    """« Envoi du fichier : 42 % » and the bar (a native ``<progress>``: role progressbar)."""
    progress_id = f"{upload_id}-envoi"
    return rx.el.div(
        rx.el.label(rx.cond(percent >= 100, SENT, SENDING), percent, " %",
                    html_for=progress_id, class_name="fr-hint-text fr-mb-1v"),
        rx.el.progress(percent, " %", id=progress_id, max=100, value=percent),
        class_name="segur-upload__progress",
    )


def file_picker(
    policy: UploadPolicy,
    *,
    label: str,
    upload_id: str,
    on_drop,
    on_drop_rejected=None,
    hint: str | None = None,
    hint_id: str | None = None,
    file_name: rx.Var | None = None,
    size: rx.Var | None = None,
    error: rx.Var | None = None,
    on_remove=None,
    remove_label: str | None = None,
    no_file: str = NO_FILE,
    staged_by=None,
    slot: str = "",
) -> rx.Component:
    """``label``: the field's name on screen; ``hint``: defaults to the policy's
    (« Fichier de type … Taille maximum : 4 Mo »). ``file_name`` (and ``size``,
    when shown): the chosen file; ``error``: its message; ``remove_label``: the
    field's name in « Retirer le fichier « … » » (default ``label``).

    ``staged_by`` (the field's state, a ``StagedUploadsMixin``) and ``slot``:
    ``on_drop`` is then a function of the upload (``lambda files:
    S.stage_file(files)``) and the picker adds the progress bar and the watch
    of the sending. Without them ``on_drop`` is the event itself."""
    error = error if error is not None else rx.Var.create("")
    has_error = error != ""
    progress = rx.fragment()
    if staged_by is not None:
        upload = rx.upload_files(
            upload_id=upload_id,
            on_upload_progress=lambda sent: staged_by.upload_progressed(slot, sent),
        )
        on_drop = [staged_by.upload_begun(slot), on_drop(upload)]
        progress = rx.cond(
            staged_by.upload_progress.contains(slot) & ~has_error,
            _progress(staged_by.upload_progress[slot].to(int), upload_id=upload_id),
        )
    chosen = rx.fragment()
    if file_name is not None:
        shown = rx.fragment(file_name, " (", size, ")") if size is not None else file_name
        chosen = rx.el.p(
            rx.cond(file_name != "", shown, no_file),
            class_name="fr-text--sm fr-mb-1w segur-upload__file",
            aria_live="polite",
        )
    remove = rx.fragment()
    if on_remove is not None and file_name is not None:
        remove = rx.cond(
            file_name != "",
            rx.el.button(
                "Retirer le fichier",
                rx.el.span(f" « {remove_label or label} »", class_name="fr-sr-only"),
                type="button",
                on_click=on_remove,
                class_name="fr-btn fr-btn--tertiary-no-outline fr-btn--sm "
                           "fr-icon-delete-line fr-btn--icon-left",
            ),
        )
    dropzone = {"on_drop_rejected": on_drop_rejected} if on_drop_rejected is not None else {}
    return rx.el.div(
        rx.el.label(
            rx.el.span(label, class_name="fr-label"),
            rx.el.span(hint if hint is not None else policy.hint, class_name="fr-hint-text",
                       **({"id": hint_id} if hint_id else {})),
            rx.upload.root(
                rx.el.span("Parcourir...", class_name="fr-btn fr-btn--secondary fr-btn--sm"),
                id=upload_id,
                multiple=policy.max_files > 1,
                max_files=policy.max_files,
                max_size=policy.max_bytes,
                accept=policy.accept,
                on_drop=on_drop,
                class_name="segur-upload",
                **dropzone,
            ),
            class_name="segur-upload__label",
        ),
        progress,
        chosen,
        remove,
        rx.cond(has_error, rx.el.p(error, class_name="fr-error-text", role="alert")),
        class_name=rx.cond(has_error, "fr-upload-group fr-input-group--error fr-mb-4w",
                           "fr-upload-group fr-mb-4w"),
    )
