"""News visibility and document authorisation rules."""

from __future__ import annotations

import dataclasses

from datetime import date, timedelta

import pytest
from sqlmodel import select

from segur_app.domain import documents, news, uploads
from segur_app.domain.models import (
    Attachment,
    FundingRequest,
    NewsItem,
    Role,
    Supplier,
    UserAccount,
)


def add_news(db, title, *, day, category="FOURNISSEUR", published=True):
    item = NewsItem(title=title, body=f"Texte de {title}", category=category,
                    publication_date=day, is_published=published)
    db.add(item)
    db.commit()
    return item


def test_suppliers_see_their_category_newest_first_paginated(db):
    today = date(2024, 6, 1)
    for n in range(7):
        add_news(db, f"Info {n}", day=today - timedelta(days=n))
    add_news(db, "Interne", day=today, category="AGENT")
    add_news(db, "Brouillon", day=today, published=False)
    add_news(db, "Demain", day=today + timedelta(days=1))

    first, total = news.list_published(db, role=Role.SUPPLIER.value, page=1, page_size=5,
                                       today=today)
    assert total == 7
    assert [n.title for n in first] == ["Info 0", "Info 1", "Info 2", "Info 3", "Info 4"]
    second, _ = news.list_published(db, role=Role.SUPPLIER.value, page=2, page_size=5,
                                    today=today)
    assert [n.title for n in second] == ["Info 5", "Info 6"]
    assert first[0].published_on == "01/06/2024"

    _, staff_total = news.list_published(db, role=Role.STAFF.value, today=today)
    assert staff_total == 8  # every category, still only published ones


def test_news_detail_hidden_when_not_visible(db):
    draft = add_news(db, "Brouillon", day=date(2023, 1, 1), published=False)
    internal = add_news(db, "Interne", day=date(2023, 1, 1), category="AGENT")
    assert news.get_published(db, news_id=draft.id, role=Role.SUPPLIER.value) is None
    assert news.get_published(db, news_id=internal.id, role=Role.SUPPLIER.value) is None
    assert news.get_published(db, news_id=internal.id, role=Role.STAFF.value) is not None


def test_excerpt_cuts_on_a_word():
    text = "mot " * 200
    cut = news.excerpt(text, 50)
    assert cut.endswith("…") and len(cut) <= 51 and not cut[:-1].endswith(" ")


def test_dossier_documents_only_for_owner_and_staff(db):
    owner = Supplier(ans_number="tndSAS0001", siret="1" * 14, company_name="A",
                     street="x", postal_code="75001", city="PARIS")
    other = Supplier(ans_number="tndSAS0002", siret="2" * 14, company_name="B",
                     street="x", postal_code="75001", city="PARIS")
    db.add_all([owner, other])
    db.commit()
    request = FundingRequest(dossier_number="FINSAS000001", supplier_id=owner.id,
                             kind="avance", amount=30000)
    db.add(request)
    db.commit()
    attachment = Attachment(kind="pv_mise_en_service", original_name="pv.pdf", size_bytes=1,
                            sha256="0" * 64, mime_type="application/pdf",
                            storage_key="a" * 32, funding_request_id=request.id)

    def user(role, supplier):
        return UserAccount(identifiant="x", email="x@y.example", first_name="", last_name="",
                           role=role, supplier_id=supplier.id if supplier else None,
                           password_hash="x")

    assert documents.can_read(db, user=user("supplier", owner), attachment=attachment)
    assert not documents.can_read(db, user=user("supplier", other), attachment=attachment)
    assert documents.can_read(db, user=user("staff", None), attachment=attachment)


def test_download_names_are_sanitised():
    assert documents.display_name("../../etc/passwd") == "passwd"
    assert documents.display_name("C:\\Users\\x\\pv.pdf") == "pv.pdf"
    assert documents.display_name("a\x00b\r\nc.pdf") == "abc.pdf"
    assert documents.display_name("   ") == "document"
    long_name = "é" * 300 + ".pdf"
    assert len(documents.display_name(long_name)) == documents.MAX_DISPLAY_NAME
    assert documents.display_name(long_name).endswith(".pdf")
    header = documents.content_disposition('facture "mai";\r\n.pdf', inline=False)
    assert header.startswith('attachment; filename="facture _mai__.pdf"')
    assert "\r" not in header and "\n" not in header
    assert "filename*=UTF-8''" in documents.content_disposition("日本語.pdf", inline=True)


