"""Command-line tools, run as real subprocesses against a throw-away SQLite file."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys

from segur_app.core.config import PROJECT_ROOT


def run_cli(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SEGUR_STORAGE_DIR": str(tmp_path / "storage"),
        "SEGUR_OUTBOX_DIR": str(tmp_path / "outbox"),
        **env,
    }
    environment.pop("SEGUR_SMTP_HOST", None)
    return subprocess.run([sys.executable, "-m", "segur_app.cli", *args], cwd=PROJECT_ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)


def test_create_staff_sends_credentials_that_work(tmp_path):
    created = run_cli(tmp_path, "create-staff", "--first-name", "Hélène", "--last-name",
                      "Dupré", "--email", "helene.dupre@asp.example")
    assert created.returncode == 0, created.stderr
    assert "helene.dupre" in created.stdout
    delivered = run_cli(tmp_path, "deliver-mail")
    assert delivered.returncode == 0, delivered.stderr
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "helene.dupre@asp.example"
    body = message.get_body(preferencelist=("plain",)).get_content()
    password = body.split("Mot de passe temporaire : ")[1].split()[0]

    from sqlmodel import Session, select

    from segur_app.core.db import make_engine
    from segur_app.domain.accounts import first_login, login
    from segur_app.domain.models import UserAccount

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        account = session.exec(select(UserAccount)).one()
        assert (account.identifiant, account.role, account.must_change_password) == (
            "helene.dupre", "staff", True)
        result = login.authenticate(session, identifiant="helene.dupre", password=password)
        assert result.ok and first_login.next_step(account) == first_login.STEP_CHANGE_PASSWORD
    engine.dispose()


def test_create_staff_refuses_a_bad_address_and_demo_refuses_production(tmp_path):
    bad = run_cli(tmp_path, "create-staff", "--first-name", "A", "--last-name", "B",
                  "--email", "pas une adresse")
    assert bad.returncode == 2 and "invalide" in bad.stderr
    refused = run_cli(tmp_path, "demo", SEGUR_ENV="production")
    assert refused.returncode == 2 and "production" in refused.stderr
