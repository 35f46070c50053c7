"""Suppliers (« fournisseurs SAS »), their bank details and their enrolment requests."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from segur_app.domain.search import supplier_text
from segur_app.domain.models.base import company_sort_column, timestamp_column, utcnow
from segur_app.domain.models.enums import (
    EnrolmentStatus,
)


class SupplierBase(SQLModel):
    ans_number: str = Field(max_length=32, description="N° unique de référencement (ANS)")
    siret: str = Field(max_length=14, min_length=14)
    company_name: str = Field(max_length=255, description="Dénomination sociale")
    street: str = Field(max_length=255)
    postal_code: str = Field(max_length=10)
    city: str = Field(max_length=120)


def _supplier_text(context) -> str:
    """Column default of ``supplier.search_text`` (Core inserts too)."""
    row = context.get_current_parameters()
    return supplier_text(row["company_name"], row["siret"], row["ans_number"])


class Supplier(SupplierBase, table=True):
    __tablename__ = "supplier"
    __table_args__ = (
        sa.UniqueConstraint("ans_number"),
        sa.UniqueConstraint("siret"),
        sa.Index("ix_supplier_search_text", "search_text"),  # sort by company name
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # Staff lists' search and sort key (search.supplier_text of the name, SIRET
    # and ANS number), trigram-indexed (search_ddl). Binary order on both
    # backends ("C" collation on PostgreSQL). Kept by the column default
    # and the ORM events below; a Core UPDATE of those fields must set it.
    search_text: str = Field(default="", sa_column=sa.Column(
        sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"),
        nullable=False, server_default="", default=_supplier_text))

    @property
    def address(self) -> str:
        """Single-line address as the guide prints it."""
        return f"{self.street} , {self.postal_code}, {self.city}"


@sa.event.listens_for(Supplier, "before_insert")
@sa.event.listens_for(Supplier, "before_update")
def _keep_search_text(_mapper, _connection, supplier: Supplier) -> None:
    supplier.search_text = supplier_text(supplier.company_name, supplier.siret,
                                         supplier.ans_number)


class BankDetails(SQLModel, table=True):
    """Coordonnées bancaires of a supplier (one current set per supplier)."""

    __tablename__ = "bank_details"
    __table_args__ = (sa.UniqueConstraint("supplier_id"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    iban: str = Field(max_length=34)
    bic: str = Field(max_length=11)
    holder: str = Field(max_length=255, description="Titulaire")
    domiciliation: str = Field(max_length=255)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


# The staff list's default filter, literally as the partial index says it.
ENROLMENT_PENDING = "status IN ('a_instruire', 'en_cours')"


class Enrolment(SQLModel, table=True):
    """Demande d'enrôlement. At most one non-rejected enrolment per supplier."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint("number"),
        EnrolmentStatus.check("status"),
        sa.Index(
            "uq_enrolment_active_supplier",
            "supplier_id",
            unique=True,
            sqlite_where=sa.text("status != 'rejetee'"),
            postgresql_where=sa.text("status != 'rejetee'"),
        ),
        # Staff list: every status / one status / pending (the default), by date.
        sa.Index("ix_enrolment_submitted", "submitted_at", "id"),
        sa.Index("ix_enrolment_status_submitted", "status", "submitted_at", "id"),
        sa.Index("ix_enrolment_pending_submitted", "submitted_at", "id",
                 sqlite_where=sa.text(ENROLMENT_PENDING), postgresql_where=sa.text(ENROLMENT_PENDING)),
        # Sort by company name (covering the status filters, see funding_request's).
        sa.Index("ix_enrolment_company_sort", "company_sort", "id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, description="ENRSAS + 6 chiffres")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    status: str = Field(default=EnrolmentStatus.TO_REVIEW.value, max_length=16)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())

    # Représentant légal
    legal_rep_civility: str = Field(default="", max_length=8)
    legal_rep_last_name: str = Field(default="", max_length=120)
    legal_rep_first_name: str = Field(default="", max_length=120)
    legal_rep_role: str = Field(default="", max_length=120)
    # Contact for the portal account
    contact_last_name: str = Field(default="", max_length=120)
    contact_first_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=20)

    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1
    # The supplier's search_text, for the sort by company name (database triggers).
    company_sort: str = Field(default="", sa_column=company_sort_column())
