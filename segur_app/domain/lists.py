"""What every staff list shares, whichever the feature (funding, enrolment…).

* their totals read from ``list_counter`` (:func:`counted_rows`,
  :func:`counted_total`; the rows are kept exact by triggers, ``counters_ddl.py``);
* their sort keys (:func:`sort_key`, :func:`key_reader`) and the sort by
  company name (:data:`NAME_SORT`, :func:`walks_name_index`);
* their search by the supplier (:data:`SIRET`, :func:`of_suppliers`: an indexed
  subquery, so that counting never joins);
* the CSV every staff export writes (:func:`csv_bytes`: French spreadsheet
  software, formulas neutralised by :func:`csv_safe`).

Pages themselves are in ``paging.py``.
"""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import paging
from segur_app.domain.models import ListCounter, Supplier
from segur_app.domain.paging import Key

NAME_SORT = "denomination"
"""The sort by company name: the supplier's ``search_text``, copied on the list's own table
(``company_sort``, kept by triggers: ``sort_ddl.py``) so that no page joins the supplier."""
SIRET = re.compile(r"^\d{14}$")
"""A complete SIRET typed in a list's search (spaces removed)."""


# ---------------------------------------------------------------------------
# Totals from list_counter
# ---------------------------------------------------------------------------


def counted_rows(session: Session, list_name: str):
    """The ``list_counter`` rows of a list: (kind, status, started, rows, amount)."""
    return session.exec(
        select(ListCounter.kind, ListCounter.status, ListCounter.started, ListCounter.row_count,
               ListCounter.amount_total).where(ListCounter.list_name == list_name)
    ).all()


def counted_total(session: Session, list_name: str, *, statuses=None, kind: str = "") -> int:
    """Rows of a list with one of ``statuses`` (None: any) and ``kind`` ("" : any), from
    ``list_counter`` — what the lists show as their total when no date or search narrows it."""
    return sum(int(n) for k, s, _, n, _ in counted_rows(session, list_name)
               if (statuses is None or s in statuses) and (not kind or k == kind))


# ---------------------------------------------------------------------------
# Sort keys
# ---------------------------------------------------------------------------


def sort_key(sorts: dict[str, Key], sort: str, default: str) -> Key:
    """The key of ``sort`` (an unknown one: ``default``'s)."""
    return sorts.get(sort, sorts[default])


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def walks_name_index(session: Session, sort: str, matches: int) -> bool:
    """``paging.walk_sort_index`` for a list sorted by ``sort`` with ``matches`` rows."""
    return paging.walk_sort_index(dialect(session), sort == NAME_SORT, matches)


def key_reader(session: Session, key: Key, *, model):
    """``key_of(id)`` for ``paging.page_ids``: one ``model`` row's key values (None: gone)."""

    def read(row_id: int):
        return session.exec(sa.select(*key.columns).where(model.id == row_id)).first()

    return read


# ---------------------------------------------------------------------------
# Search by the supplier
# ---------------------------------------------------------------------------


def of_suppliers(model, condition):
    """``model`` rows (a table with ``supplier_id``) whose supplier meets ``condition``."""
    return model.supplier_id.in_(select(Supplier.id).where(condition).scalar_subquery())


# ---------------------------------------------------------------------------
# CSV exports
# ---------------------------------------------------------------------------


def csv_bytes(header: list[str], rows, *, free_text: tuple[int, ...] | None = None) -> bytes:
    """CSV for French spreadsheet software: UTF-8 with BOM, ';', formulas neutralised.

    ``free_text``: the columns that can hold what someone typed (only they are
    neutralised; None: every text column).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    if free_text is None:
        writer.writerows([csv_safe(v) if isinstance(v, str) else v for v in row] for row in rows)
    else:
        def neutralised(row):
            for index in free_text:
                row[index] = csv_safe(row[index])
            return row

        writer.writerows(map(neutralised, rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
