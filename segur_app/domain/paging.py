"""Pages of the staff lists: keyset pagination that still shows page numbers.

A list is ordered by a key (columns ending with a unique one, one direction).
Moving to the next or previous page starts from the last or first row shown
(a *cursor*: its id): an indexed range, as fast at page 5,000 as at page 1.
A page asked for by its number alone (first, last, a typed URL) is an
``OFFSET`` over ids only, counted from the nearer end of the list. The page
number shown comes from the link (``page``), checked against the total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlmodel import Session, select

# SQLite, asked for a list sorted by company name (index ``(company_sort, id)``)
# and filtered by status or kind, reads every match through the filter's
# index and sorts them all — 20–30 ms for 30,000 matches. Beyond this many
# matches, the filter is made unusable as an index (:func:`unindexed`) so that
# SQLite walks the name index and stops after one page. (PostgreSQL's planner
# weighs both plans itself.)
SQLITE_WALK_ABOVE = 2000


def walk_sort_index(dialect: str, by_name: bool, matches: int) -> bool:
    return dialect == "sqlite" and by_name and matches > SQLITE_WALK_ABOVE


def unindexed(column):
    """SQLite's unary ``+``: the same value, but a condition on it cannot pick an index."""
    return sa.sql.expression.UnaryExpression(column, operator=operators.custom_op("+"),
                                             type_=column.type)


@dataclass(frozen=True)
class Key:
    """A list order: ``columns`` (the last one unique), all ascending or all descending."""

    columns: tuple
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> list:
        descending = self.descending != reverse
        return [c.desc() if descending else c.asc() for c in self.columns]

    def beyond(self, values, *, reverse: bool = False):
        """Rows strictly after ``values`` in this order (before them with ``reverse``).

        Written ``c1 >= v1 AND (c1 > v1 OR (c2 >= v2 AND (…)))`` rather than as a
        row value, so that the first column bounds an index range even when
        the columns come from two joined tables.
        """
        descending = self.descending != reverse

        def nested(index: int):
            column, value = self.columns[index], sa.literal(values[index], self.columns[index].type)
            strict = column < value if descending else column > value
            if index == len(self.columns) - 1:
                return strict
            loose = column <= value if descending else column >= value
            return sa.and_(loose, sa.or_(strict, nested(index + 1)))

        return nested(0)


@dataclass(frozen=True)
class Window:
    """The page asked for: its number and, when known, the row next to it."""

    page: int = 1
    after: int | None = None  # the page starts after this row (link « suivante »)
    before: int | None = None  # the page ends before this row (link « précédente »)


def page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def page_ids(session: Session, *, ids, key: Key, key_of, window: Window, total: int,
             page_size: int) -> tuple[list[int], int]:
    """The ids of one page in list order, and the page number to show.

    ``ids`` selects the filtered rows' ids (with what the key needs joined);
    ``key_of(id)`` reads a row's key values (None when the row is gone).
    """
    pages = page_count(total, page_size)
    page = min(max(1, window.page), pages)
    cursor = window.after if window.after is not None else window.before
    values = key_of(cursor) if cursor is not None else None
    if values is not None and window.after is not None:
        found = session.exec(
            ids.where(key.beyond(values)).order_by(*key.order_by()).limit(page_size)).all()
        if found:
            return list(found), min(page, pages)
    elif values is not None:
        found = session.exec(ids.where(key.beyond(values, reverse=True))
                             .order_by(*key.order_by(reverse=True)).limit(page_size)).all()
        if len(found) == page_size:
            return list(reversed(found)), max(1, page)
        page = 1  # fewer rows than a page before the cursor: the list starts here
    offset = (page - 1) * page_size
    after_page = max(0, total - offset - page_size)
    if after_page < offset:  # nearer the end: count from there
        found = session.exec(ids.order_by(*key.order_by(reverse=True))
                             .offset(after_page).limit(min(page_size, total - offset))).all()
        return list(reversed(found)), page
    found = session.exec(ids.order_by(*key.order_by()).offset(offset).limit(page_size)).all()
    return list(found), page


@dataclass(frozen=True)
class RowsPage:
    """One page of ORM rows in list order, the matches, the page shown, the page count."""

    rows: list
    total: int
    page: int
    pages: int


def rows_page(session: Session, model, *, conditions: list, key: Key, window: Window,
              page_size: int) -> RowsPage:
    """One page of ``model`` rows matching ``conditions``, for a list that is
    counted directly (no ``list_counter``) and whose key is on ``model`` alone."""
    total = session.exec(select(sa.func.count()).select_from(model).where(*conditions)).one()

    def key_of(row_id: int):
        return session.exec(sa.select(*key.columns).where(model.id == row_id)).first()

    ids, page = page_ids(session, ids=select(model.id).where(*conditions), key=key,
                         key_of=key_of, window=window, total=total, page_size=page_size)
    by_id = {row.id: row for row in session.exec(
        select(model).where(model.id.in_(ids))).all()} if ids else {}
    return RowsPage([by_id[i] for i in ids if i in by_id], total, page,
                    page_count(total, page_size))
