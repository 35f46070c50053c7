"""Database ids taken from URLs: digits only, within the column's range.

``int()`` accepts ``"+5"``, ``" 5"``, ``"1_000"`` and non-ASCII digits, and a
Python int has no upper bound: ``/documents/99999999999999999999`` used to
reach the database, which fails on it (SQLite: ``OverflowError``; PostgreSQL:
integer out of range) and answered 500. :func:`parse_id` refuses all of that
before any query, so such a URL is an ordinary 404.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
"""Primary keys are ``INTEGER`` columns (PostgreSQL int4, the smallest range)."""

_MAX_DIGITS = len(str(MAX_ID))


def parse_id(text: str | None) -> int | None:
    """The id written in ``text`` (``1`` … ``MAX_ID``, ASCII digits only), else None."""
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
