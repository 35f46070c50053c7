"""Small form controls of the staff screens (labelled selects, text areas)."""

from __future__ import annotations

import reflex as rx


def select(label: str, name: str, options: list[tuple[str, str]], *, value=None,
           field_id: str | None = None) -> rx.Component:
    field_id = f"champ-{name}" if field_id is None else field_id
    return rx.el.div(
        rx.el.label(label, class_name="fr-label", html_for=field_id),
        rx.el.select(
            *[rx.el.option(text, value=option) for option, text in options],
            id=field_id, name=name, class_name="fr-select",
            **({"default_value": value} if value is not None else {}),
        ),
        class_name="fr-select-group",
    )


def textarea(label: str, name: str, *, field_id: str, required: bool = False,
             hint: str | None = None) -> rx.Component:
    children: list = [label]
    if hint:
        children.append(rx.el.span(hint, class_name="fr-hint-text"))
    return rx.el.div(
        rx.el.label(*children, class_name="fr-label", html_for=field_id),
        rx.el.textarea(id=field_id, name=name, required=required, rows=3,
                       max_length=2000, class_name="fr-input"),
        class_name="fr-input-group",
    )


def hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)
