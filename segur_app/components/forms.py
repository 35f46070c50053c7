"""DSFR form pieces: labelled fields, alerts, error lists, buttons."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.forms import Form


def field(
    label: str,
    name: str,
    *,
    type: str = "text",
    autocomplete: str | None = None,
    hint: str | None = None,
    required: bool = True,
    max_length: int | None = None,
    field_id: str | None = None,
    **props,
) -> rx.Component:
    """A labelled input (``<label for>`` + ``<input id>``), optional hint text.

    ``field_id`` is needed when two forms of a page share a field name.
    """
    field_id = f"champ-{name}" if field_id is None else field_id
    label_children: list = [label]
    if hint:
        label_children.append(rx.el.span(hint, class_name="fr-hint-text"))
    return rx.el.div(
        rx.el.label(*label_children, class_name="fr-label", html_for=field_id),
        rx.el.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete,
            required=required,
            max_length=max_length,
            class_name="fr-input",
            **props,
        ),
        class_name="fr-input-group",
    )


def alert(message: rx.Var | str, *, kind: str = "error", title: str | None = None) -> rx.Component:
    """A small DSFR alert (``role=alert`` for errors so screen readers announce it)."""
    children = []
    if title:
        children.append(rx.el.h3(title, class_name="fr-alert__title"))
    children.append(rx.el.p(message))
    return rx.el.div(
        *children,
        class_name=f"fr-alert fr-alert--{kind} fr-alert--sm fr-mb-3w",
        role="alert" if kind == "error" else "status",
    )


def alert_if(message: rx.Var, *, kind: str = "error") -> rx.Component:
    """The alert only when ``message`` is not empty."""
    return rx.cond(message != "", alert(message, kind=kind))


def error_list(errors: rx.Var, *, title: str = "Le formulaire contient des erreurs :") -> rx.Component:
    """Every message of ``errors`` (a list var), one per line, in one alert."""
    return rx.cond(
        errors.length() > 0,
        rx.el.div(
            rx.el.h3(title, class_name="fr-alert__title"),
            rx.el.ul(rx.foreach(errors, lambda message: rx.el.li(message))),
            class_name="fr-alert fr-alert--error fr-mb-3w",
            role="alert",
        ),
    )


def submit_button(label: str, **props) -> rx.Component:
    return rx.el.button(label, type="submit", class_name="fr-btn", **props)


def buttons(*children: rx.Component) -> rx.Component:
    return rx.el.ul(
        *[rx.el.li(child) for child in children],
        class_name="fr-btns-group fr-btns-group--inline-md",
    )


class _NativeForm(Form):
    """``<form>`` without Reflex's submit handler: the browser posts it itself.

    ``rx.el.form`` always prevents the default submission (it injects
    ``on_submit=prevent_default``); the session forms must reach the server
    as real POSTs (HttpOnly cookie in the response, works before hydration).
    """

    @classmethod
    def create(cls, *children, **props):
        props.setdefault("handle_submit_unique_name", "native")
        return super(Form, cls).create(*children, **props)  # skip Form.create


def native_form(*children: rx.Component, route: str, label: str, **props) -> rx.Component:
    """A form the browser POSTs to one of our HTTP routes (``api/session.py``)."""
    return _NativeForm.create(
        *children, action=backend_url(route), method="post", aria_label=label, **props
    )


def backend_url(route: str) -> str:
    """The address a native form posts to: the page's own origin in production
    (single port), the backend's in development (frontend :3000, backend :8000)."""
    from reflex_base.environment import environment

    if environment.REFLEX_ENV_MODE.get().value == "dev":
        return rx.config.get_config().api_url.rstrip("/") + route
    return route


def form(*children: rx.Component, on_submit, label: str, **props) -> rx.Component:
    """A form posting its values to ``on_submit`` (inputs cleared afterwards)."""
    return rx.el.form(
        *children,
        on_submit=on_submit,
        reset_on_submit=True,
        aria_label=label,
        class_name="segur-form",
        **props,
    )


# --- Fields with a server-side error message (DSFR error state) -------------------


def error_text(error: rx.Var, error_id: str) -> rx.Component:
    """The message of a field, always present (hidden when empty) so that
    ``aria-describedby`` never points at a missing id."""
    return rx.el.p(error, id=error_id, class_name=rx.cond(error != "", "fr-error-text", "fr-hidden"))


def checked_field(
    label: str,
    name: str,
    *,
    error: rx.Var,
    default_value: rx.Var | str = "",
    hint: str | None = None,
    type: str = "text",
    autocomplete: str | None = None,
    max_length: int | None = None,
    control=rx.el.input,
    **props,
) -> rx.Component:
    """``field`` with its error: ``fr-input-group--error``, the message next to the
    input (``fr-error-text``) and referenced by ``aria-describedby``.

    The input is uncontrolled (``default_value``): a form's ``on_submit``
    receives what was typed. ``control=rx.el.textarea`` for long texts.
    """
    field_id, hint_id, error_id = f"champ-{name}", f"aide-{name}", f"erreur-{name}"
    has_error = error != ""
    label_children: list = [label]
    if hint:
        label_children.append(rx.el.span(hint, class_name="fr-hint-text", id=hint_id))
    input_props = {"type": type} if control is rx.el.input else {}
    return rx.el.div(
        rx.el.label(*label_children, class_name="fr-label", html_for=field_id),
        control(
            id=field_id,
            name=name,
            default_value=default_value,
            auto_complete=autocomplete,
            max_length=max_length,
            required=True,
            aria_invalid=rx.cond(has_error, "true", "false"),
            aria_describedby=f"{hint_id} {error_id}" if hint else error_id,
            class_name=rx.cond(has_error, "fr-input fr-input--error", "fr-input"),
            **input_props,
            **props,
        ),
        error_text(error, error_id),
        class_name=rx.cond(has_error, "fr-input-group fr-input-group--error", "fr-input-group"),
    )


def one_field_request(state, *, done_message: str, input_field: rx.Component, label: str,
                      back: rx.Component) -> rx.Component:
    """A one-field request (« J'ai oublié … »): the form, then the same neutral answer.

    ``state`` has ``done``, ``error`` and ``submit``.
    """
    return rx.el.div(
        rx.el.div(
            rx.cond(
                state.done,
                alert(done_message, kind="success"),
                rx.fragment(
                    alert_if(state.error),
                    form(input_field, buttons(submit_button("Valider")),
                         on_submit=state.submit, label=label),
                ),
            ),
            back,
            class_name="fr-col-12 fr-col-md-8 fr-col-lg-6",
        ),
        class_name="fr-grid-row",
    )


def anti_robot_field(field_id: str) -> rx.Component:
    """The public forms' anti-robot field: hidden visually (segur.css), from
    assistive technologies (aria-hidden) and from the tab order; a person
    never fills it (``domain.anti_abuse.looks_automated``)."""
    from segur_app.domain.anti_abuse import HONEYPOT_NAME

    return rx.el.div(
        rx.el.label("Ne pas remplir ce champ", html_for=field_id),
        rx.el.input(id=field_id, name=HONEYPOT_NAME, type="text", tab_index=-1,
                    auto_complete="off", default_value=""),
        class_name="segur-honeypot",
        aria_hidden="true",
    )
