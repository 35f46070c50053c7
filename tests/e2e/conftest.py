"""End-to-end fixtures: the compiled portal served by Reflex, driven by Chromium.

The ``portal`` fixture prepares a throw-away data directory (SQLite database
migrated and loaded with the demo data, private storage, outbox), then starts
``reflex run --env prod --single-port`` on ``SEGUR_E2E_PORT`` (default 3100)
and waits until it answers. Browser tests never skip: a missing Chromium is a
failure with the command that installs it.

Tests do not depend on each other's leftovers: a test that deposits or decides
works on a supplier of its own (:func:`enrolled_supplier`), and one that uses a
demo account first puts it in a known state (:func:`reset_account`). They wait
for what the page shows (``expect``) or poll a condition with a deadline,
never for a fixed time.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from segur_app import routes
from segur_app.core.config import PROJECT_ROOT

# Every `expect` waits for what the page shows; what it waits for often comes
# from the server (an upload checked and scanned by clamd, a decision recorded),
# which a loaded machine answers in more than Playwright's default 5 s. A longer
# deadline changes nothing when the page is right: it only fails later.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("SEGUR_E2E_CHROMIUM", "/usr/bin/chromium")
PORT = int(os.environ.get("SEGUR_E2E_PORT", "3100"))
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 240


@dataclass(frozen=True)
class Portal:
    base_url: str
    data_dir: Path
    env: dict[str, str]

    def url(self, route: str) -> str:
        return self.base_url + route

    @property
    def store(self):
        """The portal's document store (a directory, or the S3 test server's bucket)."""
        from segur_app.core.config import Settings
        from segur_app.domain import storage

        names = ("SEGUR_STORAGE_DIR", "SEGUR_STORAGE_URL", "SEGUR_S3_ENDPOINT_URL",
                 "SEGUR_S3_REGION", "SEGUR_S3_ACCESS_KEY_ID", "SEGUR_S3_SECRET_ACCESS_KEY")
        return storage.store_from_settings(Settings(**{
            name.removeprefix("SEGUR_").lower(): self.env[name]
            for name in names if self.env.get(name)}))


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"reflex exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"portal not up after {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def portal(tmp_path_factory, clamd) -> Iterator[Portal]:
    """The compiled portal. It scans every upload with the test session's real clamd
    (``SEGUR_ANTIVIRUS=required``, tests/clamd_helpers.py), as in production;
    ``SEGUR_E2E_STORAGE=s3``: its documents in the S3 test server
    (``tests/s3_server.py``) instead of a directory."""
    data_dir = tmp_path_factory.mktemp("portal")
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_DB_URL": f"sqlite:///{data_dir / 'segur.db'}",
        "SEGUR_ENV": "test",
        "SEGUR_STORAGE_DIR": str(data_dir / "storage"),
        "SEGUR_OUTBOX_DIR": str(data_dir / "outbox"),
        "SEGUR_PUBLIC_URL": f"http://localhost:{PORT}",
        "SEGUR_MAIL_POLL_SECONDS": "1",
        "SEGUR_ANTIVIRUS": "required",
        "SEGUR_CLAMD_SOCKET": clamd.address,
    }
    env.pop("SEGUR_SMTP_HOST", None)
    s3_server = None
    if os.environ.get("SEGUR_E2E_STORAGE") == "s3":
        from tests.s3_server import start_s3_server

        s3_server = start_s3_server(data_dir=data_dir / "s3", bucket="segur-e2e")
        env.update(s3_server.settings_env("segur-e2e", "documents"))
    try:
        subprocess.run(
            [sys.executable, "-m", "segur_app.cli", "demo"],
            cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
        )
        log = data_dir / "reflex.log"
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
                 "--frontend-port", str(PORT), "--loglevel", "info"],
                cwd=PROJECT_ROOT, env=env, stdout=log_fh, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://localhost:{PORT}"
        try:
            _wait_until_up(base_url + "/", proc, log)
            yield Portal(base_url=base_url, data_dir=data_dir, env=env)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if s3_server is not None:
            s3_server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core on the current page: no serious or critical violation."""
    results = _axe.run(page)
    blocking = [
        v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"accessibility violations on {page.url}:\n{details}"


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def send_login_form(page: Page, identifiant: str, password: str) -> None:
    """Fill the login form of the current page and send it (a real POST).

    Returns once the page the server redirected to has replaced this one, so
    that what is checked next (an error message, a heading) is never the
    previous page's."""
    page.get_by_label("Votre identifiant").fill(identifiant)
    page.get_by_label("Votre mot de passe").fill(password)
    with page.expect_navigation(wait_until="commit"):
        page.get_by_role("button", name="Valider").click()


def log_in(page: Page, portal: Portal, identifiant: str, password: str) -> None:
    """Open the login page, wait for the app, then send the login form."""
    page.goto(portal.url(routes.LOGIN))
    page.wait_for_function("() => window.__reflex !== undefined")
    send_login_form(page, identifiant, password)


def wait_out_minimum_fill_time(displayed_at: float) -> None:
    """The public forms take a form sent less than MIN_FILL_SECONDS after it was
    shown for a robot's: let that much time pass since ``displayed_at``
    (``time.monotonic()`` once the form was on screen). This waits for the
    anti-robot rule's own condition, the time elapsed, not for the server."""
    from segur_app.domain.anti_abuse import MIN_FILL_SECONDS

    remaining = MIN_FILL_SECONDS + 0.5 - (time.monotonic() - displayed_at)
    if remaining > 0:
        time.sleep(remaining)


# ---------------------------------------------------------------------------
# Data helpers: talk to the portal's own database and outbox
# ---------------------------------------------------------------------------


def create_account(
    portal: Portal,
    *,
    identifiant: str,
    password: str,
    email: str,
    role: str = "supplier",
    must_change_password: bool = False,
    secret_question: str | None = None,
    secret_answer: str | None = None,
    supplier: str | int = "demo",
    first_name: str = "Camille",
    last_name: str = "MARTIN",
) -> int:
    """Insert a ready-to-use account into the running portal's database.

    ``supplier="demo"`` attaches a supplier account to the demo supplier LE
    SELECT (whose own state no test changes); an ``int`` is a supplier id (see
    :func:`enrolled_supplier`, for a test that deposits or is decided on).
    """
    from sqlmodel import Session, select

    from segur_app.core.db import make_engine
    from segur_app.core.security import hash_password
    from segur_app.domain.models import Supplier, UserAccount
    from segur_app.domain.passwords import normalise_secret_answer

    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            if isinstance(supplier, int):
                supplier_row = session.get(Supplier, supplier)
            else:
                supplier_row = session.exec(
                    select(Supplier).where(Supplier.ans_number == "tndSAS0032")
                ).one()
            account = UserAccount(
                identifiant=identifiant, email=email, first_name=first_name,
                last_name=last_name, role=role,
                supplier_id=supplier_row.id if role == "supplier" else None,
                password_hash=hash_password(password),
                must_change_password=must_change_password,
                secret_question=secret_question,
                secret_answer_hash=(
                    hash_password(normalise_secret_answer(secret_answer))
                    if secret_answer else None
                ),
            )
            session.add(account)
            session.commit()
            return account.id
    finally:
        engine.dispose()


def wait_for_email(portal: Portal, *, to: str, subject: str, timeout: float = 30):
    """The first .eml of the outbox sent to ``to`` whose subject contains ``subject``."""
    import email
    import email.policy

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((portal.data_dir / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == to and subject in message["Subject"]:
                return message
        time.sleep(0.5)
    raise AssertionError(f"no email to {to} with subject containing {subject!r}")


def email_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def reset_account(
    portal: Portal,
    identifiant: str,
    *,
    password: str,
    must_change_password: bool,
    secret_question: str | None = None,
    secret_answer: str | None = None,
) -> None:
    """Put an existing account (e.g. the demo supplier) in a known state."""
    from datetime import timedelta

    from sqlmodel import Session, select

    from segur_app.core.db import make_engine
    from segur_app.core.security import hash_password
    from segur_app.domain.models import UserAccount, utcnow
    from segur_app.domain.passwords import normalise_secret_answer
    from segur_app.domain.throttling import clear_failures

    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            account = session.exec(
                select(UserAccount).where(UserAccount.identifiant == identifiant)
            ).one()
            account.password_hash = hash_password(password)
            account.must_change_password = must_change_password
            account.temp_password_expires_at = (
                utcnow() + timedelta(days=7) if must_change_password else None
            )
            account.secret_question = secret_question
            account.secret_answer_hash = (
                hash_password(normalise_secret_answer(secret_answer)) if secret_answer else None
            )
            clear_failures(session, identifiant)
            session.add(account)
            session.commit()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class EnrolledSupplier:
    """A supplier of one test: approved enrolment, bank details, one user whose
    first login is done (secret question « Ville ? » / « Antony »)."""

    supplier_id: int
    identifiant: str
    password: str
    email: str
    company_name: str
    siret: str
    ans_number: str
    address: str  # as the screens print it
    user_name: str
    iban: str = "FR7630006000011234567890189"
    bic: str = "AGRIFRPPXXX"

    @property
    def iban_grouped(self) -> str:
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))


_supplier_serial = itertools.count(1)


def enrolled_supplier(portal: Portal, *, identifiant: str, password: str,
                      company_name: str) -> EnrolledSupplier:
    """Insert a fresh enrolled supplier and its user (unique SIRET and ANS number)."""
    from datetime import timedelta

    from sqlmodel import Session
    from stdnum import luhn

    from segur_app.core.db import make_engine
    from segur_app.domain.models import BankDetails, Enrolment, EnrolmentStatus, Supplier, utcnow
    from segur_app.domain.numbering import ENROLMENT_SERIES, next_number

    serial = next(_supplier_serial)
    base = f"8{serial:012d}"
    supplier = Supplier(
        ans_number=f"fxtSAS{serial:04d}", siret=base + luhn.calc_check_digit(base),
        company_name=company_name, street=f"{serial} rue des Tests", postal_code="75011",
        city="PARIS",
    )
    email = f"{identifiant}@fournisseur-e2e.example"
    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            session.add(supplier)
            session.flush()
            now = utcnow()
            session.add(Enrolment(
                number=next_number(session, ENROLMENT_SERIES), supplier_id=supplier.id,
                status=EnrolmentStatus.VALIDATED.value, submitted_at=now - timedelta(days=2),
                status_changed_at=now - timedelta(days=1), legal_rep_civility="Mme",
                legal_rep_last_name="MARTIN", legal_rep_first_name="Camille",
                legal_rep_role="Présidente", contact_last_name="MARTIN",
                contact_first_name="Camille", contact_email=email, contact_phone="0102030405",
            ))
            session.add(BankDetails(
                supplier_id=supplier.id, iban=EnrolledSupplier.iban, bic=EnrolledSupplier.bic,
                holder=company_name, domiciliation="CREDIT AGRICOLE PARIS",
            ))
            session.commit()
            enrolled = EnrolledSupplier(
                supplier_id=supplier.id, identifiant=identifiant, password=password,
                email=email, company_name=company_name, siret=supplier.siret,
                ans_number=supplier.ans_number, address=supplier.address,
                user_name="Camille MARTIN",
            )
    finally:
        engine.dispose()
    create_account(portal, identifiant=identifiant, password=password, email=email,
                   supplier=enrolled.supplier_id, secret_question="Ville ?",
                   secret_answer="Antony")
    return enrolled
