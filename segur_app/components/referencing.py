"""Pieces shared by the screens that read a referencing file (json)."""

from __future__ import annotations

import reflex as rx


def problems_table(problems: rx.Var, *, caption: str) -> rx.Component:
    """Every problem of a referencing file: its JSON path and the French explanation."""
    return rx.el.div(
        rx.el.table(
            rx.el.caption(caption),
            rx.el.thead(rx.el.tr(
                rx.el.th("Emplacement (chemin JSON)", scope="col"),
                rx.el.th("Explication", scope="col"),
            )),
            rx.el.tbody(rx.foreach(problems, lambda problem: rx.el.tr(
                rx.el.td(rx.el.code(problem.path)),
                rx.el.td(problem.message),
            ))),
        ),
        class_name="fr-table",
    )
