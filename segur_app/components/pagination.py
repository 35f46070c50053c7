"""DSFR pagination driven by event handlers (« précédente » / « Page n sur m » / « suivante »)."""

from __future__ import annotations

import reflex as rx

_LINK = "fr-pagination__link fr-pagination__link--{} fr-pagination__link--lg-label"


def button_pagination(page, pages, *, on_previous, on_next, label: str,
                      previous_text: str = "Page précédente",
                      next_text: str = "Page suivante") -> rx.Component:
    """Shown only when there is more than one page; ``page``/``pages`` are state vars."""
    return rx.cond(
        pages > 1,
        rx.el.nav(
            rx.el.ul(
                rx.el.li(rx.el.button(previous_text, type="button", on_click=on_previous,
                                      disabled=page <= 1, class_name=_LINK.format("prev"))),
                rx.el.li(rx.el.span("Page ", page.to_string(), " sur ", pages.to_string(),
                                    class_name="fr-pagination__link", aria_current="page")),
                rx.el.li(rx.el.button(next_text, type="button", on_click=on_next,
                                      disabled=page >= pages, class_name=_LINK.format("next"))),
                class_name="fr-pagination__list",
            ),
            class_name="fr-pagination",
            aria_label=label,
        ),
    )