def test_staff_create_edit_publish_news_with_attachment(db, tmp_path):
    from segur_app.domain import storage
    from segur_app.domain.pdf import simple_pdf

    staff_user = UserAccount(identifiant="agent", email="a@asp.example", first_name="A",
                             last_name="B", role="staff", password_hash="x")
    db.add(staff_user)
    db.commit()
    with pytest.raises(news.NewsRefused) as refused:
        news.save_news(db, news_id=None, data=news.NewsInput("", "", "AUTRE", None),
                       staff_id=staff_user.id, store=tmp_path)
    assert set(refused.value.problems) == {"title", "body", "category", "publication_date"}

    first_pdf = uploads.stage(simple_pdf(["v1"]), "note.pdf",
                              policy=news.ATTACHMENT_UPLOAD, store=tmp_path)
    data = news.NewsInput("Ouverture du solde", "Le dépôt des soldes est ouvert.",
                          "FOURNISSEUR", date(2024, 3, 1))
    news_id = news.save_news(db, news_id=None, data=data, staff_id=staff_user.id,
                             attachment=first_pdf, store=tmp_path)
    today = date(2024, 3, 2)
    assert news.list_published(db, role="supplier", today=today)[1] == 0  # draft
    news.set_published(db, news_id=news_id, published=True, staff_id=staff_user.id)
    [shown], _ = news.list_published(db, role="supplier", today=today)
    assert shown.title == "Ouverture du solde" and shown.attachment_name == "note.pdf"
    first_key = db.exec(select(Attachment.storage_key).where(Attachment.news_id == news_id)).one()
    assert storage.read_bytes(first_key, store=tmp_path).startswith(b"%PDF")

    second_pdf = uploads.stage(simple_pdf(["v2"]), "note-v2.pdf",
                               policy=news.ATTACHMENT_UPLOAD, store=tmp_path)
    news.save_news(db, news_id=news_id, data=dataclasses.replace(data, title="Soldes ouverts"),
                   staff_id=staff_user.id, attachment=second_pdf, store=tmp_path)
    [shown], _ = news.list_published(db, role="supplier", today=today)
    assert (shown.title, shown.attachment_name) == ("Soldes ouverts", "note-v2.pdf")
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(first_key, store=tmp_path)
    listed = news.staff_page(db)
    assert listed.total == 1 and listed.rows[0].is_published
    news.set_published(db, news_id=news_id, published=False, staff_id=staff_user.id)
    assert news.list_published(db, role="supplier", today=today)[1] == 0


def test_the_published_pages_are_kept_a_few_seconds_and_forgotten_at_each_change():
    now = [100.0]
    pages = news.PublishedPages(ttl=5.0, clock=lambda: now[0])
    key = pages.key(role="supplier", page=1, page_size=5, today=date(2026, 12, 2))
    assert pages.get(key) is None
    pages.put(key, ["une actualité"], 1)
    assert pages.get(key) == (["une actualité"], 1)
    now[0] += 4.9
    assert pages.get(key) == (["une actualité"], 1)
    now[0] += 0.2  # past the 5 s
    assert pages.get(key) is None
    pages.put(key, ["une actualité"], 1)
    pages.forget()  # a save or a publication in this process
    assert pages.get(key) is None
    # A page read before a change and stored after it is not kept.
    pages.put(key, ["avant la modification"], 1)
    fresh_key = pages.key(role="supplier", page=1, page_size=5, today=date(2026, 12, 2))
    assert pages.get(fresh_key) is None
    # The day is part of the key: a news item dated tomorrow shows tomorrow.
    other_day = pages.key(role="supplier", page=1, page_size=5, today=date(2026, 12, 3))
    assert other_day != fresh_key
