"""End-to-end fixtures: the compiled portal served by Reflex, driven by Chromium.

The ``portal`` fixture prepares a throw-away data directory (SQLite database
migrated and loaded with the demo data, private storage, outbox), then starts
``reflex run --env prod --single-port`` on ``SEGUR_E2E_PORT`` (default 3100)
and waits until it answers. Browser tests never skip: a missing Chromium is a
failure with the command that installs it.
"""

from __future__ import annotations

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
from playwright.sync_api import Browser, Page, sync_playwright

from segur_app.core.config import PROJECT_ROOT

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
def portal(tmp_path_factory) -> Iterator[Portal]:
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
    }
    env.pop("SEGUR_SMTP_HOST", None)
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
    supplier: str = "demo",
) -> int:
    """Insert a ready-to-use account into the running portal's database.

    ``supplier="demo"`` attaches it to the demo supplier LE SELECT; "other"
    creates (once) a second, unrelated supplier.
    """
    from sqlmodel import Session, select

    from segur_app.core.db import make_engine
    from segur_app.core.security import hash_password
    from segur_app.domain.models import Supplier, UserAccount
    from segur_app.domain.passwords import normalise_secret_answer

    engine = make_engine(portal.env["REFLEX_DB_URL"])
    try:
        with Session(engine) as session:
            if supplier == "other":
                supplier_row = session.exec(
                    select(Supplier).where(Supplier.siret == "73282932000074")
                ).first()
                if supplier_row is None:
                    supplier_row = Supplier(
                        ans_number="tndSAS0099", siret="73282932000074",
                        company_name="AUTRE EDITEUR", street="1 rue de Rivoli",
                        postal_code="75001", city="PARIS",
                    )
                    session.add(supplier_row)
                    session.flush()
            else:
                supplier_row = session.exec(
                    select(Supplier).where(Supplier.ans_number == "tndSAS0032")
                ).one()
            account = UserAccount(
                identifiant=identifiant, email=email, first_name="Camille",
                last_name="MARTIN", role=role,
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
