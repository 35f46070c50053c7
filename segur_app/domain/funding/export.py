"""The CSV export of the staff's funding request list (the list's filters and
sort, see :mod:`.staff_list`), written by ``lists.csv_bytes`` (the CSV every
staff export writes: French spreadsheet software, formulas neutralised).
"""

from __future__ import annotations

from sqlmodel import Session

from segur_app.domain.dates import fr_date
from segur_app.domain.funding import staff_list
from segur_app.domain.funding.staff_list import RequestFilters
from segur_app.domain.lists import csv_bytes
from segur_app.domain.models import FundingKind, FundingStatus

CSV_HEADER = [
    "Numéro de dossier", "Type", "Dénomination sociale", "SIRET", "N° ANS",
    "Date de dépôt", "Statut", "Montant",
]
EXPORT_BATCH = 1000


_KIND_LABELS = {k.value: k.label for k in FundingKind}
_STATUS_LABELS = {s.value: s.label for s in FundingStatus}


def export_csv(session: Session, *, filters: RequestFilters) -> bytes:
    """The filtered list of funding requests as CSV (see ``lists.csv_bytes``).

    Plain column tuples straight into the CSV writer: thousands of rows in a
    few tens of milliseconds.
    """
    query = (staff_list.rows_query().where(*staff_list.filter_conditions(session, filters))
             .order_by(*staff_list.sort_key(filters.sort).order_by())
             .execution_options(yield_per=EXPORT_BATCH))
    rows = (
        [number, _KIND_LABELS[kind], company, siret, ans, fr_date(deposited_at),
         _STATUS_LABELS[status], amount]
        for _, number, kind, company, siret, ans, deposited_at, status, amount
        in session.exec(query)
    )
    return csv_bytes(CSV_HEADER, rows, free_text=(2, 4))  # company name, ANS number

