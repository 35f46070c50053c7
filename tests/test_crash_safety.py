"""A process killed at any step of storing a document leaves no row without its file,
and the sweep removes whatever file it left without a row.

Each case runs the real service in a forked process that dies (``os._exit``:
no rollback, no clean-up) at an injected point — after a file is published,
just before the commit, just after the commit (before the staged copy or a
replaced file is removed). The parent then checks the invariant at once, runs
the sweep past every grace period and checks that files and rows match
exactly. SQLite and PostgreSQL; a local directory and an S3-compatible store.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlmodel import Session, select

from segur_app.domain import demo, news, storage, uploads
from segur_app.domain.funding import instruction
from segur_app.domain.models import (
    AssistanceTicket,
    Attachment,
    Enrolment,
    FundingRequest,
    NewsItem,
    UserAccount,
)
from segur_app.domain.pdf import simple_pdf
from tests.storage_helpers import (
    CRASHED,
    after_every_grace_period,
    assert_every_row_has_its_file,
    assert_storage_matches_rows,
    die,
    run_until_death,
    staged_names,
    sweep,
)
from tests.test_assistance import create as create_ticket
from tests.test_assistance import stage as stage_ticket_attachment
from tests.test_enrolment import stage_rib, submit
from tests.test_funding import deposit, stage_all


def exists(model):
    return lambda db: db.exec(select(model)).first() is not None


def funding_case(db, store):
    summary = demo.load_demo_data(db, store=store, env="test")
    db.commit()
    documents = stage_all(store)
    return (lambda s: deposit(s, summary, store, documents=documents),
            exists(FundingRequest))


def enrolment_case(db, store):
    rib = stage_rib(store)
    return lambda s: submit(s, store, rib=rib), exists(Enrolment)


def decision_case(db, store):
    """Reject a deposited request: its decision letter (PDF) is written before the commit."""
    summary = demo.load_demo_data(db, store=store, env="test")
    db.commit()
    request_id = deposit(db, summary, store).funding_request_id
    version = db.get(FundingRequest, request_id).version

    def work(s):
        instruction.decide(s, request_id=request_id, validate=False, reason="Pièce illisible",
                           staff_id=summary.staff_id, expected_version=version,
                           assistance_url="http://localhost:3000/contacter-assistance",
                           store=store)

    def committed(db):
        return db.exec(select(FundingRequest.status)).one() == "rejetee"

    return work, committed


def assistance_case(db, store):
    staged = stage_ticket_attachment(store)
    return (lambda s: create_ticket(s, store, attachment=staged),
            exists(AssistanceTicket))


def news_case(db, store):
    """Replace the attachment of a published news item."""
    agent = UserAccount(identifiant="agent", email="a@asp.example", first_name="A",
                        last_name="B", role="staff", password_hash="x")
    db.add(agent)
    db.commit()

    def staged(text):
        return uploads.stage(simple_pdf([text]), f"{text}.pdf",
                             policy=news.ATTACHMENT_UPLOAD, store=store)

    data = news.NewsInput("Soldes", "Le dépôt des soldes est ouvert.", "FOURNISSEUR",
                          date(2024, 3, 1))
    news_id = news.save_news(db, news_id=None, data=data, staff_id=agent.id,
                             attachment=staged("v1"), store=store)
    second = staged("v2")

    def work(s):
        news.save_news(s, news_id=news_id, data=dataclasses.replace(data, title="Soldes v2"),
                       staff_id=agent.id, attachment=second, store=store)

    def committed(db):
        return db.exec(select(NewsItem.title)).one() == "Soldes v2"

    return work, committed


def demo_reset_case(db, store):
    demo.load_demo_data(db, store=store, env="development")
    db.commit()
    before = set(db.exec(select(Attachment.storage_key)).all())

    def work(s):
        demo.clear_all_data(s, store=store)
        demo.load_demo_data(s, store=store, env="development")
        s.commit()

    return work, lambda db: set(db.exec(select(Attachment.storage_key)).all()) != before


def before_commit():
    die("before", Session, "commit")


def after_publishing(nth=1, name="publish_staged"):
    return lambda: die("after", storage, name, nth)


def after_commit(name="discard_staged"):
    return lambda: die("before", storage, name)


# (case, where the process dies, whether the transaction committed)
CASES = [
    (funding_case, after_publishing(2), False),
    (funding_case, before_commit, False),
    (funding_case, after_commit(), True),
    # The receipt's PDF, issued after the deposit's commit: the deposit stands, the
    # file written without its row is swept (the email's link issues the receipt again).
    (funding_case, after_publishing(1, "store_bytes"), True),
    (enrolment_case, after_publishing(), False),
    (enrolment_case, before_commit, False),
    (enrolment_case, after_commit(), True),
    (decision_case, after_publishing(1, "store_bytes"), False),  # the letter's PDF
    (decision_case, before_commit, False),
    (assistance_case, after_publishing(), False),
    (assistance_case, before_commit, False),
    (assistance_case, after_commit(), True),
    (news_case, after_publishing(), False),
    (news_case, before_commit, False),
    (news_case, after_commit(), True),
    (news_case, after_commit("delete"), True),  # the replaced file is still there
    (demo_reset_case, after_publishing(1, "store_bytes"), False),
    (demo_reset_case, before_commit, False),
    (demo_reset_case, after_commit("delete"), True),
]


@pytest.mark.parametrize(
    ("case", "inject", "committed"), CASES,
    ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES)],
)
def test_a_crash_leaves_no_row_without_its_file_and_the_sweep_removes_the_rest(
    db, store, case, inject, committed
):
    work, has_committed = case(db, store)

    assert run_until_death(db, work, inject) == CRASHED
    assert has_committed(db) is committed
    assert_every_row_has_its_file(db, store)  # holds right after the crash

    report = sweep(db, store)  # now: the grace period protects fresh files
    assert report.removed == [] and report.intact

    report = sweep(db, store, now=after_every_grace_period())
    assert report.intact and not report.removal_refused
    assert report.removed, "the crash left a file behind: the sweep must remove it"
    assert_storage_matches_rows(db, store)
    assert staged_names(store) == set()


def test_without_a_crash_nothing_is_left_for_the_sweep(db, store):
    work, has_committed = funding_case(db, store)
    work(db)
    assert has_committed(db)
    assert_storage_matches_rows(db, store)
    assert staged_names(store) == set()
    assert sweep(db, store, now=after_every_grace_period()).removed == []
