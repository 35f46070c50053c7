"""Screens announced but not built yet: one factory, one page per route.

Each route answers with the future screen's title (as in the user guide), a
« bientôt disponible » notice and links back to the home page and the FAQ.
When a screen is built, remove its entry here and add its own page module.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from segur_app import routes
from segur_app.components.content import callout, paragraph
from segur_app.components.links import button_link
from segur_app.components.private import Audience, private_page
from segur_app.components.template import SitemapSection, template

COMING_SOON = "Cette page sera bientôt disponible."


@dataclass(frozen=True)
class UpcomingScreen:
    route: str
    title: str
    summary: str
    section: SitemapSection | None = None
    # None: public page; otherwise who may open it once logged in.
    audience: Audience | None = None


# « Besoin d'aide ? » and « Contacter l'assistance » are built (pages/help.py,
# pages/assistance.py): nothing is announced any more.
UPCOMING_SCREENS: tuple[UpcomingScreen, ...] = ()


def upcoming_body(screen: UpcomingScreen) -> rx.Component:
    """The notice shown in place of a screen that is not built yet."""
    if screen.audience is None:
        home = routes.HOME
    else:
        home = routes.STAFF_HOME if screen.audience is Audience.STAFF else routes.PRIVATE_HOME
    return rx.fragment(
        callout(COMING_SOON, paragraph(screen.summary, class_name="fr-callout__text")),
        rx.el.ul(
            rx.el.li(button_link("Retour à l'accueil", home, icon="arrow-left-line")),
            rx.el.li(
                button_link("Consulter les questions fréquentes", routes.FAQ, variant="secondary")
            ),
            class_name="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left",
        ),
    )


def register_upcoming_page(screen: UpcomingScreen) -> None:
    """Declare the « bientôt disponible » page of ``screen``."""

    def upcoming_page() -> rx.Component:
        return upcoming_body(screen)

    upcoming_page.__name__ = "upcoming_" + screen.route.strip("/").replace("-", "_").replace(
        "/", "_"
    )
    if screen.audience is None:
        template(route=screen.route, title=screen.title, sitemap_section=screen.section)(
            upcoming_page
        )
    else:
        private_page(route=screen.route, title=screen.title, audience=screen.audience)(
            upcoming_page
        )


for _screen in UPCOMING_SCREENS:
    register_upcoming_page(_screen)
