"""What every URL-driven staff list state shows besides its rows.

The filters, the sort and the page live in the URL (bookmarkable; parsed by
:mod:`segur_app.list_query`, the same parsing as the CSV exports); the list
states (funding requests, assistance tickets, news) mix this in, call
:meth:`StaffListMixin._show_page` with the page the domain returned, and
redirect « Filtrer » to :meth:`StaffListMixin._filtered`.
"""

from __future__ import annotations

import reflex as rx

from segur_app.list_query import FILTER_PARAMS, filter_query, form_query, page_links


class StaffListMixin(rx.State, mixin=True):
    total: int = 0
    page: int = 1
    pages: int = 1
    query: str = ""  # the filters as a query string (links keep them)
    # Pagination links: keyset for the neighbours, by number for the ends.
    first_href: str = ""
    previous_href: str = ""
    next_href: str = ""
    last_href: str = ""

    def _params(self) -> dict[str, str]:
        return dict(self.router.url.query_parameters)

    def _show_page(self, route: str, params: dict[str, str], *, total: int, page: int,
                   pages: int, ids: list[int], names: tuple[str, ...] = FILTER_PARAMS) -> None:
        """Show the page's total, number and links (``ids``: its rows, in order)."""
        links = page_links(route, params, page=page, pages=pages,
                           first_id=ids[0] if ids else None, last_id=ids[-1] if ids else None,
                           names=names)
        self.total, self.page, self.pages = total, page, pages
        self.first_href, self.previous_href = links.first, links.previous
        self.next_href, self.last_href = links.next, links.last
        self.query = filter_query(params, names=names)

    @staticmethod
    def _filtered(route: str, form: dict, names: tuple[str, ...] = FILTER_PARAMS):
        """« Filtrer »: the list again, with the form's filters in its URL."""
        query = form_query(form, names=names)
        return rx.redirect(route + ("?" + query if query else ""))
