"""« Plan du site »: every public page, grouped by section.

The list is built from the ``sitemap_section`` declared by each page's
``@template``, so a new public page appears here without editing this file.
"""

from __future__ import annotations

import reflex as rx

from segur_app import routes
from segur_app.components.content import section
from segur_app.components.links import internal_link
from segur_app.components.template import SitemapSection, sitemap_entries, template


def _links(name: SitemapSection, **props) -> rx.Component:
    links = [internal_link(entry.title, href=entry.route) for entry in sitemap_entries(name)]
    return rx.el.ul(*[rx.el.li(link) for link in links], **props)


def _section(name: SitemapSection) -> rx.Component:
    return section(name.value, _links(name))


@template(route=routes.SITEMAP, title="Plan du site", sitemap_section=SitemapSection.INFORMATION)
def sitemap() -> rx.Component:
    # The home page needs no heading of its own: it opens the list.
    return rx.fragment(
        _links(SitemapSection.HOME, class_name="fr-mb-6w"),
        *[
            _section(name)
            for name in SitemapSection
            if name is not SitemapSection.HOME and sitemap_entries(name)
        ],
    )
