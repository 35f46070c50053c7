"""Staff lists at scale: free-text search identical on SQLite and PostgreSQL,
keyset pages equal to numbered pages, search text kept in step with the supplier."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from segur_app.core.db import make_engine
from segur_app.domain import search
from segur_app.domain.funding import staff_list as funding_list
from segur_app.domain.enrolment import staff_list
from segur_app.domain.enrolment.staff_list import EnrolmentFilters
from segur_app.domain.models import Enrolment, FundingRequest, Supplier
from segur_app.domain.paging import Window
from segur_app.domain.funding.staff_list import RequestFilters
from tests.conftest import POSTGRES_URL, create_empty_database

START = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
COMPANIES = [
    "ÉDITIONS LÉA & FILS", "éditions lea", "Editions Léa", "L'OFFICINE D'ANNE",
    "Œuvre Médicale", "Straße GmbH", "STRASSE SAS", "100% SANTÉ", "100 % SANTE", "DATA_LAB",
    "DATALAB", 'O\'NEIL "QUOTE" SAS', "ﬁnance ﬂow", "ΕΛΛΑΣ ΙΑΤΡΙΚΗ", "Zoë Ünïcödé",
    "back\\slash [glob]*?", "tab\tseparated", "Ⅻ ROMAN²", "İSTANBUL SAĞLIK", "ℌILBERT",
    "a" * 255, "LE SELECT", "LE  SELECT  ", "le-select", "CAFÉ", "CAFE\u0301 DÉCOMPOSÉ",
]
TERMS = [
    "", " ", "éditions", "EDITIONS", "Editions Lea", "léa", "lea & fils", "d'anne", "d anne",
    "danne", "oeuvre", "ŒUVRE", "médicale", "straße", "strasse", "gmbh", "100%", "100 %",
    "100", "%", "%%", "_", "data_lab", "data lab", "datalab", "'", '"', '"quote"', "o'neil",
    "ﬁ", "finance", "ελλας", "ΕΛΛΑΣ", "ιατρικη", "zoe", "ÜNÏCÖDÉ", "\\", "back\\slash", "*",
    "?", "[glob]", "glob*", "tab", "xii", "roman2", "istanbul", "saglik", "hilbert", "a" * 3,
    "a" * 255, "a" * 256, "A" * 300, "x" * 3000, "le select", "LE  SELECT", "le-select",
    "lese", "café", "cafe", "décomposé", "e", "é", "12", "0001", "finsas", "FINSAS0000",
    "sas00", "nsas0", "tndsas", "TNDSAS0001", "394 310", "00000000000", "FINSAS000003",
    "39431067600003", "tndSAS0003",
    "ENRSAS000004", "enrsas00000", "rsas0",
]


def fill(session: Session) -> None:
    for n, name in enumerate(COMPANIES):
        supplier = Supplier(ans_number=f"tndSAS{n:04d}", siret=f"394310676{n:05d}",
                            company_name=name, street="x", postal_code="75001", city="PARIS")
        session.add(supplier)
        session.flush()
        session.add(FundingRequest(dossier_number=f"FINSAS{n:06d}", supplier_id=supplier.id,
                                   kind="avance", status="en_cours", amount=30000,
                                   deposited_at=START + timedelta(hours=n)))
        session.add(Enrolment(number=f"ENRSAS{n:06d}", supplier_id=supplier.id,
                              submitted_at=START + timedelta(hours=n)))
    session.commit()


def found(session: Session, term: str) -> tuple[list[str], list[str]]:
    """Dossier numbers (funding list) and enrolment numbers found for ``term``."""
    rows, _ = funding_list.list_requests(
        session, filters=RequestFilters(search=term, sort="numero"), page_size=100)
    enrolments = staff_list.list_enrolments(
        session, filters=EnrolmentFilters(status="", search=term, sort="numero"), page=1,
        page_size=100)
    return [r.dossier_number for r in rows], [e.number for e in enrolments.items]


def expected(term: str, prefix: str) -> list[str]:
    """What the search means, computed in Python: normalised substring."""
    if not term.strip():
        return [f"{n:06d}" for n in range(len(COMPANIES))]
    text = search.term(term)
    if not text:
        return []
    fragment = search.number_fragment(text, prefix)
    return [
        f"{n:06d}" for n, name in enumerate(COMPANIES)
        if text in search.supplier_text(name, f"394310676{n:05d}", f"tndSAS{n:04d}")
        or (fragment and fragment in f"{prefix}{n:06d}")
    ]


@pytest.mark.parametrize("term", TERMS)
def test_search_means_a_normalised_substring_on_every_backend(db, term):
    fill(db)
    requests, enrolments = found(db, term)
    assert [n[-6:] for n in requests] == expected(term, "FINSAS"), term
    assert [n[-6:] for n in enrolments] == expected(term, "ENRSAS"), term


if POSTGRES_URL:  # CI always has both backends (conftest refuses CI without PostgreSQL)
    @pytest.fixture(scope="module")
    def both_backends(tmp_path_factory):
        sessions, cleanups = [], []
        for backend in ("sqlite", "postgresql"):
            url, cleanup = create_empty_database(backend, tmp_path_factory.mktemp(backend))
            engine = make_engine(url)
            SQLModel.metadata.create_all(engine)
            session = Session(engine, expire_on_commit=False)
            fill(session)
            sessions.append(session)
            cleanups.append((session, engine, cleanup))
        yield sessions
        for session, engine, cleanup in cleanups:
            session.close()
            engine.dispose()
            cleanup()

    def test_search_results_are_identical_on_sqlite_and_postgresql(both_backends):
        sqlite, postgresql = both_backends
        for term in TERMS + ["É", "straSSe", "ΣΑΣ", "ç", "d", "ll", "\x1f"]:
            assert found(sqlite, term) == found(postgresql, term), term
        assert (funding_list.list_requests(sqlite, filters=RequestFilters(sort="denomination"),
                                           page_size=100)
                == funding_list.list_requests(postgresql,
                                              filters=RequestFilters(sort="denomination"),
                                              page_size=100))


def test_normalisation_is_stable_and_wildcard_free():
    for text in COMPANIES + TERMS:
        once = search.normalise(text)
        assert search.normalise(once) == once
        assert not set(once) & set("%_*?[]\\\x1f") and once == once.strip()
        assert not any(c.isupper() for c in once)
    assert search.normalise("  Œuvre   d'ÉLÉA  ") == "oeuvre d elea"
    assert search.term("394 310 676") == "394310676"
    assert search.number_fragment("sas0001", "FINSAS") == "SAS0001"
    assert search.number_fragment("fin", "FINSAS") == "FIN"
    assert search.number_fragment("fin0", "FINSAS") is None
    assert search.number_fragment("0000001", "FINSAS") is None


def test_search_text_follows_the_supplier(db, engine):
    supplier = Supplier(ans_number="tndSAS0777", siret="39431067600777",
                        company_name="ANCIEN NOM", street="x", postal_code="75001", city="PARIS")
    db.add(supplier)
    db.flush()
    db.add(FundingRequest(dossier_number="FINSAS000777", supplier_id=supplier.id, kind="avance",
                          amount=30000))
    db.commit()
    assert found(db, "ancien")[0] == ["FINSAS000777"]
    supplier.company_name = "Nouvelle Dénomination"
    db.add(supplier)
    db.commit()
    assert found(db, "ancien")[0] == [] and found(db, "nouvelle denom")[0] == ["FINSAS000777"]
    with engine.begin() as conn:  # a Core insert (bulk loads) gets it from the column default
        conn.execute(sa.insert(Supplier.__table__), [{
            "ans_number": "tndSAS0778", "siret": "39431067600778", "company_name": "Édité en masse",
            "street": "x", "postal_code": "75001", "city": "PARIS", "created_at": START}])
    assert db.exec(sa.select(Supplier.search_text).where(Supplier.siret == "39431067600778")
                   ).scalar_one() == "edite en masse\x1f39431067600778\x1ftndsas0778"
    db.execute(sa.delete(FundingRequest.__table__))
    db.delete(supplier)
    db.commit()
    assert found(db, "nouvelle")[0] == []


def _dossiers(db, count: int) -> None:
    """Ties everywhere: three dossiers per deposit instant, two suppliers per name."""
    for n in range(count):
        supplier = Supplier(ans_number=f"tndSAS{n + 1000:04d}", siret=f"{n + 1000:014d}",
                            company_name=f"ÉDITEUR {n // 2:02d}", street="x", postal_code="75001",
                            city="PARIS")
        db.add(supplier)
        db.flush()
        db.add(FundingRequest(dossier_number=f"FINSAS{n + 1000:06d}", supplier_id=supplier.id,
                              kind="avance" if n % 3 else "solde",
                              status=("en_cours", "validee", "rejetee")[n % 3], amount=30000,
                              deposited_at=START + timedelta(days=n // 3)))
    db.commit()


@pytest.mark.parametrize("sort", list(funding_list.SORTS))
@pytest.mark.parametrize("filters", [{}, {"kind": "avance"}, {"search": "editeur 1"}])
def test_keyset_pages_are_the_numbered_pages(db, sort, filters):
    _dossiers(db, 47)
    wanted = RequestFilters(sort=sort, **filters)
    size = 5

    def page(**window):
        result = funding_list.request_page(db, filters=wanted, window=Window(**window),
                                           page_size=size)
        return result, [r.id for r in result.rows]

    first, _ = page()
    everything = [r.id for r in funding_list.request_page(db, filters=wanted,
                                                          page_size=100).rows]
    assert len(everything) == first.total and len(set(everything)) == first.total
    by_number = [page(page=n)[1] for n in range(1, first.pages + 1)]
    assert sum(by_number, []) == everything  # offsets from either end agree
    forward, ids = [], page(page=1)[1]
    for number in range(1, first.pages + 1):
        forward.append(ids)
        result, ids = page(page=number + 1, after=ids[-1]) if number < first.pages else (None, [])
        if result:
            assert result.page == number + 1
    assert forward == by_number
    backward, ids = [], by_number[-1]
    for number in range(first.pages, 0, -1):
        backward.insert(0, ids)
        if number > 1:
            result, ids = page(page=number - 1, before=ids[0])
            assert result.page == number - 1
    assert backward == by_number
    for index, request_id in enumerate(everything):  # previous / next dossier
        assert funding_list.neighbours(db, filters=wanted, request_id=request_id) == (
            everything[index - 1] if index else None,
            everything[index + 1] if index + 1 < len(everything) else None)


def test_stale_cursors_fall_back_to_numbered_pages(db):
    _dossiers(db, 12)
    filters = RequestFilters()
    first = funding_list.request_page(db, filters=filters, page_size=5)
    # « précédente » from page 2 when fewer than a page remain before: page 1, full.
    second = funding_list.request_page(db, filters=filters, page_size=5,
                                       window=Window(page=2, before=first.rows[2].id))
    assert second.page == 1 and [r.id for r in second.rows] == [r.id for r in first.rows]
    gone = funding_list.request_page(db, filters=filters, page_size=5,
                                     window=Window(page=3, after=999_999))
    assert gone.page == 3 and len(gone.rows) == 2  # unknown row: page 3 by its number
    assert funding_list.request_page(db, filters=filters, page_size=5,
                                     window=Window(page=99)).page == 3


def test_enrolment_keyset_pages(db):
    for n in range(23):
        supplier = Supplier(ans_number=f"tndSAS{n + 2000:04d}", siret=f"{n + 2000:014d}",
                            company_name=f"ÉDITEUR {n % 4}", street="x", postal_code="75001",
                            city="PARIS")
        db.add(supplier)
        db.flush()
        db.add(Enrolment(number=f"ENRSAS{n + 2000:06d}", supplier_id=supplier.id,
                         status=("a_instruire", "en_cours", "validee")[n % 3],
                         submitted_at=START + timedelta(days=n // 2)))
    db.commit()
    for filters in (EnrolmentFilters(), EnrolmentFilters(status="", sort="denomination"),
                    EnrolmentFilters(status="", sort="depot_desc", search="editeur")):
        def page(number, **cursor):
            result = staff_list.list_enrolments(db, filters=filters, page=number,
                                                    page_size=4, **cursor)
            return result, [i.id for i in result.items]

        first, ids = page(1)
        numbered = [page(n)[1] for n in range(1, first.pages + 1)]
        walked = [ids]
        for number in range(2, first.pages + 1):
            result, ids = page(number, after=ids[-1])
            assert result.page == number
            walked.append(ids)
        assert walked == numbered
        assert page(first.pages - 1, before=numbered[-1][0])[1] == numbered[-2]


def test_the_pending_filter_is_the_partial_index_predicate():
    """The default enrolment filter is written as the partial index says it (SQLite only
    uses a partial index for a WHERE term identical to the index's)."""
    from segur_app.domain.enrolment.rules import PENDING_STATUSES
    from segur_app.domain.models import ENROLMENT_PENDING

    assert ENROLMENT_PENDING == "status IN (" + ", ".join(f"'{s}'" for s in PENDING_STATUSES) + ")"


def test_walking_the_name_index_gives_the_same_pages(db, monkeypatch):
    """SQLite walks the company-name index when many rows match (paging.walk_sort_index):
    forced here on small data, the pages and neighbours must not change."""
    from segur_app.domain import paging

    _dossiers(db, 30)
    suppliers = db.exec(sa.select(Supplier.id).order_by(Supplier.id)).scalars().all()
    for n in range(12):
        db.add(Enrolment(number=f"ENRSAS{n + 4000:06d}", supplier_id=suppliers[n],
                         status=("a_instruire", "validee", "en_cours")[n % 3],
                         submitted_at=START + timedelta(hours=n)))
    db.commit()

    def everything():
        requests = {tuple(f): [(p.page, [r.id for r in p.rows]) for p in (
            funding_list.request_page(db, filters=RequestFilters(sort="denomination", **dict(f)),
                                      window=Window(page=n), page_size=4) for n in (1, 2, 9))]
                    for f in ({"status": "en_cours"}.items(), {"kind": "avance"}.items())}
        ids = [r.id for r in funding_list.request_page(
            db, filters=RequestFilters(sort="denomination", kind="avance"), page_size=100).rows]
        around = [funding_list.neighbours(db, filters=RequestFilters(sort="denomination",
                                                                     kind="avance"), request_id=i)
                  for i in ids]
        enrolments = [[i.id for i in staff_list.list_enrolments(
            db, filters=EnrolmentFilters(status=status, sort="denomination"), page=n,
            page_size=3).items] for status in ("en_attente", "validee") for n in (1, 2)]
        return requests, around, enrolments

    usual = everything()
    monkeypatch.setattr(paging, "SQLITE_WALK_ABOVE", 0)
    assert everything() == usual
