"""Unique, human-readable numbers: FINSAS000001 (funding), ENRSAS000001 (enrolment),
ASSSAS000001 (assistance tickets)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from segur_app.domain.models import NumberSeries

DOSSIER_SERIES = "FINSAS"
TICKET_SERIES = "ASSSAS"
ENROLMENT_SERIES = "ENRSAS"


def next_number(session: Session, series: str, *, width: int = 6) -> str:
    """Allocate the next number of ``series`` (e.g. FINSAS000042), concurrency-safe.

    The UPDATE holds the counter's row lock until the caller's transaction
    ends, so concurrent allocations are serialised and never collide.
    """
    table = NumberSeries.__table__
    statement = (
        sa.update(table)
        .where(table.c.name == series)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    )
    value = session.execute(statement).scalar()
    if value is None:  # first number of a series the migration did not seed
        try:
            with session.begin_nested():
                session.add(NumberSeries(name=series, last_value=1))
            value = 1
        except IntegrityError:
            value = session.execute(statement).scalar_one()
    return f"{series}{value:0{width}d}"
