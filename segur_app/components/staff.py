"""Small form controls of the staff screens (labelled selects, text areas)."""

from __future__ import annotations

import reflex as rx


def select(label: str, name: str, options: list[tuple[str, str]], *, value=None,
           field_id: str | None = None, **props) -> rx.Component:
    field_id = f"champ-{name}" if field_id is None else field_id
    return rx.el.div(
        rx.el.label(label, class_name="fr-label", html_for=field_id),
        rx.el.select(
            *[rx.el.option(text, value=option) for option, text in options],
            id=field_id, name=name, class_name="fr-select",
            **({"default_value": value} if value is not None else {}), **props,
        ),
        class_name="fr-select-group",
    )


def textarea(label: str, name: str, *, field_id, required: bool = False,
             hint: str | None = None, **props) -> rx.Component:
    children: list = [label]
    if hint:
        children.append(rx.el.span(hint, class_name="fr-hint-text"))
    return rx.el.div(
        rx.el.label(*children, class_name="fr-label", html_for=field_id),
        rx.el.textarea(id=field_id, name=name, required=required, rows=3,
                       max_length=2000, class_name="fr-input", **props),
        class_name="fr-input-group",
    )


def hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)


def radio_group(legend: str, name, options: list[tuple[str, str]], *, current, on_choose,
                group_id) -> rx.Component:
    """DSFR radio buttons that act as soon as one is chosen (``on_choose(value)``):
    a fieldset, its legend, one labelled native radio per option (arrow keys and
    Space work as for any radio group)."""
    legend_id = group_id + "-legende"
    return rx.el.fieldset(
        rx.el.legend(legend, id=legend_id, class_name="fr-fieldset__legend fr-text--regular"),
        *[
            rx.el.div(
                rx.el.div(
                    rx.el.input(type="radio", id=group_id + "-" + value, name=name, value=value,
                                checked=current == value, on_change=on_choose(value)),
                    rx.el.label(label, class_name="fr-label", html_for=group_id + "-" + value),
                    class_name="fr-radio-group",
                ),
                class_name="fr-fieldset__element fr-fieldset__element--inline",
            )
            for value, label in options
        ],
        class_name="fr-fieldset fr-mb-0",
        aria_labelledby=legend_id,
    )
