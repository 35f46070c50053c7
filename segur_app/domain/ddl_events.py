"""Extra DDL (triggers, indexes) that follows its table through ``create_all`` / ``drop_all``.

Used by ``search_ddl`` (free-text search objects) and ``counters_ddl`` (the
staff lists' counter triggers); migrations create the same objects explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa


def follow_tables(metadata: sa.MetaData, names: Iterable[str], *,
                  create: Callable[[object, str], None],
                  drop: Callable[[object, str], None]) -> None:
    """Run ``create(connection, table)`` after each table of ``names`` is created
    and ``drop(connection, table)`` before it is dropped."""
    for name in names:
        table = metadata.tables[name]
        sa.event.listen(table, "after_create",
                        lambda target, connection, **kw: create(connection, target.name))
        sa.event.listen(table, "before_drop",
                        lambda target, connection, **kw: drop(connection, target.name))
