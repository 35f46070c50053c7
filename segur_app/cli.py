"""Command-line tools: ``python -m segur_app.cli <command>``.

    migrate              apply database migrations (alembic upgrade head)
    demo [--if-empty]    reset the database to the demo data set
                         (--if-empty: load it only into an empty database)
    deliver-mail         deliver the pending outbox emails once
    create-staff --first-name P --last-name N --email E
                         open an « Agent ASP » account; the identifiant and a
                         temporary password (7 days) are sent by email
    storage-check [--repair]
                         compare the private storage with the database: files
                         no row references past the grace period (removed with
                         --repair), rows whose file is missing or altered (only
                         reported). Exit code 0: clean; 1: unreferenced files
                         left; 3: a file is missing or altered
    issue-missing-documents [--limit N]
                         issue the « Accusé de dépôt » and « Courrier de
                         décision » PDFs the dossiers deposited or decided
                         before they existed lack (the hourly housekeeping does
                         it too, 200 a pass); all of them unless --limit
"""

from __future__ import annotations

import argparse
import logging
import sys

from segur_app.core.config import get_settings
from segur_app.core.db import get_engine, session_scope
from segur_app.core.migrations import upgrade_to_head
from segur_app.domain import demo, storage

log = logging.getLogger("segur_app.cli")


def cmd_migrate(_args: argparse.Namespace) -> int:
    upgrade_to_head(get_engine())
    print("Base de données à jour.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.is_production:
        print("Refusé : données de démonstration interdites en production.", file=sys.stderr)
        return 2
    upgrade_to_head(get_engine())
    with session_scope() as session:
        if args.if_empty and not demo.database_is_empty(session):
            print("Base non vide : données de démonstration conservées.")
            return 0
        store = storage.store_from_settings(settings)
        demo.clear_all_data(session, store=store)
        demo.load_demo_data(session, store=store, env=settings.env)
    print(
        "Données de démonstration chargées : "
        f"{demo.SUPPLIER_IDENTIFIANT} / {demo.SUPPLIER_PASSWORD}, "
        f"{demo.STAFF_IDENTIFIANT} / {demo.STAFF_PASSWORD} (à changer à la première connexion)."
    )
    return 0


def cmd_deliver_mail(_args: argparse.Namespace) -> int:
    from segur_app.domain import mail

    settings = get_settings()
    report = mail.deliver_due(get_engine(), transport=mail.transport_from_settings(settings))
    print(report)
    return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    from segur_app import routes
    from segur_app.domain import credentials, mail
    from segur_app.domain.accounts import events
    from segur_app.domain.models import Role
    from segur_app.links import absolute_url

    upgrade_to_head(get_engine())
    try:
        email = mail.normalize_address(args.email)
    except mail.InvalidEmailError:
        print("Adresse électronique invalide.", file=sys.stderr)
        return 2
    with session_scope() as session:
        account, password = credentials.open_account(
            session, first_name=args.first_name.strip(), last_name=args.last_name.strip(),
            email=email, role=Role.STAFF,
        )
        credentials.queue_credentials_email(
            session, account=account, password=password,
            login_url=absolute_url(routes.LOGIN),
        )
        events.audit(session, "staff_account_created", subject_user_id=account.id,
                       identifiant=account.identifiant, origin="cli")
    print(f"Compte « Agent ASP » créé : {account.identifiant}. Ses identifiants sont envoyés "
          f"à {email} (mot de passe temporaire valable 7 jours).")
    return 0


def cmd_storage_check(args: argparse.Namespace) -> int:
    import time

    from segur_app.domain import storage_check

    settings = get_settings()
    options = dict(store=storage.store_from_settings(settings),
                   grace_seconds=settings.storage_grace_seconds,
                   staging_max_age_seconds=settings.staging_max_age_seconds)
    try:
        with session_scope() as session:
            report = storage_check.check(session, now=time.time(), repair=args.repair,
                                         **options)
    except storage.StorageUnavailable as exc:
        print(f"Stockage {options['store'].location} injoignable : {exc}", file=sys.stderr)
        return 4
    for line in storage_check.report_lines(report, repair=args.repair, **options):
        print(line)
    if not report.intact:
        return 3
    return 1 if report.leftovers else 0


def cmd_issue_missing_documents(args: argparse.Namespace) -> int:
    from segur_app.domain import missing_documents
    from segur_app.domain.models import utcnow

    store = storage.store_from_settings(get_settings())
    totals = {"funding_receipts": 0, "enrolment_receipts": 0, "decision_letters": 0}
    remaining = args.limit
    while remaining is None or remaining > 0:
        batch = missing_documents.DEFAULT_LIMIT if remaining is None else min(
            remaining, missing_documents.DEFAULT_LIMIT)
        with session_scope() as session:
            issued = missing_documents.issue_missing(session, store=store, now=utcnow(),
                                                     limit=batch)
        for name in totals:
            totals[name] += getattr(issued, name)
        if remaining is not None:
            remaining -= issued.total + issued.skipped
        if issued.total + issued.skipped < batch:
            break
    receipts_count = totals["funding_receipts"] + totals["enrolment_receipts"]
    print(f"{receipts_count} accusé(s) de dépôt ({totals['funding_receipts']} de demandes de "
          f"financement, {totals['enrolment_receipts']} d'enrôlements) et "
          f"{totals['decision_letters']} courrier(s) de décision émis.")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m segur_app.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    p_demo = sub.add_parser("demo", help="reset the database to the demo data")
    p_demo.add_argument("--if-empty", action="store_true", help="only load into an empty database")
    p_demo.set_defaults(func=cmd_demo)
    sub.add_parser("deliver-mail", help="deliver pending emails once").set_defaults(
        func=cmd_deliver_mail
    )
    p_staff = sub.add_parser("create-staff", help="open an ASP staff account")
    p_staff.add_argument("--first-name", required=True)
    p_staff.add_argument("--last-name", required=True)
    p_staff.add_argument("--email", required=True)
    p_staff.set_defaults(func=cmd_create_staff)
    p_storage = sub.add_parser("storage-check",
                               help="reconcile the private storage with the database")
    p_storage.add_argument("--repair", action="store_true",
                           help="remove the unreferenced files past the grace period")
    p_storage.set_defaults(func=cmd_storage_check)
    p_missing = sub.add_parser("issue-missing-documents",
                               help="issue the receipts and decision letters dossiers lack")
    p_missing.add_argument("--limit", type=int, default=None,
                           help="at most this many documents (default: all)")
    p_missing.set_defaults(func=cmd_issue_missing_documents)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
