"""Staff list queries with 100,000 dossiers: prints timings (not a test).

    .venv/bin/python bench/list_requests.py                       # SQLite file in /tmp
    .venv/bin/python bench/list_requests.py postgresql://postgres@127.0.0.1:5432/test

The database is migrated with the real migrations (indexes included), filled
with N suppliers and N advance requests, then each query of the staff screens
runs several times; the median is printed.
"""

from __future__ import annotations

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
from segur_app.domain import instruction  # noqa: E402
from segur_app.domain.instruction import RequestFilters  # noqa: E402
from segur_app.domain.models import FundingRequest, Supplier  # noqa: E402

N = 100_000
RUNS = 7
STATUSES = ["en_cours", "en_cours", "validee", "rejetee"]


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


def fill(engine) -> None:
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    suppliers = [
        {"ans_number": f"tndSAS{n:06d}", "siret": f"{n:014d}", "company_name": f"EDITEUR {n:06d}",
         "street": "1 rue de la Paix", "postal_code": "75002", "city": "PARIS",
         "created_at": start}
        for n in range(N)
    ]
    with engine.begin() as conn:
        for chunk in range(0, N, 10_000):
            conn.execute(sa.insert(Supplier.__table__), suppliers[chunk:chunk + 10_000])
        ids = [row[0] for row in conn.execute(sa.select(Supplier.id).order_by(Supplier.id))]
        requests = [
            {"dossier_number": f"FINSAS{n + 1:06d}", "supplier_id": supplier_id,
             "kind": "avance" if n % 5 else "solde", "status": STATUSES[n % 4],
             "deposited_at": start + timedelta(minutes=7 * n), "status_changed_at": start,
             "amount": 30000, "vat_label": "HT - 0%", "iban": "", "bic": "", "bank_holder": "",
             "bank_domiciliation": "", "info_control": "a_instruire", "bank_control": "a_instruire",
             "version": 1}
            for n, supplier_id in enumerate(ids)
        ]
        for chunk in range(0, N, 10_000):
            conn.execute(sa.insert(FundingRequest.__table__), requests[chunk:chunk + 10_000])


def timed(engine, label: str, work) -> None:
    samples = []
    for _ in range(RUNS):
        with Session(engine) as session:
            began = time.perf_counter()
            work(session)
            samples.append((time.perf_counter() - began) * 1000)
    print(f"  {label:<48} median {statistics.median(samples):8.1f} ms   max {max(samples):8.1f} ms")


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else None
    engine, cleanup = database(url)
    try:
        upgrade_to_head(engine)
        began = time.perf_counter()
        fill(engine)
        print(f"{engine.dialect.name}: {N} dossiers loaded in {time.perf_counter() - began:.1f} s")
        middle = FundingRequest.__table__
        with Session(engine) as s:
            some_id = s.execute(sa.select(middle.c.id).where(middle.c.dossier_number == "FINSAS050000")).scalar()
        cases = {
            "first page, no filter (newest first)": RequestFilters(),
            "first page, status + kind": RequestFilters(status="en_cours", kind="avance"),
            "first page, deposit date range (1 month)": RequestFilters(
                deposited_from=date(2023, 6, 1), deposited_to=date(2023, 6, 30)),
            "search by dossier number": RequestFilters(search="FINSAS050000"),
            "search by SIRET": RequestFilters(search="00000000050000"),
            "search by company name": RequestFilters(search="editeur 05000"),
            "sort by company name": RequestFilters(sort="denomination"),
        }
        for label, filters in cases.items():
            timed(engine, label, lambda s, f=filters: instruction.list_requests(s, filters=f))
        timed(engine, "page 2000 (deep pagination), no filter",
              lambda s: instruction.list_requests(s, filters=RequestFilters(), page=2000))
        timed(engine, "previous/next dossier", lambda s: instruction.neighbours(
            s, filters=RequestFilters(), request_id=some_id))
        timed(engine, "dashboard counters", instruction.counters)
        timed(engine, "CSV export, status + kind + 1 month", lambda s: instruction.export_csv(
            s, filters=RequestFilters(status="en_cours", kind="avance",
                                      deposited_from=date(2023, 6, 1), deposited_to=date(2023, 6, 30))))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
