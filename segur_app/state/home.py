"""Private home (« Accueil fournisseur SAS ») and the news items."""

from __future__ import annotations

import math

from segur_app import routes
from segur_app.domain import news
from segur_app.domain.access import Audience
from segur_app.domain.news import NewsView
from segur_app.state.base import SessionState, guarded, in_transaction, principal

NEWS_PAGE_SIZE = 5


class HomeState(SessionState):
    news: list[NewsView] = []
    news_page: int = 1
    news_pages: int = 1

    async def _load_news(self, page: int):
        user = principal()
        cache = news.published_pages
        key = cache.key(role=user.role, page=page, page_size=NEWS_PAGE_SIZE)
        found = cache.get(key)
        if found is None:
            found = await in_transaction(
                lambda s: news.list_published(s, role=user.role, page=page,
                                              page_size=NEWS_PAGE_SIZE))
            cache.put(key, *found)
        items, total = found
        pages = max(1, math.ceil(total / NEWS_PAGE_SIZE))
        # Back on the home page with the same news: nothing is sent again.
        self._assign_changed(news=list(items), news_pages=pages,
                             news_page=min(max(1, page), pages))

    @guarded(Audience.SUPPLIER)
    async def load(self):
        await self._load_news(1)

    @guarded(Audience.SUPPLIER)
    async def next_page(self):
        await self._load_news(self.news_page + 1)

    @guarded(Audience.SUPPLIER)
    async def previous_page(self):
        await self._load_news(self.news_page - 1)


class NewsItemState(SessionState):
    found: bool = False
    item: NewsView | None = None

    @guarded(Audience.USER)
    async def load(self):
        user = principal()
        raw = self.router.url.query_parameters.get(routes.NEWS_ID_PARAM, "")
        news_id = int(raw) if raw.isdigit() else 0
        item = await in_transaction(
            lambda s: news.get_published(s, news_id=news_id, role=user.role)
        )
        self.item = item
        self.found = item is not None
