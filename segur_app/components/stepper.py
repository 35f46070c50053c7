"""DSFR « indicateur d'étapes » (fr-stepper), driven by the current step number."""

from __future__ import annotations

import reflex as rx


def stepper(titles: tuple[str, ...], current: rx.Var, *, title_id: str) -> rx.Component:
    """« Entreprise — Étape 1 sur 5 », the progress bar and « Étape suivante : … ».

    The title can receive the focus (``tabindex=-1``) so that a screen reader
    announces the new step when the form moves on.
    """
    count = len(titles)
    title = rx.match(current, *[(n, t) for n, t in enumerate(titles, start=1)], titles[0])
    following = rx.match(current, *[(n, titles[n]) for n in range(1, count)], "")
    return rx.el.div(
        rx.el.h2(
            title,
            rx.el.span("Étape ", current.to_string(), f" sur {count}",
                       class_name="fr-stepper__state"),
            class_name="fr-stepper__title",
            id=title_id,
            tab_index=-1,
        ),
        rx.el.div(
            class_name="fr-stepper__steps",
            custom_attrs={"data-fr-current-step": current.to_string(),
                          "data-fr-steps": str(count)},
        ),
        rx.cond(
            current < count,
            rx.el.p(rx.el.span("Étape suivante : ", class_name="fr-text--bold"), following,
                    class_name="fr-stepper__details"),
        ),
        class_name="fr-stepper",
    )
