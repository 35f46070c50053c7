"""The funding feature (« demande de financement », FINSAS…), one module per concern.

    deposit.py           eligibility, deposit_request(): the atomic deposit of an
                         advance or balance request (pieces, receipt, email)
    views.py             what the screens show (supplier « Suivi », staff dossier)
    instruction.py       controls, piece reviews, notes, decide(validate=…): the
                         staff decisions under the dossier's optimistic lock
    quick_review.py      « Tout est conforme », « Annuler », decision email preview
    corrections.py       « Demande de compléments »: staff ask, the supplier answers
    correction_mails.py  its emails: texts, the staff's preview, the reminders
    staff_list.py        the staff list (filters, keyset pages) and the dashboard counters
    export.py            the staff list's CSV export

Callers import the module they need (``from segur_app.domain.funding import
deposit``); nothing is re-exported here.
"""
