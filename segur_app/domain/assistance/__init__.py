"""« Contacter l'assistance »: assistance tickets (ASSSAS numbers), answers by ASP staff.

    tickets.py     checks, per-address limits, create, answer, close
    views.py       what the screens show of a ticket
    staff_list.py  the staff list: filters, sorts, keyset pages (the machinery
                   of the other staff lists)

Callers import the module they need (``from segur_app.domain.assistance import
tickets``); nothing is re-exported here.
"""
