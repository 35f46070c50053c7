"""Staff list queries with 100,000 dossiers and 100,000 enrolments: prints timings (not a test).

    .venv/bin/python bench/list_requests.py                       # SQLite file in /tmp
    .venv/bin/python bench/list_requests.py postgresql://postgres@127.0.0.1:5432/test

The database is migrated with the real migrations (indexes included), filled
with N suppliers (varied, accented company names), N funding requests, N
enrolments with their bank details and submission event, then each query of
the staff screens runs RUNS times (BENCH_RUNS, default 30; BENCH_N rows); the median and the 95th percentile are
printed (milliseconds, the whole domain call: queries and Python rows).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from segur_app.core.db import make_engine  # noqa: E402
from segur_app.core.migrations import upgrade_to_head  # noqa: E402
from segur_app.domain.funding import export, staff_list as funding_list  # noqa: E402
from segur_app.domain.enrolment import staff_list  # noqa: E402
from segur_app.domain.enrolment.staff_list import EnrolmentFilters  # noqa: E402
from segur_app.domain.funding.staff_list import RequestFilters  # noqa: E402
from segur_app.domain.paging import Window  # noqa: E402
from segur_app.domain.models import (  # noqa: E402
    AuditEvent,
    BankDetails,
    Enrolment,
    FundingRequest,
    Supplier,
)

N = int(os.environ.get("BENCH_N", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
STATUSES = ["en_cours", "en_cours", "validee", "rejetee"]
ENROLMENT_STATUSES = ["validee"] * 6 + ["a_instruire", "a_instruire", "en_cours", "rejetee"]
FIRST = ["SANTÉ", "ÉDITIONS", "LOGICIELS", "MÉDICAL", "L'OFFICINE", "SOCIÉTÉ", "CENTRE",
         "RÉGULATION", "URGENCES", "TÉLÉSANTÉ", "DOCTEUR", "CABINET", "PHARMA", "HÔPITAL",
         "CLINIQUE", "GROUPE", "RÉSEAU", "DATA", "INFO", "SYSTÈMES", "ÉQUIPE", "ATELIER",
         "CONSEIL", "SERVICES", "SOLUTIONS", "TECHNOLOGIES", "NUMÉRIQUE", "PLATEFORME",
         "AGENDA", "RENDEZ-VOUS", "SOINS", "VILLE", "COORDINATION", "PARCOURS", "ACCÈS",
         "LIEN", "PONT", "ÉTOILE", "HORIZON", "AVENIR", "OCÉAN", "MONTAGNE", "FORÊT",
         "RIVIÈRE", "SOLEIL", "LUNE", "ZÉPHYR", "ÉCLAIR", "BOUSSOLE", "PHARE"]
SECOND = ["SAS", "SARL", "SA", "& ASSOCIÉS", "FRANCE", "ÎLE-DE-FRANCE", "OUEST", "EST",
          "NORD", "SUD", "CONSULTING", "LABS", "DIGITAL", "PRO", "PLUS", "CONNECT", "MÉDECINS",
          "INFIRMIERS", "KINÉS", "SAGES-FEMMES", "LIBÉRAUX", "TERRITOIRES", "RÉGIONS",
          "COMMUNAUTÉ", "ALLIANCE", "PARTENAIRES", "COOPÉRATIVE", "FONDATION", "INSTITUT",
          "ACADÉMIE", "STUDIO", "FABRIQUE", "MAISON", "COMPAGNIE", "LOGISTIQUE", "SÉCURITÉ",
          "QUALITÉ", "INNOVATION", "RECHERCHE", "DÉVELOPPEMENT", "EXPERTISE", "PERFORMANCE",
          "ÉNERGIE", "HARMONIE", "ÉQUILIBRE", "CONFIANCE", "PROXIMITÉ", "SÉRÉNITÉ",
          "CLARTÉ", "VISION"]


def company(n: int, rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(SECOND)} {n:06d}"


def database(url: str | None):
    if url is None:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return make_engine(f"sqlite:///{path}"), lambda: path.unlink(missing_ok=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")

    def cleanup():
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    return engine, cleanup


def _insert(conn, table, rows) -> None:
    for chunk in range(0, len(rows), 10_000):
        conn.execute(sa.insert(table), rows[chunk:chunk + 10_000])


def fill(engine) -> None:
    rng = random.Random(20261201)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        _insert(conn, Supplier.__table__, [
            {"ans_number": f"tndSAS{n:06d}", "siret": f"{n:014d}", "company_name": company(n, rng),
             "street": "1 rue de la Paix", "postal_code": "75002", "city": "PARIS",
             "created_at": start}
            for n in range(N)
        ])
        ids = [row[0] for row in conn.execute(sa.select(Supplier.id).order_by(Supplier.id))]
        _insert(conn, FundingRequest.__table__, [
            {"dossier_number": f"FINSAS{n + 1:06d}", "supplier_id": supplier_id,
             "kind": "avance" if n % 5 else "solde", "status": STATUSES[n % 4],
             "deposited_at": start + timedelta(minutes=7 * n), "status_changed_at": start,
             "amount": 30000, "vat_label": "HT - 0%", "iban": "", "bic": "", "bank_holder": "",
             "bank_domiciliation": "", "info_control": "ok" if n % 8 == 1 else "a_instruire",
             "bank_control": "a_instruire", "version": 1}
            for n, supplier_id in enumerate(ids)
        ])
        _insert(conn, BankDetails.__table__, [
            {"supplier_id": supplier_id, "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP",
             "holder": "TITULAIRE", "domiciliation": "PARIS", "updated_at": start}
            for supplier_id in ids
        ])
        _insert(conn, Enrolment.__table__, [
            {"number": f"ENRSAS{n + 1:06d}", "supplier_id": supplier_id,
             "status": ENROLMENT_STATUSES[n % len(ENROLMENT_STATUSES)],
             "submitted_at": start + timedelta(minutes=5 * n), "status_changed_at": start,
             "legal_rep_civility": "Mme", "legal_rep_last_name": "DURAND",
             "legal_rep_first_name": "Claire", "legal_rep_role": "Présidente",
             "contact_last_name": "MARTIN", "contact_first_name": "Paul",
             "contact_email": f"contact{n}@editeur.example", "contact_phone": "0102030405",
             "version": 1}
            for n, supplier_id in enumerate(ids)
        ])
        enrolment_ids = [row[0] for row in conn.execute(sa.select(Enrolment.id))]
        _insert(conn, AuditEvent.__table__, [
            {"occurred_at": start, "action": "enrolment_submitted", "enrolment_id": i}
            for i in enrolment_ids
        ])
    # What autovacuum / a periodic ANALYZE would have done on a live database.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def timed(engine, label: str, work) -> None:
    samples = []
    for _ in range(RUNS):
        with Session(engine) as session:
            began = time.perf_counter()
            work(session)
            samples.append((time.perf_counter() - began) * 1000)
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18]
    print(f"  {label:<64} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms",
          flush=True)


def request_cases() -> dict[str, RequestFilters]:
    return {
        "first page, no filter (newest first)": RequestFilters(),
        "first page, status + kind": RequestFilters(status="en_cours", kind="avance"),
        "first page, status only (rare: a_instruire)": RequestFilters(status="a_instruire"),
        "first page, deposit date range (1 month)": RequestFilters(
            deposited_from=date(2023, 6, 1), deposited_to=date(2023, 6, 30)),
        "search by complete dossier number": RequestFilters(search="FINSAS050000"),
        "search by complete SIRET": RequestFilters(search="00000000050000"),
        "search by part of a dossier number (digits)": RequestFilters(search="05000"),
        "search by part of the company name (~40 rows)": RequestFilters(search="sante logi"),
        "search by a common word (~2,000 rows)": RequestFilters(search="médical"),
        "search by 2 letters": RequestFilters(search="zé"),
        "sort by company name": RequestFilters(sort="denomination"),
        "sort by status": RequestFilters(sort="statut"),
    }


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else None
    engine, cleanup = database(url)
    try:
        upgrade_to_head(engine)
        began = time.perf_counter()
        fill(engine)
        print(f"{engine.dialect.name}: {N} dossiers and {N} enrolments loaded in "
              f"{time.perf_counter() - began:.1f} s; {RUNS} runs per query")
        middle = FundingRequest.__table__
        with Session(engine) as s:
            some_id = s.execute(sa.select(middle.c.id).where(
                middle.c.dossier_number == f"FINSAS{N // 2:06d}")).scalar()
        print(" funding requests (20 rows per page)")
        for label, filters in request_cases().items():
            timed(engine, label, lambda s, f=filters: funding_list.list_requests(s, filters=f))
        deep = N // 2 // funding_list.PAGE_SIZE
        for label, filters in (("no filter", RequestFilters()),
                               ("sort by company name", RequestFilters(sort="denomination")),
                               ("status + kind", RequestFilters(status="en_cours", kind="avance"))):
            with Session(engine) as s:
                middle = funding_list.request_page(s, filters=filters).pages // 2
                shown = funding_list.request_page(s, filters=filters, window=Window(page=middle))
            after, before = shown.rows[-1].id, shown.rows[0].id
            timed(engine, f"page {middle + 1} (« suivante », keyset), {label}",
                  lambda s, f=filters, a=after, m=middle: funding_list.list_requests(
                      s, filters=f, page=m + 1, after=a))
            timed(engine, f"page {middle - 1} (« précédente », keyset), {label}",
                  lambda s, f=filters, b=before, m=middle: funding_list.list_requests(
                      s, filters=f, page=m - 1, before=b))
        timed(engine, f"page {deep} (middle) by its number alone, no filter",
              lambda s: funding_list.list_requests(s, filters=RequestFilters(), page=deep))
        timed(engine, f"page {deep} (middle) by its number alone, sort by company name",
              lambda s: funding_list.list_requests(s, filters=RequestFilters(sort="denomination"),
                                                   page=deep))
        with Session(engine) as s:
            narrowed = funding_list.request_page(
                s, filters=RequestFilters(status="en_cours", kind="avance")).pages // 2
        timed(engine, f"page {narrowed} (middle) by its number alone, status + kind, sort by "
              "company name", lambda s: funding_list.list_requests(
                  s, filters=RequestFilters(status="en_cours", kind="avance", sort="denomination"),
                  page=narrowed))
        timed(engine, "last page (« Dernière page »), sort by company name",
              lambda s: funding_list.list_requests(s, filters=RequestFilters(sort="denomination"),
                                                   page=N // funding_list.PAGE_SIZE))
        timed(engine, "previous/next dossier", lambda s: funding_list.neighbours(
            s, filters=RequestFilters(), request_id=some_id))
        timed(engine, "previous/next dossier, sort by company name", lambda s: funding_list.neighbours(
            s, filters=RequestFilters(sort="denomination"), request_id=some_id))
        timed(engine, "dashboard counters: funding requests", funding_list.counters)
        timed(engine, "dashboard counters: enrolments", staff_list.enrolment_counters)
        timed(engine, "dashboard counters (funding + enrolments)",
              lambda s: (funding_list.counters(s), staff_list.enrolment_counters(s)))
        timed(engine, "CSV export, status + kind + 1 month", lambda s: export.export_csv(
            s, filters=RequestFilters(status="en_cours", kind="avance",
                                      deposited_from=date(2023, 6, 1), deposited_to=date(2023, 6, 30))))

        print(" enrolments (10 rows per page)")
        enrolment_cases = {
            "first page, pending (default)": EnrolmentFilters(),
            "first page, every status, newest first": EnrolmentFilters(status="", sort="depot_desc"),
            "search by part of the company name": EnrolmentFilters(status="", search="sante logi"),
            "search by a common word": EnrolmentFilters(status="", search="médical"),
            "sort by company name": EnrolmentFilters(status="", sort="denomination"),
        }
        for label, filters in enrolment_cases.items():
            timed(engine, label, lambda s, f=filters: staff_list.list_enrolments(
                s, filters=f, page=1, page_size=10))
        deep = N // 2 // 10
        for label, filters in (("every status", EnrolmentFilters(status="")),
                               ("pending, sort by company name",
                                EnrolmentFilters(sort="denomination"))):
            with Session(engine) as s:
                middle = staff_list.list_enrolments(
                    s, filters=filters, page=1, page_size=10).pages // 2
                shown = staff_list.list_enrolments(s, filters=filters, page=middle,
                                                        page_size=10)
            after = shown.items[-1].id
            timed(engine, f"page {middle + 1} (« suivante », keyset), {label}",
                  lambda s, f=filters, a=after, m=middle: staff_list.list_enrolments(
                      s, filters=f, page=m + 1, page_size=10, after=a))
        timed(engine, f"page {deep} (middle) by its number alone, every status",
              lambda s: staff_list.list_enrolments(
                  s, filters=EnrolmentFilters(status=""), page=deep, page_size=10))
        for label, filters in (("every status", EnrolmentFilters(status="", sort="denomination")),
                               ("pending", EnrolmentFilters(sort="denomination"))):
            with Session(engine) as s:
                middle = staff_list.list_enrolments(
                    s, filters=filters, page=1, page_size=10).pages // 2
            timed(engine, f"page {middle} (middle) by its number alone, {label}, sort by "
                  "company name", lambda s, f=filters, m=middle: staff_list.list_enrolments(
                      s, filters=f, page=m, page_size=10))
        timed(engine, "CSV export, pending, 1 month", lambda s: staff_list.export_enrolments_csv(
            s, filters=EnrolmentFilters(submitted_from=date(2023, 3, 1),
                                        submitted_to=date(2023, 3, 31))))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
