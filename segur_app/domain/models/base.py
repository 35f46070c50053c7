"""What every table module shares: the naming convention, UTC timestamps, the
company-name sort column, :class:`LabelledEnum` (stored code + French label)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

# Naming convention so that constraint names are stable across backends and
# Alembic autogenerate can compare them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def timestamp_column(nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


def company_sort_column() -> sa.Column:
    """``company_sort``: a copy of the supplier's ``search_text`` (the sort by company
    name), kept by the database's triggers (``domain/sort_ddl.py``); binary order on
    both backends ("C" collation on PostgreSQL), like ``supplier.search_text``."""
    return sa.Column(sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"),
                     nullable=False, server_default="")


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry the French label shown in the UI."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in declaration order: the one source of the
        option lists shown in the pages."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> frozenset[str]:
        return frozenset(member.value for member in cls)

    @classmethod
    def check(cls, column: str) -> sa.CheckConstraint:
        values = ", ".join(f"'{m.value}'" for m in cls)
        return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")
