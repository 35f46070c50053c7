"""Demo data set (the user guide's example supplier, agent and news item)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from segur_app.core.security import verify_password
from segur_app.domain import demo, storage
from segur_app.domain.models import (
    Attachment,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    NewsItem,
    Supplier,
    UserAccount,
)


def test_demo_data_matches_the_guide(db, tmp_path):
    assert demo.database_is_empty(db)
    demo.load_demo_data(db, store=tmp_path, env="development")
    db.commit()
    assert not demo.database_is_empty(db)

    supplier = db.exec(select(Supplier)).one()
    assert (supplier.company_name, supplier.ans_number, supplier.siret) == (
        "LE SELECT", "tndSAS0032", "39431067600017",
    )
    assert supplier.address == "184 av DU BOIS DE VERRIERES , 92160, ANTONY"
    assert db.exec(select(BankDetails)).one().supplier_id == supplier.id
    enrolment = db.exec(select(Enrolment)).one()
    assert enrolment.status == EnrolmentStatus.VALIDATED.value

    users = {u.identifiant: u for u in db.exec(select(UserAccount))}
    oda = users[demo.SUPPLIER_IDENTIFIANT]
    assert oda.display_name == "Eishiro ODA" and oda.supplier_id == supplier.id
    assert oda.must_change_password and oda.temp_password_expires_at is not None
    assert verify_password(oda.password_hash, "Segur2023!")
    assert not verify_password(oda.password_hash, "segur2023!")
    agent = users[demo.STAFF_IDENTIFIANT]
    assert agent.role == "staff" and agent.must_change_password
    assert verify_password(agent.password_hash, "Instruct2023!")

    news = db.exec(select(NewsItem)).one()
    assert (news.title, news.category, news.publication_date.isoformat()) == (
        "TEST SAS", "FOURNISSEUR", "2023-02-13",
    )
    assert news.body == "Ceci est le test pour le couloir SAS" and news.is_published
    attachment = db.exec(select(Attachment).where(Attachment.news_id == news.id)).one()
    data = storage.read_bytes(attachment.storage_key, store=tmp_path)
    assert data.startswith(b"%PDF-") and len(data) == attachment.size_bytes
    rib = db.exec(select(Attachment).where(Attachment.enrolment_id == enrolment.id)).one()
    assert rib.kind == "rib" and storage.read_bytes(rib.storage_key, store=tmp_path)


def test_demo_data_refused_in_production(db, tmp_path):
    with pytest.raises(demo.DemoDataRefused):
        demo.load_demo_data(db, store=tmp_path, env="production")
    assert demo.database_is_empty(db)


def test_reset_replaces_everything_and_removes_files(db, tmp_path):
    demo.load_demo_data(db, store=tmp_path, env="development")
    db.commit()
    first_key = db.exec(select(Attachment.storage_key).where(Attachment.news_id.is_not(None))).one()
    demo.clear_all_data(db, store=tmp_path)
    demo.load_demo_data(db, store=tmp_path, env="development")
    db.commit()
    assert len(db.exec(select(Supplier)).all()) == 1
    assert len(db.exec(select(Attachment)).all()) == 2
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(first_key, store=tmp_path)


def test_demo_enrolment_number_comes_from_the_series(db, tmp_path):
    from segur_app.domain.numbering import ENROLMENT_SERIES, next_number

    demo.load_demo_data(db, store=tmp_path, env="development")
    db.commit()
    assert db.exec(select(Enrolment.number)).one() == "ENRSAS000001"
    assert next_number(db, ENROLMENT_SERIES) == "ENRSAS000002"
