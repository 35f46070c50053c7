"""Demo data for quick prototyping (``make demo`` / first ``make run``).

The data set is the one of the user guide: the supplier "LE SELECT" with its
approved enrolment and bank details, its user "Eishiro ODA", an ASP agent and
the news item "TEST SAS". Every password is temporary and must be changed at
first login. Loading is refused in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from segur_app.core.security import hash_password
from segur_app.domain.accounts.first_login import TEMPORARY_PASSWORD_VALIDITY
from segur_app.domain import file_commit, storage
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    NewsItem,
    Role,
    Supplier,
    UserAccount,
    utcnow,
)
from segur_app.domain.numbering import ENROLMENT_SERIES, next_number
from segur_app.domain.pdf import simple_pdf

SUPPLIER_IDENTIFIANT = "test.ecomplementaire"
SUPPLIER_PASSWORD = "Segur2023!"
STAFF_IDENTIFIANT = "agent.asp"
STAFF_PASSWORD = "Instruct2023!"


class DemoDataRefused(RuntimeError):
    """Raised when demo data would be loaded into a production database."""


@dataclass(frozen=True)
class DemoSummary:
    supplier_id: int
    supplier_user_id: int
    staff_id: int
    news_id: int


def _add_pdf(session: Session, store: storage.Storage, lines: list[str], *,
             kind: AttachmentKind, name: str, uploaded_by_id: int, **owner: int) -> None:
    stored = storage.store_bytes(simple_pdf(lines), store=store)
    file_commit.track_new(session, stored.key, store=store)
    session.add(Attachment(
        kind=kind.value, original_name=name, size_bytes=stored.size_bytes,
        sha256=stored.sha256, mime_type="application/pdf", storage_key=stored.key,
        uploaded_by_id=uploaded_by_id, **owner,
    ))


def database_is_empty(session: Session) -> bool:
    return session.exec(select(sa.func.count()).select_from(UserAccount)).one() == 0


def clear_all_data(session: Session, *, store: storage.Storage) -> None:
    """Delete every row (children first); the stored documents they point to
    are removed when the caller commits (never before: see file_commit)."""
    keys = session.exec(select(Attachment.storage_key)).all()
    file_commit.delete_after_commit(session, keys, store=store)
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.execute(table.delete())
    session.flush()


def load_demo_data(
    session: Session, *, store: storage.Storage, env: str, now: datetime | None = None
) -> DemoSummary:
    """Insert the guide's demo data set into ``session`` (caller commits)."""
    if env == "production":
        raise DemoDataRefused("Les données de démonstration sont interdites en production.")
    now = now or utcnow()

    supplier = Supplier(
        ans_number="tndSAS0032",
        siret="39431067600017",
        company_name="LE SELECT",
        street="184 av DU BOIS DE VERRIERES",
        postal_code="92160",
        city="ANTONY",
    )
    session.add(supplier)
    session.flush()

    session.add(
        BankDetails(
            supplier_id=supplier.id,
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            holder="LE SELECT",
            domiciliation="CREDIT AGRICOLE ANTONY",
        )
    )
    supplier_user = UserAccount(
        identifiant=SUPPLIER_IDENTIFIANT,
        email="eishiro.oda@le-select.example",
        first_name="Eishiro",
        last_name="ODA",
        role=Role.SUPPLIER.value,
        supplier_id=supplier.id,
        password_hash=hash_password(SUPPLIER_PASSWORD),
        must_change_password=True,
        temp_password_expires_at=now + TEMPORARY_PASSWORD_VALIDITY,
    )
    staff_user = UserAccount(
        identifiant=STAFF_IDENTIFIANT,
        email="agent.asp@asp-public.example",
        first_name="Agent",
        last_name="ASP",
        role=Role.STAFF.value,
        password_hash=hash_password(STAFF_PASSWORD),
        must_change_password=True,
        temp_password_expires_at=now + TEMPORARY_PASSWORD_VALIDITY,
    )
    session.add_all([supplier_user, staff_user])
    session.flush()

    enrolment = Enrolment(
        # Drawn from the series, so later enrolments never collide with it.
        number=next_number(session, ENROLMENT_SERIES),
        supplier_id=supplier.id,
        status=EnrolmentStatus.VALIDATED.value,
        submitted_at=datetime(2023, 2, 1, 9, 0, tzinfo=timezone.utc),
        status_changed_at=datetime(2023, 2, 6, 14, 0, tzinfo=timezone.utc),
        legal_rep_civility="M.",
        legal_rep_last_name="ODA",
        legal_rep_first_name="Eishiro",
        legal_rep_role="Gérant",
        contact_last_name="ODA",
        contact_first_name="Eishiro",
        contact_email=supplier_user.email,
        contact_phone="0146000000",
        decided_by_id=staff_user.id,
    )
    session.add(enrolment)
    session.flush()

    news = NewsItem(
        title="TEST SAS",
        body="Ceci est le test pour le couloir SAS",
        category="FOURNISSEUR",
        publication_date=date(2023, 2, 13),
        is_published=True,
        created_by_id=staff_user.id,
    )
    session.add(news)
    session.flush()

    _add_pdf(session, store, ["TEST SAS", "Ceci est le test pour le couloir SAS"],
             kind=AttachmentKind.NEWS, name="test-sas.pdf", uploaded_by_id=staff_user.id,
             news_id=news.id)
    _add_pdf(session, store, ["RELEVE D'IDENTITE BANCAIRE", "LE SELECT",
                                    "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPPXXX"],
             kind=AttachmentKind.RIB, name="rib-le-select.pdf",
             uploaded_by_id=supplier_user.id, enrolment_id=enrolment.id)
    session.flush()
    return DemoSummary(
        supplier_id=supplier.id,
        supplier_user_id=supplier_user.id,
        staff_id=staff_user.id,
        news_id=news.id,
    )
