"""Free-text search of the staff lists, identical on SQLite and PostgreSQL.

What is searched is normalised in Python, on both sides: the supplier's
``search_text`` (company name, SIRET, ANS number — see :func:`supplier_text`)
is written normalised, and so is the term typed. Matching is then a plain
case-sensitive substring match (``LIKE`` on PostgreSQL, ``GLOB`` on SQLite) in
which neither side can hold a wildcard, so both databases answer exactly the
same rows.

Normalisation: Unicode case folding, accents removed (NFKD without combining
marks: « Éditions » = « editions », « ﬁ » = « fi », « Œ » = « oe »), every run of characters
that are neither letters nor digits (spaces, quotes, ``%``, ``-``, ``'`` …)
becomes one space. A term made of digits and spaces is searched without its
spaces (« 394 310 676 » finds the SIRET 39431067600017). A term with nothing
left to search (« % », « '' ») finds nothing.

The match is indexed by trigrams (:mod:`segur_app.domain.search_ddl`): a
``pg_trgm`` GIN index on PostgreSQL, an FTS5 ``trigram`` table on SQLite.
Terms of fewer than 3 characters cannot use trigrams and are answered by a
scan, with the same result.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from segur_app.domain.search_ddl import fts_table

SEPARATOR = "\x1f"  # between the fields of a document: never in a normalised term
# No document is longer than this (255-character name folded, SIRET, ANS number),
# so a longer term matches nothing — on both backends, without asking them.
MAX_TERM_LENGTH = 2000
NUMBER_DIGITS = 6  # FINSAS000123, ENRSAS000123
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h"})


def normalise(text: str) -> str:
    """Case-folded, accent-free, one space between words: what search compares."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    folded = folded.translate(_LIGATURES)
    kept = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(kept.split())


def supplier_text(company_name: str, siret: str, ans_number: str) -> str:
    """The supplier's search and sort key: normalised name, SIRET, ANS number.

    Sorting on it sorts by normalised company name (« Éditions » with the E),
    the same on both backends (binary comparison: PostgreSQL column in "C").
    """
    return SEPARATOR.join(normalise(part) for part in (company_name, siret, ans_number))


def term(raw: str) -> str:
    """The normalised form of a typed term; "" when nothing is left to search."""
    text = normalise(raw)
    compact = text.replace(" ", "")
    return compact if compact.isdigit() else text


def number_fragment(text: str, prefix: str) -> str | None:
    """The term as part of a ``<prefix>000123`` number (upper case), or None if it cannot be."""
    match = re.fullmatch(r"([a-z]*)(\d*)", text)
    if match is None:
        return None
    letters, digits = match.groups()
    prefix = prefix.lower()
    if len(digits) > NUMBER_DIGITS:
        return None
    fits = prefix.endswith(letters) if digits else letters in prefix
    return text.upper() if fits else None


def matching_ids(dialect: str, table: sa.Table, column: str, fragment: str):
    """Ids of the ``table`` rows whose ``column`` contains ``fragment`` (a subquery).

    PostgreSQL: ``LIKE '%fragment%'`` on the column, answered by its trigram GIN
    index. SQLite: the row ids its FTS5 trigram table gives for
    ``GLOB '*fragment*'`` (case-sensitive like PostgreSQL's LIKE). A fragment
    is normalised: it never holds a wildcard of either.
    """
    if dialect == "sqlite":
        if len(fragment) < 3:  # no trigram to look up: scanning the column is 3× faster
            return sa.select(table.c.id).where(table.c[column].op("GLOB")(f"*{fragment}*"))
        search = sa.table(fts_table(table.name), sa.column("rowid"), sa.column(column))
        return sa.select(search.c.rowid).where(search.c[column].op("GLOB")(f"*{fragment}*"))
    return sa.select(table.c.id).where(table.c[column].like(f"%{fragment}%"))


def text_search(dialect: str, raw: str, *, own_table: sa.Table, number_column: str,
                number_prefix: str, supplier_table: sa.Table):
    """The condition of a free-text search in a staff list, or None for an empty term.

    A row matches when its supplier's name, SIRET or ANS number contains the
    term, or its own number (dossier or enrolment number) does. Two matches
    are one ``IN (… UNION …)``: PostgreSQL plans an OR of two subqueries as a
    scan of the whole list.
    """
    if not raw.strip():
        return None
    text = term(raw)
    if not text or len(text) > MAX_TERM_LENGTH:
        return sa.false()
    suppliers = own_table.c.supplier_id.in_(
        matching_ids(dialect, supplier_table, "search_text", text).scalar_subquery())
    fragment = number_fragment(text, number_prefix)
    if not fragment:
        return suppliers
    both = sa.union(
        sa.select(own_table.c.id).where(suppliers),
        matching_ids(dialect, own_table, number_column, fragment),
    )
    return own_table.c.id.in_(sa.select(both.subquery()).scalar_subquery())
