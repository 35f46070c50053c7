"""The enrolment feature (« demande d'enrôlement », ENRSAS…), one module per concern.

    rules.py       statuses, French messages, audit actions, the request's history
    form.py        the 5-step public form: fields, checks, summary
    submission.py  submit(): store a complete request (public form, anti-abuse)
    decision.py    take_in_charge(), decide(validate=…): the staff decisions
    views.py       what the screens show (supplier tracking, staff cards)
    staff_list.py  the staff list (filters, keyset pages) and its CSV export

Callers import the module they need (``from segur_app.domain.enrolment import
submission``); nothing is re-exported here.
"""
