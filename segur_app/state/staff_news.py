"""ASP staff publish the « Actualités » shown on the suppliers' home page.

The list of every item is a URL-driven staff list (filters, sort and page in
the URL, :class:`~segur_app.state.staff_list.StaffListMixin`); the form above
it creates or edits one item.
"""

from __future__ import annotations

from datetime import date

import reflex as rx

from segur_app import routes
from segur_app.domain import news, storage, uploads
from segur_app.domain.access import Audience
from segur_app.domain.models import NewsCategory, NewsState
from segur_app.domain.news import NewsInput, StaffNewsRow
from segur_app.list_query import NEWS_FILTER_PARAMS, news_filters_from, window_from
from segur_app.state.base import SessionState, guarded, in_transaction, principal
from segur_app.state.staff_list import StaffListMixin
from segur_app.state.uploads import StagedUploadsMixin

ATTACHMENT = "attachment"
STATUS_OPTIONS = [("", "Toutes"), *NewsState.options()]
CATEGORY_OPTIONS = [("", "Toutes les catégories"), *NewsCategory.options()]
SORT_OPTIONS = [
    ("date_desc", "Date de publication (récentes d'abord)"),
    ("date_asc", "Date de publication (anciennes d'abord)"),
    ("titre", "Titre"),
]


class StaffNewsState(StaffListMixin, StagedUploadsMixin, SessionState):
    rows: list[StaffNewsRow] = []
    # Current filters of the list, echoed in its form and in links.
    status: str = ""
    category_filter: str = ""
    sort: str = news.STAFF_DEFAULT_SORT
    editing_id: int = 0  # 0 = new item
    title: str = ""
    body: str = ""
    category: str = news.SUPPLIER_CATEGORY
    publication_date: str = ""
    file_name: str = ""
    file_error: str = ""
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0  # bumped to re-render the form with new defaults

    def _upload_policy(self, slot: str) -> uploads.UploadPolicy | None:
        return news.ATTACHMENT_UPLOAD if slot == ATTACHMENT else None

    def _show_upload(self, slot: str, **shown: str) -> None:
        if "name" in shown:
            self.file_name = shown["name"]
        if "error" in shown:
            self.file_error = shown["error"]

    async def _reload(self) -> None:
        params = self._params()
        filters, window = news_filters_from(params), window_from(params)
        result = await in_transaction(
            lambda s: news.staff_page(s, filters=filters, window=window))
        self.rows = result.rows
        self._show_page(routes.STAFF_NEWS, params, total=result.total, page=result.page,
                        pages=result.pages, ids=[r.id for r in result.rows],
                        names=NEWS_FILTER_PARAMS)
        self.status, self.category_filter, self.sort = (
            filters.status, filters.category, filters.sort)

    def _clear_form(self) -> None:
        self._discard_upload(ATTACHMENT)
        self.editing_id, self.title, self.body = 0, "", ""
        self.category, self.publication_date = news.SUPPLIER_CATEGORY, date.today().isoformat()
        self.file_name = self.file_error = ""
        self.errors = {}
        self.form_key += 1

    @guarded(Audience.STAFF)
    async def load(self):
        self.message = ""
        self._clear_form()
        await self._reload()
        return None

    @guarded(Audience.STAFF)
    async def apply_filters(self, form: dict):
        return self._filtered(routes.STAFF_NEWS, form, NEWS_FILTER_PARAMS)

    @guarded(Audience.STAFF)
    async def edit(self, news_id: int):
        data = await in_transaction(lambda s: news.news_input_of(s, int(news_id)))
        if data is None:
            return None
        self._clear_form()
        self.editing_id = int(news_id)
        self.title, self.body, self.category = data.title, data.body, data.category
        self.publication_date = data.publication_date.isoformat()
        self.message = ""
        return None

    @guarded(Audience.STAFF)
    async def new(self):
        self._clear_form()
        return None

    @guarded(Audience.STAFF)
    async def stage_file(self, files: list[rx.UploadFile]):
        await self._stage_upload(ATTACHMENT, files)
        return None

    @guarded(Audience.STAFF)
    async def save(self, form: dict):
        user = principal()
        try:
            day = date.fromisoformat(str(form.get("publication_date", "")))
        except ValueError:
            day = None
        data = NewsInput(
            title=str(form.get("title", ""))[:200], body=str(form.get("body", ""))[:20000],
            category=str(form.get("category", "")), publication_date=day,
        )
        news_id = self.editing_id or None
        staged = self._staged_upload(ATTACHMENT)
        self.message = ""
        try:
            await in_transaction(lambda s: news.save_news(
                s, news_id=news_id, data=data, staff_id=user.id, attachment=staged,
                store=storage.store_from_settings(),
            ))
        except news.NewsRefused as exc:
            self.errors = exc.problems
            self.title, self.body, self.category = data.title, data.body, data.category
            self.publication_date = day.isoformat() if day else ""
            self.form_key += 1
            return None
        self._forget_uploads()  # the attachment was published
        self._clear_form()
        self.message = "Actualité enregistrée."
        await self._reload()
        return None

    @guarded(Audience.STAFF)
    async def toggle_published(self, news_id: int, published: bool):
        user = principal()
        self.message = ""
        try:
            await in_transaction(lambda s: news.set_published(
                s, news_id=int(news_id), published=bool(published), staff_id=user.id))
        except news.NewsRefused as exc:  # e.g. removed meanwhile by another agent
            self.errors = exc.problems
            await self._reload()
            return
        self.message = "Actualité publiée." if published else "Actualité retirée de la publication."
        await self._reload()
