"""The ``@template`` page decorator (modelled on reflex-dev/templates dashboard).

The decorated function returns only the page body; the template adds the
portal frame (header, navigation, footer), the breadcrumb, the page's single
``h1`` and the ``<title>`` « <title> - Portail SEGUR Numérique ». Pages listed
in the site map declare their ``sitemap_section``.

Pages are recorded here and given to the app ONCE by :func:`add_pages`
(``app.add_page``), not with ``@rx.page``: Reflex re-applies ``@rx.page`` pages
at every compile of the same ``App``, and in production each forked worker
compiles the app its parent already compiled, which logged « Page … is being
redefined with the same component » once per page per worker.

    @template(route=routes.FAQ, title="Questions fréquentes",
              sitemap_section=SitemapSection.HELP)
    def faq() -> rx.Component:
        return rx.el.div(...)
"""

from __future__ import annotations

import functools

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import reflex as rx

from segur_app import routes
from segur_app.components.branding import SITE_NAME
from segur_app.components.content import breadcrumb
from segur_app.components.header import PUBLIC_SHORTCUTS, Shortcut
from segur_app.components.layout import layout
from segur_app.components.navigation import PUBLIC_NAVIGATION, NavEntry

DEFAULT_DESCRIPTION = (
    "Portail de l'Agence de Services et de Paiement pour les fournisseurs SAS : "
    "enrôlement et demandes de financement du Ségur du numérique en santé."
)


class SitemapSection(StrEnum):
    """Sections of the « Plan du site », in display order."""

    HOME = "Accueil"
    ACCESS = "Accès à mon espace personnel"
    ENROLMENT = "Enrôlement"
    HELP = "Aide"
    INFORMATION = "Informations légales"


@dataclass(frozen=True)
class SitemapEntry:
    section: SitemapSection
    title: str
    route: str


_SITEMAP: list[SitemapEntry] = []
# (page function, keyword arguments of App.add_page), in declaration order.
_PAGES: list[tuple[Callable[[], rx.Component], dict[str, Any]]] = []


def add_pages(app: rx.App) -> None:
    """Register every ``@template`` page declared so far on ``app`` (once)."""
    for render, kwargs in _PAGES:
        app.add_page(render, **kwargs)


def sitemap_entries(section: SitemapSection) -> list[SitemapEntry]:
    """The pages declared in ``section``, in declaration order."""
    return [entry for entry in _SITEMAP if entry.section == section]


def page_title(title: str) -> str:
    """The document title: « Questions fréquentes - Portail SEGUR Numérique »."""
    return f"{title} - {SITE_NAME}"


def page_body(
    content: rx.Component,
    *,
    heading: str | rx.Var,
    with_breadcrumb: bool = True,
    home_route: str = routes.HOME,
) -> rx.Component:
    """The page's container: breadcrumb, the ``h1``, then the content."""
    return rx.el.div(
        breadcrumb(heading, home_route) if with_breadcrumb else rx.fragment(),
        rx.el.h1(heading),
        content,
        class_name="fr-container fr-pb-8w" + ("" if with_breadcrumb else " fr-pt-4w"),
    )


def template(
    route: str,
    title: str,
    *,
    heading: str | rx.Var | None = None,
    description: str = DEFAULT_DESCRIPTION,
    on_load: Any = None,
    meta: list[dict[str, str]] | None = None,
    with_breadcrumb: bool = True,
    sitemap_section: SitemapSection | None = None,
    navigation: tuple[NavEntry, ...] = PUBLIC_NAVIGATION,
    shortcuts: tuple[Shortcut, ...] = PUBLIC_SHORTCUTS,
    tools: Callable[[], rx.Component] | None = None,
    home_route: str = routes.HOME,
    wrap: Callable[[rx.Component], rx.Component] | None = None,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register the decorated body function as a page at ``route``.

    ``title`` feeds the ``<title>``, ``heading`` (default: ``title``) the h1
    and the breadcrumb; ``on_load`` is passed to ``App.add_page`` unchanged.
    ``tools`` and ``home_route`` adapt the frame to the private portal;
    ``wrap`` wraps the whole page body (e.g. shown only once authorised).
    """
    h1 = heading if heading is not None else title

    def decorator(page_content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        # wraps() gives the page its module: Reflex writes a page's memoized
        # components under .web/app_components/<that module>, so each page loads
        # its own (not one module holding every page's, 290 KB for the login page).
        @functools.wraps(page_content)
        def templated_page() -> rx.Component:
            body = page_body(
                page_content(), heading=h1, with_breadcrumb=with_breadcrumb,
                home_route=home_route,
            )
            return layout(
                wrap(body) if wrap else body,
                current_route=route,
                navigation=navigation,
                shortcuts=shortcuts,
                tools=tools,
            )

        if sitemap_section is not None:
            _SITEMAP.append(SitemapEntry(sitemap_section, title, route))
        page: dict[str, Any] = {"route": route, "title": page_title(title),
                                "description": description}
        if meta:
            page["meta"] = meta
        if on_load is not None:
            page["on_load"] = on_load
        _PAGES.append((templated_page, page))
        return templated_page

    return decorator
