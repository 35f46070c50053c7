"""The parts every URL-driven staff list shows: its filter form and its page links.

``state`` is a list state mixing in :class:`~segur_app.state.staff_list.StaffListMixin`
(``page``, ``pages``, ``query`` and the four page links).
"""

from __future__ import annotations

import reflex as rx

from segur_app.components.forms import buttons, submit_button
from segur_app.components.links import internal_link


def filter_form(*columns: tuple[rx.Component, str], state, on_submit,
                reset_href: str) -> rx.Component:
    """« Filtrer » / « Réinitialiser »; ``columns``: (control, its width from md up)."""
    return rx.el.form(
        rx.el.div(
            *[rx.el.div(control, class_name=f"fr-col-12 fr-col-md-{width}")
              for control, width in columns],
            class_name="fr-grid-row fr-grid-row--gutters",
        ),
        buttons(submit_button("Filtrer"),
                internal_link("Réinitialiser", href=reset_href,
                              class_name="fr-btn fr-btn--secondary")),
        on_submit=on_submit,
        aria_label="Filtres",
        key=state.query,  # re-render the inputs with the URL's values
        class_name="fr-mb-4w",
    )


def _page_link(label: str, href, enabled, modifier: str) -> rx.Component:
    class_name = f"fr-pagination__link fr-pagination__link--{modifier}"
    if modifier in ("prev", "next"):
        class_name += " fr-pagination__link--lg-label"
    return rx.cond(
        enabled,
        internal_link(label, href=href, class_name=class_name),
        rx.el.a(label, class_name=class_name, aria_disabled="true", role="link"),
    )


def link_pagination(state, *, label: str) -> rx.Component:
    """First / previous / « Page n sur m » / next / last: the neighbours are keyset links
    (``apres`` / ``avant``: the row next to the page), as fast at page 5,000 as at page 1."""
    return rx.el.nav(
        rx.el.ul(
            rx.el.li(_page_link("Première page", state.first_href, state.page > 1, "first")),
            rx.el.li(_page_link("Page précédente", state.previous_href, state.page > 1, "prev")),
            rx.el.li(rx.el.span("Page ", state.page.to_string(), " sur ",
                                state.pages.to_string(), class_name="fr-pagination__link",
                                aria_current="page")),
            rx.el.li(_page_link("Page suivante", state.next_href, state.page < state.pages,
                                "next")),
            rx.el.li(_page_link("Dernière page", state.last_href, state.page < state.pages,
                                "last")),
            class_name="fr-pagination__list",
        ),
        class_name="fr-pagination",
        aria_label=label,
    )
